/* SPDX-License-Identifier: MIT */
/*
 * Where the control socket lives (protocol.h), for server and client.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "memhotd/protocol.h"

int mh_control_socket_path(const struct mh_root *r, char *buf, size_t len)
{
	struct sockaddr_un sa;
	const char *root = r->path[0] ? r->path : "/";
	size_t rl = strlen(root);
	int n;

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1 && root[0] == '/')
		rl = 0;
	n = snprintf(buf, len, "%.*s/%s", (int)rl, root, "run/memhotd/control");
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	return 0;
}
