/* SPDX-License-Identifier: MIT */
/*
 * The daemon's replies on the control socket, as json-c objects, built
 * from the inventory, the configuration and a read-only view of the
 * daemon (struct mh_report_view, filled by daemon-control.c).  No I/O.
 * memhotctl renders them as text (render.h).  doc/control-protocol.md
 * documents every key; sizes are bytes, decision numbers pages
 * ("*_pages").
 */
#ifndef MEMHOTD_REPORT_H
#define MEMHOTD_REPORT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "memhotd/config.h"
#include "memhotd/format.h"
#include "memhotd/inventory.h"
#include "memhotd/listing.h"
#include "memhotd/plan.h"

struct mh_counters;	 /* outcome.h */
struct mh_kernel;	 /* kernel.h */
struct mh_balloon_state; /* facts.h */

/*
 * What the replies show of the daemon besides its inventory; every
 * pointer is the daemon's own, read only while a reply is built.  A NULL
 * view: no daemon (decisions unknown, "daemon" null).
 */
struct mh_report_view {
	const struct mh_sched *sched;
	const struct mh_counters *counters;
	const struct mh_kernel *kernel;
	const struct mh_balloon_state *balloon;
	const char *config_path;
	const char (*competitors)[256];
	size_t nr_competitors;
	uint64_t start_usec; /* CLOCK_MONOTONIC at start */
	bool dry_run;
	bool guard_episode;
};

/*
 * GetStatus: "daemon" (null without a view), "nodes", "devices",
 * "totals".  now_usec: CLOCK_MONOTONIC now, for the uptime.
 */
json_object *mh_report_status(const struct mh_inventory *inv,
			      const struct mh_config *cfg,
			      const struct mh_report_view *v,
			      uint64_t now_usec);

/* ListBlocks: mh_listing_blocks with the view's scheduler. */
json_object *mh_report_blocks(const struct mh_inventory *inv,
			      const struct mh_report_view *v);

/*
 * Explain: block, its decision (recorded, or computed now for an offline
 * block) with every number the policy used.  NULL if the block does not
 * exist.
 */
json_object *mh_report_explain(const struct mh_inventory *inv,
			       const struct mh_config *cfg,
			       const struct mh_report_view *v, uint64_t block);

/*
 * Plan: mh_plan_run (plan.h) on the inventory, as JSON: each step with
 * its block and decision, "nodes_after", "totals".  The inventory is not
 * touched.
 */
json_object *mh_report_plan(const struct mh_inventory *inv,
			    const struct mh_config *cfg,
			    const struct mh_report_view *v);
/* The plan with hypothetical plugs after the offline blocks (plan.h,
 * mh_plan_add).  NULL if an add cannot be placed: *bad_add is then its
 * index and *bad_errno why (-ENOENT, -EINVAL, -ENOSPC). */
json_object *mh_report_plan_adds(const struct mh_inventory *inv,
				 const struct mh_config *cfg,
				 const struct mh_report_view *v,
				 const struct mh_plan_add *adds, size_t nr_adds,
				 ssize_t *bad_add, int *bad_errno);

/*
 * How many more pages could go MOVABLE now as ungrouped memory on node nid
 * (the global check, and the node check if numa_aware), computed with
 * mh_policy_can_online_movable.  false if the policy is not auto-movable
 * (no limit).
 */
bool mh_report_movable_headroom(const struct mh_inventory *inv,
				const struct mh_policy_config *cfg, int nid,
				uint64_t *pages);

#endif
