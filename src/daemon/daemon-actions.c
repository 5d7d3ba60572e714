// SPDX-License-Identifier: MIT
/*
 * The daemon's steps between an event and the scheduler: each reads or
 * writes under the root (sys layer), asks outcome.h what the result means,
 * tells the scheduler (sched.h) and records the verdict in the inventory,
 * the counters and the metrics; decide-log.c words the log line.
 *
 *   uevents            mh_daemon_uevent
 *   the scheduler's    mh_daemon_probe, mh_daemon_check, mh_daemon_write,
 *   actions            mh_daemon_gave_up; mh_daemon_verify_written reads
 *                      the zones of written blocks back
 *   rescans, sweeps    mh_daemon_rescan, mh_daemon_queue_offline
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "memhotd/daemon.h"
#include "memhotd/log.h"
#include "memhotd/scan.h"
#include "memhotd/util.h"

/* A state write slower than this probably slept on device_hotplug_lock
 * (the virtio-mem write hold in sched.c exists to avoid that). */
#define MH_SLOW_WRITE_USEC 5000ULL

/* Forget everything about a block that is gone (never carry state across
 * a removal). */
static void forget_block(struct mh_daemon *d, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&d->inv, id);

	mh_sched_forget(&d->sched, id);
	if (b) {
		ssize_t g = b->group;

		mh_inv_remove_block(&d->inv, id);
		if (g >= 0)
			mh_inv_group_drop_if_empty(&d->inv, g);
	}
	d->classification_dirty = true;
}

/* ---- uevents ---- */

static void added(struct mh_daemon *d, uint64_t id)
{
	struct mh_block *b;
	int r;

	r = mh_scan_block(&d->root, &d->inv, id, true);
	if (r == -ENOENT) {
		mh_debug("memory%" PRIu64 ": added and gone again", id);
		mh_sched_forget(&d->sched, id);
		return;
	}
	if (r < 0) {
		mh_warn("memory%" PRIu64 ": cannot read the new block: %s", id,
			strerror(-r));
		return;
	}
	d->classification_dirty = true;
	b = mh_inv_block(&d->inv, id);
	if (!b)
		return;
	if (b->state != MH_BLOCK_OFFLINE) {
		mh_sched_forget(&d->sched, id);
		mh_kernel_block_onlined(d, id); /* kernel auto-online */
		return;
	}
	r = mh_sched_added(&d->sched, id, mh_now_usec());
	if (r > 0)
		mh_debug("memory%" PRIu64 ": added, queued", id);
	else if (r < 0)
		mh_err("memory%" PRIu64 ": cannot queue: %s", id, strerror(-r));
	mh_daemon_kick(d);
}

/* An online of a block whose add was missed: learn it as it is now. */
static void learn(struct mh_daemon *d, uint64_t id)
{
	struct mh_block *b = NULL;

	if (mh_scan_block(&d->root, &d->inv, id, true) == 0)
		b = mh_inv_block(&d->inv, id);
	if (b && b->state == MH_BLOCK_ONLINE) {
		b->onlined_by = MH_BY_OTHER;
		mh_log_learned(d, id, b);
		mh_kernel_block_onlined(d, id);
	}
	d->classification_dirty = true;
}

static void onlined(struct mh_daemon *d, uint64_t id, struct mh_block *b)
{
	enum mh_online_verdict v;
	enum mh_sched_state was;
	enum mh_zone z;
	int r;

	r = mh_sysfs_online_zone(&d->root, id, &z);
	if (r < 0) {
		/* Offline again already (an offline event follows), or gone. */
		mh_debug("memory%" PRIu64 ": online event, but: %s", id,
			 strerror(-r));
		return;
	}
	was = mh_sched_state_of(&d->sched, id, NULL);
	mh_inv_set_online(&d->inv, b, z, MH_BY_OTHER);
	mh_kernel_block_onlined(d, id);
	v = mh_online_judge(mh_sched_onlined(&d->sched, id, mh_now_usec()),
			    was);
	if (v == MH_ONLINE_LOST_RACE) {
		d->counters.lost_races++;
		d->metrics.c.lost_races++;
	}
	mh_log_onlined(d, id, b, v, z);
}

static void offlined(struct mh_daemon *d, uint64_t id, struct mh_block *b)
{
	int r;

	mh_inv_set_offline(&d->inv, b);
	r = mh_sched_offlined(&d->sched, id, mh_now_usec());
	if (r < 0)
		mh_err("memory%" PRIu64 ": cannot record the offline: %s", id,
		       strerror(-r));
	mh_info("memory%" PRIu64 ": offlined by someone else; left offline",
		id);
}

void mh_daemon_uevent(struct mh_daemon *d, enum mh_uevent_action a, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&d->inv, id);
	enum mh_sched_state ss = MH_SCHED_NONE;

	if (a == MH_UEVENT_REMOVE && !b)
		ss = mh_sched_state_of(&d->sched, id, NULL);
	switch (mh_uevent_judge(a, b != NULL, b ? b->state : MH_BLOCK_OFFLINE,
				ss)) {
	case MH_UV_SCAN_ADDED:
		added(d, id);
		break;
	case MH_UV_LEARN:
		learn(d, id);
		break;
	case MH_UV_READ_ZONE:
		onlined(d, id, b);
		break;
	case MH_UV_OFFLINED:
		offlined(d, id, b);
		break;
	case MH_UV_FORGET:
		mh_debug("memory%" PRIu64 ": removed", id);
		forget_block(d, id);
		mh_daemon_kick(d);
		break;
	case MH_UV_IGNORE:
		break;
	}
}

/* ---- the scheduler's actions ---- */

void mh_daemon_probe(struct mh_daemon *d, uint64_t id, uint64_t now)
{
	struct mh_block *b = mh_inv_block(&d->inv, id);
	enum mh_sched_state before = mh_sched_state_of(&d->sched, id, NULL);
	enum mh_probe_result res = MH_PROBE_OK;
	int r, nid;

	if (!b) {
		mh_sched_forget(&d->sched, id);
		return;
	}
	if (b->nid < 0) {
		const struct mh_block *prev =
			id ? mh_inv_block(&d->inv, id - 1) : NULL;

		r = mh_sysfs_block_node_hint(&d->root, id,
					     prev ? prev->nid : -1, &nid);
		switch (mh_node_judge(r)) {
		case MH_NODE_GONE:
			forget_block(d, id);
			return;
		case MH_NODE_FOUND:
			r = mh_inv_set_node(&d->inv, b, nid);
			if (r < 0) {
				mh_warn("memory%" PRIu64 ": node%d: %s", id,
					nid, strerror(-r));
				res = MH_PROBE_NO_NODE;
			}
			break;
		case MH_NODE_MISSING:
			res = MH_PROBE_NO_NODE;
			break;
		}
	}
	if (res == MH_PROBE_OK && !b->group_resolved) {
		r = mh_scan_resolve_group(&d->root, &d->inv, b);
		switch (mh_group_judge(
			r, b->group_resolved,
			r == -EAGAIN && mh_sched_group_grace_over(&d->sched, id,
								  now))) {
		case MH_GROUP_FOUND:
			break;
		case MH_GROUP_WAIT:
			res = MH_PROBE_NO_GROUP;
			break;
		case MH_GROUP_LATE:
			mh_warn("memory%" PRIu64
				": owning device still unknown after %llu ms; "
				"deciding it as ungrouped memory",
				id, MH_GROUP_GRACE_USEC / 1000);
			mh_inv_set_group(&d->inv, b, -1);
			break;
		case MH_GROUP_UNRESOLVABLE:
			mh_warn("memory%" PRIu64
				": cannot resolve its device: %s; ungrouped",
				id, strerror(-r));
			mh_inv_set_group(&d->inv, b, -1);
			break;
		case MH_GROUP_UNGROUPED:
			mh_inv_set_group(&d->inv, b, -1);
			break;
		}
	}
	mh_sched_probed(&d->sched, id, res, now);
	if (res != MH_PROBE_OK &&
	    mh_sched_state_of(&d->sched, id, NULL) != before)
		mh_debug("memory%" PRIu64 ": waiting (%s)", id,
			 mh_sched_state_name(
				 mh_sched_state_of(&d->sched, id, NULL)));
}

void mh_daemon_check(struct mh_daemon *d, uint64_t id, uint64_t now)
{
	enum mh_block_state st = MH_BLOCK_OFFLINE;
	int r = mh_sysfs_block_state(&d->root, id, &st);

	switch (mh_check_judge(r, st)) {
	case MH_CHECK_GONE:
		mh_debug("memory%" PRIu64 ": gone while awaiting the kernel",
			 id);
		forget_block(d, id);
		return;
	case MH_CHECK_ONLINE:
		mh_daemon_uevent(d, MH_UEVENT_ONLINE, id);
		break;
	case MH_CHECK_OFFLINE:
		break;
	}
	if (mh_sched_state_of(&d->sched, id, NULL) != MH_SCHED_AWAIT_KERNEL)
		return;
	mh_info("memory%" PRIu64 ": the kernel did not online it inside its "
		"add (auto_online_blocks '%s'); memhotd decides it",
		id, d->kernel.aob);
	if (mh_sched_still_offline(&d->sched, id, now) < 0)
		mh_err("memory%" PRIu64 ": out of memory", id);
}

/*
 * Reads back the zone of the blocks memhotd onlined since the last call.
 * The write succeeded, so each is online and had its nodeN link: valid_zones
 * is safe to read without re-reading state first.  Until then the inventory
 * holds the zone the write asked for (online_movable/online_kernel name it);
 * a kernel that put a block elsewhere is counted, warned about and
 * corrected here.  Called when no write is ready (the scheduler waits or is
 * idle, e.g. while virtio-mem's worker adds), before a batch yields, and
 * when the list is full.
 */
void mh_daemon_verify_written(struct mh_daemon *d)
{
	size_t i, n = d->nr_unverified;

	d->nr_unverified = 0;
	for (i = 0; i < n; i++) {
		uint64_t id = d->unverified[i];
		struct mh_block *b = mh_inv_block(&d->inv, id);
		enum mh_verify_verdict v;
		enum mh_zone want, z = MH_ZONE_UNKNOWN;
		int r;

		/* Offlined or removed meanwhile: its events said so. */
		if (!b || b->state != MH_BLOCK_ONLINE ||
		    b->onlined_by != MH_BY_MEMHOTD)
			continue;
		want = b->zone;
		r = mh_sysfs_block_zone(&d->root, id, &z);
		v = mh_verify_judge(r, want, z);
		mh_log_verified(id, v, r, want, z);
		if (v != MH_VERIFY_KERNEL_PICK && v != MH_VERIFY_MISMATCH)
			continue;
		if (want < MH_METRICS_NR_ZONES &&
		    d->metrics.c.onlined[want] > 0)
			d->metrics.c.onlined[want]--;
		d->metrics.c.onlined[z < MH_METRICS_NR_ZONES ? z : 0]++;
		mh_counters_verified(&d->counters, v, id, want, z);
		mh_inv_set_online(&d->inv, b, z, MH_BY_MEMHOTD);
	}
}

/* A successful write's metrics: the zone, and how long it took. */
static void observe_online(struct mh_daemon *d, const struct mh_block *b,
			   enum mh_zone z, uint64_t now)
{
	uint64_t t = mh_now_usec();

	d->metrics.c.onlined[z < MH_METRICS_NR_ZONES ? z : 0]++;
	mh_histogram_observe(&d->metrics.c.decision_to_online, t - now);
	if (b && b->first_seen_usec && b->first_seen_usec <= t)
		mh_histogram_observe(&d->metrics.c.add_to_online,
				     t - b->first_seen_usec);
}

/*
 * The state write the scheduler decided (or, in a dry run, its simulation:
 * every write succeeds and the inventory moves as the kernel's would, so
 * the next decision sees this one exactly as in a real run).
 */
void mh_daemon_write(struct mh_daemon *d, const struct mh_sched_action *a,
		     uint64_t now)
{
	const struct mh_decision *dec = &a->dec;
	struct mh_block *b = mh_inv_block(&d->inv, a->id);
	struct mh_write_io io = {.out = MH_WRITE_SUCCESS};
	struct mh_write_facts facts = {.dry_run = d->dry_run};
	struct mh_write_log w = {
		.zone = dec->target == MH_TARGET_MOVABLE ? MH_ZONE_MOVABLE
							 : MH_ZONE_NORMAL,
	};
	struct mh_write_verdict v;
	char expl[2048];

	/* The long explanation only goes to debug lines (and to a
	 * cross-check disagreement, which formats its own): not formatted
	 * on the way to the write otherwise (BENCHMARKS.md). */
	expl[0] = '\0';
	if (mh_log_enabled(LOG_DEBUG))
		mh_decision_explain(dec, MH_PAGE_SIZE, expl, sizeof(expl));
	w.expl = expl;
	mh_metrics_count_decision(&d->metrics.c, dec);
	mh_daemon_guard_fired(d, a->id, dec);
	mh_kernel_before_write(d, a->id, dec, expl);
	if (!d->dry_run) {
		mh_daemon_save_before_write(d, b);
		mh_onliner_write_block(&d->root, a->id, dec->target, &io);
		if (io.usec > MH_SLOW_WRITE_USEC) {
			d->slow_writes++;
			mh_debug("memory%" PRIu64 ": state write took %" PRIu64
				 " us (device_hotplug_lock busy?), %" PRIu64
				 " slow so far",
				 a->id, io.usec, d->slow_writes);
		}
	}
	facts.out = io.out;
	facts.err = io.err;
	facts.zone_known = io.zone_known;
	facts.next = mh_sched_written(&d->sched, a->id, io.out, io.err, now,
				      &w.delay, &w.attempts);
	mh_write_judge(&facts, &v);

	if (v.record_attempt && b) {
		b->attempts = w.attempts;
		b->last_errno = -io.err;
	}
	if (v.set_other && b) {
		mh_inv_set_online(&d->inv, b, io.zone, MH_BY_OTHER);
		mh_kernel_block_onlined(d, a->id);
	}
	/* The zone is read back once no other write is ready
	 * (mh_daemon_verify_written()): the time between two writes is the
	 * plug's pace (BENCHMARKS.md). */
	if (v.verify) {
		if (d->nr_unverified ==
		    sizeof(d->unverified) / sizeof(d->unverified[0]))
			mh_daemon_verify_written(d);
		d->unverified[d->nr_unverified++] = a->id;
	}
	mh_log_written(d, b, a, &v, &io, &w);
	if (v.set_online && !d->dry_run)
		observe_online(d, b, w.zone, now);
	if (v.set_online && b) {
		mh_inv_set_online(&d->inv, b, w.zone, MH_BY_MEMHOTD);
		if (mh_inv_set_decision(&d->inv, b, dec) < 0)
			mh_warn("memory%" PRIu64 ": out of memory recording "
				"its decision",
				a->id);
		b->attempts = 0;
		b->last_errno = 0;
	}
	mh_counters_written(&d->counters, &v, a->id, w.zone);
	d->metrics.c.lost_races += v.count_lost_race;
	d->metrics.c.vanished += v.count_vanished;
	d->metrics.c.retries += v.count_retry;
	if (v.count_failed)
		mh_metrics_count_failure(&d->metrics.c, io.err);
	if (v.forget)
		forget_block(d, a->id);
}

void mh_daemon_gave_up(struct mh_daemon *d, const struct mh_sched_action *a)
{
	d->counters.failed++;
	mh_metrics_count_failure(&d->metrics.c, a->err);
	mh_log_gave_up(d, a->id, a->err);
}

/* ---- rescans and sweeps ---- */

struct queue_ctx {
	struct mh_daemon *d;
	uint64_t now;
	size_t queued;
};

static int queue_cb(struct mh_block *b, void *ctx)
{
	struct queue_ctx *q = ctx;

	if (b->hotplugged && b->state == MH_BLOCK_OFFLINE &&
	    mh_sched_enqueue(&q->d->sched, b->id, q->now) > 0)
		q->queued++;
	return 0;
}

size_t mh_daemon_queue_offline(struct mh_daemon *d)
{
	struct queue_ctx q = {.d = d, .now = mh_now_usec()};

	mh_inv_for_each_block(&d->inv, queue_cb, &q);
	if (q.queued)
		mh_daemon_kick(d);
	return q.queued;
}

struct carry_ctx {
	struct mh_daemon *d;
	struct mh_inventory *old, *ni;
};

/* What a block's old record keeps after a rescan (mh_carry_judge). */
static int carry_cb(struct mh_block *nb, void *ctx)
{
	struct carry_ctx *c = ctx;
	struct mh_block *ob = mh_inv_block(c->old, nb->id);
	struct mh_carry_facts f;
	int r;

	if (!ob)
		return 0;
	if (ob->has_decision) {
		struct mh_decision whole;

		if (mh_inv_decision(c->old, ob, &whole) &&
		    mh_inv_set_decision(c->ni, nb, &whole) < 0)
			mh_warn("memory%" PRIu64 ": out of memory carrying "
				"its decision",
				nb->id);
		nb->has_decision = true;
		nb->decision = ob->decision;
	}
	nb->attempts = ob->attempts;
	nb->last_errno = ob->last_errno;
	nb->first_seen_usec = ob->first_seen_usec;
	f = (struct mh_carry_facts){
		.old_state = ob->state,
		.new_state = nb->state,
		.old_zone = ob->zone,
		.new_zone = nb->zone,
		.old_by = ob->onlined_by,
		.dry_run = c->d->dry_run,
	};
	switch (mh_carry_judge(&f)) {
	case MH_CARRY_SIMULATED:
		/* A simulated online of the dry run: keep simulating. */
		mh_inv_set_online(c->ni, nb, ob->zone, MH_BY_MEMHOTD);
		break;
	case MH_CARRY_ONLINED_BY:
		nb->onlined_by = ob->onlined_by;
		break;
	case MH_CARRY_MISSED_ONLINE:
		nb->onlined_by = MH_BY_OTHER;
		break;
	case MH_CARRY_MISSED_OFFLINE:
		r = mh_sched_offlined(&c->d->sched, nb->id, mh_now_usec());
		if (r < 0)
			mh_err("memory%" PRIu64
			       ": cannot record the offline: %s",
			       nb->id, strerror(-r));
		break;
	case MH_CARRY_NOTHING:
		break;
	}
	return 0;
}

int mh_daemon_rescan(struct mh_daemon *d)
{
	struct mh_inventory ni, old;
	struct carry_ctx c = {.d = d, .ni = &ni};
	size_t n;
	int r;

	d->need_rescan = false;
	if (d->classification_dirty &&
	    mh_scan_save_classification(&d->root, &d->inv) == 0)
		d->classification_dirty = false;
	memset(&ni, 0, sizeof(ni));
	r = mh_scan_full(&d->root, &ni);
	if (r < 0 && r != -ERANGE) {
		mh_err("rescan failed: %s; keeping the old inventory",
		       strerror(-r));
		mh_inv_free(&ni);
		d->need_rescan = true; /* the sweep tries again */
		return r;
	}
	c.old = &d->inv;
	mh_inv_for_each_block(&ni, carry_cb, &c);
	old = d->inv;
	d->inv = ni;
	mh_inv_free(&old);
	/* Records of vanished blocks go; the rest are filed again under
	 * their devices, whose indexes may have changed. */
	r = mh_sched_rebuild(&d->sched, mh_now_usec());
	if (r < 0)
		mh_err("rescan: %s", strerror(-r));
	d->counters.rescans++;
	n = mh_daemon_queue_offline(d);
	mh_info("rescan: %zu blocks, %zu newly queued, %zu pending",
		d->inv.nr_blocks, n, d->sched.nr_queued);
	mh_daemon_kick(d);
	return 0;
}
