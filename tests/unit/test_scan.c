// SPDX-License-Identifier: MIT
/* sysfs access and scanning, on simulated trees (simtree.h) and on trees
 * rebuilt from the real 6.1 captures in tests/data/captures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "memhotd/parse.h"
#include "memhotd/scan.h"
#include "memhotd/sysfs.h"
#include "simtree.h"

#define BS (128ULL << 20)
#define BP 32768ULL
#define KE_Q35 1048446ULL /* DMA 3998 + DMA32 520160 + Normal 524288 */
#define BOOT_A "8d3a6f0c-2b7e-4c41-9a55-0f1e2d3c4b5a"
#define BOOT_B "11111111-2222-4333-8444-555555555555"

static const char *data_dir(void)
{
	const char *d = getenv("MEMHOTD_TEST_DATA");

	return d && *d ? d : "tests/data";
}

/* The top of a 4 GiB q35 guest's /proc/iomem, up to the boot RAM above
 * 4 GiB (blocks 32-47). */
static const char q35_iomem[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"0009fc00-000fffff : Reserved\n"
	"  000a0000-000bffff : PCI Bus 0000:00\n"
	"  000c0000-000c7fff : Video ROM\n"
	"  000f0000-000fffff : System ROM\n"
	"00100000-7ffdffff : System RAM\n"
	"  01000000-01e01d31 : Kernel code\n"
	"  02000000-028eafff : Kernel rodata\n"
	"  02a00000-02c4897f : Kernel data\n"
	"  03310000-043fffff : Kernel bss\n"
	"7ffe0000-7fffffff : Reserved\n"
	"80000000-afffffff : PCI Bus 0000:00\n"
	"b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]\n"
	"  b0000000-bfffffff : Reserved\n"
	"c0000000-febfffff : PCI Bus 0000:00\n"
	"  febf8000-febfbfff : 0000:00:01.0\n"
	"    febf8000-febfbfff : virtio-pci-modern\n"
	"fec00000-fec003ff : IOAPIC 0\n"
	"fee00000-fee00fff : Local APIC\n"
	"fffc0000-ffffffff : Reserved\n"
	"100000000-17fffffff : System RAM\n";

struct zone_args {
	uint64_t normal_extra;	/* hotplugged pages in Normal */
	uint64_t movable;	/* ZONE_MOVABLE present */
	uint64_t movable_start; /* its start_pfn */
	uint64_t cma;		/* in DMA32 */
};

/* One-node q35 zoneinfo, boot memory plus what the test onlined. */
static void q35_zoneinfo(const struct simtree *t, const struct zone_args *a)
{
	struct st_zone z[] = {
		{0, "DMA", 1, 4095, 3998, 3840, 0},
		{0, "DMA32", 4096, 1044480, 520160, 504536, a->cma},
		{0, "Normal", 1048576, 524288 + a->normal_extra,
		 524288 + a->normal_extra, 505108, 0},
		{0, "Movable", a->movable_start, a->movable, a->movable,
		 a->movable, 0},
		{0, "Device", 0, 0, 0, 0, 0},
	};

	st_zoneinfo(t, z, 5);
}

/* 4 GiB q35: blocks 0 (none), 1-15 (DMA32), 32-47 (Normal), node0. */
static void q35_boot(struct simtree *t, const char *boot_id,
		     const char *iomem_extra)
{
	struct zone_args za = {0};
	char *iomem;

	st_init(t);
	st_block_size(t, BS);
	st_boot_id(t, boot_id);
	st_block(t, 0, "online", "none", 0);
	st_blocks(t, 1, 15, "online", "DMA32", 0);
	st_blocks(t, 32, 47, "online", "Normal", 0);
	st_put(t, "sys/module/virtio_mem/parameters/force_bbm", "N\n");
	st_put(t, "sys/module/virtio_mem/parameters/bbm_block_size", "0\n");
	assert_true(asprintf(&iomem, "%s%s", q35_iomem,
			     iomem_extra ? iomem_extra : "") > 0);
	st_put(t, "proc/iomem", iomem);
	free(iomem);
	q35_zoneinfo(t, &za);
}

static void open_root(const struct simtree *t, struct mh_root *r)
{
	assert_int_equal(mh_root_open(r, t->root), 0);
}

static char *read_tree(const struct simtree *t, const char *rel)
{
	char p[PATH_MAX];
	FILE *f;
	char *buf = calloc(1, 65536);

	st_abs(t, rel, p, sizeof(p));
	f = fopen(p, "r");
	if (!f) {
		free(buf);
		return NULL;
	}
	assert_true(fread(buf, 1, 65535, f) < 65535);
	fclose(f);
	return buf;
}

/* ---- sysfs.c ---- */

static void test_sysfs_basics(void **state)
{
	struct simtree t;
	struct mh_root r;
	char buf[64], name[32], *all;
	size_t len;
	uint64_t v, *ids;
	size_t n;
	enum mh_block_state s;
	enum mh_zone z;
	int nid;

	(void)state;
	assert_int_equal(mh_root_open(&r, "/nonexistent/memhotd-root"),
			 -ENOENT);
	q35_boot(&t, BOOT_A, NULL);
	open_root(&t, &r);
	assert_string_equal(r.path, t.root);

	assert_int_equal(mh_sysfs_block_size(&r, &v), 0);
	assert_int_equal(v, BS);
	assert_int_equal(mh_read_small(&r, "proc/sys/kernel/random/boot_id",
				       buf, sizeof(buf)),
			 strlen(BOOT_A) + 1);
	assert_int_equal(mh_sysfs_boot_id(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, BOOT_A);
	/* too small a buffer */
	assert_int_equal(
		mh_read_small(&r, "proc/sys/kernel/random/boot_id", buf, 8),
		-EFBIG);
	assert_int_equal(mh_read_small(&r, "nope", buf, sizeof(buf)), -ENOENT);
	/* a leading slash stays below the root */
	assert_int_equal(mh_read_small(&r,
				       "/" MH_SYSFS_MEMORY "/block_size_bytes",
				       buf, sizeof(buf)),
			 8);
	assert_int_equal(mh_read_all(&r, "proc/iomem", &all, &len), 0);
	assert_int_equal(len, strlen(q35_iomem));
	assert_string_equal(all, q35_iomem);
	free(all);
	assert_int_equal(mh_read_all(&r, "proc/nope", &all, &len), -ENOENT);
	/* big files grow the buffer; empty ones are fine */
	{
		char *big = malloc(100001);
		size_t i;

		for (i = 0; i < 100000; i++)
			big[i] = (char)('a' + i % 26);
		big[100000] = '\0';
		st_put(&t, "proc/big", big);
		assert_int_equal(mh_read_all(&r, "proc/big", &all, &len), 0);
		assert_int_equal(len, 100000);
		assert_memory_equal(all, big, 100001);
		free(all);
		free(big);
		st_put(&t, "proc/empty", "");
		assert_int_equal(mh_read_all(&r, "proc/empty", &all, &len), 0);
		assert_int_equal(len, 0);
		assert_string_equal(all, "");
		free(all);
	}

	/* writes: errno of open or write */
	assert_int_equal(
		mh_write_attr(&r, MH_SYSFS_MEMORY "/memory40/state", "offline"),
		0);
	assert_int_equal(mh_sysfs_block_state(&r, 40, &s), 0);
	assert_int_equal(s, MH_BLOCK_OFFLINE);
	assert_int_equal(
		mh_write_attr(&r, MH_SYSFS_MEMORY "/memory99/state", "online"),
		-ENOENT);
	assert_int_equal(
		mh_write_attr(&r, MH_SYSFS_MEMORY "/memory40", "online"),
		-EISDIR);
	assert_true(mh_path_exists(&r, MH_SYSFS_MEMORY "/memory40/node0"));
	assert_false(mh_path_exists(&r, MH_SYSFS_MEMORY "/memory40/node1"));

	/* state, node, zone */
	assert_int_equal(mh_sysfs_block_state(&r, 1, &s), 0);
	assert_int_equal(s, MH_BLOCK_ONLINE);
	assert_int_equal(mh_sysfs_block_state(&r, 20, &s), -ENOENT);
	assert_int_equal(mh_sysfs_block_node(&r, 1, &nid), 0);
	assert_int_equal(nid, 0);
	assert_int_equal(mh_sysfs_block_node(&r, 20, &nid), -ENODEV);
	st_block(&t, 48, "offline", NULL, -1);
	assert_int_equal(mh_sysfs_block_node(&r, 48, &nid), -ENOENT);
	st_block(&t, 48, "offline", NULL, 3);
	assert_int_equal(mh_sysfs_block_node(&r, 48, &nid), 0);
	assert_int_equal(nid, 3);
	assert_int_equal(mh_sysfs_online_zone(&r, 0, &z), 0);
	assert_int_equal(z, MH_ZONE_NONE);
	assert_int_equal(mh_sysfs_online_zone(&r, 5, &z), 0);
	assert_int_equal(z, MH_ZONE_DMA32);
	/* an offline block: -EBUSY without reading valid_zones (which
	 * does not even exist here) */
	assert_int_equal(mh_sysfs_online_zone(&r, 48, &z), -EBUSY);
	assert_int_equal(mh_sysfs_online_zone(&r, 40, &z), -EBUSY);
	assert_int_equal(mh_sysfs_online_zone(&r, 20, &z), -ENOENT);

	/* DIMMs */
	assert_false(mh_sysfs_has_dimm_slots(&r));
	assert_int_equal(mh_sysfs_block_dimm(&r, 48, name, sizeof(name)),
			 -ENOENT);
	st_dimm_slot(&t, "PNP0C80:01");
	assert_true(mh_sysfs_has_dimm_slots(&r));
	assert_int_equal(mh_sysfs_dimm_bound_blocks(&r, "PNP0C80:01"), 0);
	st_dimm_bind(&t, "PNP0C80:01", 48, 50);
	assert_int_equal(mh_sysfs_block_dimm(&r, 48, name, sizeof(name)), 0);
	assert_string_equal(name, "PNP0C80:01");
	assert_int_equal(mh_sysfs_block_dimm(&r, 48, name, 4), -ENOBUFS);
	assert_int_equal(mh_sysfs_dimm_bound_blocks(&r, "PNP0C80:01"), 3);
	assert_int_equal(mh_sysfs_dimm_bound_blocks(&r, "PNP0C80:07"), -ENOENT);
	assert_int_equal(mh_sysfs_dimm_bound_blocks(&r, "../x"), -EINVAL);
	/* a firmware node that is no DIMM */
	st_put(&t, ST_ACPI_PARENT "/ACPI0004:00/hid", "ACPI0004\n");
	st_symlink(&t,
		   "../../../LNXSYSTM:00/LNXSYBUS:00/PNP0A06:04/"
		   "ACPI0004:00",
		   ST_MEM "/memory49/firmware_node");
	assert_int_equal(mh_sysfs_block_dimm(&r, 49, name, sizeof(name)),
			 -ENODEV);
	/* not a link at all */
	st_put(&t, ST_MEM "/memory51/firmware_node", "x\n");
	assert_int_equal(mh_sysfs_block_dimm(&r, 51, name, sizeof(name)),
			 -ENODEV);

	/* listing: numeric order, other entries ignored */
	st_block(&t, 100, "offline", NULL, 0);
	st_block(&t, 99, "offline", NULL, 0);
	st_put(&t, ST_MEM "/memory_junk", "x\n");
	assert_int_equal(mh_sysfs_list_blocks(&r, &ids, &n), 0);
	assert_int_equal(n, 16 + 16 + 4 + 2);
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[15], 15);
	assert_int_equal(ids[16], 32);
	assert_int_equal(ids[n - 2], 99);
	assert_int_equal(ids[n - 1], 100);
	free(ids);
	mh_root_close(&r);
	mh_root_close(&r);
	st_destroy(&t);
}

/* ---- full scans ---- */

static void check_block(const struct mh_inventory *inv, uint64_t id,
			enum mh_block_state s, enum mh_zone z, int nid,
			bool hot)
{
	const struct mh_block *b = mh_inv_block(inv, id);

	if (!b)
		fail_msg("block %llu missing", (unsigned long long)id);
	assert_int_equal(b->state, s);
	if (s == MH_BLOCK_ONLINE)
		assert_int_equal(b->zone, z);
	assert_int_equal(b->nid, nid);
	if (b->hotplugged != hot)
		fail_msg("block %llu: hotplugged %d", (unsigned long long)id,
			 b->hotplugged);
}

static void test_scan_q35_boot(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	char *cls;
	uint64_t id;

	(void)state;
	q35_boot(&t, BOOT_A, NULL);
	open_root(&t, &r);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	assert_int_equal(inv.block_pages, BP);
	assert_int_equal(inv.nr_blocks, 32);
	check_block(&inv, 0, MH_BLOCK_ONLINE, MH_ZONE_NONE, 0, false);
	check_block(&inv, 1, MH_BLOCK_ONLINE, MH_ZONE_DMA32, 0, false);
	check_block(&inv, 47, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, false);
	assert_null(mh_inv_block(&inv, 16));
	for (id = 0; id < 48; id = id == 15 ? 32 : id + 1) {
		const struct mh_block *b = mh_inv_block(&inv, id);

		assert_int_equal(b->group, -1);
		assert_true(b->group_resolved);
		assert_int_equal(b->onlined_by, MH_BY_BOOT);
		assert_true(b->first_seen_usec > 0);
	}
	assert_int_equal(inv.nr_groups, 0);
	assert_int_equal(inv.nr_nodes, 1);
	assert_true(inv.totals[0].present);
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35);
	assert_int_equal(inv.totals[0].movable, 0);
	assert_false(inv.needs_calibration);
	assert_int_equal(inv.nodes[0].nr_online, 32);
	/* the classification was saved: boot_id, no hotplugged block */
	cls = read_tree(&t, "run/memhotd/classification");
	assert_non_null(cls);
	assert_string_equal(cls, BOOT_A "\n");
	free(cls);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

/* q35 + virtio0 (32 GiB region at block 48, 2 GiB plugged): 48-59 online
 * Movable, 60-61 online Normal, 62-63 offline. */
static void virtio_tree(struct simtree *t, const char *boot_id)
{
	struct zone_args za = {2 * BP, 12 * BP, 48 * BP, 0};

	q35_boot(t, boot_id,
		 "180000000-97fffffff : virtio0\n"
		 "  180000000-1ffffffff : System RAM (virtio_mem)\n");
	st_virtio(t, "virtio0", 0x18);
	st_blocks(t, 48, 59, "online", "Movable", 0);
	st_blocks(t, 60, 61, "online", "Normal", 0);
	st_blocks(t, 62, 63, "offline", NULL, 0);
	q35_zoneinfo(t, &za);
}

static void test_scan_virtio(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	const struct mh_group_stats *gs;
	const struct mh_group *g;
	ssize_t gi;
	uint64_t id;
	char *cls;

	(void)state;
	virtio_tree(&t, BOOT_A);
	open_root(&t, &r);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	assert_int_equal(inv.nr_blocks, 48);
	gi = mh_inv_group_find(&inv, "virtio0");
	assert_true(gi >= 0);
	g = &inv.groups[gi];
	gs = &inv.gstats[gi];
	assert_int_equal(g->kind, MH_GROUP_VIRTIO_MEM);
	assert_int_equal(g->start_pfn, 48 * BP);
	assert_int_equal(g->end_pfn, 304 * BP);
	assert_true(gs->alive && gs->dynamic);
	assert_int_equal(gs->unit_pages, BP);
	assert_int_equal(gs->nid, 0);
	assert_int_equal(gs->present_movable, 12 * BP);
	assert_int_equal(gs->present_kernel, 2 * BP);
	assert_int_equal(g->nr_blocks, 16);
	assert_int_equal(g->nr_online, 14);
	assert_int_equal(g->nr_movable, 12);
	for (id = 48; id < 64; id++) {
		const struct mh_block *b = mh_inv_block(&inv, id);

		assert_true(b->hotplugged);
		assert_int_equal(b->group, gi);
		assert_int_equal(b->onlined_by, MH_BY_UNKNOWN);
	}
	check_block(&inv, 59, MH_BLOCK_ONLINE, MH_ZONE_MOVABLE, 0, true);
	check_block(&inv, 60, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, true);
	check_block(&inv, 63, MH_BLOCK_OFFLINE, MH_ZONE_UNKNOWN, 0, true);
	/* KE excludes the hotplugged Normal blocks: H(0) = 2 blocks */
	assert_int_equal(inv.nodes[0].hot_kernel, 2 * BP);
	assert_int_equal(inv.nodes[0].hot_movable, 12 * BP);
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35);
	assert_int_equal(inv.totals[0].movable, 12 * BP);
	cls = read_tree(&t, "run/memhotd/classification");
	assert_string_equal(cls, BOOT_A "\n48-63\n");
	free(cls);
	/* zone spans from zoneinfo (contig-zones) */
	assert_int_equal(inv.nodes[0].spans[MH_ZONE_DMA].start_pfn, 1);
	assert_int_equal(inv.nodes[0].spans[MH_ZONE_DMA].end_pfn, 4096);
	assert_int_equal(inv.nodes[0].spans[MH_ZONE_MOVABLE].start_pfn,
			 48 * BP);
	assert_int_equal(inv.nodes[0].spans[MH_ZONE_MOVABLE].end_pfn, 60 * BP);
	mh_inv_free(&inv);

	/* BBM units: bbm_block_size a power of two above the block size */
	st_put(&t, "sys/module/virtio_mem/parameters/bbm_block_size",
	       "536870912\n");
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	gi = mh_inv_group_find(&inv, "virtio0");
	assert_int_equal(inv.gstats[gi].unit_pages, 4 * BP);
	mh_inv_free(&inv);
	/* not a power of two, or force_bbm alone: one block */
	st_put(&t, "sys/module/virtio_mem/parameters/bbm_block_size",
	       "402653184\n");
	st_put(&t, "sys/module/virtio_mem/parameters/force_bbm", "Y\n");
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	gi = mh_inv_group_find(&inv, "virtio0");
	assert_int_equal(inv.gstats[gi].unit_pages, BP);
	mh_inv_free(&inv);

	/* a virtioN resource of another device type is no group, but its
	 * blocks are still hotplugged (doc/inputs.md 4.1 rule 2) */
	st_virtio(&t, "virtio0", 0x1);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	assert_int_equal(mh_inv_group_find(&inv, "virtio0"), -1);
	check_block(&inv, 60, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, true);
	assert_int_equal(mh_inv_block(&inv, 60)->group, -1);
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

static void test_scan_dimm(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	struct zone_args za = {0, 32 * BP, 48 * BP, 0};
	struct mh_block *b;
	ssize_t gi;
	uint64_t id;

	(void)state;
	/* DIMM 0 (4 GiB, blocks 48-79) bound and online Movable; slot 1
	 * empty */
	q35_boot(&t, BOOT_A, "180000000-27fffffff : System RAM\n");
	st_blocks(&t, 48, 79, "online", "Movable", 0);
	st_dimm_bind(&t, "PNP0C80:00", 48, 79);
	st_dimm_slot(&t, "PNP0C80:01");
	q35_zoneinfo(&t, &za);
	open_root(&t, &r);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	gi = mh_inv_group_find(&inv, "PNP0C80:00");
	assert_true(gi >= 0);
	assert_int_equal(inv.groups[gi].kind, MH_GROUP_DIMM);
	assert_false(inv.gstats[gi].dynamic);
	assert_int_equal(inv.gstats[gi].max_pages, 32 * BP);
	assert_int_equal(inv.gstats[gi].present_movable, 32 * BP);
	assert_int_equal(inv.gstats[gi].nid, 0);
	assert_int_equal(inv.groups[gi].start_pfn, 48 * BP);
	/* rule 3: DIMM blocks are hotplugged although online at start */
	check_block(&inv, 48, MH_BLOCK_ONLINE, MH_ZONE_MOVABLE, 0, true);
	check_block(&inv, 79, MH_BLOCK_ONLINE, MH_ZONE_MOVABLE, 0, true);
	/* boot blocks: ungrouped and resolved although slots exist */
	assert_true(mh_inv_block(&inv, 1)->group_resolved);
	assert_int_equal(mh_inv_block(&inv, 1)->group, -1);
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35);
	assert_int_equal(inv.totals[0].movable, 32 * BP);

	/* DIMM 1 arrives: its blocks come without links (doc/inputs.md 6.2) */
	for (id = 80; id < 112; id++) {
		st_block(&t, id, "offline", NULL, -1);
		assert_int_equal(mh_scan_block(&r, &inv, id, true), 0);
		b = mh_inv_block(&inv, id);
		assert_non_null(b);
		assert_true(b->hotplugged);
		assert_int_equal(b->nid, -1);
		assert_false(b->group_resolved);
		assert_int_equal(mh_scan_resolve_group(&r, &inv, b), -EAGAIN);
	}
	/* the links appear once the whole DIMM was added */
	st_put(&t, "proc/iomem",
	       "100000000-17fffffff : System RAM\n"
	       "180000000-27fffffff : System RAM\n"
	       "280000000-37fffffff : System RAM\n");
	st_blocks(&t, 80, 111, "offline", NULL, 0);
	st_dimm_bind(&t, "PNP0C80:01", 80, 111);
	for (id = 80; id < 112; id++) {
		assert_int_equal(mh_scan_block(&r, &inv, id, true), 0);
		b = mh_inv_block(&inv, id);
		assert_int_equal(b->nid, 0);
		assert_true(b->group_resolved);
	}
	gi = mh_inv_group_find(&inv, "PNP0C80:01");
	assert_true(gi >= 0);
	assert_int_equal(inv.gstats[gi].max_pages, 32 * BP);
	assert_int_equal(inv.groups[gi].nr_blocks, 32);
	assert_int_equal(inv.gstats[gi].nid, 0);
	/* an ungrouped hotplugged block without DIMM slots: resolved -1 */
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

static void test_scan_dax_two_nodes(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	struct st_zone z[] = {
		{0, "DMA", 1, 4095, 3998, 3840, 0},
		{0, "DMA32", 4096, 1044480, 520160, 504536, 0},
		{0, "Normal", 0, 0, 0, 0, 0},
		{0, "Movable", 48 * BP, 4 * BP, 4 * BP, 4 * BP, 0},
		{0, "Device", 0, 0, 0, 0, 0},
		{1, "DMA", 0, 0, 0, 0, 0},
		{1, "DMA32", 0, 0, 0, 0, 0},
		{1, "Normal", 1048576, 524288 + 8 * BP, 524288 + 2 * BP, 507001,
		 0},
		{1, "Movable", 240 * BP, 2 * BP, 2 * BP, 2 * BP, 0},
		{1, "Device", 0, 0, 0, 0, 0},
	};
	ssize_t v0, v1, dx;

	(void)state;
	st_init(&t);
	st_block_size(&t, BS);
	st_boot_id(&t, BOOT_A);
	st_block(&t, 0, "online", "none", 0);
	st_blocks(&t, 1, 15, "online", "DMA32", 0);
	st_blocks(&t, 32, 47, "online", "Normal", 1);
	st_blocks(&t, 48, 51, "online", "Movable", 0);
	st_blocks(&t, 240, 241, "online", "Movable", 1);
	st_blocks(&t, 242, 243, "offline", NULL, 1);
	/* dax0.0 (1 GiB on node 1): 2 blocks Normal, 6 offline */
	st_blocks(&t, 400, 401, "online", "Normal", 1);
	st_blocks(&t, 402, 407, "offline", NULL, 1);
	st_printf(&t, "proc/iomem",
		  "%s"
		  "180000000-77fffffff : virtio0\n"
		  "  180000000-1ffffffff : System RAM (virtio_mem)\n"
		  "780000000-9ffffffff : virtio1\n"
		  "  780000000-7ffffffff : System RAM (virtio_mem)\n"
		  "c80000000-cbfffffff : dax0.0\n"
		  "  c80000000-cbfffffff : System RAM (kmem)\n",
		  q35_iomem);
	/* no sys/bus/virtio in this tree: accepted by name */
	st_zoneinfo(&t, z, sizeof(z) / sizeof(z[0]));
	open_root(&t, &r);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	v0 = mh_inv_group_find(&inv, "virtio0");
	v1 = mh_inv_group_find(&inv, "virtio1");
	dx = mh_inv_group_find(&inv, "dax0.0");
	assert_true(v0 >= 0 && v1 >= 0 && dx >= 0);
	assert_int_equal(inv.gstats[v0].nid, 0);
	assert_int_equal(inv.gstats[v1].nid, 1);
	assert_int_equal(inv.gstats[dx].nid, 1);
	assert_int_equal(inv.groups[dx].kind, MH_GROUP_DAX);
	assert_false(inv.gstats[dx].dynamic);
	assert_int_equal(inv.gstats[dx].max_pages, 8 * BP);
	assert_int_equal(inv.gstats[dx].present_kernel, 2 * BP);
	assert_int_equal(inv.groups[v1].nr_blocks, 4);
	check_block(&inv, 32, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 1, false);
	check_block(&inv, 400, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 1, true);
	assert_int_equal(inv.nr_nodes, 2);
	assert_int_equal(inv.totals[0].kernel_early, 3998 + 520160);
	assert_int_equal(inv.totals[0].movable, 4 * BP);
	/* node1: Normal 524288 + the 2 dax blocks */
	assert_int_equal(inv.totals[1].kernel_early, 524288);
	assert_int_equal(inv.nodes[1].hot_kernel, 2 * BP);
	assert_int_equal(inv.totals[1].movable, 2 * BP);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

static void test_scan_classification(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	struct zone_args za = {7 * BP, 0, 0, 0};
	char *cls;

	(void)state;
	/* ungrouped hotplugged memory (no iomem device, no DIMM): blocks
	 * 64-70 offline at the first start */
	q35_boot(&t, BOOT_A, NULL);
	st_blocks(&t, 64, 70, "offline", NULL, 0);
	open_root(&t, &r);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	check_block(&inv, 64, MH_BLOCK_OFFLINE, MH_ZONE_UNKNOWN, 0, true);
	assert_int_equal(mh_inv_block(&inv, 64)->group, -1);
	assert_true(mh_inv_block(&inv, 64)->group_resolved);
	mh_inv_free(&inv);
	cls = read_tree(&t, "run/memhotd/classification");
	assert_string_equal(cls, BOOT_A "\n64-70\n");
	free(cls);

	/* someone onlines them Normal; memhotd restarts, same boot: the
	 * persisted classification keeps them hotplugged */
	st_blocks(&t, 64, 70, "online", "Normal", 0);
	q35_zoneinfo(&t, &za);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	check_block(&inv, 64, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, true);
	check_block(&inv, 70, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, true);
	assert_int_equal(inv.nodes[0].hot_kernel, 7 * BP);
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35);
	mh_inv_free(&inv);

	/* another boot: the file is ignored and online blocks are early */
	st_boot_id(&t, BOOT_B);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	check_block(&inv, 64, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, false);
	assert_int_equal(inv.nodes[0].hot_kernel, 0);
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35 + 7 * BP);
	mh_inv_free(&inv);
	cls = read_tree(&t, "run/memhotd/classification");
	assert_string_equal(cls, BOOT_B "\n");
	free(cls);

	/* a corrupt file is ignored */
	st_put(&t, "run/memhotd/classification", BOOT_B "\n64-x\n");
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	check_block(&inv, 64, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, false);
	mh_inv_free(&inv);
	/* a listed block that is gone is simply absent; an offline one not
	 * listed is hotplugged (rule 1) */
	st_put(&t, "run/memhotd/classification", BOOT_B "\n64\n66-67\n900\n");
	st_block(&t, 68, "offline", NULL, 0);
	q35_zoneinfo(&t, &(struct zone_args){6 * BP, 0, 0, 0});
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	check_block(&inv, 64, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, true);
	check_block(&inv, 65, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, false);
	check_block(&inv, 66, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, true);
	check_block(&inv, 67, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, true);
	check_block(&inv, 68, MH_BLOCK_OFFLINE, MH_ZONE_UNKNOWN, 0, true);
	check_block(&inv, 69, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, false);
	assert_null(mh_inv_block(&inv, 900));
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35 + 3 * BP);
	mh_inv_free(&inv);
	cls = read_tree(&t, "run/memhotd/classification");
	assert_string_equal(cls, BOOT_B "\n64\n66-68\n");
	free(cls);
	mh_root_close(&r);
	st_destroy(&t);
}

static void test_parse_classification(void **state)
{
	struct mh_id_range *rg;
	size_t n;
	static const char ok[] = "abc\n48-175\n200\n, 180-181\n";

	(void)state;
	assert_int_equal(mh_scan_parse_classification(ok, sizeof(ok) - 1, "abc",
						      &rg, &n),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(rg[0].first, 48);
	assert_int_equal(rg[0].last, 175);
	assert_int_equal(rg[1].first, 180);
	assert_int_equal(rg[2].first, 200);
	assert_int_equal(rg[2].last, 200);
	free(rg);
	assert_int_equal(
		mh_scan_parse_classification("abc\n", 4, "abc", &rg, &n), 0);
	assert_int_equal(n, 0);
	free(rg);
	assert_int_equal(mh_scan_parse_classification(ok, sizeof(ok) - 1, "abd",
						      &rg, &n),
			 -ESTALE);
	assert_int_equal(
		mh_scan_parse_classification(ok, sizeof(ok) - 1, "ab", &rg, &n),
		-ESTALE);
	assert_int_equal(mh_scan_parse_classification("abc", 3, "abc", &rg, &n),
			 -EINVAL);
	assert_int_equal(mh_scan_parse_classification("", 0, "abc", &rg, &n),
			 -EINVAL);
	assert_int_equal(
		mh_scan_parse_classification("abc\n5-3\n", 8, "abc", &rg, &n),
		-EINVAL);
	assert_int_equal(mh_scan_parse_classification("abc\n1-5\n4\n", 10,
						      "abc", &rg, &n),
			 -EINVAL);
	assert_int_equal(
		mh_scan_parse_classification("abc\n-5\n", 7, "abc", &rg, &n),
		-EINVAL);
	assert_int_equal(
		mh_scan_parse_classification("abc\n99999999999999999999\n", 25,
					     "abc", &rg, &n),
		-EINVAL);
}

static void test_scan_block_events(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	struct mh_block *b;
	ssize_t v0, v1;

	(void)state;
	virtio_tree(&t, BOOT_A);
	open_root(&t, &r);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	v0 = mh_inv_group_find(&inv, "virtio0");

	/* add: no node link yet; the group comes from the known region even
	 * without /proc/iomem */
	st_unlink(&t, "proc/iomem");
	st_block(&t, 64, "offline", NULL, -1);
	assert_int_equal(mh_scan_block(&r, &inv, 64, true), 0);
	b = mh_inv_block(&inv, 64);
	assert_non_null(b);
	assert_true(b->hotplugged);
	assert_int_equal(b->nid, -1);
	assert_int_equal(b->group, v0);
	assert_true(b->group_resolved);
	assert_true(b->first_seen_usec > 0);
	assert_int_equal(inv.groups[v0].nr_blocks, 17);
	/* the node link appears */
	st_block(&t, 64, "offline", NULL, 0);
	assert_int_equal(mh_scan_block(&r, &inv, 64, true), 0);
	assert_int_equal(b->nid, 0);
	assert_int_equal(inv.nodes[0].nr_offline, 3);
	/* someone onlines it Movable */
	st_block(&t, 64, "online", "Movable", 0);
	assert_int_equal(mh_scan_block(&r, &inv, 64, true), 0);
	assert_int_equal(b->state, MH_BLOCK_ONLINE);
	assert_int_equal(b->zone, MH_ZONE_MOVABLE);
	assert_int_equal(inv.totals[0].movable, 13 * BP);
	assert_int_equal(inv.gstats[v0].present_movable, 13 * BP);
	/* going-offline keeps an online block online */
	st_block(&t, 64, "going-offline", NULL, 0);
	assert_int_equal(mh_scan_block(&r, &inv, 64, true), 0);
	assert_int_equal(b->state, MH_BLOCK_ONLINE);
	st_block(&t, 64, "offline", NULL, 0);
	assert_int_equal(mh_scan_block(&r, &inv, 64, true), 0);
	assert_int_equal(b->state, MH_BLOCK_OFFLINE);
	assert_int_equal(inv.totals[0].movable, 12 * BP);
	/* an existing block keeps its classification */
	assert_int_equal(mh_scan_block(&r, &inv, 5, true), 0);
	assert_false(mh_inv_block(&inv, 5)->hotplugged);

	/* removed: -ENOENT, the inventory is left to the caller */
	st_destroy(&t);
	assert_int_equal(mh_scan_block(&r, &inv, 64, true), -ENOENT);
	assert_non_null(mh_inv_block(&inv, 64));
	mh_inv_free(&inv);
	mh_root_close(&r);

	/* a device that appeared after the full scan: iomem is re-read */
	virtio_tree(&t, BOOT_A);
	open_root(&t, &r);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	st_printf(&t, "proc/iomem",
		  "%s"
		  "180000000-97fffffff : virtio0\n"
		  "  180000000-1ffffffff : System RAM (virtio_mem)\n"
		  "980000000-117fffffff : virtio1\n"
		  "  980000000-987ffffff : System RAM (virtio_mem)\n",
		  q35_iomem);
	st_virtio(&t, "virtio1", 0x18);
	st_block(&t, 304, "offline", NULL, 0);
	assert_int_equal(mh_scan_block(&r, &inv, 304, true), 0);
	v1 = mh_inv_group_find(&inv, "virtio1");
	assert_true(v1 >= 0);
	assert_int_equal(mh_inv_block(&inv, 304)->group, v1);
	assert_int_equal(inv.groups[v1].start_pfn, 304 * BP);
	assert_int_equal(inv.gstats[v1].nid, 0);
	/* ungrouped memory on a machine without DIMM slots: resolved */
	st_block(&t, 1000, "offline", NULL, 0);
	assert_int_equal(mh_scan_block(&r, &inv, 1000, true), 0);
	assert_true(mh_inv_block(&inv, 1000)->group_resolved);
	assert_int_equal(mh_inv_block(&inv, 1000)->group, -1);
	/* gone before the first read */
	assert_int_equal(mh_scan_block(&r, &inv, 2000, true), -ENOENT);
	assert_null(mh_inv_block(&inv, 2000));
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

static void test_scan_calibrate_range(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	struct zone_args za = {0};

	(void)state;
	/* zoneinfo says Normal holds only boot memory, yet two hotplugged
	 * blocks are online Normal: KE would be negative */
	virtio_tree(&t, BOOT_A);
	q35_zoneinfo(&t, &za);
	st_put(&t, "proc/zoneinfo",
	       "Node 0, zone   Normal\n"
	       "  pages free     100\n"
	       "        spanned  40000\n"
	       "        present  40000\n"
	       "        managed  30000\n"
	       "        cma      0\n"
	       "  start_pfn:           1048576\n");
	open_root(&t, &r);
	assert_int_equal(mh_scan_full(&r, &inv), -ERANGE);
	assert_int_equal(inv.totals[0].kernel_early, 0);
	assert_int_equal(inv.nr_blocks, 48);
	/* malformed or missing zoneinfo */
	st_put(&t, "proc/zoneinfo", "Node 0, zone   Normal\n");
	assert_int_equal(mh_scan_calibrate(&r, &inv), -EBADMSG);
	st_unlink(&t, "proc/zoneinfo");
	assert_int_equal(mh_scan_calibrate(&r, &inv), -ENOENT);
	mh_inv_free(&inv);
	/* missing block_size_bytes */
	st_unlink(&t, ST_MEM "/block_size_bytes");
	assert_int_equal(mh_scan_full(&r, &inv), -ENOENT);
	mh_root_close(&r);
	st_destroy(&t);
}

/* ---- per-block updates agree with a full scan ---- */

struct sim_block {
	bool present, has_node;
	enum mh_block_state state;
	enum mh_zone zone;
};

static void sim_write_zoneinfo(struct simtree *t, const struct sim_block *s,
			       size_t n, uint64_t first)
{
	struct zone_args za = {0};
	uint64_t lo = 0, hi = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!s[i].present || s[i].state != MH_BLOCK_ONLINE)
			continue;
		if (s[i].zone == MH_ZONE_NORMAL) {
			za.normal_extra += BP;
		} else {
			if (!za.movable)
				lo = first + i;
			hi = first + i + 1;
			za.movable += BP;
		}
	}
	za.movable_start = lo * BP;
	q35_zoneinfo(t, &za);
	(void)hi;
}

static void compare_inventories(const struct mh_inventory *a,
				const struct mh_inventory *b)
{
	const struct mh_block *x;
	size_t g;

	assert_int_equal(a->nr_blocks, b->nr_blocks);
	for (x = mh_inv_next_block(a, 0); x;
	     x = mh_inv_next_block(a, x->id + 1)) {
		const struct mh_block *y = mh_inv_block(b, x->id);

		if (!y)
			fail_msg("block %llu only in one",
				 (unsigned long long)x->id);
		assert_int_equal(x->state, y->state);
		if (x->state == MH_BLOCK_ONLINE)
			assert_int_equal(x->zone, y->zone);
		assert_int_equal(x->nid, y->nid);
		assert_int_equal(x->hotplugged, y->hotplugged);
		assert_int_equal(x->group >= 0, y->group >= 0);
		if (x->group >= 0)
			assert_string_equal(a->groups[x->group].name,
					    b->groups[y->group].name);
	}
	assert_int_equal(a->nr_nodes, b->nr_nodes);
	for (g = 0; g < a->nr_nodes; g++) {
		assert_int_equal(a->totals[g].kernel_early,
				 b->totals[g].kernel_early);
		assert_int_equal(a->totals[g].movable, b->totals[g].movable);
		assert_int_equal(a->nodes[g].hot_kernel,
				 b->nodes[g].hot_kernel);
		assert_int_equal(a->nodes[g].nr_online, b->nodes[g].nr_online);
		assert_int_equal(a->nodes[g].nr_offline,
				 b->nodes[g].nr_offline);
	}
	for (g = 0; g < a->nr_groups; g++) {
		ssize_t h;

		if (!a->gstats[g].alive || !a->groups[g].nr_blocks)
			continue;
		h = mh_inv_group_find(b, a->groups[g].name);
		assert_true(h >= 0);
		assert_int_equal(a->gstats[g].present_movable,
				 b->gstats[h].present_movable);
		assert_int_equal(a->gstats[g].present_kernel,
				 b->gstats[h].present_kernel);
		assert_int_equal(a->groups[g].nr_blocks,
				 b->groups[h].nr_blocks);
	}
}

static void test_scan_block_vs_full(void **state)
{
	enum { FIRST = 48, N = 40 };
	struct sim_block sim[N];
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv, full;
	unsigned int seed = 777;
	char rel[128];
	int step;

	(void)state;
	memset(sim, 0, sizeof(sim));
	virtio_tree(&t, BOOT_A);
	/* start from the bare boot: no virtio-mem block yet */
	st_rm(&t, ST_MEM "/memory48");
	for (step = 48; step < 64; step++) {
		snprintf(rel, sizeof(rel), ST_MEM "/memory%d", step);
		st_rm(&t, rel);
	}
	sim_write_zoneinfo(&t, sim, N, FIRST);
	open_root(&t, &r);
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	for (step = 0; step < 600; step++) {
		int i = (int)(rand_r(&seed) % N);
		uint64_t id = FIRST + (uint64_t)i;
		struct sim_block *s = &sim[i];
		int op = (int)(rand_r(&seed) % 5), ret;

		if (!s->present) {
			/* add, first without the node link */
			s->present = true;
			s->has_node = rand_r(&seed) % 2;
			s->state = MH_BLOCK_OFFLINE;
			st_block(&t, id, "offline", NULL, s->has_node ? 0 : -1);
		} else if (op == 0) {
			/* remove */
			snprintf(rel, sizeof(rel), ST_MEM "/memory%llu",
				 (unsigned long long)id);
			st_rm(&t, rel);
			memset(s, 0, sizeof(*s));
		} else if (op == 1 || !s->has_node) {
			s->has_node = true;
			st_block(&t, id,
				 s->state == MH_BLOCK_ONLINE ? "online"
							     : "offline",
				 s->state == MH_BLOCK_ONLINE
					 ? mh_zone_name(s->zone)
					 : NULL,
				 0);
		} else if (s->state == MH_BLOCK_OFFLINE) {
			s->state = MH_BLOCK_ONLINE;
			s->zone = op == 2 ? MH_ZONE_NORMAL : MH_ZONE_MOVABLE;
			st_block(&t, id, "online", mh_zone_name(s->zone), 0);
		} else {
			s->state = MH_BLOCK_OFFLINE;
			st_block(&t, id, "offline", NULL, 0);
		}
		sim_write_zoneinfo(&t, sim, N, FIRST);
		/* what the daemon does on the uevent */
		ret = mh_scan_block(&r, &inv, id, true);
		if (ret == -ENOENT) {
			struct mh_block *b = mh_inv_block(&inv, id);
			ssize_t g = b ? b->group : -1;

			mh_inv_remove_block(&inv, id);
			mh_inv_group_drop_if_empty(&inv, g);
		} else {
			assert_int_equal(ret, 0);
		}
		if (step % 50 == 49) {
			assert_int_equal(mh_scan_calibrate(&r, &inv), 0);
			assert_int_equal(mh_scan_save_classification(&r, &inv),
					 0);
			assert_int_equal(mh_scan_full(&r, &full), 0);
			compare_inventories(&inv, &full);
			compare_inventories(&full, &inv);
			mh_inv_free(&full);
		}
	}
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

/* ---- trees rebuilt from the real 6.1 captures ---- */

static void capture_tree(struct simtree *t, struct mh_root *r, const char *name)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/captures/%s", data_dir(), name);
	st_init(t);
	st_from_capture(t, dir);
	st_boot_id(t, BOOT_A);
	open_root(t, r);
}

static void test_capture_a(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	ssize_t gi;
	char *cls;

	(void)state;
	capture_tree(&t, &r, "a-1node-vmem8g");
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	assert_int_equal(inv.nr_blocks, 32 + 64);
	gi = mh_inv_group_find(&inv, "virtio0");
	assert_true(gi >= 0);
	assert_int_equal(inv.groups[gi].start_pfn, 48 * BP);
	assert_int_equal(inv.groups[gi].nr_blocks, 64);
	assert_int_equal(inv.gstats[gi].present_movable, 64 * BP);
	assert_int_equal(inv.gstats[gi].unit_pages, BP);
	assert_int_equal(inv.gstats[gi].nid, 0);
	check_block(&inv, 0, MH_BLOCK_ONLINE, MH_ZONE_NONE, 0, false);
	check_block(&inv, 111, MH_BLOCK_ONLINE, MH_ZONE_MOVABLE, 0, true);
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35);
	assert_int_equal(inv.totals[0].movable, 2097152);
	cls = read_tree(&t, "run/memhotd/classification");
	assert_string_equal(cls, BOOT_A "\n48-111\n");
	free(cls);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

static void test_capture_b(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	ssize_t v0, v1;

	(void)state;
	capture_tree(&t, &r, "b-2node-vmem8g-each");
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	v0 = mh_inv_group_find(&inv, "virtio0");
	v1 = mh_inv_group_find(&inv, "virtio1");
	assert_true(v0 >= 0 && v1 >= 0);
	assert_int_equal(inv.gstats[v0].nid, 0);
	assert_int_equal(inv.gstats[v1].nid, 1);
	assert_int_equal(inv.groups[v1].start_pfn, 240 * BP);
	/* RV2: 60 Movable, 4 Normal per device */
	assert_int_equal(inv.gstats[v0].present_movable, 60 * BP);
	assert_int_equal(inv.gstats[v0].present_kernel, 4 * BP);
	assert_int_equal(inv.gstats[v1].present_movable, 60 * BP);
	assert_int_equal(inv.gstats[v1].present_kernel, 4 * BP);
	check_block(&inv, 96, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, true);
	check_block(&inv, 288, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 1, true);
	/* README: node0 524158 early, node1 524288 early */
	assert_int_equal(inv.totals[0].kernel_early, 524158);
	assert_int_equal(inv.totals[1].kernel_early, 524288);
	assert_int_equal(inv.totals[0].movable, 1966080);
	assert_int_equal(inv.totals[1].movable, 1966080);
	assert_int_equal(inv.nodes[0].hot_kernel, 4 * BP);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

static void test_capture_c(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	ssize_t d0, d1;

	(void)state;
	capture_tree(&t, &r, "c-1node-2dimms");
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	d0 = mh_inv_group_find(&inv, "PNP0C80:00");
	d1 = mh_inv_group_find(&inv, "PNP0C80:01");
	assert_true(d0 >= 0 && d1 >= 0);
	assert_int_equal(inv.groups[d0].kind, MH_GROUP_DIMM);
	assert_int_equal(inv.gstats[d0].max_pages, 32 * BP);
	assert_int_equal(inv.gstats[d1].max_pages, 32 * BP);
	assert_int_equal(inv.groups[d0].nr_blocks, 32);
	assert_int_equal(inv.groups[d1].nr_blocks, 32);
	assert_int_equal(mh_inv_block(&inv, 48)->group, d0);
	assert_int_equal(mh_inv_block(&inv, 111)->group, d1);
	check_block(&inv, 80, MH_BLOCK_ONLINE, MH_ZONE_MOVABLE, 0, true);
	check_block(&inv, 47, MH_BLOCK_ONLINE, MH_ZONE_NORMAL, 0, false);
	assert_int_equal(mh_inv_block(&inv, 47)->group, -1);
	assert_true(mh_inv_block(&inv, 47)->group_resolved);
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35);
	assert_int_equal(inv.totals[0].movable, 64 * BP);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

static void test_capture_d(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	ssize_t gi;
	uint64_t id;
	enum mh_zone z;

	(void)state;
	capture_tree(&t, &r, "d-1node-vmem-offline");
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	gi = mh_inv_group_find(&inv, "virtio0");
	assert_true(gi >= 0);
	assert_int_equal(inv.groups[gi].nr_blocks, 8);
	assert_int_equal(inv.groups[gi].nr_online, 0);
	for (id = 48; id < 56; id++)
		check_block(&inv, id, MH_BLOCK_OFFLINE, MH_ZONE_UNKNOWN, 0,
			    true);
	assert_int_equal(inv.totals[0].kernel_early, KE_Q35);
	assert_int_equal(inv.totals[0].movable, 0);
	/* the empty Movable zone has an empty span: nothing intersects */
	{
		struct mh_block_request req;

		assert_int_equal(mh_inv_block_request(&inv,
						      mh_inv_block(&inv, 51),
						      NULL, 0, &req),
				 0);
		assert_false(req.movable_span_intersects);
		assert_false(req.kernel_span_intersects);
		assert_int_equal(inv.nodes[0].spans[MH_ZONE_NORMAL].start_pfn,
				 32 * BP);
	}
	/* the capture holds valid_zones of these offline blocks (the
	 * kernel's oracle), but the online-zone read refuses them */
	assert_true(mh_path_exists(&r, ST_MEM "/memory51/valid_zones"));
	assert_int_equal(mh_sysfs_online_zone(&r, 51, &z), -EBUSY);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

/* Every capture (more may be added): the full scan succeeds, finds every
 * memoryN of the dump, and per-block rescans change nothing. */
static void test_capture_all(void **state)
{
	char path[PATH_MAX];
	struct dirent *de;
	int seen = 0;
	DIR *d;

	(void)state;
	snprintf(path, sizeof(path), "%s/captures", data_dir());
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct mh_inventory inv, again;
		struct simtree t;
		struct mh_root r;
		uint64_t *ids;
		size_t n, i;

		if (de->d_name[0] == '.' || strchr(de->d_name, '.'))
			continue;
		capture_tree(&t, &r, de->d_name);
		assert_int_equal(mh_scan_full(&r, &inv), 0);
		assert_int_equal(mh_sysfs_list_blocks(&r, &ids, &n), 0);
		assert_int_equal(inv.nr_blocks, n);
		for (i = 0; i < n; i++) {
			assert_non_null(mh_inv_block(&inv, ids[i]));
			assert_int_equal(mh_scan_block(&r, &inv, ids[i], false),
					 0);
		}
		free(ids);
		assert_int_equal(mh_scan_calibrate(&r, &inv), 0);
		assert_int_equal(mh_scan_full(&r, &again), 0);
		compare_inventories(&inv, &again);
		mh_inv_free(&again);
		mh_inv_free(&inv);
		mh_root_close(&r);
		st_destroy(&t);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysfs_basics),
		cmocka_unit_test(test_scan_q35_boot),
		cmocka_unit_test(test_scan_virtio),
		cmocka_unit_test(test_scan_dimm),
		cmocka_unit_test(test_scan_dax_two_nodes),
		cmocka_unit_test(test_scan_classification),
		cmocka_unit_test(test_parse_classification),
		cmocka_unit_test(test_scan_block_events),
		cmocka_unit_test(test_scan_calibrate_range),
		cmocka_unit_test(test_scan_block_vs_full),
		cmocka_unit_test(test_capture_a),
		cmocka_unit_test(test_capture_b),
		cmocka_unit_test(test_capture_c),
		cmocka_unit_test(test_capture_d),
		cmocka_unit_test(test_capture_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
