/* SPDX-License-Identifier: MIT */
/*
 * The control socket methods of the daemon (daemon-control.c) and the
 * memhotctl command line, on a simulated tree built from a real capture
 * (tests/data/captures/d-1node-vmem-offline: 8 offline virtio-mem blocks).
 * The daemon's state and control socket live in this process, driven by
 * sd_event_run(); clients are forked children (mh_control_call, or the
 * memhotctl binary next to this test's build directory).  Without the
 * socket, memhotctl blocks runs the memhotd binary there (--list-blocks).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "memhotd/config.h"
#include "memhotd/client.h"
#include "memhotd/control.h"
#include "memhotd/daemon.h"
#include "memhotd/report.h"
#include "memhotd/scan.h"
#include "memhotd/sysfs.h"

#include "simtree.h"

#define NOBODY 65534

static const char *data_dir(void)
{
	const char *d = getenv("MEMHOTD_TEST_DATA");

	return d && *d ? d : "tests/data";
}

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(r >= 0);
	return s;
}

/* A simulated tree from a capture directory (tests/data/captures/X). */
static void load_tree(const char *cap, const char *root)
{
	struct simtree t;

	snprintf(t.root, sizeof(t.root), "%s", root);
	st_from_capture(&t, cap);
	st_boot_id(&t, "6d9fcd42-0000-4000-8000-000000000001");
}

struct fx {
	char root[64];
	char sock[256];
	char conf[256];
	struct mh_daemon *d;
};

static void write_conf(struct fx *f, const char *text)
{
	struct simtree t;

	snprintf(t.root, sizeof(t.root), "%s", f->root);
	st_put(&t, f->conf + strlen(f->root) + 1, text);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *cap, err[512];
	struct mh_daemon *d;

	assert_non_null(f);
	strcpy(f->root, "/tmp/mh-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	assert_int_equal(chmod(f->root, 0755), 0);
	cap = xasprintf("%s/captures/d-1node-vmem-offline", data_dir());
	load_tree(cap, f->root);
	free(cap);
	snprintf(f->conf, sizeof(f->conf), "%s/etc/memhotd.conf", f->root);
	write_conf(f, "[policy]\nonline_policy = auto-movable\n");
	snprintf(f->sock, sizeof(f->sock), "%s/run/memhotd/control", f->root);

	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	f->d = d;
	assert_int_equal(mh_root_open(&d->root, f->root), 0);
	assert_int_equal(mh_scan_full(&d->root, &d->inv), 0);
	snprintf(d->config_path, sizeof(d->config_path), "%s", f->conf);
	assert_int_equal(
		mh_config_load(f->conf, false, &d->config, err, sizeof(err)),
		0);
	d->dry_run = true; /* nothing here may write to the tree */
	assert_int_equal(sd_event_new(&d->event), 0);
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		d->start_usec = (uint64_t)ts.tv_sec * 1000000 - 65000000;
	}
	assert_int_equal(mh_daemon_control_start(d), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mh_daemon_free(f->d);
	free(f->d);
	nftw(f->root, st_rm_cb, 32, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int serve_until(struct fx *f, pid_t pid)
{
	int status = 0;

	for (int i = 0; i < 20 * 60; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
		if (f->d->event)
			sd_event_run(f->d->event, 50 * 1000);
		else
			usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 201;
}

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "child %s:%d: %s\n", __FILE__,         \
				__LINE__, #cond);                              \
			_exit(1);                                              \
		}                                                              \
	} while (0)

static json_object *jget(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

/* One call from a child: returns the reply or error parameters. */
static json_object *ccall(const char *sock, const char *method,
			  json_object *params, int want, const char *want_err)
{
	json_object *out = NULL;
	char err[128];
	int r = mh_control_call(sock, method, params, 5000, &out, err,
				sizeof(err));

	if (r != want || (want_err && strcmp(err, want_err) != 0)) {
		fprintf(stderr, "child: %s -> %d %s %s\n", method, r, err,
			out ? json_object_to_json_string(out) : "");
		_exit(1);
	}
	json_object_put(params);
	return out;
}

static json_object *block_param(json_object *v)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "block", v);
	return p;
}

/* ---- the methods -------------------------------------------------------- */

static void test_methods(void **state)
{
	struct fx *f = *state;
	pid_t pid = fork();

	if (pid == 0) {
		json_object *o, *t, *mem, *dec;

		o = ccall(f->sock, "io.memhotd.GetStatus", NULL, 0, NULL);
		CHECK(json_object_get_int(jget(o, "version")) == 1);
		t = jget(o, "totals");
		CHECK(json_object_get_uint64(jget(t, "offline_memblocks")) ==
		      8);
		CHECK(json_object_get_uint64(jget(t, "total_memblocks")) == 40);
		CHECK(json_object_get_uint64(
			      jget(jget(o, "daemon"), "uptime_sec")) >= 65);
		CHECK(strcmp(json_object_get_string(
				     jget(jget(o, "daemon"), "policy")),
			     "auto-movable") == 0);
		json_object_put(o);

		o = ccall(f->sock, "io.memhotd.ListBlocks", NULL, 0, NULL);
		CHECK(json_object_array_length(jget(o, "memory")) == 40);
		CHECK(json_object_get_boolean(jget(o, "decisions_known")));
		json_object_put(o);

		/* Explain by number, "N" and "memoryN": the kernel's oracle
		 * in this capture says Movable for all 8 offline blocks. */
		o = ccall(f->sock, "io.memhotd.Explain",
			  block_param(json_object_new_int(48)), 0, NULL);
		CHECK(strcmp(json_object_get_string(jget(o, "decision_source")),
			     "computed") == 0);
		dec = jget(o, "decision");
		CHECK(strcmp(json_object_get_string(jget(dec, "target")),
			     "movable") == 0);
		CHECK(json_object_get_uint64(jget(jget(dec, "global"),
						  "kernel_early_pages")) ==
		      1048446);
		json_object_put(o);
		o = ccall(f->sock, "io.memhotd.Explain",
			  block_param(json_object_new_string("memory55")), 0,
			  NULL);
		json_object_put(o);
		o = ccall(f->sock, "io.memhotd.Explain",
			  block_param(json_object_new_string("0")), 0, NULL);
		CHECK(strcmp(json_object_get_string(
				     jget(jget(o, "block"), "onlined_by")),
			     "boot") == 0);
		json_object_put(o);
		o = ccall(f->sock, "io.memhotd.Explain",
			  block_param(json_object_new_int(4711)), 1,
			  MH_CONTROL_ERR_NO_SUCH_BLOCK);
		json_object_put(o);
		o = ccall(f->sock, "io.memhotd.Explain",
			  block_param(json_object_new_string("memoryX")), 1,
			  MH_CONTROL_ERR_INVALID_PARAMETER);
		json_object_put(o);
		o = ccall(f->sock, "io.memhotd.Explain",
			  block_param(json_object_new_int(-1)), 1,
			  MH_CONTROL_ERR_INVALID_PARAMETER);
		json_object_put(o);
		o = ccall(f->sock, "io.memhotd.Explain", NULL, 1,
			  MH_CONTROL_ERR_INVALID_PARAMETER);
		json_object_put(o);
		o = ccall(f->sock, "io.memhotd.Plan",
			  block_param(json_object_new_int(1)), 1,
			  MH_CONTROL_ERR_INVALID_PARAMETER);
		json_object_put(o);

		o = ccall(f->sock, "io.memhotd.Plan", NULL, 0, NULL);
		mem = jget(o, "memory");
		CHECK(json_object_array_length(mem) == 8);
		CHECK(json_object_get_uint64(jget(jget(o, "totals"),
						  "movable_memblocks")) == 8);
		json_object_put(o);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	/* Plan wrote nothing: the blocks are still offline and undecided. */
	assert_int_equal(f->d->inv.nodes[0].nr_offline, 8);
	assert_false(mh_inv_block(&f->d->inv, 48)->has_decision);
}

static void test_reload(void **state)
{
	struct fx *f = *state;
	pid_t pid;

	write_conf(f, "[policy]\nauto_movable_ratio = 200\n");
	pid = fork();
	if (pid == 0) {
		json_object *o =
			ccall(f->sock, "io.memhotd.Reload", NULL, 0, NULL);

		CHECK(json_object_get_int(jget(o, "auto_movable_ratio")) ==
		      200);
		json_object_put(o);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(f->d->config.policy.ratio, 200);

	/* A broken file: an error reply, the old configuration stays. */
	write_conf(f, "[policy]\nauto_movable_ratio = lots\n");
	pid = fork();
	if (pid == 0) {
		json_object *o = ccall(f->sock, "io.memhotd.Reload", NULL, 1,
				       MH_CONTROL_ERR_RELOAD_FAILED);

		CHECK(strstr(json_object_get_string(jget(o, "message")),
			     "auto_movable_ratio") != NULL);
		json_object_put(o);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(f->d->config.policy.ratio, 200);
}

/* ---- permissions -------------------------------------------------------- */

static pid_t fork_as(gid_t gid, void (*fn)(const char *), const char *sock)
{
	pid_t pid = fork();

	if (pid == 0) {
		CHECK(setgroups(0, NULL) == 0);
		CHECK(setresgid(gid, gid, gid) == 0);
		CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0);
		fn(sock);
		_exit(0);
	}
	return pid;
}

static void nonroot_no_group(const char *sock)
{
	json_object *out = NULL;
	char err[128];

	/* Socket 0600: the kernel refuses the connection. */
	CHECK(mh_control_call(sock, "io.memhotd.GetStatus", NULL, 3000, &out,
			      err, sizeof(err)) == -EACCES);
	CHECK(mh_control_call(sock, "io.memhotd.Reload", NULL, 3000, &out, err,
			      sizeof(err)) == -EACCES);
}

static void nonroot_member(const char *sock)
{
	json_object *o;

	o = ccall(sock, "io.memhotd.GetStatus", NULL, 0, NULL);
	json_object_put(o);
	o = ccall(sock, "io.memhotd.Explain",
		  block_param(json_object_new_int(48)), 0, NULL);
	json_object_put(o);
	o = ccall(sock, "io.memhotd.Reload", NULL, 1,
		  MH_CONTROL_ERR_PERMISSION_DENIED);
	json_object_put(o);
}

static void test_permissions(void **state)
{
	struct fx *f = *state;
	struct group *g = getgrgid(NOBODY);
	char conf[128];
	int reloads_before;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr,
			"test_permissions: skipped, needs root to "
			"switch to uid %d\n",
			NOBODY);
		skip();
	}
	if (!g) {
		fprintf(stderr, "test_permissions: skipped, no group %d\n",
			NOBODY);
		skip();
	}
	pid = fork_as(NOBODY, nonroot_no_group, f->sock);
	assert_int_equal(serve_until(f, pid), 0);

	/* Root reloads a configuration naming the control group. */
	snprintf(conf, sizeof(conf), "[control]\ngroup = %d\n", NOBODY);
	write_conf(f, conf);
	pid = fork();
	if (pid == 0) {
		json_object *o =
			ccall(f->sock, "io.memhotd.Reload", NULL, 0, NULL);

		json_object_put(o);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_true(f->d->config.control_group_set);
	{
		struct stat st;

		assert_int_equal(stat(f->sock, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0660);
		assert_int_equal(st.st_gid, NOBODY);
	}
	reloads_before = f->d->config.policy.ratio;
	pid = fork_as(NOBODY, nonroot_member, f->sock);
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(f->d->config.policy.ratio, reloads_before);
}

/* ---- the memhotctl binary ----------------------------------------------- */

static char memhotctl[PATH_MAX], memhotd[PATH_MAX];

/* Program name of this test's build directory into path. */
static bool find_prog(const char *name, char path[PATH_MAX])
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	static const char *const rel[] = {"..", "../.."};

	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, PATH_MAX, "%.3000s/%s/%s", exe, rel[i], name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

/* Runs memhotctl --root ROOT args...; output in *out (malloc'd). */
static int run_ctl(struct fx *f, char **out, char **errout, ...)
{
	char *argv[16], *path_out, *path_err;
	va_list ap;
	int n = 0, status;
	pid_t pid;
	char rootarg[128];

	snprintf(rootarg, sizeof(rootarg), "--root=%s", f->root);
	argv[n++] = memhotctl;
	argv[n++] = rootarg;
	va_start(ap, errout);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	path_out = xasprintf("%s/ctl.out", f->root);
	path_err = xasprintf("%s/ctl.err", f->root);
	pid = fork();
	if (pid == 0) {
		int o = open(path_out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(path_err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(e, 2);
		execv(memhotctl, argv);
		_exit(127);
	}
	status = serve_until(f, pid);
	for (int k = 0; k < 2; k++) {
		FILE *fp = fopen(k ? path_err : path_out, "r");
		char *buf = calloc(1, 1 << 20);

		assert_non_null(fp);
		if (fread(buf, 1, (1 << 20) - 1, fp) == 0)
			buf[0] = '\0';
		fclose(fp);
		if (k == 0)
			*out = buf;
		else if (errout)
			*errout = buf;
		else
			free(buf);
	}
	free(path_out);
	free(path_err);
	return status;
}

static void test_memhotctl_binary(void **state)
{
	struct fx *f = *state;
	char *out, *err;
	json_object *j;

	if (!find_prog("memhotctl", memhotctl)) {
		fprintf(stderr, "test_memhotctl_binary: skipped, no memhotctl "
				"binary next to the test (run `make` first)\n");
		skip();
	}

	assert_int_equal(run_ctl(f, &out, NULL, "status", NULL), 0);
	assert_non_null(strstr(out, "policy: auto-movable, ratio 301%"));
	assert_non_null(strstr(out, "virtio0 virtio-mem"));
	assert_non_null(strstr(out, "NODE BOOT-KERNEL HOT-KERNEL MOVABLE"));
	free(out);

	/* --json parses, and its totals match its lists. */
	assert_int_equal(run_ctl(f, &out, NULL, "--json", "blocks", NULL), 0);
	j = json_tokener_parse(out);
	assert_non_null(j);
	assert_int_equal(json_object_array_length(jget(j, "memory")),
			 json_object_get_uint64(
				 jget(jget(j, "totals"), "total_memblocks")));
	json_object_put(j);
	free(out);
	assert_int_equal(run_ctl(f, &out, NULL, "status", "-J", NULL), 0);
	j = json_tokener_parse(out);
	assert_non_null(j);
	{
		json_object *devs = jget(j, "devices");
		uint64_t sum = 0;

		for (size_t i = 0; i < json_object_array_length(devs); i++)
			sum += json_object_get_uint64(
				jget(json_object_array_get_idx(devs, i),
				     "total_memblocks"));
		assert_int_equal(
			sum, json_object_get_uint64(jget(jget(j, "totals"),
							 "total_memblocks")));
	}
	json_object_put(j);
	free(out);

	assert_int_equal(run_ctl(f, &out, NULL, "blocks", "-o",
				 "BLOCK,STATE,DEVICE,DECISION", NULL),
			 0);
	assert_non_null(strstr(out, "48-55 offline virtio0 -"));
	free(out);
	assert_int_equal(run_ctl(f, &out, NULL, "blocks", "-o", "NOPE", NULL),
			 2);
	free(out);
	assert_int_equal(run_ctl(f, &out, NULL, "explain", "memory48", NULL),
			 0);
	assert_non_null(strstr(out, "decision (computed): ZONE_MOVABLE"));
	assert_non_null(strstr(out, "1048446"));
	free(out);
	assert_int_equal(run_ctl(f, &out, NULL, "explain", "4711", NULL), 1);
	free(out);
	assert_int_equal(run_ctl(f, &out, NULL, "explain", "mem48", NULL), 2);
	free(out);
	assert_int_equal(run_ctl(f, &out, NULL, "explain", NULL), 2);
	free(out);
	assert_int_equal(run_ctl(f, &out, NULL, "plan", NULL), 0);
	assert_non_null(strstr(out, "8 to Movable, 0 to a kernel zone"));
	free(out);
	/* what-if: the parameters reach the daemon, in order */
	assert_int_equal(
		run_ctl(f, &out, NULL, "plan", "--add", "virtio0:1G", NULL), 0);
	assert_non_null(strstr(out, "virtio0"));
	assert_null(strstr(out, "8 to Movable, 0 to a kernel zone"));
	free(out);
	assert_int_equal(
		run_ctl(f, &out, &err, "plan", "--add", "nosuch:1G", NULL), 1);
	assert_non_null(strstr(err, "nosuch"));
	free(out);
	free(err);
	assert_int_equal(run_ctl(f, &out, NULL, "reload", NULL), 0);
	assert_non_null(strstr(out, "reloaded "));
	free(out);
	assert_int_equal(run_ctl(f, &out, NULL, "frobnicate", NULL), 2);
	free(out);
	assert_int_equal(run_ctl(f, &out, NULL, "--help", NULL), 0);
	assert_non_null(strstr(out, "HOTPLUGGED"));
	free(out);

	/* Without the daemon: status says so (3); blocks is the offline
	 * path's test below. */
	mh_daemon_control_stop(f->d);
	assert_int_equal(run_ctl(f, &out, &err, "status", NULL), 3);
	assert_non_null(strstr(err, "not running"));
	free(out);
	free(err);
	assert_int_equal(run_ctl(f, &out, &err, "plan", NULL), 3);
	free(out);
	free(err);
}

/* The block columns that do not depend on a running daemon. */
#define SYSFS_COLUMNS                                                          \
	"RANGE,SIZE,STATE,ZONE,NODE,DEVICE,TYPE,BLOCK,BY,HOTPLUGGED"

/* A listing without what only a running daemon knows. */
static json_object *sysfs_part(const char *text)
{
	json_object *j = json_tokener_parse(text), *mem;

	assert_non_null(j);
	json_object_object_del(j, "decisions_known");
	mem = jget(j, "memory");
	assert_non_null(mem);
	for (size_t i = 0; i < json_object_array_length(mem); i++) {
		json_object *b = json_object_array_get_idx(mem, i);

		json_object_object_del(b, "decision");
		json_object_object_del(b, "pending");
		json_object_object_del(b, "failed_errno");
	}
	return j;
}

/*
 * memhotctl blocks without a daemon: memhotctl runs memhotd --list-blocks
 * (MEMHOTCTL_MEMHOTD here) and renders its reply; everything sysfs shows
 * is the same as from the running daemon, decisions are unknown.
 */
static void test_memhotctl_offline(void **state)
{
	struct fx *f = *state;
	char *on_text, *on_json, *out, *err, bad_root[128];
	json_object *a, *b;

	if (!find_prog("memhotctl", memhotctl) ||
	    !find_prog("memhotd", memhotd)) {
		fprintf(stderr, "test_memhotctl_offline: skipped, no memhotctl "
				"and memhotd next to the test (run `make` "
				"first)\n");
		skip();
	}
	assert_int_equal(setenv("MEMHOTCTL_MEMHOTD", memhotd, 1), 0);

	/* Online: the daemon answers. */
	assert_int_equal(
		run_ctl(f, &on_text, NULL, "blocks", "-o", SYSFS_COLUMNS, NULL),
		0);
	assert_non_null(strstr(on_text, "virtio0"));
	assert_int_equal(run_ctl(f, &on_json, NULL, "-J", "blocks", NULL), 0);

	/* Offline: the same table and listing, decisions unknown. */
	mh_daemon_control_stop(f->d);
	assert_int_equal(
		run_ctl(f, &out, &err, "blocks", "-o", SYSFS_COLUMNS, NULL), 0);
	assert_string_equal(out, on_text);
	assert_non_null(strstr(err, "not running"));
	assert_non_null(strstr(err, "decisions unknown"));
	free(out);
	free(err);
	assert_int_equal(run_ctl(f, &out, &err, "-J", "blocks", NULL), 0);
	a = sysfs_part(on_json);
	b = sysfs_part(out);
	assert_true(json_object_equal(a, b));
	json_object_put(a);
	json_object_put(b);
	b = json_tokener_parse(out);
	assert_false(json_object_get_boolean(jget(b, "decisions_known")));
	assert_int_equal(json_object_get_int(jget(b, "version")), 1);
	json_object_put(b);
	free(out);
	free(err);
	free(on_text);
	free(on_json);
	assert_int_equal(run_ctl(f, &out, &err, "blocks", NULL), 0);
	assert_non_null(strstr(out, "48-55 ?"));
	assert_non_null(strstr(out, "Total offline memory: 1G"));
	free(out);
	free(err);

	/* memhotd cannot read the tree: it says why, memhotctl fails. */
	snprintf(bad_root, sizeof(bad_root), "--root=%s/nosuch", f->root);
	assert_int_equal(run_ctl(f, &out, &err, bad_root, "blocks", NULL), 1);
	assert_non_null(strstr(err, "memhotd: "));
	assert_non_null(strstr(err, "nosuch"));
	free(out);
	free(err);

	/* No daemon and no memhotd: one clear message, exit 3. */
	assert_int_equal(setenv("MEMHOTCTL_MEMHOTD", "/nonexistent/memhotd", 1),
			 0);
	assert_int_equal(run_ctl(f, &out, &err, "blocks", NULL), 3);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "memhotd is not running"));
	assert_non_null(strstr(err, "/nonexistent/memhotd"));
	assert_null(strchr(strchr(err, '\n') + 1, '\n'));
	free(out);
	free(err);
	assert_int_equal(unsetenv("MEMHOTCTL_MEMHOTD"), 0);
	if (access("/usr/local/sbin/memhotd", F_OK) != 0 &&
	    access("/usr/sbin/memhotd", F_OK) != 0) {
		/* The compiled-in path, then PATH (empty here). */
		char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

		assert_int_equal(setenv("PATH", f->root, 1), 0);
		assert_int_equal(run_ctl(f, &out, &err, "blocks", NULL), 3);
		if (path)
			setenv("PATH", path, 1);
		else
			unsetenv("PATH");
		free(path);
		assert_non_null(strstr(err, "no memhotd"));
		assert_non_null(strstr(err, "MEMHOTCTL_MEMHOTD"));
		free(out);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_memhotctl_binary, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_memhotctl_offline, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
