/* SPDX-License-Identifier: MIT */
/*
 * The one state write of the onliner (onliner.h): "online_movable" or
 * "online_kernel" into memoryN/state under the root.  The rest of the
 * onliner (outcomes, names, back-off schedules) is pure: src/core/onliner.c.
 */
#include <inttypes.h>
#include <stdio.h>

#include "memhotd/onliner.h"

int mh_onliner_write(const struct mh_root *r, uint64_t id, enum mh_target t)
{
	char rel[128];

	snprintf(rel, sizeof(rel), MH_SYSFS_MEMORY "/memory%" PRIu64 "/state",
		 id);
	return mh_write_attr(r, rel, mh_onliner_state_string(t));
}
