/* SPDX-License-Identifier: MIT */
/*
 * The block listing (ListBlocks, `memhotctl blocks`) as a json-c object,
 * built from an inventory and, when a daemon answers, its scheduler.
 * Pure.  memhotd sends it over the control socket, or prints it from a
 * read-only scan (memhotd --list-blocks) for memhotctl when no daemon
 * runs.  Keys: doc/control-protocol.md.
 */
#ifndef MEMHOTD_LISTING_H
#define MEMHOTD_LISTING_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memhotd/inventory.h"

/*
 * What a running daemon adds to the listing (report.c fills it from its
 * scheduler): block_state gives block id's pending state name (NULL: not
 * pending) and, if it failed, its -errno (else 0).
 */
struct mh_listing_daemon {
	void (*block_state)(const void *ctx, uint64_t id, const char **pending,
			    int *failed_errno);
	const void *ctx;
};

/*
 * "memory" (one object per block, ascending), "totals".  dm NULL: no
 * daemon; "decisions_known" is then false and every "decision" null.
 */
json_object *mh_listing_blocks(const struct mh_inventory *inv,
			       const struct mh_listing_daemon *dm);

/* One block's object of "memory" (also explain's "block"). */
json_object *mh_listing_block(const struct mh_inventory *inv,
			      const struct mh_listing_daemon *dm,
			      const struct mh_block *b);

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
