/* SPDX-License-Identifier: MIT */
/*
 * plan.c: the pure plan and the inventory copy it runs on.  Links only
 * core modules (plan, inventory, policy, rules).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "memhotd/plan.h"

#include "../vectors/policy.h"

#define BS (128ULL << 20)
#define GIB_PAGES 262144ULL

static struct mh_policy_config policy(void)
{
	struct mh_policy_config pc;

	memset(&pc, 0, sizeof(pc));
	pc.policy = MH_POLICY_AUTO_MOVABLE;
	pc.ratio = 301;
	pc.numa_aware = true;
	pc.page_size = 4096;
	return pc;
}

/* Node 0 with 4 GiB boot kernel memory, virtio0 with count blocks from
 * first (1-block units). */
static void setup_inv(struct mh_inventory *inv, uint64_t first, uint64_t count)
{
	ssize_t g;

	mh_set_page_size(4096);
	assert_int_equal(mh_inv_init(inv, BS), 0);
	assert_int_equal(mh_inv_ensure_node(inv, 0), 0);
	mh_inv_calibrate(inv, 0, 4 * GIB_PAGES, 0, 0);
	g = mh_inv_group_add(inv, "virtio0", MH_GROUP_VIRTIO_MEM, 0,
			     first * inv->block_pages,
			     (first + count) * inv->block_pages,
			     inv->block_pages);
	assert_true(g >= 0);
	for (uint64_t id = first; id < first + count; id++) {
		struct mh_block *b = mh_inv_add_block(inv, id, true);

		assert_non_null(b);
		assert_int_equal(mh_inv_set_node(inv, b, 0), 0);
		mh_inv_set_group(inv, b, g);
	}
}

static void layout(const struct mh_plan *p, char *buf)
{
	for (size_t i = 0; i < p->nr_steps; i++)
		buf[i] = p->steps[i].skip			       ? '-'
			 : p->steps[i].dec.target == MH_TARGET_MOVABLE ? 'M'
								       : 'N';
	buf[p->nr_steps] = '\0';
}

/* TV2: the ratio bites after 96 blocks, then N M M M. */
static void test_plan_ratio_bites(void **state)
{
	struct mh_inventory inv, seq;
	struct mh_policy_config pc = policy();
	struct mh_plan_input in = {.policy = &pc};
	struct mh_plan p;
	char got[200], want[200];

	(void)state;
	setup_inv(&inv, 48, 104);
	assert_int_equal(mh_plan_run(&inv, &in, &p), 0);
	assert_int_equal(p.nr_steps, 104);
	layout(&p, got);
	memset(want, 'M', 96);
	strcpy(want + 96, "NMMMNMMM");
	assert_string_equal(got, want);
	assert_int_equal(p.nr_movable, 102);
	assert_int_equal(p.nr_kernel, 2);
	assert_int_equal(p.nr_skipped, 0);
	/* The original is untouched ... */
	assert_int_equal(inv.totals[0].movable, 0);
	assert_int_equal(inv.nodes[0].nr_offline, 104);
	assert_int_equal(inv.gstats[0].present_movable, 0);
	/* ... and the copy is what onlining one after the other gives. */
	assert_int_equal(mh_inv_copy(&seq, &inv), 0);
	for (size_t i = 0; i < p.nr_steps; i++) {
		struct mh_decision d;
		struct mh_block *b = mh_inv_block(&seq, p.steps[i].id);

		assert_int_equal(mh_plan_decide(&seq, &pc, NULL, b, &d), 0);
		assert_int_equal(d.target, p.steps[i].dec.target);
		mh_inv_set_online(&seq, b,
				  d.target == MH_TARGET_MOVABLE
					  ? MH_ZONE_MOVABLE
					  : MH_ZONE_NORMAL,
				  MH_BY_MEMHOTD);
	}
	assert_memory_equal(seq.totals, p.after.totals, sizeof(*seq.totals));
	assert_memory_equal(seq.nodes, p.after.nodes, sizeof(*seq.nodes));
	assert_memory_equal(seq.gstats, p.after.gstats, sizeof(*seq.gstats));
	assert_int_equal(p.after.totals[0].movable, 102 * inv.block_pages);
	assert_int_equal(p.after.nodes[0].hot_kernel, 2 * inv.block_pages);
	mh_inv_free(&seq);
	mh_plan_free(&p);
	mh_inv_free(&inv);
}

/* A shared vector's starting point: its nodes, its devices' groups and
 * all their blocks offline (plan order is ascending block id). */
static void vector_inv(struct mh_inventory *inv, const struct tv *v)
{
	mh_set_page_size(4096);
	assert_int_equal(mh_inv_init(inv, BS), 0);
	for (unsigned int n = 0; n < v->nr_nodes; n++) {
		assert_int_equal(mh_inv_ensure_node(inv, (int)n), 0);
		mh_inv_calibrate(inv, (int)n, v->ke[n], 0, 0);
	}
	for (size_t k = 0; k < tv_nr_devs(v); k++) {
		const struct tv_dev *t = &v->dev[k];
		uint64_t bp = inv->block_pages, start = t->first * bp;
		ssize_t g = -1;
		char name[16];

		/* the plan decides in block order: devices must ascend */
		assert_true(k == 0 || t->first >= v->dev[k - 1].first +
							  v->dev[k - 1].plug);
		snprintf(name, sizeof(name), "dev%zu", k);
		if (t->kind == 'v')
			g = mh_inv_group_add(
				inv, name, MH_GROUP_VIRTIO_MEM, t->nid, start,
				start + t->plug * bp, t->unit * bp);
		else if (t->kind == 'd')
			g = mh_inv_group_add(inv, name, MH_GROUP_DIMM, t->nid,
					     start, start + t->plug * bp,
					     t->plug * bp);
		if (t->kind != 'u')
			assert_true(g >= 0);
		for (uint64_t id = t->first; id < t->first + t->plug; id++) {
			struct mh_block *b = mh_inv_add_block(inv, id, true);

			assert_non_null(b);
			assert_int_equal(mh_inv_set_node(inv, b, t->nid), 0);
			mh_inv_set_group(inv, b, g);
		}
	}
}

/* The shared vectors (tests/vectors/policy.h) through the pure plan. */
static void test_plan_shared_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < TV_NR_POLICY; i++) {
		const struct tv *v = &tv_policy[i];
		struct mh_policy_config pc = policy();
		struct mh_plan_input in = {.policy = &pc};
		struct mh_inventory inv;
		struct mh_plan p;
		static char got[TV_MAX_BLOCKS + 1], want[TV_MAX_BLOCKS + 1];
		size_t off = 0, wn = 0;

		pc.ratio = v->ratio;
		pc.numa_aware = v->numa_aware;
		vector_inv(&inv, v);
		assert_int_equal(mh_plan_run(&inv, &in, &p), 0);
		layout(&p, got);
		for (size_t k = 0; k < tv_nr_devs(v); k++) {
			size_t n = tv_expand(v->dev[k].layout, want + wn,
					     TV_MAX_BLOCKS - wn);

			assert_int_equal(n, v->dev[k].plug);
			wn += n;
		}
		want[wn] = '\0';
		if (p.nr_steps != wn || strcmp(got, want))
			fail_msg("%s: plan %s\n  want %s", v->name, got, want);
		for (size_t k = 0; k < p.nr_steps; k++)
			off += p.steps[k].skip != MH_PLAN_DECIDED;
		assert_int_equal(off, 0);
		mh_plan_free(&p);
		mh_inv_free(&inv);
	}
}

static bool leave_50(void *ctx, uint64_t id)
{
	(void)ctx;
	return id == 50;
}

/* Skipped blocks: no node link, owner unknown, left alone. */
static void test_plan_skips(void **state)
{
	struct mh_inventory inv;
	struct mh_policy_config pc = policy();
	struct mh_plan_input in = {.policy = &pc, .leave_alone = leave_50};
	struct mh_plan p;
	struct mh_block *b;
	char got[16];

	(void)state;
	setup_inv(&inv, 48, 4);
	assert_non_null(mh_inv_add_block(&inv, 500, true)); /* no node */
	b = mh_inv_add_block(&inv, 600, true);
	assert_int_equal(mh_inv_set_node(&inv, b, 0), 0); /* owner unknown */
	assert_int_equal(mh_plan_run(&inv, &in, &p), 0);
	layout(&p, got);
	assert_string_equal(got, "MM-M--");
	assert_int_equal(p.steps[2].skip, MH_PLAN_OFFLINED_BY_OTHER);
	assert_int_equal(p.steps[4].skip, MH_PLAN_WAIT_NODE);
	assert_int_equal(p.steps[5].skip, MH_PLAN_WAIT_GROUP);
	assert_string_equal(mh_plan_skip_name(p.steps[2].skip),
			    "offlined-by-other");
	assert_string_equal(mh_plan_skip_name(p.steps[4].skip), "wait-node");
	assert_string_equal(mh_plan_skip_name(p.steps[5].skip), "wait-group");
	assert_null(mh_plan_skip_name(MH_PLAN_DECIDED));
	assert_int_equal(p.nr_skipped, 3);
	assert_int_equal(mh_inv_block(&p.after, 50)->state, MH_BLOCK_OFFLINE);
	assert_int_equal(mh_inv_block(&p.after, 51)->state, MH_BLOCK_ONLINE);
	assert_true(mh_inv_block(&p.after, 51)->has_decision);
	mh_plan_free(&p);
	mh_inv_free(&inv);
}

/* Nothing scanned, and bad input. */
static void test_plan_empty(void **state)
{
	struct mh_inventory inv;
	struct mh_policy_config pc = policy();
	struct mh_plan_input in = {.policy = &pc};
	struct mh_plan p;

	(void)state;
	memset(&inv, 0, sizeof(inv));
	assert_int_equal(mh_plan_run(&inv, &in, &p), 0);
	assert_int_equal(p.nr_steps, 0);
	mh_plan_free(&p);
	assert_int_equal(mh_plan_run(&inv, NULL, &p), -EINVAL);
	assert_int_equal(mh_inv_copy(&inv, &inv), -EINVAL);
}

static void test_plan_parse_add(void **state)
{
	struct mh_plan_add a;

	(void)state;
	assert_int_equal(mh_plan_parse_add("virtio0:8G", &a), 0);
	assert_int_equal(a.kind, MH_PLAN_ADD_DEVICE);
	assert_string_equal(a.device, "virtio0");
	assert_int_equal(a.bytes, 8ULL << 30);
	assert_int_equal(mh_plan_parse_add("dimm:4G@1", &a), 0);
	assert_int_equal(a.kind, MH_PLAN_ADD_DIMM);
	assert_int_equal(a.bytes, 4ULL << 30);
	assert_int_equal(a.nid, 1);
	assert_int_equal(mh_plan_parse_add("dimm:512MiB", &a), 0);
	assert_int_equal(a.nid, 0);
	assert_int_equal(a.bytes, 512ULL << 20);
	assert_int_equal(mh_plan_parse_add("PNP0C80:00:1g", &a), 0);
	assert_string_equal(a.device, "PNP0C80:00");
	assert_int_equal(a.bytes, 1ULL << 30);
	assert_int_equal(mh_plan_parse_add("virtio0:8G@1", &a), 0);
	assert_true(a.nid_given);
	assert_int_equal(a.nid, 1);
	assert_int_equal(mh_plan_parse_add("dax0.0:134217728", &a), 0);
	assert_int_equal(a.bytes, 128ULL << 20);
	static const char *const bad[] = {
		"",
		"virtio0",
		":8G",
		"virtio0:",
		"virtio0:0",
		"virtio0:8X",
		"virtio0:8G@",
		"dimm:4G@",
		"dimm:4G@x",
		"dimm:4G@-1",
		"dimm:G",
		"virtio0:99999999999T",
		"dimm:4G@1024",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mh_plan_parse_add(bad[i], &a), -EINVAL);
	assert_int_equal(mh_plan_parse_add(NULL, &a), -EINVAL);
}

/* What-if: virtio0 grown by 16 GiB (RV1), then a 4 GiB DIMM on node 0. */
static void test_plan_adds(void **state)
{
	struct mh_inventory inv;
	struct mh_policy_config pc = policy();
	struct mh_plan_add adds[3];
	struct mh_plan_input in = {.policy = &pc, .adds = adds, .nr_adds = 2};
	struct mh_plan p;
	char got[300], want[300];
	ssize_t g;

	(void)state;
	/* virtio0: 32 GiB of range from block 48, 4 blocks present (one
	 * offline), the rest absent */
	setup_inv(&inv, 48, 4);
	g = mh_inv_group_find(&inv, "virtio0");
	inv.groups[g].end_pfn = (48 + 256) * inv.block_pages;
	for (uint64_t id = 48; id < 51; id++)
		mh_inv_set_online(&inv, mh_inv_block(&inv, id), MH_ZONE_MOVABLE,
				  MH_BY_MEMHOTD);
	assert_int_equal(mh_plan_parse_add("virtio0:15872M", &adds[0]), 0);
	assert_int_equal(mh_plan_parse_add("dimm:4G", &adds[1]), 0);
	assert_int_equal(mh_plan_run(&inv, &in, &p), 0);
	/* the offline block first, then 124 new virtio-mem blocks, then the
	 * DIMM's 32 */
	assert_int_equal(p.nr_steps, 1 + 124 + 32);
	assert_false(p.steps[0].hypothetical);
	assert_int_equal(p.steps[0].id, 51);
	assert_true(p.steps[1].hypothetical);
	assert_int_equal(p.steps[1].id, 52);
	assert_int_equal(p.steps[1].add, 0);
	assert_int_equal(p.steps[124].id, 175);
	/* the DIMM above the device's range */
	assert_int_equal(p.steps[125].id, 48 + 256);
	assert_int_equal(p.steps[125].add, 1);
	layout(&p, got);
	memset(want, 'M', 96);
	strcpy(want + 96, "NMMMNMMMNMMMNMMMNMMMNMMMNMMMNMMM");
	memset(want + 128, 'N', 32); /* 14 GiB MOVABLE: no room for 4 more */
	want[160] = '\0';
	assert_string_equal(got + 0, want + 3);
	g = mh_inv_group_find(&p.after, "new-dimm0");
	assert_true(g >= 0);
	assert_int_equal(p.after.groups[g].kind, MH_GROUP_DIMM);
	assert_int_equal(p.after.gstats[g].present_kernel,
			 32 * inv.block_pages);
	assert_int_equal(inv.nr_groups, 1); /* the original is untouched */
	assert_null(mh_inv_block(&inv, 52));
	mh_plan_free(&p);

	/* the reserve applies to hypothetical blocks too: with all boot
	 * memory reserved nothing may go MOVABLE */
	pc.kernel_reserve = 4ULL << 30;
	in.nr_adds = 1;
	assert_int_equal(mh_plan_parse_add("virtio0:1G", &adds[0]), 0);
	assert_int_equal(mh_plan_run(&inv, &in, &p), 0);
	layout(&p, got);
	assert_string_equal(got, "NNNNNNNNN");
	mh_plan_free(&p);
	pc.kernel_reserve = 0;

	/* a device with no block present yet: the only node with memory,
	 * or the one given (which must have memory) */
	g = mh_inv_group_add(&inv, "virtio1", MH_GROUP_VIRTIO_MEM, -1,
			     1000 * inv.block_pages, 1008 * inv.block_pages,
			     inv.block_pages);
	assert_true(g >= 0);
	in.nr_adds = 1;
	assert_int_equal(mh_plan_parse_add("virtio1:512M", &adds[0]), 0);
	assert_int_equal(mh_plan_run(&inv, &in, &p), 0);
	assert_int_equal(p.nr_steps, 1 + 4);
	assert_int_equal(p.steps[1].id, 1000);
	assert_int_equal(p.steps[1].skip, MH_PLAN_DECIDED);
	assert_int_equal(mh_inv_block(&p.after, 1000)->nid, 0);
	mh_plan_free(&p);
	assert_int_equal(mh_plan_parse_add("virtio1:512M@1", &adds[0]), 0);
	assert_int_equal(mh_plan_run(&inv, &in, &p), -EINVAL);
	assert_int_equal(p.bad_add_errno, -EINVAL);
	assert_int_equal(mh_plan_parse_add("virtio0:128M@1", &adds[0]), 0);
	assert_int_equal(mh_plan_run(&inv, &in, &p), -EINVAL);

	/* adds that cannot be placed */
	in.nr_adds = 1;
	assert_int_equal(mh_plan_parse_add("virtio9:1G", &adds[0]), 0);
	assert_int_equal(mh_plan_run(&inv, &in, &p), -EINVAL);
	assert_int_equal(p.bad_add, 0);
	assert_int_equal(p.bad_add_errno, -ENOENT);
	assert_int_equal(p.nr_steps, 0);
	assert_int_equal(mh_plan_parse_add("virtio0:33G", &adds[0]), 0);
	assert_int_equal(mh_plan_run(&inv, &in, &p), -EINVAL);
	assert_int_equal(p.bad_add_errno, -ENOSPC);
	in.nr_adds = 2;
	assert_int_equal(mh_plan_parse_add("virtio0:1G", &adds[0]), 0);
	assert_int_equal(mh_plan_parse_add("dimm:100M", &adds[1]), 0);
	assert_int_equal(mh_plan_run(&inv, &in, &p), -EINVAL);
	assert_int_equal(p.bad_add, 1);
	assert_int_equal(p.bad_add_errno, -EINVAL);
	assert_int_equal(mh_plan_parse_add("dimm:1G@3", &adds[1]), 0);
	assert_int_equal(mh_plan_run(&inv, &in, &p), -EINVAL);
	assert_int_equal(p.bad_add, 1);
	mh_plan_free(&p);
	mh_inv_free(&inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_ratio_bites),
		cmocka_unit_test(test_plan_shared_vectors),
		cmocka_unit_test(test_plan_skips),
		cmocka_unit_test(test_plan_empty),
		cmocka_unit_test(test_plan_parse_add),
		cmocka_unit_test(test_plan_adds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
