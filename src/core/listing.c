/* SPDX-License-Identifier: MIT */
/*
 * The block listing (listing.h): inventory (+ scheduler) -> json-c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/listing.h"

static json_object *j_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

const char *mh_listing_target_name(enum mh_target t)
{
	return t == MH_TARGET_MOVABLE ? "movable" : "kernel";
}

/* The scheduler's state of block id (none without a daemon). */
const struct mh_group *mh_listing_group_of(const struct mh_inventory *inv,
					   const struct mh_block *b)
{
	if (b->group < 0 || (size_t)b->group >= inv->nr_groups ||
	    !inv->gstats[b->group].alive)
		return NULL;
	return &inv->groups[b->group];
}

/* "virtio-mem", "dimm", "dax"; ungrouped: "boot" (early) or "none". */
static const char *device_type(const struct mh_inventory *inv,
			       const struct mh_block *b)
{
	const struct mh_group *g = mh_listing_group_of(inv, b);

	if (g)
		return mh_group_kind_name(g->kind);
	return b->hotplugged ? "none" : "boot";
}

static int collect_cb(struct mh_block *b, void *ctx)
{
	struct mh_block_list *l = ctx;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		void *p = realloc(l->v, ncap * sizeof(*l->v));

		if (!p)
			return -ENOMEM;
		l->v = p;
		l->cap = ncap;
	}
	l->v[l->n++] = b;
	return 0;
}

int mh_listing_collect(const struct mh_inventory *inv, struct mh_block_list *l)
{
	memset(l, 0, sizeof(*l));
	return mh_inv_for_each_block(inv, collect_cb, l);
}

json_object *mh_listing_block(const struct mh_inventory *inv,
			      const struct mh_listing_daemon *dm,
			      const struct mh_block *b)
{
	json_object *o = json_object_new_object();
	const struct mh_group *g = mh_listing_group_of(inv, b);
	const char *pending = NULL;
	int ferr = 0;
	char name[32];
	bool online = b->state == MH_BLOCK_ONLINE;

	snprintf(name, sizeof(name), "memory%" PRIu64, b->id);
	add(o, "block", j_u64(b->id));
	add(o, "name", json_object_new_string(name));
	add(o, "start", j_u64(b->id * inv->block_size_bytes));
	add(o, "end", j_u64((b->id + 1) * inv->block_size_bytes - 1));
	add(o, "size", j_u64(inv->block_size_bytes));
	add(o, "state", json_object_new_string(mh_block_state_name(b->state)));
	add(o, "zone",
	    online ? json_object_new_string(mh_zone_name(b->zone)) : NULL);
	add(o, "node", b->nid >= 0 ? json_object_new_int(b->nid) : NULL);
	add(o, "device", g ? json_object_new_string(g->name) : NULL);
	add(o, "device_type", json_object_new_string(device_type(inv, b)));
	add(o, "hotplugged", json_object_new_boolean(b->hotplugged));
	add(o, "onlined_by",
	    online ? json_object_new_string(mh_onliner_name(b->onlined_by))
		   : NULL);
	if (dm)
		dm->block_state(dm->ctx, b->id, &pending, &ferr);
	add(o, "pending", pending ? json_object_new_string(pending) : NULL);
	add(o, "failed_errno", ferr ? json_object_new_int(-ferr) : NULL);
	if (dm && b->has_decision) {
		json_object *dec = json_object_new_object();

		add(dec, "target",
		    json_object_new_string(
			    mh_listing_target_name(b->decision.target)));
		add(dec, "reason",
		    json_object_new_string(mh_reason_name(b->decision.reason)));
		add(o, "decision", dec);
	} else {
		add(o, "decision", NULL);
	}
	return o;
}

json_object *mh_listing_blocks(const struct mh_inventory *inv,
			       const struct mh_listing_daemon *dm)
{
	json_object *o = json_object_new_object(), *arr, *t;
	struct mh_block_list l;
	uint64_t online = 0, offline = 0, movable = 0, kernel = 0, going = 0;

	arr = json_object_new_array();
	if (mh_listing_collect(inv, &l) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			const struct mh_block *b = l.v[i];

			json_object_array_add(arr,
					      mh_listing_block(inv, dm, b));
			if (b->state == MH_BLOCK_ONLINE) {
				online++;
				if (b->zone == MH_ZONE_MOVABLE)
					movable++;
				else
					kernel++;
			} else if (b->state == MH_BLOCK_OFFLINE) {
				offline++;
			} else {
				going++;
			}
		}
	}
	free(l.v);
	add(o, "block_size", j_u64(inv->block_size_bytes));
	add(o, "decisions_known", json_object_new_boolean(dm != NULL));
	add(o, "memory", arr);
	t = json_object_new_object();
	add(t, "total_memblocks", j_u64(online + offline + going));
	add(t, "online_memblocks", j_u64(online));
	add(t, "offline_memblocks", j_u64(offline));
	add(t, "going_offline_memblocks", j_u64(going));
	add(t, "movable_memblocks", j_u64(movable));
	add(t, "kernel_memblocks", j_u64(kernel));
	add(t, "online_size", j_u64(online * inv->block_size_bytes));
	add(t, "offline_size", j_u64(offline * inv->block_size_bytes));
	add(o, "totals", t);
	return o;
}
