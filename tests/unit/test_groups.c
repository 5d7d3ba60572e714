// SPDX-License-Identifier: MIT
/*
 * groups.c: memory groups and the early/hotplugged classification from
 * literal facts.  Links only core modules (groups, inventory, policy,
 * rules, parse): no tree, no I/O.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "memhotd/groups.h"
#include "memhotd/util.h"

#define PG 4096ULL
#define BS (128ULL << 20)
#define BP (BS / PG)
#define GIB (1ULL << 30)

/*
 * A guest's /proc/iomem as parsed facts: boot RAM (0-2 GiB), a virtio-mem
 * device virtio0 at 4 GiB (1 GiB, two blocks plugged), a virtio-pci
 * virtio1 that is no memory device, a dax device with a kmem child of
 * 1.5 blocks + another range without children, and a DIMM's System RAM
 * at 16 GiB.
 */
static const struct mh_iomem_entry entries[] = {
	/* 0 */ {0, 2 * GIB - 1, 0, MH_IOMEM_SYSTEM_RAM, "System RAM", -1},
	/* 1 */ {4 * GIB, 5 * GIB - 1, 0, MH_IOMEM_VIRTIO, "virtio0", -1},
	/* 2 */
	{4 * GIB, 4 * GIB + 2 * BS - 1, 1, MH_IOMEM_SYSTEM_RAM_DRIVER,
	 "System RAM (virtio_mem)", 1},
	/* 3 */ {6 * GIB, 6 * GIB + 0xfff, 0, MH_IOMEM_VIRTIO, "virtio1", -1},
	/* 4 */ {8 * GIB, 9 * GIB - 1, 0, MH_IOMEM_DAX, "dax0.0", -1},
	/* 5 */
	{8 * GIB, 8 * GIB + BS + BS / 2 - 1, 1, MH_IOMEM_SYSTEM_RAM_DRIVER,
	 "System RAM (kmem)", 4},
	/* 6 */
	{10 * GIB, 10 * GIB + 2 * BS - 1, 0, MH_IOMEM_DAX, "dax0.0", -1},
	/* 7 */
	{16 * GIB, 17 * GIB - 1, 0, MH_IOMEM_SYSTEM_RAM, "System RAM", -1},
};
static const bool is_mem[] = {false, true,  false, false,
			      false, false, false, false};
static const struct mh_iomem io = {(struct mh_iomem_entry *)entries,
				   MH_ELEMENTSOF(entries), false};

static struct mh_group_facts facts(void)
{
	return (struct mh_group_facts){.io = &io,
				       .virtio_is_mem = is_mem,
				       .block_size = BS,
				       .page_size = PG};
}

static void test_virtio_unit_pages(void **state)
{
	static const struct {
		uint64_t bbm, want;
	} t[] = {
		{0, BP},	  /* SBM: one block */
		{BS, BP},	  /* not larger */
		{BS / 2, BP},	  /* smaller */
		{3 * BS, BP},	  /* not a power of two */
		{4 * BS, 4 * BP}, /* big blocks */
		{1ULL << 31, (1ULL << 31) / PG},
	};

	(void)state;
	for (size_t i = 0; i < MH_ELEMENTSOF(t); i++)
		assert_int_equal(mh_groups_virtio_unit_pages(t[i].bbm, BS, PG),
				 t[i].want);
}

static void test_from_entry(void **state)
{
	static const struct {
		size_t idx;
		int ret;
		const char *name;
		enum mh_group_kind kind;
		uint64_t start_pfn, end_pfn, pages;
	} t[] = {
		{0, -ENOENT, NULL, 0, 0, 0, 0}, /* boot RAM */
		{1, 0, "virtio0", MH_GROUP_VIRTIO_MEM, 4 * GIB / PG,
		 5 * GIB / PG, BP},
		{2, -ENOENT, NULL, 0, 0, 0, 0}, /* the child, not the device */
		{3, -ENOENT, NULL, 0, 0, 0, 0}, /* not virtio-mem */
		/* both ranges: the hull; kmem child 1 whole block + the
		 * childless range's 2 blocks */
		{4, 0, "dax0.0", MH_GROUP_DAX, 8 * GIB / PG,
		 (10 * GIB + 2 * BS) / PG, 3 * BP},
		{6, 0, "dax0.0", MH_GROUP_DAX, 8 * GIB / PG,
		 (10 * GIB + 2 * BS) / PG, 3 * BP},
		{7, -ENOENT, NULL, 0, 0, 0, 0},
	};
	struct mh_group_facts f = facts();

	(void)state;
	for (size_t i = 0; i < MH_ELEMENTSOF(t); i++) {
		struct mh_group_decl d;

		assert_int_equal(mh_groups_from_entry(&f, t[i].idx, &d),
				 t[i].ret);
		if (t[i].ret)
			continue;
		assert_string_equal(d.name, t[i].name);
		assert_int_equal(d.kind, t[i].kind);
		assert_int_equal(d.start_pfn, t[i].start_pfn);
		assert_int_equal(d.end_pfn, t[i].end_pfn);
		assert_int_equal(d.pages, t[i].pages);
		assert_int_equal(d.nid, -1);
	}
	/* Without device facts every virtioN is virtio-mem. */
	f.virtio_is_mem = NULL;
	{
		struct mh_group_decl d;

		assert_int_equal(mh_groups_from_entry(&f, 3, &d), 0);
		assert_string_equal(d.name, "virtio1");
	}
	/* big-block virtio-mem: the unit follows bbm_block_size */
	f.bbm_block_size = 4 * BS;
	{
		struct mh_group_decl d;

		assert_int_equal(mh_groups_from_entry(&f, 1, &d), 0);
		assert_int_equal(d.pages, 4 * BP);
	}
}

static void test_dimm_decl(void **state)
{
	static const struct {
		uint64_t addr;
		int bound;
		uint64_t start_pfn, end_pfn, pages;
	} t[] = {
		/* inside the DIMM's System RAM: that region */
		{16 * GIB + BS, 0, 16 * GIB / PG, 17 * GIB / PG, GIB / PG},
		/* more bound blocks than the region holds */
		{16 * GIB, 12, 16 * GIB / PG, 17 * GIB / PG, 12 * BP},
		/* no resource: the bound blocks */
		{32 * GIB, 3, 0, 0, 3 * BP},
		/* nothing known: one block */
		{32 * GIB, 0, 0, 0, BP},
	};
	struct mh_group_facts f = facts();

	(void)state;
	for (size_t i = 0; i < MH_ELEMENTSOF(t); i++) {
		struct mh_group_decl d;

		mh_groups_dimm_decl(&f, t[i].addr, "PNP0C80:00", 1, t[i].bound,
				    &d);
		assert_string_equal(d.name, "PNP0C80:00");
		assert_int_equal(d.kind, MH_GROUP_DIMM);
		assert_int_equal(d.nid, 1);
		assert_int_equal(d.start_pfn, t[i].start_pfn);
		assert_int_equal(d.end_pfn, t[i].end_pfn);
		assert_int_equal(d.pages, t[i].pages);
	}
}

static void test_apply(void **state)
{
	struct mh_inventory inv;
	struct mh_group_decl d = {"dax0.0", MH_GROUP_DAX, 10, 20, -1, 5};
	struct mh_group_decl dimm = {"PNP0C80:00", MH_GROUP_DIMM, 0, 0, 0, 8};
	ssize_t g;

	(void)state;
	mh_set_page_size(PG);
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	g = mh_groups_apply(&inv, &d);
	assert_true(g >= 0);
	/* refreshed: region and dax max_pages follow the facts */
	d.end_pfn = 30;
	d.pages = 3;
	assert_int_equal(mh_groups_apply(&inv, &d), g);
	assert_int_equal(inv.groups[g].end_pfn, 30);
	assert_int_equal(inv.gstats[g].max_pages, 3);
	/* a name taken by another kind */
	d.kind = MH_GROUP_VIRTIO_MEM;
	assert_int_equal(mh_groups_apply(&inv, &d), -1);
	/* a DIMM's max_pages only grows */
	g = mh_groups_apply(&inv, &dimm);
	assert_true(g >= 0);
	dimm.pages = 4;
	assert_int_equal(mh_groups_apply(&inv, &dimm), g);
	assert_int_equal(inv.gstats[g].max_pages, 8);
	dimm.pages = 9;
	assert_int_equal(mh_groups_apply(&inv, &dimm), g);
	assert_int_equal(inv.gstats[g].max_pages, 9);
	mh_inv_free(&inv);
}

static void test_resolve(void **state)
{
	static const struct {
		const char *what;
		uint64_t addr;
		bool with_dimm;
		struct mh_dimm_facts dimm;
		int ret;
		const char *group; /* NULL: ungrouped or unresolved */
	} t[] = {
		{"virtio-mem", 4 * GIB + BS, false, {0}, 0, "virtio0"},
		{"dax kmem", 8 * GIB, false, {0}, 0, "dax0.0"},
		{"boot RAM, iomem alone", BS, false, {0}, -ENOENT, NULL},
		{"boot RAM, no DIMM slots",
		 BS,
		 true,
		 {-ENOENT, "", 0, false},
		 0,
		 NULL},
		{"DIMM link late",
		 16 * GIB,
		 true,
		 {-ENOENT, "", 0, true},
		 -EAGAIN,
		 NULL},
		{"DIMM",
		 16 * GIB,
		 true,
		 {0, "PNP0C80:00", 8, true},
		 0,
		 "PNP0C80:00"},
		{"firmware node not a DIMM",
		 16 * GIB,
		 true,
		 {-ENODEV, "", 0, true},
		 0,
		 NULL},
	};
	struct mh_group_facts f = facts();

	(void)state;
	mh_set_page_size(PG);
	for (size_t i = 0; i < MH_ELEMENTSOF(t); i++) {
		struct mh_inventory inv;
		struct mh_block *b;
		int ret;

		assert_int_equal(mh_inv_init(&inv, BS), 0);
		b = mh_inv_add_block(&inv, t[i].addr / BS, true);
		assert_non_null(b);
		ret = mh_groups_resolve(&inv, &f, b,
					t[i].with_dimm ? &t[i].dimm : NULL);
		if (ret != t[i].ret)
			fail_msg("%s: %d, want %d", t[i].what, ret, t[i].ret);
		if (t[i].group) {
			assert_true(b->group >= 0);
			assert_string_equal(inv.groups[b->group].name,
					    t[i].group);
		} else {
			assert_int_equal(b->group, -1);
		}
		assert_int_equal(b->group_resolved, ret == 0);
		mh_inv_free(&inv);
	}
}

/* Without facts only the regions the inventory already knows count. */
static void test_resolve_known_regions(void **state)
{
	struct mh_inventory inv;
	struct mh_block *b;
	ssize_t g;

	(void)state;
	mh_set_page_size(PG);
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	g = mh_inv_group_add(&inv, "virtio3", MH_GROUP_VIRTIO_MEM, -1, 40 * BP,
			     48 * BP, BP);
	b = mh_inv_add_block(&inv, 41, true);
	assert_int_equal(mh_groups_resolve(&inv, NULL, b, NULL), 0);
	assert_int_equal(b->group, g);
	b = mh_inv_add_block(&inv, 50, true);
	assert_int_equal(mh_groups_resolve(&inv, NULL, b, NULL), -ENOENT);
	mh_inv_free(&inv);
}

static void test_from_iomem(void **state)
{
	struct mh_group_facts f = facts();
	struct mh_inventory inv;

	(void)state;
	mh_set_page_size(PG);
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	mh_groups_from_iomem(&inv, &f);
	assert_int_equal(inv.nr_groups, 2);
	assert_true(mh_inv_group_find(&inv, "virtio0") >= 0);
	assert_true(mh_inv_group_find(&inv, "dax0.0") >= 0);
	assert_true(mh_inv_group_find(&inv, "virtio1") < 0);
	mh_inv_free(&inv);
}

static void test_classify(void **state)
{
	static const struct {
		struct mh_class_facts f;
		enum mh_class_reason want;
	} t[] = {
		{{MH_BLOCK_ONLINE, false, false, false}, MH_CLASS_EARLY},
		{{MH_BLOCK_GOING_OFFLINE, false, false, false}, MH_CLASS_EARLY},
		{{MH_BLOCK_OFFLINE, false, false, false}, MH_CLASS_OFFLINE},
		{{MH_BLOCK_OFFLINE, true, true, true}, MH_CLASS_OFFLINE},
		{{MH_BLOCK_ONLINE, true, false, true}, MH_CLASS_RESOURCE},
		{{MH_BLOCK_ONLINE, false, true, true}, MH_CLASS_DIMM},
		{{MH_BLOCK_ONLINE, false, false, true}, MH_CLASS_PERSISTED},
	};
	enum mh_class_reason r;

	(void)state;
	for (size_t i = 0; i < MH_ELEMENTSOF(t); i++)
		assert_int_equal(mh_classify(&t[i].f), t[i].want);
	assert_string_equal(mh_class_reason_name(MH_CLASS_DIMM), "dimm");
	assert_string_equal(mh_class_reason_name(_MH_CLASS_REASON_MAX), "?");
	assert_int_equal(mh_class_reason_name_from("persisted", &r), 0);
	assert_int_equal(r, MH_CLASS_PERSISTED);
	assert_int_equal(mh_class_reason_name_from("nope", &r), -EINVAL);
}

static void test_in_hotplug_resource(void **state)
{
	static const struct {
		uint64_t addr;
		bool want;
	} t[] = {
		{BS, false},		  /* boot RAM */
		{4 * GIB, true},	  /* virtio-mem (its child) */
		{4 * GIB + 4 * BS, true}, /* virtio-mem, unplugged part */
		{6 * GIB, true},	  /* any virtioN resource */
		{8 * GIB, true},	  /* dax */
		{16 * GIB, false},	  /* a DIMM is plain System RAM */
		{3 * GIB, false},	  /* nothing */
	};

	(void)state;
	for (size_t i = 0; i < MH_ELEMENTSOF(t); i++)
		assert_int_equal(mh_iomem_in_hotplug_resource(&io, t[i].addr),
				 t[i].want);
	assert_false(mh_iomem_in_hotplug_resource(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtio_unit_pages),
		cmocka_unit_test(test_from_entry),
		cmocka_unit_test(test_dimm_decl),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_known_regions),
		cmocka_unit_test(test_from_iomem),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_in_hotplug_resource),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
