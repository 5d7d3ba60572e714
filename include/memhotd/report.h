/* SPDX-License-Identifier: MIT */
/*
 * What memhotctl shows, as json-c objects, and the text renderers.  Pure:
 * no I/O besides the FILE the renderers print to.  The daemon builds the
 * objects from its inventory and sends them over the control socket;
 * memhotctl renders what it received (or, for "blocks" without a daemon,
 * what it built from a local scan).  doc/control-protocol.md documents
 * every key; sizes are bytes, decision numbers pages ("*_pages").
 */
#ifndef MEMHOTD_REPORT_H
#define MEMHOTD_REPORT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "memhotd/config.h"
#include "memhotd/daemon.h"
#include "memhotd/inventory.h"
#include "memhotd/plan.h"

/*
 * GetStatus: "daemon" (d may be NULL: then null), "nodes", "devices",
 * "totals".  now_usec: CLOCK_MONOTONIC now, for the uptime.
 */
json_object *mh_report_status(const struct mh_inventory *inv,
			      const struct mh_config *cfg,
			      const struct mh_daemon *d, uint64_t now_usec);

/*
 * ListBlocks: "memory" (one object per block, ascending), "totals".
 * d NULL: a local scan; "decisions_known" is then false and every
 * "decision" null.
 */
json_object *mh_report_blocks(const struct mh_inventory *inv,
			      const struct mh_config *cfg,
			      const struct mh_daemon *d);

/*
 * Explain: block, its decision (recorded, or computed now for an offline
 * block) with every number the policy used.  NULL and *missing if the block
 * does not exist.
 */
json_object *mh_report_explain(const struct mh_inventory *inv,
			       const struct mh_config *cfg,
			       const struct mh_daemon *d, uint64_t block);

/*
 * Plan: what memhotd would do with every offline block, device by device
 * (in ascending order of each device's first offline block), blocks
 * ascending, each decision made on COPIES of the node totals and group
 * statistics updated by the decisions before it.  The inventory is not
 * touched.
 */
json_object *mh_report_plan(const struct mh_inventory *inv,
			    const struct mh_config *cfg,
			    const struct mh_daemon *d);
/* The plan with hypothetical plugs after the offline blocks (plan.h,
 * mh_plan_add).  NULL if an add cannot be placed: *bad_add is then its
 * index and *bad_errno why (-ENOENT, -EINVAL, -ENOSPC). */
json_object *mh_report_plan_adds(const struct mh_inventory *inv,
				 const struct mh_config *cfg,
				 const struct mh_daemon *d,
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

/* "128M", "3.9G", "0B": IEC sizes as lsmem prints them. */
void mh_format_size(uint64_t bytes, char *buf, size_t len);
/* "memory48", "48" -> 48.  0 or -EINVAL. */
int mh_parse_block_arg(const char *s, uint64_t *id);

/* Text renderers: input as returned by the functions above. */
struct mh_render_opts {
	bool bytes; /* raw byte counts instead of IEC sizes */
	bool noheadings;
	bool raw;	     /* blank-separated, unaligned */
	bool all;	     /* blocks: one line per block, no merging */
	const char *columns; /* blocks: "RANGE,SIZE,..." or "+COL" */
};

int mh_render_status(FILE *out, json_object *status,
		     const struct mh_render_opts *o);
/* -EINVAL (message on err) for an unknown column. */
int mh_render_blocks(FILE *out, FILE *err, json_object *blocks,
		     const struct mh_render_opts *o);
int mh_render_explain(FILE *out, json_object *explain,
		      const struct mh_render_opts *o);
int mh_render_plan(FILE *out, json_object *plan,
		   const struct mh_render_opts *o);
/* The column names and help lines, for --help. */
void mh_render_blocks_columns_help(FILE *out);

#endif
