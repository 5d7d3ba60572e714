/* SPDX-License-Identifier: MIT */
/*
 * memhotctl's text renderers (render.h): tables and prose from the JSON
 * replies.  Reads nothing but the objects it is given.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "memhotd/format.h"
#include "memhotd/render.h"
#include "memhotd/util.h"

/* ---- text tables -------------------------------------------------------- */

struct table {
	size_t ncols;
	const char *const *heads;
	const bool *right;
	char **cells;	   /* nrows * ncols */
	size_t nrows, cap; /* cap: cells */
};

/*
 * Allocation failures: table_row, cell and table_print note one here; each
 * public renderer clears it first and then answers -ENOMEM, so a table
 * with a lost row or cell is never taken for the whole answer.  memhotctl
 * is single-threaded.
 */
static bool render_oom;

static int render_done(int r)
{
	if (r == 0 && render_oom)
		r = -ENOMEM;
	render_oom = false;
	return r;
}

static char **table_row(struct table *t)
{
	if (MH_GROW(t->cells, t->cap, (t->nrows + 1) * t->ncols) < 0) {
		render_oom = true;
		return NULL;
	}
	memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof(char *));
	return &t->cells[t->nrows++ * t->ncols];
}

static void cell(char **row, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cell(char **row, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(row[col]);
	if (vasprintf(&row[col], fmt, ap) < 0) {
		row[col] = NULL;
		render_oom = true;
	}
	va_end(ap);
}

static void table_print(FILE *out, const struct table *t,
			const struct mh_render_opts *o)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	if (!w) {
		render_oom = true;
		return;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = o->noheadings ? 0 : strlen(t->heads[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t n = s ? strlen(s) : 1;

			if (n > w[c])
				w[c] = n;
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		if (r == 0 && o->noheadings)
			continue;
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s =
				r == 0 ? t->heads[c]
				       : t->cells[(r - 1) * t->ncols + c];
			bool last = c + 1 == t->ncols;

			if (!s)
				s = "-";
			if (o->raw)
				fprintf(out, "%s%s", s, last ? "" : " ");
			else if (t->right[c])
				fprintf(out, "%*s%s", (int)w[c], s,
					last ? "" : " ");
			else if (last)
				fprintf(out, "%s", s);
			else
				fprintf(out, "%-*s ", (int)w[c], s);
		}
		fputc('\n', out);
	}
	free(w);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* ---- json accessors ----------------------------------------------------- */

static json_object *jget(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static bool jnull(json_object *o, const char *k)
{
	return jget(o, k) == NULL;
}

static uint64_t ju64(json_object *o, const char *k)
{
	json_object *v = jget(o, k);

	return v ? json_object_get_uint64(v) : 0;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	const char *s = v ? json_object_get_string(v) : NULL;

	return s ? s : "-";
}

static void size_str(const struct mh_render_opts *o, uint64_t v, char *buf,
		     size_t len)
{
	if (o->bytes)
		snprintf(buf, len, "%" PRIu64, v);
	else
		mh_format_size(v, buf, len);
}

/* Size of key k of object j, "-" when null. */
static void size_cell(char **row, size_t col, const struct mh_render_opts *o,
		      json_object *j, const char *k)
{
	char buf[32];

	if (jnull(j, k)) {
		cell(row, col, "-");
		return;
	}
	size_str(o, ju64(j, k), buf, sizeof(buf));
	cell(row, col, "%s", buf);
}

/* ---- status text -------------------------------------------------------- */

static void uptime_str(uint64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 "h", s / 86400,
			 s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h %02" PRIu64 "min", s / 3600,
			 s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "min %02" PRIu64 "s", s / 60,
			 s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
}

/* The kernel lines of status: mode, kernel facts, cross-check, the
 * blocks the kernel onlined itself, poisoned blocks. */
static void render_kernel(FILE *out, json_object *st)
{
	json_object *k = jget(st, "kernel"), *cc = jget(st, "cross_check");
	json_object *arr = jget(st, "kernel_onlined"),
		    *p = jget(st, "poisoned");
	size_t n;

	if (!k)
		return;
	fprintf(out,
		"kernel %s: mode %s; auto-movable policy %s%s; "
		"auto_online_blocks %s",
		jstr(k, "release")[0] ? jstr(k, "release") : "(unknown)",
		jstr(st, "mode"),
		json_object_get_boolean(jget(k, "has_policy")) ? "present"
							       : "absent",
		json_object_get_boolean(jget(k, "mirrored")) ? " (mirrored)"
							     : "",
		jstr(k, "auto_online_blocks")[0] ? jstr(k, "auto_online_blocks")
						 : "(absent)");
	if (strcmp(jstr(k, "auto_online_blocks"),
		   jstr(k, "auto_online_blocks_at_start")))
		fprintf(out, " (was %s at start-up)",
			jstr(k, "auto_online_blocks_at_start"));
	fputc('\n', out);
	if (cc && json_object_get_boolean(jget(cc, "active")))
		fprintf(out,
			"cross-check with the kernel: %" PRIu64
			" agreements, %" PRIu64 " disagreements\n",
			ju64(cc, "agreements"), ju64(cc, "disagreements"));
	n = arr ? json_object_array_length(arr) : 0;
	if (n) {
		fprintf(out,
			"onlined by the kernel before memhotd could "
			"decide (%zu):",
			n);
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(arr, i);

			fprintf(out, " memory%" PRIu64 ":%s", ju64(e, "block"),
				jstr(e, "zone"));
			if (!jnull(e, "agrees") &&
			    !json_object_get_boolean(jget(e, "agrees")))
				fprintf(out, "(memhotd: %s)",
					jstr(e, "memhotd_zone"));
		}
		fputc('\n', out);
	}
	n = p ? json_object_array_length(p) : 0;
	if (n) {
		fprintf(out, "hardware-poisoned, left offline:");
		for (size_t i = 0; i < n; i++)
			fprintf(out, " memory%" PRIu64,
				(uint64_t)json_object_get_uint64(
					json_object_array_get_idx(p, i)));
		fputc('\n', out);
	}
}

/* The guard and the balloon, when they matter (doc/policy.md 9). */
static void render_beyond(FILE *out, json_object *dm,
			  const struct mh_render_opts *o)
{
	json_object *b = jget(dm, "balloon");
	char sz[32];

	if (ju64(dm, "kernel_free_min")) {
		size_str(o, ju64(dm, "kernel_free_min"), sz, sizeof(sz));
		fprintf(out, "guard: kernel_free_min %s%s\n", sz,
			json_object_get_boolean(jget(dm, "guard_episode"))
				? "; kernel-zone free memory is below it now: "
				  "hot-added memory goes to kernel zones"
				: "");
	}
	if (b && json_object_get_boolean(jget(b, "active")))
		fprintf(out, "balloon: %s bound, %s%s\n", jstr(b, "driver"),
			json_object_get_boolean(jget(b, "movable_risk"))
				? "WITHOUT balloon compaction: MOVABLE memory "
				  "is a bad idea; balloon_without_compaction = "
				: "balloon compaction: its pages can migrate",
			json_object_get_boolean(jget(b, "movable_risk"))
				? jstr(b, "mode")
				: "");
}

/* One row of the node table: a node's, or (all) the totals'. */
static void node_row(struct table *t, const struct mh_render_opts *o,
		     json_object *n, bool all)
{
	static const char *const sizes[] = {"kernel_early", "hotplugged_kernel",
					    "movable", "cma", "ratio_limit"};
	char **row = table_row(t);

	if (!row)
		return;
	if (all)
		cell(row, 0, "all");
	else
		cell(row, 0, "%" PRIu64, ju64(n, "node"));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		size_cell(row, 1 + i, o, n, sizes[i]);
	if (jnull(n, "movable_percent"))
		cell(row, 6, "-");
	else
		cell(row, 6, "%.0f%%",
		     json_object_get_double(jget(n, "movable_percent")));
	size_cell(row, 7, o, n, "movable_headroom");
	cell(row, 8, "%" PRIu64, ju64(n, "total_memblocks"));
	cell(row, 9, "%" PRIu64, ju64(n, "online_memblocks"));
	cell(row, 10, "%" PRIu64, ju64(n, "offline_memblocks"));
	if (t->ncols > 11) {
		/* reserved per node only: the totals have no one value */
		if (all)
			cell(row, 11, "-");
		else
			size_cell(row, 11, o, n, "kernel_early_reserved");
		size_cell(row, 12, o, n, "kernel_early_effective");
	}
}

static int render_status(FILE *out, json_object *st,
			 const struct mh_render_opts *o)
{
	/* RESERVE and EFFECTIVE only with [policy] kernel_reserve, RULE
	 * only when a [rule] matches a device (doc/policy.md 9). */
	static const char *const nh[] = {
		"NODE",	   "BOOT-KERNEL", "HOT-KERNEL", "MOVABLE", "CMA",
		"LIMIT",   "USED",	  "HEADROOM",	"BLOCKS",  "ONLINE",
		"OFFLINE", "RESERVE",	  "EFFECTIVE"};
	static const bool nr[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	static const char *const dh[] = {
		"DEVICE", "TYPE",    "NODE",   "UNIT",	  "SIZE", "BLOCKS",
		"ONLINE", "MOVABLE", "KERNEL", "OFFLINE", "RULE"};
	static const bool dr[] = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0};
	struct table nt = {.ncols = 11, .heads = nh, .right = nr};
	struct table dt = {.ncols = 10, .heads = dh, .right = dr};
	json_object *dm = jget(st, "daemon"), *arr, *tot = jget(st, "totals");
	char up[32];

	arr = jget(st, "nodes");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		if (ju64(json_object_array_get_idx(arr, i), "kernel_reserve"))
			nt.ncols = 13;
	arr = jget(st, "devices");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		if (!jnull(json_object_array_get_idx(arr, i), "rule"))
			dt.ncols = 11;

	if (dm) {
		json_object *comp = jget(dm, "competitors");

		uptime_str(ju64(dm, "uptime_sec"), up, sizeof(up));
		fprintf(out, "memhotd %s: running for %s, pid %" PRIu64 "%s\n",
			jstr(dm, "version"), up, ju64(dm, "pid"),
			json_object_get_boolean(jget(dm, "dry_run"))
				? " (dry run: writes nothing)"
				: "");
		fprintf(out, "policy: %s", jstr(dm, "policy"));
		if (strcmp(jstr(dm, "policy"), "auto-movable") == 0)
			fprintf(out, ", ratio %" PRIu64 "%%, %s",
				ju64(dm, "auto_movable_ratio"),
				json_object_get_boolean(
					jget(dm, "auto_movable_numa_aware"))
					? "per node and global"
					: "global only");
		fprintf(out, "; config %s", jstr(dm, "config_file"));
		if (!jnull(dm, "control_group"))
			fprintf(out, ", control group %s",
				jstr(dm, "control_group"));
		fputc('\n', out);
		fprintf(out,
			"blocks: %" PRIu64 " onlined (%" PRIu64
			" Movable, %" PRIu64 " kernel), %" PRIu64
			" failed, %" PRIu64 " pending; %" PRIu64
			" lost races, %" PRIu64 " competitors detected\n",
			ju64(dm, "blocks_onlined"),
			ju64(dm, "blocks_onlined_movable"),
			ju64(dm, "blocks_onlined_kernel"),
			ju64(dm, "blocks_failed"), ju64(dm, "blocks_pending"),
			ju64(dm, "lost_races"),
			ju64(dm, "competitors_detected"));
		for (size_t i = 0; comp && i < json_object_array_length(comp);
		     i++)
			fprintf(out, "  competitor: %s\n",
				json_object_get_string(
					json_object_array_get_idx(comp, i)));
		render_beyond(out, dm, o);
		render_kernel(out, st);
		fputc('\n', out);
	}

	arr = jget(st, "nodes");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		node_row(&nt, o, json_object_array_get_idx(arr, i), false);
	if (tot && arr && json_object_array_length(arr) > 1)
		node_row(&nt, o, tot, true);
	table_print(out, &nt, o);
	table_free(&nt);
	fputc('\n', out);

	arr = jget(st, "devices");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *dv = json_object_array_get_idx(arr, i);
		const char *type = jstr(dv, "type");
		char **row = table_row(&dt);

		if (!row)
			break;
		cell(row, 0, "%s", jnull(dv, "name") ? "-" : jstr(dv, "name"));
		cell(row, 1, "%s", strcmp(type, "dimm") == 0 ? "DIMM" : type);
		if (jnull(dv, "target_node"))
			cell(row, 2, "-");
		else
			cell(row, 2, "%" PRIu64, ju64(dv, "target_node"));
		size_cell(row, 3, o, dv, "unit_size");
		size_cell(row, 4, o, dv, "size");
		cell(row, 5, "%" PRIu64, ju64(dv, "total_memblocks"));
		cell(row, 6, "%" PRIu64, ju64(dv, "online_memblocks"));
		cell(row, 7, "%" PRIu64, ju64(dv, "movable_memblocks"));
		cell(row, 8, "%" PRIu64, ju64(dv, "kernel_memblocks"));
		cell(row, 9, "%" PRIu64, ju64(dv, "offline_memblocks"));
		if (dt.ncols > 10) {
			if (jnull(dv, "rule"))
				cell(row, 10, "-");
			else
				cell(row, 10, "%s (%s)", jstr(dv, "rule"),
				     jstr(dv, "rule_zone"));
		}
	}
	table_print(out, &dt, o);
	table_free(&dt);
	return 0;
}

/* ---- blocks text -------------------------------------------------------- */

enum bcol {
	C_RANGE,
	C_SIZE,
	C_STATE,
	C_ZONE,
	C_NODE,
	C_DEVICE,
	C_TYPE,
	C_BLOCK,
	C_DECISION,
	C_REASON,
	C_BY,
	C_HOTPLUGGED,
	C_NR
};

static const struct {
	const char *name;
	bool right;
	const char *help;
} bcols[C_NR] = {
	[C_RANGE] = {"RANGE", false, "start and end address of the range"},
	[C_SIZE] = {"SIZE", true, "size of the range"},
	[C_STATE] = {"STATE", false, "online, offline or going-offline"},
	[C_ZONE] = {"ZONE", false,
		    "zone of online memory (Movable, Normal, "
		    "DMA32, DMA, none)"},
	[C_NODE] = {"NODE", true, "NUMA node"},
	[C_DEVICE] = {"DEVICE", false,
		      "owning device (virtioN, PNP0C80:NN, "
		      "daxX.Y)"},
	[C_TYPE] = {"TYPE", false,
		    "device type: virtio-mem, dimm, dax, none "
		    "(hotplugged, no device), boot"},
	[C_BLOCK] = {"BLOCK", true, "memory block number or range"},
	[C_DECISION] = {"DECISION", false,
			"zone memhotd chose: movable, "
			"kernel; pending; - none; ? "
			"unknown (no daemon)"},
	[C_REASON] = {"REASON", false, "why (see memhotctl explain)"},
	[C_BY] = {"BY", false,
		  "who onlined it: boot, memhotd, other, "
		  "unknown"},
	[C_HOTPLUGGED] = {"HOTPLUGGED", false,
			  "yes for hot-added memory, no "
			  "for boot memory"},
};

static const enum bcol default_cols[] = {C_RANGE, C_SIZE,    C_STATE,
					 C_ZONE,  C_NODE,    C_DEVICE,
					 C_BLOCK, C_DECISION};

void mh_render_blocks_columns_help(FILE *out)
{
	for (int i = 0; i < C_NR; i++)
		fprintf(out, " %10s  %s\n", bcols[i].name, bcols[i].help);
}

static int parse_columns(const char *spec, enum bcol *cols, size_t *n,
			 FILE *err)
{
	char *dup, *save = NULL, *tok;
	size_t k = 0;

	if (!spec || spec[0] == '+') {
		memcpy(cols, default_cols, sizeof(default_cols));
		k = sizeof(default_cols) / sizeof(default_cols[0]);
		if (!spec) {
			*n = k;
			return 0;
		}
		spec++;
	}
	dup = strdup(spec);
	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < C_NR; i++)
			if (strcasecmp(tok, bcols[i].name) == 0)
				break;
		if (i == C_NR) {
			if (err)
				fprintf(err, "unknown column: %s\n", tok);
			free(dup);
			return -EINVAL;
		}
		if (k < 64)
			cols[k++] = (enum bcol)i;
	}
	free(dup);
	if (!k) {
		if (err)
			fprintf(err, "no columns selected\n");
		return -EINVAL;
	}
	*n = k;
	return 0;
}

/* The text of column c for block m (RANGE, SIZE and BLOCK: per range). */
static void block_cell(char **row, size_t col, enum bcol c, json_object *m,
		       bool known)
{
	json_object *dec = jget(m, "decision");

	switch (c) {
	case C_STATE:
		cell(row, col, "%s", jstr(m, "state"));
		break;
	case C_ZONE:
		cell(row, col, "%s", jnull(m, "zone") ? "-" : jstr(m, "zone"));
		break;
	case C_NODE:
		if (jnull(m, "node"))
			cell(row, col, "-");
		else
			cell(row, col, "%" PRIu64, ju64(m, "node"));
		break;
	case C_DEVICE:
		cell(row, col, "%s",
		     jnull(m, "device") ? "-" : jstr(m, "device"));
		break;
	case C_TYPE:
		cell(row, col, "%s", jstr(m, "device_type"));
		break;
	case C_DECISION:
		if (!known)
			cell(row, col, "?");
		else if (dec)
			cell(row, col, "%s", jstr(dec, "target"));
		else if (!jnull(m, "pending"))
			cell(row, col, "pending");
		else if (!jnull(m, "failed_errno"))
			cell(row, col, "%s",
			     ju64(m, "failed_errno") == EHWPOISON ? "poisoned"
								  : "failed");
		else
			cell(row, col, "-");
		break;
	case C_REASON:
		if (!known)
			cell(row, col, "?");
		else if (dec)
			cell(row, col, "%s", jstr(dec, "reason"));
		else if (!jnull(m, "pending"))
			cell(row, col, "%s", jstr(m, "pending"));
		else if (!jnull(m, "failed_errno"))
			cell(row, col, "%s",
			     strerrordesc_np((int)ju64(m, "failed_errno"))
				     ?: "error");
		else
			cell(row, col, "-");
		break;
	case C_BY:
		cell(row, col, "%s",
		     jnull(m, "onlined_by") ? "-" : jstr(m, "onlined_by"));
		break;
	case C_HOTPLUGGED:
		cell(row, col, "%s",
		     json_object_get_boolean(jget(m, "hotplugged")) ? "yes"
								    : "no");
		break;
	default:
		break;
	}
}

static bool is_range_col(enum bcol c)
{
	return c == C_RANGE || c == C_SIZE || c == C_BLOCK;
}

static int render_blocks(FILE *out, FILE *err, json_object *bl,
			 const struct mh_render_opts *o)
{
	enum bcol cols[64];
	const char *heads[64];
	bool right[64];
	size_t n = 0;
	struct table t = {0};
	json_object *mem = jget(bl, "memory"), *tot = jget(bl, "totals");
	bool known = json_object_get_boolean(jget(bl, "decisions_known"));
	size_t len = mem ? json_object_array_length(mem) : 0;
	char **cur = NULL;
	uint64_t first = 0, last = 0, start = 0, end = 0, size = 0;
	char buf[32];
	int r;

	r = parse_columns(o->columns, cols, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		heads[i] = bcols[cols[i]].name;
		right[i] = bcols[cols[i]].right;
	}
	t.ncols = n;
	t.heads = heads;
	t.right = right;

	for (size_t i = 0; i <= len; i++) {
		json_object *m =
			i < len ? json_object_array_get_idx(mem, i) : NULL;
		char **row = NULL;
		bool merge = false;

		if (m) {
			row = calloc(n, sizeof(char *));
			if (!row) {
				render_oom = true;
				break;
			}
			for (size_t c = 0; c < n; c++)
				if (!is_range_col(cols[c]))
					block_cell(row, c, cols[c], m, known);
			if (render_oom) { /* a cell is missing: no strcmp */
				for (size_t c = 0; c < n; c++)
					free(row[c]);
				free(row);
				break;
			}
			merge = cur && !o->all && ju64(m, "block") == last + 1;
			for (size_t c = 0; merge && c < n; c++)
				if (!is_range_col(cols[c]) &&
				    strcmp(row[c], cur[c]) != 0)
					merge = false;
		}
		if (merge) {
			last = ju64(m, "block");
			end = ju64(m, "end");
			size += ju64(m, "size");
			for (size_t c = 0; c < n; c++)
				free(row[c]);
			free(row);
			continue;
		}
		/* Close the current range. */
		if (cur) {
			for (size_t c = 0; c < n; c++) {
				if (cols[c] == C_RANGE)
					cell(cur, c,
					     "0x%016" PRIx64 "-0x%016" PRIx64,
					     start, end);
				else if (cols[c] == C_SIZE) {
					size_str(o, size, buf, sizeof(buf));
					cell(cur, c, "%s", buf);
				} else if (cols[c] == C_BLOCK) {
					if (first == last)
						cell(cur, c, "%" PRIu64, first);
					else
						cell(cur, c,
						     "%" PRIu64 "-%" PRIu64,
						     first, last);
				}
			}
		}
		if (!m)
			break;
		cur = table_row(&t);
		if (!cur) {
			for (size_t c = 0; c < n; c++)
				free(row[c]);
			free(row);
			break;
		}
		memcpy(cur, row, n * sizeof(char *));
		free(row);
		first = last = ju64(m, "block");
		start = ju64(m, "start");
		end = ju64(m, "end");
		size = ju64(m, "size");
	}
	table_print(out, &t, o);
	table_free(&t);

	if (!o->raw && !o->noheadings && tot) {
		fputc('\n', out);
		size_str(o, ju64(bl, "block_size"), buf, sizeof(buf));
		fprintf(out, "Memory block size:    %s\n", buf);
		size_str(o, ju64(tot, "online_size"), buf, sizeof(buf));
		fprintf(out, "Total online memory:  %s\n", buf);
		size_str(o, ju64(tot, "offline_size"), buf, sizeof(buf));
		fprintf(out, "Total offline memory: %s\n", buf);
	}
	return 0;
}

/* ---- explain text ------------------------------------------------------- */

static void check_row(struct table *t, const char *name, json_object *c)
{
	char **row = table_row(t);

	if (!row)
		return;
	cell(row, 0, "%s", name);
	cell(row, 1, "%" PRIu64, ju64(c, "kernel_early_pages"));
	cell(row, 2, "%" PRIu64, ju64(c, "requirement_pages"));
	cell(row, 3, "%" PRIu64, ju64(c, "own_kernel_pages"));
	cell(row, 4, "%" PRIu64, ju64(c, "kernel_after_pages"));
	cell(row, 5, "%" PRIu64, ju64(c, "movable_pages"));
	cell(row, 6, "%" PRIu64, ju64(c, "group_movable_pages"));
	cell(row, 7, "%" PRIu64, ju64(c, "nr_pages"));
	cell(row, 8, "%" PRIu64, ju64(c, "movable_after_pages"));
	cell(row, 9, "%" PRIu64, ju64(c, "limit_pages"));
	cell(row, 10, "%s",
	     json_object_get_boolean(jget(c, "pass")) ? "pass" : "FAIL");
}

/* Which beyond-the-kernel settings applied (doc/policy.md 9), one line
 * each; nothing for a decision of the kernel's policy alone. */
static void print_beyond(FILE *out, json_object *dec,
			 const struct mh_render_opts *o)
{
	json_object *x;
	char a[32], b[32];

	if ((x = jget(dec, "rule")))
		fprintf(out, "  rule: \"%s\" matched, zone = %s\n",
			jstr(x, "name"), jstr(x, "zone"));
	if (!jnull(dec, "kernel_reserve_pages"))
		fprintf(out,
			"  kernel_reserve: %" PRIu64
			" pages of each node's KERNEL_EARLY not counted\n",
			ju64(dec, "kernel_reserve_pages"));
	if ((x = jget(dec, "guard"))) {
		size_str(o, ju64(x, "kernel_free_min_bytes"), b, sizeof(b));
		if (json_object_get_boolean(jget(x, "measured"))) {
			size_str(o, ju64(x, "kernel_free_bytes"), a, sizeof(a));
			fprintf(out,
				"  guard: kernel-zone free memory %s %s "
				"kernel_free_min %s\n",
				a,
				json_object_get_boolean(jget(x, "low")) ? "<"
									: ">=",
				b);
		} else {
			fprintf(out,
				"  guard: kernel_free_min %s; free memory not "
				"measured for this decision\n",
				b);
		}
	}
	if ((x = jget(dec, "balloon_without_compaction")))
		fprintf(out,
			"  balloon: %s without balloon compaction, "
			"balloon_without_compaction = %s\n",
			jstr(x, "driver"), jstr(x, "mode"));
}

/* The page size the numbers count in: the block's bytes over its pages
 * (the reply names no page size), else this system's. */
static unsigned long long page_size(json_object *dec, uint64_t block_bytes)
{
	json_object *g = jget(dec, "global") ?: jget(dec, "node");
	uint64_t n = ju64(g, "nr_pages");

	if (n && block_bytes && block_bytes % n == 0)
		return block_bytes / n;
	return (unsigned long long)sysconf(_SC_PAGESIZE);
}

static void print_decision(FILE *out, json_object *dec, uint64_t block_bytes,
			   const struct mh_render_opts *o)
{
	static const char *const h[] = {
		"CHECK",    "KERNEL_EARLY", "-REQUIRED", "+OWN_KERNEL",
		"=KERNEL",  "MOVABLE",	    "-OTHERS",	 "+REST",
		"=MOVABLE", "LIMIT",	    "RESULT"};
	static const bool r[] = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
	struct table t = {.ncols = 11, .heads = h, .right = r};
	json_object *g = jget(dec, "global"), *n = jget(dec, "node");
	struct mh_render_opts to = *o;

	fprintf(out, "  %s\n", jstr(dec, "explanation"));
	print_beyond(out, dec, o);
	if (!g && !n)
		return;
	fprintf(out,
		"\n  policy %s, ratio %" PRIu64 "%%; max %" PRIu64
		" pages, %" PRIu64 " online Movable, rest %" PRIu64
		" pages; all numbers in pages of %llu bytes\n\n",
		jstr(dec, "policy"), ju64(dec, "ratio"), ju64(dec, "max_pages"),
		ju64(dec, "online_pages"), ju64(dec, "rest_pages"),
		page_size(dec, block_bytes));
	if (g)
		check_row(&t, "global", g);
	if (n) {
		char name[32];

		snprintf(name, sizeof(name), "node%" PRIu64, ju64(n, "node"));
		check_row(&t, name, n);
	}
	to.noheadings = false;
	fputs("  ", out);
	{
		/* indent the table by two spaces */
		char *text = NULL;
		size_t tl = 0;
		FILE *mem = open_memstream(&text, &tl);

		if (mem) {
			table_print(mem, &t, &to);
			if (fclose(mem) != 0)
				render_oom = true;
			for (char *p = text; p && *p; p++) {
				fputc(*p, out);
				if (*p == '\n' && p[1])
					fputs("  ", out);
			}
			free(text);
		} else
			render_oom = true;
	}
	table_free(&t);
	fprintf(out, "  (LIMIT = ratio x KERNEL / 100; MOVABLE must stay <= "
		     "LIMIT)\n");
}

static int render_explain(FILE *out, json_object *ex,
			  const struct mh_render_opts *o)
{
	json_object *b = jget(ex, "block"), *dec = jget(ex, "decision");
	const char *src = jstr(ex, "decision_source");
	char size[32];

	size_str(o, ju64(b, "size"), size, sizeof(size));
	fprintf(out, "%s: %s", jstr(b, "name"), jstr(b, "state"));
	if (!jnull(b, "zone"))
		fprintf(out, " %s", jstr(b, "zone"));
	if (!jnull(b, "node"))
		fprintf(out, ", node %" PRIu64, ju64(b, "node"));
	else
		fprintf(out, ", no node yet");
	if (!jnull(b, "device"))
		fprintf(out, ", %s (%s)", jstr(b, "device"),
			jstr(b, "device_type"));
	else
		fprintf(out, ", %s", jstr(b, "device_type"));
	fprintf(out, ", %s at 0x%" PRIx64 ", %s", size, ju64(b, "start"),
		json_object_get_boolean(jget(b, "hotplugged")) ? "hotplugged"
							       : "boot memory");
	if (!jnull(b, "onlined_by"))
		fprintf(out, ", onlined by %s", jstr(b, "onlined_by"));
	fputc('\n', out);
	if (!jnull(b, "pending"))
		fprintf(out, "pending: %s\n", jstr(b, "pending"));
	if (!jnull(b, "failed_errno"))
		fprintf(out, "failed: %s\n",
			strerrordesc_np((int)ju64(b, "failed_errno")) ?: "?");
	if (dec) {
		fprintf(out, "decision (%s): %s, reason %s\n", src,
			strcmp(jstr(dec, "target"), "movable") == 0
				? "ZONE_MOVABLE"
				: "a kernel zone",
			jstr(dec, "reason"));
		if (strcmp(src, "recorded-brief") != 0)
			print_decision(out, dec, ju64(b, "size"), o);
	} else {
		fprintf(out, "decision: none\n");
	}
	if (jstr(ex, "note") && *jstr(ex, "note"))
		fprintf(out, "note: %s\n", jstr(ex, "note"));
	return 0;
}

/* ---- plan text ---------------------------------------------------------- */

/* The layout per device and the MOVABLE budget left per node after the
 * plan (printed only when hypothetical plugs were asked for). */
static void render_plan_after(FILE *out, json_object *pl,
			      const struct mh_render_opts *o)
{
	json_object *devs = jget(pl, "devices_after"),
		    *nodes = jget(pl, "nodes_after"), *mem = jget(pl, "memory");
	bool any = false;
	char buf[64];

	for (size_t i = 0; mem && i < json_object_array_length(mem); i++)
		any = any || json_object_get_boolean(
				     jget(json_object_array_get_idx(mem, i),
					  "hypothetical"));
	if (!any || o->raw)
		return;
	fprintf(out,
		"\nLayout after the plan (with the hypothetical plugs):\n");
	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i),
			    *r = jget(d, "ranges");

		fprintf(out, "  %s (%s, node %" PRIu64 "%s):", jstr(d, "name"),
			jstr(d, "type"), ju64(d, "node"),
			json_object_get_boolean(jget(d, "hypothetical"))
				? ", new"
				: "");
		for (size_t k = 0; r && k < json_object_array_length(r); k++) {
			json_object *x = json_object_array_get_idx(r, k);

			fprintf(out, "%s memory%" PRIu64, k ? "," : "",
				ju64(x, "first"));
			if (ju64(x, "last") != ju64(x, "first"))
				fprintf(out, "-%" PRIu64, ju64(x, "last"));
			fprintf(out, " %s", jstr(x, "zone"));
		}
		fputc('\n', out);
	}
	fprintf(out, "MOVABLE budget left after the plan:\n");
	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		if (jnull(n, "movable_headroom")) {
			fprintf(out,
				"  node %" PRIu64
				": - (policy not auto-movable)\n",
				ju64(n, "node"));
			continue;
		}
		size_str(o, ju64(n, "movable_headroom"), buf, sizeof(buf));
		fprintf(out, "  node %" PRIu64 ": %s (%" PRIu64 " blocks)\n",
			ju64(n, "node"), buf,
			ju64(n, "movable_headroom_memblocks"));
	}
}

static int render_plan(FILE *out, json_object *pl,
		       const struct mh_render_opts *o)
{
	static const char *const h[] = {"BLOCK", "NODE",   "DEVICE",
					"TYPE",	 "TARGET", "REASON"};
	static const bool r[] = {0, 1, 0, 0, 0, 0};
	struct table t = {.ncols = 6, .heads = h, .right = r};
	json_object *mem = jget(pl, "memory"), *tot = jget(pl, "totals");
	size_t len = mem ? json_object_array_length(mem) : 0;

	if (!len) {
		fprintf(out, "no offline memory blocks: nothing to do\n");
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		json_object *m = json_object_array_get_idx(mem, i);
		json_object *p = jget(m, "plan");
		char **row = table_row(&t);

		if (!row)
			break;
		cell(row, 0, "%s", jstr(m, "name"));
		if (jnull(m, "node"))
			cell(row, 1, "-");
		else
			cell(row, 1, "%" PRIu64, ju64(m, "node"));
		cell(row, 2, "%s",
		     jnull(m, "device") ? "-" : jstr(m, "device"));
		cell(row, 3, "%s", jstr(m, "device_type"));
		if (p) {
			cell(row, 4, "%s",
			     strcmp(jstr(p, "target"), "movable") == 0
				     ? "Movable"
				     : "kernel");
			cell(row, 5, "%s", jstr(p, "reason"));
		} else {
			cell(row, 4, "skip");
			cell(row, 5, "%s", jstr(m, "skip"));
		}
	}
	table_print(out, &t, o);
	table_free(&t);
	if (!o->raw && !o->noheadings)
		fprintf(out,
			"\n%" PRIu64 " to Movable, %" PRIu64
			" to a kernel zone, %" PRIu64
			" skipped (nothing was written)\n",
			ju64(tot, "movable_memblocks"),
			ju64(tot, "kernel_memblocks"),
			ju64(tot, "skipped_memblocks"));
	render_plan_after(out, pl, o);
	return 0;
}

/* The public renderers: the ones above, -ENOMEM if anything failed. */
int mh_render_status(FILE *out, json_object *st, const struct mh_render_opts *o)
{
	render_oom = false;
	return render_done(render_status(out, st, o));
}

int mh_render_blocks(FILE *out, FILE *err, json_object *bl,
		     const struct mh_render_opts *o)
{
	render_oom = false;
	return render_done(render_blocks(out, err, bl, o));
}

int mh_render_explain(FILE *out, json_object *ex,
		      const struct mh_render_opts *o)
{
	render_oom = false;
	return render_done(render_explain(out, ex, o));
}

int mh_render_plan(FILE *out, json_object *pl, const struct mh_render_opts *o)
{
	render_oom = false;
	return render_done(render_plan(out, pl, o));
}
