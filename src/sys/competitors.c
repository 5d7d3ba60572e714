// SPDX-License-Identifier: MIT
/*
 * Competing onliners: the kernel's own auto-onlining and udev rules that
 * write memory blocks' state.  Read-only, below the root prefix.  This
 * file finds and reads the files; udevjudge.c judges their text.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memhotd/competitors.h"
#include "memhotd/udevjudge.h"
#include "memhotd/util.h"

#define RULES_MAX_FILE (4 * 1024 * 1024)

/* Highest priority first (udev(7)). */
static const char *const rules_dirs[] = {
	"etc/udev/rules.d",	      "run/udev/rules.d",
	"usr/local/lib/udev/rules.d", "usr/lib/udev/rules.d",
	"lib/udev/rules.d",
};
#define NR_RULES_DIRS MH_ELEMENTSOF(rules_dirs)

struct detect {
	const struct mh_root *r;
	char (*lines)[MH_COMPETITOR_LINE];
	size_t max, n, dropped;
};

__attribute__((format(printf, 2, 3))) static void report(struct detect *d,
							 const char *fmt, ...)
{
	va_list ap;

	if (d->n >= d->max) {
		d->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(d->lines[d->n], MH_COMPETITOR_LINE, fmt, ap);
	va_end(ap);
	d->n++;
}

static const char *rel(const char *p)
{
	while (*p == '/')
		p++;
	return *p ? p : ".";
}

/*
 * Opens path below the root, following symlinks (absolute ones included)
 * inside it, as the guest would see them: rules files are often links.
 * Resolved by hand, component by component, rather than with openat2's
 * RESOLVE_IN_ROOT, which valgrind and older kernels lack.  The fd, or
 * -errno.
 */
static int open_in_root(const struct mh_root *r, const char *path, int flags)
{
	char done[PATH_MAX] = "", todo[PATH_MAX], next[PATH_MAX];
	char target[PATH_MAX];
	const char *rest;
	int hops = 0, fd;

	if (snprintf(todo, sizeof(todo), "%s", path) >= (int)sizeof(todo)) {
		return -ENAMETOOLONG;
	}
	rest = todo;
	for (;;) {
		size_t dl = strlen(done), cl;
		const char *c;
		ssize_t k;

		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		c = rest;
		cl = strcspn(c, "/");
		rest = c + cl;
		if (cl == 1 && c[0] == '.')
			continue;
		if (cl == 2 && c[0] == '.' && c[1] == '.') {
			char *slash = strrchr(done, '/');

			if (slash)
				*slash = '\0';
			else
				done[0] = '\0';
			continue;
		}
		if (dl + 1 + cl + 1 > sizeof(done)) {
			return -ENAMETOOLONG;
		}
		if (dl)
			done[dl++] = '/';
		memcpy(done + dl, c, cl);
		done[dl + cl] = '\0';
		k = readlinkat(r->dirfd, done, target, sizeof(target) - 1);
		if (k < 0) {
			if (errno == EINVAL || errno == ENOENT ||
			    errno == ENOTDIR)
				continue; /* not a link; open reports the rest
					   */
			return -errno;
		}
		if (++hops > 40) {
			return -ELOOP;
		}
		target[k] = '\0';
		done[dl ? dl - 1 : 0] = '\0'; /* drop the link itself */
		if (target[0] == '/')
			done[0] = '\0';
		if (snprintf(next, sizeof(next), "%s/%s", target, rest) >=
		    (int)sizeof(next)) {
			return -ENAMETOOLONG;
		}
		memcpy(todo, next, sizeof(todo));
		rest = todo;
	}
	fd = openat(r->dirfd, done[0] ? done : ".",
		    flags | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

/* Reads a whole file (at most cap bytes) into a malloc'd string: the
 * common reader (non-blocking open, regular files only, bounded). */
static char *read_file(const struct mh_root *r, const char *path, size_t cap,
		       size_t *len_out)
{
	char *buf = NULL;

	if (mh_read_file(r, path, cap, &buf, len_out) < 0)
		return NULL;
	return buf;
}

/* One word of a small attribute file, without the newline. */
static bool read_word(const struct mh_root *r, const char *path, char *out,
		      size_t len)
{
	char *buf = read_file(r, path, 4096, NULL);
	size_t n;

	if (!buf)
		return false;
	n = strcspn(buf, " \t\n");
	if (n >= len)
		n = len - 1;
	memcpy(out, buf, n);
	out[n] = '\0';
	free(buf);
	return true;
}

/* ---------- the kernel's own onlining ---------- */

static void detect_kernel(struct detect *d)
{
	char aob[32], policy[32] = "";

	if (!read_word(d->r, "sys/devices/system/memory/auto_online_blocks",
		       aob, sizeof(aob)))
		return;
	if (!strcmp(aob, "offline"))
		return;
	read_word(d->r, "sys/module/memory_hotplug/parameters/online_policy",
		  policy, sizeof(policy));
	if (!strcmp(aob, "online") && policy[0])
		report(d,
		       "/sys/devices/system/memory/auto_online_blocks is "
		       "'online': the kernel onlines new memory itself (its "
		       "online_policy: %s) before memhotd can decide; set it "
		       "to offline",
		       policy);
	else
		report(d,
		       "/sys/devices/system/memory/auto_online_blocks is "
		       "'%s': the kernel onlines new memory itself before "
		       "memhotd can decide; set it to offline",
		       aob);
}

/* memhp_default_state= on the kernel command line; the last one counts. */
static void detect_cmdline(struct detect *d)
{
	_cleanup_free_ char *buf = read_file(d->r, "proc/cmdline", 65536, NULL);
	char value[64];

	if (buf && mh_cmdline_memhp_default_state(buf, value, sizeof(value)) &&
	    strcmp(value, "offline"))
		report(d,
		       "/proc/cmdline: memhp_default_state=%s: the kernel "
		       "onlines the memory it adds (at boot even before "
		       "memhotd "
		       "starts); drop it or use memhp_default_state=offline",
		       value);
}

/* ---------- udev rules ---------- */

struct rules_entry {
	char *name;
	size_t dir;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rules_entry *)a)->name,
		      ((const struct rules_entry *)b)->name);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && !strcmp(s + a - b, suffix);
}

/* The effective rules files: by name, the highest-priority one wins.
 * 0, or -ENOMEM with the files collected so far in *out. */
static int rules_collect(const struct mh_root *r, struct rules_entry **out,
			 size_t *nr)
{
	struct rules_entry *e = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	for (size_t i = 0; i < NR_RULES_DIRS && !ret; i++) {
		struct dirent *de;
		DIR *dir;
		int fd = open_in_root(r, rules_dirs[i], O_RDONLY | O_DIRECTORY);

		if (fd < 0)
			continue;
		dir = fdopendir(fd);
		if (!dir) {
			close(fd);
			continue;
		}
		while ((de = readdir(dir))) {
			bool dup = false;

			if (de->d_name[0] == '.' ||
			    !has_suffix(de->d_name, ".rules"))
				continue;
			for (size_t j = 0; j < n && !dup; j++)
				dup = !strcmp(e[j].name, de->d_name);
			if (dup)
				continue; /* shadowed by a higher directory */
			if (MH_GROW(e, cap, n + 1) < 0 ||
			    !(e[n].name = strdup(de->d_name))) {
				ret = -ENOMEM;
				break;
			}
			e[n].dir = i;
			n++;
		}
		closedir(dir);
	}
	if (n)
		qsort(e, n, sizeof(*e), entry_cmp);
	*out = e;
	*nr = n;
	return ret;
}

/* A link to /dev/null (or an empty file) masks a rules file. */
static bool is_masked(const struct mh_root *r, const char *path)
{
	char target[64];
	ssize_t k = readlinkat(r->dirfd, rel(path), target, sizeof(target) - 1);

	if (k < 0)
		return false;
	target[k] = '\0';
	return !strcmp(target, "/dev/null");
}

static void detect_udev(struct detect *d)
{
	struct rules_entry *e;
	size_t n;

	if (rules_collect(d->r, &e, &n) < 0)
		report(d, "udev rules: out of memory listing them; some were "
			  "not judged");
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *text = NULL;
		struct mh_udev_verdict v;
		char path[512], msg[MH_COMPETITOR_LINE];

		snprintf(path, sizeof(path), "/%s/%s", rules_dirs[e[i].dir],
			 e[i].name);
		if (is_masked(d->r, path))
			continue;
		text = read_file(d->r, path, RULES_MAX_FILE, NULL);
		if (!text)
			continue;
		if (mh_udev_judge(text, &v) < 0) {
			report(d, "%s: out of memory, not judged", path);
			continue;
		}
		if (!v.nr_lines)
			continue;
		mh_udev_verdict_message(path, e[i].name, e[i].dir >= 2, &v, msg,
					sizeof(msg));
		report(d, "%s", msg);
	}
	for (size_t i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

size_t mh_competitors_detect(const struct mh_root *r,
			     char lines[][MH_COMPETITOR_LINE], size_t max)
{
	struct detect d = {.r = r, .lines = lines, .max = max};

	if (!r || (!lines && max))
		return 0;
	detect_kernel(&d);
	detect_cmdline(&d);
	detect_udev(&d);
	if (d.dropped && d.max) {
		snprintf(d.lines[d.max - 1], MH_COMPETITOR_LINE,
			 "... and %zu more competing onliners not listed",
			 d.dropped + 1);
	}
	return d.n;
}
