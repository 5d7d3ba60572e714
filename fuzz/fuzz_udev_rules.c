// SPDX-License-Identifier: MIT
/*
 * The udev-rule judge (competitors.c): the input is one rules file in a
 * scratch root's etc/udev/rules.d, then the whole detection runs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "memhotd/competitors.h"
#include "memhotd/log.h"

static struct mh_root root = {.dirfd = -1};
static char file[4200];
static char dir[] = "/tmp/memhotd-fuzz-XXXXXX";

static void cleanup(void)
{
	char p[256];

	unlink(file);
	mh_root_close(&root);
	snprintf(p, sizeof(p), "%s/etc/udev/rules.d", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/etc/udev", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/etc", dir);
	rmdir(p);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[256];

	(void)argc;
	(void)argv;
	mh_log_set_max_level(-1);
	if (!mkdtemp(dir))
		abort();
	snprintf(p, sizeof(p), "%s/etc", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/udev", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/udev/rules.d", dir);
	mkdir(p, 0755);
	snprintf(file, sizeof(file), "%s/99-fuzz.rules", p);
	if (mh_root_open(&root, dir) < 0)
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char lines[8][MH_COMPETITOR_LINE];
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	mh_competitors_detect(&root, lines, 8);
	return 0;
}
