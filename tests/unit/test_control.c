/* SPDX-License-Identifier: MIT */
/*
 * The control socket: protocol, malformed input, stuck and vanishing
 * clients, permissions.  The server runs in this process (under ASan or
 * valgrind), driven by sd_event_run(); every client is a forked child that
 * reports through its exit status.
 */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "memhotd/client.h"
#include "memhotd/control.h"

#define NOBODY 65534

struct fixture {
	char dir[64];
	char path[128];
	sd_event *e;
	struct mh_control *ctl;
	int reloads;
};

static void h_echo(void *ud, const struct mh_control_peer *peer,
		   json_object *params, struct mh_control_reply *reply)
{
	json_object *x;

	(void)ud;
	reply->parameters = json_object_new_object();
	if (params && json_object_object_get_ex(params, "x", &x))
		json_object_object_add(reply->parameters, "x",
				       json_object_get(x));
	json_object_object_add(reply->parameters, "uid",
			       json_object_new_int64(peer->uid));
}

static void h_reload(void *ud, const struct mh_control_peer *peer,
		     json_object *params, struct mh_control_reply *reply)
{
	struct fixture *f = ud;

	(void)peer;
	(void)params;
	f->reloads++;
	reply->parameters = json_object_new_object();
}

static void h_big(void *ud, const struct mh_control_peer *peer,
		  json_object *params, struct mh_control_reply *reply)
{
	static char s[1024 * 1024];

	(void)ud;
	(void)peer;
	(void)params;
	memset(s, 'a', sizeof(s) - 1);
	reply->parameters = json_object_new_object();
	json_object_object_add(reply->parameters, "data",
			       json_object_new_string(s));
}

static void h_fail(void *ud, const struct mh_control_peer *peer,
		   json_object *params, struct mh_control_reply *reply)
{
	(void)ud;
	(void)peer;
	(void)params;
	reply->error = MH_CONTROL_ERR_NO_SUCH_BLOCK;
	snprintf(reply->message, sizeof(reply->message), "no memory%d", 7);
}

static const char *const echo_params[] = {"x", NULL};
static const struct mh_control_method methods[] = {
	{"io.memhotd.Echo", MH_CONTROL_READ, echo_params, h_echo},
	{"io.memhotd.Reload", MH_CONTROL_ROOT, NULL, h_reload},
	{"io.memhotd.Big", MH_CONTROL_READ, NULL, h_big},
	{"io.memhotd.Fail", MH_CONTROL_READ, NULL, h_fail},
};

static int open_server(struct fixture *f, const struct mh_control_options *o)
{
	return mh_control_open(&f->ctl, f->e, f->path, o, methods,
			       sizeof(methods) / sizeof(methods[0]), f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mh_control_options o = {.idle_usec = 700 * 1000};

	assert_non_null(f);
	strcpy(f->dir, "/tmp/mh-control-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* Unprivileged children must reach the socket. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	snprintf(f->path, sizeof(f->path), "%s/control", f->dir);
	assert_int_equal(sd_event_new(&f->e), 0);
	assert_int_equal(open_server(f, &o), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mh_control_close(f->ctl);
	sd_event_unref(f->e);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs the server until the child exits; returns its exit status. */
static int serve_until(struct fixture *f, pid_t pid)
{
	int status = 0;

	for (int i = 0; i < 20 * 60; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
		sd_event_run(f->e, 50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 201;
}

/* Runs the server for ms milliseconds. */
static void serve_for(struct fixture *f, int ms)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if ((b.tv_sec - a.tv_sec) * 1000 +
			    (b.tv_nsec - a.tv_nsec) / 1000000 >=
		    ms)
			return;
		sd_event_run(f->e, 20 * 1000);
	}
}

/* ---- client side (children) --------------------------------------------- */

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "child %s:%d: %s\n", __FILE__,         \
				__LINE__, #cond);                              \
			_exit(1);                                              \
		}                                                              \
	} while (0)

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 5};

	if (fd < 0)
		return -1;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void raw_send(int fd, const char *s, size_t len)
{
	CHECK(send(fd, s, len, MSG_NOSIGNAL) == (ssize_t)len);
}

/* Reads one NUL-terminated reply and parses it; NULL on EOF/timeout. */
static json_object *raw_reply(int fd)
{
	static char buf[4 * 1024 * 1024];
	size_t len = 0;

	while (len < sizeof(buf)) {
		ssize_t n = recv(fd, buf + len, 1, 0);

		if (n <= 0)
			return NULL;
		if (buf[len] == '\0')
			return json_tokener_parse(buf);
		len++;
	}
	return NULL;
}

static const char *reply_error(json_object *r)
{
	json_object *e;

	if (!r || !json_object_object_get_ex(r, "error", &e))
		return NULL;
	return json_object_get_string(e);
}

static json_object *reply_param(json_object *r, const char *key)
{
	json_object *p, *v;

	if (!r || !json_object_object_get_ex(r, "parameters", &p) ||
	    !json_object_object_get_ex(p, key, &v))
		return NULL;
	return v;
}

/* Sends text (plus its NUL) on a fresh connection; expects error name. */
static void expect_error(const char *path, const char *text, size_t len,
			 const char *error)
{
	int fd = raw_connect(path);
	json_object *r;

	CHECK(fd >= 0);
	raw_send(fd, text, len);
	raw_send(fd, "", 1);
	r = raw_reply(fd);
	CHECK(r != NULL);
	if (!reply_error(r) || strcmp(reply_error(r), error) != 0) {
		fprintf(stderr, "child: %s -> %s, want %s\n", text,
			json_object_to_json_string(r), error);
		_exit(1);
	}
	CHECK(reply_param(r, "message") != NULL);
	CHECK(json_object_get_int(reply_param(r, "version")) ==
	      MH_CONTROL_PROTOCOL_VERSION);
	json_object_put(r);
	/* The connection survives a malformed request. */
	raw_send(fd, "{\"method\":\"io.memhotd.Echo\"}", 29);
	r = raw_reply(fd);
	CHECK(r != NULL && reply_error(r) == NULL);
	json_object_put(r);
	close(fd);
}

static void echo_ok(const char *path)
{
	json_object *p = json_object_new_object(), *out = NULL;
	char err[128];
	int r;

	json_object_object_add(p, "x", json_object_new_int(42));
	r = mh_control_call(path, "io.memhotd.Echo", p, 3000, &out, err,
			    sizeof(err));
	json_object_put(p);
	if (r != 0)
		fprintf(stderr, "child: Echo -> %d %s\n", r, err);
	CHECK(r == 0);
	CHECK(json_object_get_int(json_object_object_get(out, "x")) == 42);
	CHECK(json_object_get_int(json_object_object_get(out, "version")) ==
	      MH_CONTROL_PROTOCOL_VERSION);
	json_object_put(out);
}

/* ---- tests -------------------------------------------------------------- */

static void test_call_roundtrip(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();

	if (pid == 0) {
		json_object *out = NULL;
		char err[128];

		echo_ok(f->path);
		CHECK(mh_control_call(f->path, "io.memhotd.Fail", NULL, 3000,
				      &out, err, sizeof(err)) == 1);
		CHECK(strcmp(err, MH_CONTROL_ERR_NO_SUCH_BLOCK) == 0);
		CHECK(strcmp(json_object_get_string(
				     json_object_object_get(out, "message")),
			     "no memory7") == 0);
		json_object_put(out);
		CHECK(mh_control_call(f->path, "org.varlink.service.GetInfo",
				      NULL, 3000, &out, err, sizeof(err)) == 0);
		CHECK(json_object_object_get(out, "interfaces") != NULL);
		json_object_put(out);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();

	if (pid == 0) {
		static const struct {
			const char *text;
			const char *error;
		} cases[] = {
			{"{", MH_CONTROL_ERR_INVALID_REQUEST},
			{"", MH_CONTROL_ERR_INVALID_REQUEST},
			{"not json", MH_CONTROL_ERR_INVALID_REQUEST},
			{"[1,2]", MH_CONTROL_ERR_INVALID_REQUEST},
			{"123", MH_CONTROL_ERR_INVALID_REQUEST},
			{"\"io.memhotd.Echo\"", MH_CONTROL_ERR_INVALID_REQUEST},
			{"{}", MH_CONTROL_ERR_INVALID_REQUEST},
			{"{\"method\":7}", MH_CONTROL_ERR_INVALID_REQUEST},
			{"{\"method\":\"io.memhotd.Echo\"} x",
			 MH_CONTROL_ERR_INVALID_REQUEST},
			{"{\"method\":\"io.memhotd.Echo\"}{}",
			 MH_CONTROL_ERR_INVALID_REQUEST},
			{"{\"method\":\"io.memhotd.Echo\",\"parameters\":[]}",
			 MH_CONTROL_ERR_INVALID_REQUEST},
			{"{\"method\":\"io.memhotd.Echo\",\"bogus\":1}",
			 MH_CONTROL_ERR_INVALID_REQUEST},
			{"{\"method\":\"io.memhotd.Echo\",\"oneway\":\"yes\"}",
			 MH_CONTROL_ERR_INVALID_REQUEST},
			{"{\"method\":\"io.memhotd.Nope\"}",
			 MH_CONTROL_ERR_METHOD_NOT_FOUND},
			{"{\"method\":\"\"}", MH_CONTROL_ERR_METHOD_NOT_FOUND},
			{"{\"method\":\"io.memhotd.Echo\",\"parameters\":"
			 "{\"y\":1}}",
			 MH_CONTROL_ERR_INVALID_PARAMETER},
			{"{\"method\":\"io.memhotd.Echo\",\"parameters\":"
			 "{\"version\":2}}",
			 MH_CONTROL_ERR_UNSUPPORTED_VERSION},
			{"{\"method\":\"io.memhotd.Echo\",\"parameters\":"
			 "{\"version\":\"1\"}}",
			 MH_CONTROL_ERR_INVALID_PARAMETER},
			{"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
			 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
			 MH_CONTROL_ERR_INVALID_REQUEST},
			{"{\"method\":\"io.memhotd.\\u0000Echo\"}",
			 MH_CONTROL_ERR_METHOD_NOT_FOUND},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			expect_error(f->path, cases[i].text,
				     strlen(cases[i].text), cases[i].error);
		/* Invalid UTF-8 and control bytes. */
		expect_error(f->path, "{\"method\":\"\xff\xfe\"}", 15,
			     MH_CONTROL_ERR_INVALID_REQUEST);
		expect_error(f->path, "\x01\x02\x03", 3,
			     MH_CONTROL_ERR_INVALID_REQUEST);
		echo_ok(f->path);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	serve_for(f, 50);
	assert_int_equal(mh_control_nr_clients(f->ctl), 0);
}

static void test_pipelined_and_oneway(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();

	if (pid == 0) {
		static const char two[] =
			"{\"method\":\"io.memhotd.Echo\",\"parameters\":"
			"{\"x\":1}}\0"
			"{\"method\":\"io.memhotd.Echo\",\"oneway\":true,"
			"\"parameters\":{\"x\":2}}\0"
			"{\"method\":\"io.memhotd.Echo\",\"more\":true,"
			"\"parameters\":{\"x\":3}}";
		int fd = raw_connect(f->path);
		json_object *r;

		CHECK(fd >= 0);
		raw_send(fd, two, sizeof(two)); /* includes the last NUL */
		r = raw_reply(fd);
		CHECK(json_object_get_int(reply_param(r, "x")) == 1);
		json_object_put(r);
		r = raw_reply(fd);
		CHECK(json_object_get_int(reply_param(r, "x")) == 3);
		json_object_put(r);
		/* Byte by byte works as well. */
		for (const char *p = "{\"method\":\"io.memhotd.Echo\","
				     "\"parameters\":{\"x\":4}}";
		     ; p++) {
			raw_send(fd, p, 1);
			if (!*p)
				break;
		}
		r = raw_reply(fd);
		CHECK(json_object_get_int(reply_param(r, "x")) == 4);
		json_object_put(r);
		/* Half-close after a request: the reply still arrives. */
		raw_send(fd, "{\"method\":\"io.memhotd.Echo\"}", 29);
		shutdown(fd, SHUT_WR);
		r = raw_reply(fd);
		CHECK(r != NULL && reply_error(r) == NULL);
		json_object_put(r);
		CHECK(raw_reply(fd) == NULL); /* then EOF */
		close(fd);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
}

static void test_oversized(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();

	if (pid == 0) {
		size_t n = MH_CONTROL_MAX_REQUEST + 4096;
		char *big = malloc(n);
		int fd = raw_connect(f->path);
		json_object *r;

		CHECK(big && fd >= 0);
		memset(big, ' ', n);
		memcpy(big, "{\"method\":\"io.memhotd.Echo\",\"x\":\"", 32);
		/* The server may close before everything is sent. */
		send(fd, big, n, MSG_NOSIGNAL);
		r = raw_reply(fd);
		CHECK(r != NULL);
		CHECK(strcmp(reply_error(r),
			     MH_CONTROL_ERR_REQUEST_TOO_LARGE) == 0);
		json_object_put(r);
		CHECK(raw_reply(fd) == NULL); /* closed */
		close(fd);
		free(big);
		/* The daemon is undisturbed. */
		echo_ok(f->path);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	serve_for(f, 50);
	assert_int_equal(mh_control_nr_clients(f->ctl), 0);
}

static void test_partial_then_disconnect(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = raw_connect(f->path);

		CHECK(fd >= 0);
		raw_send(fd, "{\"method\":\"io.memh", 18);
		close(fd);
		fd = raw_connect(f->path);
		CHECK(fd >= 0);
		raw_send(fd, "{\"method\":\"io.memhotd.Big\"}", 28);
		close(fd); /* gone before the reply is written */
		echo_ok(f->path);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	serve_for(f, 100);
	assert_int_equal(mh_control_nr_clients(f->ctl), 0);
}

static void test_stuck_client(void **state)
{
	struct fixture *f = *state;
	int sync[2];
	pid_t stuck, other;
	char c;

	assert_int_equal(pipe(sync), 0);
	stuck = fork();
	if (stuck == 0) {
		int fd = raw_connect(f->path);
		static const char req[] = "{\"method\":\"io.memhotd.Big\"}";

		CHECK(fd >= 0);
		/* Ask for many megabytes, read nothing. */
		for (int i = 0; i < 40; i++)
			if (send(fd, req, sizeof(req),
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				break;
		CHECK(write(sync[1], "x", 1) == 1);
		sleep(3);
		close(fd);
		_exit(0);
	}
	close(sync[1]);
	/* Serve until the stuck client has sent its requests. */
	{
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			struct timeval tv = {0, 0};
			fd_set s;

			FD_ZERO(&s);
			FD_SET(sync[0], &s);
			if (select(sync[0] + 1, &s, NULL, NULL, &tv) > 0)
				break;
			sd_event_run(f->e, 20 * 1000);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			assert_true(t1.tv_sec - t0.tv_sec < 10);
		}
	}
	assert_int_equal(read(sync[0], &c, 1), 1);
	close(sync[0]);
	/* Another client is served promptly meanwhile. */
	other = fork();
	if (other == 0) {
		echo_ok(f->path);
		_exit(0);
	}
	assert_int_equal(serve_until(f, other), 0);
	/* The stuck client is dropped by the idle timeout (0.7 s here). */
	serve_for(f, 1500);
	assert_int_equal(mh_control_nr_clients(f->ctl), 0);
	assert_int_equal(serve_until(f, stuck), 0);
}

/* Out of file descriptors: accept() fails with EMFILE; the server pauses
 * accepting instead of spinning, and serves the client once fds are free. */
static void test_fd_exhaustion(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, lim;
	int fds[256], n = 0;
	pid_t pid;
	const char *pre = getenv("LD_PRELOAD");

	/* valgrind emulates RLIMIT_NOFILE by closing accepted fds above its
	 * limit, which drops the connection a real EMFILE leaves queued. */
	if (pre && strstr(pre, "vgpreload")) {
		fprintf(stderr,
			"test_fd_exhaustion: skipped under valgrind "
			"(its fd limit is emulated); runs under ASan\n");
		skip();
	}
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	lim.rlim_cur = 128;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
	pid = fork();
	if (pid == 0) {
		usleep(100 * 1000);
		echo_ok(f->path);
		_exit(0);
	}
	while (n < 256) {
		int fd = dup(0);

		if (fd < 0)
			break;
		fds[n++] = fd;
	}
	assert_true(n < 256); /* the table is full */
	serve_for(f, 400);
	assert_int_equal(mh_control_nr_clients(f->ctl), 0);
	while (n > 0)
		close(fds[--n]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(serve_until(f, pid), 0);
}

static void test_idle_timeout(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = raw_connect(f->path);
		char c;

		CHECK(fd >= 0);
		/* Say nothing: the server hangs up after the idle time. */
		CHECK(recv(fd, &c, 1, 0) == 0);
		close(fd);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(mh_control_nr_clients(f->ctl), 0);
}

static void test_too_many_clients(void **state)
{
	struct fixture *f = *state;
	struct mh_control_options o = {.max_clients = 2,
				       .idle_usec = 5 * 1000 * 1000};
	pid_t pid;

	mh_control_close(f->ctl);
	assert_int_equal(open_server(f, &o), 0);
	pid = fork();
	if (pid == 0) {
		int a = raw_connect(f->path), b = raw_connect(f->path);
		int c = raw_connect(f->path);
		char ch;

		CHECK(a >= 0 && b >= 0 && c >= 0);
		/* The third is accepted and closed at once. */
		CHECK(recv(c, &ch, 1, 0) == 0);
		close(a);
		close(c);
		close(b);
		usleep(300 * 1000); /* let the server see the hang-ups */
		echo_ok(f->path);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
}

static void test_socket_file(void **state)
{
	struct fixture *f = *state;
	struct mh_control *second = NULL;
	struct mh_control_options o = {.group_set = true, .group = 4242};
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	/* A live server is not replaced. */
	assert_int_equal(
		mh_control_open(&second, f->e, f->path, NULL, methods, 1, f),
		-EADDRINUSE);
	if (geteuid() == 0) {
		assert_int_equal(mh_control_set_group(f->ctl, true, 4242), 0);
		assert_int_equal(stat(f->path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0660);
		assert_int_equal(st.st_gid, 4242);
	}
	/* Closing removes the socket; a stale one is replaced. */
	mh_control_close(f->ctl);
	f->ctl = NULL;
	assert_int_equal(stat(f->path, &st), -1);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		strcpy(sa.sun_path, f->path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		close(fd); /* stale: nobody listens */
	}
	assert_int_equal(open_server(f, geteuid() == 0 ? &o : NULL), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, geteuid() == 0 ? 0660 : 0600);
	/* Something that is not a socket is never removed. */
	mh_control_close(f->ctl);
	f->ctl = NULL;
	{
		FILE *fp = fopen(f->path, "w");

		assert_non_null(fp);
		fclose(fp);
	}
	assert_int_equal(open_server(f, NULL), -EEXIST);
	unlink(f->path);
	assert_int_equal(open_server(f, NULL), 0);
}

/* A child that drops to uid 65534 (gid gid) and runs fn. */
static pid_t fork_unprivileged(gid_t gid, void (*fn)(const char *),
			       const char *path)
{
	pid_t pid = fork();

	if (pid == 0) {
		CHECK(setgroups(0, NULL) == 0);
		CHECK(setresgid(gid, gid, gid) == 0);
		CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0);
		fn(path);
		_exit(0);
	}
	return pid;
}

static void unpriv_denied(const char *path)
{
	json_object *out = NULL;
	char err[128];
	int r = mh_control_call(path, "io.memhotd.Echo", NULL, 3000, &out, err,
				sizeof(err));

	/* 0600 root socket: the kernel refuses connect() already. */
	CHECK(r == -EACCES);
	r = mh_control_call(path, "io.memhotd.Reload", NULL, 3000, &out, err,
			    sizeof(err));
	CHECK(r == -EACCES);
}

static void unpriv_group_member(const char *path)
{
	json_object *out = NULL;
	char err[128];
	int r;

	echo_ok(path); /* read-only: allowed for the control group */
	r = mh_control_call(path, "io.memhotd.Reload", NULL, 3000, &out, err,
			    sizeof(err));
	CHECK(r == 1);
	CHECK(strcmp(err, MH_CONTROL_ERR_PERMISSION_DENIED) == 0);
	CHECK(strstr(json_object_get_string(
			     json_object_object_get(out, "message")),
		     "root only") != NULL);
	json_object_put(out);
}

static void unpriv_not_member(const char *path)
{
	json_object *out = NULL;
	char err[128];
	int r;

	r = mh_control_call(path, "io.memhotd.Echo", NULL, 3000, &out, err,
			    sizeof(err));
	CHECK(r == 1);
	CHECK(strcmp(err, MH_CONTROL_ERR_PERMISSION_DENIED) == 0);
	json_object_put(out);
	r = mh_control_call(path, "io.memhotd.Reload", NULL, 3000, &out, err,
			    sizeof(err));
	CHECK(r == 1);
	CHECK(strcmp(err, MH_CONTROL_ERR_PERMISSION_DENIED) == 0);
	json_object_put(out);
}

static void root_reload(const char *path)
{
	json_object *out = NULL;
	char err[128];

	CHECK(mh_control_call(path, "io.memhotd.Reload", NULL, 3000, &out, err,
			      sizeof(err)) == 0);
	json_object_put(out);
}

static void test_permissions(void **state)
{
	struct fixture *f = *state;
	const gid_t group = 4243;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "test_permissions: skipped, needs root to "
				"switch to uid 65534\n");
		skip();
	}
	/* No control group: the socket is 0600, non-root cannot connect. */
	pid = fork_unprivileged(group, unpriv_denied, f->path);
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(f->reloads, 0);

	/* Control group: members may read but not reload. */
	assert_int_equal(mh_control_set_group(f->ctl, true, group), 0);
	pid = fork_unprivileged(group, unpriv_group_member, f->path);
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(f->reloads, 0);

	/* A non-member who can connect (mode opened up behind our back) is
	 * still refused by SO_PEERCRED. */
	assert_int_equal(chmod(f->path, 0666), 0);
	pid = fork_unprivileged(group + 1, unpriv_not_member, f->path);
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(f->reloads, 0);

	/* Root may. */
	pid = fork();
	if (pid == 0) {
		root_reload(f->path);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(f->reloads, 1);
}

static void test_not_running(void **state)
{
	struct fixture *f = *state;
	json_object *out = NULL;
	char err[64], path[200];

	(void)f;
	snprintf(path, sizeof(path), "%s/nothing", f->dir);
	assert_int_equal(mh_control_call(path, "io.memhotd.Echo", NULL, 1000,
					 &out, err, sizeof(err)),
			 -ENOENT);
	assert_null(out);
}

static void test_socket_path(void **state)
{
	struct mh_root r = {.dirfd = -1};
	char buf[200];

	(void)state;
	strcpy(r.path, "/");
	assert_int_equal(mh_control_socket_path(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/memhotd/control");
	strcpy(r.path, "/tmp/x//");
	assert_int_equal(mh_control_socket_path(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/x/run/memhotd/control");
	memset(r.path, 'a', 150);
	r.path[150] = '\0';
	assert_int_equal(mh_control_socket_path(&r, buf, sizeof(buf)),
			 -ENAMETOOLONG);
}

/* ---- hostile clients ---------------------------------------------------- */

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A NUL inside the method name is not the method. */
static void test_method_nul_suffix(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();

	if (pid == 0) {
		static const char req[] =
			"{\"method\":\"io.memhotd.Echo\\u0000junk\"}";
		static const char req2[] =
			"{\"method\":\"io.memhotd.Reload\\u0000\"}";

		expect_error(f->path, req, sizeof(req) - 1,
			     MH_CONTROL_ERR_METHOD_NOT_FOUND);
		expect_error(f->path, req2, sizeof(req2) - 1,
			     MH_CONTROL_ERR_METHOD_NOT_FOUND);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(f->reloads, 0);
}

/* One byte every 100 ms keeps resetting the idle timer (0.7 s), but not
 * the absolute deadline (1.5 s from accept). */
static void test_trickle_deadline(void **state)
{
	struct fixture *f = *state;
	struct mh_control_options o = {.idle_usec = 700 * 1000,
				       .deadline_usec = 1500 * 1000};
	pid_t pid;

	mh_control_close(f->ctl);
	assert_int_equal(open_server(f, &o), 0);
	pid = fork();
	if (pid == 0) {
		int fd = raw_connect(f->path);
		int64_t t0 = ms_now();
		char c;

		CHECK(fd >= 0);
		for (;;) {
			if (send(fd, " ", 1, MSG_NOSIGNAL) < 0)
				break;
			if (recv(fd, &c, 1, MSG_DONTWAIT) == 0)
				break;
			CHECK(ms_now() - t0 < 5000);
			usleep(100 * 1000);
		}
		/* dropped at the deadline, not later */
		CHECK(ms_now() - t0 >= 1300);
		CHECK(ms_now() - t0 < 3000);
		close(fd);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(mh_control_nr_clients(f->ctl), 0);
	assert_true(mh_control_refusals(f->ctl, MH_CONTROL_REFUSED_DEADLINE) >=
		    1);
}

/* Every slot held by non-root clients: root still gets in, the oldest
 * non-root connection makes room; non-root newcomers are refused. */
static void test_root_gets_in(void **state)
{
	struct fixture *f = *state;
	struct mh_control_options o = {.max_clients = 3,
				       .idle_usec = 20 * 1000 * 1000};
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "test_root_gets_in: skipped, needs root\n");
		skip();
	}
	mh_control_close(f->ctl);
	assert_int_equal(open_server(f, &o), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	pid = fork();
	if (pid == 0) {
		int fd[4], root[2];
		char c;

		/* connect as uid 65534 (the effective uid is what
		 * SO_PEERCRED reports), then back to root */
		CHECK(setegid(NOBODY) == 0 && seteuid(NOBODY) == 0);
		for (int i = 0; i < 4; i++) {
			fd[i] = raw_connect(f->path);
			CHECK(fd[i] >= 0);
			usleep(50 * 1000);
		}
		/* the fourth found no slot */
		CHECK(recv(fd[3], &c, 1, 0) == 0);
		CHECK(seteuid(0) == 0 && setegid(0) == 0);
		/* two root connections at once: each evicts one */
		for (int i = 0; i < 2; i++) {
			static const char req[] =
				"{\"method\":\"io.memhotd.Echo\"}";
			json_object *r;

			root[i] = raw_connect(f->path);
			CHECK(root[i] >= 0);
			raw_send(root[i], req, sizeof(req));
			r = raw_reply(root[i]);
			CHECK(r != NULL && reply_error(r) == NULL);
			json_object_put(r);
		}
		/* the two oldest made room, the third is still served */
		CHECK(recv(fd[0], &c, 1, 0) == 0);
		CHECK(recv(fd[1], &c, 1, 0) == 0);
		CHECK(recv(fd[2], &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN);
		close(root[0]);
		close(root[1]);
		for (int i = 0; i < 4; i++)
			close(fd[i]);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(mh_control_refusals(f->ctl, MH_CONTROL_REFUSED_LIMIT),
			 1);
	assert_int_equal(
		mh_control_refusals(f->ctl, MH_CONTROL_REFUSED_EVICTED), 2);
}

/* Clients that ask for big replies and never read: the server keeps at
 * most max_output of unsent replies (plus the one just made), dropping
 * the stalled ones, and keeps serving. */
static void test_unread_replies_bounded(void **state)
{
	struct fixture *f = *state;
	struct mh_control_options o = {.idle_usec = 60 * 1000 * 1000,
				       .deadline_usec = 120 * 1000 * 1000,
				       .max_output = 2 * 1024 * 1024};
	int sync[2], done[2];
	pid_t pid, other;
	int64_t t0;
	char c;

	mh_control_close(f->ctl);
	assert_int_equal(open_server(f, &o), 0);
	assert_int_equal(pipe(sync), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	if (pid == 0) {
		static const char req[] = "{\"method\":\"io.memhotd.Big\"}";
		int fd[16];

		close(done[1]);
		for (int i = 0; i < 16; i++) {
			fd[i] = raw_connect(f->path);
			CHECK(fd[i] >= 0);
			raw_send(fd[i], req, sizeof(req));
		}
		CHECK(write(sync[1], "x", 1) == 1);
		/* never read; wait for the parent */
		CHECK(read(done[0], &c, 1) >= 0);
		_exit(0);
	}
	close(sync[1]);
	close(done[0]);
	while (read(sync[0], &c, 1) != 1)
		;
	close(sync[0]);
	/* The bound holds all along. 16 replies of 1 MiB: without it ~14 MiB
	 * would wait (less what the socket buffers took, ~200 KiB each);
	 * with it at most 2 MiB plus one reply, so at least 10 clients go. */
	t0 = ms_now();
	while (mh_control_refusals(f->ctl, MH_CONTROL_REFUSED_OUTPUT) < 10) {
		serve_for(f, 50);
		assert_true(mh_control_pending_output(f->ctl) <=
			    o.max_output + 1024 * 1024 + 4096);
		assert_true(ms_now() - t0 < 60000);
	}
	serve_for(f, 200);
	assert_true(mh_control_pending_output(f->ctl) <=
		    o.max_output + 1024 * 1024 + 4096);
	assert_true(mh_control_nr_clients(f->ctl) <= 6);
	other = fork();
	if (other == 0) {
		echo_ok(f->path);
		_exit(0);
	}
	assert_int_equal(serve_until(f, other), 0);
	assert_int_equal(write(done[1], "x", 1), 1);
	close(done[1]);
	assert_int_equal(serve_until(f, pid), 0);
	serve_for(f, 100);
	assert_int_equal(mh_control_nr_clients(f->ctl), 0);
	assert_int_equal(mh_control_pending_output(f->ctl), 0);
}

/* Refusals are counted (and logged): permission, size. */
static void test_refusals_counted(void **state)
{
	struct fixture *f = *state;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(f->path, 0666), 0);
	pid = fork();
	if (pid == 0) {
		json_object *out = NULL;
		char err[128];

		CHECK(setegid(NOBODY) == 0 && seteuid(NOBODY) == 0);
		CHECK(mh_control_call(f->path, "io.memhotd.Reload", NULL, 3000,
				      &out, err, sizeof(err)) == 1);
		CHECK(strcmp(err, MH_CONTROL_ERR_PERMISSION_DENIED) == 0);
		json_object_put(out);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(
		mh_control_refusals(f->ctl, MH_CONTROL_REFUSED_PERMISSION), 1);
	pid = fork();
	if (pid == 0) {
		size_t n = MH_CONTROL_MAX_REQUEST + 10;
		char *big = malloc(n);
		int fd = raw_connect(f->path);

		CHECK(big && fd >= 0);
		memset(big, 'x', n);
		send(fd, big, n, MSG_NOSIGNAL);
		free(big);
		json_object_put(raw_reply(fd));
		close(fd);
		_exit(0);
	}
	assert_int_equal(serve_until(f, pid), 0);
	assert_int_equal(
		mh_control_refusals(f->ctl, MH_CONTROL_REFUSED_TOO_LARGE), 1);
}

/*
 * Allocation failures: this program's json-c constructors take the place
 * of json-c's (the executable's symbols come first) and fail at their
 * oom_fail_at'th call together, in the server (the parent) only; 0 never
 * fails.
 */
static unsigned int oom_fail_at, oom_calls;

static bool oom_now(void)
{
	return oom_fail_at && ++oom_calls == oom_fail_at;
}

#define OOM_WRAP(name, params, args)                                           \
	json_object *name params                                               \
	{                                                                      \
		static json_object *(*real)params;                             \
                                                                               \
		if (!real)                                                     \
			*(void **)&real = dlsym(RTLD_NEXT, #name);             \
		return oom_now() ? NULL : real args;                           \
	}

OOM_WRAP(json_object_new_object, (void), ())
OOM_WRAP(json_object_new_array, (void), ())
OOM_WRAP(json_object_new_string, (const char *s), (s))
OOM_WRAP(json_object_new_int, (int32_t v), (v))

/* The child: one request; the reply is the expected one or "out of
 * memory" (InternalError), never a crash, a hole or silence. */
static void oom_client(const char *path, const char *req, const char *want)
{
	int fd = raw_connect(path);
	json_object *r, *m;

	CHECK(fd >= 0);
	raw_send(fd, req, strlen(req) + 1);
	r = raw_reply(fd);
	CHECK(r != NULL);
	CHECK(json_object_get_int(reply_param(r, "version")) ==
	      MH_CONTROL_PROTOCOL_VERSION);
	m = reply_param(r, "message");
	if (reply_error(r) &&
	    strcmp(reply_error(r), MH_CONTROL_ERR_INTERNAL) == 0) {
		CHECK(m &&
		      strcmp(json_object_get_string(m), "out of memory") == 0);
	} else if (want) {
		CHECK(reply_error(r) && strcmp(reply_error(r), want) == 0);
		CHECK(m != NULL && json_object_is_type(m, json_type_string));
	} else {
		CHECK(reply_error(r) == NULL);
		CHECK(json_object_is_type(reply_param(r, "interfaces"),
					  json_type_array));
		CHECK(json_object_is_type(reply_param(r, "vendor"),
					  json_type_string));
	}
	json_object_put(r);
	close(fd);
	_exit(0);
}

static void test_out_of_memory(void **state)
{
	static const struct {
		const char *req, *want;
	} cases[] = {
		{"{\"method\":\"io.memhotd.Fail\"}",
		 MH_CONTROL_ERR_NO_SUCH_BLOCK},
		{"{\"method\":\"org.varlink.service.GetInfo\"}", NULL},
		{"{\"method\":\"io.memhotd.Nope\"}",
		 MH_CONTROL_ERR_METHOD_NOT_FOUND},
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int k;

		for (k = 1;; k++) {
			pid_t pid = fork();

			if (pid == 0)
				oom_client(f->path, cases[i].req,
					   cases[i].want);
			oom_calls = 0;
			oom_fail_at = k;
			assert_int_equal(serve_until(f, pid), 0);
			oom_fail_at = 0;
			if (oom_calls < k)
				break;
		}
		/* Every case made at least one failure. */
		assert_true(k > 1);
	}
}

/* The client's request: each of its three constructors failing is
 * -ENOMEM, nothing sent; the fourth call on is past the request. */
static void test_request_out_of_memory(void **state)
{
	struct fixture *f = *state;

	for (unsigned int k = 1; k <= 3; k++) {
		pid_t pid = fork();

		if (pid == 0) {
			json_object *out = NULL;
			char err[128];
			int r;

			oom_calls = 0;
			oom_fail_at = k;
			r = mh_control_call(f->path, "io.memhotd.Echo", NULL,
					    3000, &out, err, sizeof(err));
			oom_fail_at = 0;
			CHECK(r == -ENOMEM && out == NULL);
			echo_ok(f->path);
			_exit(0);
		}
		assert_int_equal(serve_until(f, pid), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_call_roundtrip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_and_oneway,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_partial_then_disconnect,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stuck_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fd_exhaustion, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_too_many_clients, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_socket_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_permissions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_running, setup,
						teardown),
		cmocka_unit_test(test_socket_path),
		cmocka_unit_test_setup_teardown(test_method_nul_suffix, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_trickle_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_root_gets_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unread_replies_bounded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_request_out_of_memory,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
