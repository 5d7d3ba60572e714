// SPDX-License-Identifier: MIT
/*
 * kernel.c over simulated 5.10, 6.1 and 6.12 trees: page size, block size,
 * zoneinfo without cma lines, the policy module parameters (absent before
 * 5.15), auto_online_blocks at start-up, mirroring, the guarded
 * valid_zones read, delegate-mode validation, kernel_onlined and the
 * status keys (EHWPOISON reported as poisoned).
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
#include <json-c/json.h>
#include <unistd.h>

#include "memhotd/config.h"
#include "memhotd/daemon.h"
#include "memhotd/inventory.h"
#include "memhotd/kernel.h"
#include "memhotd/log.h"
#include "memhotd/parse.h"
#include "memhotd/render.h"
#include "memhotd/report.h"
#include "memhotd/scan.h"
#include "memhotd/sysfs.h"
#include "simtree.h"

#ifndef EHWPOISON
#define EHWPOISON 133
#endif

#define BS (128ULL << 20)
#define PARAMS "sys/module/memory_hotplug/parameters"

enum kver { K510, K61, K612 };

static char *slurp(const struct simtree *t, const char *rel)
{
	char p[PATH_MAX];
	FILE *f;
	char *buf = calloc(1, 4096);

	assert_non_null(buf);
	st_abs(t, rel, p, sizeof(p));
	f = fopen(p, "r");
	if (!f) {
		free(buf);
		return NULL;
	}
	assert_true(fread(buf, 1, 4095, f) < 4095);
	fclose(f);
	return buf;
}

static void expect_file(const struct simtree *t, const char *rel,
			const char *want)
{
	char *s = slurp(t, rel);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

/* 5.10 prints neither "boost" nor "cma" (doc/kernels.md 2). */
static char *strip_510(char *text)
{
	char *o = text, *s = text, line[512];

	while (*s) {
		char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s + 1) : strlen(s);

		assert_true(len < sizeof(line));
		memcpy(line, s, len);
		line[len] = '\0';
		if (!strstr(line, " cma ") && !strstr(line, " boost ") &&
		    !strstr(line, "nr_free_cma")) {
			memmove(o, s, len);
			o += len;
		}
		s += len;
	}
	*o = '\0';
	return text;
}

static const struct st_zone q35[] = {
	{0, "DMA", 1, 4095, 3998, 3840, 0},
	{0, "DMA32", 4096, 1044480, 520160, 504736, 0},
	{0, "Normal", 1048576, 524288, 524288, 508096, 0},
	{0, "Movable", 0, 0, 0, 0, 0},
	{0, "Device", 0, 0, 0, 0, 0},
};

/* A q35 4 GiB guest of kernel v: boot blocks 0-15 and 32-47. */
static void tree(struct simtree *t, enum kver v)
{
	char *zi;

	st_init(t);
	st_block_size(t, BS);
	st_boot_id(t, "0b5e2c1c-6f1a-4a2e-9d0e-6b9a3c2f1e00");
	st_block(t, 0, "online", "none", 0);
	st_blocks(t, 1, 15, "online", "DMA32", 0);
	st_blocks(t, 32, 47, "online", "Normal", 0);
	st_put(t, "proc/iomem", "00000000-00000fff : Reserved\n");
	zi = st_zoneinfo_text(q35, sizeof(q35) / sizeof(q35[0]));
	if (v == K510)
		strip_510(zi);
	st_put(t, "proc/zoneinfo", zi);
	free(zi);
	switch (v) {
	case K510:
		st_put(t, "proc/sys/kernel/osrelease", "5.10.0-32-amd64\n");
		st_put(t, ST_MEM "/auto_online_blocks", "offline\n");
		break;
	case K61:
		st_put(t, "proc/sys/kernel/osrelease", "6.1.0-26-amd64\n");
		st_put(t, ST_MEM "/auto_online_blocks", "offline\n");
		break;
	case K612:
		st_put(t, "proc/sys/kernel/osrelease", "6.12.57+deb12-amd64\n");
		/* Debian's 6.12 onlines by default */
		st_put(t, ST_MEM "/auto_online_blocks", "online\n");
		break;
	}
	if (v != K510) {
		st_put(t, PARAMS "/online_policy", "contig-zones\n");
		st_put(t, PARAMS "/auto_movable_ratio", "301\n");
		st_put(t, PARAMS "/auto_movable_numa_aware", "Y\n");
	}
}

/* ---- page size and block size ---- */

static void test_page_size(void **state)
{
	struct simtree t;
	struct mh_root r, real;
	struct mh_inventory inv;
	uint64_t ps;
	long sys = sysconf(_SC_PAGESIZE);

	(void)state;
	tree(&t, K61);
	assert_int_equal(mh_root_open(&r, t.root), 0);
	/* no file in the tree: the running system's */
	assert_int_equal(mh_kernel_page_size(&r, &ps), 0);
	assert_int_equal(ps, (uint64_t)sys);
	assert_int_equal(mh_page_size(), (uint64_t)sys);
	/* a 64 KiB-page guest (arm64, ppc64le) */
	st_put(&t, MH_KERNEL_PAGE_SIZE_FILE, "65536\n");
	assert_int_equal(mh_kernel_page_size(&r, &ps), 0);
	assert_int_equal(ps, 65536);
	mh_set_page_size(ps);
	assert_int_equal(MH_PAGE_SIZE, 65536);
	assert_int_equal(mh_inv_init(&inv, 512ULL << 20), 0);
	assert_int_equal(inv.block_pages, 8192);
	mh_inv_free(&inv);
	/* 128 MiB blocks are 2048 such pages, not 32768 */
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	assert_int_equal(inv.block_pages, 2048);
	mh_inv_free(&inv);
	mh_set_page_size(0);
	assert_int_equal(mh_page_size(), (uint64_t)sys);
	/* nonsense is refused */
	st_put(&t, MH_KERNEL_PAGE_SIZE_FILE, "4097\n");
	assert_int_equal(mh_kernel_page_size(&r, &ps), -EINVAL);
	st_put(&t, MH_KERNEL_PAGE_SIZE_FILE, "4k\n");
	assert_int_equal(mh_kernel_page_size(&r, &ps), -EINVAL);
	/* the real root never reads a file: sysconf */
	assert_int_equal(mh_root_open(&real, "/"), 0);
	assert_int_equal(mh_kernel_page_size(&real, &ps), 0);
	assert_int_equal(ps, (uint64_t)sys);
	mh_root_close(&real);
	mh_root_close(&r);
	st_destroy(&t);
}

/* block_size_bytes is read, never assumed: a 1 GiB-block tree. */
static void test_block_size_from_sysfs(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	uint64_t v;

	(void)state;
	st_init(&t);
	st_block_size(&t, 1ULL << 30);
	st_boot_id(&t, "0b5e2c1c-6f1a-4a2e-9d0e-6b9a3c2f1e00");
	st_blocks(&t, 0, 3, "online", "DMA32", 0);
	st_put(&t, "proc/iomem", "00000000-00000fff : Reserved\n");
	st_zoneinfo(&t, q35, 3);
	assert_int_equal(mh_root_open(&r, t.root), 0);
	assert_int_equal(mh_sysfs_block_size(&r, &v), 0);
	assert_int_equal(v, 1ULL << 30);
	assert_int_equal(mh_scan_full_readonly(&r, &inv), 0);
	assert_int_equal(inv.block_size_bytes, 1ULL << 30);
	assert_int_equal(inv.block_pages, (1ULL << 30) / MH_PAGE_SIZE);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

/* ---- facts per kernel ---- */

static void test_release(void **state)
{
	unsigned int a, b;

	(void)state;
	assert_int_equal(mh_kernel_parse_release("5.10.0-32-amd64", &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 10);
	assert_int_equal(mh_kernel_parse_release("6.12.57+deb12-amd64", &a, &b),
			 0);
	assert_int_equal(a, 6);
	assert_int_equal(b, 12);
	assert_int_equal(mh_kernel_parse_release("6", &a, &b), -EINVAL);
	assert_int_equal(mh_kernel_parse_release("x.1", &a, &b), -EINVAL);
}

static void test_kernel_510(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_inventory inv;
	char buf[64], *zi;
	size_t len;
	struct mh_zoneinfo z;
	struct mh_zoneinfo_node_sums s;

	(void)state;
	tree(&t, K510);
	assert_int_equal(mh_root_open(&r, t.root), 0);
	assert_int_equal(mh_kernel_release(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "5.10.0-32-amd64");
	assert_false(mh_kernel_has_policy(&r));
	assert_int_equal(mh_kernel_auto_online(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "offline");
	/* zoneinfo without cma and boost lines parses, CMA is 0 */
	zi = slurp(&t, "proc/zoneinfo");
	assert_non_null(zi);
	assert_null(strstr(zi, " cma "));
	assert_null(strstr(zi, "boost"));
	len = strlen(zi);
	assert_int_equal(mh_parse_zoneinfo(zi, len, &z), 0);
	mh_zoneinfo_node_sums(&z, 0, &s);
	assert_int_equal(s.kernel_present, 3998 + 520160 + 524288);
	assert_int_equal(s.kernel_cma, 0);
	assert_int_equal(s.movable_present, 0);
	mh_zoneinfo_free(&z);
	free(zi);
	/* and the whole scan calibrates from it */
	assert_int_equal(mh_scan_full_readonly(&r, &inv), 0);
	assert_true(inv.totals[0].present);
	assert_int_equal(inv.totals[0].kernel_early, 3998 + 520160 + 524288);
	assert_int_equal(inv.totals[0].movable, 0);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

static void test_kernel_61_mirror(void **state)
{
	struct simtree t;
	struct mh_root r;
	struct mh_policy_config p = {.policy = MH_POLICY_AUTO_MOVABLE,
				     .ratio = 150,
				     .numa_aware = false};
	char why[256];

	(void)state;
	tree(&t, K61);
	assert_int_equal(mh_root_open(&r, t.root), 0);
	assert_true(mh_kernel_has_policy(&r));
	assert_true(mh_kernel_expressible(&p, why, sizeof(why)));
	assert_int_equal(mh_kernel_mirror(&r, &p), 0);
	expect_file(&t, PARAMS "/online_policy", "auto-movable\n");
	expect_file(&t, PARAMS "/auto_movable_ratio", "150\n");
	expect_file(&t, PARAMS "/auto_movable_numa_aware", "N\n");
	/* idempotent: values already right are not rewritten */
	st_put(&t, PARAMS "/auto_movable_ratio", "150 \n");
	assert_int_equal(mh_kernel_mirror(&r, &p), 0);
	expect_file(&t, PARAMS "/auto_movable_ratio", "150 \n");
	/* contig-zones: only online_policy */
	p.policy = MH_POLICY_CONTIG_ZONES;
	assert_true(mh_kernel_expressible(&p, why, sizeof(why)));
	assert_int_equal(mh_kernel_mirror(&r, &p), 0);
	expect_file(&t, PARAMS "/online_policy", "contig-zones\n");
	expect_file(&t, PARAMS "/auto_movable_ratio", "150 \n");
	/* memhotd's own policies are not expressible */
	p.policy = MH_POLICY_MOVABLE;
	assert_false(mh_kernel_expressible(&p, why, sizeof(why)));
	assert_non_null(strstr(why, "movable"));
	p.policy = MH_POLICY_KERNEL;
	assert_false(mh_kernel_expressible(&p, why, sizeof(why)));
	mh_root_close(&r);
	st_destroy(&t);
}

/* valid_zones of an offline block: only once its nodeN link exists. */
static void test_valid_zones_guard(void **state)
{
	struct simtree t;
	struct mh_root r;
	enum mh_zone z = MH_ZONE_UNKNOWN;

	(void)state;
	tree(&t, K61);
	assert_int_equal(mh_root_open(&r, t.root), 0);
	/* no link, and no valid_zones file either: had it been read the
	 * answer would be -ENOENT */
	st_block(&t, 48, "offline", NULL, -1);
	assert_int_equal(mh_kernel_valid_zones_first(&r, 48, &z), -EAGAIN);
	st_block(&t, 48, "offline", "Movable Normal", 0);
	assert_int_equal(mh_kernel_valid_zones_first(&r, 48, &z), 0);
	assert_int_equal(z, MH_ZONE_MOVABLE);
	st_block(&t, 49, "offline", "Normal Movable", 0);
	assert_int_equal(mh_kernel_valid_zones_first(&r, 49, &z), 0);
	assert_int_equal(z, MH_ZONE_NORMAL);
	/* online: not the policy's answer any more */
	assert_int_equal(mh_kernel_valid_zones_first(&r, 40, &z), -EBUSY);
	assert_int_equal(mh_kernel_valid_zones_first(&r, 99, &z), -ENODEV);
	mh_root_close(&r);
	st_destroy(&t);
}

/* ---- start-up per kernel and configuration ---- */

static int start(const struct simtree *t, struct mh_daemon *d, const char *conf)
{
	char err[256];
	int r;

	memset(d, 0, sizeof(*d));
	mh_config_defaults(&d->config);
	if (conf)
		assert_int_equal(mh_config_parse_string(conf, "t.conf",
							&d->config, err,
							sizeof(err)),
				 0);
	assert_int_equal(mh_root_open(&d->root, t->root), 0);
	r = mh_kernel_start(d);
	mh_set_page_size(0);
	return r;
}

static void stop(struct mh_daemon *d)
{
	mh_kernel_free(&d->kernel);
	mh_root_close(&d->root);
}

static void test_start_510(void **state)
{
	struct simtree t;
	struct mh_daemon *d = calloc(1, sizeof(*d));

	(void)state;
	assert_non_null(d);
	tree(&t, K510);
	assert_int_equal(start(&t, d, NULL), 0);
	assert_false(d->kernel.has_policy);
	assert_false(d->kernel.mirrored);
	assert_false(d->kernel.cross_check);
	assert_string_equal(d->kernel.aob_at_start, "offline");
	stop(d);
	/* no policy to delegate to: a configuration error */
	assert_int_equal(start(&t, d, "[policy]\nmode = delegate\n"),
			 -EOPNOTSUPP);
	expect_file(&t, ST_MEM "/auto_online_blocks", "offline\n");
	stop(d);
	free(d);
	st_destroy(&t);
}

static void test_start_61(void **state)
{
	struct simtree t;
	struct mh_daemon *d = calloc(1, sizeof(*d));

	(void)state;
	assert_non_null(d);
	tree(&t, K61);
	assert_int_equal(start(&t, d, NULL), 0);
	assert_true(d->kernel.has_policy);
	assert_true(d->kernel.mirrored);
	assert_true(d->kernel.cross_check);
	expect_file(&t, PARAMS "/online_policy", "auto-movable\n");
	expect_file(&t, PARAMS "/auto_movable_ratio", "301\n");
	expect_file(&t, PARAMS "/auto_movable_numa_aware", "Y\n");
	stop(d);
	/* mirror_policy = false: parameters untouched, no cross-check */
	tree(&t, K61);
	assert_int_equal(start(&t, d, "[kernel]\nmirror_policy = false\n"), 0);
	assert_false(d->kernel.mirrored);
	assert_false(d->kernel.cross_check);
	expect_file(&t, PARAMS "/online_policy", "contig-zones\n");
	stop(d);
	/* cross_check = false: mirrored, no cross-check */
	assert_int_equal(start(&t, d, "[kernel]\ncross_check = no\n"), 0);
	assert_true(d->kernel.mirrored);
	assert_false(d->kernel.cross_check);
	stop(d);
	/* movable: memhotd's own policy, not mirrored, delegate refused */
	st_put(&t, PARAMS "/online_policy", "contig-zones\n");
	assert_int_equal(start(&t, d, "[policy]\nonline_policy = movable\n"),
			 0);
	assert_false(d->kernel.mirrored);
	expect_file(&t, PARAMS "/online_policy", "contig-zones\n");
	stop(d);
	assert_int_equal(start(&t, d,
			       "[policy]\nonline_policy = movable\n"
			       "mode = delegate\n"),
			 -EOPNOTSUPP);
	expect_file(&t, ST_MEM "/auto_online_blocks", "offline\n");
	stop(d);
	free(d);
	st_destroy(&t);
}

static void test_start_612_auto_online(void **state)
{
	struct simtree t;
	struct mh_daemon *d = calloc(1, sizeof(*d));
	char lines[3][256] = {
		"/sys/devices/system/memory/auto_online_blocks is 'online': x",
		"udev rule /etc/udev/rules.d/40-redhat.rules writes state",
		"memhp_default_state=online on the kernel command line"};

	(void)state;
	assert_non_null(d);
	tree(&t, K612);
	/* default: switched to offline, and said so */
	assert_int_equal(start(&t, d, NULL), 0);
	assert_string_equal(d->kernel.aob_at_start, "online");
	assert_string_equal(d->kernel.aob, "offline");
	expect_file(&t, ST_MEM "/auto_online_blocks", "offline\n");
	/* not delegate: competitor lines stay */
	assert_int_equal(mh_kernel_filter_competitors(d, lines, 3), 3);
	stop(d);
	/* leave: only a warning */
	st_put(&t, ST_MEM "/auto_online_blocks", "online\n");
	assert_int_equal(start(&t, d, "[kernel]\nauto_online_blocks = leave\n"),
			 0);
	assert_string_equal(d->kernel.aob, "online");
	expect_file(&t, ST_MEM "/auto_online_blocks", "online\n");
	stop(d);
	/* delegate: policy set, auto_online_blocks online */
	st_put(&t, ST_MEM "/auto_online_blocks", "offline\n");
	assert_int_equal(start(&t, d,
			       "[policy]\nmode = delegate\n"
			       "auto_movable_ratio = 200\n"),
			 0);
	assert_true(d->kernel.mirrored);
	assert_true(d->kernel.cross_check);
	assert_string_equal(d->kernel.aob, "online");
	expect_file(&t, ST_MEM "/auto_online_blocks", "online\n");
	expect_file(&t, PARAMS "/online_policy", "auto-movable\n");
	expect_file(&t, PARAMS "/auto_movable_ratio", "200\n");
	/* memhotd set it: the auto_online_blocks warning is dropped */
	assert_int_equal(mh_kernel_filter_competitors(d, lines, 3), 2);
	assert_string_equal(lines[0],
			    "udev rule /etc/udev/rules.d/40-redhat.rules "
			    "writes state");
	stop(d);
	free(d);
	st_destroy(&t);
}

/* Reload: [policy] re-mirrored; a mode change refused. */
static void test_reload(void **state)
{
	struct simtree t;
	struct mh_daemon *d = calloc(1, sizeof(*d));
	struct mh_config c;
	char err[256];

	(void)state;
	assert_non_null(d);
	tree(&t, K61);
	assert_int_equal(start(&t, d, NULL), 0);
	assert_true(d->kernel.mirrored);
	c = d->config;
	c.policy.ratio = 150;
	assert_int_equal(mh_kernel_reload(d, &c, err, sizeof(err)), 0);
	expect_file(&t, PARAMS "/auto_movable_ratio", "150\n");
	assert_true(d->kernel.cross_check);
	c.mode = MH_MODE_DELEGATE;
	assert_int_equal(mh_kernel_reload(d, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot change on reload"));
	c.mode = MH_MODE_ONLINE;
	c.policy.policy = MH_POLICY_MOVABLE;
	assert_int_equal(mh_kernel_reload(d, &c, err, sizeof(err)), 0);
	assert_false(d->kernel.mirrored);
	assert_false(d->kernel.cross_check);
	expect_file(&t, PARAMS "/online_policy", "auto-movable\n");
	stop(d);
	/* delegate: a reload to something inexpressible is refused */
	assert_int_equal(start(&t, d, "[policy]\nmode = delegate\n"), 0);
	c = d->config;
	c.policy.policy = MH_POLICY_KERNEL;
	assert_int_equal(mh_kernel_reload(d, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot express"));
	stop(d);
	free(d);
	st_destroy(&t);
}

/* ---- kernel_onlined and the status keys ---- */

static void test_onlined_list(void **state)
{
	struct mh_kernel k;

	(void)state;
	memset(&k, 0, sizeof(k));
	for (uint64_t b = 60; b >= 48; b -= 3)
		assert_int_equal(mh_kernel_note_onlined(&k, b, MH_ZONE_NORMAL),
				 0);
	for (uint64_t b = 100; b < 140; b++)
		assert_int_equal(mh_kernel_note_onlined(&k, b, MH_ZONE_MOVABLE),
				 0);
	assert_int_equal(k.nr_onlined, 45);
	for (size_t i = 1; i < k.nr_onlined; i++)
		assert_true(k.onlined[i - 1].block < k.onlined[i].block);
	assert_int_equal(mh_kernel_note_onlined(&k, 51, MH_ZONE_MOVABLE), 0);
	assert_int_equal(k.nr_onlined, 45);
	assert_int_equal(mh_kernel_find_onlined(&k, 51)->zone, MH_ZONE_MOVABLE);
	assert_null(mh_kernel_find_onlined(&k, 52));
	mh_kernel_forget(&k, 51);
	assert_null(mh_kernel_find_onlined(&k, 51));
	assert_int_equal(k.nr_onlined, 44);
	mh_kernel_free(&k);
}

static void test_status_keys(void **state)
{
	struct simtree t;
	struct mh_daemon *d = calloc(1, sizeof(*d));
	uint64_t delay;
	unsigned int attempts;
	json_object *st, *v, *e;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(d);
	tree(&t, K612);
	st_blocks(&t, 48, 49, "online", "Normal", 0);
	st_blocks(&t, 50, 51, "offline", "Normal Movable", 0);
	assert_int_equal(start(&t, d, NULL), 0);
	assert_int_equal(mh_scan_full_readonly(&d->root, &d->inv), 0);
	/* after_scan lists only hotplugged blocks found online */
	mh_kernel_after_scan(d);
	for (size_t i = 0; i < d->kernel.nr_onlined; i++)
		assert_true(mh_inv_block(&d->inv, d->kernel.onlined[i].block)
				    ->hotplugged);
	mh_kernel_free(&d->kernel);
	assert_int_equal(mh_kernel_note_onlined(&d->kernel, 48, MH_ZONE_NORMAL),
			 0);
	assert_int_equal(mh_kernel_note_onlined(&d->kernel, 77, MH_ZONE_NORMAL),
			 0); /* not present any more: not shown */
	d->kernel.agreements = 7;
	d->kernel.disagreements = 1;
	/* 50 poisoned, 51 failed otherwise: only 50 is listed */
	mh_sched_init(&d->sched, &d->inv, &d->config.policy,
		      MH_VMEM_THROTTLE_BYTES);
	assert_int_equal(mh_sched_enqueue(&d->sched, 50, 1), 1);
	assert_int_equal(mh_sched_enqueue(&d->sched, 51, 1), 1);
	assert_int_equal(mh_sched_written(&d->sched, 50, MH_WRITE_HWPOISON,
					  -EHWPOISON, 1, &delay, &attempts),
			 MH_SCHED_POISONED);
	assert_int_equal(mh_sched_written(&d->sched, 51, MH_WRITE_FAILED,
					  -EINVAL, 1, &delay, &attempts),
			 MH_SCHED_FAILED);
	struct mh_report_view rv;

	mh_daemon_report_view(d, &rv);
	st = mh_report_status(&d->inv, &d->config, &rv, 0);
	assert_non_null(st);
	assert_string_equal(
		json_object_get_string(json_object_object_get(st, "mode")),
		"online");
	v = json_object_object_get(st, "kernel");
	assert_string_equal(
		json_object_get_string(json_object_object_get(v, "release")),
		"6.12.57+deb12-amd64");
	assert_true(json_object_get_boolean(
		json_object_object_get(v, "has_policy")));
	assert_true(
		json_object_get_boolean(json_object_object_get(v, "mirrored")));
	assert_string_equal(json_object_get_string(json_object_object_get(
				    v, "auto_online_blocks_at_start")),
			    "online");
	assert_string_equal(json_object_get_string(json_object_object_get(
				    v, "auto_online_blocks")),
			    "offline");
	v = json_object_object_get(st, "cross_check");
	assert_true(
		json_object_get_boolean(json_object_object_get(v, "active")));
	assert_int_equal(
		json_object_get_int(json_object_object_get(v, "agreements")),
		7);
	assert_int_equal(
		json_object_get_int(json_object_object_get(v, "disagreements")),
		1);
	v = json_object_object_get(st, "kernel_onlined");
	assert_int_equal(json_object_array_length(v), 1);
	e = json_object_array_get_idx(v, 0);
	assert_int_equal(
		json_object_get_int(json_object_object_get(e, "block")), 48);
	assert_string_equal(
		json_object_get_string(json_object_object_get(e, "zone")),
		"Normal");
	v = json_object_object_get(st, "poisoned");
	assert_int_equal(json_object_array_length(v), 1);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(v, 0)),
			 50);
	/* the text form says the same */
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(mh_render_status(f, st, &(struct mh_render_opts){0}),
			 0);
	fclose(f);
	assert_non_null(strstr(text, "kernel 6.12.57+deb12-amd64: mode "
				     "online"));
	assert_non_null(strstr(text, "(was online at start-up)"));
	assert_non_null(strstr(text, "7 agreements, 1 disagreements"));
	assert_non_null(strstr(text, "decide (1): memory48:Normal"));
	assert_non_null(strstr(text, "left offline: memory50\n"));
	free(text);
	json_object_put(st);
	/* explain: a kernel-onlined block with its verification */
	{
		struct mh_kernel_onlined *ko =
			mh_kernel_find_onlined(&d->kernel, 48);
		struct mh_block *b = mh_inv_block(&d->inv, 48);
		json_object *ex;

		assert_non_null(ko);
		assert_non_null(b);
		ko->verified = true;
		ko->expected = MH_ZONE_MOVABLE;
		ko->agrees = false;
		{
			struct mh_decision rec = {0};

			rec.target = MH_TARGET_MOVABLE;
			assert_int_equal(mh_inv_set_decision(&d->inv, b, &rec),
					 0);
		}
		ex = mh_report_explain(&d->inv, &d->config, &rv, 48);
		assert_non_null(ex);
		assert_string_equal(
			json_object_get_string(
				json_object_object_get(ex, "decision_source")),
			"verified");
		assert_non_null(
			strstr(json_object_get_string(
				       json_object_object_get(ex, "note")),
			       "onlined this block to Normal itself"));
		assert_non_null(
			strstr(json_object_get_string(
				       json_object_object_get(ex, "note")),
			       "DISAGREES"));
		json_object_put(ex);
	}
	mh_sched_free(&d->sched);
	mh_inv_free(&d->inv);
	stop(d);
	free(d);
	st_destroy(&t);
}

/* ---- configuration keys ---- */

static void test_config_keys(void **state)
{
	struct mh_config c;
	char err[512];
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	mh_config_defaults(&c);
	assert_int_equal(c.mode, MH_MODE_ONLINE);
	assert_int_equal(c.auto_online_blocks, MH_AOB_OFFLINE);
	assert_true(c.mirror_policy);
	assert_true(c.cross_check);
	assert_int_equal(
		mh_config_parse_string("[policy]\nmode = delegate\n[kernel]\n"
				       "auto_online_blocks = leave\n"
				       "mirror_policy = off\ncross_check = 0\n",
				       "t.conf", &c, err, sizeof(err)),
		0);
	assert_int_equal(c.mode, MH_MODE_DELEGATE);
	assert_int_equal(c.auto_online_blocks, MH_AOB_LEAVE);
	assert_false(c.mirror_policy);
	assert_false(c.cross_check);
	f = open_memstream(&text, &len);
	mh_config_print(&c, f);
	fclose(f);
	assert_non_null(strstr(text, "mode = delegate\n"));
	assert_non_null(strstr(text, "[kernel]\nauto_online_blocks = leave\n"
				     "mirror_policy = false\n"
				     "cross_check = false\n"));
	free(text);
	assert_int_equal(mh_config_parse_string("[policy]\nmode = kernel\n",
						"t.conf", &c, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.conf:2: [policy] key 'mode': 'kernel' is "
				 "not a mode; allowed: online (default), "
				 "delegate");
	assert_int_equal(mh_config_parse_string(
				 "[kernel]\nauto_online_blocks = online\n",
				 "t.conf", &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "allowed: offline (default), leave"));
	assert_int_equal(mh_config_parse_string("[kernel]\nmirror = 1\n",
						"t.conf", &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "allowed: auto_online_blocks, "
				    "mirror_policy, cross_check"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_size),
		cmocka_unit_test(test_block_size_from_sysfs),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_kernel_510),
		cmocka_unit_test(test_kernel_61_mirror),
		cmocka_unit_test(test_valid_zones_guard),
		cmocka_unit_test(test_start_510),
		cmocka_unit_test(test_start_61),
		cmocka_unit_test(test_start_612_auto_online),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_onlined_list),
		cmocka_unit_test(test_status_keys),
		cmocka_unit_test(test_config_keys),
	};

	mh_log_set_max_level(LOG_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
