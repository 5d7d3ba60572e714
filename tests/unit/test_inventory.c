// SPDX-License-Identifier: MIT
/* Inventory: counters against a from-scratch recount under random
 * operation sequences, sparse table, groups, calibration, requests. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memhotd/inventory.h"

#define BS (128ULL << 20)
#define BP 32768ULL

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mh_block_state_name(MH_BLOCK_ONLINE), "online");
	assert_string_equal(mh_block_state_name(MH_BLOCK_OFFLINE), "offline");
	assert_string_equal(mh_block_state_name(MH_BLOCK_GOING_OFFLINE),
			    "going-offline");
	assert_string_equal(mh_group_kind_name(MH_GROUP_VIRTIO_MEM),
			    "virtio-mem");
	assert_string_equal(mh_group_kind_name(MH_GROUP_DIMM), "dimm");
	assert_string_equal(mh_group_kind_name(MH_GROUP_DAX), "dax");
	assert_string_equal(mh_onliner_name(MH_BY_BOOT), "boot");
	assert_string_equal(mh_onliner_name(MH_BY_MEMHOTD), "memhotd");
	assert_string_equal(mh_onliner_name(MH_BY_OTHER), "other");
	assert_string_equal(mh_onliner_name(MH_BY_UNKNOWN), "unknown");
}

static void test_init(void **state)
{
	struct mh_inventory inv;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, 0), -EINVAL);
	assert_int_equal(mh_inv_init(&inv, 4095), -EINVAL);
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	assert_int_equal(inv.block_pages, BP);
	assert_int_equal(inv.nr_blocks, 0);
	assert_null(mh_inv_block(&inv, 0));
	assert_null(mh_inv_next_block(&inv, 0));
	mh_inv_free(&inv);
	mh_inv_free(&inv); /* idempotent */
}

static int collect_cb(struct mh_block *b, void *ctx)
{
	uint64_t **p = ctx;

	*(*p)++ = b->id;
	return 0;
}

struct rm_ctx {
	struct mh_inventory *inv;
	size_t seen;
};

static int remove_cb(struct mh_block *b, void *ctx)
{
	struct rm_ctx *c = ctx;

	c->seen++;
	mh_inv_remove_block(c->inv, b->id);
	return 0;
}

static int stop_cb(struct mh_block *b, void *ctx)
{
	(void)ctx;
	return b->id == 300 ? 7 : 0;
}

static void test_sparse_table(void **state)
{
	static const uint64_t ids[] = {
		UINT64_MAX, 5,	 0, 255,  256,
		1ULL << 40, 300, 1, 4095, (1ULL << 40) + 1,
		1ULL << 20, 511};
	const size_t n = sizeof(ids) / sizeof(ids[0]);
	uint64_t sorted[sizeof(ids) / sizeof(ids[0])], got[32], *p = got;
	struct mh_inventory inv;
	struct rm_ctx rc;
	struct mh_block *b;
	size_t i, j;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	for (i = 0; i < n; i++) {
		b = mh_inv_add_block(&inv, ids[i], i & 1);
		assert_non_null(b);
		assert_true(b->id == ids[i]);
		assert_int_equal(b->nid, -1);
		assert_int_equal(b->group, -1);
		assert_int_equal(b->state, MH_BLOCK_OFFLINE);
		assert_int_equal(b->hotplugged, (bool)(i & 1));
		/* adding again returns the same block */
		assert_ptr_equal(mh_inv_add_block(&inv, ids[i], !(i & 1)), b);
	}
	assert_int_equal(inv.nr_blocks, n);
	memcpy(sorted, ids, sizeof(ids));
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (sorted[j] < sorted[i]) {
				uint64_t t = sorted[i];

				sorted[i] = sorted[j];
				sorted[j] = t;
			}
	assert_int_equal(mh_inv_for_each_block(&inv, collect_cb, &p), 0);
	assert_int_equal(p - got, n);
	for (i = 0; i < n; i++)
		assert_true(got[i] == sorted[i]);
	assert_int_equal(mh_inv_for_each_block(&inv, stop_cb, NULL), 7);
	/* next_block */
	assert_true(mh_inv_next_block(&inv, 2)->id == 5);
	assert_true(mh_inv_next_block(&inv, 256)->id == 256);
	assert_true(mh_inv_next_block(&inv, 257)->id == 300);
	assert_true(mh_inv_next_block(&inv, 512)->id == 4095);
	assert_true(mh_inv_next_block(&inv, 4096)->id == 1ULL << 20);
	assert_true(mh_inv_next_block(&inv, (1ULL << 40) + 2)->id ==
		    UINT64_MAX);
	assert_null(mh_inv_block(&inv, 2));
	assert_null(mh_inv_block(&inv, 1ULL << 41));
	/* removal, chunk freeing and re-adding */
	mh_inv_remove_block(&inv, 300);
	mh_inv_remove_block(&inv, 300);
	assert_null(mh_inv_block(&inv, 300));
	assert_true(mh_inv_next_block(&inv, 257)->id == 511);
	mh_inv_remove_block(&inv, 1ULL << 20);
	assert_true(mh_inv_next_block(&inv, 4096)->id == 1ULL << 40);
	b = mh_inv_add_block(&inv, 1ULL << 20, true);
	assert_true(b->hotplugged);
	assert_int_equal(inv.nr_blocks, n - 1);
	/* a callback may remove the block it is given */
	rc.inv = &inv;
	rc.seen = 0;
	assert_int_equal(mh_inv_for_each_block(&inv, remove_cb, &rc), 0);
	assert_int_equal(rc.seen, n - 1);
	assert_int_equal(inv.nr_blocks, 0);
	assert_null(mh_inv_next_block(&inv, 0));
	mh_inv_free(&inv);
}

/* ---- randomized consistency ---- */

struct expect_node {
	size_t nr_blocks, nr_online, nr_movable, nr_offline;
	uint64_t hot_kernel, hot_movable, movable;
};

struct expect_group {
	size_t nr_blocks, nr_online, nr_movable;
	uint64_t present_movable, present_kernel;
};

struct recount {
	struct expect_node nodes[8];
	struct expect_group groups[16];
	size_t nr_blocks;
};

static int recount_cb(struct mh_block *b, void *ctx)
{
	struct recount *r = ctx;
	bool online = b->state == MH_BLOCK_ONLINE;
	bool movable = online && b->zone == MH_ZONE_MOVABLE;

	r->nr_blocks++;
	if (b->nid >= 0) {
		struct expect_node *n = &r->nodes[b->nid];

		n->nr_blocks++;
		if (online)
			n->nr_online++;
		else
			n->nr_offline++;
		if (movable) {
			n->nr_movable++;
			n->movable += BP;
			if (b->hotplugged)
				n->hot_movable += BP;
		}
		if (online && !movable && b->hotplugged)
			n->hot_kernel += BP;
	}
	if (b->group >= 0) {
		struct expect_group *g = &r->groups[b->group];

		g->nr_blocks++;
		if (online)
			g->nr_online++;
		if (movable) {
			g->nr_movable++;
			g->present_movable += BP;
		}
		if (online && !movable)
			g->present_kernel += BP;
	}
	return 0;
}

static void check_counts(const struct mh_inventory *inv)
{
	struct recount r;
	size_t i;

	memset(&r, 0, sizeof(r));
	mh_inv_for_each_block(inv, recount_cb, &r);
	assert_int_equal(inv->nr_blocks, r.nr_blocks);
	for (i = 0; i < inv->nr_nodes; i++) {
		const struct mh_node_info *n = &inv->nodes[i];

		assert_int_equal(n->nr_blocks, r.nodes[i].nr_blocks);
		assert_int_equal(n->nr_online, r.nodes[i].nr_online);
		assert_int_equal(n->nr_offline, r.nodes[i].nr_offline);
		assert_int_equal(n->nr_movable, r.nodes[i].nr_movable);
		assert_int_equal(n->hot_kernel, r.nodes[i].hot_kernel);
		assert_int_equal(n->hot_movable, r.nodes[i].hot_movable);
		assert_int_equal(inv->totals[i].movable, r.nodes[i].movable);
	}
	for (i = 0; i < inv->nr_groups; i++) {
		const struct mh_group *g = &inv->groups[i];
		const struct mh_group_stats *gs = &inv->gstats[i];

		if (!gs->alive) {
			assert_int_equal(r.groups[i].nr_blocks, 0);
			continue;
		}
		assert_int_equal(g->nr_blocks, r.groups[i].nr_blocks);
		assert_int_equal(g->nr_online, r.groups[i].nr_online);
		assert_int_equal(g->nr_movable, r.groups[i].nr_movable);
		assert_int_equal(gs->present_movable,
				 r.groups[i].present_movable);
		assert_int_equal(gs->present_kernel,
				 r.groups[i].present_kernel);
	}
}

static uint64_t random_id(unsigned int *seed)
{
	/* a few sparse clusters, one far away */
	static const uint64_t base[] = {0, 48, 240, 1000, 1ULL << 33};

	return base[rand_r(seed) % 5] + (uint64_t)(rand_r(seed) % 300);
}

static void test_random_consistency(void **state)
{
	static const enum mh_zone zones[] = {MH_ZONE_MOVABLE, MH_ZONE_NORMAL,
					     MH_ZONE_DMA32,   MH_ZONE_NONE,
					     MH_ZONE_DMA,     MH_ZONE_UNKNOWN};
	unsigned int seed = 4242;
	struct mh_inventory inv;
	int step, g;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	for (g = 0; g < 4; g++) {
		char name[16];

		snprintf(name, sizeof(name), "virtio%d", g);
		assert_int_equal(mh_inv_group_add(&inv, name,
						  (enum mh_group_kind)(g % 3),
						  -1, (uint64_t)g * 1000 * BP,
						  ((uint64_t)g + 1) * 1000 * BP,
						  BP),
				 g);
	}
	for (step = 0; step < 20000; step++) {
		uint64_t id = random_id(&seed);
		struct mh_block *b = mh_inv_block(&inv, id);
		int op = rand_r(&seed) % 10;

		if (!b && op != 9) {
			b = mh_inv_add_block(&inv, id, rand_r(&seed) % 3 != 0);
			assert_non_null(b);
		}
		switch (op) {
		case 0:
		case 1:
		case 2:
			mh_inv_set_online(&inv, b, zones[rand_r(&seed) % 6],
					  MH_BY_MEMHOTD);
			break;
		case 3:
		case 4:
			mh_inv_set_offline(&inv, b);
			break;
		case 5:
			assert_int_equal(
				mh_inv_set_node(&inv, b, rand_r(&seed) % 5 - 1),
				0);
			break;
		case 6: {
			ssize_t gi = rand_r(&seed) % 6 - 1;

			if (gi >= (ssize_t)inv.nr_groups ||
			    (gi >= 0 && !inv.gstats[gi].alive))
				gi = -1;
			mh_inv_set_group(&inv, b, gi);
			assert_int_equal(b->group, gi);
			assert_true(b->group_resolved);
			if (gi >= 0 && b->nid >= 0)
				assert_int_equal(inv.gstats[gi].nid, b->nid);
			break;
		}
		case 7:
			mh_inv_remove_block(&inv, id);
			break;
		case 8: {
			/* drop an empty group and recreate it */
			ssize_t gi = rand_r(&seed) % (ssize_t)inv.nr_groups;

			if (inv.gstats[gi].alive &&
			    inv.groups[gi].nr_blocks == 0) {
				char name[MH_GROUP_NAME_MAX];

				memcpy(name, inv.groups[gi].name, sizeof(name));
				mh_inv_group_drop_if_empty(&inv, gi);
				assert_false(inv.gstats[gi].alive);
				assert_int_equal(mh_inv_group_find(&inv, name),
						 -1);
				assert_int_equal(
					mh_inv_group_add(&inv, name,
							 MH_GROUP_VIRTIO_MEM,
							 -1, 0, 1, BP),
					gi);
			} else {
				size_t before = inv.nr_groups;

				/* members left: the group stays */
				mh_inv_group_drop_if_empty(&inv, gi);
				assert_int_equal(inv.nr_groups, before);
				assert_true(inv.gstats[gi].alive);
			}
			break;
		}
		case 9:
			if (b)
				mh_inv_remove_block(&inv, id);
			break;
		}
		if (step % 97 == 0)
			check_counts(&inv);
	}
	check_counts(&inv);
	mh_inv_free(&inv);
}

/* ---- semantics ---- */

static void test_early_and_hotplugged(void **state)
{
	struct mh_inventory inv;
	struct mh_block *e, *h, *m;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	assert_int_equal(mh_inv_ensure_node(&inv, 0), 0);
	mh_inv_calibrate(&inv, 0, 1048446, 0, 0);
	assert_false(inv.needs_calibration);
	assert_int_equal(inv.totals[0].kernel_early, 1048446);
	assert_int_equal(inv.totals[0].movable, 0);

	/* a hotplugged block in a kernel zone moves H(n), not KE */
	h = mh_inv_add_block(&inv, 60, true);
	assert_int_equal(mh_inv_set_node(&inv, h, 0), 0);
	mh_inv_set_online(&inv, h, MH_ZONE_NORMAL, MH_BY_MEMHOTD);
	assert_int_equal(inv.nodes[0].hot_kernel, BP);
	assert_int_equal(inv.totals[0].kernel_early, 1048446);
	assert_int_equal(inv.totals[0].movable, 0);
	assert_false(inv.needs_calibration);
	assert_int_equal(h->onlined_by, MH_BY_MEMHOTD);

	/* hotplugged Movable: movable total and hot_movable */
	m = mh_inv_add_block(&inv, 48, true);
	assert_int_equal(mh_inv_set_node(&inv, m, 0), 0);
	mh_inv_set_online(&inv, m, MH_ZONE_MOVABLE, MH_BY_OTHER);
	assert_int_equal(inv.totals[0].movable, BP);
	assert_int_equal(inv.nodes[0].hot_movable, BP);
	mh_inv_set_offline(&inv, m);
	assert_int_equal(inv.totals[0].movable, 0);
	assert_int_equal(m->zone, MH_ZONE_UNKNOWN);

	/* calibration subtracts H(n) */
	mh_inv_calibrate(&inv, 0, 1048446 + BP, 0, 0);
	assert_int_equal(inv.totals[0].kernel_early, 1048446);
	/* CMA: out of KE, into MOVABLE */
	mh_inv_calibrate(&inv, 0, 1048446 + BP, 65536, 3 * BP);
	assert_int_equal(inv.totals[0].kernel_early, 1048446 - 65536);
	assert_int_equal(inv.totals[0].movable, 3 * BP + 65536);
	assert_int_equal(inv.nodes[0].cma, 65536);
	/* never wraps */
	mh_inv_calibrate(&inv, 0, 100, 0, 0);
	assert_int_equal(inv.totals[0].kernel_early, 0);
	mh_inv_calibrate(&inv, 0, 1048446 + BP, 0, 0);

	/* an early kernel block changing state asks for recalibration */
	e = mh_inv_add_block(&inv, 33, false);
	assert_int_equal(mh_inv_set_node(&inv, e, 0), 0);
	mh_inv_set_online(&inv, e, MH_ZONE_NORMAL, MH_BY_BOOT);
	assert_true(inv.needs_calibration);
	assert_int_equal(inv.nodes[0].early_kernel_blocks_changed, 1);
	assert_int_equal(inv.totals[0].kernel_early, 1048446);
	mh_inv_calibrate(&inv, 0, 1048446 + BP, 0, 0);
	assert_false(inv.needs_calibration);
	assert_int_equal(inv.nodes[0].early_kernel_blocks_changed, 0);
	mh_inv_set_offline(&inv, e);
	assert_true(inv.needs_calibration);
	mh_inv_calibrate(&inv, 0, 1048446, 0, 0);
	/* removing an online early block, too */
	mh_inv_set_online(&inv, e, MH_ZONE_NORMAL, MH_BY_BOOT);
	mh_inv_calibrate(&inv, 0, 1048446 + BP, 0, 0);
	mh_inv_remove_block(&inv, 33);
	assert_true(inv.needs_calibration);
	mh_inv_calibrate(&inv, 0, 1048446 + BP, 0, 0);
	/* an early Movable block (movablecore) moves the movable total */
	e = mh_inv_add_block(&inv, 34, false);
	assert_int_equal(mh_inv_set_node(&inv, e, 0), 0);
	mh_inv_set_online(&inv, e, MH_ZONE_MOVABLE, MH_BY_BOOT);
	assert_int_equal(inv.totals[0].movable, BP);
	assert_false(inv.needs_calibration);
	assert_int_equal(inv.nodes[0].hot_movable, 0);
	/* moving an online block to another node moves its counts */
	assert_int_equal(mh_inv_set_node(&inv, h, 2), 0);
	assert_int_equal(inv.nodes[0].hot_kernel, 0);
	assert_int_equal(inv.nodes[2].hot_kernel, BP);
	assert_int_equal(inv.nr_nodes, 3);
	assert_true(inv.totals[2].present);
	assert_false(inv.totals[1].present);
	assert_int_equal(mh_inv_set_node(&inv, h, MH_MAX_NODES), -EINVAL);
	assert_int_equal(mh_inv_set_node(&inv, h, -2), -EINVAL);
	mh_inv_free(&inv);
}

static void test_groups(void **state)
{
	struct mh_inventory inv;
	struct mh_block *b;
	ssize_t v0, d0, x0, g;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	v0 = mh_inv_group_add(&inv, "virtio0", MH_GROUP_VIRTIO_MEM, -1, 48 * BP,
			      304 * BP, BP);
	d0 = mh_inv_group_add(&inv, "PNP0C80:00", MH_GROUP_DIMM, 0, 304 * BP,
			      336 * BP, 32 * BP);
	x0 = mh_inv_group_add(&inv, "dax0.0", MH_GROUP_DAX, 1, 400 * BP,
			      416 * BP, 16 * BP);
	assert_int_equal(v0, 0);
	assert_int_equal(d0, 1);
	assert_int_equal(x0, 2);
	assert_true(inv.gstats[v0].dynamic);
	assert_int_equal(inv.gstats[v0].unit_pages, BP);
	assert_false(inv.gstats[d0].dynamic);
	assert_int_equal(inv.gstats[d0].max_pages, 32 * BP);
	assert_int_equal(inv.gstats[x0].max_pages, 16 * BP);
	assert_int_equal(inv.gstats[x0].nid, 1);
	assert_int_equal(mh_inv_group_find(&inv, "dax0.0"), x0);
	assert_int_equal(mh_inv_group_find(&inv, "virtio1"), -1);
	/* by pfn: virtio-mem and dax regions only */
	assert_int_equal(mh_inv_group_by_pfn(&inv, 48 * BP), v0);
	assert_int_equal(mh_inv_group_by_pfn(&inv, 304 * BP - 1), v0);
	assert_int_equal(mh_inv_group_by_pfn(&inv, 304 * BP), -1);
	assert_int_equal(mh_inv_group_by_pfn(&inv, 405 * BP), x0);
	assert_int_equal(mh_inv_group_by_pfn(&inv, 47 * BP), -1);
	/* bad arguments */
	assert_true(mh_inv_group_add(&inv, "", MH_GROUP_DAX, 0, 0, 1, 1) < 0);
	assert_true(mh_inv_group_add(&inv, "x", MH_GROUP_DAX, 0, 2, 1, 1) < 0);
	assert_true(mh_inv_group_add(&inv, "x", MH_GROUP_DAX, 0, 0, 1, 0) < 0);
	assert_true(mh_inv_group_add(&inv,
				     "0123456789012345678901234567890123456789"
				     "012345678901234567890123",
				     MH_GROUP_DAX, 0, 0, 1, 1) < 0);

	/* the group's node follows its members */
	b = mh_inv_add_block(&inv, 50, true);
	mh_inv_set_group(&inv, b, v0);
	assert_int_equal(inv.gstats[v0].nid, -1);
	assert_int_equal(mh_inv_set_node(&inv, b, 0), 0);
	assert_int_equal(inv.gstats[v0].nid, 0);
	mh_inv_set_online(&inv, b, MH_ZONE_MOVABLE, MH_BY_MEMHOTD);
	assert_int_equal(inv.gstats[v0].present_movable, BP);
	assert_int_equal(inv.groups[v0].nr_online, 1);
	mh_inv_set_online(&inv, b, MH_ZONE_NORMAL, MH_BY_MEMHOTD);
	assert_int_equal(inv.gstats[v0].present_movable, 0);
	assert_int_equal(inv.gstats[v0].present_kernel, BP);
	/* a group with blocks is not dropped */
	mh_inv_group_drop_if_empty(&inv, v0);
	assert_true(inv.gstats[v0].alive);
	mh_inv_remove_block(&inv, 50);
	assert_int_equal(inv.gstats[v0].present_kernel, 0);
	assert_int_equal(inv.groups[v0].nr_blocks, 0);
	mh_inv_group_drop_if_empty(&inv, v0);
	assert_false(inv.gstats[v0].alive);
	assert_int_equal(mh_inv_group_by_pfn(&inv, 48 * BP), -1);
	/* a dead group cannot be joined */
	b = mh_inv_add_block(&inv, 50, true);
	mh_inv_set_group(&inv, b, v0);
	assert_int_equal(b->group, -1);
	mh_inv_set_group(&inv, b, 99);
	assert_int_equal(b->group, -1);
	/* the slot is reused, with fresh counters */
	g = mh_inv_group_add(&inv, "virtio0", MH_GROUP_VIRTIO_MEM, -1, 48 * BP,
			     304 * BP, 4 * BP);
	assert_int_equal(g, v0);
	assert_int_equal(inv.gstats[g].present_kernel, 0);
	assert_int_equal(inv.gstats[g].unit_pages, 4 * BP);
	assert_int_equal(inv.nr_groups, 3);
	/* dropping nonsense is harmless */
	mh_inv_group_drop_if_empty(&inv, -1);
	mh_inv_group_drop_if_empty(&inv, 42);
	mh_inv_free(&inv);
}

static void test_block_request(void **state)
{
	struct mh_inventory inv;
	struct mh_unit_block unit[8];
	struct mh_block_request req;
	struct mh_policy_view view;
	struct mh_policy_config cfg = {.ratio = 301};
	struct mh_block *b, *o;
	ssize_t sbm, bbm;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	sbm = mh_inv_group_add(&inv, "virtio0", MH_GROUP_VIRTIO_MEM, 0, 48 * BP,
			       240 * BP, BP);
	bbm = mh_inv_group_add(&inv, "virtio1", MH_GROUP_VIRTIO_MEM, 0,
			       240 * BP, 432 * BP, 4 * BP);

	/* no node yet */
	b = mh_inv_add_block(&inv, 50, true);
	assert_int_equal(mh_inv_block_request(&inv, b, unit, 8, &req), -EINVAL);
	assert_int_equal(mh_inv_set_node(&inv, b, 0), 0);
	mh_inv_set_group(&inv, b, sbm);
	assert_int_equal(mh_inv_block_request(&inv, b, unit, 8, &req), 0);
	assert_int_equal(req.nid, 0);
	assert_int_equal(req.group, sbm);
	assert_int_equal(req.start_pfn, 50 * BP);
	assert_int_equal(req.nr_pages, BP);
	assert_int_equal(req.unit_len, 0);
	assert_null(req.unit);
	/* ungrouped */
	o = mh_inv_add_block(&inv, 20, false);
	assert_int_equal(mh_inv_set_node(&inv, o, 0), 0);
	assert_int_equal(mh_inv_block_request(&inv, o, unit, 8, &req), 0);
	assert_int_equal(req.group, -1);
	assert_int_equal(req.unit_len, 0);

	/* BBM: the unit of block 250 is blocks 248..251 */
	o = mh_inv_add_block(&inv, 248, true);
	mh_inv_set_group(&inv, o, bbm);
	assert_int_equal(mh_inv_set_node(&inv, o, 0), 0);
	mh_inv_set_online(&inv, o, MH_ZONE_MOVABLE, MH_BY_MEMHOTD);
	o = mh_inv_add_block(&inv, 249, true);
	mh_inv_set_group(&inv, o, bbm);
	assert_int_equal(mh_inv_set_node(&inv, o, 0), 0);
	mh_inv_set_online(&inv, o, MH_ZONE_NORMAL, MH_BY_MEMHOTD);
	b = mh_inv_add_block(&inv, 250, true);
	mh_inv_set_group(&inv, b, bbm);
	assert_int_equal(mh_inv_set_node(&inv, b, 0), 0);
	/* 251 absent: offline */
	assert_int_equal(mh_inv_block_request(&inv, b, unit, 3, &req),
			 -ENOBUFS);
	assert_int_equal(mh_inv_block_request(&inv, b, unit, 8, &req), 0);
	assert_int_equal(req.start_pfn, 250 * BP);
	assert_int_equal(req.unit_len, 4);
	assert_ptr_equal(req.unit, unit);
	assert_true(unit[0].online && unit[0].movable);
	assert_true(unit[1].online && !unit[1].movable);
	assert_true(!unit[2].online && !unit[2].movable);
	assert_true(!unit[3].online && !unit[3].movable);

	mh_inv_policy_view(&inv, &cfg, &view);
	assert_ptr_equal(view.cfg, &cfg);
	assert_ptr_equal(view.groups, inv.gstats);
	assert_int_equal(view.nr_groups, 2);
	assert_ptr_equal(view.nodes, inv.totals);
	assert_int_equal(view.nr_nodes, 1);
	assert_int_equal(view.groups[bbm].present_movable, BP);
	assert_int_equal(view.groups[bbm].present_kernel, BP);
	mh_inv_free(&inv);
}

static void request_flags(struct mh_inventory *inv, uint64_t id, bool kernel,
			  bool movable)
{
	struct mh_block *b = mh_inv_add_block(inv, id, true);
	struct mh_block_request req;

	assert_int_equal(mh_inv_set_node(inv, b, 0), 0);
	assert_int_equal(mh_inv_block_request(inv, b, NULL, 0, &req), 0);
	if (req.kernel_span_intersects != kernel ||
	    req.movable_span_intersects != movable)
		fail_msg("block %llu: kernel %d movable %d",
			 (unsigned long long)id, req.kernel_span_intersects,
			 req.movable_span_intersects);
}

static void test_zone_spans(void **state)
{
	struct mh_inventory inv;
	struct mh_block *b;
	uint64_t id;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	/* q35 at boot: DMA [1, 4096), DMA32 [4096, 2 GiB), Normal
	 * [4 GiB, 6 GiB), Movable empty */
	mh_inv_set_zone_span(&inv, 0, MH_ZONE_DMA, 1, 4095);
	mh_inv_set_zone_span(&inv, 0, MH_ZONE_DMA32, 4096, 1044480);
	mh_inv_set_zone_span(&inv, 0, MH_ZONE_NORMAL, 1048576, 524288);
	mh_inv_set_zone_span(&inv, 0, MH_ZONE_MOVABLE, 0, 0);
	mh_inv_set_zone_span(&inv, 0, MH_ZONE_UNKNOWN, 0, 99); /* ignored */
	assert_int_equal(inv.nodes[0].spans[MH_ZONE_NORMAL].end_pfn, 48 * BP);
	request_flags(&inv, 0, true, false);
	request_flags(&inv, 20, true, false); /* DMA32 span covers the hole */
	request_flags(&inv, 47, true, false);
	request_flags(&inv, 48, false, false);

	/* online grows the spans (resize_zone_range) */
	b = mh_inv_block(&inv, 48);
	mh_inv_set_online(&inv, b, MH_ZONE_MOVABLE, MH_BY_MEMHOTD);
	assert_int_equal(inv.nodes[0].spans[MH_ZONE_MOVABLE].start_pfn,
			 48 * BP);
	assert_int_equal(inv.nodes[0].spans[MH_ZONE_MOVABLE].end_pfn, 49 * BP);
	request_flags(&inv, 49, false, false);
	b = mh_inv_add_block(&inv, 60, true);
	assert_int_equal(mh_inv_set_node(&inv, b, 0), 0);
	mh_inv_set_online(&inv, b, MH_ZONE_MOVABLE, MH_BY_MEMHOTD);
	request_flags(&inv, 55, false, true);
	request_flags(&inv, 61, false, false);
	b = mh_inv_add_block(&inv, 64, true);
	assert_int_equal(mh_inv_set_node(&inv, b, 0), 0);
	mh_inv_set_online(&inv, b, MH_ZONE_NORMAL, MH_BY_MEMHOTD);
	assert_int_equal(inv.nodes[0].spans[MH_ZONE_NORMAL].end_pfn, 65 * BP);
	request_flags(&inv, 56, true, true);
	request_flags(&inv, 62, true, false);
	assert_false(inv.needs_calibration);
	/* offline inside a span: no change; at its edge: zoneinfo knows
	 * where it shrinks to */
	for (id = 49; id < 60; id++) {
		b = mh_inv_block(&inv, id);
		if (!b) {
			b = mh_inv_add_block(&inv, id, true);
			assert_int_equal(mh_inv_set_node(&inv, b, 0), 0);
		}
		mh_inv_set_online(&inv, b, MH_ZONE_MOVABLE, MH_BY_MEMHOTD);
	}
	mh_inv_set_offline(&inv, mh_inv_block(&inv, 55));
	assert_false(inv.needs_calibration);
	mh_inv_set_offline(&inv, mh_inv_block(&inv, 60));
	assert_true(inv.needs_calibration);
	mh_inv_free(&inv);
}

/* The narrow block fields: every value the inventory accepts fits, and
 * what would not fit is refused (an error, never a truncated index). */
static void test_narrow_fields(void **state)
{
	struct mh_inventory inv;
	struct mh_block *b;
	size_t i;

	(void)state;
	assert_int_equal(sizeof(struct mh_block), 32);
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	/* Block ids are 64 bits in the inventory (memoryN of any size). */
	b = mh_inv_add_block(&inv, UINT64_MAX - 1, true);
	assert_non_null(b);
	assert_true(b->id == UINT64_MAX - 1);
	assert_int_equal(b->nid, -1);
	assert_int_equal(b->group, -1);
	/* The highest node. */
	assert_int_equal(mh_inv_set_node(&inv, b, MH_MAX_NODES - 1), 0);
	assert_int_equal(b->nid, MH_MAX_NODES - 1);
	assert_int_equal(mh_inv_set_node(&inv, b, MH_MAX_NODES), -EINVAL);
	assert_int_equal(b->nid, MH_MAX_NODES - 1);
	/* The highest group index, then one too many: -ENOSPC. */
	inv.groups = calloc(MH_INV_MAX_GROUPS, sizeof(*inv.groups));
	inv.gstats = calloc(MH_INV_MAX_GROUPS, sizeof(*inv.gstats));
	assert_non_null(inv.groups);
	assert_non_null(inv.gstats);
	inv.nr_groups = MH_INV_MAX_GROUPS;
	for (i = 0; i < MH_INV_MAX_GROUPS - 1; i++)
		inv.gstats[i].alive = true;
	assert_int_equal(mh_inv_group_add(&inv, "virtio9", MH_GROUP_VIRTIO_MEM,
					  0, 0, BP, BP),
			 MH_INV_MAX_GROUPS - 1);
	mh_inv_set_group(&inv, b, MH_INV_MAX_GROUPS - 1);
	assert_int_equal(b->group, MH_INV_MAX_GROUPS - 1);
	assert_int_equal(inv.groups[MH_INV_MAX_GROUPS - 1].nr_blocks, 1);
	assert_int_equal(mh_inv_group_add(&inv, "virtio10", MH_GROUP_VIRTIO_MEM,
					  0, 0, BP, BP),
			 -ENOSPC);
	assert_int_equal(inv.nr_groups, MH_INV_MAX_GROUPS);
	/* Enums and flags keep their values. */
	mh_inv_set_online(&inv, b, MH_ZONE_MOVABLE, MH_BY_OTHER);
	assert_int_equal(b->state, MH_BLOCK_ONLINE);
	assert_int_equal(b->zone, MH_ZONE_MOVABLE);
	assert_int_equal(b->onlined_by, MH_BY_OTHER);
	assert_true(b->hotplugged);
	assert_true(b->group_resolved);
	b->last_errno = 4095; /* MAX_ERRNO */
	assert_int_equal(b->last_errno, 4095);
	mh_inv_free(&inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_sparse_table),
		cmocka_unit_test(test_random_consistency),
		cmocka_unit_test(test_early_and_hotplugged),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_block_request),
		cmocka_unit_test(test_zone_spans),
		cmocka_unit_test(test_narrow_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
