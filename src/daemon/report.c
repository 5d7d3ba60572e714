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
#include <stddef.h>
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
#include "memhotd/util.h"

#ifndef MEMHOTD_VERSION
#define MEMHOTD_VERSION "unknown"
#endif

/* ---- small helpers ------------------------------------------------------ */

/*
 * Allocation failures: every json-c constructor goes through the j_*
 * helpers below, which note a failure in j_oom; each public builder clears
 * it first and ends with j_done(), which drops the reply and returns NULL
 * when anything failed (the control server then answers "out of memory").
 * A NULL value handed to add() is otherwise a JSON null.  The daemon is
 * single-threaded; replies are built one at a time.
 */
static bool j_oom;

static json_object *j_check_new(json_object *v)
{
	if (!v)
		j_oom = true;
	return v;
}

static json_object *j_u64(uint64_t v)
{
	return j_check_new(json_object_new_uint64(v));
}

static json_object *j_int(int64_t v)
{
	return j_check_new(json_object_new_int64(v));
}

static json_object *j_bool(bool v)
{
	return j_check_new(json_object_new_boolean(v));
}

static json_object *j_double(double v)
{
	return j_check_new(json_object_new_double(v));
}

static json_object *j_str(const char *s)
{
	return j_check_new(json_object_new_string(s));
}

static json_object *j_str_or_null(const char *s)
{
	return s ? j_str(s) : NULL;
}

static json_object *j_obj(void)
{
	return j_check_new(json_object_new_object());
}

static json_object *j_arr(void)
{
	return j_check_new(json_object_new_array());
}

/* o[k] = v (v NULL: null); v is o's (or freed) afterwards. */
static void add(json_object *o, const char *k, json_object *v)
{
	if (!o || json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		j_oom = true;
	}
}

/* Appends v (never NULL but on a failure) to array a. */
static void push(json_object *a, json_object *v)
{
	if (!a || !v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		j_oom = true;
	}
}

/* The end of a public builder: o, or NULL if anything failed. */
static json_object *j_done(json_object *o)
{
	if (j_oom || !o) {
		json_object_put(o);
		o = NULL;
	}
	j_oom = false;
	return o;
}

/* A table of uint64_t fields of a struct and their keys. */
struct j_field {
	const char *key;
	size_t off;
};

#define J_FIELD(type, k, f)                                                    \
	{                                                                      \
		k, offsetof(type, f)                                           \
	}

/* o[key] = each field of base (times scale: pages -> bytes, or 1). */
static void add_fields(json_object *o, const struct j_field *f, size_t n,
		       const void *base, uint64_t scale)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)base + f[i].off, sizeof(v));
		add(o, f[i].key, j_u64(v * scale));
	}
}

static uint64_t pages_bytes(uint64_t pages)
{
	return pages * MH_PAGE_SIZE;
}

/* ---- decisions ---------------------------------------------------------- */

static const struct j_field check_fields[] = {
	J_FIELD(struct mh_ratio_check, "kernel_early_pages", kernel_early),
	J_FIELD(struct mh_ratio_check, "movable_pages", movable),
	J_FIELD(struct mh_ratio_check, "requirement_pages", requirement),
	J_FIELD(struct mh_ratio_check, "group_movable_pages", group_movable),
	J_FIELD(struct mh_ratio_check, "own_kernel_pages", own_kernel),
	J_FIELD(struct mh_ratio_check, "nr_pages", nr_pages),
	J_FIELD(struct mh_ratio_check, "kernel_after_pages", kernel_after),
	J_FIELD(struct mh_ratio_check, "movable_after_pages", movable_after),
	J_FIELD(struct mh_ratio_check, "limit_pages", limit),
};

static json_object *j_check(const struct mh_ratio_check *c)
{
	json_object *o;

	if (!c->evaluated)
		return NULL;
	o = j_obj();
	add(o, "node", c->nid < 0 ? NULL : j_int(c->nid));
	add(o, "pass", j_bool(c->pass));
	add_fields(o, check_fields, MH_ELEMENTSOF(check_fields), c, 1);
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

	add(o, "overridden", j_bool(d->overridden));
	add(o, "base_target",
	    d->overridden ? j_str(mh_listing_target_name(d->base_target))
			  : NULL);
	add(o, "base_reason",
	    d->overridden ? j_str(mh_reason_name(d->base_reason)) : NULL);
	add(o, "device_type", j_str(mh_dev_type_name(d->dev_type)));
	if (d->rule_matched) {
		x = j_obj();
		add(x, "name", j_str(d->rule_name));
		add(x, "zone", j_str(mh_rule_zone_name(d->rule_zone)));
		add(o, "rule", x);
	} else {
		add(o, "rule", NULL);
	}
	add(o, "kernel_reserve_pages",
	    d->reserve_pages ? j_u64(d->reserve_pages) : NULL);
	if (d->guard_on) {
		x = j_obj();
		add(x, "measured", j_bool(d->guard_known));
		add(x, "kernel_free_bytes",
		    d->guard_known ? j_u64(d->guard_free_bytes) : NULL);
		add(x, "kernel_free_min_bytes", j_u64(d->guard_min_bytes));
		add(x, "low", j_bool(d->guard_low));
		add(o, "guard", x);
	} else {
		add(o, "guard", NULL);
	}
	if (d->balloon_risk) {
		x = j_obj();
		add(x, "driver", j_str(d->balloon_driver));
		add(x, "mode", j_str(mh_balloon_mode_name(d->balloon_mode)));
		add(o, "balloon_without_compaction", x);
	} else {
		add(o, "balloon_without_compaction", NULL);
	}
}

/* "target" and "reason" of a decision. */
static json_object *j_target_reason(json_object *o, enum mh_target target,
				    enum mh_reason reason)
{
	add(o, "target", j_str(mh_listing_target_name(target)));
	add(o, "reason", j_str(mh_reason_name(reason)));
	return o;
}

static json_object *j_decision(const struct mh_decision *d)
{
	json_object *o = j_target_reason(j_obj(), d->target, d->reason);
	char text[2048];

	mh_decision_explain(d, MH_PAGE_SIZE, text, sizeof(text));
	add(o, "policy", j_str(mh_policy_name(d->policy)));
	add(o, "ratio", j_int(d->ratio));
	add(o, "max_pages", j_u64(d->max_pages));
	add(o, "online_pages", j_u64(d->online_pages));
	add(o, "rest_pages", j_u64(d->rest_pages));
	add(o, "global", j_check(&d->global));
	add(o, "node", j_check(&d->node));
	add_beyond_keys(o, d);
	add(o, "explanation", j_str(text));
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

static const struct j_field count_fields[] = {
	J_FIELD(struct counts, "total_memblocks", total),
	J_FIELD(struct counts, "online_memblocks", online),
	J_FIELD(struct counts, "offline_memblocks", offline),
	J_FIELD(struct counts, "going_offline_memblocks", going),
	J_FIELD(struct counts, "movable_memblocks", movable),
	J_FIELD(struct counts, "kernel_memblocks", kernel),
};

static void add_counts(json_object *o, const struct counts *c)
{
	json_object *z = j_obj();

	add_fields(o, count_fields, MH_ELEMENTSOF(count_fields), c, 1);
	for (int i = MH_ZONE_UNKNOWN; i <= MH_ZONE_MOVABLE; i++)
		if (c->zones[i])
			add(z, mh_zone_name((enum mh_zone)i),
			    j_u64(c->zones[i]));
	add(o, "zones", z);
}

/* A node's memory (or all nodes'), in pages, as status and plan show it. */
struct mem {
	uint64_t kernel_early, hot_kernel, movable, hot_movable, cma;
};

static const struct j_field mem_fields[] = {
	J_FIELD(struct mem, "kernel_early", kernel_early),
	J_FIELD(struct mem, "hotplugged_kernel", hot_kernel),
	J_FIELD(struct mem, "movable", movable),
	J_FIELD(struct mem, "hotplugged_movable", hot_movable),
	J_FIELD(struct mem, "cma", cma),
};
/* plan's nodes_after shows the first three */
#define MEM_FIELDS_PLAN 3

static struct mem node_mem(const struct mh_inventory *inv, size_t nid)
{
	return (struct mem){
		.kernel_early = inv->totals[nid].kernel_early,
		.hot_kernel = inv->nodes[nid].hot_kernel,
		.movable = inv->totals[nid].movable,
		.hot_movable = inv->nodes[nid].hot_movable,
		.cma = inv->nodes[nid].cma,
	};
}

/* o's memory keys, in bytes: the first n of mem_fields. */
static void add_mem(json_object *o, const struct mem *m, size_t n)
{
	add_fields(o, mem_fields, n, m, MH_PAGE_SIZE);
}

/* "ratio_limit" and "movable_percent" for eff pages of KERNEL_EARLY (after
 * any reserve) and movable pages of MOVABLE. */
static void add_ratio(json_object *o, const struct mh_policy_config *pc,
		      uint64_t eff, uint64_t movable)
{
	add(o, "ratio_limit",
	    pc->policy == MH_POLICY_AUTO_MOVABLE
		    ? j_u64(pages_bytes((uint64_t)pc->ratio * eff / 100))
		    : NULL);
	add(o, "movable_percent",
	    eff ? j_double((double)movable * 100.0 / (double)eff) : NULL);
}

/* "movable_headroom" (bytes) and "movable_headroom_memblocks", or nulls. */
static void add_headroom(json_object *o, const struct mh_inventory *inv,
			 const struct mh_policy_config *pc, int nid)
{
	uint64_t h;
	const bool known = mh_report_movable_headroom(inv, pc, nid, &h);

	add(o, "movable_headroom", known ? j_u64(pages_bytes(h)) : NULL);
	add(o, "movable_headroom_memblocks",
	    known ? j_u64(inv->block_pages ? h / inv->block_pages : 0) : NULL);
}

static json_object *j_node(const struct mh_inventory *inv,
			   const struct mh_policy_config *pc, size_t nid,
			   const struct counts *c)
{
	json_object *o = j_obj();
	const struct mem m = node_mem(inv, nid);
	uint64_t reserved = 0;
	const uint64_t eff =
		mh_policy_effective_kernel_early(pc, m.kernel_early, &reserved);

	add(o, "node", j_int((int)nid));
	add_mem(o, &m, MH_ELEMENTSOF(mem_fields));
	/* [policy] kernel_reserve: what the ratio checks count */
	add(o, "kernel_reserve",
	    j_u64(pages_bytes(mh_policy_reserve_pages(pc))));
	add(o, "kernel_early_reserved", j_u64(pages_bytes(reserved)));
	add(o, "kernel_early_effective", j_u64(pages_bytes(eff)));
	add_ratio(o, pc, eff, m.movable);
	add_headroom(o, inv, pc, (int)nid);
	add(o, "needs_calibration",
	    j_bool(inv->nodes[nid].early_kernel_blocks_changed > 0));
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
	json_object *o = j_obj();
	const uint64_t bs = inv->block_size_bytes;
	const struct mh_group *g = gi >= 0 ? &inv->groups[gi] : NULL;
	const struct mh_group_stats *s = gi >= 0 ? &inv->gstats[gi] : NULL;
	const bool dynamic = s && s->dynamic;
	const struct mh_rule *rule =
		device_rule(pc, type, g ? g->name : NULL, s ? s->nid : nid);

	/* An ungrouped device: its blocks' span and zones, no size. */
	if (s)
		nid = s->nid;
	add(o, "name", g ? j_str(g->name) : NULL);
	add(o, "type", j_str(type));
	add(o, "target_node", nid >= 0 ? j_int(nid) : NULL);
	add(o, "dynamic", j_bool(dynamic));
	add(o, "start",
	    j_u64(g ? pages_bytes(g->start_pfn) : c->first_block * bs));
	add(o, "end",
	    g && g->end_pfn > g->start_pfn ? j_u64(pages_bytes(g->end_pfn) - 1)
					   : NULL);
	add(o, "unit_size", dynamic ? j_u64(pages_bytes(s->unit_pages)) : NULL);
	add(o, "size", s && !dynamic ? j_u64(pages_bytes(s->max_pages)) : NULL);
	add(o, "present_movable",
	    j_u64(s ? pages_bytes(s->present_movable) : c->movable * bs));
	add(o, "present_kernel",
	    j_u64(s ? pages_bytes(s->present_kernel) : c->kernel * bs));
	/* daxctl's "movable": all online blocks Movable (or none); mixed or
	 * nothing online: absent. */
	if (c->online && (c->movable == c->online || c->kernel == c->online))
		add(o, "movable", j_bool(c->movable > 0));
	add(o, "rule", rule ? j_str(rule->name) : NULL);
	add(o, "rule_zone",
	    rule ? j_str(mh_rule_zone_name(rule->has_zone ? rule->zone
							  : MH_RULE_AUTO))
		 : NULL);
	add_counts(o, c);
	return o;
}

/* "policy", "auto_movable_ratio", "auto_movable_numa_aware". */
static void add_policy(json_object *o, const struct mh_config *cfg)
{
	add(o, "policy", j_str(mh_policy_name(cfg->policy.policy)));
	add(o, "auto_movable_ratio", j_int(cfg->policy.ratio));
	add(o, "auto_movable_numa_aware", j_bool(cfg->policy.numa_aware));
}

static const struct j_field counter_fields[] = {
	J_FIELD(struct mh_counters, "blocks_onlined", onlined),
	J_FIELD(struct mh_counters, "blocks_onlined_movable", onlined_movable),
	J_FIELD(struct mh_counters, "blocks_onlined_kernel", onlined_kernel),
	J_FIELD(struct mh_counters, "blocks_failed", failed),
	/* "blocks_pending" (the scheduler's) comes here */
	J_FIELD(struct mh_counters, "retries", retried),
	J_FIELD(struct mh_counters, "lost_races", lost_races),
	J_FIELD(struct mh_counters, "vanished", vanished),
	J_FIELD(struct mh_counters, "zone_mismatches", zone_mismatch),
	J_FIELD(struct mh_counters, "rescans", rescans),
	J_FIELD(struct mh_counters, "uevents", uevents),
};
#define COUNTERS_BEFORE_PENDING 4

static json_object *j_daemon(const struct mh_config *cfg,
			     const struct mh_report_view *v, uint64_t now_usec)
{
	json_object *o = j_obj(), *comp;
	const struct mh_counters *k = v->counters;

	add(o, "version",
	    j_str(MEMHOTD_VERSION[0] ? MEMHOTD_VERSION : "unknown"));
	add(o, "pid", j_int((int)getpid()));
	add_policy(o, cfg);
	add(o, "config_file", j_str(v->config_path));
	add(o, "control_group",
	    cfg->control_group_set ? j_str(cfg->control_group) : NULL);
	add(o, "dry_run", j_bool(v->dry_run));
	add(o, "uptime_sec",
	    j_u64(now_usec > v->start_usec
			  ? (now_usec - v->start_usec) / 1000000
			  : 0));
	add_fields(o, counter_fields, COUNTERS_BEFORE_PENDING, k, 1);
	add(o, "blocks_pending", j_u64(v->sched->nr_queued));
	add_fields(o, counter_fields + COUNTERS_BEFORE_PENDING,
		   MH_ELEMENTSOF(counter_fields) - COUNTERS_BEFORE_PENDING, k,
		   1);
	if (k->has_last) {
		json_object *l = j_obj();

		add(l, "block", j_u64(k->last_block));
		add(l, "zone", j_str(mh_zone_name(k->last_zone)));
		add(o, "last_onlined", l);
	} else {
		add(o, "last_onlined", NULL);
	}
	add(o, "competitors_detected", j_u64(v->nr_competitors));
	comp = j_arr();
	for (size_t i = 0; i < v->nr_competitors && i < MH_MAX_COMPETITORS; i++)
		push(comp, j_str(v->competitors[i]));
	add(o, "competitors", comp);
	{
		const struct mh_balloon_state *bs = v->balloon;
		json_object *bo = j_obj();

		add(bo, "active", j_bool(bs->facts.active));
		add(bo, "driver", j_str_or_null(bs->facts.driver));
		add(bo, "kernel_compaction",
		    bs->vmstat_read ? j_bool(bs->kernel_compaction) : NULL);
		add(bo, "compaction", j_bool(bs->facts.compaction));
		add(bo, "movable_risk", j_bool(mh_balloon_risky(bs)));
		add(bo, "mode",
		    j_str(mh_balloon_mode_name(cfg->policy.balloon)));
		add(o, "balloon", bo);
	}
	add(o, "kernel_free_min", j_u64(cfg->policy.kernel_free_min));
	add(o, "guard_episode", j_bool(v->guard_episode));
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
	    j_str(cfg->mode == MH_MODE_DELEGATE ? "delegate" : "online"));
	if (!v) {
		add(o, "kernel", NULL);
		add(o, "cross_check", NULL);
		add(o, "kernel_onlined", NULL);
		add(o, "poisoned", NULL);
		return;
	}
	k = j_obj();
	add(k, "release", j_str(v->kernel->release));
	add(k, "has_policy", j_bool(v->kernel->has_policy));
	add(k, "auto_online_blocks_at_start", j_str(v->kernel->aob_at_start));
	add(k, "auto_online_blocks", j_str(v->kernel->aob));
	add(k, "mirrored", j_bool(v->kernel->mirrored));
	add(o, "kernel", k);
	cc = j_obj();
	add(cc, "active", j_bool(v->kernel->cross_check));
	add(cc, "agreements", j_u64(v->kernel->agreements));
	add(cc, "disagreements", j_u64(v->kernel->disagreements));
	add(o, "cross_check", cc);
	arr = j_arr();
	for (size_t i = 0; i < v->kernel->nr_onlined; i++) {
		const struct mh_kernel_onlined *e = &v->kernel->onlined[i];
		json_object *eo;

		if (!mh_inv_block(inv, e->block))
			continue; /* removed since */
		eo = j_obj();
		add(eo, "block", j_u64(e->block));
		add(eo, "zone", j_str(mh_zone_name(e->zone)));
		add(eo, "memhotd_zone",
		    e->verified ? j_str(mh_zone_name(e->expected)) : NULL);
		add(eo, "agrees", e->verified ? j_bool(e->agrees) : NULL);
		push(arr, eo);
	}
	add(o, "kernel_onlined", arr);
	p = j_arr();
	for (const struct mh_block *b = mh_inv_next_block(inv, 0); b;
	     b = mh_inv_next_block(inv, b->id + 1))
		if (mh_sched_state_of(v->sched, b->id, NULL) ==
		    MH_SCHED_POISONED)
			push(p, j_u64(b->id));
	add(o, "poisoned", p);
}

json_object *mh_report_status(const struct mh_inventory *inv,
			      const struct mh_config *cfg,
			      const struct mh_report_view *v, uint64_t now_usec)
{
	json_object *o, *nodes, *devs, *t;
	const size_t nn = inv->nr_nodes;
	struct counts *group_c = NULL, *boot_c = NULL, *none_c = NULL,
		      *node_c = NULL, all = {0};
	struct mh_block_list l = {0};
	struct mem sum = {0};
	uint64_t eke = 0;
	struct mh_policy_config pc;

	j_oom = false;
	o = j_obj();
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
	    mh_listing_collect(inv, &l) < 0) {
		j_oom = true;
		goto out;
	}
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

	nodes = j_arr();
	for (size_t n = 0; n < nn; n++) {
		if (!inv->totals[n].present)
			continue;
		push(nodes, j_node(inv, &pc, n, &node_c[n + 1]));
		const struct mem m = node_mem(inv, n);

		sum.kernel_early += m.kernel_early;
		sum.hot_kernel += m.hot_kernel;
		sum.movable += m.movable;
		sum.hot_movable += m.hot_movable;
		sum.cma += m.cma;
		eke += mh_policy_effective_kernel_early(&pc, m.kernel_early,
							NULL);
	}
	add(o, "nodes", nodes);

	devs = j_arr();
	for (size_t s = 0; s <= nn; s++)
		if (boot_c[s].total)
			push(devs, j_device(inv, &pc, -1, "boot", (int)s - 1,
					    &boot_c[s]));
	for (size_t g = 0; g < inv->nr_groups; g++)
		if (inv->gstats[g].alive)
			push(devs,
			     j_device(inv, &pc, (ssize_t)g,
				      mh_group_kind_name(inv->groups[g].kind),
				      inv->gstats[g].nid, &group_c[g]));
	for (size_t s = 0; s <= nn; s++)
		if (none_c[s].total)
			push(devs, j_device(inv, &pc, -1, "none", (int)s - 1,
					    &none_c[s]));
	add(o, "devices", devs);

	t = j_obj();
	add_mem(t, &sum, MH_ELEMENTSOF(mem_fields));
	add_ratio(t, &pc, eke, sum.movable);
	add(t, "kernel_early_effective", j_u64(pages_bytes(eke)));
	add_headroom(t, inv, &pc, -1);
	add_counts(t, &all);
	add(t, "without_node_memblocks", j_u64(node_c[0].total));
	add(o, "totals", t);
out:
	free(l.v);
	free(group_c);
	free(boot_c);
	free(none_c);
	free(node_c);
	return j_done(o);
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
	j_oom = false;
	o = j_obj();
	add(o, "block",
	    j_check_new(mh_listing_block(inv, listing_daemon(v, &ld), b)));
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
	add(o, "decision_source", j_str(source));
	if (strcmp(source, "recorded-brief") == 0) {
		add(o, "decision",
		    j_target_reason(j_obj(), b->decision.target,
				    b->decision.reason));
	} else {
		add(o, "decision",
		    strcmp(source, "none") ? j_decision(&dec) : NULL);
	}
	add(o, "waiting", j_str_or_null(wait));
	add(o, "note", j_str(note));
	return j_done(o);
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
	json_object *ranges = j_arr(), *cur = NULL;
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
			add(cur, "last", j_u64(b->id));
			add(cur, "memblocks", j_u64(++n));
		} else {
			n = 1;
			cur = j_obj();
			add(cur, "first", j_u64(b->id));
			add(cur, "last", j_u64(b->id));
			add(cur, "memblocks", j_u64(1));
			add(cur, "zone", j_str(z));
			push(ranges, cur);
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
	j_oom = r == -ENOMEM;
	o = j_obj();
	arr = j_arr();
	add_policy(o, cfg);
	add(o, "dry_run", j_bool(true));
	if (r < 0)
		goto out;
	for (size_t i = 0; i < p.nr_steps; i++) {
		const struct mh_plan_step *s = &p.steps[i];
		json_object *e;

		if (s->hypothetical) {
			e = j_check_new(mh_listing_block(
				&p.after, NULL, mh_inv_block(&p.after, s->id)));
			add(e, "state", j_str("absent"));
			add(e, "zone", NULL);
			add(e, "onlined_by", NULL);
			if (e)
				json_object_object_del(e, "decision");
		} else {
			e = j_check_new(
				mh_listing_block(inv, listing_daemon(v, &ld),
						 mh_inv_block(inv, s->id)));
		}
		add(e, "hypothetical", j_bool(s->hypothetical));
		add(e, "add", s->hypothetical ? j_u64(s->add) : NULL);
		add(e, "skip", j_str_or_null(mh_plan_skip_name(s->skip)));
		add(e, "plan",
		    s->skip == MH_PLAN_DECIDED ? j_decision(&s->dec) : NULL);
		push(arr, e);
	}
	nodes_after = j_arr();
	for (size_t n = 0; n < p.after.nr_nodes; n++) {
		const struct mem m = node_mem(&p.after, n);
		json_object *x;

		if (!p.after.totals[n].present)
			continue;
		x = j_obj();
		add(x, "node", j_int((int)n));
		add_mem(x, &m, MEM_FIELDS_PLAN);
		add_headroom(x, &p.after, &p.policy, (int)n);
		push(nodes_after, x);
	}
	add(o, "nodes_after", nodes_after);
	devs = j_arr();
	for (size_t g = 0; g < p.after.nr_groups; g++) {
		const struct mh_group *gr = &p.after.groups[g];
		json_object *x;

		if (!p.after.gstats[g].alive || !gr->nr_blocks)
			continue;
		x = j_obj();
		add(x, "name", j_str(gr->name));
		add(x, "type", j_str(mh_group_kind_name(gr->kind)));
		add(x, "node", j_int(p.after.gstats[g].nid));
		add(x, "hypothetical",
		    j_bool(mh_inv_group_find(inv, gr->name) < 0));
		add(x, "ranges", j_device_layout(&p.after, (ssize_t)g));
		push(devs, x);
	}
	add(o, "devices_after", devs);
out:
	add(o, "memory", arr);
	t = j_obj();
	add(t, "movable_memblocks", j_u64(p.nr_movable));
	add(t, "kernel_memblocks", j_u64(p.nr_kernel));
	add(t, "skipped_memblocks", j_u64(p.nr_skipped));
	add(o, "totals", t);
	mh_plan_free(&p);
	return j_done(o);
}
