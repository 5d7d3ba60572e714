// SPDX-License-Identifier: MIT
/* Logging: one line per message to stderr, "<prio>" prefixed (sd-daemon). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "memhotd/log.h"

static int max_level = LOG_INFO;

static const char *const prefix[] = {
	SD_EMERG,   SD_ALERT,  SD_CRIT, SD_ERR,
	SD_WARNING, SD_NOTICE, SD_INFO, SD_DEBUG,
};

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

void mh_logv(int prio, const char *fmt, va_list ap)
{
	int saved = errno;
	char buf[1024];
	int n;

	prio &= LOG_PRIMASK;
	if (prio > max_level) {
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

void mh_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mh_logv(prio, fmt, ap);
	va_end(ap);
}
