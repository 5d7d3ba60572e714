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

#include "memhotd/rules.h"

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
/* 0 and *out set, or -EINVAL for an unknown name. */
int mh_policy_from_name(const char *s, enum mh_online_policy *out);

/* [policy] balloon_without_compaction */
enum mh_balloon_mode {
	MH_BALLOON_WARN = 0, /* keep the decision, warn in every MOVABLE one */
	MH_BALLOON_KERNEL,   /* no MOVABLE while such a balloon is active */
};
/* "warn", "kernel"; from_name: 0 and *out set, or -EINVAL. */
const char *mh_balloon_mode_name(enum mh_balloon_mode m);
int mh_balloon_mode_from_name(const char *s, enum mh_balloon_mode *out);

/* The page size the byte sizes below are converted with when page_size is 0.
 */
#define MH_POLICY_DEFAULT_PAGE_SIZE 4096ULL

struct mh_policy_config {
	enum mh_online_policy policy;
	unsigned int ratio; /* auto_movable_ratio, percent (301) */
	bool numa_aware;    /* auto_movable_numa_aware */
	bool movable_node;  /* contig-zones only: the kernel's movable_node */
	/*
	 * Beyond the kernel (doc/policy.md 9).  All zero (the default) keeps
	 * every decision identical to the kernel's.
	 */
	uint64_t kernel_reserve;      /* bytes of each node's KERNEL_EARLY not
					 counted (9.1); 0: off */
	uint64_t kernel_free_min;     /* [guard] bytes (9.3); 0: off */
	enum mh_balloon_mode balloon; /* balloon_without_compaction (9.4) */
	uint64_t page_size; /* bytes per page for the sizes above; 0: 4096 */
	struct mh_rule_table rules; /* [rule NAME] in file order (9.2) */
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
	/*
	 * Beyond the kernel (doc/policy.md 9).  A zeroed request means: memory
	 * of no device, guard and balloon facts unknown.
	 */
	enum mh_dev_type dev_type;	    /* rules: the block's device type */
	const char *dev_name;		    /* rules: its name, NULL for none */
	const struct mh_guard_facts *guard; /* NULL: not measured */
	const struct mh_balloon_facts *balloon; /* NULL: no balloon known */
};

/*
 * [guard] (doc/policy.md 9.3): measured by the caller for this decision,
 * fresh from /proc/zoneinfo: the sum of "pages free" over the populated
 * kernel zones (DMA, DMA32, Normal) of the block's node, in bytes.
 */
struct mh_guard_facts {
	uint64_t kernel_free_bytes;
};

/*
 * Balloon (doc/policy.md 9.4): the state of the guest's memory balloon, as
 * the caller found it (start-up and every sweep).
 */
struct mh_balloon_facts {
	bool active;	    /* a balloon driver is bound to a device */
	bool compaction;    /* its inflated pages can migrate (movable) */
	const char *driver; /* "virtio_balloon", "hv_balloon", ... or NULL */
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
	/* Beyond the kernel (doc/policy.md 9) */
	MH_REASON_RULE_MOVABLE, /* a rule with zone = movable matched */
	MH_REASON_RULE_KERNEL,	/* a rule with zone = kernel matched */
	MH_REASON_GUARD,	/* kernel-zone free memory below the guard */
	MH_REASON_BALLOON,	/* balloon without compaction, mode kernel */
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
	/* [policy] kernel_reserve (doc/policy.md 9.1): kernel_early above is
	 * boot_kernel_early - reserved, summed over the nodes checked. */
	bool reserve_on;
	uint64_t boot_kernel_early; /* before the reserve */
	uint64_t reserved;	    /* pages the reserve took */
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
	/*
	 * Beyond the kernel (doc/policy.md 9); all zero when nothing applies.
	 * overridden: the guard or the balloon setting replaced the decision
	 * base_target/base_reason (what it would have been otherwise).
	 */
	bool overridden;
	enum mh_target base_target;
	enum mh_reason base_reason;
	uint64_t reserve_pages; /* kernel_reserve per node, pages; 0: off */
	bool rule_matched;
	enum mh_rule_zone rule_zone;
	char rule_name[MH_RULE_NAME_MAX];
	enum mh_dev_type dev_type; /* the device facts the rules saw */
	bool guard_on;		   /* kernel_free_min > 0 */
	bool guard_known;	   /* facts were passed */
	bool guard_low;		   /* kernel_free_bytes < kernel_free_min */
	uint64_t guard_free_bytes;
	uint64_t guard_min_bytes;
	bool balloon_risk; /* an active balloon without compaction */
	enum mh_balloon_mode balloon_mode;
	char balloon_driver[24];
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
 * Balloon facts (doc/policy.md 9.4), pure helpers for the caller:
 * whether /proc/vmstat text has a "balloon_migrate" line, which exists
 * exactly when the running kernel has balloon compaction; and whether a
 * balloon driver's inflated pages can migrate on such a kernel
 * (virtio_balloon and vmw_balloon use balloon compaction when the kernel
 * has it; hv_balloon and the Xen balloon never do; unknown drivers: no).
 */
bool mh_vmstat_has_balloon_compaction(const char *vmstat);
bool mh_balloon_driver_migrates(const char *driver, bool kernel_compaction);

/*
 * [policy] kernel_reserve: a node's KERNEL_EARLY as the ratio check uses
 * it, max(0, kernel_early - reserve), and the pages the reserve took
 * (*reserved, may be NULL).  For `memhotctl status`.
 */
uint64_t mh_policy_effective_kernel_early(const struct mh_policy_config *cfg,
					  uint64_t kernel_early,
					  uint64_t *reserved);
/* [policy] kernel_reserve in pages (0: off). */
uint64_t mh_policy_reserve_pages(const struct mh_policy_config *cfg);

/*
 * One line explaining the decision with the numbers used, e.g.
 * "movable: fits: node0 MOVABLE 1572864+32768 <= 301% of KERNEL_EARLY
 * 1048446 = 3155822 ...".  snprintf semantics; returns the length.
 */
int mh_decision_explain(const struct mh_decision *d, uint64_t page_size,
			char *buf, size_t len);

#endif
