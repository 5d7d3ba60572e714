/* SPDX-License-Identifier: MIT */
/*
 * Building and refreshing the inventory from the tree: the imperative part
 * of the inventory.  Used at start, after a netlink overflow (full rescan)
 * and for single blocks on uevents.
 */
#ifndef MEMHOTD_SCAN_H
#define MEMHOTD_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/sysfs.h"

#define MH_RUNTIME_DIR "run/memhotd"

/*
 * Full scan: block size, every memoryN (state, node, zone of online
 * blocks), groups from /proc/iomem and firmware_node, early/hotplugged
 * classification (persisted per boot under /run/memhotd), then zoneinfo
 * calibration.  inv is overwritten (mh_inv_init is called here, never
 * freed): release it with mh_inv_free whatever the result.  Returns 0;
 * -ERANGE with the inventory complete but some node's KE clamped to 0
 * (see mh_scan_calibrate); or -errno (block size unreadable, a block
 * unreadable for another reason than its removal, zoneinfo).
 * Classification: a block is hotplugged if it is offline, lies in a
 * virtioN/daxX.Y/"System RAM (driver)" resource, belongs to a PNP0C80
 * DIMM, or is listed in this boot's persisted classification; other
 * online blocks are early (doc/inputs.md 4).
 */
int mh_scan_full(const struct mh_root *r, struct mh_inventory *inv);
/* The same, but writes nothing (memhotd --list-blocks). */
int mh_scan_full_readonly(const struct mh_root *r, struct mh_inventory *inv);

/*
 * Refresh one block after a uevent: creates it if missing (hotplugged),
 * reads state, node link and (online only) zone; resolves its group.
 * Returns 0, or -ENOENT if the block is gone (the inventory is left as it
 * was: removing the block is the caller's call).
 * hotplugged only applies when the block is created; a known block keeps
 * its classification (after a missed "remove", remove it first).  A block
 * seen going online here gets onlined_by MH_BY_UNKNOWN (the caller knows
 * whether it was its own write).  Cost: a few small reads; /proc/iomem is
 * read only for a block outside every known virtio-mem/dax region whose
 * group is not resolved yet.  -EAGAIN from the group lookup is not
 * returned: check b->group_resolved.
 */
int mh_scan_block(const struct mh_root *r, struct mh_inventory *inv,
		  uint64_t id, bool hotplugged);

/*
 * Resolve the owning group of b (virtio-mem/dax by /proc/iomem, DIMM by
 * firmware_node).  Returns 0 when resolved (b->group set, -1 = ungrouped),
 * -EAGAIN when it cannot be known yet (a DIMM's links come late).
 */
int mh_scan_resolve_group(const struct mh_root *r, struct mh_inventory *inv,
			  struct mh_block *b);

/* Re-read /proc/zoneinfo and calibrate every node (doc/inputs.md 3).
 * -ERANGE if some node's KE would be negative (a misclassified block): its
 * KE is then 0 and the other nodes are calibrated all the same.
 * mh_scan_full returns this result too, with the inventory complete.
 * -EBADMSG: zoneinfo is malformed or inconsistent (present > spanned...),
 * already logged with the node, zone and values. */
int mh_scan_calibrate(const struct mh_root *r, struct mh_inventory *inv);

/*
 * Persist the early/hotplugged classification for this boot: the file
 * run/memhotd/classification holds the boot_id on its first line, then
 * the hotplugged block ids as ranges, one a line ("48-175", "200").
 * Written atomically and durably (temporary file, fsync, rename, fsync of
 * the directory).  mh_scan_full saves it;
 * call it again after blocks were added or removed.
 */
int mh_scan_save_classification(const struct mh_root *r,
				const struct mh_inventory *inv);

/* An inclusive range of block ids. */
struct mh_id_range {
	uint64_t first, last;
};

/*
 * Parses a classification file's text.  0 and *ranges (malloc'd, sorted,
 * disjoint) if its first line is boot_id; -ESTALE if it is another boot's;
 * -EINVAL if malformed.
 */
int mh_scan_parse_classification(const char *text, size_t len,
				 const char *boot_id,
				 struct mh_id_range **ranges, size_t *nr);

#endif
