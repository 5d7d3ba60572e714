/* SPDX-License-Identifier: MIT */
/*
 * The text of a hypothetical plug, "DEVICE:SIZE[@NODE]" (planadd.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/planadd.h"

static int parse_size(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (p == end)
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -EINVAL;
	if (p < end) {
		switch (*p | 0x20) {
		case 'k':
			mul = 1ULL << 10;
			break;
		case 'm':
			mul = 1ULL << 20;
			break;
		case 'g':
			mul = 1ULL << 30;
			break;
		case 't':
			mul = 1ULL << 40;
			break;
		default:
			return -EINVAL;
		}
		p++;
		if (p < end && *p == 'i')
			p++;
		if (p < end && (*p == 'B' || *p == 'b'))
			p++;
		if (p != end)
			return -EINVAL;
	}
	if (v > UINT64_MAX / mul)
		return -EINVAL;
	*out = v * mul;
	return *out ? 0 : -EINVAL;
}

int mh_plan_parse_add(const char *spec, struct mh_plan_add *out)
{
	const char *colon, *at, *end;
	size_t nlen;

	if (!spec || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	colon = strrchr(spec, ':');
	if (!colon || colon == spec)
		return -EINVAL;
	nlen = (size_t)(colon - spec);
	end = colon + 1 + strlen(colon + 1);
	at = strchr(colon + 1, '@');
	if (at) {
		char *e;
		long n;

		if (at[1] < '0' || at[1] > '9')
			return -EINVAL;
		errno = 0;
		n = strtol(at + 1, &e, 10);
		if (errno || *e || n < 0 || n >= MH_PLAN_ADD_MAX_NODES)
			return -EINVAL;
		out->nid = (int)n;
		out->nid_given = true;
		end = at;
	}
	if (nlen == 4 && !strncmp(spec, "dimm", 4)) {
		out->kind = MH_PLAN_ADD_DIMM;
	} else {
		if (nlen >= sizeof(out->device))
			return -EINVAL;
		out->kind = MH_PLAN_ADD_DEVICE;
		memcpy(out->device, spec, nlen);
		out->device[nlen] = '\0';
	}
	return parse_size(colon + 1, end, &out->bytes);
}
