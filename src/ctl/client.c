/* SPDX-License-Identifier: MIT */
/*
 * The control socket client (client.h): connect, send one request, read
 * one NUL-terminated reply, all within one deadline.  Or run a one-shot
 * memhotd and read the same reply from its standard output.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memhotd/client.h"
#include "memhotd/util.h"

static int64_t now_ms(void)
{
	return (int64_t)(mh_now_usec() / 1000);
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		return 0;
	}
}

/*
 * After a non-blocking read or send on fd returned n: 1 when it moved
 * bytes (or read the end), 0 to try again (fd is ready now), or -errno.
 */
static int settle(ssize_t n, int fd, short events, int64_t deadline)
{
	if (n >= 0)
		return 1;
	if (errno == EAGAIN || errno == EINTR) {
		int r = wait_fd(fd, events, deadline);

		return r < 0 ? r : 0;
	}
	return -errno;
}

/*
 * Reads one reply from non-blocking fd into *text (malloc'd, NUL-terminated):
 * up to its NUL (the socket), or to the end of the stream (eof_ends: the
 * pipe of a one-shot memhotd).  0 or -errno.
 */
static int read_reply(int fd, int64_t deadline, bool eof_ends, char **text)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int r;

	*text = NULL;
	for (;;) {
		ssize_t n;

		/* Room for 64 KiB more and the NUL; cap counts the NUL. */
		if (len + 65536 + 1 > cap) {
			if (len >= MH_CONTROL_MAX_REPLY) {
				r = -EMSGSIZE;
				break;
			}
			if (MH_GROW(buf, cap, len + 65536 + 1) < 0) {
				r = -ENOMEM;
				break;
			}
		}
		n = read(fd, buf + len, cap - 1 - len);
		r = settle(n, fd, POLLIN, deadline);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		if (n == 0) {
			buf[len] = '\0';
			r = eof_ends ? 0 : -ECONNRESET;
			break;
		}
		len += (size_t)n;
		if (!eof_ends && memchr(buf + len - n, '\0', (size_t)n)) {
			r = 0;
			break;
		}
	}
	if (r < 0)
		free(buf);
	else
		*text = buf;
	return r;
}

/* One reply's text (NUL-terminated) -> *out; as mh_control_call. */
static int parse_reply(const char *text, json_object **out, char *error,
		       size_t error_len)
{
	json_object *reply = json_tokener_parse(text), *jp, *je;
	int r = 0;

	if (!reply || !json_object_is_type(reply, json_type_object) ||
	    !json_object_object_get_ex(reply, "parameters", &jp) ||
	    !json_object_is_type(jp, json_type_object)) {
		json_object_put(reply);
		return -EBADMSG;
	}
	*out = json_object_get(jp);
	if (json_object_object_get_ex(reply, "error", &je)) {
		if (error_len)
			snprintf(error, error_len, "%s",
				 json_object_get_string(je));
		r = 1;
	}
	json_object_put(reply);
	return r;
}

/* o[k] = v; -ENOMEM (v dropped) if either is missing or the add failed. */
static int add_member(json_object *o, const char *k, json_object *v)
{
	if (!o || !v || json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* {"method": method, "parameters": params or {}}; NULL: out of memory. */
static json_object *build_request(const char *method, json_object *params)
{
	json_object *req = json_object_new_object();

	if (add_member(req, "method", json_object_new_string(method)) < 0 ||
	    add_member(req, "parameters",
		       params ? json_object_get(params)
			      : json_object_new_object()) < 0) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

int mh_control_call(const char *path, const char *method, json_object *params,
		    int timeout_ms, json_object **out, char *error,
		    size_t error_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	json_object *req;
	const char *s;
	size_t slen = 0, off = 0;
	char *buf = NULL;
	int fd, r = 0;

	*out = NULL;
	if (error_len)
		error[0] = '\0';
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			r = -errno;
			goto out;
		}
		r = wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			goto out;
	}

	req = build_request(method, params);
	s = req ? json_object_to_json_string_length(
			  req,
			  JSON_C_TO_STRING_PLAIN |
				  JSON_C_TO_STRING_NOSLASHESCAPE,
			  &slen)
		: NULL;
	if (!s) {
		json_object_put(req);
		r = -ENOMEM;
		goto out;
	}
	/* Send the text and its terminating NUL. */
	while (off < slen + 1) {
		ssize_t n = send(fd, s + off, slen + 1 - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		r = settle(n, fd, POLLOUT, deadline);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		off += (size_t)n;
		r = 0;
	}
	json_object_put(req);
	if (off < slen + 1)
		goto out;

	r = read_reply(fd, deadline, false, &buf);
	if (r < 0)
		goto out;
	r = parse_reply(buf, out, error, error_len);
out:
	free(buf);
	close(fd);
	return r;
}

extern char **environ;

int mh_control_exec(char *const argv[], int timeout_ms, json_object **out,
		    char *error, size_t error_len)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	posix_spawn_file_actions_t fa;
	int p[2], r, status = 0;
	char *text = NULL;
	pid_t pid;

	*out = NULL;
	if (error_len)
		error[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Only our end is non-blocking: the child writes as to any pipe. */
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	r = posix_spawn_file_actions_init(&fa);
	if (r == 0) {
		r = posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		/* glibc reports a failed exec (ENOENT, EACCES) here. */
		if (r == 0)
			r = (strchr(argv[0], '/') ? posix_spawn : posix_spawnp)(
				&pid, argv[0], &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return -r;
	}
	r = read_reply(p[0], deadline, true, &text);
	close(p[0]);
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		r = MH_CONTROL_EXEC_FAILED;
	if (r == 0)
		r = parse_reply(text, out, error, error_len);
	free(text);
	return r;
}
