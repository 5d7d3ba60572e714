/* SPDX-License-Identifier: MIT */
/*
 * All file I/O goes through a root prefix (--root DIR, default "/"), the
 * way util-linux's --sysroot and earlyoom's procdir_path do it, so tests
 * run on a simulated tree and never touch this machine's /sys or /proc.
 * Paths given to these functions are relative ("sys/devices/...").
 */
#ifndef MEMHOTD_SYSFS_H
#define MEMHOTD_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dirent.h>

#include "memhotd/inventory.h"
#include "memhotd/policy.h"

#define MH_SYSFS_MEMORY "sys/devices/system/memory"

struct mh_root {
	int dirfd;	 /* O_PATH|O_DIRECTORY of the root */
	char path[4096]; /* as given, for messages */
};

int mh_root_open(struct mh_root *r, const char *path);
void mh_root_close(struct mh_root *r);

/*
 * Every file memhotd reads goes through one reader: opened with
 * O_NONBLOCK|O_CLOEXEC|O_NOCTTY (a FIFO never blocks), checked with fstat
 * to be a regular file (-EISDIR for a directory, -EINVAL for a FIFO,
 * socket or device), read up to a bound (-EFBIG beyond it).  Below a root
 * other than "/", symlinks resolve inside the root (openat2(2)
 * RESOLVE_IN_ROOT, or a user-space walk where the kernel lacks it); a path
 * that openat() would resolve elsewhere gives -EXDEV.
 */
#define MH_READ_MAX (64u * 1024 * 1024) /* mh_read_all's bound */

/* Whole file at path (below r, or as given if r is NULL), at most max
 * bytes; *out malloc'd, NUL-terminated.  0 or -errno. */
int mh_read_file(const struct mh_root *r, const char *path, size_t max,
		 char **out, size_t *len);
/* For tests: resolve symlinks with the user-space walk, not openat2. */
void mh_sysfs_force_resolve_fallback(bool on);

/* Reads a whole small file (sysfs attribute) into buf, NUL-terminated.
 * Returns bytes read or -errno (-EFBIG: more than len - 1 bytes). */
ssize_t mh_read_small(const struct mh_root *r, const char *rel, char *buf,
		      size_t len);
/* Reads a file up to MH_READ_MAX (/proc/iomem, /proc/zoneinfo); *out
 * malloc'd, NUL-terminated. 0 or -errno. */
int mh_read_all(const struct mh_root *r, const char *rel, char **out,
		size_t *len);
/* One write(2) of s to rel; 0 or -errno (the errno of open or write). */
int mh_write_attr(const struct mh_root *r, const char *rel, const char *s);
bool mh_path_exists(const struct mh_root *r, const char *rel);
/* A directory below the root for readdir (closedir it); NULL, errno set. */
DIR *mh_root_opendir(const struct mh_root *r, const char *rel);

/* Memory-block attributes. */
int mh_sysfs_block_size(const struct mh_root *r, uint64_t *bytes);
int mh_sysfs_block_state(const struct mh_root *r, uint64_t id,
			 enum mh_block_state *s);
/* The nodeN link of memoryN: 0 and *nid, or -ENOENT while it is missing;
 * -ENODEV if memoryN itself is gone. */
int mh_sysfs_block_node(const struct mh_root *r, uint64_t id, int *nid);
/* The same, trying the nodeN link for nid hint first (one fstatat instead
 * of reading the directory; a hotplugged block has exactly one node link).
 * hint < 0: no guess. */
int mh_sysfs_block_node_hint(const struct mh_root *r, uint64_t id, int hint,
			     int *nid);
/* valid_zones of memoryN read without looking at its state first: only for
 * a block known to be online (e.g. right after a successful online write)
 * whose nodeN link exists, so doc/inputs.md 6.3 cannot bite. */
int mh_sysfs_block_zone(const struct mh_root *r, uint64_t id, enum mh_zone *z);
/*
 * The zone of an ONLINE block (first valid_zones word).  Never call it for
 * an offline block whose nodeN link may be missing: that read crashes 6.1
 * kernels (doc/inputs.md 6.3).  Returns -EBUSY without reading if the
 * block's state is not online.
 */
int mh_sysfs_online_zone(const struct mh_root *r, uint64_t id, enum mh_zone *z);
/*
 * ACPI device name ("PNP0C80:00") that memoryN/firmware_node resolves to,
 * if its hid is PNP0C80: 0; -ENOENT if no link (yet); -ENODEV if the
 * firmware node is something else.
 */
int mh_sysfs_block_dimm(const struct mh_root *r, uint64_t id, char *name,
			size_t len);
/* Number of physical_nodeN links of ACPI device name (blocks bound). */
int mh_sysfs_dimm_bound_blocks(const struct mh_root *r, const char *name);
/* True if any PNP0C80 ACPI device exists (DIMM slots are possible). */
bool mh_sysfs_has_dimm_slots(const struct mh_root *r);
/* All memoryN ids present, ascending; *ids malloc'd. */
int mh_sysfs_list_blocks(const struct mh_root *r, uint64_t **ids, size_t *n);
/* /proc/sys/kernel/random/boot_id without newline. */
int mh_sysfs_boot_id(const struct mh_root *r, char *buf, size_t len);

#endif
