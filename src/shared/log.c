// SPDX-License-Identifier: MIT
/*
 * Logging: one line per message to stderr, "<prio>" prefixed (sd-daemon);
 * or, when stderr is the journal, the message and its structured fields
 * through sd_journal_sendv (log.h, doc/journal.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "memhotd/log.h"

static int max_level = LOG_INFO;
static int to_journal = -1; /* -1: not detected yet */
/* sd_journal_sendv, set by the daemon: the unit tests and tools that link
 * this file without libsystemd never send to the journal. */
static mh_journal_sendv_fn journal_sendv;

static const char *const prefix[] = {
	SD_EMERG,   SD_ALERT,  SD_CRIT, SD_ERR,
	SD_WARNING, SD_NOTICE, SD_INFO, SD_DEBUG,
};

/* The MESSAGE_ID of each event kind (generated with systemd-id128 new;
 * never change one: journalctl filters and catalogs use them). */
static const struct {
	const char *name, *id;
} events[MH_EV_COUNT] = {
	[MH_EV_NONE] = {NULL, NULL},
	[MH_EV_DECISION] = {"decision", "408c86379c3b400db918dc7eb3ba3eba"},
	[MH_EV_ONLINED] = {"onlined", "8bbcf8f773eb4aa4a75ff0c86b7636e1"},
	[MH_EV_LOST_RACE] = {"lost-race", "bdf73aa70dd842d9b2c9b2c29192f0e6"},
	[MH_EV_FAILURE] = {"failure", "7c20729fca9e4ad3b3b5b285d8ede182"},
	[MH_EV_GUARD] = {"guard", "4fcf189b83cc4072a291e9f8d63dfd12"},
	[MH_EV_BALLOON] = {"balloon", "602b7d7a2bc24fec8c6f502fc3ad8afe"},
};

const char *mh_event_name(enum mh_event e)
{
	return (unsigned int)e < MH_EV_COUNT ? events[e].name : NULL;
}

const char *mh_event_message_id(enum mh_event e)
{
	return (unsigned int)e < MH_EV_COUNT ? events[e].id : NULL;
}

void mh_log_set_max_level(int prio)
{
	max_level = prio;
}

int mh_log_get_max_level(void)
{
	return max_level;
}

int mh_log_enabled(int prio)
{
	return (prio & LOG_PRIMASK) <= max_level;
}

/* systemd.exec(5): JOURNAL_STREAM is "DEV:INODE" of the stream it
 * connected stderr to; a redirected stderr no longer matches. */
static bool detect_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void mh_log_set_journal_sender(mh_journal_sendv_fn fn)
{
	journal_sendv = fn;
}

void mh_log_set_journal(int on)
{
	to_journal = on < 0 ? detect_journal() : !!on;
}

bool mh_log_journal(void)
{
	if (to_journal < 0)
		to_journal = detect_journal();
	return to_journal && journal_sendv;
}

/* Appends "NAME=value" to buf at *used as iov[*n]; false if out of room. */
__attribute__((format(printf, 6, 7))) static bool
add_field(char *buf, size_t len, size_t *used, struct iovec *iov, size_t *n,
	  const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*used >= len)
		return false;
	va_start(ap, fmt);
	w = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= len - *used)
		return false;
	iov[*n].iov_base = buf + *used;
	iov[*n].iov_len = (size_t)w;
	(*n)++;
	*used += (size_t)w + 1;
	return true;
}

int mh_log_build_fields(const struct mh_log_fields *f, int prio,
			const char *msg, char *buf, size_t len,
			struct iovec *iov, size_t iov_max)
{
	size_t used = 0, n = 0;
	bool ok;

	if (iov_max < MH_LOG_MAX_FIELDS)
		return -ENOBUFS;
	ok = add_field(buf, len, &used, iov, &n, "MESSAGE=%s", msg) &&
	     add_field(buf, len, &used, iov, &n, "PRIORITY=%d",
		       prio & LOG_PRIMASK) &&
	     add_field(buf, len, &used, iov, &n, "SYSLOG_IDENTIFIER=%s",
		       program_invocation_short_name);
	if (ok && f && mh_event_message_id(f->event))
		ok = add_field(buf, len, &used, iov, &n, "MESSAGE_ID=%s",
			       mh_event_message_id(f->event)) &&
		     add_field(buf, len, &used, iov, &n, "MEMHOTD_EVENT=%s",
			       mh_event_name(f->event));
	if (ok && f && f->has_block)
		ok = add_field(buf, len, &used, iov, &n,
			       "MEMHOTD_BLOCK=%" PRIu64, f->block);
	if (ok && f && f->zone)
		ok = add_field(buf, len, &used, iov, &n, "MEMHOTD_ZONE=%s",
			       f->zone);
	if (ok && f && f->node >= 0)
		ok = add_field(buf, len, &used, iov, &n, "MEMHOTD_NODE=%d",
			       f->node);
	if (ok && f && f->device && *f->device)
		ok = add_field(buf, len, &used, iov, &n, "MEMHOTD_DEVICE=%s",
			       f->device);
	if (ok && f && f->reason)
		ok = add_field(buf, len, &used, iov, &n, "MEMHOTD_REASON=%s",
			       f->reason);
	return ok ? (int)n : -ENOBUFS;
}

static void emit(int prio, const struct mh_log_fields *f, const char *fmt,
		 va_list ap)
{
	int saved = errno;
	char buf[1024], fb[2048];
	struct iovec iov[MH_LOG_MAX_FIELDS];
	int n;

	prio &= LOG_PRIMASK;
	if (prio > max_level) {
		errno = saved;
		return;
	}
	if (mh_log_journal()) {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		n = mh_log_build_fields(f, prio, buf, fb, sizeof(fb), iov,
					MH_LOG_MAX_FIELDS);
		if (n > 0 && journal_sendv(iov, n) >= 0) {
			errno = saved;
			return;
		}
		/* The journal refused it: the line on stderr after all. */
		fprintf(stderr, "%s%s\n", prefix[prio], buf);
		errno = saved;
		return;
	}
	n = snprintf(buf, sizeof(buf), "%s", prefix[prio]);
	if (n < 0)
		n = 0;
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	/* A single write so concurrent writers do not interleave lines. */
	fprintf(stderr, "%s\n", buf);
	errno = saved;
}

void mh_logv(int prio, const char *fmt, va_list ap)
{
	emit(prio, NULL, fmt, ap);
}

void mh_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(prio, NULL, fmt, ap);
	va_end(ap);
}

void mh_log_ev(int prio, const struct mh_log_fields *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(prio, f, fmt, ap);
	va_end(ap);
}
