// SPDX-License-Identifier: MIT
/*
 * The shell around the scheduler (sched.h): it wires kernel uevents, the
 * timers (queue, sweep, save), signals and the control socket to the
 * scheduler, performs the probes and writes the scheduler asks for and
 * feeds their outcomes back.  WHEN and WHICH block is written is decided
 * in sched.c, the zone in policy.c; this file only does the I/O.
 *
 * Reading order: constants, status, uevents -> scheduler, rescans and
 * sweeps -> scheduler, executing the scheduler's actions, timers,
 * configuration, signals, set-up.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "memhotd/competitors.h"
#include "memhotd/control.h"
#include "memhotd/facts.h"
#include "memhotd/daemon.h"
#include "memhotd/journal.h"
#include "memhotd/log.h"
#include "memhotd/onliner.h"
#include "memhotd/policy.h"
#include "memhotd/report.h"
#include "memhotd/scan.h"
#include "memhotd/sched.h"
#include "memhotd/uevent.h"
#include "memhotd/util.h"

/* Actions per loop iteration before yielding to signals and clients. */
#define MH_BATCH 64
#define MH_SWEEP_USEC (10ULL * 1000 * 1000)
/*
 * The classification file is rewritten at most this long after it changed.
 * With virtio-mem the queue empties after nearly every block, and saving
 * whenever it does cost a tmpfs file create + rename per block.  A restart
 * inside the window loses only the classification of blocks that changed
 * in it: hotplugged blocks, which the classification recognises again
 * anyway (inside virtioN/daxX.Y/"System RAM (driver)", or a DIMM).
 * Hot-added blocks of no device are saved synchronously before their
 * first online write instead (save_before_write()).  SIGTERM and a rescan
 * still save at once.
 */
#define MH_SAVE_DELAY_USEC (1000ULL * 1000)
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

/* ---- status ---- */

void mh_daemon_status_line(const struct mh_daemon *d, char *buf, size_t len)
{
	const struct mh_counters *c = &d->counters;
	int n;

	n = snprintf(buf, len,
		     "%s%" PRIu64 " online by memhotd (%" PRIu64
		     " movable), %zu pending, %zu failed",
		     d->dry_run ? "dry run: " : "", c->onlined,
		     c->onlined_movable, d->sched.nr_queued,
		     d->sched.nr_failed);
	if (n < 0 || (size_t)n >= len || !c->has_last)
		return;
	snprintf(buf + n, len - (size_t)n, "; last memory%" PRIu64 " -> %s",
		 c->last_block, mh_zone_name(c->last_zone));
}

/*
 * READY=1 once, then STATUS= when it changed: at most every 500 ms while
 * blocks are pending (a big plug must not cost one datagram per batch, and
 * a slow reader must not stall onlining), and always once the queue is
 * empty, so the last word is the current one.
 */
static void notify_status(struct mh_daemon *d)
{
	static char last[256];
	static uint64_t last_usec;
	char line[256], msg[300];
	uint64_t now = mh_now_usec();

	if (d->ready_sent && d->sched.nr_queued > 0 &&
	    now - last_usec < 500 * 1000)
		return;
	mh_daemon_status_line(d, line, sizeof(line));
	if (d->ready_sent && strcmp(line, last) == 0)
		return;
	last_usec = now;
	snprintf(last, sizeof(last), "%s", line);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s",
		 d->ready_sent ? "" : "READY=1\n", line);
	sd_notify(0, msg);
	d->ready_sent = true;
}

static const char *competitor_hint(const struct mh_daemon *d)
{
	return d->nr_competitors ? d->competitors[0]
				 : "no competing onliner detected at start";
}

/* ---- uevents -> scheduler ---- */

static void handle_add(struct mh_daemon *d, uint64_t id)
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

static void handle_online(struct mh_daemon *d, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&d->inv, id);
	struct mh_log_fields f;
	enum mh_sched_state was;
	enum mh_zone z;
	int r;

	if (!b) {
		/* We missed its add: learn it as it is now. */
		r = mh_scan_block(&d->root, &d->inv, id, true);
		b = r == 0 ? mh_inv_block(&d->inv, id) : NULL;
		if (b && b->state == MH_BLOCK_ONLINE) {
			b->onlined_by = MH_BY_OTHER;
			mh_block_fields(&d->inv, id, b, MH_EV_ONLINED,
					mh_zone_name(b->zone), NULL, &f);
			mh_log_ev(LOG_INFO, &f,
				  "memory%" PRIu64
				  ": onlined to %s by someone else (block "
				  "unknown before)",
				  id, mh_zone_name(b->zone));
			mh_kernel_block_onlined(d, id);
		}
		d->classification_dirty = true;
		return;
	}
	if (b->state == MH_BLOCK_ONLINE) {
		/* The echo of our own write, or a duplicate. */
		return;
	}
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
	if (mh_sched_onlined(&d->sched, id, mh_now_usec())) {
		d->counters.lost_races++;
		d->metrics.c.lost_races++;
		mh_block_fields(&d->inv, id, b, MH_EV_LOST_RACE,
				mh_zone_name(z), NULL, &f);
		mh_log_ev(LOG_WARNING, &f,
			  "memory%" PRIu64
			  ": onlined to %s by someone else before memhotd "
			  "(%s)",
			  id, mh_zone_name(z), competitor_hint(d));
	} else if (was == MH_SCHED_AWAIT_KERNEL) {
		mh_block_fields(&d->inv, id, b, MH_EV_ONLINED, mh_zone_name(z),
				NULL, &f);
		mh_log_ev(LOG_DEBUG, &f,
			  "memory%" PRIu64 ": onlined to %s by the kernel "
			  "inside its add, as awaited",
			  id, mh_zone_name(z));
	} else {
		mh_block_fields(&d->inv, id, b, MH_EV_ONLINED, mh_zone_name(z),
				NULL, &f);
		mh_log_ev(LOG_INFO, &f,
			  "memory%" PRIu64
			  ": onlined to %s by someone else (e.g. the kernel "
			  "undoing a failed offline)",
			  id, mh_zone_name(z));
	}
}

static void handle_offline(struct mh_daemon *d, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&d->inv, id);

	if (!b || b->state == MH_BLOCK_OFFLINE)
		return;
	mh_inv_set_offline(&d->inv, b);
	/* Never answer an offline by onlining (removal, or the kernel's own
	 * rollback). */
	if (mh_sched_offlined(&d->sched, id, mh_now_usec()) < 0)
		mh_err("memory%" PRIu64 ": out of memory", id);
	mh_info("memory%" PRIu64 ": offlined by someone else; left offline",
		id);
}

static void handle_remove(struct mh_daemon *d, uint64_t id)
{
	if (!mh_inv_block(&d->inv, id) &&
	    mh_sched_state_of(&d->sched, id, NULL) == MH_SCHED_NONE)
		return;
	mh_debug("memory%" PRIu64 ": removed", id);
	forget_block(d, id);
	mh_daemon_kick(d);
}

static void on_uevent(void *userdata, enum mh_uevent_action a, uint64_t id)
{
	struct mh_daemon *d = userdata;

	d->counters.uevents++;
	mh_daemon_metrics_kick(d);
	switch (a) {
	case MH_UEVENT_ADD:
		handle_add(d, id);
		break;
	case MH_UEVENT_ONLINE:
		handle_online(d, id);
		break;
	case MH_UEVENT_OFFLINE:
		handle_offline(d, id);
		break;
	case MH_UEVENT_REMOVE:
		handle_remove(d, id);
		break;
	case MH_UEVENT_OTHER:
		break;
	}
}

static void on_overflow(void *userdata)
{
	struct mh_daemon *d = userdata;

	d->need_rescan = true;
	mh_daemon_kick(d);
}

/* The queue runs from its own timer (mh_daemon_kick arms it for "now"),
 * never from inside a uevent callback. */
static const struct mh_uevent_ops uevent_ops = {
	.event = on_uevent,
	.overflow = on_overflow,
};

/* ---- rescans and sweeps -> scheduler ---- */

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

/* Queue offline hotplugged blocks the scheduler wants (not queued, not
 * offlined by someone else, not failed recently): ascending ids. */
static size_t queue_offline(struct mh_daemon *d)
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

static int carry_cb(struct mh_block *nb, void *ctx)
{
	struct carry_ctx *c = ctx;
	struct mh_block *ob = mh_inv_block(c->old, nb->id);

	if (!ob)
		return 0;
	if (ob->has_decision) {
		struct mh_decision whole;

		if (mh_inv_decision(c->old, ob, &whole))
			mh_inv_set_decision(c->ni, nb, &whole);
		nb->has_decision = true;
		nb->decision = ob->decision;
	}
	nb->attempts = ob->attempts;
	nb->last_errno = ob->last_errno;
	nb->first_seen_usec = ob->first_seen_usec;
	if (c->d->dry_run && ob->state == MH_BLOCK_ONLINE &&
	    ob->onlined_by == MH_BY_MEMHOTD && nb->state == MH_BLOCK_OFFLINE)
		/* A simulated online of the dry run: keep simulating. */
		mh_inv_set_online(c->ni, nb, ob->zone, MH_BY_MEMHOTD);
	else if (ob->state == MH_BLOCK_ONLINE && nb->state == MH_BLOCK_ONLINE &&
		 ob->zone == nb->zone)
		nb->onlined_by = ob->onlined_by;
	else if (ob->state != MH_BLOCK_ONLINE && nb->state == MH_BLOCK_ONLINE)
		nb->onlined_by = MH_BY_OTHER; /* a missed online event */
	else if (ob->state == MH_BLOCK_ONLINE && nb->state == MH_BLOCK_OFFLINE)
		/* A missed offline event. */
		mh_sched_offlined(&c->d->sched, nb->id, mh_now_usec());
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
	n = queue_offline(d);
	mh_info("rescan: %zu blocks, %zu newly queued, %zu pending",
		d->inv.nr_blocks, n, d->sched.nr_queued);
	mh_daemon_kick(d);
	return 0;
}

/* ---- executing the scheduler's actions ---- */

/* Finds block id's node and owning device (they come late on some
 * kernels) and tells the scheduler. */
static void probe_block(struct mh_daemon *d, uint64_t id, uint64_t now)
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
		if (r == -ENODEV) {
			forget_block(d, id);
			return;
		}
		if (r == 0) {
			r = mh_inv_set_node(&d->inv, b, nid);
			if (r < 0)
				mh_warn("memory%" PRIu64 ": node%d: %s", id,
					nid, strerror(-r));
		}
		if (r < 0)
			res = MH_PROBE_NO_NODE;
	}
	if (res == MH_PROBE_OK && !b->group_resolved) {
		r = mh_scan_resolve_group(&d->root, &d->inv, b);
		if (r == -EAGAIN &&
		    !mh_sched_group_grace_over(&d->sched, id, now)) {
			res = MH_PROBE_NO_GROUP;
		} else if (r == -EAGAIN) {
			mh_warn("memory%" PRIu64
				": owning device still unknown after %llu ms; "
				"deciding it as ungrouped memory",
				id, MH_GROUP_GRACE_USEC / 1000);
			mh_inv_set_group(&d->inv, b, -1);
		} else if (r < 0) {
			mh_warn("memory%" PRIu64
				": cannot resolve its device: %s; ungrouped",
				id, strerror(-r));
			mh_inv_set_group(&d->inv, b, -1);
		}
		if (res == MH_PROBE_OK && !b->group_resolved)
			mh_inv_set_group(&d->inv, b, -1);
	}
	mh_sched_probed(&d->sched, id, res, now);
	if (res != MH_PROBE_OK &&
	    mh_sched_state_of(&d->sched, id, NULL) != before)
		mh_debug("memory%" PRIu64 ": waiting (%s)", id,
			 mh_sched_state_name(
				 mh_sched_state_of(&d->sched, id, NULL)));
}

/* A block that awaited the kernel's auto-online (sched.h): did the kernel
 * online it?  Online: as an online uevent; else memhotd decides it. */
static void check_block(struct mh_daemon *d, uint64_t id, uint64_t now)
{
	enum mh_block_state st;
	int r = mh_sysfs_block_state(&d->root, id, &st);

	if (r == -ENOENT || r == -ENODEV) {
		mh_debug("memory%" PRIu64 ": gone while awaiting the kernel",
			 id);
		forget_block(d, id);
		return;
	}
	if (r == 0 && st == MH_BLOCK_ONLINE)
		handle_online(d, id);
	if (mh_sched_state_of(&d->sched, id, NULL) != MH_SCHED_AWAIT_KERNEL)
		return;
	mh_info("memory%" PRIu64 ": the kernel did not online it inside its "
		"add (auto_online_blocks '%s'); memhotd decides it",
		id, d->kernel.aob);
	if (mh_sched_still_offline(&d->sched, id, now) < 0)
		mh_err("memory%" PRIu64 ": out of memory", id);
}

static void count_online(struct mh_daemon *d, uint64_t id, enum mh_zone z)
{
	d->counters.onlined++;
	if (z == MH_ZONE_MOVABLE)
		d->counters.onlined_movable++;
	else
		d->counters.onlined_kernel++;
	d->counters.last_block = id;
	d->counters.last_zone = z;
	d->counters.has_last = true;
}

/* ---- decision inputs beyond the kernel (doc/policy.md 9) ---- */

/*
 * [guard]: the scheduler asks just before each decision while
 * kernel_free_min > 0.  A failed read leaves the guard unable to fire
 * (warned once until a read works again).  The episode the warning is
 * logged once for ends when free memory is back at or above the minimum.
 */
static int measure_guard(void *ctx, int nid, struct mh_guard_facts *out)
{
	struct mh_daemon *d = ctx;
	uint64_t min = d->config.policy.kernel_free_min;
	char a[32], b[32];
	int r = mh_guard_measure(&d->root, nid, MH_PAGE_SIZE, out);

	if (r < 0) {
		if (!d->guard_unreadable)
			mh_warn("[guard] node%d: proc/zoneinfo: %s; the guard "
				"cannot fire until it can be read",
				nid, strerror(-r));
		d->guard_unreadable = true;
		return r;
	}
	d->guard_unreadable = false;
	if (d->guard_episode && out->kernel_free_bytes >= min) {
		d->guard_episode = false;
		mh_format_size(out->kernel_free_bytes, a, sizeof(a));
		mh_format_size(min, b, sizeof(b));
		mh_info("[guard] node%d: kernel-zone free memory %s is back "
			"at or above kernel_free_min %s",
			nid, a, b);
	}
	return 0;
}

/* Once per episode: the guard put a block in a kernel zone. */
static void guard_fired(struct mh_daemon *d, uint64_t id,
			const struct mh_decision *dec)
{
	struct mh_log_fields f;
	char a[32], b[32];

	if (!dec->guard_low || d->guard_episode)
		return;
	d->guard_episode = true;
	d->metrics.c.guard_episodes++;
	mh_format_size(dec->guard_free_bytes, a, sizeof(a));
	mh_format_size(dec->guard_min_bytes, b, sizeof(b));
	mh_block_fields(&d->inv, id, mh_inv_block(&d->inv, id), MH_EV_GUARD,
			NULL, dec, &f);
	mh_log_ev(LOG_WARNING, &f,
		  "memory%" PRIu64 ": [guard] kernel-zone free memory %s is "
		  "below kernel_free_min %s: hot-added memory goes to a "
		  "kernel zone whatever the ratio says until it recovers",
		  id, a, b);
}

static void balloon_log(const struct mh_daemon *d, const char *when)
{
	const struct mh_balloon_state *bs = &d->balloon;
	struct mh_log_fields f = MH_LOG_FIELDS_INIT;

	f.event = MH_EV_BALLOON;
	f.device = bs->facts.driver;
	if (!bs->facts.active) {
		mh_debug("balloon (%s): none bound", when);
		return;
	}
	if (!mh_balloon_risky(bs)) {
		mh_info("balloon (%s): %s bound, balloon compaction: its "
			"pages can migrate",
			when, bs->facts.driver);
		return;
	}
	mh_log_ev(LOG_WARNING, &f,
		  "balloon (%s): %s bound without balloon compaction (%s): "
		  "its inflated pages cannot migrate, so MOVABLE memory may "
		  "not be unpluggable; balloon_without_compaction = %s%s",
		  when, bs->facts.driver,
		  !bs->vmstat_read	  ? "proc/vmstat unreadable"
		  : bs->kernel_compaction ? "the driver does not use it"
					  : "no balloon_migrate in proc/vmstat",
		  mh_balloon_mode_name(d->config.policy.balloon),
		  d->config.policy.balloon == MH_BALLOON_KERNEL
			  ? " (no MOVABLE while it is bound)"
			  : " (MOVABLE decisions warn)");
}

/* Start-up and every sweep; logged at start-up and when it changes. */
static void balloon_update(struct mh_daemon *d, bool startup)
{
	struct mh_balloon_state old = d->balloon;

	mh_balloon_detect(&d->root, &d->balloon);
	d->sched.balloon = &d->balloon.facts;
	if (startup || old.facts.active != d->balloon.facts.active ||
	    old.facts.compaction != d->balloon.facts.compaction ||
	    old.facts.driver != d->balloon.facts.driver)
		balloon_log(d, startup ? "start-up" : "changed");
}

static void decision_inputs_init(struct mh_daemon *d)
{
	d->config.policy.page_size = MH_PAGE_SIZE;
	d->sched.guard_fn = measure_guard;
	d->sched.guard_ctx = d;
	balloon_update(d, true);
}

/*
 * Crash consistency (doc/robustness.md): hot-added memory of no device
 * (no virtio-mem/dax/driver resource, no PNP0C80 node) is told apart from
 * boot memory after a restart only by the classification file.  Before the
 * first online write of such a block, the file is saved synchronously
 * (fsync'ed, renamed, directory fsync'ed), once for every block added so
 * far: a kill -9 after the write cannot make it boot memory.  Blocks that
 * /proc/iomem or firmware_node identify again keep the delayed save.
 */
static void save_before_write(struct mh_daemon *d, const struct mh_block *b)
{
	static bool warned;
	int r;

	if (!d->classification_dirty || !b || !b->hotplugged || b->group >= 0)
		return;
	r = mh_scan_save_classification(&d->root, &d->inv);
	if (r == 0) {
		d->classification_dirty = false;
		warned = false;
		return;
	}
	if (!warned)
		mh_warn("memory%" PRIu64 ": cannot save the classification "
			"before onlining it: %s; a crash now would count it "
			"as boot memory",
			b->id, strerror(-r));
	warned = true;
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
static void verify_written(struct mh_daemon *d)
{
	size_t i, n = d->nr_unverified;

	d->nr_unverified = 0;
	for (i = 0; i < n; i++) {
		uint64_t id = d->unverified[i];
		struct mh_block *b = mh_inv_block(&d->inv, id);
		enum mh_zone want, z;
		int r;

		/* Offlined or removed meanwhile: its events said so. */
		if (!b || b->state != MH_BLOCK_ONLINE ||
		    b->onlined_by != MH_BY_MEMHOTD)
			continue;
		want = b->zone;
		r = mh_sysfs_block_zone(&d->root, id, &z);
		if (r < 0) {
			if (r != -ENOENT && r != -ENODEV)
				mh_warn("memory%" PRIu64
					": cannot verify its zone: %s",
					id, strerror(-r));
			continue;
		}
		if (z == want)
			continue;
		if (want < MH_METRICS_NR_ZONES &&
		    d->metrics.c.onlined[want] > 0)
			d->metrics.c.onlined[want]--;
		d->metrics.c.onlined[z < MH_METRICS_NR_ZONES ? z : 0]++;
		if (want != MH_ZONE_MOVABLE && z != MH_ZONE_MOVABLE) {
			/* online_kernel: DMA32 or Normal, the kernel's pick */
			mh_inv_set_online(&d->inv, b, z, MH_BY_MEMHOTD);
			if (d->counters.has_last &&
			    d->counters.last_block == id)
				d->counters.last_zone = z;
			continue;
		}
		d->counters.zone_mismatch++;
		mh_warn("memory%" PRIu64 ": %s gave zone %s", id,
			mh_onliner_state_string(want == MH_ZONE_MOVABLE
							? MH_TARGET_MOVABLE
							: MH_TARGET_KERNEL),
			mh_zone_name(z));
		if (want == MH_ZONE_MOVABLE) {
			d->counters.onlined_movable--;
			d->counters.onlined_kernel++;
		} else if (z == MH_ZONE_MOVABLE) {
			d->counters.onlined_kernel--;
			d->counters.onlined_movable++;
		}
		if (d->counters.has_last && d->counters.last_block == id)
			d->counters.last_zone = z;
		mh_inv_set_online(&d->inv, b, z, MH_BY_MEMHOTD);
	}
}

/*
 * The state write the scheduler decided (or, in a dry run, its simulation:
 * every write succeeds and the inventory moves as the kernel's would, so
 * the next decision sees this one exactly as in a real run).
 */
static void write_block(struct mh_daemon *d, const struct mh_sched_action *a,
			uint64_t now)
{
	const struct mh_decision *dec = &a->dec;
	uint64_t id = a->id, t0, delay;
	struct mh_block *b = mh_inv_block(&d->inv, id);
	enum mh_block_state st = MH_BLOCK_OFFLINE;
	enum mh_write_outcome out;
	enum mh_sched_state next;
	enum mh_zone z = dec->target == MH_TARGET_MOVABLE ? MH_ZONE_MOVABLE
							  : MH_ZONE_NORMAL;
	const char *what = mh_onliner_state_string(dec->target);
	unsigned int attempts;
	char expl[2048], why[256];
	struct mh_log_fields f;
	int r, err = 0;

	/* The long explanation only goes to debug lines (and to a
	 * cross-check disagreement, which formats its own): not formatted
	 * on the way to the write otherwise (BENCHMARKS.md). */
	expl[0] = '\0';
	if (mh_log_enabled(LOG_DEBUG))
		mh_decision_explain(dec, MH_PAGE_SIZE, expl, sizeof(expl));
	mh_metrics_count_decision(&d->metrics.c, dec);
	guard_fired(d, id, dec);
	mh_kernel_before_write(d, id, dec, expl);
	if (!d->dry_run) {
		save_before_write(d, b);
		t0 = mh_now_usec();
		err = mh_onliner_write(&d->root, id, dec->target);
		t0 = mh_now_usec() - t0;
		if (t0 > MH_SLOW_WRITE_USEC) {
			d->slow_writes++;
			mh_debug("memory%" PRIu64 ": state write took %" PRIu64
				 " us (device_hotplug_lock busy?), %" PRIu64
				 " slow so far",
				 id, t0, d->slow_writes);
		}
		if (err == -EINVAL) {
			r = mh_sysfs_block_state(&d->root, id, &st);
			if (r == -ENOENT)
				err = -ENOENT;
		}
	}
	out = mh_onliner_classify(err, st);
	next = mh_sched_written(&d->sched, id, out, err, now, &delay,
				&attempts);
	switch (out) {
	case MH_WRITE_SUCCESS:
		/* One short line at info, the numbers at debug (and in
		 * memhotctl explain). */
		mh_decision_summary(dec, MH_PAGE_SIZE, why, sizeof(why));
		if (d->dry_run) {
			mh_block_fields(&d->inv, id, b, MH_EV_DECISION,
					mh_zone_name(z), dec, &f);
			mh_log_ev(LOG_INFO, &f,
				  "memory%" PRIu64
				  ": would write %s (dry run: %s)",
				  id, what, why);
			mh_debug("memory%" PRIu64 ": would write %s: %s", id,
				 what, expl);
		} else {
			/* The zone is read back once no other write is ready
			 * (verify_written()): the time between two writes is
			 * the plug's pace (BENCHMARKS.md). */
			if (d->nr_unverified ==
			    sizeof(d->unverified) / sizeof(d->unverified[0]))
				verify_written(d);
			d->unverified[d->nr_unverified++] = id;
			mh_block_fields(&d->inv, id, b, MH_EV_DECISION,
					mh_zone_name(z), dec, &f);
			mh_log_ev(LOG_INFO, &f, "memory%" PRIu64 ": %s (%s)",
				  id, what, why);
			mh_debug("memory%" PRIu64 ": %s ok; %s", id, what,
				 expl);
			d->metrics.c.onlined[z < MH_METRICS_NR_ZONES ? z : 0]++;
			mh_histogram_observe(&d->metrics.c.decision_to_online,
					     mh_now_usec() - now);
			if (b && b->first_seen_usec &&
			    b->first_seen_usec <= mh_now_usec())
				mh_histogram_observe(
					&d->metrics.c.add_to_online,
					mh_now_usec() - b->first_seen_usec);
		}
		mh_inv_set_online(&d->inv, b, z, MH_BY_MEMHOTD);
		mh_inv_set_decision(&d->inv, b, dec);
		b->attempts = 0;
		b->last_errno = 0;
		count_online(d, id, z);
		break;
	case MH_WRITE_LOST_RACE:
		d->counters.lost_races++;
		d->metrics.c.lost_races++;
		if (mh_sysfs_online_zone(&d->root, id, &z) == 0) {
			mh_inv_set_online(&d->inv, b, z, MH_BY_OTHER);
			mh_kernel_block_onlined(d, id);
			mh_block_fields(&d->inv, id, b, MH_EV_LOST_RACE,
					mh_zone_name(z), dec, &f);
			mh_log_ev(LOG_WARNING, &f,
				  "memory%" PRIu64 ": lost a race: already "
				  "online in %s, put there by someone else "
				  "(memhotd wanted %s; %s)",
				  id, mh_zone_name(z), what,
				  competitor_hint(d));
		} else {
			mh_block_fields(&d->inv, id, b, MH_EV_LOST_RACE, NULL,
					dec, &f);
			mh_log_ev(LOG_WARNING, &f,
				  "memory%" PRIu64
				  ": lost a race: onlined by someone else "
				  "(memhotd wanted %s; %s)",
				  id, what, competitor_hint(d));
		}
		break;
	case MH_WRITE_GONE:
		/* Its device's other blocks are decided afresh, with the
		 * statistics without it. */
		d->counters.vanished++;
		d->metrics.c.vanished++;
		mh_info("memory%" PRIu64 ": removed while onlining (%s)", id,
			strerror(-err));
		forget_block(d, id);
		break;
	case MH_WRITE_RETRY:
	case MH_WRITE_HWPOISON:
	case MH_WRITE_FAILED:
		b->attempts = attempts;
		b->last_errno = -err;
		if (next == MH_SCHED_RETRY) {
			d->counters.retried++;
			d->metrics.c.retries++;
			mh_info("memory%" PRIu64
				": %s: %s; retry %u in %" PRIu64 " ms",
				id, what, strerror(-err), attempts,
				delay / 1000);
			break;
		}
		d->counters.failed++;
		mh_metrics_count_failure(&d->metrics.c, err);
		mh_block_fields(&d->inv, id, b, MH_EV_FAILURE, NULL, dec, &f);
		if (out == MH_WRITE_RETRY)
			mh_log_ev(LOG_ERR, &f,
				  "memory%" PRIu64
				  ": %s: %s; giving up after %u attempts",
				  id, what, strerror(-err), attempts);
		else if (out == MH_WRITE_HWPOISON)
			mh_log_ev(LOG_ERR, &f,
				  "memory%" PRIu64 ": %s: hardware-poisoned "
				  "pages (EHWPOISON); left offline",
				  id, what);
		else if (err == -EINVAL)
			mh_log_ev(LOG_ERR, &f,
				  "memory%" PRIu64
				  ": %s refused (EINVAL), block still %s",
				  id, what, mh_block_state_name(st));
		else
			mh_log_ev(LOG_ERR, &f,
				  "memory%" PRIu64 ": %s failed: %s", id, what,
				  strerror(-err));
		break;
	}
}

/* Saves the classification once it has been dirty for MH_SAVE_DELAY_USEC
 * (see there); without the timer (unit tests), at once. */
static void schedule_save(struct mh_daemon *d)
{
	int on = SD_EVENT_OFF;

	if (!d->classification_dirty)
		return;
	if (!d->save_timer) {
		if (mh_scan_save_classification(&d->root, &d->inv) == 0)
			d->classification_dirty = false;
		return;
	}
	if (sd_event_source_get_enabled(d->save_timer, &on) >= 0 &&
	    on != SD_EVENT_OFF)
		return;
	sd_event_source_set_time(d->save_timer,
				 mh_now_usec() + MH_SAVE_DELAY_USEC);
	sd_event_source_set_enabled(d->save_timer, SD_EVENT_ONESHOT);
}

static int on_save_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	struct mh_daemon *d = ud;

	(void)s;
	(void)usec;
	if (d->classification_dirty &&
	    mh_scan_save_classification(&d->root, &d->inv) == 0)
		d->classification_dirty = false;
	return 0;
}

static void arm_queue_timer(struct mh_daemon *d, uint64_t when)
{
	if (!d->queue_timer)
		return;
	sd_event_source_set_time(d->queue_timer, when);
	sd_event_source_set_enabled(d->queue_timer, SD_EVENT_ONESHOT);
}

void mh_daemon_kick(struct mh_daemon *d)
{
	/* A time in the past: runs on the next loop iteration, right after
	 * the uevents of this wake-up have been handled. */
	d->kick_pending = true;
	arm_queue_timer(d, 1);
}

/*
 * Runs the scheduler's actions one after another (virtio-mem stalls while
 * its offline threshold is reached, so this is plug speed), up to budget
 * (0: no limit), then yields.  Called from the queue timer (and once at
 * start-up), never from inside a uevent callback: the uevents that came in
 * meanwhile are drained here, so every decision sees every add, online
 * and offline so far.
 */
static void process_queue(struct mh_daemon *d, size_t budget)
{
	struct mh_sched_action a;
	size_t done = 0;
	uint64_t now;
	int r;

	d->kick_pending = false;
	for (;;) {
		mh_uevent_drain(d->uevents);
		if (d->need_rescan)
			mh_daemon_rescan(d);
		if (budget && done >= budget) {
			verify_written(d);
			mh_daemon_kick(d);
			goto out;
		}
		if (d->inv.needs_calibration) {
			r = mh_scan_calibrate(&d->root, &d->inv);
			if (r < 0)
				mh_warn("recalibration from proc/zoneinfo: %s",
					strerror(-r));
		}
		now = mh_now_usec();
		/* A reload replaces the configuration: sizes in pages of this
		 * system (doc/policy.md 9). */
		d->config.policy.page_size = MH_PAGE_SIZE;
		mh_sched_next(&d->sched, now, &a);
		if (a.kind == MH_SCHED_IDLE || a.kind == MH_SCHED_WAIT)
			break;
		done++;
		switch (a.kind) {
		case MH_SCHED_PROBE:
			probe_block(d, a.id, now);
			break;
		case MH_SCHED_CHECK:
			check_block(d, a.id, now);
			break;
		case MH_SCHED_WRITE:
			write_block(d, &a, now);
			break;
		case MH_SCHED_GAVE_UP: {
			struct mh_log_fields f;

			d->counters.failed++;
			mh_metrics_count_failure(&d->metrics.c, a.err);
			mh_block_fields(&d->inv, a.id,
					mh_inv_block(&d->inv, a.id),
					MH_EV_FAILURE, NULL, NULL, &f);
			mh_log_ev(LOG_ERR, &f,
				  "memory%" PRIu64
				  ": cannot build the request: %s",
				  a.id, strerror(-a.err));
			break;
		}
		default:
			break;
		}
	}
	verify_written(d);
	if (a.kind == MH_SCHED_WAIT)
		arm_queue_timer(d, a.until);
	else if (d->queue_timer)
		sd_event_source_set_enabled(d->queue_timer, SD_EVENT_OFF);
	if (d->sched.nr_queued == 0)
		schedule_save(d);
out:
	notify_status(d);
}

static int on_queue_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	(void)s;
	(void)usec;
	process_queue(ud, MH_BATCH);
	return 0;
}

/* ---- periodic sweep ---- */

static void calibration_check(struct mh_daemon *d)
{
	uint64_t *before;
	size_t n = d->inv.nr_nodes, i;
	int r;

	before = calloc(n ? n : 1, sizeof(*before));
	if (!before)
		return;
	for (i = 0; i < n; i++)
		before[i] = d->inv.totals[i].kernel_early;
	r = mh_scan_calibrate(&d->root, &d->inv);
	if (r == -ERANGE)
		mh_warn("calibration: kernel-zone memory below the hotplugged "
			"part on some node: a block is misclassified");
	else if (r < 0)
		mh_warn("calibration from proc/zoneinfo: %s", strerror(-r));
	for (i = 0; i < n && i < d->inv.nr_nodes; i++)
		if (d->inv.totals[i].present &&
		    d->inv.totals[i].kernel_early != before[i])
			mh_warn("node%zu: KERNEL_EARLY changed from %" PRIu64
				" to %" PRIu64 " pages without a boot-memory "
				"change (missed event or misclassified block?)",
				i, before[i], d->inv.totals[i].kernel_early);
	free(before);
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *ud)
{
	struct mh_daemon *d = ud;
	size_t n;

	mh_uevent_drain(d->uevents);
	if (d->need_rescan)
		mh_daemon_rescan(d);
	/* A dry run's inventory holds simulated onlines: zoneinfo differs. */
	if (!d->inv.needs_calibration && !d->dry_run)
		calibration_check(d);
	balloon_update(d, false);
	n = queue_offline(d);
	if (n)
		mh_info("sweep: %zu offline blocks queued", n);
	/* zoneinfo may have moved without a uevent */
	mh_daemon_metrics_kick(d);
	if (d->sched.nr_queued == 0)
		schedule_save(d);
	sd_event_source_set_time(s, usec + MH_SWEEP_USEC);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

/* ---- configuration ---- */

static void log_config(const struct mh_daemon *d, const char *what)
{
	const struct mh_policy_config *p = &d->config.policy;

	mh_info("%s %s: policy %s, ratio %u%%, numa_aware %s%s", what,
		d->config_path, mh_policy_name(p->policy), p->ratio,
		p->numa_aware ? "yes" : "no", d->dry_run ? " (dry run)" : "");
}

/* A dry run's simulated onlines are undone, to be decided afresh. */
static int undo_simulated_cb(struct mh_block *b, void *ctx)
{
	struct mh_inventory *inv = ctx;

	if (b->state == MH_BLOCK_ONLINE && b->onlined_by == MH_BY_MEMHOTD) {
		mh_inv_set_offline(inv, b);
		b->has_decision = false;
	}
	return 0;
}

int mh_daemon_reload(struct mh_daemon *d, char *err, size_t err_len)
{
	struct mh_config c;
	char e[1024] = "";
	size_t n;

	if (mh_config_load(d->config_path, d->config_missing_ok, &c, e,
			   sizeof(e)) < 0) {
		if (err && err_len)
			snprintf(err, err_len, "%s", e);
		mh_err("reload: %s; keeping the previous configuration", e);
		return -1;
	}
	if (mh_kernel_reload(d, &c, e, sizeof(e)) < 0) {
		if (err && err_len)
			snprintf(err, err_len, "%s", e);
		mh_err("reload: %s; keeping the previous configuration", e);
		return -1;
	}
	d->config = c;
	log_config(d, "reloaded");
	/* SIGHUP and memhotctl reload alike: the socket follows [control]. */
	if (d->control)
		mh_control_set_group(d->control, d->config.control_group_set,
				     d->config.control_gid);
	/* The policy may have changed: failed and (in a dry run) decided
	 * blocks get a fresh decision. */
	mh_sched_clear_failed(&d->sched);
	if (d->dry_run)
		mh_inv_for_each_block(&d->inv, undo_simulated_cb, &d->inv);
	n = queue_offline(d);
	if (n)
		mh_info("reload: %zu offline blocks queued", n);
	mh_daemon_kick(d);
	mh_daemon_metrics_kick(d); /* the path or the limits may change */
	return 0;
}

/* ---- signals ---- */

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si,
			  void *ud)
{
	struct mh_daemon *d = ud;

	mh_info("%s: exiting", strsignal((int)si->ssi_signo));
	sd_notify(0, "STOPPING=1");
	d->exiting = true;
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si,
		  void *ud)
{
	struct mh_daemon *d = ud;
	char err[1024];

	(void)s;
	(void)si;
	sd_notify(0, "RELOADING=1");
	mh_daemon_reload(d, err, sizeof(err));
	sd_notify(0, "READY=1");
	return 0;
}

/* ---- set-up and teardown ---- */

static void lock_memory(void)
{
	/* Keep working when the guest is short of memory (earlyoom). */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
		return;
	if (errno == EINVAL && mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
		return;
	mh_warn("mlockall: %s; memory not locked", strerror(errno));
}

static int coldplug_log_cb(struct mh_block *b, void *ctx)
{
	size_t *counts = ctx;

	counts[0]++;
	if (b->state == MH_BLOCK_ONLINE)
		counts[1]++;
	if (b->hotplugged)
		counts[2]++;
	return 0;
}

static int add_signal(struct mh_daemon *d, sd_event_source **s, int sig,
		      sd_event_signal_handler_t h)
{
	int r = sd_event_add_signal(d->event, s, sig, h, d);

	if (r < 0)
		mh_err("sd_event_add_signal(%s): %s", strsignal(sig),
		       strerror(-r));
	else
		sd_event_source_set_priority(*s, SD_EVENT_PRIORITY_IMPORTANT);
	return r;
}

/*
 * How the kernel's virtio-mem driver throttles (sched.h): 5.10 counts
 * offline blocks, 5.11+ bytes.  5.10 is the kernel without virtio_mem's
 * force_bbm parameter (it came with Big Block Mode); without the module
 * loaded, the kernel release decides.
 */
static enum mh_vmem_throttle detect_throttle(const struct mh_root *root)
{
	char rel[64];
	unsigned int major = 0, minor = 0;
	ssize_t n;

	if (mh_path_exists(root, "sys/module/virtio_mem/parameters"))
		return mh_path_exists(root, "sys/module/virtio_mem/parameters/"
					    "force_bbm")
			       ? MH_VMEM_THROTTLE_BYTES
			       : MH_VMEM_THROTTLE_BLOCKS_5_10;
	n = mh_read_small(root, "proc/sys/kernel/osrelease", rel, sizeof(rel));
	if (n > 0 && sscanf(rel, "%u.%u", &major, &minor) == 2 &&
	    (major < 5 || (major == 5 && minor < 11)))
		return MH_VMEM_THROTTLE_BLOCKS_5_10;
	return MH_VMEM_THROTTLE_BYTES;
}

int mh_daemon_start(struct mh_daemon *d, const struct mh_daemon_options *o)
{
	char err[1024] = "";
	size_t counts[3] = {0, 0, 0}, i, groups = 0;
	sigset_t ss;
	uint64_t now;
	int r;

	memset(d, 0, sizeof(*d));
	d->root.dirfd = -1;
	/* Under systemd, messages and their fields go to the journal. */
	mh_log_set_journal_sender(sd_journal_sendv);
	d->start_usec = mh_now_usec();
	d->dry_run = o->dry_run;
	d->exit_status = 0;
	d->config_missing_ok = !o->config_path;
	snprintf(d->config_path, sizeof(d->config_path), "%s",
		 o->config_path ? o->config_path : MH_DEFAULT_CONFIG);

	if (mh_config_load(d->config_path, d->config_missing_ok, &d->config,
			   err, sizeof(err)) < 0) {
		mh_err("%s", err);
		return MH_EXIT_CONFIG;
	}
	r = mh_root_open(&d->root, o->root ? o->root : "/");
	if (r < 0) {
		mh_err("root %s: %s", o->root ? o->root : "/", strerror(-r));
		return 1;
	}
	lock_memory();
	r = mh_kernel_start(d); /* kernel.c: before the scan (page size) */
	if (r != 0)
		return r;

	r = sd_event_new(&d->event);
	if (r < 0) {
		mh_err("sd_event_new: %s", strerror(-r));
		return 1;
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	if (add_signal(d, &d->sig_term, SIGTERM, on_exit_signal) < 0 ||
	    add_signal(d, &d->sig_int, SIGINT, on_exit_signal) < 0 ||
	    add_signal(d, &d->sig_hup, SIGHUP, on_hup) < 0)
		return 1;
	r = sd_event_set_watchdog(d->event, true);
	if (r < 0)
		mh_warn("watchdog: %s", strerror(-r));

	/* Before the scan, so nothing between the two is missed. */
	r = mh_uevent_open(d->event, 0, &uevent_ops, d, &d->uevents);
	if (r < 0)
		return 1;

	mh_sched_init(&d->sched, &d->inv, &d->config.policy,
		      detect_throttle(&d->root));
	/* Delegate mode, or auto-onlining left on: added blocks await the
	 * kernel's online first (no lost race against it). */
	mh_sched_set_kernel_onlines(&d->sched,
				    mh_kernel_auto_onlines(&d->kernel));
	decision_inputs_init(d);
	r = mh_scan_full(&d->root, &d->inv);
	if (r == -ERANGE) {
		mh_warn("calibration: kernel-zone memory below the hotplugged "
			"part on some node: a block is misclassified");
	} else if (r == -EBADMSG) {
		/* The kernel's zone statistics are the policy's input: without
		 * them every decision would be a guess. */
		mh_err("inconsistent /proc/zoneinfo (see above): the zone "
		       "statistics the policy needs are unusable; not "
		       "starting");
		return MH_EXIT_ZONEINFO;
	} else if (r < 0) {
		mh_err("scanning %s/" MH_SYSFS_MEMORY ": %s", d->root.path,
		       strerror(-r));
		return 1;
	}
	log_config(d, "configuration");
	mh_kernel_after_scan(d);
	mh_debug("virtio-mem throttle: %s",
		 mh_vmem_throttle_name(d->sched.throttle));
	mh_inv_for_each_block(&d->inv, coldplug_log_cb, counts);
	for (i = 0; i < d->inv.nr_groups; i++)
		groups += d->inv.gstats[i].alive;
	mh_info("%zu memory blocks of %" PRIu64 " MiB (%zu online, %zu "
		"hotplugged), %zu devices, %zu nodes",
		counts[0], d->inv.block_size_bytes >> 20, counts[1], counts[2],
		groups, d->inv.nr_nodes);

	d->nr_competitors = mh_competitors_detect(&d->root, d->competitors,
						  MH_MAX_COMPETITORS);
	d->nr_competitors = mh_kernel_filter_competitors(d, d->competitors,
							 d->nr_competitors);
	for (i = 0; i < d->nr_competitors; i++)
		mh_warn("competing onliner: %s", d->competitors[i]);

	now = mh_now_usec();
	r = sd_event_add_time(d->event, &d->queue_timer, CLOCK_MONOTONIC,
			      UINT64_MAX, 1, on_queue_timer, d);
	if (r >= 0) {
		sd_event_source_set_description(d->queue_timer, "queue");
		sd_event_source_set_enabled(d->queue_timer, SD_EVENT_OFF);
		/* Accuracy 1 us: a coarser one makes sd-event read the
		 * real /proc/sys/kernel/random/boot_id (its wake-up
		 * perturbation), outside the root prefix. */
		r = sd_event_add_time(d->event, &d->sweep_timer,
				      CLOCK_MONOTONIC, now + MH_SWEEP_USEC, 1,
				      on_sweep, d);
	}
	if (r >= 0) {
		r = sd_event_add_time(d->event, &d->save_timer, CLOCK_MONOTONIC,
				      UINT64_MAX, 1, on_save_timer, d);
		if (r >= 0) {
			sd_event_source_set_description(d->save_timer, "save");
			sd_event_source_set_enabled(d->save_timer,
						    SD_EVENT_OFF);
		}
	}
	if (r < 0) {
		mh_err("sd_event_add_time: %s", strerror(-r));
		return 1;
	}
	sd_event_source_set_description(d->sweep_timer, "sweep");

	r = mh_daemon_control_start(d);
	if (r < 0)
		mh_warn("control socket: %s; continuing without it",
			strerror(-r));
	r = mh_daemon_metrics_start(d);
	if (r < 0)
		mh_warn("[metrics] timer: %s; no metrics file", strerror(-r));
	mh_daemon_metrics_kick(d);

	/* Coldplug: every offline hotplugged block, ascending. */
	i = queue_offline(d);
	mh_info("coldplug: %zu offline hotplugged blocks queued", i);
	process_queue(d, 0);
	return 0;
}

int mh_daemon_run(struct mh_daemon *d)
{
	int r = sd_event_loop(d->event);

	if (r < 0) {
		mh_err("event loop: %s", strerror(-r));
		return 1;
	}
	if (d->classification_dirty)
		mh_scan_save_classification(&d->root, &d->inv);
	mh_daemon_metrics_flush(d);
	return d->exit_status;
}

void mh_daemon_free(struct mh_daemon *d)
{
	if (d->event)
		mh_daemon_control_stop(d);
	d->queue_timer = sd_event_source_disable_unref(d->queue_timer);
	d->sweep_timer = sd_event_source_disable_unref(d->sweep_timer);
	d->save_timer = sd_event_source_disable_unref(d->save_timer);
	mh_daemon_metrics_stop(d);
	d->sig_term = sd_event_source_disable_unref(d->sig_term);
	d->sig_int = sd_event_source_disable_unref(d->sig_int);
	d->sig_hup = sd_event_source_disable_unref(d->sig_hup);
	mh_uevent_close(d->uevents);
	d->uevents = NULL;
	d->event = sd_event_unref(d->event);
	mh_inv_free(&d->inv);
	mh_kernel_free(&d->kernel);
	mh_root_close(&d->root);
	mh_sched_free(&d->sched);
}
