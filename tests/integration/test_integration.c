/* SPDX-License-Identifier: MIT */
/*
 * Integration tests: the real memhotd binary (normally the ASan+UBSan
 * build) against a simulated 6.1 q35 guest (fk.h) with fakekernel.so
 * preloaded.  Each scenario builds a fresh tree, starts the daemon, drives
 * hotplug like the kernel does, waits (bounded) until the blocks settle and
 * compares the per-block zones with the layout the kernel would produce.
 * Expected layouts come from the test vectors of doc/policy.md section 8
 * and from ref_*() below, a separate implementation of doc/policy.md
 * section 3 written for these tests; memhotd's own policy code is never
 * called.
 *
 * Environment: MEMHOTD_BIN (daemon), FAKEKERNEL_SO, MINID_BIN (the
 * fake's self-test driver), MEMHOTD_WRAPPER (e.g. "valgrind ..."),
 * INTEG_FILTER (cmocka test filter), INTEG_KEEP=1 (keep temp trees),
 * INTEG_SLOW (multiply timeouts, for valgrind).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fk.h"

#include "../vectors/policy.h"

#define B FK_BLOCK_PAGES
#define MAXB 512

/* ---- environment ------------------------------------------------------ */

struct env {
	char dir[256], root[300], fkdir[300], conf[300], log[300];
	struct fk k;
	pid_t pid;
	int notify_fd;
	pthread_t notify_thread;
	bool notify_running;
	volatile int ready_seen, notify_stop;
	char status[256]; /* last STATUS= */
	bool verbose;	  /* -v: the full numbers of each decision */
};

static const char *bin_daemon, *bin_minid, *fk_so, *wrapper;
/* The running scenario's environment: static, so that the teardown can
 * still reach it after a failed assertion longjmp'ed out of the test. */
static struct env g_env;
static struct env *cur;
static int slow = 1;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void env_init(struct env *e, enum fk_base base, int dimm_slots,
		     const char *conf)
{
	memset(e, 0, sizeof(*e));
	cur = e;
	e->pid = -1;
	e->notify_fd = -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/mhinteg.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->root, sizeof(e->root), "%s/root", e->dir);
	snprintf(e->fkdir, sizeof(e->fkdir), "%s/fk", e->dir);
	snprintf(e->conf, sizeof(e->conf), "%s/memhotd.conf", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/memhotd.log", e->dir);
	assert_int_equal(mkdir(e->root, 0755), 0);
	assert_int_equal(mkdir(e->fkdir, 0755), 0);
	assert_int_equal(fk_create(e->root, e->fkdir, base, dimm_slots), 0);
	assert_int_equal(fk_open(&e->k, e->root, e->fkdir), 0);
	assert_int_equal(fk_write_file(e->conf, conf ? conf : ""), 0);
}

static void rm_rf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

static void dump_file(const char *what, const char *path, size_t tail)
{
	static char buf[1 << 20];
	int n = fk_read_file(path, buf, sizeof(buf));

	if (n <= 0)
		return;
	const char *s = buf;
	if (tail && (size_t)n > tail)
		s = buf + n - tail;
	fprintf(stderr, "---- %s (%s) ----\n%s\n---- end ----\n", what, path,
		s);
}

static void env_fini(struct env *e, bool ok)
{
	cur = NULL;
	if (e->pid > 0) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
	}
	if (e->notify_running) {
		e->notify_stop = 1;
		pthread_join(e->notify_thread, NULL);
		e->notify_running = false;
	}
	if (e->notify_fd >= 0)
		close(e->notify_fd);
	fk_close(&e->k);
	if (!ok) {
		char p[400];
		dump_file("memhotd stderr", e->log, 6000);
		snprintf(p, sizeof(p), "%s/log", e->fkdir);
		dump_file("fake kernel log", p, 4000);
	}
	if (getenv("INTEG_KEEP") || !ok)
		fprintf(stderr, "test tree kept: %s\n", e->dir);
	else
		rm_rf(e->dir);
}

/* ---- the daemon -------------------------------------------------------- */

/*
 * sd_notify messages, drained all the time as systemd does: the daemon's
 * send blocks once the socket queue is full.
 */
static void *notify_reader(void *arg)
{
	struct env *e = arg;
	struct pollfd p = {.fd = e->notify_fd, .events = POLLIN};
	char msg[1024];

	while (!e->notify_stop) {
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n =
			recv(e->notify_fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		msg[n] = '\0';
		if (strstr(msg, "READY=1"))
			e->ready_seen = 1;
		char *st = strstr(msg, "STATUS=");
		if (st) {
			st += 7;
			snprintf(e->status, sizeof(e->status), "%.*s",
				 (int)strcspn(st, "\n"), st);
		}
	}
	return NULL;
}

static void daemon_spawn(struct env *e, const char *bin, char *const *args,
			 bool preload)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	assert_true(strlen(e->dir) + 8 < sizeof(sa.sun_path));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.90s/notify", e->dir);
	if (e->notify_fd < 0) {
		e->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		assert_true(e->notify_fd >= 0);
		assert_int_equal(
			bind(e->notify_fd, (struct sockaddr *)&sa, sizeof(sa)),
			0);
		e->notify_stop = 0;
		assert_int_equal(pthread_create(&e->notify_thread, NULL,
						notify_reader, e),
				 0);
		e->notify_running = true;
	}

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char asan[600], ubsan[600], pl[1024];
		/* never outlive a crashed harness */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(e->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		snprintf(asan, sizeof(asan),
			 "verify_asan_link_order=0:detect_leaks=1:"
			 "log_path=%s/asan:halt_on_error=1",
			 e->dir);
		snprintf(ubsan, sizeof(ubsan),
			 "print_stacktrace=1:halt_on_error=1:log_path=%s/ubsan",
			 e->dir);
		setenv("ASAN_OPTIONS", asan, 1);
		setenv("UBSAN_OPTIONS", ubsan, 1);
		setenv("LSAN_OPTIONS", "exitcode=23", 1);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		setenv("FAKEKERNEL_ROOT", e->root, 1);
		setenv("FAKEKERNEL_DIR", e->fkdir, 1);
		if (preload) {
			snprintf(pl, sizeof(pl), "%s", fk_so);
			setenv("LD_PRELOAD", pl, 1);
		}
		char *argv[32];
		int n = 0;
		char wbuf[512];
		if (wrapper && *wrapper && bin == bin_daemon) {
			snprintf(wbuf, sizeof(wbuf), "%s", wrapper);
			for (char *t = strtok(wbuf, " "); t && n < 16;
			     t = strtok(NULL, " "))
				argv[n++] = t;
		}
		argv[n++] = (char *)bin;
		for (int i = 0; args && args[i] && n < 31; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		execvp(argv[0], argv);
		_exit(127);
	}
	e->pid = pid;
}

/* Where the daemon is when it seems stuck (for failure messages). */
static void daemon_where(struct env *e)
{
	char p[64], buf[512];

	if (e->pid <= 0)
		return;
	snprintf(p, sizeof(p), "/proc/%d/wchan", (int)e->pid);
	if (fk_read_file(p, buf, sizeof(buf)) >= 0)
		fprintf(stderr, "daemon %d wchan: %s\n", (int)e->pid, buf);
	snprintf(p, sizeof(p), "/proc/%d/syscall", (int)e->pid);
	if (fk_read_file(p, buf, sizeof(buf)) >= 0)
		fprintf(stderr, "daemon %d syscall: %s", (int)e->pid, buf);
	if (getenv("INTEG_HOLD")) {
		fprintf(stderr, "holding 60 s for inspection\n");
		sleep_ms(60000);
	}
}

static bool daemon_alive(struct env *e)
{
	return e->pid > 0 && waitpid(e->pid, NULL, WNOHANG) == 0;
}

static void daemon_start_bin(struct env *e, const char *bin, bool dry_run)
{
	char *args[] = {"--root", e->root, "--config", e->conf,
			NULL,	  NULL,	   NULL};
	int na = 4;

	if (e->verbose)
		args[na++] = "-v";
	if (dry_run)
		args[na++] = "--dry-run";
	char marker[400];

	e->ready_seen = 0;
	daemon_spawn(e, bin, args, true);
	snprintf(marker, sizeof(marker), "%s/enabled", e->fkdir);
	uint64_t t0 = now_ms(), limit = 15000ULL * slow;
	while (now_ms() - t0 < limit) {
		assert_true(daemon_alive(e));
		if (e->ready_seen)
			return;
		sleep_ms(5);
		/* Without READY=1 go on 2 s after the monitor came up. */
		if (!access(marker, F_OK) && now_ms() - t0 > 2000ULL * slow) {
			fprintf(stderr, "note: no READY=1 from %s\n", bin);
			return;
		}
	}
	fail_msg("daemon did not come up in %" PRIu64 " ms", limit);
}

static void daemon_start(struct env *e)
{
	daemon_start_bin(e, bin_daemon, false);
}

static void status_get(struct env *e, char *buf, size_t len);

static int count_lines(struct env *e, const char *needle)
{
	static char buf[1 << 20];
	char p[400];
	int n = 0;

	snprintf(p, sizeof(p), "%s/log", e->fkdir);
	if (fk_read_file(p, buf, sizeof(buf)) < 0)
		return 0;
	for (char *s = buf; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/*
 * count_lines once the fake kernel's log has caught up: a write's line is
 * appended after the block's new state is visible in the tree, so a test
 * that saw the blocks settle can read the log a moment too early (seen on a
 * loaded host).  Polls until the count is want, for at most 3 s, and
 * returns the last count, which the caller asserts.
 */
static int count_lines_settled(struct env *e, const char *needle, int want)
{
	int n = count_lines(e, needle);

	for (int i = 0; i < 300 && n != want; i++) {
		sleep_ms(10);
		n = count_lines(e, needle);
	}
	return n;
}

static bool file_contains(const char *path, const char *needle)
{
	static char buf[1 << 20];

	return fk_read_file(path, buf, sizeof(buf)) >= 0 &&
	       strstr(buf, needle) != NULL;
}

/* Waits (bounded) until the daemon's stderr mentions needle. */
static bool wait_log(struct env *e, const char *needle, unsigned timeout_ms)
{
	uint64_t t0 = now_ms();

	while (!file_contains(e->log, needle)) {
		if (now_ms() - t0 > (uint64_t)timeout_ms * slow)
			return false;
		sleep_ms(10);
	}
	return true;
}

static void check_no_violation(struct env *e)
{
	char p[400];

	snprintf(p, sizeof(p), "%s/log", e->fkdir);
	if (file_contains(p, "VIOLATION"))
		fail_msg("the fake kernel recorded a violation (see its log)");
}

static void check_no_sanitizer_report(struct env *e)
{
	DIR *d = opendir(e->dir);
	struct dirent *de;
	bool bad = false;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "asan.", 5) &&
		    strncmp(de->d_name, "ubsan.", 6))
			continue;
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", e->dir, de->d_name);
		dump_file("sanitizer report", p, 0);
		bad = true;
	}
	closedir(d);
	if (bad)
		fail_msg("sanitizer report(s) in %s", e->dir);
}

/* SIGTERM: exit status 0, no sanitizer report, no violation. */
static void daemon_stop(struct env *e)
{
	int status = 0;

	assert_true(daemon_alive(e));
	assert_int_equal(kill(e->pid, SIGTERM), 0);
	uint64_t t0 = now_ms();
	pid_t r = 0;
	while (now_ms() - t0 < 20000ULL * slow &&
	       (r = waitpid(e->pid, &status, WNOHANG)) == 0)
		sleep_ms(10);
	if (r == 0)
		fail_msg("daemon did not exit on SIGTERM");
	e->pid = -1;
	check_no_sanitizer_report(e);
	if (!WIFEXITED(status))
		fail_msg("daemon killed by signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	check_no_violation(e);
}

/* ---- reading the tree --------------------------------------------------- */

/* M Movable, N Normal, D DMA32, Z DMA, ? none, . offline, - absent */
static char block_char(struct env *e, uint64_t id)
{
	if (!fk_block_exists(&e->k, id))
		return '-';
	int on = fk_block_is_online(&e->k, id);
	if (on < 0)
		return '-';
	if (!on)
		return '.';
	const char *z = fk_block_zone(&e->k, id);
	if (!z)
		return '!';
	return !strcmp(z, "Movable")  ? 'M'
	       : !strcmp(z, "Normal") ? 'N'
	       : !strcmp(z, "DMA32")  ? 'D'
	       : !strcmp(z, "DMA")    ? 'Z'
				      : '?';
}

static void layout(struct env *e, uint64_t first, uint64_t n, char *out)
{
	for (uint64_t i = 0; i < n; i++)
		out[i] = block_char(e, first + i);
	out[n] = '\0';
}

static int count_offline(struct env *e, uint64_t first, uint64_t n)
{
	int c = 0;

	for (uint64_t i = 0; i < n; i++)
		c += fk_block_is_online(&e->k, first + i) == 0;
	return c;
}

/* Waits until no block of the range is offline (except those in skip). */
static bool wait_settled(struct env *e, uint64_t first, uint64_t n,
			 const char *skip, unsigned timeout_ms)
{
	uint64_t t0 = now_ms();

	for (;;) {
		int off = 0;
		for (uint64_t i = 0; i < n; i++) {
			char name[32];
			snprintf(name, sizeof(name), ",%" PRIu64 ",",
				 first + i);
			if (skip && strstr(skip, name))
				continue;
			off += fk_block_is_online(&e->k, first + i) == 0;
		}
		if (!off)
			return true;
		if (now_ms() - t0 > (uint64_t)timeout_ms * slow) {
			fprintf(stderr, "%d block(s) still offline\n", off);
			daemon_where(e);
			return false;
		}
		if (!daemon_alive(e))
			return false;
		sleep_ms(5);
	}
}

static void expect_layout(struct env *e, const char *what, uint64_t first,
			  const char *want)
{
	char got[MAXB + 1];
	size_t n = strlen(want);

	assert_true(n <= MAXB);
	layout(e, first, n, got);
	if (strcmp(got, want)) {
		fprintf(stderr, "%s: blocks %" PRIu64 "-%" PRIu64 "\n", what,
			first, first + n - 1);
		fprintf(stderr, "  want %s\n  got  %s\n       ", want, got);
		for (size_t i = 0; i < n; i++)
			fputc(got[i] == want[i] ? ' ' : '^', stderr);
		fputc('\n', stderr);
		fail_msg("%s: zone layout differs", what);
	}
}

/* ---- hotplug driver ----------------------------------------------------- */

static int add_device(struct env *e, enum fk_dev_kind kind, const char *name,
		      uint64_t first, uint64_t nr, int nid, int plugged)
{
	struct fk_device devs[FK_MAX_DEVICES];
	int n;

	fk_lock(&e->k);
	assert_int_equal(fk_devices_load(&e->k, devs, &n), 0);
	assert_true(n < FK_MAX_DEVICES);
	devs[n] = (struct fk_device){.kind = kind,
				     .first_block = first,
				     .nr_blocks = nr,
				     .nid = nid,
				     .plugged = plugged};
	snprintf(devs[n].name, sizeof(devs[n].name), "%s", name);
	assert_int_equal(fk_devices_store(&e->k, devs, n + 1), 0);
	assert_int_equal(fk_iomem_update(&e->k), 0);
	fk_unlock(&e->k);
	return n;
}

struct plug_opts {
	unsigned link_delay_ms; /* nodeN link after the add uevent */
	bool no_throttle;
	bool silent; /* no uevents (lost) */
};

/*
 * virtio-mem (SBM) plugging nr blocks from block first, ascending, one
 * add_memory() each, throttled like virtio_mem_could_add_memory(): it
 * stops while 1 GiB (8 blocks) is offline and resumes at <= 512 MiB.
 */
static void virtio_plug(struct env *e, uint64_t dev_first, uint64_t first,
			uint64_t nr, int nid, const struct plug_opts *o)
{
	static const struct plug_opts none;

	if (!o)
		o = &none;
	for (uint64_t b = first; b < first + nr; b++) {
		if (!o->no_throttle &&
		    count_offline(e, dev_first, b - dev_first) >= 8) {
			uint64_t t0 = now_ms();
			while (count_offline(e, dev_first, b - dev_first) > 4) {
				if (now_ms() - t0 > 5000ULL * slow ||
				    !daemon_alive(e)) {
					daemon_where(e);
					fail_msg(
						"virtio-mem stalled: > 512 MiB "
						"offline before block %" PRIu64,
						b);
				}
				sleep_ms(2);
			}
		}
		fk_lock(&e->k);
		assert_int_equal(
			fk_block_create(&e->k, b, o->link_delay_ms ? -1 : nid),
			0);
		assert_int_equal(fk_iomem_update(&e->k), 0);
		if (!o->silent)
			fk_emit_block(&e->k, "add", b);
		if (o->link_delay_ms) {
			/* add_memory_resource() still holds the hotplug
			 * lock: state writes wait, reads do not. */
			sleep_ms(o->link_delay_ms);
			assert_int_equal(fk_block_link_node(&e->k, b, nid), 0);
		}
		/* auto_online_blocks != offline: onlined inside the add */
		assert_true(fk_auto_online(&e->k, b) >= 0);
		fk_unlock(&e->k);
	}
}

/* An ACPI DIMM: resource, adds, then (late) the node and firmware links. */
static void dimm_plug(struct env *e, int slot, uint64_t first, uint64_t nr,
		      int nid, unsigned link_delay_ms, bool events)
{
	char name[32];
	struct fk_device devs[FK_MAX_DEVICES];
	int n;

	snprintf(name, sizeof(name), "PNP0C80:%02x", slot);
	fk_lock(&e->k);
	assert_int_equal(fk_devices_load(&e->k, devs, &n), 0);
	devs[n] = (struct fk_device){.kind = FK_DEV_DIMM,
				     .first_block = first,
				     .nr_blocks = nr,
				     .nid = nid,
				     .plugged = 1};
	snprintf(devs[n].name, sizeof(devs[n].name), "%s", name);
	assert_int_equal(fk_devices_store(&e->k, devs, n + 1), 0);
	assert_int_equal(fk_iomem_update(&e->k), 0);
	for (uint64_t b = first; b < first + nr; b++) {
		assert_int_equal(fk_block_create(&e->k, b, -1), 0);
		if (events)
			fk_emit_block(&e->k, "add", b);
	}
	if (link_delay_ms)
		sleep_ms(link_delay_ms);
	for (uint64_t b = first; b < first + nr; b++) {
		assert_int_equal(fk_block_link_node(&e->k, b, nid), 0);
		assert_int_equal(
			fk_block_link_dimm(&e->k, b, name, (int)(b - first)),
			0);
	}
	fk_unlock(&e->k);
}

static void remove_block(struct env *e, uint64_t id)
{
	fk_lock(&e->k);
	assert_int_equal(fk_block_remove(&e->k, id), 0);
	assert_int_equal(fk_iomem_update(&e->k), 0);
	fk_unlock(&e->k);
}

/* ---- the reference: doc/policy.md section 3, independently ------------ */

struct ref_group {
	bool dynamic;
	int nid;
	uint64_t max_pages;
	uint64_t pm, pk; /* present movable / kernel */
};

struct ref {
	unsigned ratio;
	bool numa_aware;
	int nr_nodes;
	uint64_t ke[FK_MAX_NODES], mv[FK_MAX_NODES];
	struct ref_group g[FK_MAX_DEVICES];
	int ng;
};

static void ref_init(struct ref *r, enum fk_base base, unsigned ratio,
		     bool numa_aware)
{
	memset(r, 0, sizeof(*r));
	r->ratio = ratio;
	r->numa_aware = numa_aware;
	if (base == FK_BASE_Q35_4G_2NODES) {
		r->nr_nodes = 2;
		r->ke[0] = 3998 + 520160;
		r->ke[1] = 524288;
	} else {
		r->nr_nodes = 1;
		/* 1 048 446 (doc/inputs.md 3.2) */
		r->ke[0] = 3998 + 520160 + 524288;
	}
}

static int ref_group(struct ref *r, bool dynamic, int nid, uint64_t blocks)
{
	r->g[r->ng] = (struct ref_group){
		.dynamic = dynamic, .nid = nid, .max_pages = blocks * B};
	return r->ng++;
}

static bool ref_can_movable(const struct ref *r, int nid, int group,
			    uint64_t nr)
{
	uint64_t ke = 0, mv = 0, req = 0, gmv = 0;

	for (int n = 0; n < r->nr_nodes; n++)
		if (nid < 0 || n == nid) {
			ke += r->ke[n];
			mv += r->mv[n];
		}
	for (int i = 0; i < r->ng; i++) {
		const struct ref_group *g = &r->g[i];
		if (!g->dynamic || i == group || (nid >= 0 && g->nid != nid) ||
		    !r->ratio)
			continue;
		long q = (long)(g->pm * 100 / r->ratio) - (long)g->pk;
		req += q > 0 ? (uint64_t)q : 0;
		gmv += g->pm;
	}
	if (ke <= req)
		return false;
	ke -= req;
	mv -= gmv;
	if (group >= 0 && r->g[group].dynamic)
		ke += r->g[group].pk;
	mv += nr;
	return mv <= (uint64_t)r->ratio * ke / 100;
}

static char ref_account(struct ref *r, int group, int nid, bool movable);

/* Decides one block of group (or -1) on nid and accounts it: 'M'/'N'. */
static char ref_online(struct ref *r, int group, int nid)
{
	bool movable = false;
	uint64_t rest = B;

	if (r->ratio) {
		movable = true;
		if (group >= 0 && !r->g[group].dynamic) {
			if (r->g[group].pk)
				movable = false;
			rest = r->g[group].max_pages - r->g[group].pm;
		}
		if (movable && !ref_can_movable(r, -1, group, rest))
			movable = false;
		if (movable && r->numa_aware &&
		    !ref_can_movable(r, nid, group, rest))
			movable = false;
	}
	return ref_account(r, group, nid, movable);
}

/* Accounts a block onlined (by anyone) in the given zone type. */
static char ref_account(struct ref *r, int group, int nid, bool movable)
{
	if (movable)
		r->mv[nid] += B;
	if (group >= 0) {
		if (movable)
			r->g[group].pm += B;
		else
			r->g[group].pk += B;
	}
	return movable ? 'M' : 'N';
}

static void ref_run(struct ref *r, int group, int nid, uint64_t n, char *out)
{
	size_t l = strlen(out);

	for (uint64_t i = 0; i < n; i++)
		out[l++] = ref_online(r, group, nid);
	out[l] = '\0';
}

static void pat(char *out, const char *unit, int times)
{
	for (int i = 0; i < times; i++)
		strcat(out, unit);
}

static void rep(char *out, char c, int times)
{
	size_t l = strlen(out);

	for (int i = 0; i < times; i++)
		out[l++] = c;
	out[l] = '\0';
}

/* Shared vector v's expected layout: device k, or all devices (k < 0)
 * one after the other. */
static void tv_want(const struct tv *v, int k, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t d = 0; d < tv_nr_devs(v); d++) {
		size_t m;

		if (k >= 0 && (size_t)k != d)
			continue;
		m = tv_expand(v->dev[d].layout, out + n, cap - 1 - n);
		assert_int_equal(m, v->dev[d].plug);
		n += m;
	}
	out[n] = '\0';
}

/* The reference's layout for shared vector v (all devices in turn);
 * false if the reference cannot model it (multi-block units). */
static bool ref_vector(const struct tv *v, char *out)
{
	struct ref r;

	memset(&r, 0, sizeof(r));
	r.ratio = v->ratio;
	r.numa_aware = v->numa_aware;
	r.nr_nodes = (int)v->nr_nodes;
	for (unsigned int n = 0; n < v->nr_nodes; n++)
		r.ke[n] = v->ke[n];
	out[0] = '\0';
	for (size_t d = 0; d < tv_nr_devs(v); d++) {
		const struct tv_dev *t = &v->dev[d];
		int g = -1;

		if (t->kind == 'v' && t->unit != 1)
			return false;
		if (t->kind != 'u')
			g = ref_group(&r, t->kind == 'v', t->nid,
				      t->kind == 'v' ? 1 : t->plug);
		ref_run(&r, g, t->nid, t->plug, out);
	}
	return true;
}

/* The shared vector for a scenario, checked to fit the fake's base. */
static const struct tv *vector(const char *name, enum fk_base base)
{
	const struct tv *v = tv_find(name);

	assert_non_null(v);
	assert_int_equal(v->base, base == FK_BASE_Q35_4G
					  ? TV_BASE_Q35_4G
					  : TV_BASE_Q35_4G_2NODES);
	return v;
}

/* ---- scenarios ----------------------------------------------------------- */

#define CONF_DEFAULT "[policy]\nonline_policy = auto-movable\n"

/* The reference agrees with every shared vector it can model
 * (tests/vectors/policy.h; doc/policy.md 8). */
static void ref_matches_spec(void **state)
{
	(void)state;
	static char want[TV_MAX_BLOCKS + 1], got[TV_MAX_BLOCKS + 1];
	size_t checked = 0;

	for (size_t i = 0; i < TV_NR_POLICY; i++) {
		const struct tv *v = &tv_policy[i];

		if (!ref_vector(v, got))
			continue;
		tv_want(v, -1, want, sizeof(want));
		if (strcmp(got, want))
			fail_msg("%s: reference %s\n  want %s", v->name, got,
				 want);
		checked++;
	}
	assert_true(checked >= TV_NR_POLICY - 3); /* not TV3, TV6: BBM */
}

/* The fake kernel itself, driven by a naive onliner (minid). */
static void fake_selftest(void **state)
{
	(void)state;
	struct env *const ep = &g_env;

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	/* coldplug: two offline blocks before start */
	fk_lock(&ep->k);
	assert_int_equal(fk_block_create(&ep->k, 48, 0), 0);
	assert_int_equal(fk_block_create(&ep->k, 49, 0), 0);
	fk_unlock(&ep->k);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	fk_inject_set(&ep->k, 51, "EPERM", -1);
	daemon_start_bin(ep, bin_minid, false);
	struct plug_opts o = {.link_delay_ms = 20};
	virtio_plug(ep, 48, 50, 6, 0, &o);
	assert_true(wait_settled(ep, 48, 8, ",51,", 5000));
	expect_layout(ep, "selftest", 48, "MMM.MMMM");
	/* zoneinfo followed: Movable present 7 blocks */
	struct fk_zoneinfo zi;
	assert_int_equal(fk_zoneinfo_load(&ep->k, &zi), 0);
	assert_int_equal(zi.z[0][FK_MOVABLE].present, 7 * B);
	assert_int_equal(zi.z[0][FK_MOVABLE].start_pfn, 48 * B);
	assert_int_equal(zi.z[0][FK_MOVABLE].spanned, 8 * B);
	assert_int_equal(
		count_lines_settled(ep, "write memory51 online_movable = EPERM",
				    1),
		1);
	/* the external side: offline and remove an online block */
	remove_block(ep, 55);
	assert_int_equal(fk_zoneinfo_load(&ep->k, &zi), 0);
	assert_int_equal(zi.z[0][FK_MOVABLE].present, 6 * B);
	assert_int_equal(zi.z[0][FK_MOVABLE].spanned, 7 * B);
	/* online_kernel below 4 GiB would be DMA32; above Normal */
	fk_lock(&ep->k);
	assert_int_equal(fk_block_online(&ep->k, 48, false), EINVAL);
	assert_int_equal(fk_block_offline(&ep->k, 0), EINVAL);
	assert_int_equal(fk_block_offline(&ep->k, 47), 0);
	assert_int_equal(fk_block_online(&ep->k, 47, false), 0);
	fk_unlock(&ep->k);
	assert_int_equal(block_char(ep, 47), 'N');
	/* a plain "online" is flagged; so is the real machine's sysfs */
	daemon_stop(ep);
	char p[400];
	snprintf(p, sizeof(p), "%s/log", ep->fkdir);
	assert_true(file_contains(p, "udev monitor receiving (filter memory)"));
	env_fini(ep, true);
}

/* The fake catches what the daemon must never do. */
static void fake_flags_misbehaviour(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char p[400];

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	fk_lock(&ep->k);
	assert_int_equal(fk_block_create(&ep->k, 48, 0), 0);
	fk_unlock(&ep->k);
	fk_inject_set(&ep->k, 48, "EPERM", -1); /* minid's own try fails */
	setenv("MINID_MISBEHAVE", "1", 1);
	daemon_start_bin(ep, bin_minid, false);
	unsetenv("MINID_MISBEHAVE");
	assert_true(wait_log(ep, "plain online: ", 5000));
	assert_true(file_contains(ep->log, "real sysfs open: refused"));
	assert_true(file_contains(ep->log, "plain online: EINVAL"));
	snprintf(p, sizeof(p), "%s/log", ep->fkdir);
	assert_true(file_contains(p, "VIOLATION open of the real machine's "
				     "/sys/devices/system/memory/"));
	assert_true(file_contains(p, "VIOLATION plain \"online\" written to "
				     "memory48"));
	assert_int_equal(block_char(ep, 48), '.');
	kill(ep->pid, SIGTERM);
	waitpid(ep->pid, NULL, 0);
	ep->pid = -1;
	env_fini(ep, true);
}

/* RV1: one virtio-mem device grown 0 -> 16 GiB. */
static void virtio_rv1(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	const struct tv *v = vector("RV1", FK_BASE_Q35_4G);
	char want[MAXB + 1];

	tv_want(v, 0, want, sizeof(want));
	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 256, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 128, 0, NULL);
	assert_true(wait_settled(ep, 48, 128, NULL, 10000));
	expect_layout(ep, "RV1", 48, want);
	/* the boot blocks are untouched, nobody wrote them */
	expect_layout(ep, "boot", 0, "?DDDDDDDDDDDDDDD");
	assert_int_equal(count_lines(ep, " = EINVAL"), 0);
	struct fk_zoneinfo zi;
	assert_int_equal(fk_zoneinfo_load(&ep->k, &zi), 0);
	assert_int_equal(zi.z[0][FK_MOVABLE].present, 120 * B);
	assert_int_equal(zi.z[0][FK_NORMAL].present, 524288 + 8 * B);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* Cover letter (doc/policy.md 5.3, 8.2): five 4 GiB DIMMs, links late
 * (doc/inputs.md 6.2). */
static void dimms_in_turn(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	const struct tv *v = vector("cover-letter-dimms", FK_BASE_Q35_4G);
	char want[MAXB + 1];

	tv_want(v, -1, want, sizeof(want));
	env_init(ep, FK_BASE_Q35_4G, 8, CONF_DEFAULT);
	daemon_start(ep);
	for (int d = 0; d < 5; d++) {
		assert_int_equal(v->dev[d].first, 48 + 32 * d);
		dimm_plug(ep, d, 48 + 32 * d, 32, 0, 30, true);
		assert_true(wait_settled(ep, 48 + 32 * d, 32, NULL, 10000));
	}
	expect_layout(ep, "DIMMs 0-4", 48, want);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* TV9: someone onlined the first block of a DIMM Normal first. */
static void dimm_foreign_first_block(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[64] = "";

	env_init(ep, FK_BASE_Q35_4G, 8, CONF_DEFAULT);
	fk_inject_set(&ep->k, 48, "race-kernel", 1);
	daemon_start(ep);
	dimm_plug(ep, 0, 48, 32, 0, 20, true);
	assert_true(wait_settled(ep, 48, 32, NULL, 10000));
	rep(want, 'N', 32);
	expect_layout(ep, "TV9", 48, want);
	/* recorded, not fought: one write to 48, never an offline */
	assert_int_equal(count_lines_settled(ep, "write memory48 ", 1), 1);
	assert_int_equal(count_lines(ep, " offline = "), 0);
	daemon_stop(ep);
	env_fini(ep, true);
}

static void two_nodes(bool numa_aware)
{
	struct env *const ep = &g_env;
	const struct tv *v =
		vector(numa_aware ? "RV2" : "RV3", FK_BASE_Q35_4G_2NODES);
	char want0[MAXB + 1], want1[MAXB + 1];

	env_init(ep, FK_BASE_Q35_4G_2NODES, 0,
		 numa_aware ? CONF_DEFAULT "auto_movable_numa_aware = true\n"
			    : CONF_DEFAULT "auto_movable_numa_aware = false\n");
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	add_device(ep, FK_DEV_VIRTIO, "virtio1", 240, 192, 1, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 64, 0, NULL);
	assert_true(wait_settled(ep, 48, 64, NULL, 10000));
	virtio_plug(ep, 240, 240, 64, 1, NULL);
	assert_true(wait_settled(ep, 240, 64, NULL, 10000));
	tv_want(v, 0, want0, sizeof(want0));
	tv_want(v, 1, want1, sizeof(want1));
	expect_layout(ep, "node0 virtio0", 48, want0);
	expect_layout(ep, "node1 virtio1", 240, want1);
	daemon_stop(ep);
	env_fini(ep, true);
}

static void two_nodes_numa_aware(void **state)
{
	(void)state;
	two_nodes(true);
}

static void two_nodes_global(void **state)
{
	(void)state;
	two_nodes(false);
}

static void ratio_run(unsigned ratio, uint64_t blocks)
{
	struct env *const ep = &g_env;
	char conf[256], ref[MAXB + 1] = "";
	struct ref r;

	snprintf(conf, sizeof(conf), CONF_DEFAULT "auto_movable_ratio = %u\n",
		 ratio);
	env_init(ep, FK_BASE_Q35_4G, 8, conf);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, blocks, 0, NULL);
	assert_true(wait_settled(ep, 48, blocks, NULL, 10000));
	dimm_plug(ep, 0, 240, 8, 0, 10, true);
	assert_true(wait_settled(ep, 240, 8, NULL, 10000));
	ref_init(&r, FK_BASE_Q35_4G, ratio, true);
	ref_run(&r, ref_group(&r, true, 0, 1), 0, blocks, ref);
	char dimm[16] = "";
	ref_run(&r, ref_group(&r, false, 0, 8), 0, 8, dimm);
	if (ratio == 0) {
		for (uint64_t i = 0; i < blocks; i++)
			assert_int_equal(ref[i], 'N');
	}
	expect_layout(ep, "virtio0", 48, ref);
	expect_layout(ep, "DIMM", 240, dimm);
	daemon_stop(ep);
	env_fini(ep, true);
}

static void ratio_zero(void **state)
{
	(void)state;
	ratio_run(0, 16);
}

static void ratio_100(void **state)
{
	(void)state;
	/* 31 M, then N M alternating (own kernel memory backs 1:1) */
	ratio_run(100, 40);
}

/* Coldplug (doc/policy.md 4): blocks present and offline at start,
 * ascending per device. */
static void coldplug(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[MAXB + 1] = "";

	env_init(ep, FK_BASE_Q35_4G, 8, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	fk_lock(&ep->k);
	for (uint64_t b = 48; b < 48 + 104; b++)
		assert_int_equal(fk_block_create(&ep->k, b, 0), 0);
	assert_int_equal(fk_iomem_update(&ep->k), 0);
	fk_unlock(&ep->k);
	daemon_start(ep);
	assert_true(wait_settled(ep, 48, 104, NULL, 10000));
	rep(want, 'M', 96);
	pat(want, "NMMM", 2);
	expect_layout(ep, "coldplug virtio0", 48, want);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* A coldplugged DIMM (links present) and a hotplugged one after it. */
static void coldplug_dimms(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[MAXB + 1] = "";

	env_init(ep, FK_BASE_Q35_4G, 8, CONF_DEFAULT);
	dimm_plug(ep, 0, 48, 32, 0, 0, false);
	dimm_plug(ep, 1, 80, 32, 0, 0, false);
	daemon_start(ep);
	assert_true(wait_settled(ep, 48, 64, NULL, 10000));
	dimm_plug(ep, 2, 112, 32, 0, 10, true);
	dimm_plug(ep, 3, 144, 32, 0, 10, true);
	assert_true(wait_settled(ep, 112, 64, NULL, 10000));
	rep(want, 'M', 96);
	rep(want, 'N', 32);
	expect_layout(ep, "coldplugged + hotplugged DIMMs", 48, want);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* doc/errno.md: what each errno of a state write must lead to. */
static void errno_injection(void **state)
{
	(void)state;
	struct env *const ep = &g_env;

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	fk_inject_set(&ep->k, 50, "EPERM", 2);
	fk_inject_set(&ep->k, 52, "EHWPOISON", -1);
	fk_inject_set(&ep->k, 54, "ENOMEM", 2);
	fk_inject_set(&ep->k, 55, "EBUSY", 1);
	fk_inject_set(&ep->k, 56, "race-kernel", 1);
	fk_inject_set(&ep->k, 58, "vanish", 1);
	fk_inject_set(&ep->k, 60, "race-movable", 1);
	fk_inject_set(&ep->k, 62, "EBUSY", -1); /* still retrying at exit */
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 24, 0, NULL);
	assert_true(wait_settled(ep, 48, 24, ",52,62,", 10000));
	/* give a retry loop on 52 the chance to show */
	sleep_ms(300);
	expect_layout(ep, "errno", 48,
		      "MM"
		      "M"
		      "M"
		      "."
		      "M"
		      "MM"
		      "N"
		      "M"
		      "-"
		      "M"
		      "MM"
		      "."
		      "MMMMMMMMM");
	assert_int_equal(
		count_lines_settled(ep, "write memory50 online_movable = EPERM",
				    2),
		2);
	assert_int_equal(count_lines_settled(
				 ep, "write memory50 online_movable = ok", 1),
			 1);
	assert_int_equal(
		count_lines_settled(
			ep, "write memory54 online_movable = ENOMEM", 2),
		2);
	assert_int_equal(count_lines_settled(
				 ep, "write memory54 online_movable = ok", 1),
			 1);
	assert_int_equal(count_lines_settled(
				 ep, "write memory55 online_movable = ok", 1),
			 1);
	/* EHWPOISON: left offline, not hammered, reported */
	int w52 = count_lines(ep, "write memory52 ");
	if (w52 < 1 || w52 > 2)
		fail_msg("memory52 (EHWPOISON) written %d times", w52);
	if (!file_contains(ep->log, "memory52"))
		fail_msg("EHWPOISON on memory52 not reported in the log");
	/* races: recorded, not fought (no offline, one write each) */
	assert_int_equal(count_lines_settled(ep, "write memory56 ", 1), 1);
	if (!file_contains(ep->log, "memory56"))
		fail_msg("the lost race on memory56 is not in the log");
	assert_int_equal(count_lines_settled(ep, "write memory60 ", 1), 1);
	assert_int_equal(count_lines(ep, " offline = "), 0);
	/* the vanished block: forgotten, never opened again */
	assert_int_equal(count_lines_settled(ep, "write memory58 ", 1), 1);
	assert_int_equal(count_lines(ep, "open memory58/state"), 0);
	/* and the daemon goes on with new blocks */
	virtio_plug(ep, 48, 72, 4, 0, NULL);
	assert_true(wait_settled(ep, 72, 4, NULL, 10000));
	expect_layout(ep, "after errors", 72, "MMMM");
	/* and status lists it as poisoned */
	static char st[1 << 16];
	status_get(ep, st, sizeof(st));
	if (!strstr(st, "\"poisoned\":[52]"))
		fail_msg("memory52 not poisoned in status: %s", st);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* Netlink overflow: events lost, ENOBUFS, the rescan finds everything. */
static void enobufs_overflow(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[MAXB + 1] = "";
	struct plug_opts silent = {.silent = true, .no_throttle = true};

	env_init(ep, FK_BASE_Q35_4G, 8, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 8, 0, NULL);
	assert_true(wait_settled(ep, 48, 8, NULL, 10000));
	/* 100 blocks whose add uevents were all lost */
	fk_lock(&ep->k);
	virtio_plug(ep, 48, 56, 100, 0, &silent);
	fk_emit(&ep->k, FK_ACTION_OVERFLOW, "memory", "");
	fk_unlock(&ep->k);
	assert_true(wait_settled(ep, 48, 108, NULL, 10000));
	rep(want, 'M', 96);
	pat(want, "NMMM", 3);
	expect_layout(ep, "after overflow", 48, want);
	/* queued events dropped by a second overflow */
	fk_lock(&ep->k);
	virtio_plug(ep, 48, 156, 4, 0,
		    &(struct plug_opts){.no_throttle = true});
	fk_emit(&ep->k, FK_ACTION_OVERFLOW, "memory", "");
	fk_unlock(&ep->k);
	assert_true(wait_settled(ep, 156, 4, NULL, 10000));
	expect_layout(ep, "after 2nd overflow", 156, "NMMM");
	daemon_stop(ep);
	env_fini(ep, true);
}

/* doc/inputs.md 6.1: the nodeN link comes 80 ms after the add uevent. */
static void node_link_late(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	struct plug_opts o = {.link_delay_ms = 80};

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 10, 0, &o);
	assert_true(wait_settled(ep, 48, 10, NULL, 10000));
	expect_layout(ep, "late links", 48, "MMMMMMMMMM");
	daemon_stop(ep); /* checks: no valid_zones read before the link */
	env_fini(ep, true);
}

/* An early block goes offline (admin); later one hotplugged block is
 * offlined too: neither is onlined again, and KE shrinks (doc/inputs.md
 * 3.3). */
static void offline_not_reonlined(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	struct ref r;
	char ref[MAXB + 1] = "";

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	fk_lock(&ep->k);
	assert_int_equal(fk_block_offline(&ep->k, 47), 0);
	fk_unlock(&ep->k);
	virtio_plug(ep, 48, 48, 100, 0, NULL);
	assert_true(wait_settled(ep, 48, 100, NULL, 10000));
	assert_int_equal(block_char(ep, 47), '.');
	assert_int_equal(count_lines(ep, "write memory47 "), 0);
	ref_init(&r, FK_BASE_Q35_4G, 301, true);
	r.ke[0] -= B; /* block 47 is no longer online boot memory */
	ref_run(&r, ref_group(&r, true, 0, 1), 0, 100, ref);
	expect_layout(ep, "KE without block 47", 48, ref);
	/* a hotplugged Movable block offlined by someone (no remove) */
	fk_lock(&ep->k);
	assert_int_equal(fk_block_offline(&ep->k, 60), 0);
	fk_unlock(&ep->k);
	virtio_plug(ep, 48, 148, 1, 0, NULL);
	assert_true(wait_settled(ep, 148, 1, NULL, 10000));
	sleep_ms(200);
	assert_int_equal(block_char(ep, 60), '.');
	assert_int_equal(count_lines_settled(ep, "write memory60 ", 1), 1);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* virtio-mem unplug while the daemon runs: offline + remove of online
 * blocks from the top (doc/kernels.md 11); the daemon must neither
 * re-online nor write to them, and later blocks reuse the freed budget. */
static void shrink_and_regrow(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	struct ref r;
	char ref[MAXB + 1] = "";

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 100, 0, NULL);
	assert_true(wait_settled(ep, 48, 100, NULL, 10000));
	for (uint64_t b = 147; b >= 120; b--)
		remove_block(ep, b);
	sleep_ms(100);
	virtio_plug(ep, 48, 120, 28, 0, NULL);
	assert_true(wait_settled(ep, 48, 100, NULL, 10000));
	/* reference: 100 blocks, 28 removed from the top, 28 re-added */
	ref_init(&r, FK_BASE_Q35_4G, 301, true);
	int g = ref_group(&r, true, 0, 1);
	ref_run(&r, g, 0, 100, ref);
	for (int i = 99; i >= 72; i--) {
		bool mov = ref[i] == 'M';
		if (mov) {
			r.mv[0] -= B;
			r.g[g].pm -= B;
		} else {
			r.g[g].pk -= B;
		}
	}
	ref[72] = '\0';
	ref_run(&r, g, 0, 28, ref);
	expect_layout(ep, "after shrink and regrow", 48, ref);
	assert_int_equal(count_lines(ep, " offline = "), 0);
	assert_int_equal(count_lines(ep, " = ENODEV"), 0);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* --check-config with a bad key: exit 78 naming file:line:key. */
static void check_config_bad_key(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	int status;

	env_init(ep, FK_BASE_Q35_4G, 0,
		 "[policy]\nonline_policy = auto-movable\nno_such_key = 1\n");
	char *args[] = {"--root", ep->root,	    "--config",
			ep->conf, "--check-config", NULL};
	daemon_spawn(ep, bin_daemon, args, true);
	assert_int_equal(waitpid(ep->pid, &status, 0), ep->pid);
	ep->pid = -1;
	check_no_sanitizer_report(ep);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 78);
	char want[400];
	snprintf(want, sizeof(want), "%s:3:", ep->conf);
	if (!file_contains(ep->log, want) ||
	    !file_contains(ep->log, "no_such_key"))
		fail_msg("the error does not name %s and no_such_key", want);
	/* and the good file passes */
	assert_int_equal(fk_write_file(ep->conf, CONF_DEFAULT), 0);
	daemon_spawn(ep, bin_daemon, args, true);
	assert_int_equal(waitpid(ep->pid, &status, 0), ep->pid);
	ep->pid = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* a bad config at start: exit 78 too */
	assert_int_equal(fk_write_file(ep->conf, "[policy]\nratio = x\n"), 0);
	char *args2[] = {"--root", ep->root, "--config", ep->conf, NULL};
	daemon_spawn(ep, bin_daemon, args2, true);
	assert_int_equal(waitpid(ep->pid, &status, 0), ep->pid);
	ep->pid = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 78);
	/* nothing was onlined or written */
	assert_int_equal(count_lines(ep, "write memory"), 0);
	env_fini(ep, true);
}

/* An inconsistent /proc/zoneinfo (present > spanned) at start-up: a named
 * error and exit status 65 (EX_DATAERR), not a bare 1. */
static void zoneinfo_inconsistent_at_start(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	struct fk_zoneinfo zi;
	int status;

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	fk_lock(&ep->k);
	assert_int_equal(fk_zoneinfo_load(&ep->k, &zi), 0);
	zi.z[0][FK_NORMAL].present = zi.z[0][FK_NORMAL].spanned + 1;
	assert_int_equal(fk_zoneinfo_store(&ep->k, &zi), 0);
	fk_unlock(&ep->k);
	char *args[] = {"--root", ep->root, "--config", ep->conf, NULL};
	daemon_spawn(ep, bin_daemon, args, true);
	assert_int_equal(waitpid(ep->pid, &status, 0), ep->pid);
	ep->pid = -1;
	check_no_sanitizer_report(ep);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 65);
	if (!file_contains(ep->log, "zone Normal: present") ||
	    !file_contains(ep->log, "inconsistent /proc/zoneinfo"))
		fail_msg("the error does not name the zone and zoneinfo");
	env_fini(ep, true);
}

/* SIGHUP: a bad file keeps the old configuration; a good one applies. */
static void sighup_reload(void **state)
{
	(void)state;
	struct env *const ep = &g_env;

	env_init(ep, FK_BASE_Q35_4G, 0,
		 CONF_DEFAULT "auto_movable_ratio = 0\n");
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 4, 0, NULL);
	assert_true(wait_settled(ep, 48, 4, NULL, 10000));
	expect_layout(ep, "ratio 0", 48, "NNNN");
	assert_int_equal(fk_write_file(ep->conf,
				       CONF_DEFAULT "auto_movable_ratio = 301\n"
						    "bogus = 1\n"),
			 0);
	assert_int_equal(kill(ep->pid, SIGHUP), 0);
	/* the error names the key; the old configuration stays */
	if (!wait_log(ep, "bogus", 5000))
		fail_msg("the failed reload does not name the key 'bogus'");
	assert_true(daemon_alive(ep));
	virtio_plug(ep, 48, 52, 4, 0, NULL);
	assert_true(wait_settled(ep, 52, 4, NULL, 10000));
	expect_layout(ep, "bad reload keeps ratio 0", 52, "NNNN");
	assert_int_equal(fk_write_file(ep->conf, CONF_DEFAULT
				       "auto_movable_ratio = 301\n"),
			 0);
	assert_int_equal(kill(ep->pid, SIGHUP), 0);
	if (!wait_log(ep, "reloaded", 3000))
		sleep_ms(300); /* no such message: give it time */
	virtio_plug(ep, 48, 56, 4, 0, NULL);
	assert_true(wait_settled(ep, 56, 4, NULL, 10000));
	expect_layout(ep, "good reload: ratio 301", 56, "MMMM");
	daemon_stop(ep);
	env_fini(ep, true);
}

/* A block that failed with EHWPOISON stays poisoned across a reload (a
 * reload retries failed blocks, never poisoned ones). */
static void poison_survives_reload(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	int w;

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	fk_inject_set(&ep->k, 50, "EHWPOISON", -1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 4, 0, NULL);
	assert_true(wait_settled(ep, 48, 4, ",50,", 10000));
	assert_true(wait_log(ep, "EHWPOISON", 3000));
	w = count_lines(ep, "write memory50 ");
	assert_true(w >= 1);
	assert_int_equal(kill(ep->pid, SIGHUP), 0);
	assert_true(wait_log(ep, "reloaded", 3000));
	sleep_ms(300);
	if (count_lines(ep, "write memory50 ") != w)
		fail_msg("memory50 (EHWPOISON) written again after a reload");
	expect_layout(ep, "poisoned block left offline", 48, "MM.M");
	daemon_stop(ep);
	env_fini(ep, true);
}

/* --dry-run writes nothing, neither state nor run/. */
static void dry_run(void **state)
{
	(void)state;
	struct env *const ep = &g_env;

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	fk_lock(&ep->k);
	assert_int_equal(fk_block_create(&ep->k, 48, 0), 0);
	fk_unlock(&ep->k);
	daemon_start_bin(ep, bin_daemon, true);
	virtio_plug(ep, 48, 49, 4, 0, &(struct plug_opts){.no_throttle = true});
	sleep_ms(500);
	assert_true(daemon_alive(ep));
	expect_layout(ep, "dry run", 48, ".....");
	assert_int_equal(count_lines(ep, "write memory"), 0);
	assert_int_equal(count_lines(ep, "open memory"), 0);
	daemon_stop(ep);
	env_fini(ep, true);
}

/*
 * Dry run and real run agree where the ratio bites (ratio 100: an 8 GiB
 * coldplug over 4 GiB of boot memory).  The dry run simulates every write,
 * so each decision sees the ones before it, exactly as in the real run;
 * the real run then produces the dry run's layout block for block.  (The
 * plan's side is test_daemon_queue's test_dry_run_agrees_with_plan.)
 */
static void dry_run_agrees_with_real_run(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	const uint64_t n = 64;
	char want[MAXB + 1] = "", needle[128];
	size_t movable = 0, kernel = 0;

	env_init(ep, FK_BASE_Q35_4G, 8,
		 CONF_DEFAULT "auto_movable_ratio = 100\n");
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	fk_lock(&ep->k);
	for (uint64_t b = 48; b < 48 + n; b++)
		assert_int_equal(fk_block_create(&ep->k, b, 0), 0);
	assert_int_equal(fk_iomem_update(&ep->k), 0);
	fk_unlock(&ep->k);
	daemon_start_bin(ep, bin_daemon, true);
	snprintf(needle, sizeof(needle), "memory%" PRIu64 ": would write",
		 48 + n - 1);
	assert_true(wait_log(ep, needle, 10000));
	for (uint64_t i = 0; i < n; i++) {
		snprintf(needle, sizeof(needle),
			 "memory%" PRIu64 ": would write online_movable ",
			 48 + i);
		if (file_contains(ep->log, needle)) {
			want[i] = 'M';
			movable++;
			continue;
		}
		snprintf(needle, sizeof(needle),
			 "memory%" PRIu64 ": would write online_kernel ",
			 48 + i);
		assert_true(file_contains(ep->log, needle));
		want[i] = 'N';
		kernel++;
	}
	want[n] = '\0';
	assert_true(movable > 0 && kernel > 0);
	assert_int_equal(count_lines(ep, "write memory"), 0);
	expect_layout(ep, "dry run wrote nothing", 48,
		      "................................................"
		      "................");
	daemon_stop(ep);
	daemon_start(ep);
	assert_true(wait_settled(ep, 48, n, NULL, 10000));
	expect_layout(ep, "real run as the dry run said", 48, want);
	daemon_stop(ep);
	env_fini(ep, true);
}

/*
 * A restart keeps the early/hotplugged classification (5.4, persisted
 * under run/memhotd for this boot): hotplugged blocks online at the second
 * start must not count as boot memory.  Blocks added while the daemon was
 * down are coldplug for the new instance.  The result is RV1 all the same.
 */
static void restart_keeps_classification(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[MAXB + 1] = "";

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 256, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 100, 0, NULL);
	assert_true(wait_settled(ep, 48, 100, NULL, 10000));
	daemon_stop(ep);
	/* while nobody listens: 4 blocks added, their uevents lost */
	virtio_plug(ep, 48, 148, 4, 0,
		    &(struct plug_opts){.silent = true, .no_throttle = true});
	daemon_start(ep);
	assert_true(wait_settled(ep, 48, 104, NULL, 10000));
	virtio_plug(ep, 48, 152, 24, 0, NULL);
	assert_true(wait_settled(ep, 48, 128, NULL, 10000));
	rep(want, 'M', 96);
	pat(want, "NMMM", 8);
	expect_layout(ep, "RV1 across a restart", 48, want);
	daemon_stop(ep);
	env_fini(ep, true);
}

/*
 * TV8-like: two virtio-mem devices on one node grown alternately one block
 * at a time, A first.  Going N in one device lowers its requirement and
 * the other consumes it: exact group accounting in both directions.
 */
static void lockstep_devices(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char ra[MAXB + 1] = "", rb[MAXB + 1] = "";
	struct ref r;
	const int n = 110;

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	add_device(ep, FK_DEV_VIRTIO, "virtio1", 240, 192, 0, 1);
	daemon_start(ep);
	ref_init(&r, FK_BASE_Q35_4G, 301, true);
	int ga = ref_group(&r, true, 0, 1), gb = ref_group(&r, true, 0, 1);
	for (int i = 0; i < n; i++) {
		virtio_plug(ep, 48, 48 + i, 1, 0, NULL);
		assert_true(wait_settled(ep, 48 + i, 1, NULL, 10000));
		ref_run(&r, ga, 0, 1, ra);
		virtio_plug(ep, 240, 240 + i, 1, 0, NULL);
		assert_true(wait_settled(ep, 240 + i, 1, NULL, 10000));
		ref_run(&r, gb, 0, 1, rb);
	}
	/* TV8's start as doc/policy.md 8.1 describes it */
	for (int i = 0; i < 48; i++)
		assert_int_equal(ra[i], 'M');
	assert_memory_equal(ra + 48, "NMNMNM", 6);
	expect_layout(ep, "device A", 48, ra);
	expect_layout(ep, "device B", 240, rb);
	daemon_stop(ep);
	env_fini(ep, true);
}

/*
 * ACPI eject that fails (doc/kernels.md 11): the kernel offlines a Movable
 * DIMM's blocks, hits an unmovable page and re-onlines them with their
 * previous zone, all under the hotplug lock.  The offline/online uevents
 * are the kernel's: memhotd must not write to any of those blocks.
 */
static void dimm_eject_rollback(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[64] = "";

	env_init(ep, FK_BASE_Q35_4G, 8, CONF_DEFAULT);
	daemon_start(ep);
	dimm_plug(ep, 0, 48, 32, 0, 10, true);
	assert_true(wait_settled(ep, 48, 32, NULL, 10000));
	int before = count_lines(ep, "write memory");
	fk_lock(&ep->k);
	for (uint64_t b = 48; b < 48 + 31; b++)
		assert_int_equal(fk_block_offline(&ep->k, b), 0);
	sleep_ms(100);
	for (uint64_t b = 48; b < 48 + 31; b++)
		assert_int_equal(fk_block_online(&ep->k, b, true), 0);
	fk_unlock(&ep->k);
	sleep_ms(400);
	rep(want, 'M', 32);
	expect_layout(ep, "after the failed eject", 48, want);
	assert_int_equal(count_lines(ep, "write memory"), before);
	/* and the next DIMM still fits (the 31 count as Movable again) */
	dimm_plug(ep, 1, 80, 32, 0, 10, true);
	dimm_plug(ep, 2, 112, 32, 0, 10, true);
	dimm_plug(ep, 3, 144, 32, 0, 10, true);
	assert_true(wait_settled(ep, 80, 96, NULL, 10000));
	want[0] = '\0';
	rep(want, 'M', 32);
	expect_layout(ep, "DIMM1", 80, want);
	expect_layout(ep, "DIMM2", 112, want);
	want[0] = '\0';
	rep(want, 'N', 32);
	expect_layout(ep, "DIMM3", 144, want);
	daemon_stop(ep);
	env_fini(ep, true);
}

/*
 * TV5: virtio-mem on a node without boot memory (node1 exists only once
 * memory is onlined there): with numa_aware always a kernel zone, without
 * it the global budget applies.
 */
static void memoryless_node(bool numa_aware)
{
	struct env *const ep = &g_env;
	char want[MAXB + 1] = "", p[400];

	env_init(ep, FK_BASE_Q35_4G, 0,
		 numa_aware ? CONF_DEFAULT "auto_movable_numa_aware = true\n"
			    : CONF_DEFAULT "auto_movable_numa_aware = false\n");
	fk_path(&ep->k, p, sizeof(p), "sys/devices/system/node/node1");
	assert_int_equal(mkdir(p, 0755), 0);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 240, 192, 1, 1);
	daemon_start(ep);
	virtio_plug(ep, 240, 240, 100, 1, NULL);
	assert_true(wait_settled(ep, 240, 100, NULL, 10000));
	if (numa_aware) {
		rep(want, 'N', 100);
	} else {
		rep(want, 'M', 96);
		pat(want, "NMMM", 1);
	}
	expect_layout(ep, "node without boot memory", 240, want);
	daemon_stop(ep);
	env_fini(ep, true);
}

static void memoryless_node_numa_aware(void **state)
{
	(void)state;
	memoryless_node(true);
}

static void memoryless_node_global(void **state)
{
	(void)state;
	memoryless_node(false);
}

/* Non-memory uevents (no filter would let them through) are ignored, and
 * a remove of an offline block is forgotten. */
static void noise_and_remove_offline(void **state)
{
	(void)state;
	struct env *const ep = &g_env;

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	fk_inject_set(&ep->k, 49, "EBUSY", -1);
	daemon_start(ep);
	fk_lock(&ep->k);
	fk_emit(&ep->k, "add", "cpu", "cpu3");
	fk_emit(&ep->k, "change", "memory", "memory0");
	fk_emit(&ep->k, "add", "memory", "memory999");
	fk_unlock(&ep->k);
	virtio_plug(ep, 48, 48, 3, 0, NULL);
	assert_true(wait_settled(ep, 48, 3, ",49,", 10000));
	remove_block(ep, 49); /* the EBUSY block goes away */
	sleep_ms(300);
	assert_true(daemon_alive(ep));
	expect_layout(ep, "noise", 48, "M-M");
	int before = count_lines(ep, "memory49");
	sleep_ms(300);
	assert_int_equal(count_lines(ep, "memory49"), before);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* A failed assertion longjmps out of the scenario: clean up here. */
/* ---- the kernel's own onlining (kernel.c) ------------------------------ */

/* GetStatus over the control socket: the reply's JSON text in buf. */
/* One control request (NUL-terminated JSON) and its reply into buf. */
static void ctl_call(struct env *e, const char *req, char *buf, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t got = 0;
	int fd;

	assert_true(strlen(e->root) + 21 < sizeof(sa.sun_path));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.80s/run/memhotd/control",
		 e->root);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, strlen(req) + 1),
			 (ssize_t)strlen(req) + 1);
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(buf + got - n, '\0', (size_t)n))
			break;
	}
	close(fd);
	buf[got] = '\0';
	assert_true(got > 0);
}

/* The planned zone of block id in a Plan reply: 'M', 'N' or '?'. */
static char plan_char(const char *reply, uint64_t id)
{
	char name[48];
	const char *p, *q;

	snprintf(name, sizeof(name), "\"memory%" PRIu64 "\"", id);
	p = strstr(reply, name);
	if (!p || !(p = strstr(p, "\"plan\":")))
		return '?';
	q = strstr(p, "\"target\":");
	if (!q)
		return '?';
	q += strlen("\"target\":");
	while (*q == ' ')
		q++;
	return !strncmp(q, "\"movable\"", 9) ? 'M' : 'N';
}

/*
 * What-if planning (Plan's "add"): virtio0 grown by 15.5 GiB and a new
 * 4 GiB DIMM, predicted with 4 blocks online; then plugged for real, the
 * layout must be the prediction, block for block (the fake kernel puts
 * the DIMM right above virtio0's range, where the plan puts it too).
 */
static void plan_what_if(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	const size_t cap = 4u << 20;
	char *reply = malloc(cap);
	char want[MAXB + 1] = "", got[MAXB + 1] = "", ref[MAXB + 1] = "";

	assert_non_null(reply);
	env_init(ep, FK_BASE_Q35_4G, 8, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 256, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 4, 0, NULL);
	assert_true(wait_settled(ep, 48, 4, NULL, 10000));
	ctl_call(ep,
		 "{\"method\":\"io.memhotd.Plan\",\"parameters\":{\"add\":"
		 "[\"virtio0:15872M\",\"dimm:4G\"]}}",
		 reply, cap);
	assert_null(strstr(reply, "\"error\""));
	for (uint64_t i = 0; i < 124; i++)
		want[i] = plan_char(reply, 52 + i);
	for (uint64_t i = 0; i < 32; i++)
		want[124 + i] = plan_char(reply, 304 + i);
	want[156] = '\0';
	/* the prediction is RV1's rest and an all-kernel DIMM */
	rep(ref, 'M', 92);
	pat(ref, "NMMM", 8);
	rep(ref, 'N', 32);
	assert_string_equal(want, ref);
	assert_non_null(strstr(reply, "\"new-dimm0\""));
	assert_non_null(strstr(reply, "\"movable_headroom\""));
	/* nothing was written, nothing appeared */
	layout(ep, 52, 4, got);
	assert_string_equal(got, "----");
	/* now for real */
	virtio_plug(ep, 48, 52, 124, 0, NULL);
	assert_true(wait_settled(ep, 52, 124, NULL, 10000));
	dimm_plug(ep, 0, 304, 32, 0, 30, true);
	assert_true(wait_settled(ep, 304, 32, NULL, 10000));
	layout(ep, 52, 124, got);
	layout(ep, 304, 32, got + 124);
	assert_string_equal(got, want);
	/* adds that cannot be placed are InvalidParameter "add" */
	ctl_call(ep,
		 "{\"method\":\"io.memhotd.Plan\",\"parameters\":{\"add\":"
		 "[\"virtio7:1G\"]}}",
		 reply, cap);
	assert_non_null(strstr(reply, "io.memhotd.InvalidParameter"));
	assert_non_null(strstr(reply, "no such device"));
	ctl_call(ep,
		 "{\"method\":\"io.memhotd.Plan\",\"parameters\":{\"add\":"
		 "[\"virtio0:1X\"]}}",
		 reply, cap);
	assert_non_null(strstr(reply, "io.memhotd.InvalidParameter"));
	free(reply);
	daemon_stop(ep);
	env_fini(ep, true);
}

static void status_get(struct env *e, char *buf, size_t len)
{
	static const char req[] = "{\"method\":\"io.memhotd.GetStatus\"}";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t got = 0;
	int fd;

	assert_true(strlen(e->root) + 21 < sizeof(sa.sun_path));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.80s/run/memhotd/control",
		 e->root);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, sizeof(req)), (ssize_t)sizeof(req));
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(buf + got - n, '\0', (size_t)n))
			break;
	}
	close(fd);
	buf[got] = '\0';
	assert_true(got > 0);
}

/* The number after "key": in the status text (first occurrence). */
static long long status_num(const char *st, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(st, k);
	if (!p)
		fail_msg("status has no key %s: %s", key, st);
	p += strlen(k);
	while (*p == ' ')
		p++;
	return strtoll(p, NULL, 10);
}

/*
 * Poll the status until key reaches want (the daemon finishes its deferred
 * read-backs and cross-checks when no write is ready, so a loaded machine
 * may answer before they ran); st holds the last reply.
 */
static void status_wait_num(struct env *e, char *st, size_t len,
			    const char *key, long long want,
			    unsigned timeout_ms)
{
	const uint64_t end = now_ms() + timeout_ms;

	for (;;) {
		status_get(e, st, len);
		if (status_num(st, key) == want || now_ms() >= end)
			return;
		usleep(20 * 1000);
	}
}

/* Occurrences of needle in the status text. */
static int status_count(const char *st, const char *needle)
{
	int n = 0;

	for (const char *p = st; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void expect_tree_file(struct env *e, const char *rel, const char *want)
{
	char p[600], buf[128];

	snprintf(p, sizeof(p), "%s/%s", e->root, rel);
	assert_true(fk_read_file(p, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

static void set_tree_file(struct env *e, const char *rel, const char *val)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/%s", e->root, rel);
	assert_int_equal(fk_write_file(p, val), 0);
}

static void set_policy_zone(struct env *e, const char *zone)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/policy_zone", e->fkdir);
	assert_int_equal(fk_write_file(p, zone), 0);
}

#define AOB "sys/devices/system/memory/auto_online_blocks"
#define PARAMS "sys/module/memory_hotplug/parameters"

/*
 * A kernel that onlines by itself (Debian's 6.12): blocks it onlined
 * before memhotd started are reported, auto_online_blocks is switched to
 * offline (and said so), and every block plugged afterwards is memhotd's.
 */
static void auto_online_takeover(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	static char st[1 << 16];

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	set_tree_file(ep, AOB, "online\n");
	virtio_plug(ep, 48, 48, 4, 0, &(struct plug_opts){.no_throttle = 1});
	expect_layout(ep, "kernel before memhotd", 48, "NNNN");
	daemon_start(ep);
	expect_tree_file(ep, AOB, "offline\n");
	assert_true(wait_log(ep, "from 'online' to 'offline'", 3000));
	assert_false(file_contains(ep->log, "competing onliner: "
					    "/sys/devices/system/memory/"
					    "auto_online_blocks"));
	virtio_plug(ep, 48, 52, 8, 0, NULL);
	assert_true(wait_settled(ep, 52, 8, NULL, 10000));
	assert_int_equal(count_lines_settled(ep, "kernel auto-online", 4), 4);
	assert_int_equal(count_lines_settled(ep, "write memory", 8), 8);
	status_get(ep, st, sizeof(st));
	if (!strstr(st, "\"auto_online_blocks_at_start\":\"online\"") ||
	    !strstr(st, "\"auto_online_blocks\":\"offline\""))
		fail_msg("status: %s", st);
	assert_int_equal(status_count(st, "\"zone\":\"Normal\""), 4);
	for (int b = 48; b < 52; b++) {
		char want[64];
		snprintf(want, sizeof(want), "{\"block\":%d,\"zone\"", b);
		if (!strstr(st, want))
			fail_msg("kernel_onlined lacks memory%d: %s", b, st);
	}
	daemon_stop(ep);
	env_fini(ep, true);
}

/* [kernel] auto_online_blocks = leave: warned about, left alone. */
static void auto_online_leave(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	static char st[1 << 16];

	env_init(ep, FK_BASE_Q35_4G, 0,
		 CONF_DEFAULT "[kernel]\nauto_online_blocks = leave\n");
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	set_tree_file(ep, AOB, "online\n");
	daemon_start(ep);
	assert_true(wait_log(ep, "left as is", 3000));
	assert_true(file_contains(ep->log, "competing onliner: "
					   "/sys/devices/system/memory/"
					   "auto_online_blocks is 'online'"));
	virtio_plug(ep, 48, 48, 4, 0, NULL);
	expect_layout(ep, "kernel onlined", 48, "NNNN");
	expect_tree_file(ep, AOB, "online\n");
	sleep_ms(300);
	status_get(ep, st, sizeof(st));
	assert_int_equal(status_count(st, "\"zone\":\"Normal\""), 4);
	/* memhotd still tries, and loses every race to the kernel */
	assert_int_equal(count_lines(ep, "write memory"),
			 count_lines(ep, " = EINVAL"));
	daemon_stop(ep);
	env_fini(ep, true);
}

/*
 * Mirroring and the live cross-check: the parameters hold [policy]; each
 * offline block's valid_zones (the kernel's answer, set by the scenario
 * through policy_zone) is compared with memhotd's decision, never before
 * the node link exists (daemon_stop checks the fake's violations).
 */
static void mirror_cross_check(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	static char st[1 << 16];

	env_init(ep, FK_BASE_Q35_4G, 0,
		 CONF_DEFAULT "auto_movable_ratio = 250\n");
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	expect_tree_file(ep, PARAMS "/online_policy", "auto-movable\n");
	expect_tree_file(ep, PARAMS "/auto_movable_ratio", "250\n");
	expect_tree_file(ep, PARAMS "/auto_movable_numa_aware", "Y\n");
	assert_true(file_contains(ep->log, "to 'auto-movable'"));
	set_policy_zone(ep, "Movable\n");
	virtio_plug(ep, 48, 48, 8, 0, NULL);
	assert_true(wait_settled(ep, 48, 8, NULL, 10000));
	set_policy_zone(ep, "Normal\n");
	virtio_plug(ep, 48, 56, 3, 0, &(struct plug_opts){.link_delay_ms = 20});
	assert_true(wait_settled(ep, 56, 3, NULL, 10000));
	expect_layout(ep, "memhotd decides", 48, "MMMMMMMMMMM");
	status_get(ep, st, sizeof(st));
	if (!strstr(st, "\"active\":true"))
		fail_msg("cross-check not active: %s", st);
	assert_int_equal(status_num(st, "agreements"), 8);
	assert_int_equal(status_num(st, "disagreements"), 3);
	assert_int_equal(
		count_lines_settled(ep, "read valid_zones of offline", 11), 11);
	/* each disagreement logged with both sides */
	int n = 0;
	static char log[1 << 20];
	assert_true(fk_read_file(ep->log, log, sizeof(log)) > 0);
	for (char *p = log; (p = strstr(p, "cross-check DISAGREES")); p++) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		assert_non_null(strstr(p, "would put it in Normal"));
		assert_non_null(strstr(p, "memhotd writes online_movable"));
		if (nl)
			*nl = '\n';
		n++;
	}
	assert_int_equal(n, 3);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* A 5.10-like kernel (no policy parameters): nothing mirrored, no
 * cross-check, delegate mode refused as a configuration error. */
static void kernel_without_policy(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	static char st[1 << 16];
	char p[600];
	int status;

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT "mode = delegate\n");
	snprintf(p, sizeof(p), "rm -rf '%s/sys/module/memory_hotplug'",
		 ep->root);
	assert_int_equal(system(p), 0);
	char *args[] = {"--root", ep->root, "--config", ep->conf, NULL};
	daemon_spawn(ep, bin_daemon, args, true);
	assert_int_equal(waitpid(ep->pid, &status, 0), ep->pid);
	ep->pid = -1;
	check_no_sanitizer_report(ep);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 78);
	assert_true(file_contains(ep->log, "no online policy to delegate to"));
	expect_tree_file(ep, AOB, "offline\n");

	assert_int_equal(fk_write_file(ep->conf, CONF_DEFAULT), 0);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 4, 0, NULL);
	assert_true(wait_settled(ep, 48, 4, NULL, 10000));
	expect_layout(ep, "5.10", 48, "MMMM");
	status_get(ep, st, sizeof(st));
	if (!strstr(st, "\"has_policy\":false") ||
	    !strstr(st, "\"mirrored\":false") ||
	    !strstr(st, "\"active\":false"))
		fail_msg("status: %s", st);
	assert_int_equal(count_lines(ep, "read valid_zones of offline"), 0);
	daemon_stop(ep);
	env_fini(ep, true);
}

/*
 * Delegate mode: memhotd sets the policy and auto_online_blocks=online;
 * the kernel onlines inside the add, memhotd verifies each zone against
 * its own model (the state before the block) and onlines leftovers.  The
 * fake kernel sends each add uevent before it onlines the block (as the
 * real one does): memhotd awaits the kernel's online and never races it.
 */
static void delegate_mode(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	static char st[1 << 16];

	env_init(ep, FK_BASE_Q35_4G, 0, CONF_DEFAULT "mode = delegate\n");
	ep->verbose = true; /* the full numbers are checked */
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	expect_tree_file(ep, AOB, "online\n");
	expect_tree_file(ep, PARAMS "/online_policy", "auto-movable\n");
	assert_true(file_contains(ep->log, "to 'online' (delegate mode"));
	assert_false(file_contains(ep->log, "competing onliner: "
					    "/sys/devices/system/memory/"
					    "auto_online_blocks"));
	set_policy_zone(ep, "Movable\n");
	virtio_plug(ep, 48, 48, 8, 0, NULL);
	expect_layout(ep, "kernel, agreeing", 48, "MMMMMMMM");
	/* a kernel zone memhotd would not have chosen */
	set_policy_zone(ep, "Normal\n");
	virtio_plug(ep, 48, 56, 2, 0, NULL);
	expect_layout(ep, "kernel, disagreeing", 56, "NN");
	assert_true(wait_log(ep, "memory57: onlined to Normal by the kernel",
			     3000));
	/* leftovers: blocks the kernel did not online (as if added while
	 * auto-onlining was off) are memhotd's */
	set_policy_zone(ep, "Movable\n");
	set_tree_file(ep, AOB, "offline\n");
	virtio_plug(ep, 48, 58, 2, 0, NULL);
	assert_true(wait_settled(ep, 58, 2, NULL, 10000));
	expect_layout(ep, "leftovers", 58, "MM");
	/* (the fake logs a write after the state changed) */
	assert_true(wait_log(ep, "memory59: online_movable ok", 3000));
	/* memhotd wrote only the leftovers: no write for a block the
	 * kernel onlined, so no lost race (EINVAL) */
	assert_int_equal(count_lines_settled(ep, " = ok", 2), 2);
	assert_int_equal(count_lines_settled(ep, "write memory", 2), 2);
	assert_int_equal(count_lines(ep, " = EINVAL"), 0);
	assert_true(file_contains(ep->log, "memory58: the kernel did not "
					   "online it inside its add"));
	assert_false(file_contains(ep->log, "lost a race"));
	assert_false(file_contains(ep->log, "before memhotd"));
	status_wait_num(ep, st, sizeof(st), "agreements", 10, 5000);
	if (!strstr(st, "\"mode\":\"delegate\""))
		fail_msg("status: %s", st);
	assert_int_equal(status_num(st, "lost_races"), 0);
	assert_int_equal(status_count(st, "\"agrees\":true"), 8);
	assert_int_equal(status_count(st, "\"agrees\":false"), 2);
	/* 8 + 2 verifications, 2 cross-checks of the leftovers */
	assert_int_equal(status_num(st, "agreements"), 10);
	assert_int_equal(status_num(st, "disagreements"), 2);
	assert_true(file_contains(ep->log, "memhotd's model DISAGREES"));
	daemon_stop(ep);
	env_fini(ep, true);
}

/*
 * Crash consistency: kill -9 of the real daemon after its k-th successful
 * online write (the fake kernel kills it inside the write, before memhotd
 * has learnt the outcome or saved anything), for many k, then a restart.
 * Every time the final layout must be the one of an uninterrupted run
 * (itself checked against the reference) and the classification file must
 * list exactly the hot-added blocks.  Ungrouped hot-added memory (plain
 * "System RAM", no device, no PNP0C80 node) is recognised after a restart
 * only through that file; DIMMs and virtio-mem through firmware_node and
 * /proc/iomem.
 */
enum crash_kind { CRASH_UNGROUPED, CRASH_DIMM, CRASH_VIRTIO };

#define CRASH_FIRST 48
#define CRASH_N 40
#define CRASH_DIMM_BLOCKS 8

/* Has the daemon exited?  Leaves it to be reaped (wait_killed). */
static bool daemon_exited(struct env *e)
{
	siginfo_t si = {0};

	return waitid(P_PID, (id_t)e->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
		       0 &&
	       si.si_pid == e->pid;
}

static void crash_plug(struct env *e, enum crash_kind kind)
{
	switch (kind) {
	case CRASH_UNGROUPED:
		/* A DIMM-like "System RAM" resource, no firmware node, no
		 * PNP0C80 slots: hot-added memory of no device. */
		add_device(e, FK_DEV_DIMM, "hotadd", CRASH_FIRST, CRASH_N, 0,
			   1);
		fk_lock(&e->k);
		for (uint64_t b = CRASH_FIRST; b < CRASH_FIRST + CRASH_N; b++) {
			assert_int_equal(fk_block_create(&e->k, b, 0), 0);
			fk_emit_block(&e->k, "add", b);
		}
		fk_unlock(&e->k);
		break;
	case CRASH_DIMM:
		/* One after another, as in dimms_in_turn (each settles, or
		 * the daemon is killed, before the next). */
		for (int d = 0; d < CRASH_N / CRASH_DIMM_BLOCKS; d++) {
			uint64_t first = CRASH_FIRST + CRASH_DIMM_BLOCKS * d,
				 t0 = now_ms();

			dimm_plug(e, d, first, CRASH_DIMM_BLOCKS, 0, 30, true);
			while (!daemon_exited(e) &&
			       count_offline(e, first, CRASH_DIMM_BLOCKS) &&
			       now_ms() - t0 < 10000ULL * slow)
				sleep_ms(2);
		}
		break;
	case CRASH_VIRTIO:
		add_device(e, FK_DEV_VIRTIO, "virtio0", CRASH_FIRST, 128, 0, 1);
		virtio_plug(e, CRASH_FIRST, CRASH_FIRST, CRASH_N, 0,
			    &(struct plug_opts){.no_throttle = true});
		break;
	}
}

static void crash_ref(enum crash_kind kind, char *want)
{
	struct ref r;
	int g;

	want[0] = '\0';
	ref_init(&r, FK_BASE_Q35_4G, 100, true);
	switch (kind) {
	case CRASH_UNGROUPED:
		ref_run(&r, -1, 0, CRASH_N, want);
		break;
	case CRASH_DIMM:
		for (int d = 0; d < CRASH_N / CRASH_DIMM_BLOCKS; d++) {
			g = ref_group(&r, false, 0, CRASH_DIMM_BLOCKS);
			ref_run(&r, g, 0, CRASH_DIMM_BLOCKS, want);
		}
		break;
	case CRASH_VIRTIO:
		g = ref_group(&r, true, 0, 1);
		ref_run(&r, g, 0, CRASH_N, want);
		break;
	}
}

/* The daemon's classification file lists exactly the plugged blocks. */
static void expect_classification(struct env *e, const char *what)
{
	char p[400], buf[4096], want[64];
	const char *nl;

	snprintf(p, sizeof(p), "%s/run/memhotd/classification", e->root);
	assert_true(fk_read_file(p, buf, sizeof(buf)) > 0);
	nl = strchr(buf, '\n');
	assert_non_null(nl);
	snprintf(want, sizeof(want), "%d-%d\n", CRASH_FIRST,
		 CRASH_FIRST + CRASH_N - 1);
	if (strcmp(nl + 1, want))
		fail_msg("%s: classification lists '%s', want '%s'", what,
			 nl + 1, want);
}

/* Waits (bounded) for the daemon to die by SIGKILL. */
static void wait_killed(struct env *e)
{
	uint64_t t0 = now_ms();
	int status = 0;
	pid_t r = 0;

	while (now_ms() - t0 < 10000ULL * slow &&
	       (r = waitpid(e->pid, &status, WNOHANG)) == 0)
		sleep_ms(2);
	if (r == 0)
		fail_msg("daemon was not killed at its kill point");
	e->pid = -1;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void crash_run(enum crash_kind kind, const char *name, int k_step)
{
	struct env *const ep = &g_env;
	char want[MAXB + 1], base[MAXB + 1], what[96], ka[16];
	int k;

	crash_ref(kind, want);
	/* Uninterrupted. */
	env_init(ep, FK_BASE_Q35_4G, kind == CRASH_DIMM ? 8 : 0,
		 CONF_DEFAULT "auto_movable_ratio = 100\n");
	daemon_start(ep);
	crash_plug(ep, kind);
	assert_true(wait_settled(ep, CRASH_FIRST, CRASH_N, NULL, 10000));
	layout(ep, CRASH_FIRST, CRASH_N, base);
	snprintf(what, sizeof(what), "%s, uninterrupted", name);
	expect_layout(ep, what, CRASH_FIRST, want);
	daemon_stop(ep);
	expect_classification(ep, what);
	env_fini(ep, true);
	/* Killed after k writes, restarted. */
	for (k = 1; k <= CRASH_N; k += k_step) {
		snprintf(what, sizeof(what), "%s, killed after %d writes", name,
			 k);
		env_init(ep, FK_BASE_Q35_4G, kind == CRASH_DIMM ? 8 : 0,
			 CONF_DEFAULT "auto_movable_ratio = 100\n");
		snprintf(ka, sizeof(ka), "%d", k);
		setenv("FAKEKERNEL_KILL_AFTER", ka, 1);
		daemon_start(ep);
		unsetenv("FAKEKERNEL_KILL_AFTER");
		crash_plug(ep, kind);
		wait_killed(ep);
		assert_int_equal(count_lines_settled(ep, "killed after", 1), 1);
		daemon_start(ep);
		if (!wait_settled(ep, CRASH_FIRST, CRASH_N, NULL, 10000))
			fail_msg("%s: blocks left offline", what);
		expect_layout(ep, what, CRASH_FIRST, base);
		daemon_stop(ep);
		expect_classification(ep, what);
		env_fini(ep, true);
	}
}

static void crash_ungrouped(void **state)
{
	(void)state;
	crash_run(CRASH_UNGROUPED, "ungrouped hot-add", 2);
}

static void crash_dimms(void **state)
{
	(void)state;
	crash_run(CRASH_DIMM, "DIMMs", 3);
}

static void crash_virtio(void **state)
{
	(void)state;
	crash_run(CRASH_VIRTIO, "virtio-mem", 3);
}

/* beyond: a rule puts all five DIMMs in ZONE_MOVABLE (kernel: M96 N64) */
static void beyond_rule_dimms(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[MAXB + 1] = "";

	env_init(ep, FK_BASE_Q35_4G, 8,
		 "[rule dimms]\nmatch_type = dimm\nzone = movable\n");
	daemon_start(ep);
	for (int d = 0; d < 5; d++) {
		dimm_plug(ep, d, 48 + 32 * d, 32, 0, 30, true);
		assert_true(wait_settled(ep, 48 + 32 * d, 32, NULL, 10000));
	}
	rep(want, 'M', 160);
	expect_layout(ep, "DIMMs 0-4 by rule", 48, want);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* beyond: kernel_reserve = 2G halves KERNEL_EARLY: 1 DIMM fits, not 3 */
static void beyond_reserve(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[MAXB + 1] = "";

	env_init(ep, FK_BASE_Q35_4G, 8, "[policy]\nkernel_reserve = 2G\n");
	daemon_start(ep);
	for (int d = 0; d < 3; d++) {
		dimm_plug(ep, d, 48 + 32 * d, 32, 0, 30, true);
		assert_true(wait_settled(ep, 48 + 32 * d, 32, NULL, 10000));
	}
	rep(want, 'M', 32);
	rep(want, 'N', 64);
	expect_layout(ep, "DIMMs 0-2 with reserve", 48, want);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* How often needle occurs in the daemon's stderr. */
static int log_count(struct env *e, const char *needle)
{
	static char buf[1 << 20];
	int n = 0;

	if (fk_read_file(e->log, buf, sizeof(buf)) < 0)
		return 0;
	for (char *p = buf; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * A setting beyond the kernel (here a [rule]) diverges from the kernel's
 * policy on purpose: neither the cross-check before a write (mode online)
 * nor delegate mode's verification of the kernel's zone may count it as a
 * disagreement (before, every such block counted as one).
 */
static void cross_check_deliberate(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	static char st[1 << 16];

	/* mode online: the rule says MOVABLE, the kernel's policy Normal */
	env_init(ep, FK_BASE_Q35_4G, 0,
		 CONF_DEFAULT "[rule virt]\nmatch_type = virtio-mem\n"
			      "zone = movable\n");
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	set_policy_zone(ep, "Normal\n");
	virtio_plug(ep, 48, 48, 4, 0, NULL);
	assert_true(wait_settled(ep, 48, 4, NULL, 10000));
	expect_layout(ep, "rule, mode online", 48, "MMMM");
	assert_true(wait_log(ep, "memory51: online_movable", 3000));
	status_get(ep, st, sizeof(st));
	if (!strstr(st, "\"active\":true"))
		fail_msg("cross-check not active: %s", st);
	assert_int_equal(status_num(st, "agreements"), 0);
	assert_int_equal(status_num(st, "disagreements"), 0);
	assert_int_equal(log_count(ep, "cross-check DISAGREES"), 0);
	assert_int_equal(log_count(ep, "on purpose"), 4);
	daemon_stop(ep);
	env_fini(ep, true);

	/* mode delegate: the kernel onlines to Movable, the rule would
	 * have chosen a kernel zone */
	env_init(ep, FK_BASE_Q35_4G, 0,
		 CONF_DEFAULT "mode = delegate\n[rule virt]\n"
			      "match_type = virtio-mem\nzone = kernel\n");
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 192, 0, 1);
	daemon_start(ep);
	set_policy_zone(ep, "Movable\n");
	virtio_plug(ep, 48, 48, 4, 0, NULL);
	expect_layout(ep, "kernel, rule, mode delegate", 48, "MMMM");
	assert_true(wait_log(ep, "memory51: onlined to Movable by the kernel",
			     3000));
	status_get(ep, st, sizeof(st));
	assert_int_equal(status_num(st, "agreements"), 0);
	assert_int_equal(status_num(st, "disagreements"), 0);
	assert_int_equal(log_count(ep, "model DISAGREES"), 0);
	assert_int_equal(log_count(ep, "on purpose"), 4);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* Free pages of node nid's kernel zones in proc/zoneinfo, all in Normal. */
static void set_kernel_free(struct env *e, int nid, uint64_t pages)
{
	struct fk_zoneinfo zi;

	fk_lock(&e->k);
	assert_int_equal(fk_zoneinfo_load(&e->k, &zi), 0);
	zi.z[nid][FK_DMA].free = 0;
	zi.z[nid][FK_DMA32].free = 0;
	zi.z[nid][FK_NORMAL].free = pages;
	assert_int_equal(fk_zoneinfo_store(&e->k, &zi), 0);
	fk_unlock(&e->k);
}

#define GUARD_WARN "is below kernel_free_min"

/*
 * beyond: [guard] kernel_free_min = 1G.  With 40 MiB free in the kernel
 * zones the virtio-mem blocks go to ZONE_NORMAL (the kernel's policy:
 * MOVABLE), each adding its 128 MiB to the free memory, warned once for the
 * episode; after 8 blocks 1064 MiB are free: the episode ends and the ratio
 * decides again (MOVABLE); free memory low again: a new episode.
 */
static void beyond_guard(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[MAXB + 1] = "";

	env_init(ep, FK_BASE_Q35_4G, 0,
		 CONF_DEFAULT "[guard]\nkernel_free_min = 1G\n");
	ep->verbose = true; /* the full numbers are checked */
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 256, 0, 1);
	set_kernel_free(ep, 0, (40ULL << 20) / 4096);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 8, 0, NULL);
	assert_true(wait_settled(ep, 48, 8, NULL, 10000));
	rep(want, 'N', 8);
	expect_layout(ep, "guarded", 48, want);
	assert_int_equal(log_count(ep, GUARD_WARN), 1);
	/* the numbers used, and what the ratio alone would have said */
	assert_true(wait_log(ep,
			     "memory48: online_kernel ok; kernel zone: "
			     "guard-kernel-free-low: node 0 kernel-zone free "
			     "memory 41943040 bytes (40 MiB) < [guard] "
			     "kernel_free_min 1073741824 bytes (1024 MiB); "
			     "otherwise Movable: fits",
			     1000));
	/* the last block's line is written after its state write */
	assert_true(wait_log(ep, "memory55: online_kernel ok", 1000));
	assert_int_equal(log_count(ep, "kernel zone: guard-kernel-free-low: "),
			 8);

	virtio_plug(ep, 48, 56, 8, 0, NULL);
	assert_true(wait_settled(ep, 56, 8, NULL, 10000));
	rep(want, 'M', 8);
	expect_layout(ep, "recovered", 48, want);
	assert_true(wait_log(ep,
			     "[guard] node0: kernel-zone free memory 1G is "
			     "back at or above kernel_free_min 1G",
			     1000));
	assert_true(wait_log(ep,
			     "guard: node 0 kernel-zone free 1115684864 bytes "
			     "(1064 MiB) >= kernel_free_min 1073741824 bytes",
			     1000));
	assert_int_equal(log_count(ep, GUARD_WARN), 1);

	set_kernel_free(ep, 0, (100ULL << 20) / 4096);
	virtio_plug(ep, 48, 64, 8, 0, NULL);
	assert_true(wait_settled(ep, 64, 8, NULL, 10000));
	rep(want, 'N', 8);
	expect_layout(ep, "guarded again", 48, want);
	assert_int_equal(log_count(ep, GUARD_WARN), 2);
	daemon_stop(ep);
	env_fini(ep, true);
}

/* mkdir -p */
static int system_mkdir_p(const char *path)
{
	char p[400];

	snprintf(p, sizeof(p), "%s", path);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* A bound virtio_balloon on a kernel without balloon compaction. */
static void bind_balloon(struct env *e, bool compaction)
{
	char p[400], v[400];

	snprintf(p, sizeof(p), "%s/sys/devices/pci0000:00/0000:00:05.0/virtio5",
		 e->root);
	assert_int_equal(system_mkdir_p(p), 0);
	snprintf(p, sizeof(p), "%s/sys/bus/virtio/drivers/virtio_balloon",
		 e->root);
	assert_int_equal(system_mkdir_p(p), 0);
	snprintf(p, sizeof(p),
		 "%s/sys/bus/virtio/drivers/virtio_balloon/virtio5", e->root);
	unlink(p);
	assert_int_equal(
		symlink("../../../../devices/pci0000:00/0000:00:05.0/virtio5",
			p),
		0);
	snprintf(p, sizeof(p), "%s/proc/vmstat", e->root);
	snprintf(v, sizeof(v),
		 "nr_free_pages 1000\nballoon_inflate 0\n"
		 "balloon_deflate 0\n%s",
		 compaction ? "balloon_migrate 0\n" : "");
	assert_int_equal(fk_write_file(p, v), 0);
}

/*
 * beyond: balloon_without_compaction = kernel refuses MOVABLE while
 * virtio_balloon is bound and proc/vmstat has no balloon_migrate; with the
 * default (warn) the same blocks go MOVABLE and every decision warns.
 */
static void beyond_balloon(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	char want[MAXB + 1] = "";

	env_init(ep, FK_BASE_Q35_4G, 0,
		 CONF_DEFAULT "balloon_without_compaction = kernel\n");
	ep->verbose = true; /* the full numbers are checked */
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 256, 0, 1);
	bind_balloon(ep, false);
	daemon_start(ep);
	assert_true(wait_log(ep,
			     "virtio_balloon bound without balloon "
			     "compaction (no balloon_migrate in "
			     "proc/vmstat)",
			     1000));
	virtio_plug(ep, 48, 48, 8, 0, NULL);
	assert_true(wait_settled(ep, 48, 8, NULL, 10000));
	rep(want, 'N', 8);
	expect_layout(ep, "balloon = kernel", 48, want);
	assert_true(wait_log(
		ep, "kernel zone: balloon-without-compaction: ", 1000));
	daemon_stop(ep);

	/* default: warn */
	assert_int_equal(fk_write_file(ep->conf, CONF_DEFAULT), 0);
	daemon_start(ep);
	virtio_plug(ep, 48, 56, 8, 0, NULL);
	assert_true(wait_settled(ep, 56, 8, NULL, 10000));
	rep(want, 'M', 8);
	expect_layout(ep, "balloon = warn", 48, want);
	assert_int_equal(log_count(ep, "online_movable ok; Movable: fits: "),
			 8);
	assert_int_equal(log_count(ep, "; WARNING: virtio_balloon is active "
				       "without balloon compaction"),
			 16); /* each ok line and its cross-check line */
	daemon_stop(ep);

	/* a kernel with balloon compaction: nothing to warn about */
	bind_balloon(ep, true);
	daemon_start(ep);
	virtio_plug(ep, 48, 64, 8, 0, NULL);
	assert_true(wait_settled(ep, 64, 8, NULL, 10000));
	rep(want, 'M', 8);
	expect_layout(ep, "balloon with compaction", 48, want);
	assert_true(wait_log(ep, "balloon compaction: its pages can migrate",
			     1000));
	assert_int_equal(log_count(ep, "online_movable ok; Movable: fits: "),
			 16);
	assert_int_equal(log_count(ep, "; WARNING: virtio_balloon is active "
				       "without balloon compaction"),
			 16);
	daemon_stop(ep);
	env_fini(ep, true);
}

/*
 * [metrics] textfile: after an RV1 plug the file (written inside the
 * root, atomically, mode 0644) shows the layout the tree has, passes
 * promtool check metrics, and is not rewritten while nothing changes.
 */
#define METRICS_DIR "/var/lib/prometheus/node-exporter"
static void metrics_textfile(void **state)
{
	(void)state;
	struct env *const ep = &g_env;
	static char text[1 << 16];
	char path[600], cmd[800], want[200];
	struct stat st1, st2;

	env_init(ep, FK_BASE_Q35_4G, 0,
		 CONF_DEFAULT "[metrics]\ntextfile = " METRICS_DIR
			      "/memhotd.prom\n");
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s" METRICS_DIR "'", ep->root);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s" METRICS_DIR "/memhotd.prom",
		 ep->root);
	add_device(ep, FK_DEV_VIRTIO, "virtio0", 48, 256, 0, 1);
	daemon_start(ep);
	virtio_plug(ep, 48, 48, 128, 0, NULL);
	assert_true(wait_settled(ep, 48, 128, NULL, 10000));
	/* written within a second or so of the last change */
	uint64_t t0 = now_ms();
	while (!file_contains(path, "memhotd_onlined_memory_blocks_total{"
				    "zone=\"Movable\"} 120\n")) {
		if (now_ms() - t0 > 5000ULL * slow)
			fail_msg("%s: no 120 Movable blocks after 5 s", path);
		sleep_ms(50);
	}
	sleep_ms(1500); /* the last changes of the plug are in */
	assert_true(fk_read_file(path, text, sizeof(text)) > 0);
	static const char *const lines[] = {
		"memhotd_onlined_memory_blocks_total{zone=\"Normal\"} 8\n",
		"memhotd_device_memory_blocks{device=\"virtio0\",type=\"virtio-"
		"mem\",node=\"0\",state=\"online\",zone=\"Movable\"} 120\n",
		"memhotd_device_memory_blocks{device=\"virtio0\",type=\"virtio-"
		"mem\",node=\"0\",state=\"online\",zone=\"Normal\"} 8\n",
		"memhotd_device_memory_blocks{device=\"virtio0\",type=\"virtio-"
		"mem\",node=\"0\",state=\"offline\",zone=\"\"} 0\n",
		"memhotd_node_movable_bytes{node=\"0\"} 16106127360\n",
		"memhotd_node_hotplug_kernel_bytes{node=\"0\"} 1073741824\n",
		"memhotd_pending_memory_blocks 0\n",
		"memhotd_decisions_total{target=\"movable\",reason=\"fits\"} "
		"120\n",
		"memhotd_decision_to_online_seconds_count 128\n",
		"memhotd_add_to_online_seconds_count 128\n",
		"memhotd_lost_races_total 0\n",
		"memhotd_failures_total{errno=\"other\"} 0\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!strstr(text, lines[i]))
			fail_msg("metrics file lacks: %s---- file:\n%s",
				 lines[i], text);
	/* the ratio's limit for node 0: 301% of KERNEL_EARLY */
	snprintf(want, sizeof(want),
		 "memhotd_node_movable_limit_bytes{node=\"0\"} ");
	assert_non_null(strstr(text, want));
	/* promtool's lint (Debian's prometheus package) */
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s'", path);
	if (system(cmd) != 0)
		fail_msg("promtool check metrics failed on %s", path);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(st1.st_mode & 0777, 0644);
	/* nothing but the file in the directory (no temporary left) */
	snprintf(cmd, sizeof(cmd),
		 "test $(ls -A '%s" METRICS_DIR "' | wc -l) = 1", ep->root);
	assert_int_equal(system(cmd), 0);
	/* idle: not rewritten */
	sleep_ms(2500);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
	daemon_stop(ep);
	env_fini(ep, true);
}

static int teardown(void **state)
{
	(void)state;
	if (cur)
		env_fini(cur, false);
	return 0;
}

int main(void)
{
	bin_daemon = getenv("MEMHOTD_BIN");
	bin_minid = getenv("MINID_BIN");
	fk_so = getenv("FAKEKERNEL_SO");
	wrapper = getenv("MEMHOTD_WRAPPER");
	if (getenv("INTEG_SLOW"))
		slow = atoi(getenv("INTEG_SLOW")) > 0
			       ? atoi(getenv("INTEG_SLOW"))
			       : 1;
	if (!bin_daemon || !fk_so || !bin_minid) {
		fprintf(stderr,
			"set MEMHOTD_BIN, MINID_BIN and FAKEKERNEL_SO\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (getenv("INTEG_FILTER"))
		cmocka_set_test_filter(getenv("INTEG_FILTER"));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(ref_matches_spec, teardown),
		cmocka_unit_test_teardown(fake_selftest, teardown),
		cmocka_unit_test_teardown(fake_flags_misbehaviour, teardown),
		cmocka_unit_test_teardown(virtio_rv1, teardown),
		cmocka_unit_test_teardown(dimms_in_turn, teardown),
		cmocka_unit_test_teardown(dimm_foreign_first_block, teardown),
		cmocka_unit_test_teardown(two_nodes_numa_aware, teardown),
		cmocka_unit_test_teardown(two_nodes_global, teardown),
		cmocka_unit_test_teardown(ratio_zero, teardown),
		cmocka_unit_test_teardown(ratio_100, teardown),
		cmocka_unit_test_teardown(coldplug, teardown),
		cmocka_unit_test_teardown(coldplug_dimms, teardown),
		cmocka_unit_test_teardown(errno_injection, teardown),
		cmocka_unit_test_teardown(enobufs_overflow, teardown),
		cmocka_unit_test_teardown(node_link_late, teardown),
		cmocka_unit_test_teardown(offline_not_reonlined, teardown),
		cmocka_unit_test_teardown(shrink_and_regrow, teardown),
		cmocka_unit_test_teardown(check_config_bad_key, teardown),
		cmocka_unit_test_teardown(zoneinfo_inconsistent_at_start,
					  teardown),
		cmocka_unit_test_teardown(sighup_reload, teardown),
		cmocka_unit_test_teardown(poison_survives_reload, teardown),
		cmocka_unit_test_teardown(beyond_rule_dimms, teardown),
		cmocka_unit_test_teardown(beyond_reserve, teardown),
		cmocka_unit_test_teardown(beyond_guard, teardown),
		cmocka_unit_test_teardown(beyond_balloon, teardown),
		cmocka_unit_test_teardown(sighup_reload, teardown),
		cmocka_unit_test_teardown(dry_run, teardown),
		cmocka_unit_test_teardown(dry_run_agrees_with_real_run,
					  teardown),
		cmocka_unit_test_teardown(noise_and_remove_offline, teardown),
		cmocka_unit_test_teardown(restart_keeps_classification,
					  teardown),
		cmocka_unit_test_teardown(lockstep_devices, teardown),
		cmocka_unit_test_teardown(dimm_eject_rollback, teardown),
		cmocka_unit_test_teardown(memoryless_node_numa_aware, teardown),
		cmocka_unit_test_teardown(memoryless_node_global, teardown),
		cmocka_unit_test_teardown(auto_online_takeover, teardown),
		cmocka_unit_test_teardown(auto_online_leave, teardown),
		cmocka_unit_test_teardown(mirror_cross_check, teardown),
		cmocka_unit_test_teardown(kernel_without_policy, teardown),
		cmocka_unit_test_teardown(delegate_mode, teardown),
		cmocka_unit_test_teardown(cross_check_deliberate, teardown),
		cmocka_unit_test_teardown(crash_ungrouped, teardown),
		cmocka_unit_test_teardown(crash_dimms, teardown),
		cmocka_unit_test_teardown(crash_virtio, teardown),
		cmocka_unit_test_teardown(metrics_textfile, teardown),
		cmocka_unit_test_teardown(plan_what_if, teardown),
	};
	return cmocka_run_group_tests_name("integration", tests, NULL, NULL);
}
