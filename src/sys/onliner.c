// SPDX-License-Identifier: MIT
/* The state write and what its errno means (doc/errno.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "memhotd/onliner.h"

#ifndef EHWPOISON
#define EHWPOISON 133
#endif

const char *mh_write_outcome_name(enum mh_write_outcome o)
{
	switch (o) {
	case MH_WRITE_SUCCESS:
		return "success";
	case MH_WRITE_LOST_RACE:
		return "lost-race";
	case MH_WRITE_GONE:
		return "gone";
	case MH_WRITE_RETRY:
		return "retry";
	case MH_WRITE_HWPOISON:
		return "hwpoison";
	case MH_WRITE_FAILED:
		return "failed";
	}
	return "unknown";
}

enum mh_write_outcome mh_onliner_classify(int err,
					  enum mh_block_state state_after)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return MH_WRITE_SUCCESS;
	case EINVAL:
		/* "Already in that state" is EINVAL for online_movable/kernel;
		 * an offline block means the kernel refused the request. */
		if (state_after == MH_BLOCK_ONLINE ||
		    state_after == MH_BLOCK_GOING_OFFLINE)
			return MH_WRITE_LOST_RACE;
		return MH_WRITE_FAILED;
	case ENOENT:
	case ENODEV:
		return MH_WRITE_GONE;
	case EPERM:
	case EBUSY:
	case ENOMEM:
	case EINTR:
	case EAGAIN:
		return MH_WRITE_RETRY;
	case EHWPOISON:
		return MH_WRITE_HWPOISON;
	default:
		return MH_WRITE_FAILED;
	}
}

const char *mh_onliner_state_string(enum mh_target t)
{
	return t == MH_TARGET_MOVABLE ? "online_movable" : "online_kernel";
}

bool mh_onliner_zone_matches(enum mh_target t, enum mh_zone z)
{
	if (t == MH_TARGET_MOVABLE)
		return z == MH_ZONE_MOVABLE;
	return z == MH_ZONE_DMA || z == MH_ZONE_DMA32 || z == MH_ZONE_NORMAL;
}

int mh_onliner_write(const struct mh_root *r, uint64_t id, enum mh_target t)
{
	char rel[128];

	snprintf(rel, sizeof(rel), MH_SYSFS_MEMORY "/memory%" PRIu64 "/state",
		 id);
	return mh_write_attr(r, rel, mh_onliner_state_string(t));
}

static uint64_t doubling(uint64_t first, uint64_t max, unsigned int n)
{
	uint64_t d = first;

	if (n == 0)
		n = 1;
	while (--n > 0 && d < max)
		d *= 2;
	return d < max ? d : max;
}

uint64_t mh_onliner_retry_delay_usec(unsigned int attempt)
{
	return doubling(MH_RETRY_FIRST_USEC, MH_RETRY_MAX_USEC, attempt);
}

bool mh_onliner_may_retry(unsigned int attempts)
{
	return attempts < MH_RETRY_MAX_ATTEMPTS;
}

uint64_t mh_onliner_wait_delay_usec(unsigned int n)
{
	return doubling(MH_WAIT_FIRST_USEC, MH_WAIT_MAX_USEC, n);
}
