/* SPDX-License-Identifier: MIT */
/*
 * report.c and listing.c: the JSON of status / blocks / explain / plan
 * (whole replies also against the .json files of tests/golden), and the text
 * renderers on them (whole outputs: test_render.c).  Hand-built
 * inventories (doc/policy.md test vectors, plan against sequential
 * onlining) and real captures loaded into simulated trees (status numbers
 * against /proc/zoneinfo, explain against the kernel's valid_zones
 * oracle).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memhotd/config.h"
#include "memhotd/control.h"
#include "memhotd/daemon.h"
#include "memhotd/render.h"
#include "memhotd/parse.h"
#include "memhotd/report.h"
#include "memhotd/scan.h"
#include "memhotd/sysfs.h"

#include "golden.h"
#include "simtree.h"

#include <dlfcn.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#define BS (128ULL << 20)
#define BP 32768ULL
#define GIB_PAGES 262144ULL

/* The parts of a daemon a reply shows, and the view report.c reads them
 * through (daemon-control.c fills the same from struct mh_daemon). */
struct fake_daemon {
	struct mh_sched sched;
	struct mh_counters counters;
	struct mh_kernel kernel;
	struct mh_balloon_state balloon;
	char config_path[64];
	char competitors[2][256];
	size_t nr_competitors;
	uint64_t start_usec;
	struct mh_report_view v;
};

static struct fake_daemon *fake_new(void)
{
	struct fake_daemon *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	return d;
}

static const struct mh_report_view *V(struct fake_daemon *d)
{
	d->v = (struct mh_report_view){
		.sched = &d->sched,
		.counters = &d->counters,
		.kernel = &d->kernel,
		.balloon = &d->balloon,
		.config_path = d->config_path,
		.competitors = d->competitors,
		.nr_competitors = d->nr_competitors,
		.start_usec = d->start_usec,
	};
	return &d->v;
}

static const char *data_dir(void)
{
	const char *d = getenv("MEMHOTD_TEST_DATA");

	return d && *d ? d : "tests/data";
}

static json_object *jget(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static uint64_t ju(json_object *o, const char *k)
{
	json_object *v = jget(o, k);

	assert_non_null(v);
	return json_object_get_uint64(v);
}

static const char *js(json_object *o, const char *k)
{
	json_object *v = jget(o, k);

	return v ? json_object_get_string(v) : NULL;
}

/* Serialize and parse back: what a client gets. */
static json_object *roundtrip(json_object *o)
{
	json_object *p = json_tokener_parse(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	assert_non_null(p);
	json_object_put(o);
	return p;
}

static struct mh_config defaults(void)
{
	struct mh_config c;

	mh_config_defaults(&c);
	return c;
}

/* One node with ke pages of boot kernel memory (no blocks for it). */
static void inv_node(struct mh_inventory *inv, int nid, uint64_t ke)
{
	assert_int_equal(mh_inv_ensure_node(inv, nid), 0);
	mh_inv_calibrate(inv, nid, ke + inv->nodes[nid].hot_kernel, 0,
			 inv->totals[nid].movable);
}

/* count offline hotplugged blocks from first, on nid, in group g. */
static void inv_blocks(struct mh_inventory *inv, uint64_t first, uint64_t count,
		       int nid, ssize_t g)
{
	for (uint64_t id = first; id < first + count; id++) {
		struct mh_block *b = mh_inv_add_block(inv, id, true);

		assert_non_null(b);
		assert_int_equal(mh_inv_set_node(inv, b, nid), 0);
		mh_inv_set_group(inv, b, g);
	}
}

static ssize_t add_virtio(struct mh_inventory *inv, const char *name, int nid,
			  uint64_t first, uint64_t count, uint64_t unit_blocks)
{
	ssize_t g = mh_inv_group_add(inv, name, MH_GROUP_VIRTIO_MEM, nid,
				     first * BP, (first + count) * BP,
				     unit_blocks * BP);

	assert_true(g >= 0);
	inv_blocks(inv, first, count, nid, g);
	return g;
}

static ssize_t add_dimm(struct mh_inventory *inv, const char *name, int nid,
			uint64_t first, uint64_t count)
{
	ssize_t g = mh_inv_group_add(inv, name, MH_GROUP_DIMM, nid, first * BP,
				     (first + count) * BP, count * BP);

	assert_true(g >= 0);
	inv_blocks(inv, first, count, nid, g);
	return g;
}

/* Targets of the plan, as a string of 'M'/'N'/'-' in plan order. */
static char *plan_layout(json_object *plan)
{
	json_object *mem = jget(plan, "memory");
	size_t n = json_object_array_length(mem);
	char *s = calloc(n + 1, 1);

	for (size_t i = 0; i < n; i++) {
		json_object *p =
			jget(json_object_array_get_idx(mem, i), "plan");

		s[i] = !p					 ? '-'
		       : strcmp(js(p, "target"), "movable") == 0 ? 'M'
								 : 'N';
	}
	return s;
}

/*
 * What really onlining the offline blocks would give, in the same order
 * (plan order): decide against the live inventory, then set the block
 * online in the decided zone so that every counter moves.
 */
static char *sequential_layout(struct mh_inventory *inv,
			       const struct mh_config *cfg, json_object *plan)
{
	json_object *mem = jget(plan, "memory");
	size_t n = json_object_array_length(mem);
	char *s = calloc(n + 1, 1);
	struct mh_unit_block unit[64];

	for (size_t i = 0; i < n; i++) {
		uint64_t id = ju(json_object_array_get_idx(mem, i), "block");
		struct mh_block *b = mh_inv_block(inv, id);
		struct mh_policy_view view;
		struct mh_block_request req;
		struct mh_decision d;

		assert_non_null(b);
		mh_inv_policy_view(inv, &cfg->policy, &view);
		assert_int_equal(mh_inv_block_request(inv, b, unit, 64, &req),
				 0);
		mh_policy_decide(&view, &req, &d);
		s[i] = d.target == MH_TARGET_MOVABLE ? 'M' : 'N';
		mh_inv_set_online(inv, b,
				  d.target == MH_TARGET_MOVABLE
					  ? MH_ZONE_MOVABLE
					  : MH_ZONE_NORMAL,
				  MH_BY_MEMHOTD);
	}
	return s;
}

static char *repeat(const char *parts[], size_t n)
{
	size_t len = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(parts[i]);
	s = calloc(len + 1, 1);
	for (size_t i = 0; i < n; i++)
		strcat(s, parts[i]);
	return s;
}

static char *ms(char c, size_t n)
{
	char *s = malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- plan --------------------------------------------------------------- */

static void test_plan_tv2_virtio_sbm(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	json_object *plan;
	char *got, *seq, *m96 = ms('M', 96);

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	inv_node(&inv, 0, 4 * GIB_PAGES);
	add_virtio(&inv, "virtio0", 0, 48, 104, 1);
	plan = roundtrip(mh_report_plan(&inv, &cfg, NULL));
	got = plan_layout(plan);
	/* TV2: Mx96, then N M M M. */
	assert_int_equal(strncmp(got, m96, 96), 0);
	assert_string_equal(got + 96, "NMMMNMMM");
	assert_int_equal(ju(jget(plan, "totals"), "movable_memblocks"), 102);
	assert_int_equal(ju(jget(plan, "totals"), "kernel_memblocks"), 2);
	/* The inventory was not touched. */
	assert_int_equal(inv.totals[0].movable, 0);
	assert_int_equal(inv.gstats[0].present_movable, 0);
	assert_int_equal(inv.nodes[0].nr_offline, 104);
	/* And the plan is what onlining one after the other gives. */
	seq = sequential_layout(&inv, &cfg, plan);
	assert_string_equal(got, seq);
	free(got);
	free(seq);
	free(m96);
	json_object_put(plan);
	mh_inv_free(&inv);
}

static void test_plan_tv3_units(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	json_object *plan;
	char *got, *seq, *m96 = ms('M', 96), *want;
	const char *parts[] = {m96, "NNNN", "MMMMMMMMMMMM", "NNNN",
			       "MMMMMMMMMMMM"};

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	inv_node(&inv, 0, 4 * GIB_PAGES);
	/* BBM with 4-block units; the device starts unit-aligned. */
	add_virtio(&inv, "virtio0", 0, 48, 128, 4);
	plan = roundtrip(mh_report_plan(&inv, &cfg, NULL));
	got = plan_layout(plan);
	want = repeat(parts, 5);
	/* TV3: Mx96 Nx4 Mx12 Nx4 Mx12 */
	assert_string_equal(got, want);
	seq = sequential_layout(&inv, &cfg, plan);
	assert_string_equal(got, seq);
	free(got);
	free(seq);
	free(want);
	free(m96);
	json_object_put(plan);
	mh_inv_free(&inv);
}

static void test_plan_tv1_dimms(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	json_object *plan;
	char *got, *seq, *m96 = ms('M', 96), *n96 = ms('N', 96);
	char name[16];

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	inv_node(&inv, 0, 4 * GIB_PAGES);
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "PNP0C80:%02d", i);
		add_dimm(&inv, name, 0, 48 + 32 * (uint64_t)i, 32);
	}
	plan = roundtrip(mh_report_plan(&inv, &cfg, NULL));
	got = plan_layout(plan);
	/* TV1 (delta 0): DIMM0-2 Movable, DIMM3-5 kernel, whole devices. */
	assert_int_equal(strlen(got), 192);
	assert_int_equal(strncmp(got, m96, 96), 0);
	assert_string_equal(got + 96, n96);
	assert_string_equal(
		js(jget(json_object_array_get_idx(jget(plan, "memory"), 96),
			"plan"),
		   "reason"),
		"global-ratio");
	seq = sequential_layout(&inv, &cfg, plan);
	assert_string_equal(got, seq);
	free(got);
	free(seq);
	free(m96);
	free(n96);
	json_object_put(plan);
	mh_inv_free(&inv);
}

static void test_plan_two_nodes_and_waiting(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	json_object *plan, *mem;
	char *got, *seq, *m48 = ms('M', 48);
	struct mh_block *b;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	/* TV5b: 2 GiB boot memory per node, virtio-mem on node 1. */
	inv_node(&inv, 0, 2 * GIB_PAGES);
	inv_node(&inv, 1, 2 * GIB_PAGES);
	add_virtio(&inv, "virtio0", 1, 240, 56, 1);
	/* A block without its nodeN link and one someone else offlined. */
	b = mh_inv_add_block(&inv, 500, true);
	mh_inv_set_group(&inv, b, -1);
	plan = roundtrip(mh_report_plan(&inv, &cfg, NULL));
	got = plan_layout(plan);
	assert_int_equal(strncmp(got, m48, 48), 0);
	assert_string_equal(got + 48, "NMMMNMMM-");
	mem = jget(plan, "memory");
	assert_string_equal(js(json_object_array_get_idx(mem, 56), "skip"),
			    "wait-node");
	assert_int_equal(ju(jget(plan, "totals"), "skipped_memblocks"), 1);
	/* nodes_after: node 1 got 54 Movable blocks in the copies. */
	assert_int_equal(
		ju(json_object_array_get_idx(jget(plan, "nodes_after"), 1),
		   "movable"),
		54 * BS);
	got[56] = '\0';
	json_object_array_del_idx(mem, 56, 1);
	seq = sequential_layout(&inv, &cfg, plan);
	assert_string_equal(got, seq);
	free(got);
	free(seq);
	free(m48);
	json_object_put(plan);
	mh_inv_free(&inv);
}

/* ---- headroom ----------------------------------------------------------- */

static void test_headroom(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	uint64_t h;
	ssize_t g;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	inv_node(&inv, 0, 4 * GIB_PAGES);
	assert_true(mh_report_movable_headroom(&inv, &cfg.policy, 0, &h));
	assert_int_equal(h, 301ULL * 4 * GIB_PAGES / 100);
	assert_true(mh_report_movable_headroom(&inv, &cfg.policy, -1, &h));
	assert_int_equal(h, 301ULL * 4 * GIB_PAGES / 100);

	/* 10 Movable blocks of a virtio-mem device: its requirement is
	 * set aside, its MOVABLE paid for (doc/policy.md 3.3). */
	g = add_virtio(&inv, "virtio0", 0, 48, 10, 1);
	for (uint64_t id = 48; id < 58; id++)
		mh_inv_set_online(&inv, mh_inv_block(&inv, id), MH_ZONE_MOVABLE,
				  MH_BY_MEMHOTD);
	assert_int_equal(inv.gstats[g].present_movable, 10 * BP);
	assert_true(mh_report_movable_headroom(&inv, &cfg.policy, 0, &h));
	{
		uint64_t req = 10 * BP * 100 / 301;
		uint64_t ke = 4 * GIB_PAGES - req;

		assert_int_equal(h, 301 * ke / 100);
	}

	/* Not auto-movable: no limit. Ratio 0: nothing. */
	cfg.policy.policy = MH_POLICY_MOVABLE;
	assert_false(mh_report_movable_headroom(&inv, &cfg.policy, 0, &h));
	cfg.policy.policy = MH_POLICY_AUTO_MOVABLE;
	cfg.policy.ratio = 0;
	assert_true(mh_report_movable_headroom(&inv, &cfg.policy, 0, &h));
	assert_int_equal(h, 0);
	mh_inv_free(&inv);
}

/* ---- explain ------------------------------------------------------------ */

static void test_explain_recorded_computed_missing(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	struct fake_daemon *d = fake_new();
	json_object *ex, *dec, *g;
	struct mh_block *b;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	inv_node(&inv, 0, 4 * GIB_PAGES);
	add_virtio(&inv, "virtio0", 0, 48, 4, 1);

	/* Offline: computed now, with the numbers. */
	ex = roundtrip(mh_report_explain(&inv, &cfg, V(d), 48));
	assert_string_equal(js(ex, "decision_source"), "computed");
	dec = jget(ex, "decision");
	assert_string_equal(js(dec, "target"), "movable");
	assert_string_equal(js(dec, "reason"), "fits");
	g = jget(dec, "global");
	assert_int_equal(ju(g, "kernel_early_pages"), 4 * GIB_PAGES);
	assert_int_equal(ju(g, "nr_pages"), BP);
	assert_int_equal(ju(g, "limit_pages"), 301 * 4 * GIB_PAGES / 100);
	assert_non_null(jget(dec, "node"));
	assert_non_null(strstr(js(dec, "explanation"), "fits"));
	json_object_put(ex);

	/* Online with a recorded decision. */
	b = mh_inv_block(&inv, 49);
	{
		struct mh_decision rec = {0};

		rec.target = MH_TARGET_KERNEL;
		rec.reason = MH_REASON_NODE_RATIO;
		rec.policy = MH_POLICY_AUTO_MOVABLE;
		rec.ratio = 301;
		assert_int_equal(mh_inv_set_decision(&inv, b, &rec), 0);
	}
	mh_inv_set_online(&inv, b, MH_ZONE_NORMAL, MH_BY_MEMHOTD);
	ex = roundtrip(mh_report_explain(&inv, &cfg, V(d), 49));
	assert_string_equal(js(ex, "decision_source"), "recorded");
	assert_string_equal(js(jget(ex, "decision"), "reason"), "node-ratio");
	assert_int_equal(ju(jget(ex, "decision"), "ratio"), 301);
	assert_string_equal(js(jget(ex, "block"), "zone"), "Normal");
	assert_string_equal(js(jget(ex, "block"), "onlined_by"), "memhotd");
	json_object_put(ex);

	/* Its whole decision pushed out by a later one of the same slot:
	 * target and reason remain. */
	{
		struct mh_block *later = mh_inv_add_block(
			&inv, 49 + MH_INV_DECISIONS_KEPT, true);
		struct mh_decision rec = {0};

		assert_non_null(later);
		rec.target = MH_TARGET_MOVABLE;
		rec.reason = MH_REASON_FITS;
		assert_int_equal(mh_inv_set_decision(&inv, later, &rec), 0);
		assert_false(mh_inv_decision(&inv, b, &rec));
		assert_true(mh_inv_decision(&inv, later, &rec));
		mh_inv_remove_block(&inv, later->id);
	}
	ex = roundtrip(mh_report_explain(&inv, &cfg, V(d), 49));
	assert_string_equal(js(ex, "decision_source"), "recorded-brief");
	assert_string_equal(js(jget(ex, "decision"), "target"), "kernel");
	assert_string_equal(js(jget(ex, "decision"), "reason"), "node-ratio");
	assert_null(jget(jget(ex, "decision"), "explanation"));
	json_object_put(ex);

	/* Online by someone else: no decision, a note. */
	mh_inv_set_online(&inv, mh_inv_block(&inv, 50), MH_ZONE_MOVABLE,
			  MH_BY_OTHER);
	ex = roundtrip(mh_report_explain(&inv, &cfg, V(d), 50));
	assert_string_equal(js(ex, "decision_source"), "none");
	assert_null(jget(ex, "decision"));
	assert_non_null(strstr(js(ex, "note"), "someone else"));
	json_object_put(ex);

	/* No such block. */
	assert_null(mh_report_explain(&inv, &cfg, V(d), 4711));
	free(d);
	mh_inv_free(&inv);
}

/* ---- captures: status against zoneinfo, explain against the oracle ---- */

struct loaded {
	char root[64];
	struct mh_root mroot;
	struct mh_inventory inv;
};

/* A simulated tree from a capture directory (tests/data/captures/X). */
static void load_tree(const char *cap, const char *root)
{
	struct simtree t;

	snprintf(t.root, sizeof(t.root), "%s", root);
	st_from_capture(&t, cap);
	st_boot_id(&t, "6d9fcd42-0000-4000-8000-000000000001");
}

static void load_capture(struct loaded *l, const char *name)
{
	char dir[512];
	int r;

	snprintf(dir, sizeof(dir), "%s/captures/%s", data_dir(), name);
	strcpy(l->root, "/tmp/mh-report-XXXXXX");
	assert_non_null(mkdtemp(l->root));
	load_tree(dir, l->root);
	assert_int_equal(mh_root_open(&l->mroot, l->root), 0);
	memset(&l->inv, 0, sizeof(l->inv));
	r = mh_scan_full(&l->mroot, &l->inv);
	assert_int_equal(r, 0);
}

static void unload(struct loaded *l)
{
	mh_inv_free(&l->inv);
	mh_root_close(&l->mroot);
	nftw(l->root, st_rm_cb, 32, FTW_DEPTH | FTW_PHYS);
}

/* Per node, KERNEL_EARLY + hotplugged kernel == zoneinfo kernel present -
 * cma, MOVABLE == Movable present + cma; totals are the sums. */
static void check_status_against_zoneinfo(const char *capture, int nodes)
{
	struct loaded l;
	struct mh_config cfg = defaults();
	struct fake_daemon *d = fake_new();
	struct mh_zoneinfo zi;
	json_object *st, *arr, *tot, *devs;
	char path[512], *text;
	size_t len;
	uint64_t sum_ke = 0, sum_mv = 0, dev_blocks = 0, node_blocks = 0;

	load_capture(&l, capture);
	snprintf(d->config_path, sizeof(d->config_path), "/etc/memhotd.conf");
	snprintf(path, sizeof(path), "%s/captures/%s/zoneinfo", data_dir(),
		 capture);
	{
		FILE *f = fopen(path, "r");

		assert_non_null(f);
		text = malloc(1 << 20);
		len = fread(text, 1, (1 << 20) - 1, f);
		text[len] = '\0';
		fclose(f);
	}
	assert_int_equal(mh_parse_zoneinfo(text, len, &zi), 0);

	st = roundtrip(mh_report_status(&l.inv, &cfg, V(d), 5000000));
	arr = jget(st, "nodes");
	assert_int_equal(json_object_array_length(arr), nodes);
	for (int n = 0; n < nodes; n++) {
		json_object *node = json_object_array_get_idx(arr, n);
		struct mh_zoneinfo_node_sums s;

		mh_zoneinfo_node_sums(&zi, n, &s);
		assert_int_equal(ju(node, "node"), n);
		assert_int_equal(ju(node, "kernel_early") +
					 ju(node, "hotplugged_kernel"),
				 (s.kernel_present - s.kernel_cma) * 4096);
		assert_int_equal(ju(node, "movable"),
				 (s.movable_present + s.kernel_cma) * 4096);
		assert_int_equal(ju(node, "cma"), s.kernel_cma * 4096);
		assert_int_equal(ju(node, "ratio_limit"),
				 301 * (ju(node, "kernel_early") / 4096) / 100 *
					 4096);
		sum_ke += ju(node, "kernel_early");
		sum_mv += ju(node, "movable");
		node_blocks += ju(node, "total_memblocks");
	}
	tot = jget(st, "totals");
	assert_int_equal(ju(tot, "kernel_early"), sum_ke);
	assert_int_equal(ju(tot, "movable"), sum_mv);
	assert_int_equal(ju(tot, "total_memblocks"), l.inv.nr_blocks);
	assert_int_equal(node_blocks + ju(tot, "without_node_memblocks"),
			 l.inv.nr_blocks);
	devs = jget(st, "devices");
	for (size_t i = 0; i < json_object_array_length(devs); i++)
		dev_blocks += ju(json_object_array_get_idx(devs, i),
				 "total_memblocks");
	assert_int_equal(dev_blocks, l.inv.nr_blocks);
	assert_non_null(jget(st, "daemon"));
	assert_int_equal(ju(jget(st, "daemon"), "uptime_sec"), 5);
	json_object_put(st);
	mh_zoneinfo_free(&zi);
	free(text);
	free(d);
	unload(&l);
}

static void test_status_capture_1node(void **state)
{
	(void)state;
	check_status_against_zoneinfo("a-1node-vmem8g", 1);
}

static void test_status_capture_2nodes(void **state)
{
	(void)state;
	check_status_against_zoneinfo("b-2node-vmem8g-each", 2);
}

static void test_status_capture_dimms(void **state)
{
	(void)state;
	check_status_against_zoneinfo("c-1node-2dimms", 1);
}

static void test_status_devices_capture_a(void **state)
{
	struct loaded l;
	struct mh_config cfg = defaults();
	json_object *st, *devs, *v = NULL, *boot = NULL, *n0;

	(void)state;
	load_capture(&l, "a-1node-vmem8g");
	st = roundtrip(mh_report_status(&l.inv, &cfg, NULL, 0));
	assert_null(jget(st, "daemon"));
	devs = jget(st, "devices");
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *dv = json_object_array_get_idx(devs, i);

		if (strcmp(js(dv, "type"), "virtio-mem") == 0)
			v = dv;
		if (strcmp(js(dv, "type"), "boot") == 0)
			boot = dv;
	}
	assert_non_null(v);
	assert_non_null(boot);
	assert_string_equal(js(v, "name"), "virtio0");
	assert_int_equal(ju(v, "target_node"), 0);
	assert_int_equal(ju(v, "total_memblocks"), 64);
	assert_int_equal(ju(v, "online_memblocks"), 64);
	assert_int_equal(ju(v, "movable_memblocks"), 64);
	assert_true(json_object_get_boolean(jget(v, "movable")));
	assert_int_equal(ju(v, "present_movable"), 8ULL << 30);
	assert_int_equal(ju(boot, "total_memblocks"), 32);
	assert_int_equal(ju(boot, "kernel_memblocks"), 32);
	/* 1 048 446 pages boot kernel memory (captures/README.md). */
	n0 = json_object_array_get_idx(jget(st, "nodes"), 0);
	assert_int_equal(ju(n0, "kernel_early"), 1048446ULL * 4096);
	assert_int_equal(ju(n0, "movable"), 2097152ULL * 4096);
	/* For ungrouped memory, virtio0's 8 GiB Movable is paid for by
	 * the early kernel memory it requires (doc/policy.md 3.3): 1 page more
	 * than the naive 301% x KE - MOVABLE. */
	{
		uint64_t req = 2097152ULL * 100 / 301;
		uint64_t lim = 301 * (1048446 - req) / 100;

		assert_int_equal(ju(n0, "movable_headroom"), lim * 4096);
		assert_int_equal(lim, 301ULL * 1048446 / 100 - 2097152 + 1);
	}
	json_object_put(st);
	unload(&l);
}

/* Setup d: the kernel's own policy is auto-movable; the first word of
 * valid_zones of each offline block is its decision. */
static void test_explain_matches_kernel_oracle(void **state)
{
	struct loaded l;
	struct mh_config cfg = defaults();
	int checked = 0;

	(void)state;
	load_capture(&l, "d-1node-vmem-offline");
	for (uint64_t id = 48; id < 56; id++) {
		char rel[128], buf[64];
		json_object *ex;
		bool oracle_movable;

		snprintf(rel, sizeof(rel),
			 MH_SYSFS_MEMORY "/memory%llu/"
					 "valid_zones",
			 (unsigned long long)id);
		assert_true(mh_read_small(&l.mroot, rel, buf, sizeof(buf)) > 0);
		oracle_movable = strncmp(buf, "Movable", 7) == 0;
		ex = roundtrip(mh_report_explain(&l.inv, &cfg, NULL, id));
		assert_string_equal(js(ex, "decision_source"), "computed");
		assert_string_equal(js(jget(ex, "decision"), "target"),
				    oracle_movable ? "movable" : "kernel");
		json_object_put(ex);
		checked++;
	}
	assert_int_equal(checked, 8);
	unload(&l);
}

static void test_blocks_capture_dimms(void **state)
{
	struct loaded l;
	struct fake_daemon *d = fake_new();
	json_object *bl, *mem, *tot;
	uint64_t online = 0, movable = 0, dimm = 0;

	(void)state;
	load_capture(&l, "c-1node-2dimms");
	bl = roundtrip(mh_report_blocks(&l.inv, V(d)));
	mem = jget(bl, "memory");
	tot = jget(bl, "totals");
	assert_int_equal(json_object_array_length(mem), l.inv.nr_blocks);
	for (size_t i = 0; i < json_object_array_length(mem); i++) {
		json_object *m = json_object_array_get_idx(mem, i);

		if (i)
			assert_true(ju(m, "block") >
				    ju(json_object_array_get_idx(mem, i - 1),
				       "block"));
		assert_int_equal(ju(m, "start"), ju(m, "block") * BS);
		assert_int_equal(ju(m, "end"), ju(m, "start") + BS - 1);
		if (strcmp(js(m, "state"), "online") == 0)
			online++;
		if (js(m, "zone") && strcmp(js(m, "zone"), "Movable") == 0)
			movable++;
		if (strcmp(js(m, "device_type"), "dimm") == 0) {
			dimm++;
			assert_true(strncmp(js(m, "device"), "PNP0C80:", 8) ==
				    0);
		}
	}
	assert_int_equal(ju(tot, "online_memblocks"), online);
	assert_int_equal(ju(tot, "movable_memblocks"), movable);
	assert_int_equal(ju(tot, "total_memblocks"), l.inv.nr_blocks);
	assert_int_equal(ju(tot, "online_size"), online * BS);
	assert_int_equal(dimm, 64);
	assert_true(json_object_get_boolean(jget(bl, "decisions_known")));
	json_object_put(bl);
	/* Without a daemon: decisions unknown. */
	bl = roundtrip(mh_report_blocks(&l.inv, NULL));
	assert_false(json_object_get_boolean(jget(bl, "decisions_known")));
	json_object_put(bl);
	free(d);
	unload(&l);
}

/* ---- text renderers ----------------------------------------------------- */

static char *render(int (*fn)(FILE *, json_object *,
			      const struct mh_render_opts *),
		    json_object *o, const struct mh_render_opts *ro)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, o, ro), 0);
	fclose(f);
	return text;
}

static char *render_blocks(json_object *o, const struct mh_render_opts *ro,
			   int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	FILE *devnull = fopen("/dev/null", "w");

	*ret = mh_render_blocks(f, devnull, o, ro);
	fclose(f);
	fclose(devnull);
	return text;
}

/* The small layout of the renderer tests: 4 GiB boot memory on node 0
 * (blocks 0-31), virtio0 blocks 48-51 (two Movable, two offline). */
static void small_inventory(struct mh_inventory *inv)
{
	assert_int_equal(mh_inv_init(inv, BS), 0);
	for (uint64_t id = 0; id < 32; id++) {
		struct mh_block *b = mh_inv_add_block(inv, id, false);

		mh_inv_set_node(inv, b, 0);
		mh_inv_set_group(inv, b, -1);
		mh_inv_set_online(inv, b,
				  id < 16 ? MH_ZONE_DMA32 : MH_ZONE_NORMAL,
				  MH_BY_BOOT);
	}
	mh_inv_calibrate(inv, 0, 32 * BP, 0, 0);
	add_virtio(inv, "virtio0", 0, 48, 4, 1);
	for (uint64_t id = 48; id < 50; id++) {
		struct mh_block *b = mh_inv_block(inv, id);

		struct mh_decision rec = {0};

		rec.target = MH_TARGET_MOVABLE;
		rec.reason = MH_REASON_FITS;
		assert_int_equal(mh_inv_set_decision(inv, b, &rec), 0);
		mh_inv_set_online(inv, b, MH_ZONE_MOVABLE, MH_BY_MEMHOTD);
	}
}

static void test_render_blocks(void **state)
{
	struct mh_inventory inv;
	struct fake_daemon *d = fake_new();
	struct mh_render_opts ro = {0};
	json_object *bl;
	char *text;
	int r;

	(void)state;
	small_inventory(&inv);
	bl = roundtrip(mh_report_blocks(&inv, V(d)));
	/* The whole reply, and its renderings (test_render.c), as golden
	 * files. */
	assert_true(golden_json("blocks-daemon.json", bl));
	text = render_blocks(bl, &ro, &r);
	assert_int_equal(r, 0);
	assert_string_equal(
		text,
		"RANGE                                 SIZE STATE   ZONE    "
		"NODE DEVICE  BLOCK DECISION\n"
		"0x0000000000000000-0x000000007fffffff   2G online  DMA32      "
		"0 -        0-15 -\n"
		"0x0000000080000000-0x00000000ffffffff   2G online  Normal     "
		"0 -       16-31 -\n"
		"0x0000000180000000-0x000000018fffffff 256M online  Movable    "
		"0 virtio0 48-49 movable\n"
		"0x0000000190000000-0x000000019fffffff 256M offline -          "
		"0 virtio0 50-51 -\n"
		"\n"
		"Memory block size:    128M\n"
		"Total online memory:  4.3G\n"
		"Total offline memory: 256M\n");
	free(text);

	/* -o with a "+" appends; -a splits; -b bytes; -r raw; -n. */
	ro.columns = "BLOCK,SIZE,STATE,REASON,BY";
	ro.all = true;
	ro.bytes = true;
	ro.raw = true;
	ro.noheadings = true;
	text = render_blocks(bl, &ro, &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(text, "\n48 134217728 online fits memhotd\n"
				     "49 134217728 online fits memhotd\n"
				     "50 134217728 offline - -\n"));
	assert_null(strstr(text, "BLOCK"));
	free(text);
	memset(&ro, 0, sizeof(ro));
	ro.columns = "+REASON";
	text = render_blocks(bl, &ro, &r);
	assert_non_null(strstr(text, "DECISION REASON\n"));
	free(text);
	ro.columns = "RANGE,NOPE";
	text = render_blocks(bl, &ro, &r);
	assert_int_equal(r, -EINVAL);
	free(text);
	json_object_put(bl);

	/* Local listing: decisions unknown. */
	bl = roundtrip(mh_report_blocks(&inv, NULL));
	assert_true(golden_json("blocks-local.json", bl));
	memset(&ro, 0, sizeof(ro));
	ro.columns = "BLOCK,DECISION";
	text = render_blocks(bl, &ro, &r);
	assert_non_null(strstr(text, "\n48-51 ?\n"));
	free(text);
	json_object_put(bl);
	free(d);
	mh_inv_free(&inv);
}

/*
 * Allocation failures: this program's json_object_new_object and
 * json_object_new_uint64 take the place of json-c's (the executable's
 * symbols come first) and fail at their oom_fail_at'th call together;
 * oom_fail_at 0 never fails.
 */
static unsigned int oom_fail_at, oom_calls;

static bool oom_now(void)
{
	return oom_fail_at && ++oom_calls == oom_fail_at;
}

json_object *json_object_new_object(void)
{
	static json_object *(*real)(void);

	if (!real)
		real = (json_object * (*)(void))
			dlsym(RTLD_NEXT, "json_object_new_object");
	return oom_now() ? NULL : real();
}

json_object *json_object_new_uint64(uint64_t v)
{
	static json_object *(*real)(uint64_t);

	if (!real)
		real = (json_object * (*)(uint64_t))
			dlsym(RTLD_NEXT, "json_object_new_uint64");
	return oom_now() ? NULL : real(v);
}

/* Each failure point of a status, blocks and explain reply in turn: NULL
 * (the control server then answers "out of memory"), never a reply with
 * holes, no crash, and nothing leaks (LeakSanitizer, valgrind).  blocks
 * and explain are listing.c's block objects inside report.c's. */
enum oom_reply { OOM_STATUS, OOM_BLOCKS, OOM_EXPLAIN, OOM_REPLIES };

static json_object *oom_build(enum oom_reply r, struct mh_inventory *inv,
			      struct mh_config *cfg, struct fake_daemon *d)
{
	switch (r) {
	case OOM_STATUS:
		return mh_report_status(inv, cfg, V(d), 1000000);
	case OOM_BLOCKS:
		return mh_report_blocks(inv, V(d));
	default:
		return mh_report_explain(inv, cfg, V(d), 48);
	}
}

static void test_out_of_memory(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	struct fake_daemon *d = fake_new();
	json_object *o;

	(void)state;
	small_inventory(&inv);
	for (int r = 0; r < OOM_REPLIES; r++) {
		unsigned int points = 0;

		for (oom_fail_at = 1;; oom_fail_at++) {
			oom_calls = 0;
			o = oom_build(r, &inv, &cfg, d);
			if (oom_calls < oom_fail_at)
				break; /* no failure was injected: whole */
			assert_null(o);
			points++;
		}
		assert_non_null(o);
		json_object_put(o);
		assert_true(points > 10);
	}
	oom_fail_at = 0;
	mh_inv_free(&inv);
	free(d);
}

static void test_render_status(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	struct fake_daemon *d = fake_new();
	struct mh_render_opts ro = {0};
	json_object *st;
	char *text;

	(void)state;
	small_inventory(&inv);
	snprintf(d->config_path, sizeof(d->config_path), "/etc/memhotd.conf");
	d->counters.onlined = 2;
	d->counters.onlined_movable = 2;
	d->sched.nr_queued = 2;
	d->nr_competitors = 1;
	snprintf(d->competitors[0], sizeof(d->competitors[0]),
		 "udev rule /etc/udev/rules.d/40-redhat.rules onlines memory");
	d->start_usec = 1000000;
	st = roundtrip(
		mh_report_status(&inv, &cfg, V(d), 3723000000ULL + 1000000));
	assert_true(golden_json("status-daemon.json", st));
	text = render(mh_render_status, st, &ro);
	assert_non_null(strstr(text, "running for 1h 02min"));
	assert_non_null(strstr(text, "policy: auto-movable, ratio 301%, per "
				     "node and global; config "
				     "/etc/memhotd.conf\n"));
	assert_non_null(strstr(text, "blocks: 2 onlined (2 Movable, 0 kernel), "
				     "0 failed, 2 pending"));
	assert_non_null(strstr(text, "1 competitors detected\n  competitor: "
				     "udev rule"));
	/* KE 4G, MOVABLE 256M, limit 301% of 4G = 12G (12.04), used 6%,
	 * headroom 12.04G - 0.25G = 11.8G. */
	assert_non_null(strstr(
		text, "NODE BOOT-KERNEL HOT-KERNEL MOVABLE CMA LIMIT USED "
		      "HEADROOM BLOCKS ONLINE OFFLINE\n"
		      "   0          4G         0B    256M  0B   12G   6%    "
		      "11.8G     36     34       2\n"));
	assert_non_null(strstr(text, "DEVICE  TYPE       NODE UNIT SIZE "
				     "BLOCKS ONLINE MOVABLE KERNEL OFFLINE\n"
				     "-       boot          0    -    -     32 "
				     "    32       0     32       0\n"
				     "virtio0 virtio-mem    0 128M    -      4 "
				     "     2       2      0       2\n"));
	free(text);
	ro.bytes = true;
	text = render(mh_render_status, st, &ro);
	assert_non_null(strstr(text, " 4294967296 "));
	free(text);
	json_object_put(st);
	free(d);
	mh_inv_free(&inv);
}

static void test_render_explain_and_plan(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	struct mh_render_opts ro = {0};
	json_object *o;
	char *text;

	(void)state;
	small_inventory(&inv);
	o = roundtrip(mh_report_explain(&inv, &cfg, NULL, 50));
	text = render(mh_render_explain, o, &ro);
	assert_true(golden_json("explain-computed.json", o));
	assert_non_null(strstr(text, "memory50: offline, node 0, virtio0 "
				     "(virtio-mem), 128M at 0x190000000, "
				     "hotplugged\n"));
	assert_non_null(strstr(text, "decision (computed): ZONE_MOVABLE, "
				     "reason fits\n"));
	/* The check table: KE 1048576, MOVABLE 65536 + 32768 <= 3156213. */
	assert_non_null(strstr(text, "global"));
	assert_non_null(strstr(text, "1048576"));
	assert_non_null(strstr(text, "98304"));
	assert_non_null(strstr(text, "3156213 pass"));
	free(text);
	json_object_put(o);

	o = roundtrip(mh_report_plan(&inv, &cfg, NULL));
	text = render(mh_render_plan, o, &ro);
	assert_true(golden_json("plan-small.json", o));
	assert_string_equal(text, "BLOCK    NODE DEVICE  TYPE       TARGET  "
				  "REASON\n"
				  "memory50    0 virtio0 virtio-mem Movable "
				  "fits\n"
				  "memory51    0 virtio0 virtio-mem Movable "
				  "fits\n"
				  "\n"
				  "2 to Movable, 0 to a kernel zone, 0 skipped "
				  "(nothing was written)\n");
	free(text);
	json_object_put(o);
	mh_inv_free(&inv);
}

/* A plan on which the ratio bites, for the golden files (its rendering:
 * test_render.c): 4G boot, 256M Movable; ratio 10% allows 409.6M. */
static void test_golden_plan_ratio(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	json_object *o;

	(void)state;
	small_inventory(&inv);
	cfg.policy.ratio = 10;
	o = roundtrip(mh_report_plan(&inv, &cfg, NULL));
	assert_int_equal(ju(jget(o, "totals"), "movable_memblocks"), 1);
	assert_int_equal(ju(jget(o, "totals"), "kernel_memblocks"), 1);
	assert_true(golden_json("plan-ratio.json", o));
	json_object_put(o);

	/* with a hypothetical 512M DIMM on node 0 (plan --add dimm:512M) */
	{
		struct mh_plan_add pa;

		assert_int_equal(mh_plan_parse_add("dimm:512M", &pa), 0);
		o = mh_report_plan_adds(&inv, &cfg, NULL, &pa, 1, NULL, NULL);
		assert_non_null(o);
		o = roundtrip(o);
		assert_true(golden_json("plan-add.json", o));
		json_object_put(o);
	}
	mh_inv_free(&inv);
}

/* Beyond the kernel (doc/policy.md 9): status, explain and JSON keys. */
static void test_render_beyond(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg = defaults();
	struct fake_daemon *d = fake_new();
	struct mh_render_opts ro = {0};
	json_object *st, *o, *dec, *x;
	char *text;
	ssize_t ri;

	(void)state;
	small_inventory(&inv);
	cfg.policy.kernel_reserve = 1ULL << 30;
	cfg.policy.kernel_free_min = 128ULL << 20;
	cfg.policy.balloon = MH_BALLOON_WARN;
	snprintf(d->config_path, sizeof(d->config_path), "/etc/memhotd.conf");
	d->balloon.facts.active = true;
	d->balloon.facts.driver = "virtio_balloon";
	d->balloon.vmstat_read = true;
	d->start_usec = 1000000;

	st = roundtrip(mh_report_status(&inv, &cfg, V(d), 2000000));
	text = render(mh_render_status, st, &ro);
	assert_non_null(strstr(text, "guard: kernel_free_min 128M\n"));
	assert_true(golden_json("status-beyond.json", st));
	assert_non_null(strstr(text, "balloon: virtio_balloon bound, WITHOUT "
				     "balloon compaction: MOVABLE memory is a "
				     "bad idea; balloon_without_compaction = "
				     "warn\n"));
	/* KE 4G, 1G of it reserved: 3G counted, limit 301% of 3G = 9G,
	 * used 256M of 3G = 8% */
	assert_non_null(strstr(text,
			       "NODE BOOT-KERNEL HOT-KERNEL MOVABLE CMA "
			       "LIMIT USED HEADROOM BLOCKS ONLINE "
			       "OFFLINE RESERVE EFFECTIVE\n"
			       "   0          4G         0B    256M  0B "
			       "   9G   8%     8.8G     36     34       2 "
			       "     1G        3G\n"));
	/* no rule: no RULE column */
	assert_null(strstr(text, "RULE"));
	x = json_object_array_get_idx(jget(st, "nodes"), 0);
	assert_int_equal(ju(x, "kernel_reserve"), 1ULL << 30);
	assert_int_equal(ju(x, "kernel_early_reserved"), 1ULL << 30);
	assert_int_equal(ju(x, "kernel_early_effective"), 3ULL << 30);
	x = jget(jget(st, "daemon"), "balloon");
	assert_true(json_object_get_boolean(jget(x, "movable_risk")));
	assert_false(json_object_get_boolean(jget(x, "kernel_compaction")));
	free(text);
	json_object_put(st);

	/* explain: the reserve's and the balloon's numbers, the guard not
	 * measured (the report does no I/O) */
	o = roundtrip(mh_report_explain(&inv, &cfg, V(d), 50));
	assert_true(golden_json("explain-beyond.json", o));
	dec = jget(o, "decision");
	assert_string_equal(js(dec, "target"), "movable");
	assert_int_equal(ju(dec, "kernel_reserve_pages"), 262144);
	x = jget(dec, "global");
	assert_int_equal(ju(x, "boot_kernel_early_pages"), 1048576);
	assert_int_equal(ju(x, "reserved_pages"), 262144);
	assert_int_equal(ju(x, "kernel_early_pages"), 786432);
	x = jget(dec, "guard");
	assert_false(json_object_get_boolean(jget(x, "measured")));
	assert_null(jget(x, "kernel_free_bytes"));
	assert_int_equal(ju(x, "kernel_free_min_bytes"), 128ULL << 20);
	assert_string_equal(
		js(jget(dec, "balloon_without_compaction"), "driver"),
		"virtio_balloon");
	assert_null(jget(dec, "rule"));
	assert_false(json_object_get_boolean(jget(dec, "overridden")));
	text = render(mh_render_explain, o, &ro);
	assert_non_null(strstr(text,
			       "  kernel_reserve: 262144 pages of each "
			       "node's KERNEL_EARLY not counted\n"
			       "  guard: kernel_free_min 128M; free "
			       "memory not measured for this decision\n"
			       "  balloon: virtio_balloon without balloon "
			       "compaction, balloon_without_compaction "
			       "= warn\n"));
	assert_non_null(strstr(text, "; WARNING: virtio_balloon is active "
				     "without balloon compaction"));
	free(text);
	json_object_put(o);

	/* balloon_without_compaction = kernel, and a rule pinning virtio0 */
	cfg.policy.balloon = MH_BALLOON_KERNEL;
	o = roundtrip(mh_report_explain(&inv, &cfg, V(d), 50));
	dec = jget(o, "decision");
	assert_string_equal(js(dec, "target"), "kernel");
	assert_string_equal(js(dec, "reason"), "balloon-without-compaction");
	assert_true(json_object_get_boolean(jget(dec, "overridden")));
	assert_string_equal(js(dec, "base_target"), "movable");
	assert_string_equal(js(dec, "base_reason"), "fits");
	json_object_put(o);

	ri = mh_rules_add(&cfg.policy.rules, "pin");
	assert_true(ri >= 0);
	cfg.policy.rules.rule[ri].has_device = true;
	snprintf(cfg.policy.rules.rule[ri].device,
		 sizeof(cfg.policy.rules.rule[ri].device), "virtio*");
	cfg.policy.rules.rule[ri].has_zone = true;
	cfg.policy.rules.rule[ri].zone = MH_RULE_KERNEL;
	cfg.policy.balloon = MH_BALLOON_WARN;
	o = roundtrip(mh_report_explain(&inv, &cfg, V(d), 50));
	dec = jget(o, "decision");
	assert_string_equal(js(dec, "target"), "kernel");
	assert_string_equal(js(dec, "reason"), "rule-kernel");
	assert_string_equal(js(jget(dec, "rule"), "name"), "pin");
	assert_string_equal(js(jget(dec, "rule"), "zone"), "kernel");
	assert_string_equal(js(dec, "device_type"), "virtio-mem");
	assert_true(golden_json("explain-rule.json", o));
	text = render(mh_render_explain, o, &ro);
	assert_non_null(strstr(text, "decision (computed): a kernel zone, "
				     "reason rule-kernel\n"));
	assert_non_null(
		strstr(text, "  rule: \"pin\" matched, zone = kernel\n"));
	free(text);
	json_object_put(o);

	st = roundtrip(mh_report_status(&inv, &cfg, V(d), 2000000));
	assert_true(golden_json("status-rule.json", st));
	text = render(mh_render_status, st, &ro);
	assert_non_null(strstr(text, "DEVICE  TYPE       NODE UNIT SIZE "
				     "BLOCKS ONLINE MOVABLE KERNEL OFFLINE "
				     "RULE\n"
				     "-       boot          0    -    -     32 "
				     "    32       0     32       0 -\n"
				     "virtio0 virtio-mem    0 128M    -      4 "
				     "     2       2      0       2 pin "
				     "(kernel)\n"));
	free(text);
	json_object_put(st);
	free(d);
	mh_inv_free(&inv);
}

/* Renderers never crash on replies missing keys (another version). */
static void test_render_empty_objects(void **state)
{
	struct mh_render_opts ro = {0};
	json_object *o = json_object_new_object();
	char *text;
	int r;

	(void)state;
	text = render(mh_render_status, o, &ro);
	free(text);
	text = render(mh_render_explain, o, &ro);
	free(text);
	text = render(mh_render_plan, o, &ro);
	assert_string_equal(text, "no offline memory blocks: nothing to do\n");
	free(text);
	text = render_blocks(o, &ro, &r);
	assert_int_equal(r, 0);
	free(text);
	json_object_put(o);
}

static void test_format_and_args(void **state)
{
	char b[32];
	uint64_t id;

	(void)state;
	mh_format_size(0, b, sizeof(b));
	assert_string_equal(b, "0B");
	mh_format_size(1023, b, sizeof(b));
	assert_string_equal(b, "1023B");
	mh_format_size(1024, b, sizeof(b));
	assert_string_equal(b, "1K");
	mh_format_size(128ULL << 20, b, sizeof(b));
	assert_string_equal(b, "128M");
	mh_format_size(3ULL << 29, b, sizeof(b));
	assert_string_equal(b, "1.5G");
	mh_format_size(1048446ULL * 4096, b, sizeof(b));
	assert_string_equal(b, "4G");
	mh_format_size((15ULL << 27), b, sizeof(b));
	assert_string_equal(b, "1.9G");
	mh_format_size(UINT64_MAX, b, sizeof(b));
	assert_string_equal(b, "16E");
	assert_int_equal(mh_parse_block_arg("memory48", &id), 0);
	assert_int_equal(id, 48);
	assert_int_equal(mh_parse_block_arg("48", &id), 0);
	assert_int_equal(id, 48);
	assert_int_equal(mh_parse_block_arg("memory", &id), -EINVAL);
	assert_int_equal(mh_parse_block_arg("-1", &id), -EINVAL);
	assert_int_equal(mh_parse_block_arg("48x", &id), -EINVAL);
	assert_int_equal(mh_parse_block_arg("", &id), -EINVAL);
	assert_int_equal(mh_parse_block_arg("memory 4", &id), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_tv2_virtio_sbm),
		cmocka_unit_test(test_plan_tv3_units),
		cmocka_unit_test(test_plan_tv1_dimms),
		cmocka_unit_test(test_plan_two_nodes_and_waiting),
		cmocka_unit_test(test_headroom),
		cmocka_unit_test(test_explain_recorded_computed_missing),
		cmocka_unit_test(test_status_capture_1node),
		cmocka_unit_test(test_status_capture_2nodes),
		cmocka_unit_test(test_status_capture_dimms),
		cmocka_unit_test(test_status_devices_capture_a),
		cmocka_unit_test(test_explain_matches_kernel_oracle),
		cmocka_unit_test(test_blocks_capture_dimms),
		cmocka_unit_test(test_render_blocks),
		cmocka_unit_test(test_render_status),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_render_explain_and_plan),
		cmocka_unit_test(test_golden_plan_ratio),
		cmocka_unit_test(test_render_beyond),
		cmocka_unit_test(test_render_empty_objects),
		cmocka_unit_test(test_format_and_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
