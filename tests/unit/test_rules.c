// SPDX-License-Identifier: MIT
/*
 * Rules (src/core/rules.c, doc/policy.md 9.2): names, the table, matching
 * (first match wins), and a rule applied through the real inventory: the
 * blocks no rule decides are decided on the state the rules left.
 */
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
#include "memhotd/rules.h"

#define BS (128ULL << 20)
#define BP 32768ULL /* pages per 128 MiB block */
#define GIB_PAGES(x) ((uint64_t)(x)*262144ULL)

static void test_names(void **state)
{
	enum mh_dev_type t;
	enum mh_rule_zone z;

	(void)state;
	assert_string_equal(mh_dev_type_name(MH_DEV_NONE), "none");
	assert_string_equal(mh_dev_type_name(MH_DEV_VIRTIO_MEM), "virtio-mem");
	assert_string_equal(mh_dev_type_name(MH_DEV_DIMM), "dimm");
	assert_string_equal(mh_dev_type_name(MH_DEV_DAX), "dax");
	assert_string_equal(mh_dev_type_name((enum mh_dev_type)99), "unknown");
	for (int i = MH_DEV_NONE; i <= MH_DEV_DAX; i++) {
		assert_int_equal(
			mh_dev_type_from_name(
				mh_dev_type_name((enum mh_dev_type)i), &t),
			0);
		assert_int_equal(t, i);
	}
	assert_int_equal(mh_dev_type_from_name("DIMM", &t), -EINVAL);
	assert_int_equal(mh_dev_type_from_name("virtio_mem", &t), -EINVAL);
	assert_int_equal(mh_dev_type_from_name(NULL, &t), -EINVAL);

	assert_string_equal(mh_rule_zone_name(MH_RULE_AUTO), "auto");
	assert_string_equal(mh_rule_zone_name(MH_RULE_MOVABLE), "movable");
	assert_string_equal(mh_rule_zone_name(MH_RULE_KERNEL), "kernel");
	assert_int_equal(mh_rule_zone_from_name("kernel", &z), 0);
	assert_int_equal(z, MH_RULE_KERNEL);
	assert_int_equal(mh_rule_zone_from_name("normal", &z), -EINVAL);
	assert_int_equal(mh_rule_zone_from_name(NULL, &z), -EINVAL);
}

static void test_table(void **state)
{
	struct mh_rule_table t;
	char name[16];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_true(mh_rule_name_valid("a"));
	assert_true(mh_rule_name_valid("dimms.all-1_x"));
	assert_true(mh_rule_name_valid("0123456789012345678901234567890"));
	assert_false(mh_rule_name_valid("01234567890123456789012345678901"));
	assert_false(mh_rule_name_valid(""));
	assert_false(mh_rule_name_valid("a b"));
	assert_false(mh_rule_name_valid("a/b"));
	assert_false(mh_rule_name_valid(NULL));

	assert_int_equal(mh_rules_find(&t, "a"), -1);
	assert_int_equal(mh_rules_add(&t, "a"), 0);
	assert_int_equal(mh_rules_add(&t, "b"), 1);
	assert_int_equal(mh_rules_add(&t, "a"), -EEXIST);
	assert_int_equal(mh_rules_add(&t, "a b"), -EINVAL);
	assert_int_equal(mh_rules_find(&t, "b"), 1);
	assert_false(t.rule[1].has_zone);
	for (int i = 2; i < MH_RULES_MAX; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		assert_int_equal(mh_rules_add(&t, name), i);
	}
	assert_int_equal(mh_rules_add(&t, "full"), -ENOSPC);
	assert_int_equal(t.nr, MH_RULES_MAX);
}

static struct mh_rule *add(struct mh_rule_table *t, const char *name,
			   enum mh_rule_zone zone)
{
	ssize_t i = mh_rules_add(t, name);

	assert_true(i >= 0);
	t->rule[i].has_zone = true;
	t->rule[i].zone = zone;
	return &t->rule[i];
}

static void test_match(void **state)
{
	const struct mh_device_facts v0 = {MH_DEV_VIRTIO_MEM, "virtio0", 0};
	const struct mh_device_facts v1n1 = {MH_DEV_VIRTIO_MEM, "virtio1", 1};
	const struct mh_device_facts dimm = {MH_DEV_DIMM, "PNP0C80:01", 1};
	const struct mh_device_facts dax = {MH_DEV_DAX, "dax0.0", 2};
	const struct mh_device_facts none = {MH_DEV_NONE, NULL, 0};
	const struct mh_device_facts none_empty = {MH_DEV_NONE, "", 0};
	struct mh_rule_table t;
	struct mh_rule *r;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(mh_rules_match(&t, &v0), -1);
	assert_int_equal(mh_rules_match(NULL, &v0), -1);

	/* 0: virtio1 on node 1 only */
	r = add(&t, "pin", MH_RULE_KERNEL);
	r->has_device = true;
	strcpy(r->device, "virtio1");
	r->has_node = true;
	r->node = 1;
	/* 1: all DIMMs (glob on ACPI names) */
	r = add(&t, "dimms", MH_RULE_MOVABLE);
	r->has_device = true;
	strcpy(r->device, "PNP0C80:*");
	/* 2: everything on node 2 */
	r = add(&t, "node2", MH_RULE_MOVABLE);
	r->has_node = true;
	r->node = 2;
	/* 3: memory of no device */
	r = add(&t, "probe", MH_RULE_KERNEL);
	r->has_type = true;
	r->type = MH_DEV_NONE;
	/* 4: catch-all virtio-mem with a glob that never sees NULL names */
	r = add(&t, "virtio", MH_RULE_AUTO);
	r->has_type = true;
	r->type = MH_DEV_VIRTIO_MEM;
	r->has_device = true;
	strcpy(r->device, "virtio[0-9]");

	assert_int_equal(mh_rules_match(&t, &v1n1), 0);
	assert_int_equal(mh_rules_match(&t, &dimm), 1);
	assert_int_equal(mh_rules_match(&t, &dax), 2);
	assert_int_equal(mh_rules_match(&t, &none), 3);
	assert_int_equal(mh_rules_match(&t, &none_empty), 3);
	assert_int_equal(mh_rules_match(&t, &v0), 4);
	/* virtio1 moved to node 0: not "pin" any more */
	{
		const struct mh_device_facts v1n0 = {MH_DEV_VIRTIO_MEM,
						     "virtio1", 0};
		const struct mh_device_facts v12 = {MH_DEV_VIRTIO_MEM,
						    "virtio12", 0};

		assert_int_equal(mh_rules_match(&t, &v1n0), 4);
		/* the glob must match the whole name */
		assert_int_equal(mh_rules_match(&t, &v12), -1);
	}
	/* a device match never matches memory of no device */
	assert_false(mh_rule_matches(&t.rule[1], &none));
	assert_false(mh_rule_matches(&t.rule[1], &none_empty));
	/* a rule without matches matches all */
	r = add(&t, "all", MH_RULE_AUTO);
	assert_true(mh_rule_matches(r, &none));
	assert_true(mh_rule_matches(r, &dax));
	assert_false(mh_rule_matches(NULL, &dax));
	assert_false(mh_rule_matches(r, NULL));
	/* first match wins: "all" is last, so nothing changes above */
	assert_int_equal(mh_rules_match(&t, &v0), 4);
	{
		const struct mh_device_facts v12 = {MH_DEV_VIRTIO_MEM,
						    "virtio12", 0};

		assert_int_equal(mh_rules_match(&t, &v12), 5);
	}
}

/* ---------- rules through the real inventory ---------- */

struct world {
	struct mh_inventory inv;
	struct mh_policy_config cfg;
};

static ssize_t add_device(struct world *w, const char *name,
			  enum mh_group_kind kind, uint64_t first_block,
			  uint64_t nr_blocks, uint64_t max_or_unit)
{
	ssize_t g =
		mh_inv_group_add(&w->inv, name, kind, 0, first_block * BP,
				 (first_block + nr_blocks) * BP, max_or_unit);

	assert_true(g >= 0);
	for (uint64_t i = 0; i < nr_blocks; i++) {
		struct mh_block *b =
			mh_inv_add_block(&w->inv, first_block + i, true);

		assert_non_null(b);
		assert_int_equal(mh_inv_set_node(&w->inv, b, 0), 0);
		mh_inv_set_group(&w->inv, b, g);
	}
	return g;
}

/*
 * Onlines blocks [first, first + n) in ascending order the way the daemon
 * does (request from the inventory, decision, state change) and writes
 * 'M'/'N' per block into layout.  If plain is set, every decision is also
 * taken with plain (same state, no rules) and must be identical to it
 * apart from the rule fields.
 */
static void online(struct world *w, uint64_t first, uint64_t n, char *layout,
		   const struct mh_policy_config *plain)
{
	for (uint64_t i = 0; i < n; i++) {
		struct mh_block *b = mh_inv_block(&w->inv, first + i);
		struct mh_block_request req;
		struct mh_policy_view view;
		struct mh_decision d, p;

		assert_non_null(b);
		assert_int_equal(
			mh_inv_block_request(&w->inv, b, NULL, 0, &req), 0);
		mh_inv_policy_view(&w->inv, &w->cfg, &view);
		mh_policy_decide(&view, &req, &d);
		if (plain) {
			mh_inv_policy_view(&w->inv, plain, &view);
			mh_policy_decide(&view, &req, &p);
			assert_false(d.rule_matched &&
				     d.rule_zone != MH_RULE_AUTO);
			memcpy(p.rule_name, d.rule_name, sizeof(p.rule_name));
			p.rule_matched = d.rule_matched;
			p.rule_zone = d.rule_zone;
			assert_memory_equal(&d, &p, sizeof(d));
		}
		layout[i] = d.target == MH_TARGET_MOVABLE ? 'M' : 'N';
		mh_inv_set_online(&w->inv, b,
				  d.target == MH_TARGET_MOVABLE
					  ? MH_ZONE_MOVABLE
					  : MH_ZONE_NORMAL,
				  MH_BY_MEMHOTD);
	}
	layout[n] = '\0';
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	assert_int_equal(mh_inv_init(&w->inv, BS), 0);
	/* 4 GiB of boot memory in kernel zones on node 0 */
	mh_inv_calibrate(&w->inv, 0, GIB_PAGES(4), 0, 0);
	w->cfg.policy = MH_POLICY_AUTO_MOVABLE;
	w->cfg.ratio = 301;
	w->cfg.numa_aware = true;
}

static void fill(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
}

/*
 * Four 4 GiB DIMMs with "every DIMM movable": the kernel's policy would put
 * the fourth in a kernel zone (doc/policy.md 5.3); the rule puts all 128
 * blocks in ZONE_MOVABLE.  A virtio-mem device plugged afterwards, matched
 * by no rule, sees MOVABLE = 16 GiB against a limit of 12.3 GiB and gets
 * kernel memory until its own kernel blocks pay for MOVABLE, exactly as the
 * plain policy computes from that state.
 */
static void test_inventory_dimms_movable(void **state)
{
	struct world w;
	struct mh_policy_config plain;
	char layout[256], want[256], name[32];
	struct mh_rule *r;

	(void)state;
	world_init(&w);
	plain = w.cfg;
	r = add(&w.cfg.rules, "dimms", MH_RULE_MOVABLE);
	r->has_type = true;
	r->type = MH_DEV_DIMM;

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "PNP0C80:%02d", i);
		add_device(&w, name, MH_GROUP_DIMM, 64 + 32 * (uint64_t)i, 32,
			   32 * BP);
	}
	add_device(&w, "virtio0", MH_GROUP_VIRTIO_MEM, 256, 16, BP);

	online(&w, 64, 128, layout, NULL);
	fill(want, 'M', 128);
	assert_string_equal(layout, want);
	assert_int_equal(w.inv.totals[0].movable, 128 * BP);

	/*
	 * MOVABLE 4194304 + 32768 needs 301% x KERNEL_EARLY >= 4227072, i.e.
	 * KERNEL_EARLY >= 1404343: the device's own kernel blocks count, so
	 * after 11 of them (1048576 + 11 x 32768 = 1409024, limit 4241162)
	 * one block fits, then the usual N M3.
	 */
	online(&w, 256, 16, layout, &plain);
	fill(want, 'N', 11);
	strcpy(want + 11, "MNMMM");
	assert_string_equal(layout, want);

	/* without the rule, the fourth DIMM goes to a kernel zone */
	mh_inv_free(&w.inv);
	world_init(&w);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "PNP0C80:%02d", i);
		add_device(&w, name, MH_GROUP_DIMM, 64 + 32 * (uint64_t)i, 32,
			   32 * BP);
	}
	online(&w, 64, 128, layout, NULL);
	fill(want, 'M', 96);
	fill(want + 96, 'N', 32);
	assert_string_equal(layout, want);
	mh_inv_free(&w.inv);
}

/*
 * Two DIMMs pinned to kernel zones by a rule: hot-added kernel memory of a
 * static group never raises the budget, so a virtio-mem device then gets
 * the layout of an empty machine, M96 N M3 ... (doc/policy.md 5.1); with
 * two DIMMs Movable it gets 32 Movable blocks less.  Both equal the plain
 * policy on the same state, decision for decision.
 */
static void test_inventory_dimms_kernel(void **state)
{
	struct world w;
	struct mh_policy_config plain;
	char layout[256], want[256];
	struct mh_rule *r;

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		world_init(&w);
		plain = w.cfg;
		r = add(&w.cfg.rules, "dimms",
			pass ? MH_RULE_MOVABLE : MH_RULE_KERNEL);
		r->has_device = true;
		strcpy(r->device, "PNP0C80:0[01]");
		add_device(&w, "PNP0C80:00", MH_GROUP_DIMM, 64, 32, 32 * BP);
		add_device(&w, "PNP0C80:01", MH_GROUP_DIMM, 96, 32, 32 * BP);
		add_device(&w, "virtio0", MH_GROUP_VIRTIO_MEM, 256, 104, BP);
		online(&w, 64, 64, layout, NULL);
		fill(want, pass ? 'M' : 'N', 64);
		assert_string_equal(layout, want);

		online(&w, 256, 104, layout, &plain);
		if (!pass) {
			/* M96 N M3 N M3 */
			fill(want, 'M', 96);
			strcpy(want + 96, "NMMMNMMM");
		} else {
			/*
			 * 3156213 - 2097152 leaves room for 32 blocks; then
			 * each kernel block's credit of 98631 pages pays for
			 * 3 more: M32 (N M3)*18
			 */
			fill(want, 'M', 32);
			for (int k = 0; k < 18; k++)
				strcpy(want + 32 + 4 * k, "NMMM");
		}
		assert_string_equal(layout, want);
		mh_inv_free(&w.inv);
	}
}

/* The request carries the device facts the rules match. */
static void test_request_facts(void **state)
{
	struct world w;
	struct mh_block_request req;
	struct mh_block *b;

	(void)state;
	world_init(&w);
	add_device(&w, "dax0.0", MH_GROUP_DAX, 64, 2, 2 * BP);
	b = mh_inv_add_block(&w.inv, 200, true);
	assert_int_equal(mh_inv_set_node(&w.inv, b, 0), 0);
	assert_int_equal(mh_inv_block_request(&w.inv, b, NULL, 0, &req), 0);
	assert_int_equal(req.dev_type, MH_DEV_NONE);
	assert_null(req.dev_name);
	assert_null(req.guard);
	assert_null(req.balloon);
	b = mh_inv_block(&w.inv, 65);
	assert_int_equal(mh_inv_block_request(&w.inv, b, NULL, 0, &req), 0);
	assert_int_equal(req.dev_type, MH_DEV_DAX);
	assert_string_equal(req.dev_name, "dax0.0");
	mh_inv_free(&w.inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_inventory_dimms_movable),
		cmocka_unit_test(test_inventory_dimms_kernel),
		cmocka_unit_test(test_request_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
