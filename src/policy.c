// SPDX-License-Identifier: MIT
/*
 * The zone decision for one memory block: a pure function, no I/O.
 *
 * auto-movable mirrors mm/memory_hotplug.c (auto_movable_zone_for_pfn,
 * auto_movable_can_online_movable, auto_movable_stats_account_group) line
 * by line, including its unsigned arithmetic; doc/policy.md section 3
 * describes it.  Every number the kernel would compute is recorded in
 * struct mh_decision so that `memhotctl explain` can show it.
 *
 * Inputs the kernel cannot produce but a userspace snapshot can (they are
 * handled the way the kernel's arithmetic would handle them, not "fixed"):
 *   - GMV > MV (other groups' MOVABLE larger than the node's MOVABLE):
 *     impossible in the kernel, where every dynamic group's Movable pages
 *     are part of its node's ZONE_MOVABLE; from an inconsistent snapshot
 *     it can happen.  MV - GMV then wraps modulo 2^64 exactly as the
 *     kernel's unsigned long would, which almost always makes the check
 *     fail (kernel zone), but if GMV - MV < nr it wraps back to a small
 *     number, as it would in the kernel.
 *   - a static group with present_movable > max_pages (a max_pages guessed
 *     too small): max - online wraps the same way, and MV + rest then
 *     wraps back; the outcome is whatever the kernel would compute.
 *   - a group index out of range or a dead slot: treated as "no group"
 *     (the kernel's mem->group == NULL).
 *   - nid out of range or a node that is not present: its statistics are
 *     all zero (a node without populated zones), so KE = 0 <= REQ fails.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memhotd/policy.h"

/* Names ------------------------------------------------------------------ */

static const char *const zone_names[] = {
	[MH_ZONE_UNKNOWN] = "unknown", [MH_ZONE_NONE] = "none",
	[MH_ZONE_DMA] = "DMA",	       [MH_ZONE_DMA32] = "DMA32",
	[MH_ZONE_NORMAL] = "Normal",   [MH_ZONE_MOVABLE] = "Movable",
};

const char *mh_zone_name(enum mh_zone z)
{
	if ((unsigned int)z < sizeof(zone_names) / sizeof(zone_names[0]) &&
	    zone_names[z])
		return zone_names[z];
	return "unknown";
}

enum mh_zone mh_zone_from_name(const char *s, size_t len)
{
	/* "unknown" is our word, never the kernel's: not parsed. */
	static const enum mh_zone parsed[] = {
		MH_ZONE_NONE,	MH_ZONE_DMA,	 MH_ZONE_DMA32,
		MH_ZONE_NORMAL, MH_ZONE_MOVABLE,
	};

	if (!s)
		return MH_ZONE_UNKNOWN;
	for (size_t i = 0; i < sizeof(parsed) / sizeof(parsed[0]); i++) {
		const char *n = zone_names[parsed[i]];

		if (strlen(n) == len && memcmp(n, s, len) == 0)
			return parsed[i];
	}
	return MH_ZONE_UNKNOWN;
}

static const char *const policy_names[] = {
	[MH_POLICY_AUTO_MOVABLE] = "auto-movable",
	[MH_POLICY_CONTIG_ZONES] = "contig-zones",
	[MH_POLICY_MOVABLE] = "movable",
	[MH_POLICY_KERNEL] = "kernel",
};

const char *mh_policy_name(enum mh_online_policy p)
{
	if ((unsigned int)p < sizeof(policy_names) / sizeof(policy_names[0]))
		return policy_names[p];
	return "unknown";
}

/*
 * Exact names; one trailing newline is accepted since the kernel's own
 * parameter files (/sys/module/memory_hotplug/parameters/online_policy)
 * end with one.
 */
int mh_policy_from_name(const char *s, enum mh_online_policy *out)
{
	size_t len;

	if (!s)
		return -1;
	len = strlen(s);
	if (len && s[len - 1] == '\n')
		len--;
	for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]);
	     i++) {
		if (strlen(policy_names[i]) == len &&
		    memcmp(policy_names[i], s, len) == 0) {
			if (out)
				*out = (enum mh_online_policy)i;
			return 0;
		}
	}
	return -1;
}

static const char *const reason_names[] = {
	[MH_REASON_FITS] = "fits",
	[MH_REASON_RATIO_ZERO] = "ratio-zero",
	[MH_REASON_STATIC_HAS_KERNEL] = "static-group-has-kernel",
	[MH_REASON_UNIT_HAS_KERNEL] = "unit-has-kernel",
	[MH_REASON_GLOBAL_NO_EARLY] = "global-no-early-kernel",
	[MH_REASON_GLOBAL_RATIO] = "global-ratio",
	[MH_REASON_NODE_NO_EARLY] = "node-no-early-kernel",
	[MH_REASON_NODE_RATIO] = "node-ratio",
	[MH_REASON_POLICY_MOVABLE] = "policy-movable",
	[MH_REASON_POLICY_KERNEL] = "policy-kernel",
	[MH_REASON_CONTIG_IN_KERNEL] = "contig-in-kernel-zone",
	[MH_REASON_CONTIG_IN_MOVABLE] = "contig-in-movable-zone",
	[MH_REASON_CONTIG_DEFAULT] = "contig-default",
	[MH_REASON_CONTIG_MOVABLE_NODE] = "contig-movable-node",
};

const char *mh_reason_name(enum mh_reason r)
{
	if ((unsigned int)r < sizeof(reason_names) / sizeof(reason_names[0]) &&
	    reason_names[r])
		return reason_names[r];
	return "unknown";
}

/* auto-movable ----------------------------------------------------------- */

static const struct mh_policy_config default_cfg = {
	.policy = MH_POLICY_AUTO_MOVABLE,
	.ratio = 301,
	.numa_aware = true,
};

/* The kernel's defaults when the caller passes no configuration. */
static const struct mh_policy_config *cfg_of(const struct mh_policy_view *v)
{
	return v->cfg ? v->cfg : &default_cfg;
}

/* The group at index g, or NULL (the kernel's group == NULL). */
static const struct mh_group_stats *group_at(const struct mh_policy_view *v,
					     ssize_t g)
{
	if (g < 0 || !v->groups || (size_t)g >= v->nr_groups)
		return NULL;
	if (!v->groups[g].alive)
		return NULL;
	return &v->groups[g];
}

static bool node_valid(const struct mh_policy_view *v, size_t nid)
{
	return v->nodes && nid < v->nr_nodes && v->nodes[nid].present;
}

bool mh_policy_can_online_movable(const struct mh_policy_view *view, int nid,
				  ssize_t group, uint64_t nr_pages,
				  struct mh_ratio_check *chk)
{
	const struct mh_group_stats *cur = group_at(view, group);
	const unsigned int ratio = cfg_of(view)->ratio;
	struct mh_ratio_check c = {.evaluated = true, .nid = nid};
	uint64_t kernel_early = 0, movable = 0;
	uint64_t req = 0, gmv = 0;

	/* Zone statistics: all nodes (NUMA_NO_NODE) or node nid. */
	if (nid < 0) {
		for (size_t n = 0; n < view->nr_nodes; n++) {
			if (!node_valid(view, n))
				continue;
			kernel_early += view->nodes[n].kernel_early;
			movable += view->nodes[n].movable;
		}
	} else if (node_valid(view, (size_t)nid)) {
		kernel_early = view->nodes[nid].kernel_early;
		movable = view->nodes[nid].movable;
	}

	/* walk_dynamic_memory_groups(nid, account_group, group, ...) */
	for (size_t g = 0; view->groups && g < view->nr_groups; g++) {
		const struct mh_group_stats *gs = &view->groups[g];
		int64_t pages;

		if (!gs->alive || !gs->dynamic || gs == cur)
			continue;
		if (nid >= 0 && gs->nid != nid)
			continue;
		/* "Just avoid the division by zero below." */
		if (!ratio)
			continue;
		/*
		 * "pages = movable * 100 / ratio; pages -= kernel;" with
		 * pages a signed long: the subtraction happens in unsigned
		 * long and the result is read back as signed (two's
		 * complement, no signed overflow).
		 */
		pages = (int64_t)(gs->present_movable * 100 / ratio -
				  gs->present_kernel);
		if (pages > 0)
			req += (uint64_t)pages;
		gmv += gs->present_movable;
	}

	c.kernel_early = kernel_early;
	c.movable = movable;
	c.requirement = req;
	c.group_movable = gmv;
	c.nr_pages = nr_pages;

	if (kernel_early <= req) {
		/* before any credit: the own group's kernel memory is no help
		 */
		c.pass = false;
		c.kernel_after = 0;
		c.movable_after = 0;
		c.limit = 0;
		goto out;
	}
	kernel_early -= req;
	movable -= gmv; /* unsigned: wraps like the kernel if gmv > movable */

	if (cur && cur->dynamic) {
		c.own_kernel = cur->present_kernel;
		kernel_early += cur->present_kernel;
	}

	movable += nr_pages;
	c.kernel_after = kernel_early;
	c.movable_after = movable;
	c.limit = (uint64_t)ratio * kernel_early / 100;
	c.pass = movable <= c.limit;
out:
	if (chk)
		*chk = c;
	return c.pass;
}

static void decide_auto_movable(const struct mh_policy_view *view,
				const struct mh_block_request *req,
				struct mh_decision *d)
{
	const struct mh_policy_config *cfg = cfg_of(view);
	const struct mh_group_stats *g = group_at(view, req->group);
	const ssize_t gidx = g ? req->group : -1;
	uint64_t max_pages, online_pages = 0, rest;

	d->target = MH_TARGET_KERNEL;
	if (!cfg->ratio) {
		d->reason = MH_REASON_RATIO_ZERO;
		return;
	}

	if (g && !g->dynamic) {
		max_pages = g->max_pages;
		online_pages = g->present_movable;
		d->max_pages = max_pages;
		d->online_pages = online_pages;
		if (g->present_kernel) {
			d->reason = MH_REASON_STATIC_HAS_KERNEL;
			return;
		}
	} else if (!g || g->unit_pages == req->nr_pages) {
		max_pages = req->nr_pages;
		d->max_pages = max_pages;
	} else {
		max_pages = g->unit_pages;
		d->max_pages = max_pages;
		for (size_t i = 0; req->unit && i < req->unit_len; i++) {
			if (!req->unit[i].online)
				continue;
			if (!req->unit[i].movable) {
				d->online_pages = online_pages;
				d->reason = MH_REASON_UNIT_HAS_KERNEL;
				return;
			}
			online_pages += req->nr_pages;
		}
		d->online_pages = online_pages;
	}

	rest = max_pages - online_pages; /* unsigned, as in the kernel */
	d->rest_pages = rest;

	if (!mh_policy_can_online_movable(view, -1, gidx, rest, &d->global)) {
		d->reason = d->global.kernel_early <= d->global.requirement
				    ? MH_REASON_GLOBAL_NO_EARLY
				    : MH_REASON_GLOBAL_RATIO;
		return;
	}
	/*
	 * req->nid is never -1 by contract (6.1 crashes on exactly that,
	 * doc/inputs.md 6.3); if it were, this would repeat the global check.
	 */
	if (cfg->numa_aware && !mh_policy_can_online_movable(
				       view, req->nid, gidx, rest, &d->node)) {
		d->reason = d->node.kernel_early <= d->node.requirement
				    ? MH_REASON_NODE_NO_EARLY
				    : MH_REASON_NODE_RATIO;
		return;
	}
	d->target = MH_TARGET_MOVABLE;
	d->reason = MH_REASON_FITS;
}

void mh_policy_decide(const struct mh_policy_view *view,
		      const struct mh_block_request *req,
		      struct mh_decision *out)
{
	const struct mh_policy_config *cfg = cfg_of(view);

	memset(out, 0, sizeof(*out));
	out->policy = cfg->policy;
	out->ratio = cfg->ratio;
	out->global.nid = -1;
	out->node.nid = req->nid;

	switch (cfg->policy) {
	case MH_POLICY_MOVABLE:
		out->target = MH_TARGET_MOVABLE;
		out->reason = MH_REASON_POLICY_MOVABLE;
		return;
	case MH_POLICY_KERNEL:
		out->target = MH_TARGET_KERNEL;
		out->reason = MH_REASON_POLICY_KERNEL;
		return;
	case MH_POLICY_CONTIG_ZONES:
		/* default_zone_for_pfn(): the enclosing zone, if just one */
		if (req->kernel_span_intersects !=
		    req->movable_span_intersects) {
			if (req->kernel_span_intersects) {
				out->target = MH_TARGET_KERNEL;
				out->reason = MH_REASON_CONTIG_IN_KERNEL;
			} else {
				out->target = MH_TARGET_MOVABLE;
				out->reason = MH_REASON_CONTIG_IN_MOVABLE;
			}
		} else if (cfg->movable_node) {
			out->target = MH_TARGET_MOVABLE;
			out->reason = MH_REASON_CONTIG_MOVABLE_NODE;
		} else {
			out->target = MH_TARGET_KERNEL;
			out->reason = MH_REASON_CONTIG_DEFAULT;
		}
		return;
	case MH_POLICY_AUTO_MOVABLE:
	default:
		decide_auto_movable(view, req, out);
		return;
	}
}

/* Explanation ------------------------------------------------------------ */

struct sbuf {
	char *buf;
	size_t len;
	size_t pos; /* bytes that would have been written */
};

__attribute__((format(printf, 2, 3))) static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char *dst = NULL;
	size_t room = 0;
	va_list ap;
	int n;

	if (sb->buf && sb->pos < sb->len) {
		dst = sb->buf + sb->pos;
		room = sb->len - sb->pos;
	}
	va_start(ap, fmt);
	n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->pos += (size_t)n;
}

/*
 * " (12288 MiB)", " (4095.5 MiB)": pages in MiB, rounded to a tenth when not
 * whole.  Nothing when the page size is unknown or does not divide 1 MiB.
 */
static void sb_mib(struct sbuf *sb, uint64_t pages, uint64_t page_size)
{
	const uint64_t mib = 1024 * 1024;
	uint64_t ppm, whole, tenths;

	if (!page_size || page_size > mib || mib % page_size)
		return;
	ppm = mib / page_size; /* pages per MiB */
	whole = pages / ppm;
	tenths = ((pages % ppm) * 10 + ppm / 2) / ppm;
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	if (tenths)
		sb_printf(sb, " (%llu.%llu MiB)", (unsigned long long)whole,
			  (unsigned long long)tenths);
	else if (pages % ppm)
		sb_printf(sb, " (~%llu MiB)", (unsigned long long)whole);
	else
		sb_printf(sb, " (%llu MiB)", (unsigned long long)whole);
}

static void sb_check(struct sbuf *sb, const struct mh_ratio_check *c,
		     unsigned int ratio, uint64_t ps)
{
	if (c->nid < 0)
		sb_printf(sb, "global");
	else
		sb_printf(sb, "node %d", c->nid);

	if (c->kernel_early <= c->requirement) {
		/* fails before the own group's kernel memory is counted */
		if (!c->requirement) {
			sb_printf(sb, ": KERNEL_EARLY 0 pages: no early kernel "
				      "memory, nothing may go MOVABLE");
			return;
		}
		sb_printf(sb, ": KERNEL_EARLY %llu pages",
			  (unsigned long long)c->kernel_early);
		sb_mib(sb, c->kernel_early, ps);
		sb_printf(sb, " <= %llu pages",
			  (unsigned long long)c->requirement);
		sb_mib(sb, c->requirement, ps);
		sb_printf(sb, " needed by other dynamic groups: no early "
			      "kernel memory left for MOVABLE");
		return;
	}

	/*
	 * "MOVABLE <after> [<now> - <others> + <rest>] <=|> <limit> =
	 *  <ratio>% x KERNEL_EARLY <after> [<early> - <req> + <own>]"
	 */
	sb_printf(sb, ": MOVABLE %llu pages",
		  (unsigned long long)c->movable_after);
	if (c->group_movable > c->movable)
		sb_printf(sb, " [wrapped: inconsistent input]");
	else
		sb_mib(sb, c->movable_after, ps);
	sb_printf(sb, " [%llu now", (unsigned long long)c->movable);
	if (c->group_movable)
		sb_printf(sb, " - %llu of other dynamic groups",
			  (unsigned long long)c->group_movable);
	sb_printf(sb, " + %llu rest] %s %llu pages",
		  (unsigned long long)c->nr_pages, c->pass ? "<=" : ">",
		  (unsigned long long)c->limit);
	sb_mib(sb, c->limit, ps);
	sb_printf(sb, " = %u%% x KERNEL_EARLY %llu pages", ratio,
		  (unsigned long long)c->kernel_after);
	sb_mib(sb, c->kernel_after, ps);
	if (c->requirement || c->own_kernel) {
		sb_printf(sb, " [%llu early",
			  (unsigned long long)c->kernel_early);
		if (c->requirement)
			sb_printf(sb, " - %llu needed by other dynamic groups",
				  (unsigned long long)c->requirement);
		if (c->own_kernel)
			sb_printf(sb, " + %llu own group's kernel",
				  (unsigned long long)c->own_kernel);
		sb_printf(sb, "]");
	}
}

int mh_decision_explain(const struct mh_decision *d, uint64_t page_size,
			char *buf, size_t len)
{
	struct sbuf sb = {.buf = buf, .len = len};
	const char *zone =
		d->target == MH_TARGET_MOVABLE ? "Movable" : "kernel zone";

	if (buf && len)
		buf[0] = '\0';
	sb_printf(&sb, "%s: %s: ", zone, mh_reason_name(d->reason));

	switch (d->reason) {
	case MH_REASON_POLICY_MOVABLE:
	case MH_REASON_POLICY_KERNEL:
		sb_printf(&sb, "policy \"%s\" always onlines to %s",
			  mh_policy_name(d->policy),
			  d->target == MH_TARGET_MOVABLE ? "ZONE_MOVABLE"
							 : "a kernel zone");
		break;
	case MH_REASON_CONTIG_IN_KERNEL:
		sb_printf(&sb, "contig-zones: the block lies in the span of "
			       "the node's kernel zone only");
		break;
	case MH_REASON_CONTIG_IN_MOVABLE:
		sb_printf(&sb, "contig-zones: the block lies in the span of "
			       "the node's Movable zone only");
		break;
	case MH_REASON_CONTIG_DEFAULT:
		sb_printf(&sb, "contig-zones: no single zone span encloses the "
			       "block; default kernel zone (movable_node off)");
		break;
	case MH_REASON_CONTIG_MOVABLE_NODE:
		sb_printf(&sb, "contig-zones: no single zone span encloses the "
			       "block; movable_node is set");
		break;
	case MH_REASON_RATIO_ZERO:
		sb_printf(&sb, "auto_movable_ratio is 0: nothing may go "
			       "MOVABLE");
		break;
	case MH_REASON_STATIC_HAS_KERNEL:
		sb_printf(&sb, "the device (static group of %llu pages",
			  (unsigned long long)d->max_pages);
		sb_mib(&sb, d->max_pages, page_size);
		sb_printf(&sb, ") already has memory in a kernel zone; a "
			       "static group is all-or-nothing");
		break;
	case MH_REASON_UNIT_HAS_KERNEL:
		sb_printf(&sb, "a block of this unit (%llu pages",
			  (unsigned long long)d->max_pages);
		sb_mib(&sb, d->max_pages, page_size);
		sb_printf(&sb, ") is already online in a kernel zone; a unit "
			       "is all-or-nothing");
		break;
	case MH_REASON_FITS:
	case MH_REASON_GLOBAL_NO_EARLY:
	case MH_REASON_GLOBAL_RATIO:
	case MH_REASON_NODE_NO_EARLY:
	case MH_REASON_NODE_RATIO:
	default:
		sb_printf(&sb, "rest %llu pages",
			  (unsigned long long)d->rest_pages);
		sb_mib(&sb, d->rest_pages, page_size);
		if (d->online_pages)
			sb_printf(&sb, " = max %llu - %llu online Movable",
				  (unsigned long long)d->max_pages,
				  (unsigned long long)d->online_pages);
		if (d->global.evaluated) {
			sb_printf(&sb, "; ");
			sb_check(&sb, &d->global, d->ratio, page_size);
		}
		if (d->node.evaluated) {
			sb_printf(&sb, "; ");
			sb_check(&sb, &d->node, d->ratio, page_size);
		}
		break;
	}
	return sb.pos > (size_t)__INT_MAX__ ? __INT_MAX__ : (int)sb.pos;
}
