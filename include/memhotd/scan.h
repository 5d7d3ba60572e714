/* SPDX-License-Identifier: MIT */
/*
 * Building and refreshing the inventory from the tree: the imperative part
 * of the inventory.  Used at start, after a netlink overflow (full rescan)
 * and for single blocks on uevents.
 */
#ifndef MEMHOTD_SCAN_H
#define MEMHOTD_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/sysfs.h"

#define MH_RUNTIME_DIR "run/memhotd"

/*
 * Full scan: block size, every memoryN (state, node, zone of online
 * blocks), groups from /proc/iomem and firmware_node, early/hotplugged
 * classification (persisted per boot under /run/memhotd), then zoneinfo
 * calibration.  inv must be fresh (mh_inv_init is called here).
 * first_start: true when there is no persisted classification.
 */
int mh_scan_full(const struct mh_root *r, struct mh_inventory *inv);

/*
 * Refresh one block after a uevent: creates it if missing (hotplugged),
 * reads state, node link and (online only) zone; resolves its group.
 * Returns 0, or -ENOENT if the block is gone.
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

/* Re-read /proc/zoneinfo and calibrate every node (spec 5.4). */
int mh_scan_calibrate(const struct mh_root *r, struct mh_inventory *inv);

/* Persist the early/hotplugged classification for this boot. */
int mh_scan_save_classification(const struct mh_root *r,
				const struct mh_inventory *inv);

#endif
