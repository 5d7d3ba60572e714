/* SPDX-License-Identifier: MIT */
/*
 * Size formatting and block arguments (format.h), for both sides.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/format.h"

void mh_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char suffix[] = "BKMGTPE";
	unsigned int exp = 0;
	uint64_t unit = 1, dec, frac, tenths;

	while (exp < 6 && bytes >= (unit << 10)) {
		unit <<= 10;
		exp++;
	}
	dec = bytes / unit;
	frac = bytes % unit;
	/* tenths, rounded half up, without overflowing for exa units */
	tenths = unit >= 10 ? (frac / (unit / 10) * 10 +
			       (frac % (unit / 10)) * 10 / (unit / 10) + 5) /
				      10
			    : 0;
	if (tenths >= 10) {
		dec++;
		tenths = 0;
	}
	if (tenths)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", dec, tenths,
			 suffix[exp]);
	else
		snprintf(buf, len, "%" PRIu64 "%c", dec, suffix[exp]);
}

int mh_parse_block_arg(const char *s, uint64_t *id)
{
	char *end;
	unsigned long long v;

	if (!s)
		return -EINVAL;
	if (strncmp(s, "memory", 6) == 0)
		s += 6;
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*id = v;
	return 0;
}
