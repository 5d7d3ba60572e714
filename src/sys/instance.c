// SPDX-License-Identifier: MIT
/*
 * The single-instance guard: an flock on <root>/run/memhotd/lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhotd/instance.h"

/* The pid the holder wrote, or 0. */
static pid_t read_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || pid <= 0)
		return 0;
	return (pid_t)pid;
}

int mh_instance_lock(const char *root, int *fd, pid_t *holder, char *path,
		     size_t path_len)
{
	size_t rl = strlen(root);
	char pid[32];
	int n, lfd;

	*fd = -1;
	*holder = 0;
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1 && root[0] == '/')
		rl = 0;
	n = snprintf(path, path_len, "%.*s/run", (int)rl, root);
	if (n < 0 || (size_t)n + strlen("/memhotd/lock") >= path_len)
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	strcat(path, "/memhotd");
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	strcat(path, "/lock");

	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
		   0644);
	if (lfd < 0)
		return -errno;
	while (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		if (e == EWOULDBLOCK)
			*holder = read_holder(lfd);
		close(lfd);
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(lfd, 0) < 0 || pwrite(lfd, pid, (size_t)n, 0) != n) {
		int e = errno ? errno : EIO;

		close(lfd);
		return -e;
	}
	*fd = lfd;
	return 0;
}
