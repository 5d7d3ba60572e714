/* SPDX-License-Identifier: MIT */
/*
 * Memory groups and the early/hotplugged classification, rebuilt from
 * parsed facts (doc/inputs.md 4 and 5): pure, no I/O.  scan.c gathers the
 * facts (/proc/iomem, virtio device ids, virtio_mem.bbm_block_size, a
 * block's firmware_node DIMM and its bound blocks) and applies the
 * decisions made here to the inventory.
 */
#ifndef MEMHOTD_GROUPS_H
#define MEMHOTD_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memhotd/inventory.h"
#include "memhotd/parse.h"

/* What the tree says about the memory devices, for one scan. */
struct mh_group_facts {
	const struct mh_iomem *io; /* parsed /proc/iomem (may be empty) */
	/*
	 * Per iomem entry (io->nr of them), for virtioN entries: whether
	 * that virtio device is virtio-mem (device id 0x0018, or the
	 * device absent from the tree).  NULL: every virtioN is.
	 */
	const bool *virtio_is_mem;
	/* virtio_mem.bbm_block_size in bytes; 0 if unset or unreadable. */
	uint64_t bbm_block_size;
	uint64_t block_size; /* memory block size in bytes */
	uint64_t page_size;
};

/* A group as the facts describe it. */
struct mh_group_decl {
	char name[MH_GROUP_NAME_MAX];
	enum mh_group_kind kind;
	uint64_t start_pfn, end_pfn; /* the parent resource, [start, end) */
	int nid;		     /* DIMM: the block's node; else -1 */
	/* virtio-mem: unit pages; dax and DIMM: max_pages */
	uint64_t pages;
};

/*
 * virtio-mem unit size in pages (doc/inputs.md 5.2): one block (SBM),
 * unless bbm_block_size is a power of two larger than the block size
 * (then that).
 */
uint64_t mh_groups_virtio_unit_pages(uint64_t bbm_block_size,
				     uint64_t block_size, uint64_t page_size);

/*
 * The group iomem entry idx stands for (a virtio-mem virtioN or a daxX.Y
 * with kmem memory): 0 and *out, or -ENOENT if it is no memory device.
 * A dax group spans all the device's ranges; its max_pages counts the
 * whole blocks of its "System RAM (kmem)" children (or of the range).
 */
int mh_groups_from_entry(const struct mh_group_facts *f, size_t idx,
			 struct mh_group_decl *out);

/*
 * The ACPI DIMM group name for the block at addr: its region is the
 * top-level "System RAM" resource holding addr (if any); max_pages the
 * larger of that region and bound_blocks blocks, at least one block.
 */
void mh_groups_dimm_decl(const struct mh_group_facts *f, uint64_t addr,
			 const char *name, int nid, int bound_blocks,
			 struct mh_group_decl *out);

/*
 * Applies a declaration: a live group of that name and kind is refreshed
 * (virtio-mem, dax: region and dax max_pages; DIMM: max_pages only grows),
 * else a new one is added.  Returns its index, or -1 if the name is taken
 * by a group of another kind or memory ran out.
 */
ssize_t mh_groups_apply(struct mh_inventory *inv,
			const struct mh_group_decl *d);

/* Applies every group iomem declares (a full scan's first step). */
void mh_groups_from_iomem(struct mh_inventory *inv,
			  const struct mh_group_facts *f);

/* The group of the innermost virtio-mem/dax resource holding addr
 * (applied to inv), or -1. */
ssize_t mh_groups_for_addr(struct mh_inventory *inv,
			   const struct mh_group_facts *f, uint64_t addr);

/* A block's DIMM facts, read only when iomem did not place it. */
struct mh_dimm_facts {
	/* 0: the block's firmware_node is the DIMM name; -ENOENT: no link
	 * (yet); other -errno: not a DIMM or unreadable. */
	int link;
	char name[MH_GROUP_NAME_MAX];
	int bound_blocks; /* link == 0: the DIMM's physical_nodeN links */
	bool slots;	  /* any PNP0C80 device exists */
};

/*
 * Resolves b's group from the facts: by the known regions, then iomem
 * (f NULL: not gathered yet, -ENOENT), then its DIMM.  0 with b's group set
 * (-1: ungrouped); -EAGAIN when a DIMM link may still come (no link yet, DIMM
 * slots exist: the link follows the last add, doc/inputs.md 6.2); -ENOENT when
 * iomem does not place it and dimm is NULL (the caller gathers the DIMM facts
 * and asks again).
 */
int mh_groups_resolve(struct mh_inventory *inv, const struct mh_group_facts *f,
		      struct mh_block *b, const struct mh_dimm_facts *dimm);

/* ---- early or hotplugged (doc/inputs.md 4.1) ---- */

enum mh_class_reason {
	MH_CLASS_EARLY = 0, /* online, no rule applies: boot memory */
	MH_CLASS_OFFLINE,   /* rule 1: offline blocks are hotplugged */
	MH_CLASS_RESOURCE,  /* rule 2: virtioN, daxX.Y, System RAM (driver) */
	MH_CLASS_DIMM,	    /* rule 3: a member of an ACPI DIMM */
	MH_CLASS_PERSISTED, /* rule 4: this boot's saved classification */
	_MH_CLASS_REASON_MAX,
};
const char *mh_class_reason_name(enum mh_class_reason r);
int mh_class_reason_name_from(const char *s, enum mh_class_reason *out);

struct mh_class_facts {
	enum mh_block_state state;
	bool in_hotplug_resource; /* mh_iomem_in_hotplug_resource */
	bool dimm_member;	  /* its group is an ACPI DIMM */
	bool persisted;		  /* listed in this boot's saved file */
};

/* Which rule makes the block hotplugged; MH_CLASS_EARLY if none does. */
enum mh_class_reason mh_classify(const struct mh_class_facts *f);

/* addr lies inside a virtioN, daxX.Y or "System RAM (driver)" resource. */
bool mh_iomem_in_hotplug_resource(const struct mh_iomem *io, uint64_t addr);

#endif
