/* SPDX-License-Identifier: MIT */
/*
 * The block listing (ListBlocks, `memhotctl blocks`) as a json-c object,
 * built from an inventory and, when a daemon answers, its scheduler.
 * Pure.  memhotd sends it over the control socket; memhotctl builds it
 * itself from a read-only scan when memhotd is not running.  Keys:
 * doc/control-protocol.md.
 */
#ifndef MEMHOTD_LISTING_H
#define MEMHOTD_LISTING_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/sched.h"

/*
 * "memory" (one object per block, ascending), "totals".  sched NULL:
 * no daemon; "decisions_known" is then false and every "decision" null.
 */
json_object *mh_listing_blocks(const struct mh_inventory *inv,
			       const struct mh_sched *sched);

/* One block's object of "memory" (also explain's "block"). */
json_object *mh_listing_block(const struct mh_inventory *inv,
			      const struct mh_sched *sched,
			      const struct mh_block *b);

/* The scheduler's state of block id; MH_SCHED_NONE without one. */
enum mh_sched_state mh_listing_sched_state(const struct mh_sched *sched,
					   uint64_t id, int *err);

/* b's live group, or NULL. */
const struct mh_group *mh_listing_group_of(const struct mh_inventory *inv,
					   const struct mh_block *b);

/* "movable" / "kernel" */
const char *mh_listing_target_name(enum mh_target t);

/* Every block, ascending: a malloc'd array of pointers (free v). */
struct mh_block_list {
	struct mh_block **v;
	size_t n, cap;
};
int mh_listing_collect(const struct mh_inventory *inv, struct mh_block_list *l);

#endif
