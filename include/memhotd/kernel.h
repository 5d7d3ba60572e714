/* SPDX-License-Identifier: MIT */
/*
 * What differs between the kernels memhotd runs on, and working with the
 * kernel's own onlining (doc/kernels.md):
 *
 *  - facts: release, page size, whether the auto-movable policy exists
 *    (the memory_hotplug module parameters, 5.15+), auto_online_blocks;
 *  - a kernel that onlines by itself: auto_online_blocks switched to
 *    "offline" at start-up ([kernel] auto_online_blocks), and the list of
 *    blocks the kernel onlined before memhotd could decide;
 *  - mirroring [policy] into the module parameters ([kernel]
 *    mirror_policy) and the live cross-check against the first word of an
 *    offline block's valid_zones ([kernel] cross_check);
 *  - delegate mode ([policy] mode = delegate).
 *
 * The pure parts (expressibility, parsing) take no root; everything else
 * reads and writes through the root prefix.  Nothing is restored on exit:
 * every change made in the kernel is logged.
 */
#ifndef MEMHOTD_KERNEL_H
#define MEMHOTD_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memhotd/config.h"
#include "memhotd/policy.h"
#include "memhotd/sysfs.h"

#define MH_KERNEL_AOB "sys/devices/system/memory/auto_online_blocks"
#define MH_KERNEL_PARAMS "sys/module/memory_hotplug/parameters"
/*
 * Page size of a simulated tree: a file holding the size in bytes.  Read
 * only when the root is not "/"; a real root always uses sysconf.
 */
#define MH_KERNEL_PAGE_SIZE_FILE "memhotd-test/page_size"

struct mh_daemon; /* daemon.h */

/* A block the kernel onlined before memhotd could decide. */
struct mh_kernel_onlined {
	uint64_t block;
	enum mh_zone zone;
	bool verified;	       /* memhotd's own model was computed for it */
	bool agrees;	       /* ... and gave the same kind of zone */
	enum mh_zone expected; /* memhotd's answer (verified only) */
};

struct mh_kernel {
	char release[128];     /* proc/sys/kernel/osrelease, "" unknown */
	uint64_t page_size;    /* bytes */
	bool has_policy;       /* parameters/online_policy exists (5.15+) */
	char aob_at_start[32]; /* auto_online_blocks at start, "" absent */
	char aob[32];	       /* as memhotd left it */
	bool mirrored;	       /* the module parameters now hold [policy] */
	bool cross_check;      /* active: mirrored and [kernel] cross_check */
	uint64_t agreements, disagreements;
	/* The last cross-checked block: if the kernel onlines it after all
	 * (a lost race), its verification replaces the count. */
	uint64_t last_checked;
	int last_checked_result;	   /* 0 none, 1 agreed, -1 disagreed */
	struct mh_kernel_onlined *onlined; /* ascending block */
	size_t nr_onlined, cap_onlined;
	struct mh_unit_block *unit_buf; /* for verifications */
	size_t unit_cap;
};

/* ---- page size (MH_PAGE_SIZE, mh_set_page_size: inventory.h) ---- */

/*
 * The page size of the system under root: sysconf for "/", else the
 * MH_KERNEL_PAGE_SIZE_FILE in the tree if present, else sysconf.  0 or
 * -errno (-EINVAL: not a power of two >= 4096).
 */
int mh_kernel_page_size(const struct mh_root *r, uint64_t *bytes);

/* ---- facts ---- */

/* proc/sys/kernel/osrelease; 0 or -errno. */
int mh_kernel_release(const struct mh_root *r, char *buf, size_t len);
/* "5.10.0-32-amd64" -> 5, 10.  0 or -EINVAL. */
int mh_kernel_parse_release(const char *s, unsigned int *major,
			    unsigned int *minor);
/* The auto-movable policy exists: the online_policy parameter is there. */
bool mh_kernel_has_policy(const struct mh_root *r);
/* First word of auto_online_blocks; 0 or -errno (-ENOENT: absent). */
int mh_kernel_auto_online(const struct mh_root *r, char *buf, size_t len);
/* auto_online_blocks, as memhotd left it, makes the kernel online new
 * blocks inside their add (anything but "offline" or absent). */
bool mh_kernel_auto_onlines(const struct mh_kernel *k);

/*
 * Can the kernel's online_policy express p exactly?  Only auto-movable and
 * contig-zones can (movable/kernel are memhotd's own; contig-zones with a
 * movable_node different from the kernel's cannot be set at run time).
 * true, or false with why filled.
 */
bool mh_kernel_expressible(const struct mh_policy_config *p, char *why,
			   size_t len);

/*
 * Writes online_policy, auto_movable_ratio and auto_movable_numa_aware
 * (the latter two only for auto-movable).  Logs each value changed.
 * 0 or -errno of the first failing write.
 */
int mh_kernel_mirror(const struct mh_root *r, const struct mh_policy_config *p);

/*
 * The kernel's own answer for an offline block: the first word of its
 * valid_zones.  Reads it only if memoryN is offline and its nodeN link
 * exists (reading it earlier can crash 6.1): -EAGAIN if the link is
 * missing, -EBUSY if the block is not offline, else 0 or -errno.
 */
int mh_kernel_valid_zones_first(const struct mh_root *r, uint64_t id,
				enum mh_zone *z);

/*
 * Delegate mode is possible: the kernel has the policy and p is
 * expressible.  0, or with a configuration error message in err
 * -EOPNOTSUPP (the kernel has no online_policy) or -EINVAL (p is not
 * expressible).
 */
int mh_kernel_check_delegate(const struct mh_kernel *k,
			     const struct mh_policy_config *p, char *err,
			     size_t len);

/* Adds (or updates) an entry of k->onlined; 0 or -ENOMEM. */
int mh_kernel_note_onlined(struct mh_kernel *k, uint64_t block,
			   enum mh_zone zone);
/* The entry for block, or NULL. */
struct mh_kernel_onlined *mh_kernel_find_onlined(const struct mh_kernel *k,
						 uint64_t block);
void mh_kernel_forget(struct mh_kernel *k, uint64_t block);
void mh_kernel_free(struct mh_kernel *k);

/* ---- daemon hooks (each one line in daemon.c) ---- */

/*
 * Start-up, right after the root is opened and before the first scan:
 * facts, page size, auto_online_blocks per [kernel], mirroring, delegate
 * mode.  0, -EOPNOTSUPP when delegate mode is not possible here (a
 * configuration error), or another -errno (fatal).
 */
int mh_kernel_start(struct mh_daemon *d);
/* After the first scan: hotplugged blocks found online while the kernel
 * auto-onlines are listed in kernel_onlined. */
void mh_kernel_after_scan(struct mh_daemon *d);
/* Drops the competitor line about auto_online_blocks when memhotd itself
 * set it (delegate mode).  Returns the new count. */
size_t mh_kernel_filter_competitors(const struct mh_daemon *d,
				    char (*lines)[256], size_t n);
/*
 * Before the state write of an offline block decided as dec (expl: its
 * explanation, or NULL/"" to format it only if it is needed): the live
 * cross-check, if active.
 */
void mh_kernel_before_write(struct mh_daemon *d, uint64_t id,
			    const struct mh_decision *dec, const char *expl);
/*
 * The block was found online, onlined by someone other than memhotd (at
 * its add, by an online uevent, or as a lost race).  If the kernel
 * auto-onlines it is listed in kernel_onlined, and its zone is verified
 * against memhotd's model with the state before it (recorded as the
 * block's decision, so memhotctl explain shows it).
 */
void mh_kernel_block_onlined(struct mh_daemon *d, uint64_t id);

/*
 * Reload with configuration c (before it replaces d->config): re-mirrors
 * [policy].  A change of [policy] mode, or a delegate configuration the
 * kernel cannot express, is refused: -EINVAL (or -EOPNOTSUPP: no policy
 * in this kernel) with err filled.
 */
int mh_kernel_reload(struct mh_daemon *d, const struct mh_config *c, char *err,
		     size_t len);

#endif
