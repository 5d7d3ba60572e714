/* SPDX-License-Identifier: MIT */
/*
 * The zone decision for one memory block: a pure function, no I/O.
 *
 * auto-movable follows mm/memory_hotplug.c (auto_movable_zone_for_pfn,
 * auto_movable_can_online_movable, auto_movable_stats_account_*) exactly,
 * as doc/policy.md section 3 describes.  All quantities are pages.  The
 * caller (the inventory) supplies the numbers; the policy only does the
 * arithmetic and says why.
 */
#ifndef MEMHOTD_POLICY_H
#define MEMHOTD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum mh_zone {
	MH_ZONE_UNKNOWN = 0,
	MH_ZONE_NONE, /* online block spanning zones (boot memory) */
	MH_ZONE_DMA,
	MH_ZONE_DMA32,
	MH_ZONE_NORMAL,
	MH_ZONE_MOVABLE,
};

/* "DMA", "DMA32", "Normal", "Movable", "none", "unknown" */
const char *mh_zone_name(enum mh_zone z);
/* Parses one valid_zones word as the kernel prints it; MH_ZONE_UNKNOWN if not.
 */
enum mh_zone mh_zone_from_name(const char *s, size_t len);
/* A kernel zone in the policy's sense: anything that is not ZONE_MOVABLE. */
static inline bool mh_zone_is_kernel(enum mh_zone z)
{
	return z == MH_ZONE_NONE || z == MH_ZONE_DMA || z == MH_ZONE_DMA32 ||
	       z == MH_ZONE_NORMAL;
}

enum mh_online_policy {
	MH_POLICY_AUTO_MOVABLE = 0, /* the kernel's auto-movable, exactly */
	MH_POLICY_CONTIG_ZONES,	    /* the kernel's default policy */
	MH_POLICY_MOVABLE,	    /* always ZONE_MOVABLE */
	MH_POLICY_KERNEL,	    /* always a kernel zone */
};
/* "auto-movable", "contig-zones", "movable", "kernel" */
const char *mh_policy_name(enum mh_online_policy p);
/* 0 and *out set, or -1 for an unknown name. */
int mh_policy_from_name(const char *s, enum mh_online_policy *out);

struct mh_policy_config {
	enum mh_online_policy policy;
	unsigned int ratio; /* auto_movable_ratio, percent (301) */
	bool numa_aware;    /* auto_movable_numa_aware */
	bool movable_node;  /* contig-zones only: the kernel's movable_node */
};

/* Per node, as auto_movable_stats_account_zone() sums them. */
struct mh_zone_totals {
	bool present; /* the node exists */
	uint64_t
		kernel_early; /* KE: boot memory online in kernel zones - CMA */
	uint64_t movable;     /* MV: ZONE_MOVABLE present + CMA */
};

/* Per memory group, as struct memory_group holds them. */
struct mh_group_stats {
	bool alive;   /* slot in use; dead slots are skipped */
	bool dynamic; /* virtio-mem; static: ACPI DIMM, dax/kmem */
	int nid;
	uint64_t max_pages;	  /* static groups */
	uint64_t unit_pages;	  /* dynamic groups */
	uint64_t present_movable; /* online in ZONE_MOVABLE, full blocks */
	uint64_t present_kernel;  /* online in any other zone */
};

/* Everything a decision may read. nodes[] is indexed by nid. */
struct mh_policy_view {
	const struct mh_policy_config *cfg;
	const struct mh_zone_totals *nodes;
	size_t nr_nodes;
	const struct mh_group_stats *groups;
	size_t nr_groups;
};

/* One block of a multi-block dynamic unit, ascending order. */
struct mh_unit_block {
	bool online;
	bool movable; /* zone of an online block is ZONE_MOVABLE */
};

struct mh_block_request {
	int nid; /* the block's node (never -1: wait for the nodeN link) */
	ssize_t group; /* index into view->groups, -1: ungrouped */
	uint64_t start_pfn;
	uint64_t nr_pages; /* one memory block */
	/*
	 * Dynamic groups whose unit_pages > nr_pages: the blocks of the
	 * naturally aligned unit containing start_pfn, ascending, unit_len ==
	 * unit_pages / nr_pages.  Ignored otherwise.
	 */
	const struct mh_unit_block *unit;
	size_t unit_len;
	/* contig-zones only: does the node's kernel / Movable zone span
	 * intersect [start_pfn, start_pfn + nr_pages)? */
	bool kernel_span_intersects;
	bool movable_span_intersects;
};

enum mh_target {
	MH_TARGET_MOVABLE = 0,
	MH_TARGET_KERNEL,
};

enum mh_reason {
	MH_REASON_FITS = 0,	     /* auto-movable: ratio checks passed */
	MH_REASON_RATIO_ZERO,	     /* auto_movable_ratio == 0 */
	MH_REASON_STATIC_HAS_KERNEL, /* static group already has kernel memory
				      */
	MH_REASON_UNIT_HAS_KERNEL,   /* unit already has kernel-zone memory */
	MH_REASON_GLOBAL_NO_EARLY,   /* global: KE <= requirement of others */
	MH_REASON_GLOBAL_RATIO,	     /* global: MOVABLE would exceed ratio */
	MH_REASON_NODE_NO_EARLY,     /* node: KE <= requirement of others */
	MH_REASON_NODE_RATIO,	     /* node: MOVABLE would exceed ratio */
	MH_REASON_POLICY_MOVABLE,    /* policy "movable" */
	MH_REASON_POLICY_KERNEL,     /* policy "kernel" */
	MH_REASON_CONTIG_IN_KERNEL,  /* contig-zones: only the kernel zone spans
					it */
	MH_REASON_CONTIG_IN_MOVABLE, /* contig-zones: only Movable spans it */
	MH_REASON_CONTIG_DEFAULT,    /* contig-zones: none/both: kernel zone */
	MH_REASON_CONTIG_MOVABLE_NODE, /* contig-zones: none/both with
					  movable_node */
};
/* A stable machine-readable name: "fits", "ratio-zero", ... */
const char *mh_reason_name(enum mh_reason r);

/* One auto_movable_can_online_movable() evaluation, with its inputs. */
struct mh_ratio_check {
	bool evaluated;
	bool pass;
	int nid;	       /* -1: the global (NUMA_NO_NODE) check */
	uint64_t kernel_early; /* S.kernel_early */
	uint64_t movable;      /* S.movable */
	uint64_t requirement;  /* REQ: early KERNEL other dynamic groups need */
	uint64_t group_movable; /* GMV: other dynamic groups' MOVABLE */
	uint64_t own_kernel;	/* credit: own dynamic group's KERNEL */
	uint64_t nr_pages;	/* rest: pages asked for */
	uint64_t kernel_after;	/* KE - REQ + own_kernel (0 if KE <= REQ) */
	uint64_t movable_after; /* MV - GMV + nr */
	uint64_t limit;		/* ratio * kernel_after / 100 */
};

struct mh_decision {
	enum mh_target target;
	enum mh_reason reason;
	enum mh_online_policy policy;
	unsigned int ratio;
	uint64_t max_pages;    /* static max / unit / one block */
	uint64_t online_pages; /* already online MOVABLE of group or unit */
	uint64_t rest_pages;   /* max - online: what must fit */
	struct mh_ratio_check global;
	struct mh_ratio_check node;
};

/* The decision for one offline block. Pure; never fails. */
void mh_policy_decide(const struct mh_policy_view *view,
		      const struct mh_block_request *req,
		      struct mh_decision *out);

/*
 * auto_movable_can_online_movable(nid, group, nr_pages); nid -1 = global.
 * group -1 = none.  Fills *chk (may be NULL).
 */
bool mh_policy_can_online_movable(const struct mh_policy_view *view, int nid,
				  ssize_t group, uint64_t nr_pages,
				  struct mh_ratio_check *chk);

/*
 * One line explaining the decision with the numbers used, e.g.
 * "movable: fits: node0 MOVABLE 1572864+32768 <= 301% of KERNEL_EARLY
 * 1048446 = 3155822 ...".  snprintf semantics; returns the length.
 */
int mh_decision_explain(const struct mh_decision *d, uint64_t page_size,
			char *buf, size_t len);

#endif
