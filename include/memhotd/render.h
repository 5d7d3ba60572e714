/* SPDX-License-Identifier: MIT */
/*
 * memhotctl's text output: status, blocks (lsmem-style table), explain and
 * plan, rendered from the JSON the daemon sends (report.h, listing.h).
 * Only the client links this.
 */
#ifndef MEMHOTD_RENDER_H
#define MEMHOTD_RENDER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

/* Text renderers: input as received over the control socket. */
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
