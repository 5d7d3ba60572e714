/* SPDX-License-Identifier: MIT */
/*
 * The control socket client (client.h): connect, send one request, read
 * one NUL-terminated reply, all within one deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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

int mh_control_call(const char *path, const char *method, json_object *params,
		    int timeout_ms, json_object **out, char *error,
		    size_t error_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	json_object *req, *reply = NULL, *jp, *je;
	const char *s;
	size_t slen = 0, off = 0, len = 0, cap = 0;
	char *buf = NULL, *nul = NULL;
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

	req = json_object_new_object();
	json_object_object_add(req, "method", json_object_new_string(method));
	json_object_object_add(req, "parameters",
			       params ? json_object_get(params)
				      : json_object_new_object());
	s = json_object_to_json_string_length(
		req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		&slen);
	/* Send the text and its terminating NUL. */
	while (off < slen + 1) {
		ssize_t n = send(fd, s + off, slen + 1 - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				break;
			continue;
		}
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
		r = 0;
	}
	json_object_put(req);
	if (off < slen + 1)
		goto out;

	while (!nul) {
		ssize_t n;

		if (len + 65536 > cap) {
			char *nb;

			if (cap >= MH_CONTROL_MAX_REPLY) {
				r = -EMSGSIZE;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			r = wait_fd(fd, POLLIN, deadline);
			if (r < 0)
				goto out;
			continue;
		}
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0) {
			r = -ECONNRESET;
			goto out;
		}
		nul = memchr(buf + len, '\0', (size_t)n);
		len += (size_t)n;
	}

	reply = json_tokener_parse(buf);
	if (!reply || !json_object_is_type(reply, json_type_object) ||
	    !json_object_object_get_ex(reply, "parameters", &jp) ||
	    !json_object_is_type(jp, json_type_object)) {
		r = -EBADMSG;
		goto out;
	}
	*out = json_object_get(jp);
	if (json_object_object_get_ex(reply, "error", &je)) {
		if (error_len)
			snprintf(error, error_len, "%s",
				 json_object_get_string(je));
		r = 1;
	} else {
		r = 0;
	}
out:
	json_object_put(reply);
	free(buf);
	close(fd);
	return r;
}
