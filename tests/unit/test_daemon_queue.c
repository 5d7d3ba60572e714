// SPDX-License-Identifier: MIT
/*
 * daemon.c's queue, driven through the real event loop in dry-run mode on
 * a simulated tree: coldplug, waiting for nodeN links, strict ascending
 * order within a device, devices not holding each other up, removal,
 * foreign onlining, netlink overflow.  libudev is replaced by the fake
 * below (a pipe of records), so no real uevent reaches the test.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memhotd/config.h"
#include "memhotd/daemon.h"
#include "memhotd/log.h"
#include "memhotd/report.h"
#include "memhotd/scan.h"

#include "simtree.h"

/* ---- fake libudev: records through a non-blocking pipe ---- */

struct udev {
	int unused;
};
struct udev_monitor {
	int fd[2];
};
struct udev_device {
	char action[16];
	char sysname[32];
};
struct rec {
	char action[16];
	char sysname[32];
};

static struct udev fake_udev;
static struct udev_monitor fake_mon = {{-1, -1}};

struct udev *udev_new(void)
{
	return &fake_udev;
}

struct udev *udev_unref(struct udev *u)
{
	(void)u;
	return NULL;
}

struct udev_monitor *udev_monitor_new_from_netlink(struct udev *u,
						   const char *name)
{
	(void)u;
	if (strcmp(name, "kernel") != 0)
		return NULL;
	if (pipe2(fake_mon.fd, O_NONBLOCK | O_CLOEXEC) < 0)
		return NULL;
	return &fake_mon;
}

int udev_monitor_filter_add_match_subsystem_devtype(struct udev_monitor *m,
						    const char *subsystem,
						    const char *devtype)
{
	(void)m;
	(void)devtype;
	return strcmp(subsystem, "memory") == 0 ? 0 : -EINVAL;
}

int udev_monitor_set_receive_buffer_size(struct udev_monitor *m, int size)
{
	(void)m;
	(void)size;
	return 0;
}

int udev_monitor_enable_receiving(struct udev_monitor *m)
{
	(void)m;
	return 0;
}

int udev_monitor_get_fd(struct udev_monitor *m)
{
	return m->fd[0];
}

struct udev_device *udev_monitor_receive_device(struct udev_monitor *m)
{
	struct rec r;
	struct udev_device *d;
	ssize_t n = read(m->fd[0], &r, sizeof(r));

	if (n != (ssize_t)sizeof(r)) {
		errno = EAGAIN;
		return NULL;
	}
	if (strcmp(r.action, "overflow") == 0) {
		errno = ENOBUFS;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	memcpy(d->action, r.action, sizeof(d->action));
	memcpy(d->sysname, r.sysname, sizeof(d->sysname));
	return d;
}

struct udev_monitor *udev_monitor_unref(struct udev_monitor *m)
{
	close(m->fd[0]);
	close(m->fd[1]);
	m->fd[0] = m->fd[1] = -1;
	return NULL;
}

const char *udev_device_get_action(struct udev_device *d)
{
	return d->action;
}

const char *udev_device_get_sysname(struct udev_device *d)
{
	return d->sysname;
}

const char *udev_device_get_subsystem(struct udev_device *d)
{
	(void)d;
	return "memory";
}

struct udev_device *udev_device_unref(struct udev_device *d)
{
	free(d);
	return NULL;
}

static void emit(const char *action, uint64_t id)
{
	struct rec r;

	memset(&r, 0, sizeof(r));
	snprintf(r.action, sizeof(r.action), "%s", action);
	snprintf(r.sysname, sizeof(r.sysname), "memory%llu",
		 (unsigned long long)id);
	assert_int_equal(write(fake_mon.fd[1], &r, sizeof(r)), sizeof(r));
}

/* ---- fixture ---- */

struct fx {
	struct simtree t;
	struct mh_daemon *d;
	char conf[PATH_MAX];
};

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* Runs the loop for about ms milliseconds. */
static void run_for(struct fx *f, unsigned int ms)
{
	uint64_t end = mono_usec() + ms * 1000ULL;

	while (mono_usec() < end)
		assert_true(sd_event_run(f->d->event, 1000) >= 0);
}

/* Runs the loop until cond holds (true) or a generous timeout (false):
 * slow under valgrind, so never rely on a fixed delay for progress. */
static bool run_until(struct fx *f, bool (*cond)(struct fx *, uint64_t),
		      uint64_t arg)
{
	uint64_t end = mono_usec() + 5000000ULL;

	while (!cond(f, arg)) {
		if (mono_usec() > end)
			return false;
		assert_true(sd_event_run(f->d->event, 1000) >= 0);
	}
	return true;
}

static void base_tree(struct fx *f)
{
	static const struct st_zone z[] = {
		{0, "DMA", 1, 4095, 3998, 3840, 0},
		{0, "DMA32", 4096, 1044480, 520160, 500000, 0},
		{0, "Normal", 1048576, 524288, 524288, 500000, 0},
		{0, "Movable", 0, 0, 0, 0, 0},
	};

	st_init(&f->t);
	st_block_size(&f->t, 128ULL << 20);
	st_boot_id(&f->t, "11111111-2222-3333-4444-555555555555");
	st_block(&f->t, 0, "online", "none", 0);
	st_blocks(&f->t, 1, 15, "online", "DMA32", 0);
	st_blocks(&f->t, 32, 47, "online", "Normal", 0);
	st_virtio(&f->t, "virtio0", 0x18);
	st_put(&f->t, "proc/iomem",
	       "00000000-00000fff : Reserved\n"
	       "00001000-0009fbff : System RAM\n"
	       "00100000-7ffdffff : System RAM\n"
	       "100000000-17fffffff : System RAM\n"
	       "180000000-97fffffff : virtio0\n"
	       "  180000000-1bfffffff : System RAM (virtio_mem)\n");
	st_zoneinfo(&f->t, z, sizeof(z) / sizeof(z[0]));
	st_mkdirs(&f->t, "run/");
	snprintf(f->conf, sizeof(f->conf), "%s/memhotd.conf", f->t.root);
	st_put(&f->t, "memhotd.conf", "");
}

static void start(struct fx *f)
{
	struct mh_daemon_options o = {
		.config_path = f->conf,
		.root = f->t.root,
		.dry_run = true,
	};

	f->d = calloc(1, sizeof(*f->d));
	assert_non_null(f->d);
	assert_int_equal(mh_daemon_start(f->d, &o), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	mh_log_set_max_level(LOG_WARNING);
	base_tree(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->d) {
		mh_daemon_free(f->d);
		free(f->d);
	}
	st_destroy(&f->t);
	free(f);
	return 0;
}

static bool decided(struct fx *f, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&f->d->inv, id);

	return b && b->has_decision;
}

/* Queued, waiting, held or retrying. */
static bool pending(struct fx *f, uint64_t id)
{
	return mh_sched_is_pending(mh_sched_state_of(&f->d->sched, id, NULL));
}

static bool is_decided(struct fx *f, uint64_t id)
{
	return decided(f, id);
}

static bool is_waiting_node(struct fx *f, uint64_t id)
{
	return mh_sched_state_of(&f->d->sched, id, NULL) ==
		       MH_SCHED_WAIT_NODE &&
	       mh_sched_waits(&f->d->sched, id) >= 3;
}

static bool is_online(struct fx *f, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&f->d->inv, id);

	return b && b->state == MH_BLOCK_ONLINE;
}

static bool is_offline_known(struct fx *f, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&f->d->inv, id);

	return b && b->state == MH_BLOCK_OFFLINE;
}

static bool is_gone(struct fx *f, uint64_t id)
{
	return !pending(f, id) && !mh_inv_block(&f->d->inv, id);
}

static bool rescanned(struct fx *f, uint64_t n)
{
	return f->d->counters.rescans >= n;
}

/* ---- tests ---- */

static void test_coldplug(void **state)
{
	struct fx *f = *state;
	uint64_t id;

	st_blocks(&f->t, 48, 55, "offline", "Movable Normal", 0);
	start(f);
	/* The dry run simulates the onlines, as in a real run (the
	 * virtio-mem hold, off by default, would apply too). */
	for (id = 48; id <= 55; id++) {
		assert_true(run_until(f, is_decided, id));
		assert_int_equal(mh_inv_block(&f->d->inv, id)->decision.target,
				 MH_TARGET_MOVABLE);
	}
	assert_false(decided(f, 47));
	assert_int_equal(f->d->sched.nr_queued, 0);
	assert_true(f->d->ready_sent);
}

/* No nodeN link yet: wait (doc/inputs.md 6.1), decide once it appears. */
static void test_waits_for_node_link(void **state)
{
	struct fx *f = *state;

	start(f);
	st_block(&f->t, 48, "offline", "Movable Normal", -1);
	emit("add", 48);
	assert_true(run_until(f, is_waiting_node, 48));
	assert_false(decided(f, 48));
	st_block(&f->t, 48, "offline", "Movable Normal", 0);
	assert_true(run_until(f, is_decided, 48));
	assert_false(pending(f, 48));
}

/* 50 arrives first with its link, 49 (same device) without: 50 waits for
 * 49.  A block of another device (ungrouped, far away) is not held up. */
static void test_ascending_within_device(void **state)
{
	struct fx *f = *state;

	start(f);
	st_block(&f->t, 50, "offline", "Movable Normal", 0);
	st_block(&f->t, 49, "offline", "Movable Normal", -1);
	st_block(&f->t, 400, "offline", "Movable Normal", 0);
	emit("add", 50);
	emit("add", 49);
	emit("add", 400);
	assert_true(run_until(f, is_decided, 400));
	assert_true(run_until(f, is_waiting_node, 49));
	run_for(f, 20);
	assert_false(decided(f, 49));
	assert_false(decided(f, 50));
	st_block(&f->t, 49, "offline", "Movable Normal", 0);
	assert_true(run_until(f, is_decided, 50));
	assert_true(decided(f, 49));
	assert_int_equal(f->d->sched.nr_queued, 0);
}

/* remove: forgotten, queue entry and all. */
static void test_remove_while_waiting(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX];

	start(f);
	st_block(&f->t, 48, "offline", "Movable Normal", -1);
	emit("add", 48);
	assert_true(run_until(f, is_waiting_node, 48));
	st_abs(&f->t, "sys/devices/system/memory/memory48", p, sizeof(p));
	nftw(p, st_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	emit("remove", 48);
	assert_true(run_until(f, is_gone, 48));
}

/* Someone else onlines a queued block: recorded, not fought. */
static void test_foreign_online(void **state)
{
	struct fx *f = *state;
	struct mh_block *b;

	start(f);
	st_block(&f->t, 48, "offline", "Movable Normal", -1);
	emit("add", 48);
	assert_true(run_until(f, is_waiting_node, 48));
	st_block(&f->t, 48, "online", "Normal", 0);
	emit("online", 48);
	assert_true(run_until(f, is_online, 48));
	b = mh_inv_block(&f->d->inv, 48);
	assert_non_null(b);
	assert_int_equal(b->state, MH_BLOCK_ONLINE);
	assert_int_equal(b->zone, MH_ZONE_NORMAL);
	assert_int_equal(b->onlined_by, MH_BY_OTHER);
	assert_false(b->has_decision);
	assert_false(pending(f, 48));
	assert_int_equal(f->d->counters.lost_races, 1);
	/* An offline afterwards is never answered by onlining. */
	st_block(&f->t, 48, "offline", "Movable Normal", 0);
	emit("offline", 48);
	assert_true(run_until(f, is_offline_known, 48));
	run_for(f, 20);
	assert_false(pending(f, 48));
	assert_false(decided(f, 48));
}

/* ENOBUFS: full rescan; a block whose add was lost is found and queued. */
static void test_overflow_rescan(void **state)
{
	struct fx *f = *state;
	struct rec r;

	start(f);
	st_block(&f->t, 48, "offline", "Movable Normal", 0);
	memset(&r, 0, sizeof(r));
	strcpy(r.action, "overflow");
	assert_int_equal(write(fake_mon.fd[1], &r, sizeof(r)), sizeof(r));
	assert_true(run_until(f, rescanned, 1));
	assert_true(run_until(f, is_decided, 48));
	assert_int_equal(f->d->counters.rescans, 1);
}

/*
 * Dry run and plan agree where the ratio bites: ratio 100, 4 GiB of boot
 * memory in kernel zones and an 8 GiB coldplug (64 blocks) in virtio0.
 * The dry run simulates every write (the inventory moves as the kernel's
 * would), so each decision sees the ones before it; the plan (what
 * `memhotctl plan` shows) runs the same policy over a fresh scan of the
 * tree.  The real run of the same vector is the integration scenario
 * dry_run_agrees_with_real_run.
 */
static void test_dry_run_agrees_with_plan(void **state)
{
	struct fx *f = *state;
	struct mh_inventory inv;
	struct mh_config cfg;
	struct mh_root root;
	json_object *plan, *mem;
	char err[256] = "";
	size_t i, n, movable = 0, kernel = 0;
	int r;

	st_put(&f->t, "memhotd.conf", "[policy]\nauto_movable_ratio = 100\n");
	st_blocks(&f->t, 48, 111, "offline", "Movable Normal", 0);
	/* The plan first, over what the tree shows. */
	memset(&inv, 0, sizeof(inv));
	assert_int_equal(mh_config_load(f->conf, false, &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg.policy.ratio, 100);
	assert_int_equal(mh_root_open(&root, f->t.root), 0);
	r = mh_scan_full_readonly(&root, &inv);
	assert_true(r == 0 || r == -ERANGE);
	mh_root_close(&root);
	plan = mh_report_plan(&inv, &cfg, NULL);
	assert_non_null(plan);
	start(f);
	for (i = 48; i <= 111; i++)
		assert_true(run_until(f, is_decided, i));
	assert_true(json_object_object_get_ex(plan, "memory", &mem));
	n = json_object_array_length(mem);
	assert_int_equal(n, 64);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(mem, i), *v, *p, *t;
		struct mh_block *b;
		const char *want;

		assert_true(json_object_object_get_ex(e, "block", &v));
		b = mh_inv_block(&f->d->inv, json_object_get_uint64(v));
		assert_non_null(b);
		assert_true(json_object_object_get_ex(e, "plan", &p));
		assert_true(json_object_object_get_ex(p, "target", &t));
		want = json_object_get_string(t);
		assert_true(b->has_decision);
		assert_string_equal(want,
				    b->decision.target == MH_TARGET_MOVABLE
					    ? "movable"
					    : "kernel");
		if (b->decision.target == MH_TARGET_MOVABLE)
			movable++;
		else
			kernel++;
	}
	/* The ratio bites: both kinds. */
	assert_true(movable > 0 && kernel > 0);
	assert_int_equal(f->d->counters.onlined, 64);
	json_object_put(plan);
	mh_inv_free(&inv);
}

/* The virtio-mem throttle the scheduler's hold assumes, from the tree:
 * 5.10 has no force_bbm parameter; without the module, the release. */
static void test_vmem_throttle_detection(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *param, *release;
		enum mh_vmem_throttle want;
	} cases[] = {
		{"unplug_online", NULL, MH_VMEM_THROTTLE_BLOCKS_5_10},
		{"force_bbm", NULL, MH_VMEM_THROTTLE_BYTES},
		{NULL, "5.10.0-33-amd64\n", MH_VMEM_THROTTLE_BLOCKS_5_10},
		{NULL, "6.1.0-57-amd64\n", MH_VMEM_THROTTLE_BYTES},
		{NULL, NULL, MH_VMEM_THROTTLE_BYTES},
	};
	char rel[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st_destroy(&f->t);
		base_tree(f);
		if (cases[i].param) {
			snprintf(rel, sizeof(rel),
				 "sys/module/virtio_mem/parameters/%s",
				 cases[i].param);
			st_put(&f->t, rel, "N\n");
		}
		if (cases[i].release)
			st_put(&f->t, "proc/sys/kernel/osrelease",
			       cases[i].release);
		start(f);
		assert_int_equal(f->d->sched.throttle, cases[i].want);
		mh_daemon_free(f->d);
		free(f->d);
		f->d = NULL;
	}
}

/* SIGHUP-style reload with a bad file keeps the old configuration. */
static void test_reload(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	start(f);
	st_put(&f->t, "memhotd.conf", "[policy]\nauto_movable_ratio = 200\n");
	assert_int_equal(mh_daemon_reload(f->d, err, sizeof(err)), 0);
	assert_int_equal(f->d->config.policy.ratio, 200);
	st_put(&f->t, "memhotd.conf", "[policy]\nbogus_key = 1\n");
	assert_int_equal(mh_daemon_reload(f->d, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	assert_int_equal(f->d->config.policy.ratio, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_coldplug, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_for_node_link, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ascending_within_device,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_while_waiting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_online, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overflow_rescan, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_agrees_with_plan,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmem_throttle_detection,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
