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
#include "memhotd/util.h"

/* Names ------------------------------------------------------------------ */

static const char *const zone_names[] = {
	[MH_ZONE_UNKNOWN] = "unknown", [MH_ZONE_NONE] = "none",
	[MH_ZONE_DMA] = "DMA",	       [MH_ZONE_DMA32] = "DMA32",
	[MH_ZONE_NORMAL] = "Normal",   [MH_ZONE_MOVABLE] = "Movable",
};

MH_STRING_TABLE_TO(, mh_zone_name, enum mh_zone, zone_names, "unknown")

enum mh_zone mh_zone_from_name(const char *s, size_t len)
{
	/* "unknown" is our word, never the kernel's: not parsed. */
	static const enum mh_zone parsed[] = {
		MH_ZONE_NONE,	MH_ZONE_DMA,	 MH_ZONE_DMA32,
		MH_ZONE_NORMAL, MH_ZONE_MOVABLE,
	};

	if (!s)
		return MH_ZONE_UNKNOWN;
	for (size_t i = 0; i < MH_ELEMENTSOF(parsed); i++) {
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

MH_STRING_TABLE_TO(, mh_policy_name, enum mh_online_policy, policy_names,
		   "unknown")
MH_STRING_TABLE_FROM(static, policy_lookup, enum mh_online_policy, policy_names)

/*
 * Exact names; one trailing newline is accepted since the kernel's own
 * parameter files (/sys/module/memory_hotplug/parameters/online_policy)
 * end with one.
 */
int mh_policy_from_name(const char *s, enum mh_online_policy *out)
{
	char word[32];
	size_t len;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len && s[len - 1] == '\n')
		len--;
	if (len >= sizeof(word))
		return -EINVAL;
	memcpy(word, s, len);
	word[len] = '\0';
	return policy_lookup(word, out);
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
	[MH_REASON_RULE_MOVABLE] = "rule-movable",
	[MH_REASON_RULE_KERNEL] = "rule-kernel",
	[MH_REASON_GUARD] = "guard-kernel-free-low",
	[MH_REASON_BALLOON] = "balloon-without-compaction",
};

MH_STRING_TABLE_TO(, mh_reason_name, enum mh_reason, reason_names, "unknown")

static const char *const balloon_mode_names[] = {
	[MH_BALLOON_WARN] = "warn",
	[MH_BALLOON_KERNEL] = "kernel",
};

MH_STRING_TABLE_TO(, mh_balloon_mode_name, enum mh_balloon_mode,
		   balloon_mode_names, "unknown")
MH_STRING_TABLE_FROM(, mh_balloon_mode_from_name, enum mh_balloon_mode,
		     balloon_mode_names)

bool mh_vmstat_has_balloon_compaction(const char *vmstat)
{
	static const char key[] = "balloon_migrate";
	const char *line = vmstat;

	while (line && *line) {
		if (!strncmp(line, key, sizeof(key) - 1) &&
		    (line[sizeof(key) - 1] == ' ' ||
		     line[sizeof(key) - 1] == '\t'))
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

bool mh_balloon_driver_migrates(const char *driver, bool kernel_compaction)
{
	/* the users of mm/balloon_compaction.c */
	static const char *const users[] = {"virtio_balloon", "vmw_balloon"};

	if (!driver || !kernel_compaction)
		return false;
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (!strcmp(driver, users[i]))
			return true;
	return false;
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

uint64_t mh_policy_reserve_pages(const struct mh_policy_config *cfg)
{
	uint64_t ps;

	if (!cfg || !cfg->kernel_reserve)
		return 0;
	ps = cfg->page_size ? cfg->page_size : MH_POLICY_DEFAULT_PAGE_SIZE;
	return cfg->kernel_reserve / ps;
}

/* doc/policy.md 9.1: max(0, KERNEL_EARLY - reserve), per node. */
uint64_t mh_policy_effective_kernel_early(const struct mh_policy_config *cfg,
					  uint64_t kernel_early,
					  uint64_t *reserved)
{
	uint64_t r = mh_policy_reserve_pages(cfg);

	if (r > kernel_early)
		r = kernel_early;
	if (reserved)
		*reserved = r;
	return kernel_early - r;
}

bool mh_policy_can_online_movable(const struct mh_policy_view *view, int nid,
				  ssize_t group, uint64_t nr_pages,
				  struct mh_ratio_check *chk)
{
	const struct mh_group_stats *cur = group_at(view, group);
	const unsigned int ratio = cfg_of(view)->ratio;
	struct mh_ratio_check c = {.evaluated = true, .nid = nid};
	uint64_t kernel_early = 0, movable = 0;
	uint64_t req = 0, gmv = 0, boot = 0, reserved = 0, r;

	/*
	 * Zone statistics: all nodes (NUMA_NO_NODE) or node nid.  With
	 * [policy] kernel_reserve each node's KERNEL_EARLY is first reduced
	 * by the reserve (doc/policy.md 9.1); the global check sums the
	 * reduced values.  Without it the reduction is 0.
	 */
	if (nid < 0) {
		for (size_t n = 0; n < view->nr_nodes; n++) {
			if (!node_valid(view, n))
				continue;
			boot += view->nodes[n].kernel_early;
			kernel_early += mh_policy_effective_kernel_early(
				view->cfg, view->nodes[n].kernel_early, &r);
			reserved += r;
			movable += view->nodes[n].movable;
		}
	} else if (node_valid(view, (size_t)nid)) {
		boot = view->nodes[nid].kernel_early;
		kernel_early = mh_policy_effective_kernel_early(
			view->cfg, view->nodes[nid].kernel_early, &reserved);
		movable = view->nodes[nid].movable;
	}
	c.reserve_on = view->cfg && view->cfg->kernel_reserve;
	c.boot_kernel_early = boot;
	c.reserved = reserved;

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

/* The configured policy, as the kernel would decide (doc/policy.md 3, 6). */
static void decide_policy(const struct mh_policy_view *view,
			  const struct mh_block_request *req,
			  struct mh_decision *out)
{
	const struct mh_policy_config *cfg = cfg_of(view);

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

/* Replaces the decision by a kernel zone, keeping what it would have been. */
static void override_kernel(struct mh_decision *d, enum mh_reason why)
{
	d->overridden = true;
	d->base_target = d->target;
	d->base_reason = d->reason;
	d->target = MH_TARGET_KERNEL;
	d->reason = why;
}

/*
 * Beyond the kernel (doc/policy.md 9), in this order:
 *   1. rules: the first matching rule with zone = movable | kernel decides;
 *      zone = auto and no match leave it to the configured policy, whose
 *      auto-movable ratio check applies [policy] kernel_reserve;
 *   2. guard: a MOVABLE decision becomes a kernel zone if the node's
 *      kernel-zone free memory is below [guard] kernel_free_min;
 *   3. balloon: a MOVABLE decision becomes a kernel zone if an active
 *      balloon cannot migrate its pages and balloon_without_compaction =
 *      kernel (with "warn" the explanation says so).
 * With none of the keys set, only the configured policy runs.
 */
void mh_policy_decide(const struct mh_policy_view *view,
		      const struct mh_block_request *req,
		      struct mh_decision *out)
{
	const struct mh_policy_config *cfg = cfg_of(view);
	ssize_t ri = -1;

	memset(out, 0, sizeof(*out));
	out->policy = cfg->policy;
	out->ratio = cfg->ratio;
	out->global.nid = -1;
	out->node.nid = req->nid;
	out->reserve_pages = mh_policy_reserve_pages(cfg);
	out->dev_type = req->dev_type;

	if (cfg->rules.nr) {
		const struct mh_device_facts f = {
			.type = req->dev_type,
			.name = req->dev_name,
			.nid = req->nid,
		};

		ri = mh_rules_match(&cfg->rules, &f);
	}
	if (ri >= 0) {
		const struct mh_rule *r = &cfg->rules.rule[ri];

		out->rule_matched = true;
		out->rule_zone = r->zone;
		memcpy(out->rule_name, r->name, sizeof(out->rule_name));
		out->rule_name[sizeof(out->rule_name) - 1] = '\0';
	}
	if (ri >= 0 && out->rule_zone == MH_RULE_MOVABLE) {
		out->target = MH_TARGET_MOVABLE;
		out->reason = MH_REASON_RULE_MOVABLE;
	} else if (ri >= 0 && out->rule_zone == MH_RULE_KERNEL) {
		out->target = MH_TARGET_KERNEL;
		out->reason = MH_REASON_RULE_KERNEL;
	} else {
		decide_policy(view, req, out);
	}

	if (cfg->kernel_free_min) {
		out->guard_on = true;
		out->guard_min_bytes = cfg->kernel_free_min;
		if (req->guard) {
			out->guard_known = true;
			out->guard_free_bytes = req->guard->kernel_free_bytes;
			out->guard_low =
				out->guard_free_bytes < out->guard_min_bytes;
		}
		if (out->guard_low && out->target == MH_TARGET_MOVABLE)
			override_kernel(out, MH_REASON_GUARD);
	}

	out->balloon_mode = cfg->balloon;
	if (req->balloon && req->balloon->active && !req->balloon->compaction) {
		out->balloon_risk = true;
		snprintf(out->balloon_driver, sizeof(out->balloon_driver), "%s",
			 req->balloon->driver && *req->balloon->driver
				 ? req->balloon->driver
				 : "balloon");
		if (cfg->balloon == MH_BALLOON_KERNEL &&
		    out->target == MH_TARGET_MOVABLE)
			override_kernel(out, MH_REASON_BALLOON);
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

static void sb_check_kernel(struct sbuf *sb, const struct mh_ratio_check *c,
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

/* One ratio check; with a reserve, how KERNEL_EARLY was reduced (9.1). */
static void sb_check(struct sbuf *sb, const struct mh_ratio_check *c,
		     unsigned int ratio, uint64_t ps)
{
	sb_check_kernel(sb, c, ratio, ps);
	if (!c->reserve_on)
		return;
	sb_printf(sb,
		  " {kernel_reserve: KERNEL_EARLY %llu pages = %llu boot - "
		  "%llu reserved}",
		  (unsigned long long)(c->boot_kernel_early - c->reserved),
		  (unsigned long long)c->boot_kernel_early,
		  (unsigned long long)c->reserved);
}

static const char *target_name(enum mh_target t)
{
	return t == MH_TARGET_MOVABLE ? "Movable" : "kernel zone";
}

/* The part of the explanation that belongs to one reason. */
static void explain_reason(struct sbuf *sb, const struct mh_decision *d,
			   enum mh_reason reason, uint64_t page_size)
{
	switch (reason) {
	case MH_REASON_RULE_MOVABLE:
	case MH_REASON_RULE_KERNEL:
		sb_printf(sb, "rule \"%s\" (zone = %s) matched this %s block",
			  d->rule_name, mh_rule_zone_name(d->rule_zone),
			  mh_dev_type_name(d->dev_type));
		break;
	case MH_REASON_GUARD:
		sb_printf(sb, "node %d kernel-zone free memory %llu bytes",
			  d->node.nid, (unsigned long long)d->guard_free_bytes);
		sb_mib(sb, d->guard_free_bytes, 1);
		sb_printf(sb, " < [guard] kernel_free_min %llu bytes",
			  (unsigned long long)d->guard_min_bytes);
		sb_mib(sb, d->guard_min_bytes, 1);
		break;
	case MH_REASON_BALLOON:
		sb_printf(sb,
			  "%s is active without balloon compaction and "
			  "balloon_without_compaction = kernel",
			  d->balloon_driver);
		break;
	case MH_REASON_POLICY_MOVABLE:
	case MH_REASON_POLICY_KERNEL:
		sb_printf(sb, "policy \"%s\" always onlines to %s",
			  mh_policy_name(d->policy),
			  d->target == MH_TARGET_MOVABLE ? "ZONE_MOVABLE"
							 : "a kernel zone");
		break;
	case MH_REASON_CONTIG_IN_KERNEL:
		sb_printf(sb, "contig-zones: the block lies in the span of "
			      "the node's kernel zone only");
		break;
	case MH_REASON_CONTIG_IN_MOVABLE:
		sb_printf(sb, "contig-zones: the block lies in the span of "
			      "the node's Movable zone only");
		break;
	case MH_REASON_CONTIG_DEFAULT:
		sb_printf(sb, "contig-zones: no single zone span encloses the "
			      "block; default kernel zone (movable_node off)");
		break;
	case MH_REASON_CONTIG_MOVABLE_NODE:
		sb_printf(sb, "contig-zones: no single zone span encloses the "
			      "block; movable_node is set");
		break;
	case MH_REASON_RATIO_ZERO:
		sb_printf(sb, "auto_movable_ratio is 0: nothing may go "
			      "MOVABLE");
		break;
	case MH_REASON_STATIC_HAS_KERNEL:
	case MH_REASON_UNIT_HAS_KERNEL: {
		bool unit = reason == MH_REASON_UNIT_HAS_KERNEL;

		sb_printf(sb, "%s%llu pages",
			  unit ? "a block of this unit ("
			       : "the device (static group of ",
			  (unsigned long long)d->max_pages);
		sb_mib(sb, d->max_pages, page_size);
		sb_printf(sb, ") %s in a kernel zone; a %s is all-or-nothing",
			  unit ? "is already online" : "already has memory",
			  unit ? "unit" : "static group");
		break;
	}
	case MH_REASON_FITS:
	case MH_REASON_GLOBAL_NO_EARLY:
	case MH_REASON_GLOBAL_RATIO:
	case MH_REASON_NODE_NO_EARLY:
	case MH_REASON_NODE_RATIO:
	default:
		sb_printf(sb, "rest %llu pages",
			  (unsigned long long)d->rest_pages);
		sb_mib(sb, d->rest_pages, page_size);
		if (d->online_pages)
			sb_printf(sb, " = max %llu - %llu online Movable",
				  (unsigned long long)d->max_pages,
				  (unsigned long long)d->online_pages);
		if (d->global.evaluated) {
			sb_printf(sb, "; ");
			sb_check(sb, &d->global, d->ratio, page_size);
		}
		if (d->node.evaluated) {
			sb_printf(sb, "; ");
			sb_check(sb, &d->node, d->ratio, page_size);
		}
		break;
	}
}

int mh_decision_explain(const struct mh_decision *d, uint64_t page_size,
			char *buf, size_t len)
{
	struct sbuf sb = {.buf = buf, .len = len};

	if (buf && len)
		buf[0] = '\0';
	sb_printf(&sb, "%s: %s: ", target_name(d->target),
		  mh_reason_name(d->reason));
	explain_reason(&sb, d, d->reason, page_size);
	if (d->overridden) {
		sb_printf(&sb,
			  "; otherwise %s: %s: ", target_name(d->base_target),
			  mh_reason_name(d->base_reason));
		explain_reason(&sb, d, d->base_reason, page_size);
	}

	/* Beyond the kernel: what else applied (doc/policy.md 9.5). */
	if (d->rule_matched && d->rule_zone == MH_RULE_AUTO)
		sb_printf(&sb,
			  "; rule \"%s\" (zone = auto): the configured "
			  "policy decides",
			  d->rule_name);
	if (d->guard_on && d->reason != MH_REASON_GUARD) {
		if (!d->guard_known) {
			sb_printf(&sb,
				  "; guard: kernel-zone free memory of "
				  "node %d not measured",
				  d->node.nid);
		} else {
			sb_printf(&sb,
				  "; guard: node %d kernel-zone free %llu "
				  "bytes",
				  d->node.nid,
				  (unsigned long long)d->guard_free_bytes);
			sb_mib(&sb, d->guard_free_bytes, 1);
			sb_printf(&sb, " %s kernel_free_min %llu bytes",
				  d->guard_low ? "<" : ">=",
				  (unsigned long long)d->guard_min_bytes);
			sb_mib(&sb, d->guard_min_bytes, 1);
		}
	}
	if (d->balloon_risk && d->target == MH_TARGET_MOVABLE)
		sb_printf(&sb,
			  "; WARNING: %s is active without balloon "
			  "compaction: it can inflate only into kernel zones, "
			  "so the balloon cannot reclaim MOVABLE memory and "
			  "inflating it shrinks kernel memory "
			  "(balloon_without_compaction = kernel avoids "
			  "MOVABLE)",
			  d->balloon_driver);
	return sb.pos > (size_t)__INT_MAX__ ? __INT_MAX__ : (int)sb.pos;
}
