// SPDX-License-Identifier: MIT
/* The short decision line and a block's journal fields (journal.h). */
#include <stdio.h>
#include <string.h>

#include "memhotd/journal.h"
#include "memhotd/report.h"
#include "memhotd/util.h"

static void size_str(uint64_t pages, uint64_t ps, char *buf, size_t len)
{
	mh_format_size(pages * ps, buf, len);
}

/* The evaluated ratio check with the least room (the deciding one). */
static const struct mh_ratio_check *tightest(const struct mh_decision *d)
{
	const struct mh_ratio_check *g = &d->global, *n = &d->node;

	if (!n->evaluated)
		return g->evaluated ? g : NULL;
	if (!g->evaluated)
		return n;
	if (!g->pass)
		return g;
	if (!n->pass)
		return n;
	return n->limit - n->movable_after < g->limit - g->movable_after ? n
									 : g;
}

static int ratio_text(const struct mh_decision *d, enum mh_reason r,
		      uint64_t ps, char *buf, size_t len)
{
	const struct mh_ratio_check *c =
		r == MH_REASON_GLOBAL_RATIO ? &d->global
		: r == MH_REASON_NODE_RATIO ? &d->node
					    : tightest(d);
	char where[24] = "", a[32];

	if (!c)
		return snprintf(buf, len, "ratio: %u%% of kernel", d->ratio);
	if (c->nid >= 0 && d->node.evaluated)
		snprintf(where, sizeof(where), " on node%d", c->nid);
	if (r == MH_REASON_FITS) {
		size_str(c->limit - c->movable_after, ps, a, sizeof(a));
		return snprintf(buf, len, "ratio: %u%% of kernel, %s left%s",
				d->ratio, a, where);
	}
	size_str(c->movable_after > c->limit ? c->movable_after - c->limit : 0,
		 ps, a, sizeof(a));
	return snprintf(buf, len, "ratio: %u%% of kernel exceeded by %s%s",
			d->ratio, a, where);
}

/* The reasons whose text has no numbers in it. */
static const char *const reason_fixed[] = {
	[MH_REASON_RATIO_ZERO] = "ratio: 0%",
	[MH_REASON_GLOBAL_NO_EARLY] = "ratio: no boot kernel memory to count",
	[MH_REASON_STATIC_HAS_KERNEL] = "device already has kernel memory",
	[MH_REASON_UNIT_HAS_KERNEL] = "unit already has kernel memory",
	[MH_REASON_POLICY_MOVABLE] = "online_policy movable",
	[MH_REASON_POLICY_KERNEL] = "online_policy kernel",
	[MH_REASON_CONTIG_IN_KERNEL] = "contig-zones: in a kernel zone",
	[MH_REASON_CONTIG_IN_MOVABLE] = "contig-zones: in ZONE_MOVABLE",
	[MH_REASON_CONTIG_DEFAULT] = "contig-zones: default",
	[MH_REASON_CONTIG_MOVABLE_NODE] = "contig-zones: movable_node",
};
MH_STRING_TABLE_TO(static, reason_fixed_text, enum mh_reason, reason_fixed,
		   NULL)

static int reason_text(const struct mh_decision *d, enum mh_reason r,
		       uint64_t ps, char *buf, size_t len)
{
	const char *fixed = reason_fixed_text(r);
	char a[32], b[32];

	if (fixed)
		return snprintf(buf, len, "%s", fixed);
	switch (r) {
	case MH_REASON_FITS:
	case MH_REASON_GLOBAL_RATIO:
	case MH_REASON_NODE_RATIO:
		return ratio_text(d, r, ps, buf, len);
	case MH_REASON_NODE_NO_EARLY:
		return snprintf(buf, len,
				"ratio: no boot kernel memory to count on "
				"node%d",
				d->node.nid);
	case MH_REASON_RULE_MOVABLE:
	case MH_REASON_RULE_KERNEL:
		return snprintf(buf, len, "rule %s", d->rule_name);
	case MH_REASON_GUARD:
		mh_format_size(d->guard_free_bytes, a, sizeof(a));
		mh_format_size(d->guard_min_bytes, b, sizeof(b));
		return snprintf(buf, len, "guard: kernel free %s < %s", a, b);
	case MH_REASON_BALLOON:
		return snprintf(buf, len, "balloon %s without compaction",
				d->balloon_driver[0] ? d->balloon_driver
						     : "driver");
	default:
		break;
	}
	return snprintf(buf, len, "%s", mh_reason_name(r));
}

static bool is_ratio(enum mh_reason r)
{
	return r == MH_REASON_FITS || r == MH_REASON_GLOBAL_RATIO ||
	       r == MH_REASON_NODE_RATIO || r == MH_REASON_GLOBAL_NO_EARLY ||
	       r == MH_REASON_NODE_NO_EARLY;
}

int mh_decision_summary(const struct mh_decision *d, uint64_t page_size,
			char *buf, size_t len)
{
	char part[128], a[32];
	size_t n = 0;

	if (!page_size)
		page_size = MH_POLICY_DEFAULT_PAGE_SIZE;
	reason_text(d, d->reason, page_size, part, sizeof(part));
	mh_appendf(buf, len, &n, "%s", part);
	if (d->overridden) {
		reason_text(d, d->base_reason, page_size, part, sizeof(part));
		mh_appendf(buf, len, &n, "; else %s: %s",
			   d->base_target == MH_TARGET_MOVABLE ? "movable"
							       : "kernel",
			   part);
	}
	if (d->reserve_pages && (is_ratio(d->reason) ||
				 (d->overridden && is_ratio(d->base_reason)))) {
		size_str(d->reserve_pages, page_size, a, sizeof(a));
		mh_appendf(buf, len, &n, ", kernel_reserve %s", a);
	}
	if (d->balloon_risk && d->target == MH_TARGET_MOVABLE)
		mh_appendf(buf, len, &n, "; balloon %s without compaction",
			   d->balloon_driver[0] ? d->balloon_driver : "driver");
	return (int)n;
}

void mh_block_fields(const struct mh_inventory *inv, uint64_t id,
		     const struct mh_block *b, enum mh_event ev,
		     const char *zone, const struct mh_decision *dec,
		     struct mh_log_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->event = ev;
	f->has_block = true;
	f->block = id;
	f->zone = zone;
	f->node = b ? b->nid : -1;
	if (b && b->group >= 0 && inv && (size_t)b->group < inv->nr_groups)
		f->device = inv->groups[b->group].name;
	f->reason = dec ? mh_reason_name(dec->reason) : NULL;
}
