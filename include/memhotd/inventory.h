/* SPDX-License-Identifier: MIT */
/*
 * The inventory: nodes, memory groups and blocks, with the counters the
 * policy needs kept up to date incrementally.  Pure data: no I/O.  The
 * sysfs layer (sysfs.h) fills it; the daemon updates it per uevent, so the
 * cost of an event does not depend on the number of blocks.
 *
 * Node totals (kernel_early, movable) are calibrated from /proc/zoneinfo
 * (mh_inv_calibrate) and then moved by block transitions:
 *   - a hotplugged block going online Movable adds block_pages to movable;
 *   - a hotplugged block going online in a kernel zone adds to the node's
 *     hotplugged-kernel count H(n), never to kernel_early (doc/inputs.md
 *     3.2);
 *   - an early (boot) block changing state marks the node for
 *     recalibration, since boot blocks may contain holes.
 */
#ifndef MEMHOTD_INVENTORY_H
#define MEMHOTD_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memhotd/policy.h"

/* The running system's page size: sysconf(_SC_PAGESIZE) until overridden
 * (kernel.c sets a simulated tree's at start-up); never a constant:
 * 64 KiB-page kernels exist. */
uint64_t mh_page_size(void);
/* Overrides it (a simulated tree's page size); 0 restores sysconf's. */
void mh_set_page_size(uint64_t bytes);
#define MH_PAGE_SIZE mh_page_size()
#define MH_MAX_NODES 1024
#define MH_GROUP_NAME_MAX 64
/* Groups a block can name (struct mh_block.group is 16 bits). */
#define MH_INV_MAX_GROUPS INT16_MAX

enum mh_block_state {
	MH_BLOCK_OFFLINE = 0,
	MH_BLOCK_ONLINE,
	MH_BLOCK_GOING_OFFLINE,
};
const char *mh_block_state_name(enum mh_block_state s);

enum mh_group_kind {
	MH_GROUP_VIRTIO_MEM = 0, /* dynamic */
	MH_GROUP_DIMM,		 /* static, ACPI PNP0C80 */
	MH_GROUP_DAX,		 /* static, dax/kmem */
};
/* "virtio-mem", "dimm", "dax" */
const char *mh_group_kind_name(enum mh_group_kind k);

/* Who put an online block into its zone. */
enum mh_onliner {
	MH_BY_UNKNOWN = 0, /* online when memhotd first saw it */
	MH_BY_BOOT,	   /* early memory, created online */
	MH_BY_MEMHOTD,	   /* our write succeeded */
	MH_BY_OTHER,	   /* someone else won (udev rule, kernel, daxctl) */
};
const char *mh_onliner_name(enum mh_onliner o);

/* What every block keeps of memhotd's last decision for it (4 bytes). */
struct mh_decision_brief {
	enum mh_target target : 8;
	enum mh_reason reason : 8;
};

/* Whole decisions kept: the last ones of this many block numbers. */
#define MH_INV_DECISIONS_KEPT 1024

/*
 * One per present block: 32 bytes (a 64 Ki-block guest keeps 2 MiB of
 * them, locked in RAM with the rest of memhotd).  The narrow fields hold
 * what they must: nodes < MH_MAX_NODES, groups < MH_INV_MAX_GROUPS
 * (mh_inv_group_add refuses more), errno values < 4096.
 */
struct mh_block {
	uint64_t id;		  /* memoryN, == phys_index */
	uint64_t first_seen_usec; /* CLOCK_MONOTONIC of add / first scan */
	/*
	 * The last decision memhotd made for this block, if any: its target
	 * and reason for every block; the whole struct mh_decision (numbers,
	 * explanation) for the last MH_INV_DECISIONS_KEPT block numbers only
	 * (mh_inv_decision(); a 64 Ki-block coldplug would otherwise keep
	 * 23 MiB of them).  Set both with mh_inv_set_decision().
	 */
	struct mh_decision_brief decision;
	int16_t group; /* index into inv->groups, -1 none */
	int16_t nid;   /* -1 until the nodeN link exists */
	/* Onliner bookkeeping (daemon-owned): failed writes, their errno. */
	int16_t last_errno;
	uint8_t attempts; /* saturates at 255 (the scheduler's count) */
	enum mh_block_state state : 8;
	enum mh_zone zone : 8; /* valid for online blocks */
	enum mh_onliner onlined_by : 8;
	bool has_decision : 1;
	bool hotplugged : 1;	 /* false: early boot memory */
	bool group_resolved : 1; /* owner looked up (DIMM links come late) */
};

struct mh_group {
	char name[MH_GROUP_NAME_MAX]; /* "virtio0", "PNP0C80:00", "dax0.0" */
	enum mh_group_kind kind;
	uint64_t start_pfn, end_pfn; /* region [start, end): parent resource */
	size_t nr_blocks;	     /* member blocks currently present */
	size_t nr_online;
	size_t nr_movable; /* online in ZONE_MOVABLE */
};

/* A zone's span [start_pfn, end_pfn); empty if start_pfn == end_pfn. */
struct mh_zone_span {
	uint64_t start_pfn, end_pfn;
};

struct mh_node_info {
	uint64_t hot_kernel; /* H(n): hotplugged pages online in kernel zones */
	uint64_t hot_movable; /* hotplugged pages online in ZONE_MOVABLE */
	uint64_t cma;	      /* from zoneinfo, informational */
	/* >0: recalibrate from zoneinfo */
	uint64_t early_kernel_blocks_changed;
	size_t nr_blocks, nr_online, nr_movable, nr_offline;
	/*
	 * Zone spans for contig-zones (indexed by enum mh_zone, DMA..MOVABLE):
	 * set from zoneinfo (mh_inv_set_zone_span), grown when a block goes
	 * online (resize_zone_range); an offline at a span's edge asks for
	 * recalibration (shrink_zone_span).
	 */
	struct mh_zone_span spans[MH_ZONE_MOVABLE + 1];
};

struct mh_block_table; /* opaque: id -> block, sparse */

struct mh_inventory {
	uint64_t block_size_bytes;
	uint64_t block_pages;
	struct mh_block_table *table;
	size_t nr_blocks;
	/* Parallel arrays indexed by group index; the policy reads gstats. */
	struct mh_group *groups;
	struct mh_group_stats *gstats;
	size_t nr_groups;
	/* Parallel arrays indexed by nid; the policy reads totals. */
	struct mh_zone_totals *totals;
	struct mh_node_info *nodes;
	size_t nr_nodes; /* max nid + 1 */
	bool needs_calibration;
	/* Whole decisions, slot id % MH_INV_DECISIONS_KEPT (lazily). */
	struct mh_decision_slot *decisions;
};

int mh_inv_init(struct mh_inventory *inv, uint64_t block_size_bytes);
void mh_inv_free(struct mh_inventory *inv);

/* Blocks. mh_inv_add_block: new offline block (or the existing one). */
struct mh_block *mh_inv_block(const struct mh_inventory *inv, uint64_t id);
struct mh_block *mh_inv_add_block(struct mh_inventory *inv, uint64_t id,
				  bool hotplugged);
/* Forgets a block (uevent remove); counters move as for an offline. */
void mh_inv_remove_block(struct mh_inventory *inv, uint64_t id);
/* State transitions; they keep node, group and zone totals in step. */
void mh_inv_set_online(struct mh_inventory *inv, struct mh_block *b,
		       enum mh_zone zone, enum mh_onliner by);
void mh_inv_set_offline(struct mh_inventory *inv, struct mh_block *b);
int mh_inv_set_node(struct mh_inventory *inv, struct mh_block *b, int nid);
void mh_inv_set_group(struct mh_inventory *inv, struct mh_block *b,
		      ssize_t group);
/* Records dec as b's decision (has_decision, brief and whole). */
int mh_inv_set_decision(struct mh_inventory *inv, struct mh_block *b,
			const struct mh_decision *dec);
/* b's whole last decision into *out if it is still kept: true, else false
 * (has_decision and b->decision still say target and reason). */
bool mh_inv_decision(const struct mh_inventory *inv, const struct mh_block *b,
		     struct mh_decision *out);
/* Ascending id order; stop when cb returns non-zero (that is returned). */
int mh_inv_for_each_block(const struct mh_inventory *inv,
			  int (*cb)(struct mh_block *b, void *ctx), void *ctx);
/* First present block with id >= from, or NULL. */
struct mh_block *mh_inv_next_block(const struct mh_inventory *inv,
				   uint64_t from);

/* Groups. Find by name among live groups; add returns the index. */
ssize_t mh_inv_group_find(const struct mh_inventory *inv, const char *name);
ssize_t mh_inv_group_add(struct mh_inventory *inv, const char *name,
			 enum mh_group_kind kind, int nid, uint64_t start_pfn,
			 uint64_t end_pfn, uint64_t max_or_unit_pages);
/* Group whose [start_pfn, end_pfn) holds pfn (virtio-mem, dax), or -1. */
ssize_t mh_inv_group_by_pfn(const struct mh_inventory *inv, uint64_t pfn);
/* Frees a group slot once it has no blocks left. */
void mh_inv_group_drop_if_empty(struct mh_inventory *inv, ssize_t group);

/* Nodes. */
int mh_inv_ensure_node(struct mh_inventory *inv, int nid);

/*
 * Sets node nid's totals from a zoneinfo snapshot:
 *   kernel_early = kernel_present - kernel_cma - H(n)
 *   movable      = movable_present + kernel_cma
 * where H(n) is the inventory's current hotplugged kernel count.
 */
void mh_inv_calibrate(struct mh_inventory *inv, int nid,
		      uint64_t kernel_present, uint64_t kernel_cma,
		      uint64_t movable_present);

/* Node nid's span of zone z (DMA, DMA32, Normal, Movable) from zoneinfo:
 * start_pfn and spanned pages (0: empty).  Other zones are ignored. */
void mh_inv_set_zone_span(struct mh_inventory *inv, int nid, enum mh_zone z,
			  uint64_t start_pfn, uint64_t spanned);

/* The policy's view of this inventory (points into it; no copy). */
void mh_inv_policy_view(const struct mh_inventory *inv,
			const struct mh_policy_config *cfg,
			struct mh_policy_view *view);
/*
 * The request for block b; unit_buf must hold unit_pages / block_pages
 * entries for multi-block dynamic units (*unit_cap is its size).  The
 * contig-zones span flags come from the node's spans.  Returns 0,
 * or -ENOBUFS if unit_buf is too small, -EINVAL if b has no node yet.
 */
int mh_inv_block_request(const struct mh_inventory *inv,
			 const struct mh_block *b,
			 struct mh_unit_block *unit_buf, size_t unit_cap,
			 struct mh_block_request *req);

#endif
