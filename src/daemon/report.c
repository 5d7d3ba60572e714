/* SPDX-License-Identifier: MIT */
/*
 * The daemon's replies (report.h): inventory + configuration + the
 * daemon's read-only view -> json-c objects.  Text rendering is
 * memhotctl's (src/ctl/render.c).  Key names: doc/control-protocol.md.
 */
#include "memhotd/report.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "memhotd/control.h"
/* struct mh_counters, MH_MAX_COMPETITORS; never struct mh_daemon */
#include "memhotd/daemon.h"
#include "memhotd/facts.h"
#include "memhotd/kernel.h"
#include "memhotd/plan.h"

#ifndef MEMHOTD_VERSION
#define MEMHOTD_VERSION "unknown"
#endif

/* ---- small helpers ------------------------------------------------------ */

static json_object *j_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *j_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static uint64_t pages_bytes(uint64_t pages)
{
	return pages * MH_PAGE_SIZE;
}

/* ---- decisions ---------------------------------------------------------- */

static json_object *j_check(const struct mh_ratio_check *c)
{
	json_object *o;

	if (!c->evaluated)
		return NULL;
	o = json_object_new_object();
	add(o, "node", c->nid < 0 ? NULL : json_object_new_int(c->nid));
	add(o, "pass", json_object_new_boolean(c->pass));
	add(o, "kernel_early_pages", j_u64(c->kernel_early));
	add(o, "movable_pages", j_u64(c->movable));
	add(o, "requirement_pages", j_u64(c->requirement));
	add(o, "group_movable_pages", j_u64(c->group_movable));
	add(o, "own_kernel_pages", j_u64(c->own_kernel));
	add(o, "nr_pages", j_u64(c->nr_pages));
	add(o, "kernel_after_pages", j_u64(c->kernel_after));
	add(o, "movable_after_pages", j_u64(c->movable_after));
	add(o, "limit_pages", j_u64(c->limit));
	/* [policy] kernel_reserve: kernel_early_pages is after it */
	add(o, "boot_kernel_early_pages",
	    c->reserve_on ? j_u64(c->boot_kernel_early) : NULL);
	add(o, "reserved_pages", c->reserve_on ? j_u64(c->reserved) : NULL);
	return o;
}

/* The configured policy with this system's page size (the sizes of
 * doc/policy.md 9 are converted with it). */
static void policy_copy(const struct mh_config *cfg,
			struct mh_policy_config *pc)
{
	*pc = cfg->policy;
	if (!pc->page_size)
		pc->page_size = MH_PAGE_SIZE;
}

/* Beyond the kernel (doc/policy.md 9): which setting applied, with its
 * numbers; null when it did not. */
static void add_beyond_keys(json_object *o, const struct mh_decision *d)
{
	json_object *x;

	add(o, "overridden", json_object_new_boolean(d->overridden));
	add(o, "base_target",
	    d->overridden ? json_object_new_string(
				    mh_listing_target_name(d->base_target))
			  : NULL);
	add(o, "base_reason",
	    d->overridden
		    ? json_object_new_string(mh_reason_name(d->base_reason))
		    : NULL);
	add(o, "device_type",
	    json_object_new_string(mh_dev_type_name(d->dev_type)));
	if (d->rule_matched) {
		x = json_object_new_object();
		add(x, "name", json_object_new_string(d->rule_name));
		add(x, "zone",
		    json_object_new_string(mh_rule_zone_name(d->rule_zone)));
		add(o, "rule", x);
	} else {
		add(o, "rule", NULL);
	}
	add(o, "kernel_reserve_pages",
	    d->reserve_pages ? j_u64(d->reserve_pages) : NULL);
	if (d->guard_on) {
		x = json_object_new_object();
		add(x, "measured", json_object_new_boolean(d->guard_known));
		add(x, "kernel_free_bytes",
		    d->guard_known ? j_u64(d->guard_free_bytes) : NULL);
		add(x, "kernel_free_min_bytes", j_u64(d->guard_min_bytes));
		add(x, "low", json_object_new_boolean(d->guard_low));
		add(o, "guard", x);
	} else {
		add(o, "guard", NULL);
	}
	if (d->balloon_risk) {
		x = json_object_new_object();
		add(x, "driver", json_object_new_string(d->balloon_driver));
		add(x, "mode",
		    json_object_new_string(
			    mh_balloon_mode_name(d->balloon_mode)));
		add(o, "balloon_without_compaction", x);
	} else {
		add(o, "balloon_without_compaction", NULL);
	}
}

static json_object *j_decision(const struct mh_decision *d)
{
	json_object *o = json_object_new_object();
	char text[2048];

	mh_decision_explain(d, MH_PAGE_SIZE, text, sizeof(text));
	add(o, "target",
	    json_object_new_string(mh_listing_target_name(d->target)));
	add(o, "reason", json_object_new_string(mh_reason_name(d->reason)));
	add(o, "policy", json_object_new_string(mh_policy_name(d->policy)));
	add(o, "ratio", json_object_new_int64(d->ratio));
	add(o, "max_pages", j_u64(d->max_pages));
	add(o, "online_pages", j_u64(d->online_pages));
	add(o, "rest_pages", j_u64(d->rest_pages));
	add(o, "global", j_check(&d->global));
	add(o, "node", j_check(&d->node));
	add_beyond_keys(o, d);
	add(o, "explanation", json_object_new_string(text));
	return o;
}

/* Why an offline block cannot be decided yet, or NULL. */
static const char *waiting_for(const struct mh_block *b)
{
	if (b->nid < 0)
		return "wait-node";
	if (b->hotplugged && !b->group_resolved)
		return "wait-group";
	return NULL;
}

bool mh_report_movable_headroom(const struct mh_inventory *inv,
				const struct mh_policy_config *cfg, int nid,
				uint64_t *pages)
{
	struct mh_policy_view view;
	struct mh_ratio_check c;
	uint64_t h;

	*pages = 0;
	if (cfg->policy != MH_POLICY_AUTO_MOVABLE)
		return false;
	if (!cfg->ratio)
		return true;
	mh_inv_policy_view(inv, cfg, &view);
	/* What an ungrouped request of 0 pages leaves: limit - MOVABLE. */
	mh_policy_can_online_movable(&view, -1, -1, 0, &c);
	if (c.kernel_early <= c.requirement || c.movable_after > c.limit)
		return true;
	h = c.limit - c.movable_after;
	if (nid >= 0 && cfg->numa_aware) {
		mh_policy_can_online_movable(&view, nid, -1, 0, &c);
		if (c.kernel_early <= c.requirement ||
		    c.movable_after > c.limit)
			return true;
		if (c.limit - c.movable_after < h)
			h = c.limit - c.movable_after;
	}
	/* The policy itself must agree: h pages pass, h + 1 do not. */
	if (!mh_policy_can_online_movable(&view, -1, -1, h, NULL) ||
	    (nid >= 0 && cfg->numa_aware &&
	     !mh_policy_can_online_movable(&view, nid, -1, h, NULL)))
		h = 0;
	*pages = h;
	return true;
}

/* The scheduler's state of block id (none without a daemon). */
static enum mh_sched_state sched_state(const struct mh_sched *sched,
				       uint64_t id, int *err)
{
	*err = 0;
	return sched ? mh_sched_state_of(sched, id, err) : MH_SCHED_NONE;
}

static void block_state(const void *sched, uint64_t id, const char **pending,
			int *failed_errno)
{
	int err;
	enum mh_sched_state st = sched_state(sched, id, &err);

	*pending = mh_sched_is_pending(st) ? mh_sched_state_name(st) : NULL;
	*failed_errno =
		st == MH_SCHED_FAILED || st == MH_SCHED_POISONED ? err : 0;
}

/* The listing's daemon part, from the view (NULL without one). */
static const struct mh_listing_daemon *
listing_daemon(const struct mh_report_view *v, struct mh_listing_daemon *buf)
{
	if (!v)
		return NULL;
	buf->block_state = block_state;
	buf->ctx = v->sched;
	return buf;
}

json_object *mh_report_blocks(const struct mh_inventory *inv,
			      const struct mh_report_view *v)
{
	struct mh_listing_daemon ld;

	return mh_listing_blocks(inv, listing_daemon(v, &ld));
}

/* ---- status ------------------------------------------------------------- */

struct counts {
	uint64_t total, online, offline, going, movable, kernel;
	uint64_t zones[MH_ZONE_MOVABLE + 1];
	uint64_t first_block;
};

static void count_block(struct counts *c, const struct mh_block *b)
{
	if (!c->total)
		c->first_block = b->id;
	c->total++;
	if (b->state == MH_BLOCK_ONLINE) {
		c->online++;
		if (b->zone == MH_ZONE_MOVABLE)
			c->movable++;
		else
			c->kernel++;
		if ((unsigned int)b->zone <= MH_ZONE_MOVABLE)
			c->zones[b->zone]++;
	} else if (b->state == MH_BLOCK_OFFLINE) {
		c->offline++;
	} else {
		c->going++;
	}
}

static void add_counts(json_object *o, const struct counts *c)
{
	json_object *z = json_object_new_object();

	add(o, "total_memblocks", j_u64(c->total));
	add(o, "online_memblocks", j_u64(c->online));
	add(o, "offline_memblocks", j_u64(c->offline));
	add(o, "going_offline_memblocks", j_u64(c->going));
	add(o, "movable_memblocks", j_u64(c->movable));
	add(o, "kernel_memblocks", j_u64(c->kernel));
	for (int i = MH_ZONE_UNKNOWN; i <= MH_ZONE_MOVABLE; i++)
		if (c->zones[i])
			add(z, mh_zone_name((enum mh_zone)i),
			    j_u64(c->zones[i]));
	add(o, "zones", z);
}

static json_object *j_node(const struct mh_inventory *inv,
			   const struct mh_policy_config *pc, size_t nid,
			   const struct counts *c)
{
	json_object *o = json_object_new_object();
	const struct mh_zone_totals *t = &inv->totals[nid];
	const struct mh_node_info *n = &inv->nodes[nid];
	uint64_t h, reserved = 0;
	bool auto_movable = pc->policy == MH_POLICY_AUTO_MOVABLE;
	const uint64_t eff = mh_policy_effective_kernel_early(
		pc, t->kernel_early, &reserved);

	add(o, "node", json_object_new_int((int)nid));
	add(o, "kernel_early", j_u64(pages_bytes(t->kernel_early)));
	add(o, "hotplugged_kernel", j_u64(pages_bytes(n->hot_kernel)));
	add(o, "movable", j_u64(pages_bytes(t->movable)));
	add(o, "hotplugged_movable", j_u64(pages_bytes(n->hot_movable)));
	add(o, "cma", j_u64(pages_bytes(n->cma)));
	/* [policy] kernel_reserve: what the ratio checks count */
	add(o, "kernel_reserve",
	    j_u64(pages_bytes(mh_policy_reserve_pages(pc))));
	add(o, "kernel_early_reserved", j_u64(pages_bytes(reserved)));
	add(o, "kernel_early_effective", j_u64(pages_bytes(eff)));
	add(o, "ratio_limit",
	    auto_movable ? j_u64(pages_bytes((uint64_t)pc->ratio * eff / 100))
			 : NULL);
	add(o, "movable_percent",
	    eff ? json_object_new_double((double)t->movable * 100.0 /
					 (double)eff)
		: NULL);
	if (mh_report_movable_headroom(inv, pc, (int)nid, &h)) {
		add(o, "movable_headroom", j_u64(pages_bytes(h)));
		add(o, "movable_headroom_memblocks",
		    j_u64(inv->block_pages ? h / inv->block_pages : 0));
	} else {
		add(o, "movable_headroom", NULL);
		add(o, "movable_headroom_memblocks", NULL);
	}
	add(o, "needs_calibration",
	    json_object_new_boolean(n->early_kernel_blocks_changed > 0));
	add_counts(o, c);
	return o;
}

/* [rule NAME] (doc/policy.md 9.2): the first rule matching a device, or
 * NULL.  Boot memory is never decided, so no rule applies to it. */
static const struct mh_rule *device_rule(const struct mh_policy_config *pc,
					 const char *type, const char *name,
					 int nid)
{
	struct mh_device_facts f = {.name = name, .nid = nid};
	ssize_t i;

	if (!pc || !pc->rules.nr || !strcmp(type, "boot") ||
	    mh_dev_type_from_name(type, &f.type) < 0)
		return NULL;
	i = mh_rules_match(&pc->rules, &f);
	return i >= 0 ? &pc->rules.rule[i] : NULL;
}

static json_object *j_device(const struct mh_inventory *inv,
			     const struct mh_policy_config *pc, ssize_t gi,
			     const char *type, int nid, const struct counts *c)
{
	json_object *o = json_object_new_object();
	const uint64_t bs = inv->block_size_bytes;
	const struct mh_rule *rule =
		device_rule(pc, type, gi >= 0 ? inv->groups[gi].name : NULL,
			    gi >= 0 ? inv->gstats[gi].nid : nid);

	if (gi >= 0) {
		const struct mh_group *g = &inv->groups[gi];
		const struct mh_group_stats *s = &inv->gstats[gi];

		add(o, "name", json_object_new_string(g->name));
		add(o, "type", json_object_new_string(type));
		add(o, "target_node",
		    s->nid >= 0 ? json_object_new_int(s->nid) : NULL);
		add(o, "dynamic", json_object_new_boolean(s->dynamic));
		add(o, "start", j_u64(pages_bytes(g->start_pfn)));
		add(o, "end",
		    g->end_pfn > g->start_pfn
			    ? j_u64(pages_bytes(g->end_pfn) - 1)
			    : NULL);
		add(o, "unit_size",
		    s->dynamic ? j_u64(pages_bytes(s->unit_pages)) : NULL);
		add(o, "size",
		    s->dynamic ? NULL : j_u64(pages_bytes(s->max_pages)));
		add(o, "present_movable",
		    j_u64(pages_bytes(s->present_movable)));
		add(o, "present_kernel", j_u64(pages_bytes(s->present_kernel)));
	} else {
		add(o, "name", NULL);
		add(o, "type", json_object_new_string(type));
		add(o, "target_node",
		    nid >= 0 ? json_object_new_int(nid) : NULL);
		add(o, "dynamic", json_object_new_boolean(false));
		add(o, "start", j_u64(c->first_block * bs));
		add(o, "end", NULL);
		add(o, "unit_size", NULL);
		add(o, "size", NULL);
		add(o, "present_movable", j_u64(c->movable * bs));
		add(o, "present_kernel", j_u64(c->kernel * bs));
	}
	/* daxctl's "movable": all online blocks Movable (or none); mixed or
	 * nothing online: absent. */
	if (c->online && (c->movable == c->online || c->kernel == c->online))
		add(o, "movable", json_object_new_boolean(c->movable > 0));
	add(o, "rule", rule ? json_object_new_string(rule->name) : NULL);
	add(o, "rule_zone",
	    rule ? json_object_new_string(mh_rule_zone_name(
			   rule->has_zone ? rule->zone : MH_RULE_AUTO))
		 : NULL);
	add_counts(o, c);
	return o;
}

static json_object *j_daemon(const struct mh_config *cfg,
			     const struct mh_report_view *v, uint64_t now_usec)
{
	json_object *o = json_object_new_object(), *comp;
	const struct mh_counters *k = v->counters;

	add(o, "version",
	    json_object_new_string(MEMHOTD_VERSION[0] ? MEMHOTD_VERSION
						      : "unknown"));
	add(o, "pid", json_object_new_int((int)getpid()));
	add(o, "policy",
	    json_object_new_string(mh_policy_name(cfg->policy.policy)));
	add(o, "auto_movable_ratio", json_object_new_int64(cfg->policy.ratio));
	add(o, "auto_movable_numa_aware",
	    json_object_new_boolean(cfg->policy.numa_aware));
	add(o, "config_file", json_object_new_string(v->config_path));
	add(o, "control_group",
	    cfg->control_group_set ? json_object_new_string(cfg->control_group)
				   : NULL);
	add(o, "dry_run", json_object_new_boolean(v->dry_run));
	add(o, "uptime_sec",
	    j_u64(now_usec > v->start_usec
			  ? (now_usec - v->start_usec) / 1000000
			  : 0));
	add(o, "blocks_onlined", j_u64(k->onlined));
	add(o, "blocks_onlined_movable", j_u64(k->onlined_movable));
	add(o, "blocks_onlined_kernel", j_u64(k->onlined_kernel));
	add(o, "blocks_failed", j_u64(k->failed));
	add(o, "blocks_pending", j_u64(v->sched->nr_queued));
	add(o, "retries", j_u64(k->retried));
	add(o, "lost_races", j_u64(k->lost_races));
	add(o, "vanished", j_u64(k->vanished));
	add(o, "zone_mismatches", j_u64(k->zone_mismatch));
	add(o, "rescans", j_u64(k->rescans));
	add(o, "uevents", j_u64(k->uevents));
	if (k->has_last) {
		json_object *l = json_object_new_object();

		add(l, "block", j_u64(k->last_block));
		add(l, "zone",
		    json_object_new_string(mh_zone_name(k->last_zone)));
		add(o, "last_onlined", l);
	} else {
		add(o, "last_onlined", NULL);
	}
	add(o, "competitors_detected", j_u64(v->nr_competitors));
	comp = json_object_new_array();
	for (size_t i = 0; i < v->nr_competitors && i < MH_MAX_COMPETITORS; i++)
		json_object_array_add(
			comp, json_object_new_string(v->competitors[i]));
	add(o, "competitors", comp);
	{
		const struct mh_balloon_state *bs = v->balloon;
		json_object *bo = json_object_new_object();

		add(bo, "active", json_object_new_boolean(bs->facts.active));
		add(bo, "driver", j_str_or_null(bs->facts.driver));
		add(bo, "kernel_compaction",
		    bs->vmstat_read
			    ? json_object_new_boolean(bs->kernel_compaction)
			    : NULL);
		add(bo, "compaction",
		    json_object_new_boolean(bs->facts.compaction));
		add(bo, "movable_risk",
		    json_object_new_boolean(mh_balloon_risky(bs)));
		add(bo, "mode",
		    json_object_new_string(
			    mh_balloon_mode_name(cfg->policy.balloon)));
		add(o, "balloon", bo);
	}
	add(o, "kernel_free_min", j_u64(cfg->policy.kernel_free_min));
	add(o, "guard_episode", json_object_new_boolean(v->guard_episode));
	return o;
}

#ifndef EHWPOISON
#define EHWPOISON 133
#endif

/* "mode", "kernel", "cross_check", "kernel_onlined", "poisoned" (kernel.h). */
static void add_kernel_keys(json_object *o, const struct mh_inventory *inv,
			    const struct mh_config *cfg,
			    const struct mh_report_view *v)
{
	json_object *k, *cc, *arr, *p;

	add(o, "mode",
	    json_object_new_string(cfg->mode == MH_MODE_DELEGATE ? "delegate"
								 : "online"));
	if (!v) {
		add(o, "kernel", NULL);
		add(o, "cross_check", NULL);
		add(o, "kernel_onlined", NULL);
		add(o, "poisoned", NULL);
		return;
	}
	k = json_object_new_object();
	add(k, "release", json_object_new_string(v->kernel->release));
	add(k, "has_policy", json_object_new_boolean(v->kernel->has_policy));
	add(k, "auto_online_blocks_at_start",
	    json_object_new_string(v->kernel->aob_at_start));
	add(k, "auto_online_blocks", json_object_new_string(v->kernel->aob));
	add(k, "mirrored", json_object_new_boolean(v->kernel->mirrored));
	add(o, "kernel", k);
	cc = json_object_new_object();
	add(cc, "active", json_object_new_boolean(v->kernel->cross_check));
	add(cc, "agreements", j_u64(v->kernel->agreements));
	add(cc, "disagreements", j_u64(v->kernel->disagreements));
	add(o, "cross_check", cc);
	arr = json_object_new_array();
	for (size_t i = 0; i < v->kernel->nr_onlined; i++) {
		const struct mh_kernel_onlined *e = &v->kernel->onlined[i];
		json_object *eo;

		if (!mh_inv_block(inv, e->block))
			continue; /* removed since */
		eo = json_object_new_object();
		add(eo, "block", j_u64(e->block));
		add(eo, "zone", json_object_new_string(mh_zone_name(e->zone)));
		add(eo, "memhotd_zone",
		    e->verified
			    ? json_object_new_string(mh_zone_name(e->expected))
			    : NULL);
		add(eo, "agrees",
		    e->verified ? json_object_new_boolean(e->agrees) : NULL);
		json_object_array_add(arr, eo);
	}
	add(o, "kernel_onlined", arr);
	p = json_object_new_array();
	for (const struct mh_block *b = mh_inv_next_block(inv, 0); b;
	     b = mh_inv_next_block(inv, b->id + 1))
		if (mh_sched_state_of(v->sched, b->id, NULL) ==
		    MH_SCHED_POISONED)
			json_object_array_add(p, j_u64(b->id));
	add(o, "poisoned", p);
}

json_object *mh_report_status(const struct mh_inventory *inv,
			      const struct mh_config *cfg,
			      const struct mh_report_view *v, uint64_t now_usec)
{
	json_object *o = json_object_new_object(), *nodes, *devs, *t;
	const size_t nn = inv->nr_nodes;
	struct counts *group_c = NULL, *boot_c = NULL, *none_c = NULL,
		      *node_c = NULL, all = {0};
	struct mh_block_list l = {0};
	uint64_t ke = 0, eke = 0, hk = 0, mv = 0, hm = 0, cma = 0, h;
	struct mh_policy_config pc;

	policy_copy(cfg, &pc);

	add(o, "daemon", v ? j_daemon(cfg, v, now_usec) : NULL);
	add(o, "block_size", j_u64(inv->block_size_bytes));
	add(o, "page_size", j_u64(MH_PAGE_SIZE));
	add_kernel_keys(o, inv, cfg, v);

	/* nid -1 (no node link yet) is slot 0, node n slot n + 1. */
	group_c = calloc(inv->nr_groups + 1, sizeof(*group_c));
	boot_c = calloc(nn + 1, sizeof(*boot_c));
	none_c = calloc(nn + 1, sizeof(*none_c));
	node_c = calloc(nn + 1, sizeof(*node_c));
	if (!group_c || !boot_c || !none_c || !node_c ||
	    mh_listing_collect(inv, &l) < 0)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		const struct mh_block *b = l.v[i];
		size_t slot = b->nid >= 0 && (size_t)b->nid < nn
				      ? (size_t)b->nid + 1
				      : 0;

		count_block(&all, b);
		count_block(&node_c[slot], b);
		if (mh_listing_group_of(inv, b))
			count_block(&group_c[b->group], b);
		else if (b->hotplugged)
			count_block(&none_c[slot], b);
		else
			count_block(&boot_c[slot], b);
	}

	nodes = json_object_new_array();
	for (size_t n = 0; n < nn; n++) {
		if (!inv->totals[n].present)
			continue;
		json_object_array_add(nodes,
				      j_node(inv, &pc, n, &node_c[n + 1]));
		ke += inv->totals[n].kernel_early;
		eke += mh_policy_effective_kernel_early(
			&pc, inv->totals[n].kernel_early, NULL);
		mv += inv->totals[n].movable;
		hk += inv->nodes[n].hot_kernel;
		hm += inv->nodes[n].hot_movable;
		cma += inv->nodes[n].cma;
	}
	add(o, "nodes", nodes);

	devs = json_object_new_array();
	for (size_t s = 0; s <= nn; s++)
		if (boot_c[s].total)
			json_object_array_add(devs,
					      j_device(inv, &pc, -1, "boot",
						       (int)s - 1, &boot_c[s]));
	for (size_t g = 0; g < inv->nr_groups; g++)
		if (inv->gstats[g].alive)
			json_object_array_add(
				devs,
				j_device(
					inv, &pc, (ssize_t)g,
					mh_group_kind_name(inv->groups[g].kind),
					inv->gstats[g].nid, &group_c[g]));
	for (size_t s = 0; s <= nn; s++)
		if (none_c[s].total)
			json_object_array_add(devs,
					      j_device(inv, &pc, -1, "none",
						       (int)s - 1, &none_c[s]));
	add(o, "devices", devs);

	t = json_object_new_object();
	add(t, "kernel_early", j_u64(pages_bytes(ke)));
	add(t, "hotplugged_kernel", j_u64(pages_bytes(hk)));
	add(t, "movable", j_u64(pages_bytes(mv)));
	add(t, "hotplugged_movable", j_u64(pages_bytes(hm)));
	add(t, "cma", j_u64(pages_bytes(cma)));
	add(t, "ratio_limit",
	    cfg->policy.policy == MH_POLICY_AUTO_MOVABLE
		    ? j_u64(pages_bytes((uint64_t)cfg->policy.ratio * eke /
					100))
		    : NULL);
	add(t, "movable_percent",
	    eke ? json_object_new_double((double)mv * 100.0 / (double)eke)
		: NULL);
	add(t, "kernel_early_effective", j_u64(pages_bytes(eke)));
	if (mh_report_movable_headroom(inv, &pc, -1, &h)) {
		add(t, "movable_headroom", j_u64(pages_bytes(h)));
		add(t, "movable_headroom_memblocks",
		    j_u64(inv->block_pages ? h / inv->block_pages : 0));
	} else {
		add(t, "movable_headroom", NULL);
		add(t, "movable_headroom_memblocks", NULL);
	}
	add_counts(t, &all);
	add(t, "without_node_memblocks", j_u64(node_c[0].total));
	add(o, "totals", t);
out:
	free(l.v);
	free(group_c);
	free(boot_c);
	free(none_c);
	free(node_c);
	return o;
}

/* ---- explain ------------------------------------------------------------ */

json_object *mh_report_explain(const struct mh_inventory *inv,
			       const struct mh_config *cfg,
			       const struct mh_report_view *v, uint64_t block)
{
	const struct mh_block *b = mh_inv_block(inv, block);
	struct mh_listing_daemon ld;
	json_object *o;
	struct mh_decision dec;
	const char *wait, *source = "none";
	char note[256] = "";

	if (!b)
		return NULL;
	o = json_object_new_object();
	add(o, "block", mh_listing_block(inv, listing_daemon(v, &ld), b));
	wait = b->state == MH_BLOCK_OFFLINE ? waiting_for(b) : NULL;
	const struct mh_kernel_onlined *ko =
		v ? mh_kernel_find_onlined(v->kernel, block) : NULL;

	bool whole = mh_inv_decision(inv, b, &dec);

	if (b->has_decision && !whole) {
		/* Only the last MH_INV_DECISIONS_KEPT are kept whole. */
		source = "recorded-brief";
		snprintf(note, sizeof(note),
			 "memhotd keeps the numbers of its last %d decisions "
			 "(by block number) only; this block's %s target and "
			 "reason",
			 MH_INV_DECISIONS_KEPT,
			 b->state == MH_BLOCK_ONLINE ? "online decision: its"
						     : "last decision: its");
	} else if (b->has_decision && ko && ko->verified &&
		   b->state == MH_BLOCK_ONLINE) {
		source = "verified";
		snprintf(note, sizeof(note),
			 "the kernel onlined this block to %s itself; this is "
			 "memhotd's own decision with the state before it, "
			 "which %s",
			 mh_zone_name(ko->zone),
			 ko->agrees ? "agrees" : "DISAGREES");
	} else if (b->has_decision) {
		source = "recorded";
		snprintf(note, sizeof(note), "%s",
			 b->state == MH_BLOCK_ONLINE
				 ? "the decision memhotd made when it onlined "
				   "this block"
				 : "the decision memhotd made last for this "
				   "block");
	} else if (b->state == MH_BLOCK_OFFLINE && !wait) {
		struct mh_policy_config pc;

		policy_copy(cfg, &pc);
		if (mh_plan_decide(inv, &pc, v ? &v->balloon->facts : NULL, b,
				   &dec) == 0) {
			source = "computed";
			snprintf(note, sizeof(note),
				 "what memhotd would decide for this offline "
				 "block now");
		}
	} else if (wait) {
		snprintf(note, sizeof(note), "no decision yet: %s",
			 strcmp(wait, "wait-node") == 0
				 ? "the block has no nodeN link yet"
				 : "the owning device (DIMM) is not bound yet");
	} else if (b->state == MH_BLOCK_ONLINE) {
		snprintf(note, sizeof(note),
			 b->onlined_by == MH_BY_BOOT
				 ? "boot memory: online since boot, memhotd "
				   "made no decision"
			 : b->onlined_by == MH_BY_OTHER
				 ? "someone else (kernel auto-online, a udev "
				   "rule, daxctl) onlined this block first"
				 : "online before memhotd saw it; memhotd made "
				   "no decision");
	} else {
		snprintf(note, sizeof(note), "the block is going offline");
	}
	add(o, "decision_source", json_object_new_string(source));
	if (strcmp(source, "recorded-brief") == 0) {
		json_object *brief = json_object_new_object();

		add(brief, "target",
		    json_object_new_string(
			    mh_listing_target_name(b->decision.target)));
		add(brief, "reason",
		    json_object_new_string(mh_reason_name(b->decision.reason)));
		add(o, "decision", brief);
	} else {
		add(o, "decision",
		    strcmp(source, "none") ? j_decision(&dec) : NULL);
	}
	add(o, "waiting", j_str_or_null(wait));
	add(o, "note", json_object_new_string(note));
	return o;
}

/* ---- plan --------------------------------------------------------------- */

static bool offlined_by_other(void *sched, uint64_t id)
{
	int ferr;

	return sched_state(sched, id, &ferr) == MH_SCHED_OFFLINED;
}

/* One device's blocks after the plan as ranges of equal state/zone. */
static json_object *j_device_layout(const struct mh_inventory *after, ssize_t g)
{
	json_object *ranges = json_object_new_array(), *cur = NULL;
	const char *cur_zone = NULL;
	uint64_t last = 0, n = 0;

	for (const struct mh_block *b = mh_inv_next_block(after, 0); b;
	     b = b->id == UINT64_MAX ? NULL
				     : mh_inv_next_block(after, b->id + 1)) {
		const char *z;

		if (b->group != g)
			continue;
		z = b->state != MH_BLOCK_ONLINE	 ? "offline"
		    : b->zone == MH_ZONE_MOVABLE ? "Movable"
						 : "kernel";
		if (cur && cur_zone == z && b->id == last + 1) {
			json_object_object_add(cur, "last", j_u64(b->id));
			json_object_object_add(cur, "memblocks", j_u64(++n));
		} else {
			n = 1;
			cur = json_object_new_object();
			add(cur, "first", j_u64(b->id));
			add(cur, "last", j_u64(b->id));
			add(cur, "memblocks", j_u64(1));
			add(cur, "zone", json_object_new_string(z));
			json_object_array_add(ranges, cur);
			cur_zone = z;
		}
		last = b->id;
	}
	return ranges;
}

json_object *mh_report_plan(const struct mh_inventory *inv,
			    const struct mh_config *cfg,
			    const struct mh_report_view *v)
{
	return mh_report_plan_adds(inv, cfg, v, NULL, 0, NULL, NULL);
}

json_object *mh_report_plan_adds(const struct mh_inventory *inv,
				 const struct mh_config *cfg,
				 const struct mh_report_view *v,
				 const struct mh_plan_add *adds, size_t nr_adds,
				 ssize_t *bad_add, int *bad_errno)
{
	json_object *o, *arr;
	json_object *t, *nodes_after, *devs;
	struct mh_plan_input in = {
		.policy = &cfg->policy,
		.balloon = v ? &v->balloon->facts : NULL,
		.leave_alone = v ? offlined_by_other : NULL,
		.ctx = v ? (void *)v->sched : NULL,
		.adds = adds,
		.nr_adds = nr_adds,
	};
	struct mh_listing_daemon ld;
	struct mh_plan p;
	int r = mh_plan_run(inv, &in, &p);

	if (r < 0 && p.bad_add >= 0) {
		if (bad_add)
			*bad_add = p.bad_add;
		if (bad_errno)
			*bad_errno = p.bad_add_errno;
		return NULL;
	}
	o = json_object_new_object();
	arr = json_object_new_array();
	add(o, "policy",
	    json_object_new_string(mh_policy_name(cfg->policy.policy)));
	add(o, "auto_movable_ratio", json_object_new_int64(cfg->policy.ratio));
	add(o, "auto_movable_numa_aware",
	    json_object_new_boolean(cfg->policy.numa_aware));
	add(o, "dry_run", json_object_new_boolean(true));
	if (r < 0)
		goto out;
	for (size_t i = 0; i < p.nr_steps; i++) {
		const struct mh_plan_step *s = &p.steps[i];
		json_object *e;

		if (s->hypothetical) {
			e = mh_listing_block(&p.after, NULL,
					     mh_inv_block(&p.after, s->id));
			json_object_object_add(
				e, "state", json_object_new_string("absent"));
			json_object_object_add(e, "zone", NULL);
			json_object_object_add(e, "onlined_by", NULL);
			json_object_object_del(e, "decision");
		} else {
			e = mh_listing_block(inv, listing_daemon(v, &ld),
					     mh_inv_block(inv, s->id));
		}
		add(e, "hypothetical",
		    json_object_new_boolean(s->hypothetical));
		add(e, "add", s->hypothetical ? j_u64(s->add) : NULL);
		add(e, "skip", j_str_or_null(mh_plan_skip_name(s->skip)));
		add(e, "plan",
		    s->skip == MH_PLAN_DECIDED ? j_decision(&s->dec) : NULL);
		json_object_array_add(arr, e);
	}
	nodes_after = json_object_new_array();
	for (size_t n = 0; n < p.after.nr_nodes; n++) {
		const struct mh_zone_totals *zt = &p.after.totals[n];
		json_object *x;
		uint64_t h;

		if (!zt->present)
			continue;
		x = json_object_new_object();
		add(x, "node", json_object_new_int((int)n));
		add(x, "kernel_early", j_u64(pages_bytes(zt->kernel_early)));
		add(x, "hotplugged_kernel",
		    j_u64(pages_bytes(p.after.nodes[n].hot_kernel)));
		add(x, "movable", j_u64(pages_bytes(zt->movable)));
		if (mh_report_movable_headroom(&p.after, &p.policy, (int)n,
					       &h)) {
			add(x, "movable_headroom", j_u64(pages_bytes(h)));
			add(x, "movable_headroom_memblocks",
			    j_u64(p.after.block_pages ? h / p.after.block_pages
						      : 0));
		} else {
			add(x, "movable_headroom", NULL);
			add(x, "movable_headroom_memblocks", NULL);
		}
		json_object_array_add(nodes_after, x);
	}
	add(o, "nodes_after", nodes_after);
	devs = json_object_new_array();
	for (size_t g = 0; g < p.after.nr_groups; g++) {
		const struct mh_group *gr = &p.after.groups[g];
		json_object *x;

		if (!p.after.gstats[g].alive || !gr->nr_blocks)
			continue;
		x = json_object_new_object();
		add(x, "name", json_object_new_string(gr->name));
		add(x, "type",
		    json_object_new_string(mh_group_kind_name(gr->kind)));
		add(x, "node", json_object_new_int(p.after.gstats[g].nid));
		add(x, "hypothetical",
		    json_object_new_boolean(mh_inv_group_find(inv, gr->name) <
					    0));
		add(x, "ranges", j_device_layout(&p.after, (ssize_t)g));
		json_object_array_add(devs, x);
	}
	add(o, "devices_after", devs);
out:
	add(o, "memory", arr);
	t = json_object_new_object();
	add(t, "movable_memblocks", j_u64(p.nr_movable));
	add(t, "kernel_memblocks", j_u64(p.nr_kernel));
	add(t, "skipped_memblocks", j_u64(p.nr_skipped));
	add(o, "totals", t);
	mh_plan_free(&p);
	return o;
}
