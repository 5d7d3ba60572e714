/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr with sd-daemon priority prefixes ("<3>..."), which the
 * journal turns into priorities; readable as plain text without systemd.
 * Priorities are syslog's LOG_ERR ... LOG_DEBUG.
 */
#ifndef MEMHOTD_LOG_H
#define MEMHOTD_LOG_H

#include <stdarg.h>
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

#define mh_err(...) mh_log(LOG_ERR, __VA_ARGS__)
#define mh_warn(...) mh_log(LOG_WARNING, __VA_ARGS__)
#define mh_notice(...) mh_log(LOG_NOTICE, __VA_ARGS__)
#define mh_info(...) mh_log(LOG_INFO, __VA_ARGS__)
#define mh_debug(...) mh_log(LOG_DEBUG, __VA_ARGS__)

#endif
