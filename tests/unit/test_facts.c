// SPDX-License-Identifier: MIT
/* Guard and balloon facts (facts.h) on simulated trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memhotd/facts.h"
#include "simtree.h"

static const struct st_zone two_nodes[] = {
	{0, "DMA", 1, 4095, 3998, 3840, 0},
	{0, "DMA32", 4096, 520192, 520192, 500000, 0},
	{0, "Normal", 524288, 524288, 524288, 510000, 0},
	{0, "Movable", 0, 0, 0, 0, 0},
	{1, "DMA", 0, 0, 0, 0, 0},
	{1, "DMA32", 0, 0, 0, 0, 0},
	{1, "Normal", 1048576, 262144, 262144, 262000, 0},
	{1, "Movable", 1310720, 262144, 262144, 262144, 0},
};

/* simtree prints pages free = managed / 2 */
static void zoneinfo_kernel_free_sums_kernel_zones(void **state)
{
	char *text = st_zoneinfo_text(two_nodes, 8);
	uint64_t pages = 0;

	(void)state;
	assert_int_equal(mh_zoneinfo_kernel_free(text, 0, &pages), 0);
	assert_int_equal(pages, 1920 + 250000 + 255000);
	/* node 1: its Movable zone's free pages do not count */
	assert_int_equal(mh_zoneinfo_kernel_free(text, 1, &pages), 0);
	assert_int_equal(pages, 131000);
	assert_int_equal(mh_zoneinfo_kernel_free(text, 2, &pages), -ENOENT);
	free(text);
}

static void zoneinfo_kernel_free_malformed(void **state)
{
	uint64_t pages = 7;

	(void)state;
	assert_int_equal(mh_zoneinfo_kernel_free("Node 0, zone Normal\n"
						 "  pages free     x\n",
						 0, &pages),
			 -EINVAL);
	assert_int_equal(mh_zoneinfo_kernel_free("Node 0, zone Normal\n"
						 "        spanned  3\n",
						 0, &pages),
			 -EINVAL);
	assert_int_equal(mh_zoneinfo_kernel_free("", 0, &pages), -ENOENT);
	assert_int_equal(pages, 7);
	/* a huge count saturates instead of wrapping */
	assert_int_equal(mh_zoneinfo_kernel_free(
				 "Node 0, zone DMA32\n"
				 "  pages free     18446744073709551615\n"
				 "Node 0, zone Normal\n"
				 "  pages free     5\n",
				 0, &pages),
			 0);
	assert_true(pages == UINT64_MAX);
}

static void guard_measure_reads_zoneinfo_under_root(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_guard_facts g = {0};

	(void)state;
	st_init(&t);
	assert_int_equal(mh_root_open(&r, t.root), 0);
	/* no zoneinfo: the guard cannot fire */
	assert_int_equal(mh_guard_measure(&r, 0, 4096, &g), -ENOENT);
	st_zoneinfo(&t, two_nodes, 8);
	assert_int_equal(mh_guard_measure(&r, 1, 4096, &g), 0);
	assert_true(g.kernel_free_bytes == 131000ULL * 4096);
	assert_int_equal(mh_guard_measure(&r, 1, 65536, &g), 0);
	assert_true(g.kernel_free_bytes == 131000ULL * 65536);
	mh_root_close(&r);
	st_destroy(&t);
}

static void balloon_none(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_balloon_state b;

	(void)state;
	st_init(&t);
	/* the driver is loaded but bound to nothing */
	st_mkdirs(&t, "sys/bus/virtio/drivers/virtio_balloon");
	st_put(&t, "sys/bus/virtio/drivers/virtio_balloon/bind", "");
	st_symlink(&t, "../../../../module/virtio_balloon",
		   "sys/bus/virtio/drivers/virtio_balloon/module");
	st_put(&t, "proc/vmstat", "nr_free_pages 5\nballoon_inflate 0\n");
	assert_int_equal(mh_root_open(&r, t.root), 0);
	mh_balloon_detect(&r, &b);
	assert_false(b.facts.active);
	assert_false(mh_balloon_risky(&b));
	assert_null(b.facts.driver);
	mh_root_close(&r);
	st_destroy(&t);
}

static void balloon_virtio_with_and_without_compaction(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_balloon_state b;

	(void)state;
	st_init(&t);
	st_mkdirs(&t, "sys/bus/virtio/devices/virtio3");
	st_symlink(&t, "../../../../devices/pci0000:00/virtio3",
		   "sys/bus/virtio/drivers/virtio_balloon/virtio3");
	st_put(&t, "proc/vmstat",
	       "nr_free_pages 5\nballoon_inflate 3\nballoon_deflate 1\n"
	       "balloon_migrate 0\nswap_ra 0\n");
	assert_int_equal(mh_root_open(&r, t.root), 0);
	mh_balloon_detect(&r, &b);
	assert_true(b.facts.active);
	assert_string_equal(b.facts.driver, "virtio_balloon");
	assert_true(b.kernel_compaction);
	assert_true(b.facts.compaction);
	assert_false(mh_balloon_risky(&b));
	/* a kernel without CONFIG_BALLOON_COMPACTION: no balloon_migrate */
	st_put(&t, "proc/vmstat",
	       "nr_free_pages 5\nballoon_inflate 3\nballoon_deflate 1\n");
	mh_balloon_detect(&r, &b);
	assert_true(b.facts.active);
	assert_true(b.vmstat_read);
	assert_false(b.facts.compaction);
	assert_true(mh_balloon_risky(&b));
	mh_root_close(&r);
	st_destroy(&t);
}

static void balloon_hv_xen_vmw(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_balloon_state b;

	(void)state;
	st_init(&t);
	st_put(&t, "proc/vmstat", "balloon_migrate 0\n");
	assert_int_equal(mh_root_open(&r, t.root), 0);
	st_symlink(&t, "../../../../devices/vmbus/1eccfd72-4b41",
		   "sys/bus/vmbus/drivers/hv_balloon/1eccfd72-4b41");
	mh_balloon_detect(&r, &b);
	assert_string_equal(b.facts.driver, "hv_balloon");
	/* hv_balloon never uses balloon compaction */
	assert_true(mh_balloon_risky(&b));
	st_unlink(&t, "sys/bus/vmbus/drivers/hv_balloon/1eccfd72-4b41");
	st_mkdirs(&t, "sys/devices/system/xen_memory/xen_memory0");
	mh_balloon_detect(&r, &b);
	assert_string_equal(b.facts.driver, "xen-balloon");
	assert_true(mh_balloon_risky(&b));
	st_rm(&t, "sys/devices/system/xen_memory");
	st_mkdirs(&t, "sys/module/vmw_balloon");
	mh_balloon_detect(&r, &b);
	assert_string_equal(b.facts.driver, "vmw_balloon");
	assert_false(mh_balloon_risky(&b));
	mh_root_close(&r);
	st_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zoneinfo_kernel_free_sums_kernel_zones),
		cmocka_unit_test(zoneinfo_kernel_free_malformed),
		cmocka_unit_test(guard_measure_reads_zoneinfo_under_root),
		cmocka_unit_test(balloon_none),
		cmocka_unit_test(balloon_virtio_with_and_without_compaction),
		cmocka_unit_test(balloon_hv_xen_vmw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
