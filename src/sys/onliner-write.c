/* SPDX-License-Identifier: MIT */
/*
 * The state write of the onliner (onliner.h): "online_movable" or
 * "online_kernel" into memoryN/state under the root, and the reads that
 * judge a failed one.  The rest of the onliner (outcomes, names, back-off
 * schedules) is pure: src/core/onliner.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "memhotd/onliner.h"
#include "memhotd/util.h"

int mh_onliner_write(const struct mh_root *r, uint64_t id, enum mh_target t)
{
	char rel[128];

	snprintf(rel, sizeof(rel), MH_SYSFS_MEMORY "/memory%" PRIu64 "/state",
		 id);
	return mh_write_attr(r, rel, mh_onliner_state_string(t));
}

void mh_onliner_write_block(const struct mh_root *r, uint64_t id,
			    enum mh_target t, struct mh_write_io *io)
{
	uint64_t t0 = mh_now_usec();

	*io = (struct mh_write_io){.state_after = MH_BLOCK_OFFLINE};
	io->err = mh_onliner_write(r, id, t);
	io->usec = mh_now_usec() - t0;
	/* EINVAL: someone else onlined it first, or the kernel refused. */
	if (io->err == -EINVAL &&
	    mh_sysfs_block_state(r, id, &io->state_after) == -ENOENT)
		io->err = -ENOENT;
	io->out = mh_onliner_classify(io->err, io->state_after);
	if (io->out == MH_WRITE_LOST_RACE)
		io->zone_known = mh_sysfs_online_zone(r, id, &io->zone) == 0;
}
