// SPDX-License-Identifier: MIT
/*
 * File access below the root prefix.  Everything is openat(r->dirfd, rel)
 * with plain open/read/write/close syscalls through libc (no stdio), so
 * the integration tests can interpose them with an LD_PRELOAD fake kernel,
 * and the errno of whichever call failed reaches the caller unchanged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memhotd/parse.h"
#include "memhotd/sysfs.h"
#include "memhotd/util.h"

int mh_root_open(struct mh_root *r, const char *path)
{
	size_t n;
	int fd;

	if (!r || !path || !*path)
		return -EINVAL;
	n = strlen(path);
	if (n >= sizeof(r->path))
		return -ENAMETOOLONG;
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r->dirfd = fd;
	memcpy(r->path, path, n + 1);
	return 0;
}

void mh_root_close(struct mh_root *r)
{
	if (!r || r->dirfd < 0)
		return;
	close(r->dirfd);
	r->dirfd = -1;
}

/* Relative paths only: a leading '/' would escape the root. */
static const char *rel_path(const char *rel)
{
	while (*rel == '/')
		rel++;
	return *rel ? rel : ".";
}

/* The root is "/": nothing to confine, the kernel's own lookup is exact. */
static bool root_is_slash(const struct mh_root *r)
{
	const char *p = r->path;

	while (*p == '/')
		p++;
	return *p == '\0';
}

static bool use_openat2 = true;

void mh_sysfs_force_resolve_fallback(bool on)
{
	use_openat2 = !on;
}

/*
 * Fallback for kernels without openat2(2): resolves rel below the root by
 * hand.  done holds the resolved prefix (no symlinks, relative to the root),
 * todo what is left; a symlink's target replaces the component (an absolute
 * one restarts at the root) and ".." never climbs above the root.  0 and
 * the resolved path in out, or -errno.
 */
static int walk_in_root(int dirfd, const char *rel, char *out, size_t out_len)
{
	char todo[PATH_MAX], done[PATH_MAX] = "", target[PATH_MAX];
	size_t dl = 0;
	int links = 0;

	if (snprintf(todo, sizeof(todo), "%s", rel) >= (int)sizeof(todo))
		return -ENAMETOOLONG;
	for (;;) {
		char *p = todo, *slash, comp[NAME_MAX + 1];
		size_t cl, save = dl;
		ssize_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		slash = strchr(p, '/');
		cl = slash ? (size_t)(slash - p) : strlen(p);
		if (cl > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, cl);
		comp[cl] = '\0';
		memmove(todo, p + cl, strlen(p + cl) + 1);
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			while (dl > 0 && done[dl - 1] != '/')
				dl--;
			if (dl > 0)
				dl--;
			done[dl] = '\0';
			continue;
		}
		if (dl + 1 + cl + 1 > sizeof(done))
			return -ENAMETOOLONG;
		if (dl)
			done[dl++] = '/';
		memcpy(done + dl, comp, cl + 1);
		dl += cl;
		n = readlinkat(dirfd, done, target, sizeof(target) - 1);
		if (n < 0) {
			if (errno == EINVAL || errno == ENOENT)
				continue; /* not a link, or the end */
			return -errno;
		}
		if (++links > 40)
			return -ELOOP;
		target[n] = '\0';
		dl = save;
		done[dl] = '\0';
		if (target[0] == '/')
			dl = 0, done[0] = '\0';
		if (strlen(target) + 1 + strlen(todo) + 1 > sizeof(todo))
			return -ENAMETOOLONG;
		memmove(todo + n + 1, todo, strlen(todo) + 1);
		memcpy(todo, target, (size_t)n);
		todo[n] = '/';
	}
	if (snprintf(out, out_len, "%s", dl ? done : ".") >= (int)out_len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * An O_PATH fd of rel with every symlink resolved inside the root (an
 * absolute link means the root, ".." stops at it): openat2(2) with
 * RESOLVE_IN_ROOT, or the walker above where that is missing.
 */
static int open_in_root(const struct mh_root *r, const char *rel)
{
	char path[PATH_MAX];
	int fd, ret;

	if (use_openat2) {
		struct open_how how = {
			.flags = O_PATH | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, r->dirfd, rel, &how,
				  sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
	}
	ret = walk_in_root(r->dirfd, rel, path, sizeof(path));
	if (ret < 0)
		return ret;
	fd = openat(r->dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Every open below the root.  With root "/" a plain openat().  Otherwise
 * the path is first resolved inside the root; where a plain openat() would
 * reach the same file it is the call that opens (so an LD_PRELOAD fake
 * kernel still sees every access by its path), where it would not (an
 * absolute symlink, ".." above the root) the file found inside the root is
 * opened through /proc/self/fd.  Nothing outside the root is ever opened,
 * not even for a moment.
 */
static int open_rel(const struct mh_root *r, const char *rel, int flags)
{
	struct stat a, b;
	char proc[64];
	int fd, pfd;

	rel = rel_path(rel);
	if (root_is_slash(r)) {
		fd = openat(r->dirfd, rel, flags | O_CLOEXEC | O_NOCTTY);
		return fd < 0 ? -errno : fd;
	}
	pfd = open_in_root(r, rel);
	if (pfd < 0)
		return pfd;
	if (fstat(pfd, &b) < 0) {
		fd = -errno;
		close(pfd);
		return fd;
	}
	if (fstatat(r->dirfd, rel, &a, 0) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino) {
		fd = openat(r->dirfd, rel, flags | O_CLOEXEC | O_NOCTTY);
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
		fd = open(proc, flags | O_CLOEXEC | O_NOCTTY);
		if (fd < 0 && errno == ENOENT)
			errno = EXDEV; /* no /proc to reopen through */
	}
	if (fd < 0)
		fd = -errno;
	close(pfd);
	return fd;
}

/*
 * The one whole-file reader.  Opens without blocking (a FIFO never waits
 * for a writer), requires a regular file (sysfs attributes and /proc files
 * are regular files, too): -EISDIR for a directory, -EINVAL for any other
 * kind; reads at most max bytes (-EFBIG beyond).  buf: the caller's buffer
 * of len bytes (NUL-terminated) or, if *out is wanted, a malloc'd one.
 */
static int read_fd(int fd, size_t max, char *ubuf, size_t ulen, char **out,
		   size_t *got_out, bool short_is_eof)
{
	size_t cap = ubuf ? ulen : 4096, got = 0;
	char *buf = ubuf;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (ubuf)
		max = ulen - 1;
	else if ((uint64_t)st.st_size > max)
		return -EFBIG;
	if (!buf) {
		if (st.st_size > 0 && (size_t)st.st_size + 1 > cap)
			cap = (size_t)st.st_size + 1;
		buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
	}
	for (;;) {
		size_t want;
		ssize_t n;

		if (got == max) {
			char extra;

			/* the bound is reached: is there more? */
			n = read(fd, &extra, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n != 0) {
				int e = n > 0 ? -EFBIG : -errno;

				if (buf != ubuf)
					free(buf);
				return e;
			}
			break;
		}
		if (!ubuf && cap - got < 2) {
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *p = realloc(buf, ncap);

			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap = ncap;
		}
		want = (cap - 1 - got) < (max - got) ? cap - 1 - got
						     : max - got;
		n = read(fd, buf + got, want);
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			if (buf != ubuf)
				free(buf);
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		/* a sysfs attribute's show() output comes in one read */
		if (short_is_eof && (size_t)n < want)
			break;
	}
	buf[got] = '\0';
	if (out)
		*out = buf;
	*got_out = got;
	return 0;
}

int mh_read_file(const struct mh_root *r, const char *path, size_t max,
		 char **out, size_t *len)
{
	size_t got = 0;
	int fd, ret;

	if (!path || !out || max == 0 || max >= SIZE_MAX)
		return -EINVAL;
	if (r)
		fd = open_rel(r, path, O_RDONLY | O_NONBLOCK);
	else
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return r ? fd : -errno;
	ret = read_fd(fd, max, NULL, 0, out, &got, false);
	close(fd);
	if (ret == 0 && len)
		*len = got;
	return ret;
}

static ssize_t read_small(const struct mh_root *r, const char *rel, char *buf,
			  size_t len, bool short_is_eof)
{
	size_t got = 0;
	int fd, ret;

	if (!r || !rel || !buf || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	fd = open_rel(r, rel, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	ret = read_fd(fd, len - 1, buf, len, NULL, &got, short_is_eof);
	close(fd);
	return ret < 0 ? ret : (ssize_t)got;
}

ssize_t mh_read_small(const struct mh_root *r, const char *rel, char *buf,
		      size_t len)
{
	return read_small(r, rel, buf, len, false);
}

int mh_read_all(const struct mh_root *r, const char *rel, char **out,
		size_t *len)
{
	if (!r || !rel || !out)
		return -EINVAL;
	return mh_read_file(r, rel, MH_READ_MAX, out, len);
}

int mh_write_attr(const struct mh_root *r, const char *rel, const char *s)
{
	size_t n;
	ssize_t w;
	int fd, err = 0;

	if (!r || !rel || !s)
		return -EINVAL;
	fd = open_rel(r, rel, O_WRONLY);
	if (fd < 0)
		return fd;
	n = strlen(s);
	/* One write(2): sysfs takes the value in a single store() call. */
	w = write(fd, s, n);
	if (w < 0)
		err = -errno;
	else if ((size_t)w != n)
		err = -EIO;
	close(fd);
	return err;
}

bool mh_path_exists(const struct mh_root *r, const char *rel)
{
	struct stat st;

	if (!r || !rel)
		return false;
	return fstatat(r->dirfd, rel_path(rel), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- memory blocks ---- */

#define BLOCK_PATH_MAX 128

static void block_path(char *buf, size_t len, uint64_t id, const char *attr)
{
	snprintf(buf, len, MH_SYSFS_MEMORY "/memory%llu%s%s",
		 (unsigned long long)id, attr ? "/" : "", attr ? attr : "");
}

int mh_sysfs_block_size(const struct mh_root *r, uint64_t *bytes)
{
	char buf[64];
	ssize_t n = mh_read_small(r, MH_SYSFS_MEMORY "/block_size_bytes", buf,
				  sizeof(buf));

	if (n < 0)
		return (int)n;
	return mh_parse_block_size(buf, (size_t)n, bytes);
}

/*
 * Reads memoryN/attr into buf: its length, or -errno.  The hot path (several
 * attributes per block): a sysfs attribute returns its whole value in the
 * first read(2), so a short read ends it without a second read for the EOF
 * (one system call less per attribute); a read that fills the buffer still
 * checks for more (-EFBIG).
 */
static ssize_t read_block_attr(const struct mh_root *r, uint64_t id,
			       const char *attr, char *buf, size_t len)
{
	char path[BLOCK_PATH_MAX];

	block_path(path, sizeof(path), id, attr);
	return read_small(r, path, buf, len, true);
}

int mh_sysfs_block_state(const struct mh_root *r, uint64_t id,
			 enum mh_block_state *s)
{
	char buf[64];
	ssize_t n = read_block_attr(r, id, "state", buf, sizeof(buf));

	return n < 0 ? (int)n : mh_parse_block_state(buf, (size_t)n, s);
}

/* Opens a directory below the root for readdir; NULL and errno set. */
static DIR *open_dir(const struct mh_root *r, const char *rel)
{
	int fd = open_rel(r, rel, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return d;
}

DIR *mh_root_opendir(const struct mh_root *r, const char *rel)
{
	return open_dir(r, rel);
}

int mh_sysfs_block_node(const struct mh_root *r, uint64_t id, int *nid)
{
	char path[BLOCK_PATH_MAX];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	block_path(path, sizeof(path), id, NULL);
	d = open_dir(r, path);
	if (!d)
		return errno == ENOENT ? -ENODEV : -errno;
	while ((de = readdir(d))) {
		int n;

		if (de->d_name[0] != 'n')
			continue;
		if (mh_parse_node_name(de->d_name, &n) == 0) {
			*nid = n;
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

int mh_sysfs_block_node_hint(const struct mh_root *r, uint64_t id, int hint,
			     int *nid)
{
	char path[BLOCK_PATH_MAX], attr[24];
	struct stat st;

	if (hint >= 0) {
		snprintf(attr, sizeof(attr), "node%d", hint);
		block_path(path, sizeof(path), id, attr);
		if (fstatat(r->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			*nid = hint;
			return 0;
		}
	}
	return mh_sysfs_block_node(r, id, nid);
}

int mh_sysfs_block_zone(const struct mh_root *r, uint64_t id, enum mh_zone *z)
{
	char buf[128];
	ssize_t n = read_block_attr(r, id, "valid_zones", buf, sizeof(buf));

	return n < 0 ? (int)n : mh_parse_valid_zones_first(buf, (size_t)n, z);
}

int mh_sysfs_online_zone(const struct mh_root *r, uint64_t id, enum mh_zone *z)
{
	enum mh_block_state s;
	int ret;

	/* valid_zones of an offline block may crash 6.1 (doc/inputs.md 6.3). */
	ret = mh_sysfs_block_state(r, id, &s);
	if (ret < 0)
		return ret;
	if (s != MH_BLOCK_ONLINE)
		return -EBUSY;
	return mh_sysfs_block_zone(r, id, z);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int mh_sysfs_block_dimm(const struct mh_root *r, uint64_t id, char *name,
			size_t len)
{
	char path[BLOCK_PATH_MAX], target[PATH_MAX], buf[64];
	const char *base;
	ssize_t n;
	size_t bl;

	if (!r || !name || len == 0)
		return -EINVAL;
	block_path(path, sizeof(path), id, "firmware_node");
	n = readlinkat(r->dirfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == EINVAL ? -ENODEV : -errno;
	target[n] = '\0';
	base = base_name(target);
	n = read_block_attr(r, id, "firmware_node/hid", buf, sizeof(buf));
	if (n >= 0) {
		char hid[32];

		if (mh_parse_word(buf, (size_t)n, hid, sizeof(hid)) < 0 ||
		    strcmp(hid, "PNP0C80") != 0)
			return -ENODEV;
	} else if (strncmp(base, "PNP0C80:", 8) != 0) {
		return -ENODEV;
	}
	bl = strlen(base);
	if (bl == 0)
		return -ENODEV;
	if (bl >= len)
		return -ENOBUFS;
	memcpy(name, base, bl + 1);
	return 0;
}

static bool is_physical_node(const char *s)
{
	static const char p[] = "physical_node";
	size_t i;

	if (strncmp(s, p, sizeof(p) - 1) != 0)
		return false;
	for (i = sizeof(p) - 1; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int mh_sysfs_dimm_bound_blocks(const struct mh_root *r, const char *name)
{
	char path[PATH_MAX];
	struct dirent *de;
	int count = 0;
	DIR *d;

	if (!r || !name || !*name || strchr(name, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "sys/bus/acpi/devices/%s", name);
	d = open_dir(r, path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (is_physical_node(de->d_name))
			count++;
	closedir(d);
	return count;
}

bool mh_sysfs_has_dimm_slots(const struct mh_root *r)
{
	struct dirent *de;
	bool found = false;
	DIR *d = open_dir(r, "sys/bus/acpi/devices");

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "PNP0C80:", 8) == 0) {
			found = true;
			break;
		}
	closedir(d);
	return found;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int mh_sysfs_list_blocks(const struct mh_root *r, uint64_t **ids, size_t *n)
{
	uint64_t *v = NULL;
	size_t nr = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if (!ids || !n)
		return -EINVAL;
	d = open_dir(r, MH_SYSFS_MEMORY);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		uint64_t id;

		if (de->d_name[0] != 'm' ||
		    mh_parse_memory_name(de->d_name, &id) < 0)
			continue;
		if (MH_GROW(v, cap, nr + 1) < 0) {
			closedir(d);
			free(v);
			return -ENOMEM;
		}
		v[nr++] = id;
	}
	closedir(d);
	if (nr)
		qsort(v, nr, sizeof(*v), cmp_u64);
	*ids = v;
	*n = nr;
	return 0;
}

int mh_sysfs_boot_id(const struct mh_root *r, char *buf, size_t len)
{
	char tmp[128];
	ssize_t n = mh_read_small(r, "proc/sys/kernel/random/boot_id", tmp,
				  sizeof(tmp));

	if (n < 0)
		return (int)n;
	return mh_parse_word(tmp, (size_t)n, buf, len);
}
