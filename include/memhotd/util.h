/* SPDX-License-Identifier: MIT */
/*
 * The one idiom for small things, header-only so that every layer (the
 * pure core included) can use it without linking anything:
 *   - cleanup attributes: _cleanup_free_, _cleanup_close_, _cleanup_(f),
 *     and MH_TAKE_PTR to hand ownership out of a scope;
 *   - one growth helper, MH_GROW (0 or -ENOMEM, never a lost buffer);
 *   - one clock, mh_now_usec (CLOCK_MONOTONIC);
 *   - enum <-> name tables, MH_STRING_TABLE;
 *   - a message into a caller's buffer, mh_msgf, mh_appendf.
 * Errors are 0/-errno throughout.
 */
#ifndef MEMHOTD_UTIL_H
#define MEMHOTD_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MH_ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- cleanup ---- */

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void mh_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(mh_freep)

static inline void mh_closep(const int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(mh_closep)

/* The value of pointer p, leaving NULL behind (ownership moves out). */
#define MH_TAKE_PTR(p)                                                         \
	({                                                                     \
		__typeof__(p) _mh_taken = (p);                                 \
		(p) = NULL;                                                    \
		_mh_taken;                                                     \
	})

/* The value of struct s, leaving s zeroed: a _cleanup_ on s then frees
 * nothing (ownership moves out). */
#define MH_TAKE_STRUCT(s)                                                      \
	({                                                                     \
		__typeof__(s) _mh_taken_s = (s);                               \
		memset(&(s), 0, sizeof(s));                                    \
		_mh_taken_s;                                                   \
	})

/* ---- growth ---- */

/*
 * Makes *p (of elem-sized elements, *cap of them) hold at least need:
 * doubles, at least 16 elements.  0, or -ENOMEM (on overflow too) with
 * *p and *cap unchanged, so the caller still owns and frees *p.
 */
static inline int mh_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (elem && ncap > SIZE_MAX / elem)
		return -ENOMEM;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}
/* MH_GROW(array, cap, need): array is a typed pointer, cap a size_t. */
#define MH_GROW(a, cap, need)                                                  \
	mh_grow((void **)&(a), &(cap), (need), sizeof(*(a)))

/* ---- time ---- */

/* CLOCK_MONOTONIC in microseconds: the one clock of the project. */
static inline uint64_t mh_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- enum <-> name ---- */

/*
 * table is a designated-initialiser array of names indexed by the enum
 * (gaps are NULL).
 * MH_STRING_TABLE_TO(scope, name, type, table, unknown) defines
 *   scope const char *name(type v): table[v], or unknown out of range;
 * MH_STRING_TABLE_FROM(scope, name, type, table) defines
 *   scope int name(const char *s, type *out): 0 and *out (if out), or
 *   -EINVAL for NULL or a name not in the table.
 */
#define MH_STRING_TABLE_TO(scope, name, type, table, unknown)                  \
	scope const char *name(type v)                                         \
	{                                                                      \
		if ((size_t)v < MH_ELEMENTSOF(table) && (table)[v])            \
			return (table)[v];                                     \
		return unknown;                                                \
	}
#define MH_STRING_TABLE_FROM(scope, name, type, table)                         \
	scope int name(const char *s, type *out)                               \
	{                                                                      \
		for (size_t _i = 0; s && _i < MH_ELEMENTSOF(table); _i++)      \
			if ((table)[_i] && !strcmp((table)[_i], s)) {          \
				if (out)                                       \
					*out = (type)_i;                       \
				return 0;                                      \
			}                                                      \
		return -EINVAL;                                                \
	}

/* ---- messages ---- */

/* printf into buf (len bytes); nothing when buf is NULL or len 0. */
__attribute__((format(printf, 3, 4))) static inline void
mh_msgf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/*
 * printf at buf + *n, as far as len allows; *n grows by what printf
 * would write, so that after a run of appends it is the length the whole
 * text has (as snprintf returns), and buf holds its first len - 1 bytes.
 */
__attribute__((format(printf, 4, 5))) static inline void
mh_appendf(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(*n < len ? buf + *n : NULL, *n < len ? len - *n : 0, fmt,
		      ap);
	va_end(ap);
	if (w > 0)
		*n += (size_t)w;
}

#endif
