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
#include "memhotd/util.h"

/*
 * Allocation failures: every json-c constructor goes through chk(), which
 * notes a failure in oom; the two public builders clear it first and end
 * with done(), which drops the object and returns NULL when anything
 * failed (the same discipline as report.c's builders, which embed these
 * objects).  A NULL value handed to add() on purpose is a JSON null.
 */
static bool oom;

static json_object *chk(json_object *v)
{
	if (!v)
		oom = true;
	return v;
}

static json_object *j_u64(uint64_t v)
{
	return chk(json_object_new_uint64(v));
}

static json_object *j_int(int64_t v)
{
	return chk(json_object_new_int64(v));
}

static json_object *j_str(const char *s)
{
	return chk(json_object_new_string(s));
}

static json_object *j_bool(bool v)
{
	return chk(json_object_new_boolean(v));
}

/* o[k] = v (v NULL: null); v is o's (or freed) afterwards. */
static void add(json_object *o, const char *k, json_object *v)
{
	if (!o || json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		oom = true;
	}
}

static json_object *done(json_object *o)
{
	if (oom || !o) {
		json_object_put(o);
		o = NULL;
	}
	oom = false;
	return o;
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

	if (MH_GROW(l->v, l->cap, l->n + 1) < 0)
		return -ENOMEM;
	l->v[l->n++] = b;
	return 0;
}

int mh_listing_collect(const struct mh_inventory *inv, struct mh_block_list *l)
{
	memset(l, 0, sizeof(*l));
	return mh_inv_for_each_block(inv, collect_cb, l);
}

static json_object *block(const struct mh_inventory *inv,
			  const struct mh_listing_daemon *dm,
			  const struct mh_block *b)
{
	json_object *o = chk(json_object_new_object());
	const struct mh_group *g = mh_listing_group_of(inv, b);
	const char *pending = NULL;
	int ferr = 0;
	char name[32];
	bool online = b->state == MH_BLOCK_ONLINE;

	snprintf(name, sizeof(name), "memory%" PRIu64, b->id);
	add(o, "block", j_u64(b->id));
	add(o, "name", j_str(name));
	add(o, "start", j_u64(b->id * inv->block_size_bytes));
	add(o, "end", j_u64((b->id + 1) * inv->block_size_bytes - 1));
	add(o, "size", j_u64(inv->block_size_bytes));
	add(o, "state", j_str(mh_block_state_name(b->state)));
	add(o, "zone", online ? j_str(mh_zone_name(b->zone)) : NULL);
	add(o, "node", b->nid >= 0 ? j_int(b->nid) : NULL);
	add(o, "device", g ? j_str(g->name) : NULL);
	add(o, "device_type", j_str(device_type(inv, b)));
	add(o, "hotplugged", j_bool(b->hotplugged));
	add(o, "onlined_by",
	    online ? j_str(mh_onliner_name(b->onlined_by)) : NULL);
	if (dm)
		dm->block_state(dm->ctx, b->id, &pending, &ferr);
	add(o, "pending", pending ? j_str(pending) : NULL);
	add(o, "failed_errno", ferr ? j_int(-ferr) : NULL);
	if (dm && b->has_decision) {
		json_object *dec = chk(json_object_new_object());

		add(dec, "target",
		    j_str(mh_listing_target_name(b->decision.target)));
		add(dec, "reason", j_str(mh_reason_name(b->decision.reason)));
		add(o, "decision", dec);
	} else {
		add(o, "decision", NULL);
	}
	return o;
}

json_object *mh_listing_block(const struct mh_inventory *inv,
			      const struct mh_listing_daemon *dm,
			      const struct mh_block *b)
{
	oom = false;
	return done(block(inv, dm, b));
}

json_object *mh_listing_blocks(const struct mh_inventory *inv,
			       const struct mh_listing_daemon *dm)
{
	json_object *o, *arr, *t, *e;
	struct mh_block_list l;
	uint64_t online = 0, offline = 0, movable = 0, kernel = 0, going = 0;

	oom = false;
	o = chk(json_object_new_object());
	arr = chk(json_object_new_array());
	if (mh_listing_collect(inv, &l) < 0)
		oom = true;
	else {
		for (size_t i = 0; i < l.n && !oom; i++) {
			const struct mh_block *b = l.v[i];

			e = block(inv, dm, b);
			if (!arr || !e || json_object_array_add(arr, e) < 0) {
				json_object_put(e);
				oom = true;
			}
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
	add(o, "decisions_known", j_bool(dm != NULL));
	add(o, "memory", arr);
	t = chk(json_object_new_object());
	add(t, "total_memblocks", j_u64(online + offline + going));
	add(t, "online_memblocks", j_u64(online));
	add(t, "offline_memblocks", j_u64(offline));
	add(t, "going_offline_memblocks", j_u64(going));
	add(t, "movable_memblocks", j_u64(movable));
	add(t, "kernel_memblocks", j_u64(kernel));
	add(t, "online_size", j_u64(online * inv->block_size_bytes));
	add(t, "offline_size", j_u64(offline * inv->block_size_bytes));
	add(o, "totals", t);
	return done(o);
}
