/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr with sd-daemon priority prefixes ("<3>..."), which the
 * journal turns into priorities; readable as plain text without systemd.
 * Priorities are syslog's LOG_ERR ... LOG_DEBUG.
 *
 * When stderr is the journal (JOURNAL_STREAM names it, as systemd sets it
 * for a service), every message goes to the journal natively instead
 * (sd_journal_sendv), and the events below carry structured fields:
 * MESSAGE_ID (one per event kind), MEMHOTD_EVENT, MEMHOTD_BLOCK,
 * MEMHOTD_ZONE, MEMHOTD_NODE, MEMHOTD_DEVICE, MEMHOTD_REASON
 * (doc/journal.md).
 */
#ifndef MEMHOTD_LOG_H
#define MEMHOTD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <syslog.h>

/* Messages above this priority (numerically) are dropped; LOG_INFO default. */
void mh_log_set_max_level(int prio);
int mh_log_get_max_level(void);
/* Whether a message of prio would be written (skip expensive formatting). */
int mh_log_enabled(int prio);

/* One line; a trailing newline is added. errno is preserved. */
void mh_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mh_logv(int prio, const char *fmt, va_list ap);

/* Event kinds, each with its own MESSAGE_ID (doc/journal.md). */
enum mh_event {
	MH_EV_NONE = 0,	 /* fields, but no MESSAGE_ID */
	MH_EV_DECISION,	 /* memhotd onlined a block (or would: dry run) */
	MH_EV_ONLINED,	 /* a block went online by someone else, no race */
	MH_EV_LOST_RACE, /* someone else onlined a block memhotd wanted */
	MH_EV_FAILURE,	 /* memhotd gave up on a block */
	MH_EV_GUARD,	 /* a [guard] episode began */
	MH_EV_BALLOON,	 /* a balloon without compaction is bound */
	MH_EV_COUNT,
};
/* "decision", "onlined", ...; NULL for MH_EV_NONE. */
const char *mh_event_name(enum mh_event e);
/* 32 hex digits; NULL for MH_EV_NONE. */
const char *mh_event_message_id(enum mh_event e);

/* The structured part of a message; NULL / negative members are left out. */
struct mh_log_fields {
	enum mh_event event;
	bool has_block;
	uint64_t block;
	const char *zone;   /* "Movable", "Normal", ... */
	int node;	    /* -1: none */
	const char *device; /* "virtio0", "PNP0C80:00", ... */
	const char *reason; /* mh_reason_name(), e.g. "fits" */
};
#define MH_LOG_FIELDS_INIT                                                     \
	{                                                                      \
		.event = MH_EV_NONE, .node = -1                                \
	}

/* Most journal fields mh_log_build_fields produces. */
#define MH_LOG_MAX_FIELDS 12
/*
 * The journal fields of one message: MESSAGE=, PRIORITY=, SYSLOG_IDENTIFIER
 * is left to the journal; then MESSAGE_ID= and MEMHOTD_*= from f (may be
 * NULL).  Pure: the strings are formatted into buf (len bytes), iov[]
 * points into it.  Returns the number of iovecs, or -ENOBUFS when buf or
 * iov (at most MH_LOG_MAX_FIELDS) is too small.
 */
int mh_log_build_fields(const struct mh_log_fields *f, int prio,
			const char *msg, char *buf, size_t len,
			struct iovec *iov, size_t iov_max);

/* The journal's sender (sd_journal_sendv); without one (the default)
 * everything goes to stderr. */
typedef int (*mh_journal_sendv_fn)(const struct iovec *iov, int n);
void mh_log_set_journal_sender(mh_journal_sendv_fn fn);
/* Where messages go: 1 journal, 0 stderr; -1 (the start) detects it from
 * JOURNAL_STREAM and stderr's device and inode. */
void mh_log_set_journal(int on);
bool mh_log_journal(void);

/* A message with fields (journal) or the plain line (stderr). */
void mh_log_ev(int prio, const struct mh_log_fields *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define mh_err(...) mh_log(LOG_ERR, __VA_ARGS__)
#define mh_warn(...) mh_log(LOG_WARNING, __VA_ARGS__)
#define mh_notice(...) mh_log(LOG_NOTICE, __VA_ARGS__)
#define mh_info(...) mh_log(LOG_INFO, __VA_ARGS__)
#define mh_debug(...) mh_log(LOG_DEBUG, __VA_ARGS__)

#endif
