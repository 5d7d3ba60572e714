/* SPDX-License-Identifier: MIT */
/*
 * Inventory + configuration + counters -> json-c objects (the control
 * socket's replies), and the text renderers of memhotctl.  Key names:
 * doc/control-protocol.md.
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

void mh_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char suffix[] = "BKMGTPE";
	unsigned int exp = 0;
	uint64_t unit = 1, dec, frac, tenths;

	while (exp < 6 && bytes >= (unit << 10)) {
		unit <<= 10;
		exp++;
	}
	dec = bytes / unit;
	frac = bytes % unit;
	/* tenths, rounded half up, without overflowing for exa units */
	tenths = unit >= 10 ? (frac / (unit / 10) * 10 +
			       (frac % (unit / 10)) * 10 / (unit / 10) + 5) /
				      10
			    : 0;
	if (tenths >= 10) {
		dec++;
		tenths = 0;
	}
	if (tenths)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", dec, tenths,
			 suffix[exp]);
	else
		snprintf(buf, len, "%" PRIu64 "%c", dec, suffix[exp]);
}

int mh_parse_block_arg(const char *s, uint64_t *id)
{
	char *end;
	unsigned long long v;

	if (!s)
		return -EINVAL;
	if (strncmp(s, "memory", 6) == 0)
		s += 6;
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*id = v;
	return 0;
}

/* The scheduler's state of block id (none without a daemon). */
static enum mh_sched_state sched_state(const struct mh_daemon *d, uint64_t id,
				       int *err)
{
	*err = 0;
	return d ? mh_sched_state_of(&d->sched, id, err) : MH_SCHED_NONE;
}

static const struct mh_group *group_of(const struct mh_inventory *inv,
				       const struct mh_block *b)
{
	if (b->group < 0 || (size_t)b->group >= inv->nr_groups ||
	    !inv->gstats[b->group].alive)
		return NULL;
	return &inv->groups[b->group];
}

/* "virtio-mem", "dimm", "dax"; ungrouped: "boot" (early) or "none". */
static const char *device_type(const struct mh_inventory *inv,
			       const struct mh_block *b)
{
	const struct mh_group *g = group_of(inv, b);

	if (g)
		return mh_group_kind_name(g->kind);
	return b->hotplugged ? "none" : "boot";
}

/* Every block, ascending, into a malloc'd array of pointers. */
struct block_list {
	struct mh_block **v;
	size_t n, cap;
};

static int collect_cb(struct mh_block *b, void *ctx)
{
	struct block_list *l = ctx;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		void *p = realloc(l->v, ncap * sizeof(*l->v));

		if (!p)
			return -ENOMEM;
		l->v = p;
		l->cap = ncap;
	}
	l->v[l->n++] = b;
	return 0;
}

static int collect(const struct mh_inventory *inv, struct block_list *l)
{
	memset(l, 0, sizeof(*l));
	return mh_inv_for_each_block(inv, collect_cb, l);
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

static const char *target_name(enum mh_target t)
{
	return t == MH_TARGET_MOVABLE ? "movable" : "kernel";
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
	    d->overridden ? json_object_new_string(target_name(d->base_target))
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
	add(o, "target", json_object_new_string(target_name(d->target)));
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

/* ---- blocks ------------------------------------------------------------- */

static json_object *j_block(const struct mh_inventory *inv,
			    const struct mh_daemon *d, const struct mh_block *b)
{
	json_object *o = json_object_new_object();
	const struct mh_group *g = group_of(inv, b);
	int ferr;
	enum mh_sched_state st = sched_state(d, b->id, &ferr);
	char name[32];
	bool online = b->state == MH_BLOCK_ONLINE;

	snprintf(name, sizeof(name), "memory%" PRIu64, b->id);
	add(o, "block", j_u64(b->id));
	add(o, "name", json_object_new_string(name));
	add(o, "start", j_u64(b->id * inv->block_size_bytes));
	add(o, "end", j_u64((b->id + 1) * inv->block_size_bytes - 1));
	add(o, "size", j_u64(inv->block_size_bytes));
	add(o, "state", json_object_new_string(mh_block_state_name(b->state)));
	add(o, "zone",
	    online ? json_object_new_string(mh_zone_name(b->zone)) : NULL);
	add(o, "node", b->nid >= 0 ? json_object_new_int(b->nid) : NULL);
	add(o, "device", g ? json_object_new_string(g->name) : NULL);
	add(o, "device_type", json_object_new_string(device_type(inv, b)));
	add(o, "hotplugged", json_object_new_boolean(b->hotplugged));
	add(o, "onlined_by",
	    online ? json_object_new_string(mh_onliner_name(b->onlined_by))
		   : NULL);
	add(o, "pending",
	    mh_sched_is_pending(st)
		    ? json_object_new_string(mh_sched_state_name(st))
		    : NULL);
	add(o, "failed_errno",
	    st == MH_SCHED_FAILED || st == MH_SCHED_POISONED
		    ? json_object_new_int(-ferr)
		    : NULL);
	if (d && b->has_decision) {
		json_object *dec = json_object_new_object();

		add(dec, "target",
		    json_object_new_string(target_name(b->decision.target)));
		add(dec, "reason",
		    json_object_new_string(mh_reason_name(b->decision.reason)));
		add(o, "decision", dec);
	} else {
		add(o, "decision", NULL);
	}
	return o;
}

json_object *mh_report_blocks(const struct mh_inventory *inv,
			      const struct mh_config *cfg,
			      const struct mh_daemon *d)
{
	json_object *o = json_object_new_object(), *arr, *t;
	struct block_list l;
	uint64_t online = 0, offline = 0, movable = 0, kernel = 0, going = 0;

	(void)cfg;
	arr = json_object_new_array();
	if (collect(inv, &l) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			const struct mh_block *b = l.v[i];

			json_object_array_add(arr, j_block(inv, d, b));
			if (b->state == MH_BLOCK_ONLINE) {
				online++;
				if (b->zone == MH_ZONE_MOVABLE)
					movable++;
				else
					kernel++;
			} else if (b->state == MH_BLOCK_OFFLINE) {
				offline++;
			} else {
				going++;
			}
		}
	}
	free(l.v);
	add(o, "block_size", j_u64(inv->block_size_bytes));
	add(o, "decisions_known", json_object_new_boolean(d != NULL));
	add(o, "memory", arr);
	t = json_object_new_object();
	add(t, "total_memblocks", j_u64(online + offline + going));
	add(t, "online_memblocks", j_u64(online));
	add(t, "offline_memblocks", j_u64(offline));
	add(t, "going_offline_memblocks", j_u64(going));
	add(t, "movable_memblocks", j_u64(movable));
	add(t, "kernel_memblocks", j_u64(kernel));
	add(t, "online_size", j_u64(online * inv->block_size_bytes));
	add(t, "offline_size", j_u64(offline * inv->block_size_bytes));
	add(o, "totals", t);
	return o;
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
			     const struct mh_daemon *d, uint64_t now_usec)
{
	json_object *o = json_object_new_object(), *comp;
	const struct mh_counters *k = &d->counters;

	add(o, "version",
	    json_object_new_string(MEMHOTD_VERSION[0] ? MEMHOTD_VERSION
						      : "unknown"));
	add(o, "pid", json_object_new_int((int)getpid()));
	add(o, "policy",
	    json_object_new_string(mh_policy_name(cfg->policy.policy)));
	add(o, "auto_movable_ratio", json_object_new_int64(cfg->policy.ratio));
	add(o, "auto_movable_numa_aware",
	    json_object_new_boolean(cfg->policy.numa_aware));
	add(o, "config_file", json_object_new_string(d->config_path));
	add(o, "control_group",
	    cfg->control_group_set ? json_object_new_string(cfg->control_group)
				   : NULL);
	add(o, "dry_run", json_object_new_boolean(d->dry_run));
	add(o, "uptime_sec",
	    j_u64(now_usec > d->start_usec
			  ? (now_usec - d->start_usec) / 1000000
			  : 0));
	add(o, "blocks_onlined", j_u64(k->onlined));
	add(o, "blocks_onlined_movable", j_u64(k->onlined_movable));
	add(o, "blocks_onlined_kernel", j_u64(k->onlined_kernel));
	add(o, "blocks_failed", j_u64(k->failed));
	add(o, "blocks_pending", j_u64(d->sched.nr_queued));
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
	add(o, "competitors_detected", j_u64(d->nr_competitors));
	comp = json_object_new_array();
	for (size_t i = 0; i < d->nr_competitors && i < MH_MAX_COMPETITORS; i++)
		json_object_array_add(
			comp, json_object_new_string(d->competitors[i]));
	add(o, "competitors", comp);
	{
		const struct mh_balloon_state *bs = &d->balloon;
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
	add(o, "guard_episode", json_object_new_boolean(d->guard_episode));
	return o;
}

#ifndef EHWPOISON
#define EHWPOISON 133
#endif

/* "mode", "kernel", "cross_check", "kernel_onlined", "poisoned" (kernel.h). */
static void add_kernel_keys(json_object *o, const struct mh_inventory *inv,
			    const struct mh_config *cfg,
			    const struct mh_daemon *d)
{
	json_object *k, *cc, *arr, *p;

	add(o, "mode",
	    json_object_new_string(cfg->mode == MH_MODE_DELEGATE ? "delegate"
								 : "online"));
	if (!d) {
		add(o, "kernel", NULL);
		add(o, "cross_check", NULL);
		add(o, "kernel_onlined", NULL);
		add(o, "poisoned", NULL);
		return;
	}
	k = json_object_new_object();
	add(k, "release", json_object_new_string(d->kernel.release));
	add(k, "has_policy", json_object_new_boolean(d->kernel.has_policy));
	add(k, "auto_online_blocks_at_start",
	    json_object_new_string(d->kernel.aob_at_start));
	add(k, "auto_online_blocks", json_object_new_string(d->kernel.aob));
	add(k, "mirrored", json_object_new_boolean(d->kernel.mirrored));
	add(o, "kernel", k);
	cc = json_object_new_object();
	add(cc, "active", json_object_new_boolean(d->kernel.cross_check));
	add(cc, "agreements", j_u64(d->kernel.agreements));
	add(cc, "disagreements", j_u64(d->kernel.disagreements));
	add(o, "cross_check", cc);
	arr = json_object_new_array();
	for (size_t i = 0; i < d->kernel.nr_onlined; i++) {
		const struct mh_kernel_onlined *e = &d->kernel.onlined[i];
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
		if (mh_sched_state_of(&d->sched, b->id, NULL) ==
		    MH_SCHED_POISONED)
			json_object_array_add(p, j_u64(b->id));
	add(o, "poisoned", p);
}

json_object *mh_report_status(const struct mh_inventory *inv,
			      const struct mh_config *cfg,
			      const struct mh_daemon *d, uint64_t now_usec)
{
	json_object *o = json_object_new_object(), *nodes, *devs, *t;
	const size_t nn = inv->nr_nodes;
	struct counts *group_c = NULL, *boot_c = NULL, *none_c = NULL,
		      *node_c = NULL, all = {0};
	struct block_list l = {0};
	uint64_t ke = 0, eke = 0, hk = 0, mv = 0, hm = 0, cma = 0, h;
	struct mh_policy_config pc;

	policy_copy(cfg, &pc);

	add(o, "daemon", d ? j_daemon(cfg, d, now_usec) : NULL);
	add(o, "block_size", j_u64(inv->block_size_bytes));
	add(o, "page_size", j_u64(MH_PAGE_SIZE));
	add_kernel_keys(o, inv, cfg, d);

	/* nid -1 (no node link yet) is slot 0, node n slot n + 1. */
	group_c = calloc(inv->nr_groups + 1, sizeof(*group_c));
	boot_c = calloc(nn + 1, sizeof(*boot_c));
	none_c = calloc(nn + 1, sizeof(*none_c));
	node_c = calloc(nn + 1, sizeof(*node_c));
	if (!group_c || !boot_c || !none_c || !node_c || collect(inv, &l) < 0)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		const struct mh_block *b = l.v[i];
		size_t slot = b->nid >= 0 && (size_t)b->nid < nn
				      ? (size_t)b->nid + 1
				      : 0;

		count_block(&all, b);
		count_block(&node_c[slot], b);
		if (group_of(inv, b))
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
			       const struct mh_daemon *d, uint64_t block)
{
	const struct mh_block *b = mh_inv_block(inv, block);
	json_object *o;
	struct mh_decision dec;
	const char *wait, *source = "none";
	char note[256] = "";

	if (!b)
		return NULL;
	o = json_object_new_object();
	add(o, "block", j_block(inv, d, b));
	wait = b->state == MH_BLOCK_OFFLINE ? waiting_for(b) : NULL;
	const struct mh_kernel_onlined *ko =
		d ? mh_kernel_find_onlined(&d->kernel, block) : NULL;

	if (b->has_decision && ko && ko->verified &&
	    b->state == MH_BLOCK_ONLINE) {
		source = "verified";
		dec = b->decision;
		snprintf(note, sizeof(note),
			 "the kernel onlined this block to %s itself; this is "
			 "memhotd's own decision with the state before it, "
			 "which %s",
			 mh_zone_name(ko->zone),
			 ko->agrees ? "agrees" : "DISAGREES");
	} else if (b->has_decision) {
		source = "recorded";
		dec = b->decision;
		snprintf(note, sizeof(note), "%s",
			 b->state == MH_BLOCK_ONLINE
				 ? "the decision memhotd made when it onlined "
				   "this block"
				 : "the decision memhotd made last for this "
				   "block");
	} else if (b->state == MH_BLOCK_OFFLINE && !wait) {
		struct mh_policy_config pc;

		policy_copy(cfg, &pc);
		if (mh_plan_decide(inv, &pc, d ? &d->balloon.facts : NULL, b,
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
	add(o, "decision", strcmp(source, "none") ? j_decision(&dec) : NULL);
	add(o, "waiting", j_str_or_null(wait));
	add(o, "note", json_object_new_string(note));
	return o;
}

/* ---- plan --------------------------------------------------------------- */

static bool offlined_by_other(void *ctx, uint64_t id)
{
	int ferr;

	return sched_state(ctx, id, &ferr) == MH_SCHED_OFFLINED;
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
			    const struct mh_daemon *d)
{
	return mh_report_plan_adds(inv, cfg, d, NULL, 0, NULL, NULL);
}

json_object *mh_report_plan_adds(const struct mh_inventory *inv,
				 const struct mh_config *cfg,
				 const struct mh_daemon *d,
				 const struct mh_plan_add *adds, size_t nr_adds,
				 ssize_t *bad_add, int *bad_errno)
{
	json_object *o, *arr;
	json_object *t, *nodes_after, *devs;
	struct mh_plan_input in = {
		.policy = &cfg->policy,
		.balloon = d ? &d->balloon.facts : NULL,
		.leave_alone = d ? offlined_by_other : NULL,
		.ctx = (void *)d,
		.adds = adds,
		.nr_adds = nr_adds,
	};
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
			e = j_block(&p.after, NULL,
				    mh_inv_block(&p.after, s->id));
			json_object_object_add(
				e, "state", json_object_new_string("absent"));
			json_object_object_add(e, "zone", NULL);
			json_object_object_add(e, "onlined_by", NULL);
			json_object_object_del(e, "decision");
		} else {
			e = j_block(inv, d, mh_inv_block(inv, s->id));
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

/* ---- text tables -------------------------------------------------------- */

struct table {
	size_t ncols;
	const char *const *heads;
	const bool *right;
	char **cells; /* nrows * ncols */
	size_t nrows, cap;
};

static char **table_row(struct table *t)
{
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		char **p = realloc(t->cells, ncap * t->ncols * sizeof(*p));

		if (!p)
			return NULL;
		t->cells = p;
		t->cap = ncap;
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
	if (vasprintf(&row[col], fmt, ap) < 0)
		row[col] = NULL;
	va_end(ap);
}

static void table_print(FILE *out, const struct table *t,
			const struct mh_render_opts *o)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	if (!w)
		return;
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

int mh_render_status(FILE *out, json_object *st, const struct mh_render_opts *o)
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
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *n = json_object_array_get_idx(arr, i);
		char **row = table_row(&nt);

		if (!row)
			break;
		cell(row, 0, "%" PRIu64, ju64(n, "node"));
		size_cell(row, 1, o, n, "kernel_early");
		size_cell(row, 2, o, n, "hotplugged_kernel");
		size_cell(row, 3, o, n, "movable");
		size_cell(row, 4, o, n, "cma");
		size_cell(row, 5, o, n, "ratio_limit");
		if (jnull(n, "movable_percent"))
			cell(row, 6, "-");
		else
			cell(row, 6, "%.0f%%",
			     json_object_get_double(
				     jget(n, "movable_percent")));
		size_cell(row, 7, o, n, "movable_headroom");
		cell(row, 8, "%" PRIu64, ju64(n, "total_memblocks"));
		cell(row, 9, "%" PRIu64, ju64(n, "online_memblocks"));
		cell(row, 10, "%" PRIu64, ju64(n, "offline_memblocks"));
		if (nt.ncols > 11) {
			size_cell(row, 11, o, n, "kernel_early_reserved");
			size_cell(row, 12, o, n, "kernel_early_effective");
		}
	}
	if (tot && arr && json_object_array_length(arr) > 1) {
		char **row = table_row(&nt);

		if (row) {
			cell(row, 0, "all");
			size_cell(row, 1, o, tot, "kernel_early");
			size_cell(row, 2, o, tot, "hotplugged_kernel");
			size_cell(row, 3, o, tot, "movable");
			size_cell(row, 4, o, tot, "cma");
			size_cell(row, 5, o, tot, "ratio_limit");
			if (jnull(tot, "movable_percent"))
				cell(row, 6, "-");
			else
				cell(row, 6, "%.0f%%",
				     json_object_get_double(
					     jget(tot, "movable_percent")));
			size_cell(row, 7, o, tot, "movable_headroom");
			cell(row, 8, "%" PRIu64, ju64(tot, "total_memblocks"));
			cell(row, 9, "%" PRIu64, ju64(tot, "online_memblocks"));
			cell(row, 10, "%" PRIu64,
			     ju64(tot, "offline_memblocks"));
			if (nt.ncols > 11) {
				cell(row, 11, "-");
				size_cell(row, 12, o, tot,
					  "kernel_early_effective");
			}
		}
	}
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

int mh_render_blocks(FILE *out, FILE *err, json_object *bl,
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
			if (!row)
				break;
			for (size_t c = 0; c < n; c++)
				if (!is_range_col(cols[c]))
					block_cell(row, c, cols[c], m, known);
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

static void print_decision(FILE *out, json_object *dec,
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
		(unsigned long long)MH_PAGE_SIZE);
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
			fclose(mem);
			for (char *p = text; p && *p; p++) {
				fputc(*p, out);
				if (*p == '\n' && p[1])
					fputs("  ", out);
			}
			free(text);
		}
	}
	table_free(&t);
	fprintf(out, "  (LIMIT = ratio x KERNEL / 100; MOVABLE must stay <= "
		     "LIMIT)\n");
}

int mh_render_explain(FILE *out, json_object *ex,
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
		print_decision(out, dec, o);
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

int mh_render_plan(FILE *out, json_object *pl, const struct mh_render_opts *o)
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
