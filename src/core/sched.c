// SPDX-License-Identifier: MIT
/*
 * The scheduler (see sched.h): lifecycle records, per-device ordering,
 * waits, retries and the virtio-mem hold.  Pure: no I/O, no clock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/sched.h"
#include "memhotd/util.h"

#ifndef EHWPOISON
#define EHWPOISON 133
#endif

#define NIL UINT32_MAX
#define MH_SCHED_DEV_REF 0x80000000U
#define MH_UNIT_MAX (1U << 20)

enum rec_list { IN_NONE = 0, IN_DEV, IN_PROBE, IN_CHECK };

/*
 * One per block the scheduler knows: 28 bytes (a 64 Ki-block coldplug
 * queues 64 Ki of them at once, locked in RAM).  Block ids are 32-bit: the
 * kernel's memory block device ids are (struct device.id is a u32, and
 * memoryN is named after it), so every real memoryN fits; a larger id is
 * refused with -ERANGE, never truncated.  Times are microseconds after
 * s->epoch in 32 bits (see stamp()).  Timers (waits, retries) keep their
 * full 64-bit time in the heap; a record keeps only when it was queued.
 */
struct mh_sched_rec {
	uint32_t id;
	/* Pending: when first queued (the device and kernel graces);
	 * failed/poisoned/offlined: when that happened (the sweep). */
	uint32_t t;
	union {
		uint32_t prev; /* on a list: device, probe or check */
		int32_t err;   /* failed/poisoned (on no list): -errno */
	};
	uint32_t next;	   /* on a list; free list */
	uint32_t heap;	   /* timer heap position, NIL none */
	uint32_t dev;	   /* device slot, NIL: unknown device */
	uint16_t waits;	   /* node/device re-checks so far (saturating) */
	uint8_t attempts;  /* failed writes so far (saturating) */
	uint8_t state : 4; /* enum mh_sched_state; HELD is derived */
	uint8_t list : 2;  /* enum rec_list */
};
_Static_assert(MH_SCHED_OFFLINED < 16, "mh_sched_rec.state is 4 bits");
_Static_assert(sizeof(struct mh_sched_rec) == 28, "the coldplug budget");

struct mh_sched_dev {
	uint32_t head, tail; /* queued records, ascending id */
	uint32_t rprev, rnext;
	uint32_t heap; /* hold timer position, NIL none */
	bool ready;    /* on the ready list */
	bool draining; /* the worker stopped: write down to `resume` */
	size_t count;  /* records on the list */
	uint64_t last_add_usec, restart_usec, hold_until;
	uint64_t kernel_usec; /* last add or online by others (kernel grace) */
};

const char *mh_sched_state_name(enum mh_sched_state s)
{
	static const char *const n[] = {
		[MH_SCHED_NONE] = "none",
		[MH_SCHED_QUEUED] = "queued",
		[MH_SCHED_AWAIT_KERNEL] = "await-kernel",
		[MH_SCHED_WAIT_NODE] = "wait-node",
		[MH_SCHED_WAIT_GROUP] = "wait-group",
		[MH_SCHED_HELD] = "held",
		[MH_SCHED_RETRY] = "retry",
		[MH_SCHED_FAILED] = "failed",
		[MH_SCHED_POISONED] = "poisoned",
		[MH_SCHED_OFFLINED] = "offlined-by-other",
	};

	return (unsigned int)s < sizeof(n) / sizeof(n[0]) ? n[s] : "unknown";
}

const char *mh_vmem_throttle_name(enum mh_vmem_throttle t)
{
	return t == MH_VMEM_THROTTLE_BLOCKS_5_10 ? "blocks-5.10" : "bytes";
}

void mh_sched_vmem_thresholds(enum mh_vmem_throttle t,
			      uint64_t block_size_bytes, size_t *stop,
			      size_t *resume)
{
	uint64_t bs = block_size_bytes, thr = 1ULL << 30;

	if (t == MH_VMEM_THROTTLE_BLOCKS_5_10) {
		*stop = 10;
		*resume = 9;
		return;
	}
	if (!bs) {
		*stop = 2;
		*resume = 1;
		return;
	}
	if (thr < 2 * bs)
		thr = 2 * bs;
	*stop = (size_t)(thr / bs);
	*resume = *stop / 2;
}

/* ---- growth ---- */

/*
 * How many records a coldplug needs: the offline blocks the inventory
 * knows (on a node).  The record pool and the hash are sized for them at
 * once rather than doubled up to them: doubling leaves every smaller
 * array freed behind it in the heap, resident (and locked), and a hash
 * doubled past a power of two is twice what it needs.
 */
static size_t offline_blocks(const struct mh_inventory *inv)
{
	size_t n = 0, i;

	for (i = 0; inv && i < inv->nr_nodes; i++)
		n += inv->nodes[i].nr_offline;
	return n;
}

/*
 * *cap grows to hold need: to exactly hint while need <= hint (the size
 * known in advance, no slack), else doubling (mh_grow).  0 or -ENOMEM with
 * *arr and *cap unchanged.
 */
static int grow(void **arr, size_t *cap, size_t need, size_t hint, size_t elem)
{
	void *p;

	if (need <= *cap)
		return 0;
	if (need > hint || *cap >= hint)
		return mh_grow(arr, cap, need, elem);
	if (elem && hint > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*arr, hint * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = hint;
	return 0;
}

/* ---- record times ---- */

/*
 * Record times are usec after s->epoch, in 32 bits (71 minutes).  When now
 * leaves that range the epoch moves to now - 2^31 (O(records), at most
 * once every 35 minutes of use) and older times are clamped to the new
 * epoch: they are then more than 35 minutes old, longer than any wait the
 * scheduler measures (MH_SCHED_FAILED_RETRY_USEC is the longest), so every
 * comparison gives what the full time would.
 */
#define T_HALF (1ULL << 31)

static void rebase(struct mh_sched *s, uint64_t now)
{
	uint64_t ne = now > T_HALF ? now - T_HALF : 0;
	uint32_t r;

	for (r = 0; r < s->nr_recs; r++) {
		struct mh_sched_rec *e = &s->recs[r];
		uint64_t abs = s->epoch + e->t;

		if (e->state == MH_SCHED_NONE)
			continue;
		if (abs <= ne)
			e->t = 0;
		else if (abs - ne > UINT32_MAX)
			e->t = UINT32_MAX;
		else
			e->t = (uint32_t)(abs - ne);
	}
	s->epoch = ne;
}

static uint32_t stamp(struct mh_sched *s, uint64_t now)
{
	if (now < s->epoch || now - s->epoch > UINT32_MAX)
		rebase(s, now);
	return (uint32_t)(now - s->epoch);
}

static uint64_t t_abs(const struct mh_sched *s, uint32_t t)
{
	return s->epoch + t;
}

/* The kernel's memory block ids are 32-bit; see struct mh_sched_rec. */
static bool id_fits(uint64_t id)
{
	return id <= UINT32_MAX;
}

/*
 * ---- id -> record hash (open addressing, linear probing) ----
 * At most 3/4 full; any size (not a power of two): the slot is the hash
 * scaled to the size.  Sized for the inventory's offline blocks when it
 * must grow (a coldplug's 64 Ki: 349 KiB), else by half again.
 */

static size_t hslot(const struct mh_sched *s, uint64_t id)
{
	uint64_t h = (id * 0x9E3779B97F4A7C15ULL) >> 32;

	return (size_t)((h * s->hash_cap) >> 32);
}

static size_t hnext(const struct mh_sched *s, size_t i)
{
	return i + 1 == s->hash_cap ? 0 : i + 1;
}

static bool hash_fits(size_t used, size_t cap)
{
	return used * 4 <= cap * 3;
}

static uint32_t hfind(const struct mh_sched *s, uint64_t id, size_t *slot)
{
	size_t i;

	if (!s->hash_cap || !id_fits(id))
		return NIL;
	for (i = hslot(s, id);; i = hnext(s, i)) {
		uint32_t v = s->hash[i];

		if (!v)
			return NIL;
		if (s->recs[v - 1].id == id) {
			if (slot)
				*slot = i;
			return v - 1;
		}
	}
}

static void hput(struct mh_sched *s, uint32_t r)
{
	size_t i = hslot(s, s->recs[r].id);

	while (s->hash[i])
		i = hnext(s, i);
	s->hash[i] = r + 1;
	s->hash_used++;
}

static int hreserve(struct mh_sched *s)
{
	uint32_t *old = s->hash;
	size_t oc = s->hash_cap, i, need = s->hash_used + 1, hint;

	if (hash_fits(need, oc))
		return 0;
	hint = offline_blocks(s->inv);
	if (need <= hint)
		need = hint;
	s->hash_cap = oc + oc / 2 > 64 ? oc + oc / 2 : 64;
	if (!hash_fits(need, s->hash_cap))
		s->hash_cap = need + need / 3 + 1;
	s->hash = calloc(s->hash_cap, sizeof(*s->hash));
	if (!s->hash) {
		s->hash = old;
		s->hash_cap = oc;
		return -ENOMEM;
	}
	s->hash_used = 0;
	for (i = 0; i < oc; i++)
		if (old[i])
			hput(s, old[i] - 1);
	free(old);
	return 0;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void hdel(struct mh_sched *s, size_t i)
{
	size_t j = i;

	for (;;) {
		size_t k;

		j = hnext(s, j);
		if (!s->hash[j])
			break;
		k = hslot(s, s->recs[s->hash[j] - 1].id);
		/* Move j back to i unless its home lies cyclically in (i, j].
		 */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->hash[i] = s->hash[j];
		i = j;
	}
	s->hash[i] = 0;
	s->hash_used--;
}

/* ---- timer heap ---- */

static uint32_t *heap_pos(struct mh_sched *s, uint32_t ref)
{
	if (ref & MH_SCHED_DEV_REF)
		return &s->devs[ref & ~MH_SCHED_DEV_REF].heap;
	return &s->recs[ref].heap;
}

static void heap_set(struct mh_sched *s, size_t i, struct mh_sched_timer t)
{
	s->heap[i] = t;
	*heap_pos(s, t.ref) = (uint32_t)i;
}

static void heap_up(struct mh_sched *s, size_t i)
{
	struct mh_sched_timer t = s->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (s->heap[p].when <= t.when)
			break;
		heap_set(s, i, s->heap[p]);
		i = p;
	}
	heap_set(s, i, t);
}

static void heap_down(struct mh_sched *s, size_t i)
{
	struct mh_sched_timer t = s->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->nr_heap)
			break;
		if (c + 1 < s->nr_heap && s->heap[c + 1].when < s->heap[c].when)
			c++;
		if (s->heap[c].when >= t.when)
			break;
		heap_set(s, i, s->heap[c]);
		i = c;
	}
	heap_set(s, i, t);
}

static void heap_remove(struct mh_sched *s, uint32_t ref)
{
	uint32_t *pos = heap_pos(s, ref);
	size_t i = *pos;

	if (i == NIL)
		return;
	*pos = NIL;
	if (i == --s->nr_heap)
		return;
	ref = s->heap[s->nr_heap].ref;
	heap_set(s, i, s->heap[s->nr_heap]);
	heap_down(s, i);
	heap_up(s, *heap_pos(s, ref));
}

static int heap_push(struct mh_sched *s, uint32_t ref, uint64_t when)
{
	heap_remove(s, ref);
	if (grow((void **)&s->heap, &s->cap_heap, s->nr_heap + 1, 0,
		 sizeof(*s->heap)) < 0)
		return -ENOMEM;
	s->heap[s->nr_heap] = (struct mh_sched_timer){.when = when, .ref = ref};
	heap_up(s, s->nr_heap++);
	return 0;
}

/* ---- devices ---- */

/* The device slot of block b: 0 ungrouped, g + 1 group g, NIL unknown. */
static uint32_t dev_slot(const struct mh_inventory *inv,
			 const struct mh_block *b)
{
	uint64_t pfn = b->id * inv->block_pages;
	size_t g;

	if (b->group_resolved)
		return b->group >= 0 ? (uint32_t)b->group + 1 : 0;
	for (g = 0; g < inv->nr_groups; g++) {
		const struct mh_group *gr = &inv->groups[g];

		if (inv->gstats[g].alive && gr->start_pfn < gr->end_pfn &&
		    pfn >= gr->start_pfn && pfn < gr->end_pfn)
			return (uint32_t)g + 1;
	}
	return NIL;
}

static int dev_ensure(struct mh_sched *s, uint32_t slot)
{
	size_t cap = s->nr_devs, i;

	if (slot < s->nr_devs)
		return 0;
	if (grow((void **)&s->devs, &cap, (size_t)slot + 1, 0,
		 sizeof(*s->devs)) < 0)
		return -ENOMEM;
	for (i = s->nr_devs; i < cap; i++) {
		memset(&s->devs[i], 0, sizeof(s->devs[i]));
		s->devs[i].head = s->devs[i].tail = NIL;
		s->devs[i].rprev = s->devs[i].rnext = NIL;
		s->devs[i].heap = NIL;
	}
	s->nr_devs = cap;
	return 0;
}

static void ready_unlink(struct mh_sched *s, uint32_t slot)
{
	struct mh_sched_dev *dv = &s->devs[slot];

	if (!dv->ready)
		return;
	if (dv->rprev != NIL)
		s->devs[dv->rprev].rnext = dv->rnext;
	else
		s->ready_head = dv->rnext;
	if (dv->rnext != NIL)
		s->devs[dv->rnext].rprev = dv->rprev;
	else
		s->ready_tail = dv->rprev;
	dv->rprev = dv->rnext = NIL;
	dv->ready = false;
}

/* A device is ready when its lowest block is due and it is not held. */
static void dev_update(struct mh_sched *s, uint32_t slot)
{
	struct mh_sched_dev *dv = &s->devs[slot];
	bool want = dv->head != NIL && s->recs[dv->head].heap == NIL &&
		    dv->heap == NIL;

	if (want == dv->ready)
		return;
	if (!want) {
		ready_unlink(s, slot);
		return;
	}
	dv->rprev = s->ready_tail;
	dv->rnext = NIL;
	if (s->ready_tail != NIL)
		s->devs[s->ready_tail].rnext = slot;
	else
		s->ready_head = slot;
	s->ready_tail = slot;
	dv->ready = true;
}

/* ---- record lists ---- */

static void list_unlink(struct mh_sched *s, uint32_t r)
{
	struct mh_sched_rec *e = &s->recs[r];
	uint32_t *head, *tail;

	if (e->list == IN_NONE)
		return;
	if (e->list == IN_DEV) {
		head = &s->devs[e->dev].head;
		tail = &s->devs[e->dev].tail;
		s->devs[e->dev].count--;
	} else if (e->list == IN_CHECK) {
		head = &s->check_head;
		tail = &s->check_tail;
	} else {
		head = &s->probe_head;
		tail = &s->probe_tail;
	}
	if (e->prev != NIL)
		s->recs[e->prev].next = e->next;
	else
		*head = e->next;
	if (e->next != NIL)
		s->recs[e->next].prev = e->prev;
	else
		*tail = e->prev;
	e->prev = e->next = NIL;
	e->list = IN_NONE;
	if (e->dev != NIL)
		dev_update(s, e->dev);
}

/* Appends r to the probe list or the check list (FIFO). */
static void list_append(struct mh_sched *s, uint32_t r, enum rec_list which)
{
	struct mh_sched_rec *e = &s->recs[r];
	uint32_t *head = which == IN_CHECK ? &s->check_head : &s->probe_head;
	uint32_t *tail = which == IN_CHECK ? &s->check_tail : &s->probe_tail;

	e->prev = *tail;
	e->next = NIL;
	if (*tail != NIL)
		s->recs[*tail].next = r;
	else
		*head = r;
	*tail = r;
	e->list = (uint8_t)which;
}

/* Sorted insert from the tail: O(1) for ascending arrivals. */
static void dev_insert(struct mh_sched *s, uint32_t slot, uint32_t r)
{
	struct mh_sched_dev *dv = &s->devs[slot];
	struct mh_sched_rec *e = &s->recs[r];
	uint32_t after = dv->tail;

	while (after != NIL && s->recs[after].id > e->id)
		after = s->recs[after].prev;
	e->dev = slot;
	e->prev = after;
	e->next = after != NIL ? s->recs[after].next : dv->head;
	if (e->next != NIL)
		s->recs[e->next].prev = r;
	else
		dv->tail = r;
	if (after != NIL)
		s->recs[after].next = r;
	else
		dv->head = r;
	e->list = IN_DEV;
	dv->count++;
	dev_update(s, slot);
}

/* Files a queued record where it belongs now: its device's list or, for
 * an unknown device, the probe list (if due). */
static int file_rec(struct mh_sched *s, uint32_t r)
{
	struct mh_sched_rec *e = &s->recs[r];
	const struct mh_block *b = mh_inv_block(s->inv, e->id);
	uint32_t slot = b ? dev_slot(s->inv, b) : NIL;

	list_unlink(s, r);
	e->dev = NIL;
	if (slot == NIL) {
		list_append(s, r, IN_PROBE);
		return 0;
	}
	if (dev_ensure(s, slot) < 0)
		return -ENOMEM;
	dev_insert(s, slot, r);
	return 0;
}

/* ---- records ---- */

static uint32_t rec_new(struct mh_sched *s, uint64_t id)
{
	struct mh_sched_rec *e;
	uint32_t r;

	if (hreserve(s) < 0)
		return NIL;
	if (s->free_rec != NIL) {
		r = s->free_rec;
		s->free_rec = s->recs[r].next;
	} else {
		size_t cap = s->cap_recs, hint;

		if (s->nr_recs >= NIL - 1)
			return NIL;
		if (s->nr_recs >= cap) {
			hint = offline_blocks(s->inv);
			if (hint > NIL - 1)
				hint = NIL - 1;
			if (grow((void **)&s->recs, &cap,
				 (size_t)s->nr_recs + 1, hint,
				 sizeof(*s->recs)) < 0)
				return NIL;
		}
		s->cap_recs = (uint32_t)cap;
		r = s->nr_recs++;
	}
	e = &s->recs[r];
	memset(e, 0, sizeof(*e));
	e->id = (uint32_t)id;
	e->prev = e->next = e->heap = e->dev = NIL;
	hput(s, r);
	s->nr_live++;
	return r;
}

static bool is_queued_state(uint8_t st)
{
	return mh_sched_is_pending((enum mh_sched_state)st);
}

/*
 * No record left (a coldplug is done): the pool and the hash go, so what
 * 64 Ki queued blocks needed is not kept (and locked) for the daemon's
 * life.  Nothing points into the pool then: no list, no timer of a record.
 */
static void release_pool(struct mh_sched *s)
{
	free(s->recs);
	free(s->hash);
	s->recs = NULL;
	s->hash = NULL;
	s->nr_recs = s->cap_recs = 0;
	s->free_rec = NIL;
	s->hash_cap = s->hash_used = 0;
}

static void rec_free(struct mh_sched *s, uint32_t r)
{
	struct mh_sched_rec *e = &s->recs[r];
	size_t slot;

	list_unlink(s, r);
	heap_remove(s, r);
	if (is_queued_state(e->state))
		s->nr_queued--;
	else if (e->state == MH_SCHED_FAILED || e->state == MH_SCHED_POISONED)
		s->nr_failed--;
	if (hfind(s, e->id, &slot) == r)
		hdel(s, slot);
	e->state = MH_SCHED_NONE;
	e->next = s->free_rec;
	s->free_rec = r;
	if (--s->nr_live == 0)
		release_pool(s);
}

/* Leaves the queue: out of every list and timer, counters moved. */
static void rec_unqueue(struct mh_sched *s, uint32_t r)
{
	struct mh_sched_rec *e = &s->recs[r];

	list_unlink(s, r);
	heap_remove(s, r);
	if (e->dev != NIL)
		dev_update(s, e->dev);
	e->dev = NIL;
	if (is_queued_state(e->state))
		s->nr_queued--;
	else if (e->state == MH_SCHED_FAILED || e->state == MH_SCHED_POISONED)
		s->nr_failed--;
	e->state = MH_SCHED_NONE;
}

void mh_sched_init(struct mh_sched *s, struct mh_inventory *inv,
		   const struct mh_policy_config *cfg,
		   enum mh_vmem_throttle throttle)
{
	memset(s, 0, sizeof(*s));
	s->inv = inv;
	s->cfg = cfg;
	s->throttle = throttle;
	s->hold_quiet_usec = MH_SCHED_HOLD_QUIET_DEFAULT_USEC;
	s->free_rec = NIL;
	s->ready_head = s->ready_tail = NIL;
	s->probe_head = s->probe_tail = NIL;
	s->check_head = s->check_tail = NIL;
}

void mh_sched_set_kernel_onlines(struct mh_sched *s, bool on)
{
	s->kernel_onlines = on;
}

void mh_sched_free(struct mh_sched *s)
{
	free(s->recs);
	free(s->hash);
	free(s->devs);
	free(s->heap);
	free(s->unit_buf);
	memset(s, 0, sizeof(*s));
	s->free_rec = NIL;
	s->ready_head = s->ready_tail = NIL;
	s->probe_head = s->probe_tail = NIL;
	s->check_head = s->check_tail = NIL;
}

/* ---- events ---- */

static int queue_rec(struct mh_sched *s, uint32_t r, uint64_t now)
{
	struct mh_sched_rec *e = &s->recs[r];

	e->state = MH_SCHED_QUEUED;
	e->t = stamp(s, now);
	e->waits = 0;
	e->attempts = 0;
	e->prev = NIL; /* was err; file_rec links it */
	s->nr_queued++;
	if (file_rec(s, r) < 0) {
		rec_free(s, r);
		return -ENOMEM;
	}
	return 1;
}

int mh_sched_enqueue(struct mh_sched *s, uint64_t id, uint64_t now)
{
	const struct mh_block *b = mh_inv_block(s->inv, id);
	uint32_t r = hfind(s, id, NULL);

	if (!b)
		return -ENOENT;
	if (!id_fits(id))
		return -ERANGE;
	if (!b->hotplugged || b->state != MH_BLOCK_OFFLINE)
		return 0;
	if (r != NIL) {
		struct mh_sched_rec *e = &s->recs[r];

		if (e->state != MH_SCHED_FAILED ||
		    now - t_abs(s, e->t) < MH_SCHED_FAILED_RETRY_USEC)
			return 0; /* queued, offlined, poisoned, recent */
		rec_unqueue(s, r);
	} else {
		r = rec_new(s, id);
		if (r == NIL)
			return -ENOMEM;
	}
	return queue_rec(s, r, now);
}

/* The device slot of block id if known, with its record ensured; NIL
 * for an unknown device (or no memory). */
static uint32_t known_dev(struct mh_sched *s, uint64_t id)
{
	const struct mh_block *b = mh_inv_block(s->inv, id);
	uint32_t slot = b ? dev_slot(s->inv, b) : NIL;

	return slot != NIL && dev_ensure(s, slot) == 0 ? slot : NIL;
}

/*
 * When an awaiting record is to be checked: once its device has been quiet
 * (no add, no online by others) for MH_SCHED_KERNEL_QUIET_USEC, at the
 * latest MH_SCHED_KERNEL_GRACE_USEC after its own add (e->t).
 */
static uint64_t await_due(struct mh_sched *s, const struct mh_sched_rec *e)
{
	uint32_t slot = known_dev(s, e->id);
	uint64_t added = t_abs(s, e->t), t = added;

	if (slot != NIL && s->devs[slot].kernel_usec > t)
		t = s->devs[slot].kernel_usec;
	t += MH_SCHED_KERNEL_QUIET_USEC;
	if (t > added + MH_SCHED_KERNEL_GRACE_USEC)
		t = added + MH_SCHED_KERNEL_GRACE_USEC;
	return t;
}

/* A new record for block id awaiting the kernel (MH_SCHED_AWAIT_KERNEL):
 * on no list, a timer at its first possible check.  As enqueue. */
static int await_kernel(struct mh_sched *s, uint64_t id, uint64_t now)
{
	const struct mh_block *b = mh_inv_block(s->inv, id);
	struct mh_sched_rec *e;
	uint32_t r;

	if (!id_fits(id))
		return -ERANGE;
	if (!b->hotplugged || b->state != MH_BLOCK_OFFLINE)
		return 0;
	if (hfind(s, id, NULL) != NIL)
		return 0; /* queued already */
	r = rec_new(s, id);
	if (r == NIL)
		return -ENOMEM;
	e = &s->recs[r];
	e->state = MH_SCHED_AWAIT_KERNEL;
	e->t = stamp(s, now);
	s->nr_queued++;
	if (heap_push(s, r, await_due(s, e)) < 0) {
		/* No memory for the timer: decide it now. */
		s->nr_queued--;
		return queue_rec(s, r, now);
	}
	return 1;
}

int mh_sched_added(struct mh_sched *s, uint64_t id, uint64_t now)
{
	const struct mh_block *b = mh_inv_block(s->inv, id);
	uint32_t r = hfind(s, id, NULL), slot;

	if (r != NIL && !is_queued_state(s->recs[r].state))
		rec_free(s, r); /* a new block: its history is gone */
	if (!b)
		return -ENOENT;
	slot = dev_slot(s->inv, b);
	if (slot != NIL && slot > 0 &&
	    s->inv->groups[slot - 1].kind == MH_GROUP_VIRTIO_MEM) {
		if (dev_ensure(s, slot) < 0)
			return -ENOMEM;
		s->devs[slot].last_add_usec = now;
	}
	if (!s->kernel_onlines)
		return mh_sched_enqueue(s, id, now);
	slot = known_dev(s, id);
	if (slot != NIL)
		s->devs[slot].kernel_usec = now;
	return await_kernel(s, id, now);
}

bool mh_sched_onlined(struct mh_sched *s, uint64_t id, uint64_t now)
{
	uint32_t r = hfind(s, id, NULL), slot;
	bool queued;

	if (s->kernel_onlines && (slot = known_dev(s, id)) != NIL)
		s->devs[slot].kernel_usec =
			now; /* its device's burst goes on */
	if (r == NIL)
		return false;
	queued = is_queued_state(s->recs[r].state) &&
		 s->recs[r].state != MH_SCHED_AWAIT_KERNEL;
	rec_free(s, r);
	return queued;
}

int mh_sched_still_offline(struct mh_sched *s, uint64_t id, uint64_t now)
{
	uint32_t r = hfind(s, id, NULL);

	if (r == NIL || s->recs[r].state != MH_SCHED_AWAIT_KERNEL)
		return 0;
	list_unlink(s, r);
	heap_remove(s, r);
	s->nr_queued--;
	return queue_rec(s, r, now) < 0 ? -ENOMEM : 0;
}

int mh_sched_offlined(struct mh_sched *s, uint64_t id, uint64_t now)
{
	uint32_t r = hfind(s, id, NULL);

	if (!id_fits(id))
		return -ERANGE;
	if (r != NIL)
		rec_unqueue(s, r);
	else if ((r = rec_new(s, id)) == NIL)
		return -ENOMEM;
	s->recs[r].state = MH_SCHED_OFFLINED;
	s->recs[r].t = stamp(s, now);
	return 0;
}

void mh_sched_forget(struct mh_sched *s, uint64_t id)
{
	uint32_t r = hfind(s, id, NULL);

	if (r != NIL)
		rec_free(s, r);
}

void mh_sched_clear_failed(struct mh_sched *s)
{
	uint32_t r;

	/* Poisoned blocks stay poisoned: no configuration makes their
	 * pages usable, and retrying them only hammers the kernel. */
	for (r = 0; r < s->nr_recs; r++)
		if (s->recs[r].state == MH_SCHED_FAILED)
			rec_free(s, r);
}

static int cmp_rec_id(const void *a, const void *b, void *ctx)
{
	const struct mh_sched *s = ctx;
	uint64_t x = s->recs[*(const uint32_t *)a].id;
	uint64_t y = s->recs[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

int mh_sched_rebuild(struct mh_sched *s, uint64_t now)
{
	uint32_t *order, r;
	size_t n = 0, i;
	int ret = 0;

	(void)now;
	order = malloc((s->nr_recs ? s->nr_recs : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (r = 0; r < s->nr_recs; r++) {
		struct mh_sched_rec *e = &s->recs[r];
		const struct mh_block *b;

		if (e->state == MH_SCHED_NONE)
			continue;
		b = mh_inv_block(s->inv, e->id);
		if (!b || (is_queued_state(e->state) &&
			   b->state != MH_BLOCK_OFFLINE)) {
			rec_free(s, r);
			continue;
		}
		/* Awaiting the kernel: on no device list; its timer or its
		 * place on the check list stays. */
		if (is_queued_state(e->state) &&
		    e->state != MH_SCHED_AWAIT_KERNEL) {
			list_unlink(s, r);
			e->dev = NIL;
			order[n++] = r;
		}
	}
	/* Device slots may have changed: every list is rebuilt. */
	for (i = 0; i < s->nr_devs; i++) {
		ready_unlink(s, (uint32_t)i);
		heap_remove(s, MH_SCHED_DEV_REF | (uint32_t)i);
		s->devs[i].hold_until = 0;
	}
	qsort_r(order, n, sizeof(*order), cmp_rec_id, s);
	for (i = 0; i < n; i++)
		if (file_rec(s, order[i]) < 0)
			ret = -ENOMEM;
	free(order);
	return ret;
}

/* ---- actions ---- */

static void fire_timers(struct mh_sched *s, uint64_t now)
{
	while (s->nr_heap && s->heap[0].when <= now) {
		uint32_t ref = s->heap[0].ref;

		heap_remove(s, ref);
		if (ref & MH_SCHED_DEV_REF) {
			uint32_t slot = ref & ~MH_SCHED_DEV_REF;

			s->devs[slot].hold_until = 0;
			dev_update(s, slot);
		} else if (s->recs[ref].state == MH_SCHED_AWAIT_KERNEL) {
			struct mh_sched_rec *e = &s->recs[ref];
			uint64_t due = await_due(s, e);

			/* Its device is still busy: later (the heap's top
			 * is now > now, so this loop ends). */
			if (due > now && heap_push(s, ref, due) == 0)
				continue;
			list_append(s, ref, IN_CHECK);
		} else if (s->recs[ref].dev != NIL) {
			dev_update(s, s->recs[ref].dev);
		}
	}
}

/* Should virtio-mem device slot (group g) hold its writes? */
static bool vmem_holding(struct mh_sched *s, uint32_t slot, uint64_t now)
{
	struct mh_sched_dev *dv = &s->devs[slot];
	const struct mh_group *g = &s->inv->groups[slot - 1];
	size_t off = g->nr_blocks - g->nr_online, stop, resume;
	uint64_t t;

	if (!s->hold_quiet_usec)
		return false; /* off: write at once */
	if (dv->count > off)
		off = dv->count;
	mh_sched_vmem_thresholds(s->throttle, s->inv->block_size_bytes, &stop,
				 &resume);
	if (off >= stop) {
		dv->draining = true; /* the worker has stopped */
		return false;
	}
	if (dv->draining) {
		if (off > resume)
			return false;
		/* The write that gets here restarts the worker. */
		dv->draining = false;
		dv->restart_usec = now;
	}
	t = dv->last_add_usec > dv->restart_usec ? dv->last_add_usec
						 : dv->restart_usec;
	if (now >= t + s->hold_quiet_usec)
		return false;
	dv->hold_until = t + s->hold_quiet_usec;
	return true;
}

static int build_request(struct mh_sched *s, const struct mh_block *b,
			 struct mh_block_request *req)
{
	for (;;) {
		size_t need;
		int r = mh_inv_block_request(s->inv, b, s->unit_buf,
					     s->unit_cap, req);

		if (r != -ENOBUFS)
			return r;
		need = s->unit_cap ? s->unit_cap * 2 : 64;
		if (need > MH_UNIT_MAX)
			return -E2BIG;
		if (MH_GROW(s->unit_buf, s->unit_cap, need) < 0)
			return -ENOMEM;
	}
}

static void give_up(struct mh_sched *s, uint32_t r, int err, uint64_t now)
{
	rec_unqueue(s, r);
	s->recs[r].state =
		err == -EHWPOISON ? MH_SCHED_POISONED : MH_SCHED_FAILED;
	s->recs[r].err = err;
	s->recs[r].t = stamp(s, now);
	s->nr_failed++;
}

void mh_sched_next(struct mh_sched *s, uint64_t now, struct mh_sched_action *a)
{
	uint32_t r;

	memset(a, 0, sizeof(*a));
	fire_timers(s, now);
	/* Blocks that awaited the kernel long enough: did it online them? */
	if (s->check_head != NIL) {
		a->kind = MH_SCHED_CHECK;
		a->id = s->recs[s->check_head].id;
		return;
	}
	/* Blocks of an unknown device: the first one due is probed. */
	for (r = s->probe_head; r != NIL; r = s->recs[r].next) {
		if (s->recs[r].heap == NIL) {
			a->kind = MH_SCHED_PROBE;
			a->id = s->recs[r].id;
			return;
		}
	}
	while (s->ready_head != NIL) {
		uint32_t slot = s->ready_head;
		struct mh_sched_rec *e;
		const struct mh_block *b;
		struct mh_block_request req;
		struct mh_guard_facts guard;
		struct mh_policy_view view;
		int err;

		r = s->devs[slot].head;
		e = &s->recs[r];
		b = mh_inv_block(s->inv, e->id);
		if (!b || b->state != MH_BLOCK_OFFLINE) {
			rec_free(s, r); /* gone or onlined meanwhile */
			continue;
		}
		if (b->nid < 0 || !b->group_resolved) {
			a->kind = MH_SCHED_PROBE;
			a->id = e->id;
			return;
		}
		if (slot > 0 &&
		    s->inv->groups[slot - 1].kind == MH_GROUP_VIRTIO_MEM &&
		    vmem_holding(s, slot, now)) {
			if (heap_push(s, MH_SCHED_DEV_REF | slot,
				      s->devs[slot].hold_until) == 0) {
				ready_unlink(s, slot);
				continue;
			}
			/* No memory for the timer: do not hold. */
			s->devs[slot].hold_until = 0;
		}
		err = build_request(s, b, &req);
		if (err < 0) {
			give_up(s, r, err, now);
			a->kind = MH_SCHED_GAVE_UP;
			a->id = e->id;
			a->err = err;
			return;
		}
		req.balloon = s->balloon;
		if (s->guard_fn && s->cfg && s->cfg->kernel_free_min &&
		    s->guard_fn(s->guard_ctx, b->nid, &guard) == 0)
			req.guard = &guard;
		mh_inv_policy_view(s->inv, s->cfg, &view);
		mh_policy_decide(&view, &req, &a->dec);
		a->kind = MH_SCHED_WRITE;
		a->id = e->id;
		return;
	}
	if (s->nr_heap) {
		a->kind = MH_SCHED_WAIT;
		a->until = s->heap[0].when;
	}
}

/*
 * A device became known (a DIMM bound): every block of an unknown device
 * that now maps to one joins it, so the device's order holds for blocks
 * that were still waiting.  O(blocks of unknown devices), once per bind.
 */
static void refile_unknown(struct mh_sched *s, uint64_t now)
{
	uint32_t r = s->probe_head;

	while (r != NIL) {
		uint32_t next = s->recs[r].next;
		const struct mh_block *b = mh_inv_block(s->inv, s->recs[r].id);

		if (b && dev_slot(s->inv, b) != NIL) {
			if (b->group_resolved && b->nid >= 0) {
				/* Nothing left to wait for. */
				heap_remove(s, r);
				s->recs[r].state = MH_SCHED_QUEUED;
			}
			if (file_rec(s, r) < 0)
				give_up(s, r, -ENOMEM, now);
		}
		r = next;
	}
}

bool mh_sched_group_grace_over(const struct mh_sched *s, uint64_t id,
			       uint64_t now)
{
	uint32_t r = hfind(s, id, NULL);

	return r != NIL && now - t_abs(s, s->recs[r].t) >= MH_GROUP_GRACE_USEC;
}

void mh_sched_probed(struct mh_sched *s, uint64_t id, enum mh_probe_result pr,
		     uint64_t now)
{
	uint32_t r = hfind(s, id, NULL);
	struct mh_sched_rec *e;

	if (r == NIL || !is_queued_state(s->recs[r].state) ||
	    s->recs[r].state == MH_SCHED_AWAIT_KERNEL)
		return;
	e = &s->recs[r];
	if (pr == MH_PROBE_OK) {
		bool was_unknown = e->dev == NIL;

		if (e->state == MH_SCHED_WAIT_NODE ||
		    e->state == MH_SCHED_WAIT_GROUP)
			e->state = MH_SCHED_QUEUED;
		if (file_rec(s, r) < 0)
			give_up(s, r, -ENOMEM, now);
		else if (was_unknown && s->recs[r].dev != NIL)
			refile_unknown(s, now);
		return;
	}
	e->state = pr == MH_PROBE_NO_NODE ? MH_SCHED_WAIT_NODE
					  : MH_SCHED_WAIT_GROUP;
	if (e->waits < UINT16_MAX)
		e->waits++;
	if (heap_push(s, r, now + mh_onliner_wait_delay_usec(e->waits)) < 0) {
		give_up(s, r, -ENOMEM, now);
		return;
	}
	if (e->dev != NIL)
		dev_update(s, e->dev);
}

enum mh_sched_state mh_sched_written(struct mh_sched *s, uint64_t id,
				     enum mh_write_outcome out, int err,
				     uint64_t now, uint64_t *delay,
				     unsigned int *attempts)
{
	uint32_t r = hfind(s, id, NULL);
	struct mh_sched_rec *e;

	*delay = 0;
	*attempts = 0;
	if (r == NIL)
		return MH_SCHED_NONE;
	e = &s->recs[r];
	if (err > 0)
		err = -err;
	switch (out) {
	case MH_WRITE_SUCCESS:
	case MH_WRITE_LOST_RACE:
	case MH_WRITE_GONE:
		rec_free(s, r);
		return MH_SCHED_NONE;
	case MH_WRITE_RETRY:
		if (e->attempts < UINT8_MAX)
			e->attempts++;
		*attempts = e->attempts;
		if (!mh_onliner_may_retry(e->attempts))
			break;
		*delay = mh_onliner_retry_delay_usec(e->attempts);
		e->state = MH_SCHED_RETRY;
		if (heap_push(s, r, now + *delay) < 0)
			break;
		if (e->dev != NIL)
			dev_update(s, e->dev);
		return MH_SCHED_RETRY;
	case MH_WRITE_HWPOISON:
	case MH_WRITE_FAILED:
		*attempts = e->attempts + 1U;
		break;
	}
	give_up(s, r, out == MH_WRITE_HWPOISON ? -EHWPOISON : err, now);
	return (enum mh_sched_state)s->recs[r].state;
}

enum mh_sched_state mh_sched_state_of(const struct mh_sched *s, uint64_t id,
				      int *err)
{
	uint32_t r = hfind(s, id, NULL);
	const struct mh_sched_rec *e;

	if (err)
		*err = 0;
	if (r == NIL)
		return MH_SCHED_NONE;
	e = &s->recs[r];
	if (err &&
	    (e->state == MH_SCHED_FAILED || e->state == MH_SCHED_POISONED))
		*err = e->err;
	if (e->state == MH_SCHED_QUEUED && e->dev != NIL &&
	    s->devs[e->dev].heap != NIL)
		return MH_SCHED_HELD;
	return (enum mh_sched_state)e->state;
}

unsigned int mh_sched_waits(const struct mh_sched *s, uint64_t id)
{
	uint32_t r = hfind(s, id, NULL);

	return r == NIL ? 0 : s->recs[r].waits;
}

size_t mh_sched_footprint(const struct mh_sched *s)
{
	return (size_t)s->cap_recs * sizeof(*s->recs) +
	       s->hash_cap * sizeof(*s->hash) + s->nr_devs * sizeof(*s->devs) +
	       s->cap_heap * sizeof(*s->heap) +
	       s->unit_cap * sizeof(*s->unit_buf);
}
