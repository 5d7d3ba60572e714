// SPDX-License-Identifier: MIT
/*
 * Corpus replay without libFuzzer: every file named on the command line (a
 * directory: every regular file in it, sorted) goes through the target's
 * LLVMFuzzerTestOneInput once.  Built with ASan+UBSan, a regression in any
 * committed input fails `make check` even where clang's fuzzer runtime is
 * missing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static int run_file(const char *path, size_t *count)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "replay: %s: not a readable file\n", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* An exactly sized heap buffer: ASan sees any read past size. */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	(*count)++;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count)
{
	char **names = NULL, path[4096];
	size_t nr = 0, cap = 0;
	struct dirent *de;
	int ret = 0;
	DIR *d = opendir(dir);

	if (!d)
		return run_file(dir, count);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (nr == cap) {
			char **n;

			cap = cap ? cap * 2 : 64;
			n = realloc(names, cap * sizeof(*names));
			if (!n)
				abort();
			names = n;
		}
		names[nr] = strdup(de->d_name);
		if (!names[nr++])
			abort();
	}
	closedir(d);
	qsort(names, nr, sizeof(*names), cmp);
	for (size_t i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (run_file(path, count) < 0)
			ret = -1;
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int ret = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (run_dir(argv[i], &count) < 0)
			ret = 1;
	printf("replay %s: %zu inputs\n", argv[0], count);
	return ret;
}
