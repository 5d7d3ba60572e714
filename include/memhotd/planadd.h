/* SPDX-License-Identifier: MIT */
/*
 * A hypothetical plug of `memhotctl plan --add` (plan.h) and the parser of
 * its text.  Shared: memhotctl checks the argument before it asks memhotd,
 * memhotd parses the same text again from the request.
 */
#ifndef MEMHOTD_PLANADD_H
#define MEMHOTD_PLANADD_H

#include <stdbool.h>
#include <stdint.h>

/* The inventory's MH_GROUP_NAME_MAX and MH_MAX_NODES (plan.c checks they
 * agree); shared code does not include the core's headers. */
#define MH_PLAN_ADD_NAME_MAX 64
#define MH_PLAN_ADD_MAX_NODES 1024

/*
 *   MH_PLAN_ADD_DEVICE: bytes more of an existing virtio-mem device,
 *     in the lowest block ranges of the device that hold no block;
 *   MH_PLAN_ADD_DIMM: a new DIMM (a static group) of bytes on node nid,
 *     above every block and device, named "new-dimmK" (K: its index
 *     among the DIMM adds).
 */
enum mh_plan_add_kind {
	MH_PLAN_ADD_DEVICE = 0,
	MH_PLAN_ADD_DIMM,
};

struct mh_plan_add {
	enum mh_plan_add_kind kind;
	char device[MH_PLAN_ADD_NAME_MAX]; /* MH_PLAN_ADD_DEVICE */
	uint64_t bytes;
	/* The node: a DIMM's (0 unless given); for a device, used only when
	 * its node is not known yet (no block of it present) and then
	 * needed unless one node alone has memory. */
	int nid;
	bool nid_given;
};

/*
 * "virtio0:8G" (a device by name), "virtio0:8G@1" (and its node, if it
 * has no block yet), "dimm:4G" (node 0), "dimm:4G@1".
 * Sizes: a number with an optional K, M, G or T suffix (binary units,
 * "iB" or "B" may follow).  0, or -EINVAL.
 */
int mh_plan_parse_add(const char *spec, struct mh_plan_add *out);

#endif
