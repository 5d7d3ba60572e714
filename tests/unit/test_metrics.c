/* SPDX-License-Identifier: MIT */
/*
 * metrics.c, journal.c and the journal fields of log.c: the renderer
 * against a golden file (tests/data/metrics/golden.prom, also checked
 * with promtool by the integration suite), the snapshot of a hand-built
 * inventory, counting, the atomic writer, the journal field builder and
 * the short decision line.  UPDATE_GOLDEN=1 rewrites the golden
 * file (review the diff).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "memhotd/config.h"
#include "memhotd/journal.h"
#include "memhotd/log.h"
#include "memhotd/metrics.h"
#include "memhotd/report.h"
#include "memhotd/sysfs.h"

#include "golden.h"

#define BS (128ULL << 20)
#define BP (BS / 4096)

static const char *data_dir(void)
{
	const char *d = getenv("MEMHOTD_TEST_DATA");

	return d && *d ? d : "tests/data";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* ---- the renderer ------------------------------------------------------ */

static void golden_counters(struct mh_metrics_counters *c)
{
	struct mh_decision d;

	memset(c, 0, sizeof(*c));
	c->onlined[MH_ZONE_MOVABLE] = 24;
	c->onlined[MH_ZONE_NORMAL] = 8;
	c->lost_races = 1;
	c->retries = 3;
	c->vanished = 2;
	mh_metrics_count_failure(c, -EBUSY);
	mh_metrics_count_failure(c, EBUSY);
	mh_metrics_count_failure(c, -133); /* EHWPOISON */
	memset(&d, 0, sizeof(d));
	for (int i = 0; i < 24; i++)
		mh_metrics_count_decision(c, &d); /* movable, fits */
	d.target = MH_TARGET_KERNEL;
	d.reason = MH_REASON_NODE_RATIO;
	for (int i = 0; i < 6; i++)
		mh_metrics_count_decision(c, &d);
	d.reason = MH_REASON_RULE_KERNEL;
	mh_metrics_count_decision(c, &d);
	d.reason = MH_REASON_GUARD;
	d.reserve_pages = 65536;
	d.node.evaluated = true;
	d.node.reserved = 65536;
	mh_metrics_count_decision(c, &d);
	c->guard_episodes = 1;
	/* 0.4 ms, 3 ms, 12 ms twice, 2 s */
	mh_histogram_observe(&c->decision_to_online, 400);
	mh_histogram_observe(&c->decision_to_online, 3000);
	mh_histogram_observe(&c->decision_to_online, 12000);
	mh_histogram_observe(&c->decision_to_online, 12000);
	mh_histogram_observe(&c->decision_to_online, 2000000);
	mh_histogram_observe(&c->add_to_online, 1000);	   /* on a bound */
	mh_histogram_observe(&c->add_to_online, 60000000); /* beyond all */
}

static void golden_snapshot(struct mh_metrics_snapshot *s,
			    struct mh_metrics_counters *c,
			    struct mh_metrics_node *nodes,
			    struct mh_metrics_device *devs)
{
	golden_counters(c);
	memset(nodes, 0, 2 * sizeof(*nodes));
	memset(devs, 0, 4 * sizeof(*devs));
	nodes[0] = (struct mh_metrics_node){
		.nid = 0,
		.boot_kernel = 4ULL << 30,
		.hotplug_kernel = 1ULL << 30,
		.movable = 3ULL << 30,
		.has_limit = true,
		.limit = 12927891456ULL,
		.headroom = 9706665984ULL,
	};
	nodes[1] = (struct mh_metrics_node){
		.nid = 1,
		.boot_kernel = 0,
		.movable = 0,
		.reserve = 256ULL << 20,
		.has_limit = false,
	};
	snprintf(devs[0].name, sizeof(devs[0].name), "virtio0");
	devs[0].type = "virtio-mem";
	devs[0].nid = 0;
	devs[0].online[MH_ZONE_MOVABLE] = 24;
	devs[0].online[MH_ZONE_NORMAL] = 8;
	devs[0].offline = 3;
	snprintf(devs[1].name, sizeof(devs[1].name), "PNP0C80:00");
	devs[1].type = "dimm";
	devs[1].nid = 1;
	devs[1].going_offline = 1;
	devs[1].online[MH_ZONE_MOVABLE] = 7;
	devs[2].type = "boot";
	devs[2].nid = 0;
	devs[2].online[MH_ZONE_NONE] = 1;
	devs[2].online[MH_ZONE_DMA32] = 15;
	devs[2].online[MH_ZONE_NORMAL] = 16;
	snprintf(devs[3].name, sizeof(devs[3].name), "we\"ird\\name");
	devs[3].type = "dax";
	devs[3].nid = -1;
	*s = (struct mh_metrics_snapshot){
		.version = "0.1.0",
		.policy = "auto-movable",
		.dry_run = false,
		.block_size = BS,
		.pending = 3,
		.nodes = nodes,
		.nr_nodes = 2,
		.devices = devs,
		.nr_devices = 4,
		.c = c,
	};
}

static void test_render_golden(void **state)
{
	struct mh_metrics_counters c;
	struct mh_metrics_node nodes[2];
	struct mh_metrics_device devs[4];
	struct mh_metrics_snapshot s;
	char path[1024], *text = NULL, *want;
	size_t len = 0;

	(void)state;
	golden_snapshot(&s, &c, nodes, devs);
	assert_int_equal(mh_metrics_render(&s, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	snprintf(path, sizeof(path), "%s/metrics/golden.prom", data_dir());
	if (golden_update()) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	want = slurp(path);
	assert_non_null(want);
	assert_string_equal(text, want);
	free(want);
	free(text);
}

/* Every sample line's family has HELP and TYPE before it; counters end in
 * _total; no family twice. */
static void test_render_shape(void **state)
{
	struct mh_metrics_counters c;
	struct mh_metrics_node nodes[2];
	struct mh_metrics_device devs[4];
	struct mh_metrics_snapshot s;
	char *text = NULL, *line, *save = NULL, fam[128] = "", type[32] = "";
	int families = 0;

	(void)state;
	golden_snapshot(&s, &c, nodes, devs);
	assert_int_equal(mh_metrics_render(&s, &text, NULL), 0);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (!strncmp(line, "# HELP ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s", fam), 1);
			assert_true(strncmp(fam, "memhotd_", 8) == 0);
			families++;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(
				sscanf(line + 7, "%127s %31s", name, type), 2);
			assert_string_equal(name, fam);
			if (!strcmp(type, "counter"))
				assert_non_null(strstr(fam, "_total"));
			continue;
		}
		assert_int_equal(sscanf(line, "%127[^{ ]", name), 1);
		assert_true(strncmp(name, fam, strlen(fam)) == 0);
	}
	assert_true(families >= 20);
	free(text);
}

/* ---- the snapshot of an inventory --------------------------------------- */

static void test_collect(void **state)
{
	struct mh_inventory inv;
	struct mh_config cfg;
	struct mh_metrics_snapshot s = {0};
	uint64_t h;
	ssize_t g;

	(void)state;
	mh_config_defaults(&cfg);
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	for (uint64_t id = 0; id < 32; id++) {
		struct mh_block *b = mh_inv_add_block(&inv, id, false);

		mh_inv_set_node(&inv, b, 0);
		mh_inv_set_group(&inv, b, -1);
		mh_inv_set_online(&inv, b,
				  id < 16 ? MH_ZONE_DMA32 : MH_ZONE_NORMAL,
				  MH_BY_BOOT);
	}
	mh_inv_calibrate(&inv, 0, 32 * BP, 0, 0);
	g = mh_inv_group_add(&inv, "virtio0", MH_GROUP_VIRTIO_MEM, 0, 48 * BP,
			     52 * BP, BP);
	assert_true(g >= 0);
	for (uint64_t id = 48; id < 52; id++) {
		struct mh_block *b = mh_inv_add_block(&inv, id, true);

		mh_inv_set_node(&inv, b, 0);
		mh_inv_set_group(&inv, b, g);
		if (id < 50)
			mh_inv_set_online(&inv, b, MH_ZONE_MOVABLE,
					  MH_BY_MEMHOTD);
		if (id == 50)
			mh_inv_set_online(&inv, b, MH_ZONE_NORMAL,
					  MH_BY_MEMHOTD);
	}
	/* memory of no device, not on a node yet */
	mh_inv_add_block(&inv, 60, true);

	assert_int_equal(mh_metrics_collect(&inv, &cfg.policy, &s), 0);
	assert_int_equal(s.nr_nodes, 1);
	assert_int_equal(s.nodes[0].nid, 0);
	assert_int_equal(s.nodes[0].boot_kernel, 32 * BS);
	assert_int_equal(s.nodes[0].hotplug_kernel, BS);
	assert_int_equal(s.nodes[0].movable, 2 * BS);
	assert_true(s.nodes[0].has_limit);
	assert_int_equal(s.nodes[0].limit, 301 * 32 * BP / 100 * 4096);
	assert_true(mh_report_movable_headroom(&inv, &cfg.policy, 0, &h));
	assert_int_equal(s.nodes[0].headroom, h * 4096);
	assert_int_equal(s.nr_devices, 3);
	assert_string_equal(s.devices[0].name, "virtio0");
	assert_string_equal(s.devices[0].type, "virtio-mem");
	assert_int_equal(s.devices[0].online[MH_ZONE_MOVABLE], 2);
	assert_int_equal(s.devices[0].online[MH_ZONE_NORMAL], 1);
	assert_int_equal(s.devices[0].offline, 1);
	assert_string_equal(s.devices[1].name, "");
	assert_string_equal(s.devices[1].type, "boot");
	assert_int_equal(s.devices[1].online[MH_ZONE_DMA32], 16);
	assert_int_equal(s.devices[1].online[MH_ZONE_NORMAL], 16);
	assert_string_equal(s.devices[2].type, "none");
	assert_int_equal(s.devices[2].offline, 1);
	mh_metrics_snapshot_free(&s);

	/* no limit without auto-movable */
	cfg.policy.policy = MH_POLICY_KERNEL;
	assert_int_equal(mh_metrics_collect(&inv, &cfg.policy, &s), 0);
	assert_false(s.nodes[0].has_limit);
	mh_metrics_snapshot_free(&s);
	mh_inv_free(&inv);
}

/* ---- counting ---------------------------------------------------------- */

static void test_counting(void **state)
{
	struct mh_metrics_counters c;
	struct mh_decision d;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (int e = 1; e <= MH_METRICS_NR_ERRNOS + 3; e++)
		mh_metrics_count_failure(&c, -e);
	mh_metrics_count_failure(&c, -1);
	mh_metrics_count_failure(&c, 0);
	assert_int_equal(c.nr_failure_errnos, MH_METRICS_NR_ERRNOS);
	assert_int_equal(c.failures[0].err, 1);
	assert_int_equal(c.failures[0].n, 2);
	assert_int_equal(c.failures_other, 4);

	memset(&d, 0, sizeof(d));
	d.balloon_risk = true;
	mh_metrics_count_decision(&c, &d);
	assert_int_equal(c.decisions[0][MH_REASON_FITS], 1);
	assert_int_equal(c.balloon_warnings, 1);
	assert_int_equal(c.reserve_decisions[0], 0);
	/* a reserve that took nothing is not counted */
	d.reserve_pages = 100;
	d.global.evaluated = true;
	mh_metrics_count_decision(&c, &d);
	assert_int_equal(c.reserve_decisions[0], 0);
	d.global.reserved = 100;
	d.target = MH_TARGET_KERNEL;
	d.reason = MH_REASON_GLOBAL_RATIO;
	mh_metrics_count_decision(&c, &d);
	assert_int_equal(c.reserve_decisions[1], 1);
	assert_int_equal(c.decisions[1][MH_REASON_GLOBAL_RATIO], 1);
	assert_int_equal(c.balloon_warnings, 2);

	/* bucket bounds are inclusive (le) */
	struct mh_histogram h = {0};

	mh_histogram_observe(&h, 1000);
	mh_histogram_observe(&h, 1001);
	mh_histogram_observe(&h, 0);
	assert_int_equal(h.bucket[0], 2);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.count, 3);
	assert_int_equal(h.sum_usec, 2001);
}

/* ---- the writer -------------------------------------------------------- */

static void test_write_file(void **state)
{
	char dir[] = "/tmp/mhmetrics.XXXXXX", p[512], *got;
	struct mh_root root;
	struct stat st;
	mode_t old;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/var/lib/ne", dir);
	assert_int_equal(
		system((snprintf(p, sizeof(p), "mkdir -p %s/var/lib/ne", dir),
			p)),
		0);
	assert_int_equal(mh_root_open(&root, dir), 0);
	old = umask(077);
	assert_int_equal(mh_metrics_write_file(
				 &root, "/var/lib/ne/memhotd.prom", "a 1\n", 4),
			 0);
	assert_int_equal(mh_metrics_write_file(
				 &root, "/var/lib/ne/memhotd.prom", "a 2\n", 4),
			 0);
	umask(old);
	snprintf(p, sizeof(p), "%s/var/lib/ne/memhotd.prom", dir);
	got = slurp(p);
	assert_non_null(got);
	assert_string_equal(got, "a 2\n");
	free(got);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* nothing else left in the directory */
	snprintf(p, sizeof(p), "test $(ls -A %s/var/lib/ne | wc -l) = 1", dir);
	assert_int_equal(system(p), 0);
	/* at the root itself */
	assert_int_equal(mh_metrics_write_file(&root, "/top.prom", "b 1\n", 4),
			 0);
	snprintf(p, sizeof(p), "%s/top.prom", dir);
	assert_int_equal(access(p, F_OK), 0);
	/* relative, a directory, a missing directory */
	assert_int_equal(mh_metrics_write_file(&root, "x.prom", "", 0),
			 -EINVAL);
	assert_int_equal(mh_metrics_write_file(&root, "/var/lib/", "", 0),
			 -EINVAL);
	assert_int_equal(mh_metrics_write_file(&root, "/nope/x.prom", "", 0),
			 -ENOENT);
	mh_root_close(&root);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
}

/* ---- the journal ------------------------------------------------------- */

static bool has_field(const struct iovec *iov, int n, const char *want)
{
	for (int i = 0; i < n; i++)
		if (iov[i].iov_len == strlen(want) &&
		    !memcmp(iov[i].iov_base, want, iov[i].iov_len))
			return true;
	return false;
}

static void test_log_fields(void **state)
{
	struct mh_log_fields f = MH_LOG_FIELDS_INIT;
	struct iovec iov[MH_LOG_MAX_FIELDS];
	char buf[1024], small[40];
	int n;

	(void)state;
	/* plain message: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER */
	n = mh_log_build_fields(NULL, LOG_WARNING, "hello", buf, sizeof(buf),
				iov, MH_LOG_MAX_FIELDS);
	assert_int_equal(n, 3);
	assert_true(has_field(iov, n, "MESSAGE=hello"));
	assert_true(has_field(iov, n, "PRIORITY=4"));
	assert_int_equal(strncmp(iov[2].iov_base, "SYSLOG_IDENTIFIER=", 18), 0);
	/* no event, no block: still nothing more */
	n = mh_log_build_fields(&f, LOG_INFO, "x", buf, sizeof(buf), iov,
				MH_LOG_MAX_FIELDS);
	assert_int_equal(n, 3);

	f.event = MH_EV_DECISION;
	f.has_block = true;
	f.block = 37;
	f.zone = "Movable";
	f.node = 0;
	f.device = "virtio0";
	f.reason = "fits";
	n = mh_log_build_fields(&f, LOG_INFO,
				"memory37: online_movable (ratio)", buf,
				sizeof(buf), iov, MH_LOG_MAX_FIELDS);
	assert_int_equal(n, 10);
	assert_true(has_field(iov, n,
			      "MESSAGE=memory37: online_movable "
			      "(ratio)"));
	assert_true(has_field(iov, n, "PRIORITY=6"));
	assert_true(has_field(iov, n,
			      "MESSAGE_ID="
			      "408c86379c3b400db918dc7eb3ba3eba"));
	assert_true(has_field(iov, n, "MEMHOTD_EVENT=decision"));
	assert_true(has_field(iov, n, "MEMHOTD_BLOCK=37"));
	assert_true(has_field(iov, n, "MEMHOTD_ZONE=Movable"));
	assert_true(has_field(iov, n, "MEMHOTD_NODE=0"));
	assert_true(has_field(iov, n, "MEMHOTD_DEVICE=virtio0"));
	assert_true(has_field(iov, n, "MEMHOTD_REASON=fits"));
	/* the strings are NUL-separated in buf, iov_len without the NUL */
	for (int i = 0; i < n; i++)
		assert_int_equal(((char *)iov[i].iov_base)[iov[i].iov_len],
				 '\0');

	/* too small: an error, never a truncated field */
	assert_int_equal(mh_log_build_fields(&f, LOG_INFO, "m", small,
					     sizeof(small), iov,
					     MH_LOG_MAX_FIELDS),
			 -ENOBUFS);
	assert_int_equal(mh_log_build_fields(&f, LOG_INFO, "m", buf,
					     sizeof(buf), iov, 3),
			 -ENOBUFS);

	/* every event kind has its own id */
	for (int e = MH_EV_DECISION; e < MH_EV_COUNT; e++) {
		const char *id = mh_event_message_id((enum mh_event)e);

		assert_non_null(id);
		assert_int_equal(strlen(id), 32);
		assert_non_null(mh_event_name((enum mh_event)e));
		for (int o = MH_EV_DECISION; o < e; o++)
			assert_string_not_equal(
				id, mh_event_message_id((enum mh_event)o));
	}
	assert_null(mh_event_message_id(MH_EV_NONE));
	assert_null(mh_event_message_id(MH_EV_COUNT));
}

static void test_journal_detect(void **state)
{
	struct stat st;
	char v[64];

	(void)state;
	mh_log_set_journal_sender(NULL);
	assert_int_equal(fstat(2, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	mh_log_set_journal(-1);
	/* stderr matches, but there is no sender in this test: stderr */
	assert_false(mh_log_journal());
	setenv("JOURNAL_STREAM", "1:2", 1);
	mh_log_set_journal(-1);
	assert_false(mh_log_journal());
	unsetenv("JOURNAL_STREAM");
	mh_log_set_journal(-1);
	assert_false(mh_log_journal());
}

static int fake_sent;
static char fake_last[512];

static int fake_sendv(const struct iovec *iov, int n)
{
	fake_sent++;
	fake_last[0] = '\0';
	for (int i = 0; i < n; i++) {
		strncat(fake_last, iov[i].iov_base,
			sizeof(fake_last) - strlen(fake_last) - 2);
		strcat(fake_last, "|");
	}
	return 0;
}

static void test_journal_send(void **state)
{
	struct mh_log_fields f = MH_LOG_FIELDS_INIT;

	(void)state;
	mh_log_set_journal_sender(fake_sendv);
	mh_log_set_journal(1);
	f.event = MH_EV_FAILURE;
	f.has_block = true;
	f.block = 5;
	mh_log_ev(LOG_ERR, &f, "memory%d: failed", 5);
	assert_int_equal(fake_sent, 1);
	assert_non_null(strstr(fake_last, "MESSAGE=memory5: failed|"));
	assert_non_null(strstr(fake_last, "MEMHOTD_EVENT=failure|"));
	assert_non_null(strstr(fake_last, "MEMHOTD_BLOCK=5|"));
	/* below the level: nothing */
	mh_log(LOG_DEBUG, "quiet");
	assert_int_equal(fake_sent, 1);
	mh_log(LOG_NOTICE, "plain %s", "line");
	assert_int_equal(fake_sent, 2);
	assert_non_null(strstr(fake_last, "MESSAGE=plain line|PRIORITY=5|"));
	mh_log_set_journal(0);
	mh_log_set_journal_sender(NULL);
}

/* ---- the short decision line -------------------------------------------- */

static void test_decision_summary(void **state)
{
	struct mh_decision d;
	char buf[256];

	(void)state;
	memset(&d, 0, sizeof(d));
	d.target = MH_TARGET_MOVABLE;
	d.reason = MH_REASON_FITS;
	d.ratio = 301;
	d.global = (struct mh_ratio_check){.evaluated = true,
					   .pass = true,
					   .nid = -1,
					   .limit = 10 * BP,
					   .movable_after = 4 * BP};
	d.node = (struct mh_ratio_check){.evaluated = true,
					 .pass = true,
					 .nid = 0,
					 .limit = 10 * BP,
					 .movable_after = 9 * BP};
	mh_decision_summary(&d, 4096, buf, sizeof(buf));
	assert_string_equal(buf, "ratio: 301% of kernel, 128M left on node0");
	d.node.evaluated = false;
	mh_decision_summary(&d, 4096, buf, sizeof(buf));
	assert_string_equal(buf, "ratio: 301% of kernel, 768M left");

	d.target = MH_TARGET_KERNEL;
	d.reason = MH_REASON_GLOBAL_RATIO;
	d.global.pass = false;
	d.global.movable_after = 12 * BP;
	d.reserve_pages = 2 * BP;
	mh_decision_summary(&d, 4096, buf, sizeof(buf));
	assert_string_equal(buf, "ratio: 301% of kernel exceeded by 256M, "
				 "kernel_reserve 256M");

	d.reserve_pages = 0;
	d.reason = MH_REASON_RULE_KERNEL;
	snprintf(d.rule_name, sizeof(d.rule_name), "pinned");
	mh_decision_summary(&d, 4096, buf, sizeof(buf));
	assert_string_equal(buf, "rule pinned");

	d.reason = MH_REASON_GUARD;
	d.overridden = true;
	d.base_target = MH_TARGET_MOVABLE;
	d.base_reason = MH_REASON_FITS;
	d.global.pass = true;
	d.global.movable_after = 4 * BP;
	d.guard_free_bytes = 100ULL << 20;
	d.guard_min_bytes = 128ULL << 20;
	mh_decision_summary(&d, 4096, buf, sizeof(buf));
	assert_string_equal(buf, "guard: kernel free 100M < 128M; else "
				 "movable: ratio: 301% of kernel, 768M left");

	memset(&d, 0, sizeof(d));
	d.reason = MH_REASON_POLICY_MOVABLE;
	d.balloon_risk = true;
	snprintf(d.balloon_driver, sizeof(d.balloon_driver), "hv_balloon");
	mh_decision_summary(&d, 4096, buf, sizeof(buf));
	assert_string_equal(buf, "online_policy movable; balloon hv_balloon "
				 "without compaction");
	/* truncation is snprintf's: length of the whole, buf terminated */
	assert_int_equal(
		mh_decision_summary(&d, 4096, buf, 8),
		(int)strlen("online_policy movable; balloon hv_balloon "
			    "without compaction"));
	assert_int_equal(strlen(buf), 7);
}

static void test_block_fields(void **state)
{
	struct mh_inventory inv;
	struct mh_log_fields f;
	struct mh_decision d;
	struct mh_block *b;
	ssize_t g;

	(void)state;
	assert_int_equal(mh_inv_init(&inv, BS), 0);
	g = mh_inv_group_add(&inv, "virtio0", MH_GROUP_VIRTIO_MEM, 0, 48 * BP,
			     52 * BP, BP);
	b = mh_inv_add_block(&inv, 48, true);
	mh_inv_set_node(&inv, b, 0);
	mh_inv_set_group(&inv, b, g);
	memset(&d, 0, sizeof(d));
	d.reason = MH_REASON_NODE_RATIO;
	mh_block_fields(&inv, 48, b, MH_EV_DECISION, "Normal", &d, &f);
	assert_int_equal(f.event, MH_EV_DECISION);
	assert_true(f.has_block);
	assert_int_equal(f.block, 48);
	assert_int_equal(f.node, 0);
	assert_string_equal(f.zone, "Normal");
	assert_string_equal(f.device, "virtio0");
	assert_string_equal(f.reason, "node-ratio");
	/* a block not (or no longer) in the inventory: just its number */
	mh_block_fields(&inv, 99, NULL, MH_EV_FAILURE, NULL, NULL, &f);
	assert_int_equal(f.block, 99);
	assert_int_equal(f.node, -1);
	assert_null(f.device);
	assert_null(f.zone);
	assert_null(f.reason);
	mh_inv_free(&inv);
}

/* ---- [metrics] textfile ------------------------------------------------ */

static void test_config_textfile(void **state)
{
	struct mh_config c;
	char err[512];

	(void)state;
	mh_config_defaults(&c);
	assert_string_equal(c.metrics_textfile, "");
	assert_int_equal(mh_config_parse_string("[metrics]\ntextfile = "
						"/var/lib/ne/m.prom  # why\n",
						"t.conf", &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.metrics_textfile, "/var/lib/ne/m.prom");
	assert_int_equal(mh_config_parse_string("[metrics]\ntextfile =\n",
						"t.conf", &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.metrics_textfile, "");
	assert_int_equal(
		mh_config_parse_string("[metrics]\ntextfile = m.prom\n",
				       "t.conf", &c, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "t.conf:2: [metrics] key 'textfile': "
				    "'m.prom' is not an absolute path"));
	assert_int_equal(mh_config_parse_string("[metrics]\ntextfile = /var/\n",
						"t.conf", &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "names a directory"));
	assert_int_equal(mh_config_parse_string("[metrics]\ntext = /a\n",
						"t.conf", &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "allowed: textfile"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_golden),
		cmocka_unit_test(test_render_shape),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_counting),
		cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_log_fields),
		cmocka_unit_test(test_journal_detect),
		cmocka_unit_test(test_journal_send),
		cmocka_unit_test(test_decision_summary),
		cmocka_unit_test(test_block_fields),
		cmocka_unit_test(test_config_textfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
