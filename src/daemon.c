// SPDX-License-Identifier: MIT
/*
 * The event loop: uevents, the onlining queue, retries, the periodic sweep,
 * signals, sd_notify.  Decisions come from the policy (pure) over the
 * inventory; this file only sequences them and performs the writes.
 *
 * The queue holds block ids in arrival order.  A block is decided once its
 * nodeN link exists (spec 7.9) and its owning device is known (7.11), and
 * only after every lower queued block of the same device (1.8): a device's
 * blocks go strictly ascending, devices do not wait for each other.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "memhotd/competitors.h"
#include "memhotd/control.h"
#include "memhotd/daemon.h"
#include "memhotd/log.h"
#include "memhotd/onliner.h"
#include "memhotd/policy.h"
#include "memhotd/scan.h"
#include "memhotd/uevent.h"

/* Decisions per loop iteration before yielding to signals and clients. */
#define MH_BATCH 64
#define MH_SWEEP_USEC (10ULL * 1000 * 1000)
/* A failed block is tried again by the sweep after this long. */
#define MH_FAILED_RETRY_USEC (60ULL * 1000 * 1000)
#define MH_UNIT_MAX (1U << 20)
/*
 * The classification file is rewritten at most this long after it changed.
 * With virtio-mem the queue empties after nearly every block, and saving
 * whenever it does cost a tmpfs file create + rename per block.  A restart
 * inside the window loses only the classification of blocks that changed
 * in it: hotplugged blocks, which rules 2 and 3 of spec 5.4 (inside
 * virtioN/daxX.Y/"System RAM (driver)", or a DIMM) classify again anyway.
 * SIGTERM and a rescan still save at once.
 */
#define MH_SAVE_DELAY_USEC (1000ULL * 1000)
/*
 * virtio-mem hold (spec 7.7).  The device's worker adds blocks under
 * device_hotplug_lock (a blocking mutex_lock) until 1 GiB is offline; a
 * sysfs state write only trylocks it and on failure sleeps 5 ms (3 jiffies
 * at HZ=250) and restarts, so writing while the worker adds wastes most of
 * a sleep per collision.  While a device's adds keep coming and it has less
 * than its offline threshold offline, its writes wait: until the threshold
 * is reached (the worker has stopped) or no add came for MH_HOLD_QUIET_USEC
 * (the plug is complete).  Then its blocks go down to half the threshold
 * (the write that gets there restarts the worker) and wait again for at
 * most MH_HOLD_QUIET_USEC for the next burst.
 */
#define MH_HOLD_QUIET_USEC 5000ULL
/* A state write slower than this probably slept on device_hotplug_lock. */
#define MH_SLOW_WRITE_USEC 5000ULL

#ifndef EHWPOISON
#define EHWPOISON 133
#endif

static void process_queue(struct mh_daemon *d, size_t budget);
static ssize_t device_key(const struct mh_inventory *inv,
			  const struct mh_block *b);

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

const char *mh_pending_state_name(enum mh_pending_state s)
{
	switch (s) {
	case MH_PENDING_QUEUED:
		return "queued";
	case MH_PENDING_WAIT_NODE:
		return "wait-node";
	case MH_PENDING_WAIT_GROUP:
		return "wait-group";
	case MH_PENDING_RETRY:
		return "retry";
	}
	return "unknown";
}

/* ---- small id sets ---- */

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static ssize_t pending_find(const struct mh_daemon *d, uint64_t id)
{
	size_t i;

	for (i = 0; i < d->nr_pending; i++)
		if (d->pending[i].id == id)
			return (ssize_t)i;
	return -1;
}

static void pending_remove_at(struct mh_daemon *d, size_t i)
{
	memmove(&d->pending[i], &d->pending[i + 1],
		(d->nr_pending - i - 1) * sizeof(*d->pending));
	d->nr_pending--;
}

static bool pending_remove(struct mh_daemon *d, uint64_t id)
{
	ssize_t i = pending_find(d, id);

	if (i < 0)
		return false;
	pending_remove_at(d, (size_t)i);
	return true;
}

static int enqueue(struct mh_daemon *d, uint64_t id)
{
	struct mh_pending *e;

	if (pending_find(d, id) >= 0)
		return 0;
	if (grow((void **)&d->pending, &d->cap_pending, d->nr_pending + 1,
		 sizeof(*d->pending)) < 0) {
		mh_err("memory%" PRIu64 ": cannot queue: out of memory", id);
		return -ENOMEM;
	}
	e = &d->pending[d->nr_pending++];
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->seq = d->next_seq++;
	e->state = MH_PENDING_QUEUED;
	e->queued_usec = now_usec();
	return 1;
}

static ssize_t failed_find(const struct mh_daemon *d, uint64_t id)
{
	size_t i;

	for (i = 0; i < d->nr_failed; i++)
		if (d->failed[i].id == id)
			return (ssize_t)i;
	return -1;
}

static void failed_remove(struct mh_daemon *d, uint64_t id)
{
	ssize_t i = failed_find(d, id);

	if (i < 0)
		return;
	memmove(&d->failed[i], &d->failed[i + 1],
		(d->nr_failed - (size_t)i - 1) * sizeof(*d->failed));
	d->nr_failed--;
}

static void failed_add(struct mh_daemon *d, uint64_t id, int err)
{
	ssize_t i = failed_find(d, id);
	size_t pos;

	if (i < 0) {
		if (grow((void **)&d->failed, &d->cap_failed, d->nr_failed + 1,
			 sizeof(*d->failed)) < 0)
			return;
		/* Keep ascending id order. */
		for (pos = 0; pos < d->nr_failed && d->failed[pos].id < id;
		     pos++)
			;
		memmove(&d->failed[pos + 1], &d->failed[pos],
			(d->nr_failed - pos) * sizeof(*d->failed));
		d->nr_failed++;
		i = (ssize_t)pos;
	}
	d->failed[i].id = id;
	d->failed[i].err = err;
	d->failed[i].at_usec = now_usec();
}

static ssize_t offlined_find(const struct mh_daemon *d, uint64_t id)
{
	size_t i;

	for (i = 0; i < d->nr_user_offlined; i++)
		if (d->user_offlined[i] == id)
			return (ssize_t)i;
	return -1;
}

static void offlined_add(struct mh_daemon *d, uint64_t id)
{
	if (offlined_find(d, id) >= 0)
		return;
	if (grow((void **)&d->user_offlined, &d->cap_user_offlined,
		 d->nr_user_offlined + 1, sizeof(*d->user_offlined)) < 0)
		return;
	d->user_offlined[d->nr_user_offlined++] = id;
}

static void offlined_remove(struct mh_daemon *d, uint64_t id)
{
	ssize_t i = offlined_find(d, id);

	if (i < 0)
		return;
	d->user_offlined[i] = d->user_offlined[--d->nr_user_offlined];
}

/* Forget everything about a block that is gone (spec 7.11: never carry
 * state across a removal). */
static void forget_block(struct mh_daemon *d, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&d->inv, id);

	pending_remove(d, id);
	failed_remove(d, id);
	offlined_remove(d, id);
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
		     c->onlined_movable, d->nr_pending, d->nr_failed);
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
	uint64_t now = now_usec();

	if (d->ready_sent && d->nr_pending > 0 && now - last_usec < 500 * 1000)
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

/* ---- virtio-mem hold ---- */

/* The hold state of device key k if it is a virtio-mem device, else NULL. */
static struct mh_vmem_hold *vmem_hold(struct mh_daemon *d, ssize_t k)
{
	size_t n = d->inv.nr_groups;

	if (k < 0 || (size_t)k >= n ||
	    d->inv.groups[k].kind != MH_GROUP_VIRTIO_MEM)
		return NULL;
	if (d->nr_holds < n) {
		if (grow((void **)&d->holds, &d->cap_holds, n,
			 sizeof(*d->holds)) < 0)
			return NULL;
		memset(d->holds + d->nr_holds, 0,
		       (n - d->nr_holds) * sizeof(*d->holds));
		d->nr_holds = n;
	}
	return &d->holds[k];
}

/* virtio-mem's offline_threshold in blocks: max(1 GiB, 2 blocks). */
static size_t vmem_threshold_blocks(const struct mh_inventory *inv)
{
	uint64_t bs = inv->block_size_bytes, t = 1ULL << 30;

	if (!bs)
		return 2;
	if (t < 2 * bs)
		t = 2 * bs;
	return (size_t)(t / bs);
}

/* Should the writes for virtio-mem device k (off blocks offline) wait? */
static bool vmem_holding(struct mh_daemon *d, struct mh_vmem_hold *h,
			 size_t off, uint64_t now)
{
	size_t thr = vmem_threshold_blocks(&d->inv);
	uint64_t t;

	if (off >= thr) {
		h->draining = true; /* the worker has stopped */
		return false;
	}
	if (h->draining) {
		if (off > thr / 2)
			return false;
		/* The write that just got here restarted the worker. */
		h->draining = false;
		h->restart_usec = now;
	}
	t = h->last_add_usec > h->restart_usec ? h->last_add_usec
					       : h->restart_usec;
	if (now >= t + MH_HOLD_QUIET_USEC)
		return false;
	if (t + MH_HOLD_QUIET_USEC < d->hold_until)
		d->hold_until = t + MH_HOLD_QUIET_USEC;
	return true;
}

/* ---- uevents ---- */

static void handle_add(struct mh_daemon *d, uint64_t id)
{
	struct mh_block *b;
	int r;

	offlined_remove(d, id);
	failed_remove(d, id);
	r = mh_scan_block(&d->root, &d->inv, id, true);
	if (r == -ENOENT) {
		mh_debug("memory%" PRIu64 ": added and gone again", id);
		return;
	}
	if (r < 0) {
		mh_warn("memory%" PRIu64 ": cannot read the new block: %s", id,
			strerror(-r));
		return;
	}
	d->classification_dirty = true;
	b = mh_inv_block(&d->inv, id);
	if (b && b->state == MH_BLOCK_OFFLINE) {
		struct mh_vmem_hold *h = vmem_hold(d, device_key(&d->inv, b));

		if (h)
			h->last_add_usec = now_usec();
		if (enqueue(d, id) > 0)
			mh_debug("memory%" PRIu64 ": added, queued", id);
		mh_daemon_kick(d);
	}
	mh_kernel_block_onlined(d, id); /* online already: kernel auto-online */
}

static void handle_online(struct mh_daemon *d, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&d->inv, id);
	enum mh_zone z;
	bool was_pending;
	int r;

	if (!b) {
		/* We missed its add: learn it as it is now. */
		r = mh_scan_block(&d->root, &d->inv, id, true);
		b = r == 0 ? mh_inv_block(&d->inv, id) : NULL;
		if (b && b->state == MH_BLOCK_ONLINE) {
			b->onlined_by = MH_BY_OTHER;
			mh_info("memory%" PRIu64
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
	was_pending = pending_remove(d, id);
	failed_remove(d, id);
	offlined_remove(d, id);
	mh_inv_set_online(&d->inv, b, z, MH_BY_OTHER);
	mh_kernel_block_onlined(d, id);
	if (was_pending) {
		d->counters.lost_races++;
		mh_warn("memory%" PRIu64
			": onlined to %s by someone else before memhotd "
			"(%s)",
			id, mh_zone_name(z), competitor_hint(d));
	} else {
		mh_info("memory%" PRIu64
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
	/* Spec 6.4: never answer an offline by onlining (removal, or the
	 * kernel's own rollback). */
	offlined_add(d, id);
	mh_info("memory%" PRIu64 ": offlined by someone else; left offline",
		id);
}

static void handle_remove(struct mh_daemon *d, uint64_t id)
{
	if (!mh_inv_block(&d->inv, id) && pending_find(d, id) < 0)
		return;
	mh_debug("memory%" PRIu64 ": removed", id);
	forget_block(d, id);
	mh_daemon_kick(d);
}

static void on_uevent(void *userdata, enum mh_uevent_action a, uint64_t id)
{
	struct mh_daemon *d = userdata;

	d->counters.uevents++;
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

/*
 * The uevents of one wake-up are handled: decide now if they made the queue
 * ready (an "add"), instead of one more event-loop round trip through the
 * queue timer.  virtio-mem stalls while > 512 MiB is offline (spec 7.7),
 * so this latency is plug speed.
 */
static void on_drained(void *userdata)
{
	struct mh_daemon *d = userdata;

	if (d->kick_pending && !d->exiting)
		process_queue(d, MH_BATCH);
}

static const struct mh_uevent_ops uevent_ops = {
	.event = on_uevent,
	.overflow = on_overflow,
	.drained = on_drained,
};

/* ---- rescan ---- */

static bool sweep_wants(const struct mh_daemon *d, const struct mh_block *b,
			uint64_t now)
{
	ssize_t f;

	if (!b->hotplugged || b->state != MH_BLOCK_OFFLINE)
		return false;
	if (offlined_find(d, b->id) >= 0)
		return false;
	if (d->dry_run && b->has_decision)
		return false;
	f = failed_find(d, b->id);
	if (f >= 0 && (d->failed[f].err == EHWPOISON ||
		       now - d->failed[f].at_usec < MH_FAILED_RETRY_USEC))
		return false;
	return true;
}

struct queue_ctx {
	struct mh_daemon *d;
	uint64_t now;
	size_t queued;
};

static int queue_cb(struct mh_block *b, void *ctx)
{
	struct queue_ctx *q = ctx;

	if (sweep_wants(q->d, b, q->now) && enqueue(q->d, b->id) > 0)
		q->queued++;
	return 0;
}

/* Queue offline hotplugged blocks that are not queued: ascending ids, i.e.
 * device by device (devices occupy disjoint ranges). */
static size_t queue_offline(struct mh_daemon *d)
{
	struct queue_ctx q = {.d = d, .now = now_usec()};

	mh_inv_for_each_block(&d->inv, queue_cb, &q);
	if (q.queued)
		mh_daemon_kick(d);
	return q.queued;
}

struct carry_ctx {
	struct mh_daemon *d;
	struct mh_inventory *old;
};

static int carry_cb(struct mh_block *nb, void *ctx)
{
	struct carry_ctx *c = ctx;
	struct mh_block *ob = mh_inv_block(c->old, nb->id);

	if (!ob)
		return 0;
	nb->has_decision = ob->has_decision;
	nb->decision = ob->decision;
	nb->attempts = ob->attempts;
	nb->last_errno = ob->last_errno;
	nb->first_seen_usec = ob->first_seen_usec;
	if (ob->state == MH_BLOCK_ONLINE && nb->state == MH_BLOCK_ONLINE &&
	    ob->zone == nb->zone)
		nb->onlined_by = ob->onlined_by;
	else if (ob->state != MH_BLOCK_ONLINE && nb->state == MH_BLOCK_ONLINE)
		nb->onlined_by = MH_BY_OTHER; /* a missed online event */
	else if (ob->state == MH_BLOCK_ONLINE && nb->state == MH_BLOCK_OFFLINE)
		offlined_add(c->d, nb->id); /* a missed offline event */
	return 0;
}

static int gone_cb(struct mh_block *ob, void *ctx)
{
	struct carry_ctx *c = ctx;

	if (!mh_inv_block(&c->d->inv, ob->id)) {
		pending_remove(c->d, ob->id);
		failed_remove(c->d, ob->id);
		offlined_remove(c->d, ob->id);
	}
	return 0;
}

int mh_daemon_rescan(struct mh_daemon *d)
{
	struct mh_inventory ni, old;
	struct carry_ctx c = {.d = d};
	size_t i;
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
	c.old = &old;
	mh_inv_for_each_block(&old, gone_cb, &c);
	mh_inv_free(&old);
	/* Drop queue entries whose block vanished or went online. */
	for (i = 0; i < d->nr_pending;) {
		struct mh_block *b = mh_inv_block(&d->inv, d->pending[i].id);

		if (!b || b->state != MH_BLOCK_OFFLINE)
			pending_remove_at(d, i);
		else
			i++;
	}
	d->counters.rescans++;
	i = queue_offline(d);
	mh_info("rescan: %zu blocks, %zu newly queued, %zu pending",
		d->inv.nr_blocks, i, d->nr_pending);
	mh_daemon_kick(d);
	return 0;
}

/* ---- the queue ---- */

/* The device a block belongs to, as a key: group index, nr_groups for
 * ungrouped, -1 while unknown and outside any known device range. */
static ssize_t device_key(const struct mh_inventory *inv,
			  const struct mh_block *b)
{
	uint64_t pfn = b->id * inv->block_pages;
	size_t g;

	if (b->group_resolved)
		return b->group >= 0 ? b->group : (ssize_t)inv->nr_groups;
	for (g = 0; g < inv->nr_groups; g++) {
		const struct mh_group *gr = &inv->groups[g];

		if (inv->gstats[g].alive && gr->start_pfn < gr->end_pfn &&
		    pfn >= gr->start_pfn && pfn < gr->end_pfn)
			return (ssize_t)g;
	}
	return -1;
}

static void set_wait(struct mh_pending *e, enum mh_pending_state s,
		     uint64_t now)
{
	if (e->state != s)
		mh_debug("memory%" PRIu64 ": waiting (%s)", e->id,
			 mh_pending_state_name(s));
	e->state = s;
	e->waits++;
	e->next_usec = now + mh_onliner_wait_delay_usec(e->waits);
}

/*
 * Is entry e ready to be decided now?  1: yes; 0: not yet (e->next_usec
 * set); 2: its device changed (the caller starts over); -1: the block is
 * gone (already forgotten).
 */
static int check_ready(struct mh_daemon *d, struct mh_pending *e,
		       struct mh_block *b, uint64_t now)
{
	uint64_t id = e->id;
	int r, nid;

	if (b->nid < 0) {
		const struct mh_block *prev =
			id ? mh_inv_block(&d->inv, id - 1) : NULL;

		r = mh_sysfs_block_node_hint(&d->root, id,
					     prev ? prev->nid : -1, &nid);
		if (r == -ENODEV) {
			forget_block(d, id);
			return -1;
		}
		if (r < 0) {
			set_wait(e, MH_PENDING_WAIT_NODE, now);
			return 0;
		}
		r = mh_inv_set_node(&d->inv, b, nid);
		if (r < 0) {
			mh_warn("memory%" PRIu64 ": node%d: %s", id, nid,
				strerror(-r));
			set_wait(e, MH_PENDING_WAIT_NODE, now);
			return 0;
		}
	}
	if (!b->group_resolved) {
		r = mh_scan_resolve_group(&d->root, &d->inv, b);
		if (r == -EAGAIN) {
			if (now - e->queued_usec < MH_GROUP_GRACE_USEC) {
				set_wait(e, MH_PENDING_WAIT_GROUP, now);
				return 0;
			}
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
		return 2;
	}
	if (e->state == MH_PENDING_WAIT_NODE ||
	    e->state == MH_PENDING_WAIT_GROUP)
		e->state = MH_PENDING_QUEUED;
	return 1;
}

/* The next entry to decide, or -1.  Arrival order; within a device only
 * the lowest queued id may go. */
static ssize_t pick_next(struct mh_daemon *d, uint64_t now)
{
	uint64_t *min_id;
	size_t *count;
	size_t nkeys, i;
	ssize_t found = -1;

again:
	d->hold_until = UINT64_MAX;
	/* Drop entries whose block is gone or no longer offline. */
	for (i = 0; i < d->nr_pending;) {
		struct mh_block *b = mh_inv_block(&d->inv, d->pending[i].id);

		if (!b || b->state != MH_BLOCK_OFFLINE)
			pending_remove_at(d, i);
		else
			i++;
	}
	nkeys = d->inv.nr_groups + 1;
	if (grow((void **)&d->key_buf, &d->key_cap, nkeys,
		 sizeof(*d->key_buf)) < 0 ||
	    grow((void **)&d->count_buf, &d->count_cap, nkeys,
		 sizeof(*d->count_buf)) < 0)
		return -1;
	min_id = d->key_buf;
	count = d->count_buf;
	for (i = 0; i < nkeys; i++) {
		min_id[i] = UINT64_MAX;
		count[i] = 0;
	}
	for (i = 0; i < d->nr_pending; i++) {
		struct mh_block *b = mh_inv_block(&d->inv, d->pending[i].id);
		ssize_t k = device_key(&d->inv, b);

		if (k < 0)
			continue;
		count[k]++;
		if (d->pending[i].id < min_id[k])
			min_id[k] = d->pending[i].id;
	}
	for (i = 0; i < d->nr_pending; i++) {
		struct mh_pending *e = &d->pending[i];
		struct mh_block *b = mh_inv_block(&d->inv, e->id);
		ssize_t k = device_key(&d->inv, b);
		int r;

		if (k >= 0 && e->id != min_id[k])
			continue; /* a lower block of its device goes first */
		if (e->next_usec > now)
			continue;
		r = check_ready(d, e, b, now);
		if (r == 1) {
			struct mh_vmem_hold *h = vmem_hold(d, k);

			if (h) {
				const struct mh_group *g = &d->inv.groups[k];
				size_t off = g->nr_blocks - g->nr_online;

				if (count[k] > off)
					off = count[k];
				if (vmem_holding(d, h, off, now))
					continue;
			}
			found = (ssize_t)i;
			break;
		}
		if (r != 0)
			goto again; /* the queue or a device changed */
	}
	return found;
}

static int build_request(struct mh_daemon *d, const struct mh_block *b,
			 struct mh_block_request *req)
{
	int r;

	for (;;) {
		size_t cap;
		void *p;

		r = mh_inv_block_request(&d->inv, b, d->unit_buf, d->unit_cap,
					 req);
		if (r != -ENOBUFS)
			return r;
		cap = d->unit_cap ? d->unit_cap * 2 : 64;
		if (cap > MH_UNIT_MAX)
			return -E2BIG;
		p = realloc(d->unit_buf, cap * sizeof(*d->unit_buf));
		if (!p)
			return -ENOMEM;
		d->unit_buf = p;
		d->unit_cap = cap;
	}
}

static void give_up(struct mh_daemon *d, size_t i, struct mh_block *b, int err)
{
	d->counters.failed++;
	b->last_errno = err;
	failed_add(d, b->id, err);
	pending_remove_at(d, i);
}

static void decide_and_write(struct mh_daemon *d, size_t i, uint64_t now)
{
	struct mh_pending *e = &d->pending[i];
	uint64_t id = e->id;
	struct mh_block *b = mh_inv_block(&d->inv, id);
	struct mh_block_request req;
	struct mh_policy_view view;
	struct mh_decision dec;
	enum mh_block_state st = MH_BLOCK_OFFLINE;
	enum mh_write_outcome out;
	enum mh_zone z;
	const char *what;
	char expl[768];
	uint64_t t0;
	int r, err;

	if (d->inv.needs_calibration) {
		r = mh_scan_calibrate(&d->root, &d->inv);
		if (r < 0)
			mh_warn("recalibration from proc/zoneinfo: %s",
				strerror(-r));
	}
	r = build_request(d, b, &req);
	if (r < 0) {
		mh_err("memory%" PRIu64 ": cannot build the request: %s", id,
		       strerror(-r));
		give_up(d, i, b, -r);
		return;
	}
	mh_inv_policy_view(&d->inv, &d->config.policy, &view);
	mh_policy_decide(&view, &req, &dec);
	mh_decision_explain(&dec, MH_PAGE_SIZE, expl, sizeof(expl));
	what = mh_onliner_state_string(dec.target);
	mh_kernel_before_write(d, id, &dec, expl);

	if (d->dry_run) {
		b->has_decision = true;
		b->decision = dec;
		pending_remove_at(d, i);
		mh_info("memory%" PRIu64 ": would write %s (dry run): %s", id,
			what, expl);
		return;
	}

	t0 = now_usec();
	err = mh_onliner_write(&d->root, id, dec.target);
	t0 = now_usec() - t0;
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
	out = mh_onliner_classify(err, st);
	switch (out) {
	case MH_WRITE_SUCCESS:
		/* The write succeeded, so the block is online and its nodeN
		 * link exists (check_ready): valid_zones is safe to read
		 * without re-reading state first (spec 7.9). */
		r = mh_sysfs_block_zone(&d->root, id, &z);
		if (r < 0) {
			mh_warn("memory%" PRIu64 ": cannot verify its zone: %s",
				id, strerror(-r));
			z = dec.target == MH_TARGET_MOVABLE ? MH_ZONE_MOVABLE
							    : MH_ZONE_NORMAL;
		} else if (!mh_onliner_zone_matches(dec.target, z)) {
			d->counters.zone_mismatch++;
			mh_warn("memory%" PRIu64 ": %s gave zone %s", id, what,
				mh_zone_name(z));
		}
		mh_inv_set_online(&d->inv, b, z, MH_BY_MEMHOTD);
		b->has_decision = true;
		b->decision = dec;
		b->attempts = 0;
		b->last_errno = 0;
		d->counters.onlined++;
		if (z == MH_ZONE_MOVABLE)
			d->counters.onlined_movable++;
		else
			d->counters.onlined_kernel++;
		d->counters.last_block = id;
		d->counters.last_zone = z;
		d->counters.has_last = true;
		pending_remove_at(d, i);
		failed_remove(d, id);
		mh_info("memory%" PRIu64 ": %s ok; %s", id, what, expl);
		break;
	case MH_WRITE_LOST_RACE:
		d->counters.lost_races++;
		pending_remove_at(d, i);
		if (mh_sysfs_online_zone(&d->root, id, &z) == 0) {
			mh_inv_set_online(&d->inv, b, z, MH_BY_OTHER);
			mh_kernel_block_onlined(d, id);
			mh_warn("memory%" PRIu64 ": lost a race: already "
				"online in %s, put there "
				"by someone else (memhotd wanted %s; %s)",
				id, mh_zone_name(z), what, competitor_hint(d));
		} else {
			mh_warn("memory%" PRIu64
				": lost a race: onlined by someone else "
				"(memhotd wanted %s; %s)",
				id, what, competitor_hint(d));
		}
		break;
	case MH_WRITE_GONE:
		/* Its device's other blocks are decided afresh, with the
		 * statistics without it. */
		d->counters.vanished++;
		mh_info("memory%" PRIu64 ": removed while onlining (%s)", id,
			strerror(-err));
		forget_block(d, id);
		break;
	case MH_WRITE_RETRY:
		b->attempts++;
		b->last_errno = -err;
		if (mh_onliner_may_retry(b->attempts)) {
			uint64_t delay =
				mh_onliner_retry_delay_usec(b->attempts);

			d->counters.retried++;
			e->state = MH_PENDING_RETRY;
			e->next_usec = now + delay;
			mh_info("memory%" PRIu64
				": %s: %s; retry %u in %" PRIu64 " ms",
				id, what, strerror(-err), b->attempts,
				delay / 1000);
		} else {
			mh_err("memory%" PRIu64
			       ": %s: %s; giving up after %u attempts",
			       id, what, strerror(-err), b->attempts);
			give_up(d, i, b, -err);
		}
		break;
	case MH_WRITE_HWPOISON:
		mh_err("memory%" PRIu64 ": %s: hardware-poisoned pages "
		       "(EHWPOISON); left offline",
		       id, what);
		give_up(d, i, b, -err);
		break;
	case MH_WRITE_FAILED:
		if (err == -EINVAL)
			mh_err("memory%" PRIu64
			       ": %s refused (EINVAL), block still %s",
			       id, what, mh_block_state_name(st));
		else
			mh_err("memory%" PRIu64 ": %s failed: %s", id, what,
			       strerror(-err));
		give_up(d, i, b, -err);
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
				 now_usec() + MH_SAVE_DELAY_USEC);
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
	/* A time in the past: runs on the next loop iteration, or at once
	 * when the uevents that caused it have been handled (on_drained). */
	d->kick_pending = true;
	arm_queue_timer(d, 1);
}

/*
 * Decides and writes ready blocks one after another (virtio-mem stalls
 * while more than 512 MiB is offline, spec 7.7), up to budget (0: no
 * limit), then yields.
 */
static void process_queue(struct mh_daemon *d, size_t budget)
{
	size_t done = 0, i;
	uint64_t next = UINT64_MAX, now = now_usec();
	ssize_t idx;

	d->kick_pending = false;
	for (;;) {
		/* Statistics must reflect every online/offline so far. */
		mh_uevent_drain(d->uevents);
		if (d->need_rescan)
			mh_daemon_rescan(d);
		if (budget && done >= budget) {
			mh_daemon_kick(d);
			goto out;
		}
		now = now_usec();
		idx = pick_next(d, now);
		if (idx < 0)
			break;
		decide_and_write(d, (size_t)idx, now);
		done++;
	}
	/* Entries not due yet (waits, retries); the others wait for a
	 * lower block of their device, which is one of these. */
	for (i = 0; i < d->nr_pending; i++)
		if (d->pending[i].next_usec > now &&
		    d->pending[i].next_usec < next)
			next = d->pending[i].next_usec;
	if (d->hold_until > now && d->hold_until < next)
		next = d->hold_until; /* a virtio-mem hold ends */
	if (next != UINT64_MAX)
		arm_queue_timer(d, next);
	else if (d->queue_timer)
		sd_event_source_set_enabled(d->queue_timer, SD_EVENT_OFF);
	if (d->nr_pending == 0)
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
	if (!d->inv.needs_calibration)
		calibration_check(d);
	n = queue_offline(d);
	if (n)
		mh_info("sweep: %zu offline blocks queued", n);
	if (d->nr_pending == 0)
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

static int clear_decision_cb(struct mh_block *b, void *ctx)
{
	(void)ctx;
	if (b->state == MH_BLOCK_OFFLINE)
		b->has_decision = false;
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
	 * offline blocks get a fresh decision. */
	d->nr_failed = 0;
	if (d->dry_run)
		mh_inv_for_each_block(&d->inv, clear_decision_cb, NULL);
	n = queue_offline(d);
	if (n)
		mh_info("reload: %zu offline blocks queued", n);
	mh_daemon_kick(d);
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

int mh_daemon_start(struct mh_daemon *d, const struct mh_daemon_options *o)
{
	char err[1024] = "";
	size_t counts[3] = {0, 0, 0}, i, groups = 0;
	sigset_t ss;
	uint64_t now;
	int r;

	memset(d, 0, sizeof(*d));
	d->root.dirfd = -1;
	d->start_usec = now_usec();
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

	r = mh_scan_full(&d->root, &d->inv);
	if (r == -ERANGE) {
		mh_warn("calibration: kernel-zone memory below the hotplugged "
			"part on some node: a block is misclassified");
	} else if (r < 0) {
		mh_err("scanning %s/" MH_SYSFS_MEMORY ": %s", d->root.path,
		       strerror(-r));
		return 1;
	}
	log_config(d, "configuration");
	mh_kernel_after_scan(d);
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

	now = now_usec();
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

	/* Coldplug (spec 6.12): every offline hotplugged block, ascending. */
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
	return d->exit_status;
}

void mh_daemon_free(struct mh_daemon *d)
{
	if (d->event)
		mh_daemon_control_stop(d);
	d->queue_timer = sd_event_source_disable_unref(d->queue_timer);
	d->sweep_timer = sd_event_source_disable_unref(d->sweep_timer);
	d->save_timer = sd_event_source_disable_unref(d->save_timer);
	d->sig_term = sd_event_source_disable_unref(d->sig_term);
	d->sig_int = sd_event_source_disable_unref(d->sig_int);
	d->sig_hup = sd_event_source_disable_unref(d->sig_hup);
	mh_uevent_close(d->uevents);
	d->uevents = NULL;
	d->event = sd_event_unref(d->event);
	mh_inv_free(&d->inv);
	mh_kernel_free(&d->kernel);
	mh_root_close(&d->root);
	free(d->pending);
	free(d->failed);
	free(d->user_offlined);
	free(d->unit_buf);
	free(d->key_buf);
	free(d->count_buf);
	free(d->holds);
	d->key_buf = NULL;
	d->key_cap = 0;
	d->pending = NULL;
	d->failed = NULL;
	d->user_offlined = NULL;
	d->unit_buf = NULL;
	d->nr_pending = d->nr_failed = d->nr_user_offlined = 0;
}
