/* SPDX-License-Identifier: MIT */
/*
 * The plan (doc/policy.md, "plan"): what memhotd would do with every
 * offline block now.  Pure: it works on a copy of the inventory and
 * applies each decision to that copy with the inventory's own accounting
 * (mh_inv_set_online), exactly as a real run applies a successful write,
 * so each later decision sees the earlier ones.
 *
 * Order: device by device, in the order of each device's lowest offline
 * block (ungrouped memory is one "device"), and within a device block by
 * block ascending: the order in which the kernel adds a device's blocks
 * and memhotd onlines them.
 */
#ifndef MEMHOTD_PLAN_H
#define MEMHOTD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/planadd.h"
#include "memhotd/policy.h"

enum mh_plan_skip {
	MH_PLAN_DECIDED = 0,
	MH_PLAN_WAIT_NODE,	   /* no nodeN link yet */
	MH_PLAN_WAIT_GROUP,	   /* owning device not known yet */
	MH_PLAN_OFFLINED_BY_OTHER, /* someone offlined it: left alone */
	MH_PLAN_ERROR,		   /* no memory for the decision */
};
/* "wait-node", "wait-group", "offlined-by-other", "error"; NULL: decided */
const char *mh_plan_skip_name(enum mh_plan_skip s);

struct mh_plan_step {
	uint64_t id;
	enum mh_plan_skip skip;
	struct mh_decision dec; /* valid when skip == MH_PLAN_DECIDED */
	/* A block of a hypothetical plug (mh_plan_add): not in the real
	 * inventory, only in the plan's copy (p->after); add: its index. */
	bool hypothetical;
	size_t add;
};

struct mh_plan_input {
	/* The policy; its page_size must be set (0: MH_PAGE_SIZE). */
	const struct mh_policy_config *policy;
	/* The balloon as last found, or NULL (doc/policy.md 9.4). */
	const struct mh_balloon_facts *balloon;
	/* Blocks the plan must leave alone (offlined by someone else), or
	 * NULL for none. */
	bool (*leave_alone)(void *ctx, uint64_t id);
	void *ctx;
	/* What-if (memhotctl plan --add): hypothetical plugs (planadd.h),
	 * planned after the offline blocks, in order, each block ascending
	 * (NULL/0: none). */
	const struct mh_plan_add *adds;
	size_t nr_adds;
};

struct mh_plan {
	struct mh_plan_step *steps; /* in plan order */
	size_t nr_steps;
	uint64_t nr_movable, nr_kernel, nr_skipped;
	/* The copy after the plan: every planned block online in the zone
	 * a real run would record (Movable, or Normal for a kernel zone). */
	struct mh_inventory after;
	struct mh_policy_config policy; /* the copy's policy, page size set */
	/* When an add cannot be placed: its index, and why (bad_add_errno:
	 * -ENOENT no such device, -EINVAL not virtio-mem, not a multiple of
	 * the block size or no such node, -ENOSPC more than the device can
	 * hold); bad_add is -1 otherwise. */
	ssize_t bad_add;
	int bad_add_errno;
};

/* 0, or -ENOMEM/-EINVAL (then *out is empty and needs no free).  An add
 * that cannot be placed: -EINVAL, with out->bad_add and bad_add_errno set
 * (then too *out is empty). */
int mh_plan_run(const struct mh_inventory *inv, const struct mh_plan_input *in,
		struct mh_plan *out);
void mh_plan_free(struct mh_plan *p);

/*
 * The decision for offline block b of inv now (b must have a node): the
 * policy's answer with b's device, unit and the balloon.  0 or -errno.
 */
int mh_plan_decide(const struct mh_inventory *inv,
		   const struct mh_policy_config *pc,
		   const struct mh_balloon_facts *balloon,
		   const struct mh_block *b, struct mh_decision *out);

/*
 * A deep copy of src (blocks, groups, nodes and every counter as they
 * are); the copy's accounting then moves independently.  0 or -errno;
 * on error dst needs no free.
 */
int mh_inv_copy(struct mh_inventory *dst, const struct mh_inventory *src);

#endif
