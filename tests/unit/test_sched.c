// SPDX-License-Identifier: MIT
/*
 * The scheduler (sched.c) alone, over an in-memory inventory and the real
 * policy, on a virtual clock: ordering, node/device waits, the virtio-mem
 * hold with both kernels' thresholds, retries and back-off, lost races,
 * vanishing, poisoned and offlined-by-others blocks, the grace for blocks
 * the kernel onlines inside their add, structure sanity.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memhotd/inventory.h"
#include "memhotd/onliner.h"
#include "memhotd/sched.h"

#ifndef EHWPOISON
#define EHWPOISON 133
#endif

#define BS (128ULL << 20)
#define BP 32768ULL
#define MS 1000ULL
/* Device ranges: virtio0 holds blocks 48..111, virtio1 200..263; the DIMM
 * (a static group) is 300..307 and only found by probing. */
#define UNRESOLVED (-2)
#define T0 1000000ULL

struct fx {
	struct mh_inventory inv;
	struct mh_policy_config cfg;
	struct mh_sched s;
	ssize_t vmem0, vmem1, dimm;
	uint64_t now;
	/* The outcome of probes: how many more NO_NODE / NO_GROUP answers. */
	unsigned int no_node, no_group;
	uint64_t order[256];
	size_t nr_order;
	enum mh_target targets[256];
	/* CHECKs answered (the kernel left the block offline), and when. */
	uint64_t checked[16], checked_at[16];
	size_t nr_checked;
};

static void fx_init(struct fx *f, enum mh_vmem_throttle thr)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(mh_inv_init(&f->inv, BS), 0);
	assert_int_equal(mh_inv_ensure_node(&f->inv, 0), 0);
	/* 4 GiB of boot memory in kernel zones. */
	mh_inv_calibrate(&f->inv, 0, 32 * BP, 0, 0);
	f->cfg.policy = MH_POLICY_AUTO_MOVABLE;
	f->cfg.ratio = 301;
	f->cfg.numa_aware = true;
	f->vmem0 = mh_inv_group_add(&f->inv, "virtio0", MH_GROUP_VIRTIO_MEM, 0,
				    48 * BP, 112 * BP, BP);
	f->vmem1 = mh_inv_group_add(&f->inv, "virtio1", MH_GROUP_VIRTIO_MEM, 0,
				    200 * BP, 264 * BP, BP);
	f->dimm = mh_inv_group_add(&f->inv, "PNP0C80:00", MH_GROUP_DIMM, 0, 0,
				   0, 8 * BP);
	assert_true(f->vmem0 >= 0 && f->vmem1 >= 0 && f->dimm >= 0);
	mh_sched_init(&f->s, &f->inv, &f->cfg, thr);
	/* The hold is off by default; its tests turn it on. */
	f->s.hold_quiet_usec = MH_SCHED_HOLD_QUIET_USEC;
	f->now = T0;
}

static void fx_free(struct fx *f)
{
	mh_sched_free(&f->s);
	mh_inv_free(&f->inv);
}

static int setup(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	fx_init(f, MH_VMEM_THROTTLE_BYTES);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	free(*state);
	return 0;
}

/* An offline hotplugged block; nid -1: no link yet; group UNRESOLVED:
 * owner not looked up (found by address for virtio-mem). */
static void blk(struct fx *f, uint64_t id, int nid, ssize_t group)
{
	struct mh_block *b = mh_inv_add_block(&f->inv, id, true);

	assert_non_null(b);
	if (nid >= 0)
		assert_int_equal(mh_inv_set_node(&f->inv, b, nid), 0);
	if (group != UNRESOLVED)
		mh_inv_set_group(&f->inv, b, group);
}

static ssize_t group_by_addr(struct fx *f, uint64_t id)
{
	if (id >= 48 && id < 112)
		return f->vmem0;
	if (id >= 200 && id < 264)
		return f->vmem1;
	if (id >= 300 && id < 308)
		return f->dimm;
	return -1;
}

/* What the shell does for a PROBE, with the fixture's answers. */
static void do_probe(struct fx *f, uint64_t id)
{
	struct mh_block *b = mh_inv_block(&f->inv, id);

	assert_non_null(b);
	if (b->nid < 0) {
		if (f->no_node) {
			f->no_node--;
			mh_sched_probed(&f->s, id, MH_PROBE_NO_NODE, f->now);
			return;
		}
		assert_int_equal(mh_inv_set_node(&f->inv, b, 0), 0);
	}
	if (!b->group_resolved) {
		if (f->no_group &&
		    !mh_sched_group_grace_over(&f->s, id, f->now)) {
			f->no_group--;
			mh_sched_probed(&f->s, id, MH_PROBE_NO_GROUP, f->now);
			return;
		}
		mh_inv_set_group(&f->inv, b,
				 f->no_group ? -1 : group_by_addr(f, id));
	}
	mh_sched_probed(&f->s, id, MH_PROBE_OK, f->now);
}

/* A successful write as the kernel would do it. */
static void do_write(struct fx *f, const struct mh_sched_action *a)
{
	struct mh_block *b = mh_inv_block(&f->inv, a->id);
	uint64_t delay;
	unsigned int att;

	assert_int_equal(mh_sched_written(&f->s, a->id, MH_WRITE_SUCCESS, 0,
					  f->now, &delay, &att),
			 MH_SCHED_NONE);
	mh_inv_set_online(&f->inv, b,
			  a->dec.target == MH_TARGET_MOVABLE ? MH_ZONE_MOVABLE
							     : MH_ZONE_NORMAL,
			  MH_BY_MEMHOTD);
	assert_true(f->nr_order < 256);
	f->targets[f->nr_order] = a->dec.target;
	f->order[f->nr_order++] = a->id;
}

/* What the shell does for a CHECK: the block is still offline (an online
 * by the kernel reaches the scheduler as mh_sched_onlined instead). */
static void do_check(struct fx *f, uint64_t id)
{
	const struct mh_block *b = mh_inv_block(&f->inv, id);

	assert_non_null(b);
	assert_int_equal(b->state, MH_BLOCK_OFFLINE);
	assert_int_equal(mh_sched_state_of(&f->s, id, NULL),
			 MH_SCHED_AWAIT_KERNEL);
	assert_true(f->nr_checked < 16);
	f->checked[f->nr_checked] = id;
	f->checked_at[f->nr_checked++] = f->now;
	assert_int_equal(mh_sched_still_offline(&f->s, id, f->now), 0);
	assert_int_equal(mh_sched_state_of(&f->s, id, NULL), MH_SCHED_QUEUED);
}

/* Runs until idle (every write succeeds), the clock jumping to each
 * timer; stops early at `until` (virtual). */
static void run(struct fx *f, uint64_t until)
{
	struct mh_sched_action a;
	unsigned int guard = 0;

	for (;;) {
		assert_true(++guard < 100000);
		mh_sched_next(&f->s, f->now, &a);
		switch (a.kind) {
		case MH_SCHED_IDLE:
			return;
		case MH_SCHED_WAIT:
			assert_true(a.until > f->now);
			if (a.until > until)
				return;
			f->now = a.until;
			break;
		case MH_SCHED_PROBE:
			do_probe(f, a.id);
			break;
		case MH_SCHED_WRITE:
			do_write(f, &a);
			break;
		case MH_SCHED_CHECK:
			do_check(f, a.id);
			break;
		case MH_SCHED_GAVE_UP:
			fail_msg("gave up on memory%llu: %d",
				 (unsigned long long)a.id, a.err);
		}
	}
}

static void enqueue(struct fx *f, uint64_t id)
{
	assert_int_equal(mh_sched_enqueue(&f->s, id, f->now), 1);
}

/* ---- ordering (table) ---- */

struct order_case {
	const char *name;
	uint64_t arrive[8];   /* 0 ends */
	int nid[8];	      /* per arrival: -1 no link yet */
	uint64_t expect[8];   /* write order, 0 ends */
	unsigned int no_node; /* probes answered "no link" first */
};

static const struct order_case order_cases[] = {
	{"ascending", {48, 49, 50}, {0, 0, 0}, {48, 49, 50}, 0},
	{"descending arrivals go ascending",
	 {51, 50, 49, 48},
	 {0, 0, 0, 0},
	 {48, 49, 50, 51},
	 0},
	{"devices do not wait for each other; device by device",
	 {200, 48, 201, 49},
	 {0, 0, 0, 0},
	 {200, 201, 48, 49},
	 0},
	{"lower block without link holds its device only",
	 {50, 49, 400},
	 {0, -1, 0},
	 {400, 49, 50},
	 3},
	{"ungrouped blocks are one device, ascending",
	 {402, 400, 401},
	 {0, 0, 0},
	 {400, 401, 402},
	 0},
};

static void test_ordering(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(order_cases) / sizeof(order_cases[0]);
	     c++) {
		const struct order_case *oc = &order_cases[c];
		struct fx f;
		size_t i, n = 0;

		fx_init(&f, MH_VMEM_THROTTLE_BYTES);
		f.no_node = oc->no_node;
		for (i = 0; i < 8 && oc->arrive[i]; i++) {
			uint64_t id = oc->arrive[i];

			blk(&f, id, oc->nid[i],
			    oc->nid[i] < 0 ? UNRESOLVED
					   : group_by_addr(&f, id));
			enqueue(&f, id);
		}
		run(&f, UINT64_MAX);
		for (i = 0; i < 8 && oc->expect[i]; i++, n++) {
			if (f.order[i] != oc->expect[i])
				fail_msg("%s: write %zu is memory%llu, want "
					 "memory%llu",
					 oc->name, i,
					 (unsigned long long)f.order[i],
					 (unsigned long long)oc->expect[i]);
		}
		assert_int_equal(f.nr_order, n);
		assert_int_equal(f.s.nr_queued, 0);
		fx_free(&f);
	}
}

/* ---- node and device waits ---- */

static void test_node_wait_backoff(void **state)
{
	struct fx *f = *state;
	struct mh_sched_action a;
	static const uint64_t delays[] = {1, 2, 4, 8, 16, 32, 64, 100, 100};

	blk(f, 48, -1, UNRESOLVED);
	blk(f, 49, 0, f->vmem0);
	enqueue(f, 48);
	enqueue(f, 49);
	for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		mh_sched_next(&f->s, f->now, &a);
		assert_int_equal(a.kind, MH_SCHED_PROBE);
		assert_int_equal(a.id, 48);
		mh_sched_probed(&f->s, 48, MH_PROBE_NO_NODE, f->now);
		assert_int_equal(mh_sched_state_of(&f->s, 48, NULL),
				 MH_SCHED_WAIT_NODE);
		assert_int_equal(mh_sched_waits(&f->s, 48), i + 1);
		/* 49 must not overtake 48. */
		mh_sched_next(&f->s, f->now, &a);
		assert_int_equal(a.kind, MH_SCHED_WAIT);
		assert_int_equal(a.until - f->now, delays[i] * MS);
		f->now = a.until;
	}
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 2);
	assert_int_equal(f->order[0], 48);
	assert_int_equal(f->order[1], 49);
}

/* A DIMM's block outside every known range: probed on its own until its
 * device is bound, or ungrouped after the grace period. */
static void test_group_wait_and_grace(void **state)
{
	struct fx *f = *state;
	struct mh_sched_action a;

	blk(f, 300, 0, UNRESOLVED);
	enqueue(f, 300);
	f->no_group = 2;
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_PROBE);
	do_probe(f, 300);
	assert_int_equal(mh_sched_state_of(&f->s, 300, NULL),
			 MH_SCHED_WAIT_GROUP);
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 1);
	assert_int_equal(mh_inv_block(&f->inv, 300)->group, f->dimm);

	/* Never bound: after MH_GROUP_GRACE_USEC it is decided ungrouped. */
	blk(f, 301, 0, UNRESOLVED);
	enqueue(f, 301);
	f->no_group = 1000000;
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 2);
	assert_int_equal(mh_inv_block(&f->inv, 301)->group, -1);
	assert_true(f->now - T0 >= MH_GROUP_GRACE_USEC);
	assert_true(f->now - T0 < MH_GROUP_GRACE_USEC + 200 * MS);
}

/*
 * A DIMM's links come after its last add: its blocks are probed on their
 * own.  When one of them finds the device (which then has an address
 * range), the others join it at once, so the device still goes in
 * ascending order although a higher block was resolved first.
 */
static void test_late_dimm_keeps_order(void **state)
{
	struct fx *f = *state;
	struct mh_sched_action a;
	ssize_t g;

	blk(f, 310, 0, UNRESOLVED);
	blk(f, 311, 0, UNRESOLVED);
	enqueue(f, 310);
	enqueue(f, 311);
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_PROBE);
	assert_int_equal(a.id, 310);
	mh_sched_probed(&f->s, 310, MH_PROBE_NO_GROUP, f->now);
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_PROBE);
	assert_int_equal(a.id, 311);
	/* The DIMM is bound now: 311 finds it. */
	g = mh_inv_group_add(&f->inv, "PNP0C80:01", MH_GROUP_DIMM, 0, 310 * BP,
			     312 * BP, 2 * BP);
	assert_true(g >= 0);
	mh_inv_set_group(&f->inv, mh_inv_block(&f->inv, 311), g);
	mh_sched_probed(&f->s, 311, MH_PROBE_OK, f->now);
	/* 310 (still waiting) is now the device's first block: 311 is not
	 * written before it. */
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_WAIT);
	f->now = a.until;
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_PROBE);
	assert_int_equal(a.id, 310);
	mh_inv_set_group(&f->inv, mh_inv_block(&f->inv, 310), g);
	mh_sched_probed(&f->s, 310, MH_PROBE_OK, f->now);
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 2);
	assert_int_equal(f->order[0], 310);
	assert_int_equal(f->order[1], 311);
}

/* ---- the virtio-mem hold ---- */

struct thr_case {
	enum mh_vmem_throttle t;
	uint64_t bs;
	size_t stop, resume;
};

static const struct thr_case thr_cases[] = {
	{MH_VMEM_THROTTLE_BYTES, 128ULL << 20, 8, 4},
	{MH_VMEM_THROTTLE_BYTES, 256ULL << 20, 4, 2},
	{MH_VMEM_THROTTLE_BYTES, 1ULL << 30, 2, 1},
	{MH_VMEM_THROTTLE_BYTES, 2ULL << 30, 2, 1},
	{MH_VMEM_THROTTLE_BLOCKS_5_10, 128ULL << 20, 10, 9},
	{MH_VMEM_THROTTLE_BLOCKS_5_10, 1ULL << 30, 10, 9},
};

static void test_hold_thresholds(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(thr_cases) / sizeof(thr_cases[0]); i++) {
		size_t stop, resume;

		mh_sched_vmem_thresholds(thr_cases[i].t, thr_cases[i].bs, &stop,
					 &resume);
		assert_int_equal(stop, thr_cases[i].stop);
		assert_int_equal(resume, thr_cases[i].resume);
	}
	assert_string_equal(mh_vmem_throttle_name(MH_VMEM_THROTTLE_BYTES),
			    "bytes");
	assert_string_equal(mh_vmem_throttle_name(MH_VMEM_THROTTLE_BLOCKS_5_10),
			    "blocks-5.10");
}

/*
 * A burst of `added` adds at T0; expect: how many blocks go at once (the
 * worker stopped at its threshold: write down to the resume level), one
 * more add at T0 + 3 ms (extends the hold, or reaches the threshold), then
 * the rest after the 5 ms quiet period.
 */
struct hold_case {
	enum mh_vmem_throttle t;
	unsigned int added, at_once;
	unsigned int after_add; /* written in all once one more add came */
};

static const struct hold_case hold_cases[] = {
	/* 6.x, 128 MiB blocks: stops at 8 offline, resumes at 4. */
	{MH_VMEM_THROTTLE_BYTES, 3, 0, 0},  /* still adding: hold all */
	{MH_VMEM_THROTTLE_BYTES, 7, 0, 4},  /* the 8th add stops it: 8 -> 4 */
	{MH_VMEM_THROTTLE_BYTES, 8, 4, 4},  /* stopped: 8 -> 4, then hold */
	{MH_VMEM_THROTTLE_BYTES, 12, 8, 8}, /* 12 -> 4 */
	/* 5.10: stops at 10 offline blocks, resumes at 9. */
	{MH_VMEM_THROTTLE_BLOCKS_5_10, 8, 0, 0},
	{MH_VMEM_THROTTLE_BLOCKS_5_10, 9, 0, 1},
	{MH_VMEM_THROTTLE_BLOCKS_5_10, 10, 1, 2},
	{MH_VMEM_THROTTLE_BLOCKS_5_10, 12, 3, 4},
};

static void test_hold_timing(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(hold_cases) / sizeof(hold_cases[0]);
	     c++) {
		const struct hold_case *hc = &hold_cases[c];
		struct fx f;
		unsigned int i;

		fx_init(&f, hc->t);
		for (i = 0; i < hc->added; i++) {
			blk(&f, 48 + i, 0, f.vmem0);
			assert_int_equal(mh_sched_added(&f.s, 48 + i, f.now),
					 1);
		}
		run(&f, f.now); /* no time passes */
		if (f.nr_order != hc->at_once)
			fail_msg("case %zu: %zu written at once, want %u", c,
				 f.nr_order, hc->at_once);
		if (hc->at_once < hc->added)
			assert_int_equal(
				mh_sched_state_of(&f.s, 48 + hc->at_once, NULL),
				MH_SCHED_HELD);
		/* Just before the quiet period ends: still held. */
		run(&f, T0 + MH_SCHED_HOLD_QUIET_USEC - 1);
		assert_int_equal(f.nr_order, hc->at_once);
		/* A new add extends the hold of the device. */
		f.now = T0 + 3 * MS;
		blk(&f, 48 + hc->added, 0, f.vmem0);
		assert_int_equal(mh_sched_added(&f.s, 48 + hc->added, f.now),
				 1);
		run(&f, f.now + MH_SCHED_HOLD_QUIET_USEC - 1);
		if (f.nr_order != hc->after_add)
			fail_msg("case %zu: %zu written after the add, want %u",
				 c, f.nr_order, hc->after_add);
		run(&f, UINT64_MAX);
		assert_int_equal(f.nr_order, hc->added + 1);
		for (i = 0; i < f.nr_order; i++)
			assert_int_equal(f.order[i], 48 + i);
		assert_true(f.now >= T0 + 3 * MS + MH_SCHED_HOLD_QUIET_USEC);
		fx_free(&f);
	}
}

/* A hold of one device does not hold another. */
static void test_hold_per_device(void **state)
{
	struct fx *f = *state;

	blk(f, 48, 0, f->vmem0);
	assert_int_equal(mh_sched_added(&f->s, 48, f->now), 1);
	blk(f, 200, 0, f->vmem1);
	enqueue(f, 200); /* coldplug: no add seen */
	blk(f, 400, 0, -1);
	enqueue(f, 400);
	run(f, f->now);
	assert_int_equal(f->nr_order, 2);
	assert_int_equal(f->order[0], 200);
	assert_int_equal(f->order[1], 400);
	run(f, UINT64_MAX);
	assert_int_equal(f->order[2], 48);
	assert_int_equal(f->now, T0 + MH_SCHED_HOLD_QUIET_USEC);
}

/* ---- outcomes ---- */

static void test_retry_backoff(void **state)
{
	struct fx *f = *state;
	struct mh_sched_action a;
	uint64_t delay, expect = MH_RETRY_FIRST_USEC;
	unsigned int att, i;

	blk(f, 400, 0, -1);
	blk(f, 401, 0, -1);
	enqueue(f, 400);
	enqueue(f, 401);
	for (i = 1; i < MH_RETRY_MAX_ATTEMPTS; i++) {
		mh_sched_next(&f->s, f->now, &a);
		assert_int_equal(a.kind, MH_SCHED_WRITE);
		assert_int_equal(a.id, 400);
		assert_int_equal(mh_sched_written(&f->s, 400, MH_WRITE_RETRY,
						  -EBUSY, f->now, &delay, &att),
				 MH_SCHED_RETRY);
		assert_int_equal(att, i);
		assert_int_equal(delay, expect);
		expect = expect * 2 > MH_RETRY_MAX_USEC ? MH_RETRY_MAX_USEC
							: expect * 2;
		/* 401 keeps waiting behind 400: same device. */
		mh_sched_next(&f->s, f->now, &a);
		assert_int_equal(a.kind, MH_SCHED_WAIT);
		assert_int_equal(a.until, f->now + delay);
		assert_int_equal(mh_sched_state_of(&f->s, 400, NULL),
				 MH_SCHED_RETRY);
		f->now = a.until;
	}
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.id, 400);
	assert_int_equal(mh_sched_written(&f->s, 400, MH_WRITE_RETRY, -EBUSY,
					  f->now, &delay, &att),
			 MH_SCHED_FAILED);
	assert_int_equal(att, MH_RETRY_MAX_ATTEMPTS);
	assert_int_equal(f->s.nr_failed, 1);
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 1);
	assert_int_equal(f->order[0], 401);
	/* Failed: the sweep queues it again only after a minute. */
	assert_int_equal(mh_sched_enqueue(&f->s, 400, f->now), 0);
	f->now += MH_SCHED_FAILED_RETRY_USEC;
	assert_int_equal(mh_sched_enqueue(&f->s, 400, f->now), 1);
	assert_int_equal(f->s.nr_failed, 0);
	run(f, UINT64_MAX);
	assert_int_equal(f->order[1], 400);
}

struct outcome_case {
	enum mh_write_outcome out;
	int err;
	enum mh_sched_state after;
	bool requeue_after_minute;
};

static const struct outcome_case outcome_cases[] = {
	{MH_WRITE_LOST_RACE, -EINVAL, MH_SCHED_NONE, true},
	{MH_WRITE_GONE, -ENOENT, MH_SCHED_NONE, true},
	{MH_WRITE_FAILED, -EINVAL, MH_SCHED_FAILED, true},
	{MH_WRITE_FAILED, -EIO, MH_SCHED_FAILED, true},
	{MH_WRITE_HWPOISON, -EHWPOISON, MH_SCHED_POISONED, false},
};

static void test_outcomes(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(outcome_cases) / sizeof(outcome_cases[0]);
	     c++) {
		const struct outcome_case *oc = &outcome_cases[c];
		struct mh_sched_action a;
		struct fx f;
		uint64_t delay;
		unsigned int att;
		int err;

		fx_init(&f, MH_VMEM_THROTTLE_BYTES);
		blk(&f, 48, 0, f.vmem0);
		blk(&f, 49, 0, f.vmem0);
		enqueue(&f, 48);
		enqueue(&f, 49);
		mh_sched_next(&f.s, f.now, &a);
		assert_int_equal(a.id, 48);
		assert_int_equal(mh_sched_written(&f.s, 48, oc->out, oc->err,
						  f.now, &delay, &att),
				 oc->after);
		assert_int_equal(mh_sched_state_of(&f.s, 48, &err), oc->after);
		if (oc->after != MH_SCHED_NONE)
			assert_int_equal(err, oc->err);
		/* The device's next block goes on regardless. */
		run(&f, UINT64_MAX);
		assert_int_equal(f.nr_order, 1);
		assert_int_equal(f.order[0], 49);
		f.now += MH_SCHED_FAILED_RETRY_USEC;
		assert_int_equal(mh_sched_enqueue(&f.s, 48, f.now),
				 oc->requeue_after_minute);
		/* A reload forgets failures, never a poisoning. */
		mh_sched_clear_failed(&f.s);
		if (oc->after == MH_SCHED_POISONED) {
			assert_int_equal(f.s.nr_failed, 1);
			assert_int_equal(mh_sched_state_of(&f.s, 48, NULL),
					 MH_SCHED_POISONED);
			f.now += MH_SCHED_FAILED_RETRY_USEC;
			assert_int_equal(mh_sched_enqueue(&f.s, 48, f.now), 0);
		} else {
			assert_int_equal(f.s.nr_failed, 0);
		}
		fx_free(&f);
	}
}

/* Vanishing: removed while queued or waiting, the device goes on. */
static void test_vanishing(void **state)
{
	struct fx *f = *state;
	struct mh_sched_action a;

	blk(f, 48, -1, UNRESOLVED);
	blk(f, 49, 0, f->vmem0);
	enqueue(f, 48);
	enqueue(f, 49);
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_PROBE);
	mh_sched_probed(&f->s, 48, MH_PROBE_NO_NODE, f->now);
	mh_sched_forget(&f->s, 48);
	mh_inv_remove_block(&f->inv, 48);
	assert_int_equal(mh_sched_state_of(&f->s, 48, NULL), MH_SCHED_NONE);
	run(f, f->now);
	assert_int_equal(f->nr_order, 1);
	assert_int_equal(f->order[0], 49);
	/* Gone from the inventory without an event: dropped at its turn. */
	blk(f, 50, 0, f->vmem0);
	blk(f, 51, 0, f->vmem0);
	enqueue(f, 50);
	enqueue(f, 51);
	mh_inv_remove_block(&f->inv, 50);
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 2);
	assert_int_equal(f->order[1], 51);
	assert_int_equal(f->s.nr_queued, 0);
	assert_int_equal(mh_sched_enqueue(&f->s, 50, f->now), -ENOENT);
}

/* Someone else: an online of a queued block is a lost race; an offline is
 * left alone until the block is added anew. */
static void test_others(void **state)
{
	struct fx *f = *state;

	blk(f, 48, 0, f->vmem0);
	enqueue(f, 48);
	assert_true(mh_sched_onlined(&f->s, 48, f->now));
	assert_false(mh_sched_onlined(&f->s, 48, f->now));
	mh_inv_set_online(&f->inv, mh_inv_block(&f->inv, 48), MH_ZONE_NORMAL,
			  MH_BY_OTHER);
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 0);

	mh_inv_set_offline(&f->inv, mh_inv_block(&f->inv, 48));
	assert_int_equal(mh_sched_offlined(&f->s, 48, f->now), 0);
	assert_int_equal(mh_sched_state_of(&f->s, 48, NULL), MH_SCHED_OFFLINED);
	f->now += 10 * MH_SCHED_FAILED_RETRY_USEC;
	assert_int_equal(mh_sched_enqueue(&f->s, 48, f->now), 0);
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 0);
	/* Queued, then offlined by others (a missed online?): unqueued. */
	blk(f, 49, 0, f->vmem0);
	enqueue(f, 49);
	assert_int_equal(mh_sched_offlined(&f->s, 49, f->now), 0);
	assert_int_equal(f->s.nr_queued, 0);
	/* A new add: a new block, queued again. */
	assert_int_equal(mh_sched_added(&f->s, 48, f->now), 1);
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 1);
	assert_int_equal(f->order[0], 48);
}

/* ---- the kernel onlines inside the add (delegate mode, auto-online) ----
 *
 * The kernel sends a block's add uevent and onlines it afterwards, still
 * inside the add.  An added block therefore awaits the kernel: its online
 * (mh_sched_onlined) ends the record without a lost race; one the kernel
 * leaves offline is checked once its device has been quiet for
 * MH_SCHED_KERNEL_QUIET_USEC (at most MH_SCHED_KERNEL_GRACE_USEC after its
 * add) and then decided by memhotd.
 */
struct kstep {
	uint64_t ms; /* after T0 */
	char what;   /* 'a' add uevent, 'k' the kernel onlined it, 0 end */
	uint64_t id;
};

struct await_case {
	const char *name;
	struct kstep steps[24];
	uint64_t checked[4];	/* CHECKs answered "offline", in order */
	uint64_t checked_ms[4]; /* ... at these times */
	uint64_t written[4];	/* memhotd's writes, 0 ends */
};

#define Q (MH_SCHED_KERNEL_QUIET_USEC / MS)
#define G (MH_SCHED_KERNEL_GRACE_USEC / MS)

static const struct await_case await_cases[] = {
	{"each block onlined right after its add: nothing to do",
	 {{0, 'a', 48}, {1, 'k', 48}, {2, 'a', 49}, {3, 'k', 49}},
	 {0},
	 {0},
	 {0}},
	{"adds first, onlines after (a DIMM), inside the quiet time",
	 {{0, 'a', 300},
	  {1, 'a', 301},
	  {2, 'a', 302},
	  {Q - 10, 'k', 300},
	  {Q + 100, 'k', 301},
	  {Q + 250, 'k', 302}},
	 {0},
	 {0},
	 {0}},
	{"a leftover is decided once the quiet time is over",
	 {{0, 'a', 48}},
	 {48},
	 {Q},
	 {48}},
	{"the device's adds and onlines extend the wait",
	 {{0, 'a', 48}, {150, 'a', 49}, {300, 'k', 49}},
	 {48},
	 {300 + Q},
	 {48}},
	{"another device's activity does not",
	 {{0, 'a', 48}, {150, 'a', 200}, {160, 'k', 200}},
	 {48},
	 {Q},
	 {48}},
	{"the wait is bounded by the grace after the block's own add",
	 {{0, 'a', 48},	   {180, 'a', 49},  {181, 'k', 49},  {360, 'a', 50},
	  {361, 'k', 50},  {540, 'a', 51},  {541, 'k', 51},  {720, 'a', 52},
	  {721, 'k', 52},  {900, 'a', 53},  {901, 'k', 53},  {1080, 'a', 54},
	  {1081, 'k', 54}, {1260, 'a', 55}, {1261, 'k', 55}, {1440, 'a', 56},
	  {1441, 'k', 56}, {1620, 'a', 57}, {1621, 'k', 57}, {1800, 'a', 58},
	  {1801, 'k', 58}, {1980, 'a', 59}, {1981, 'k', 59}},
	 {48},
	 {G},
	 {48}},
	{"two leftovers of one device go in ascending order",
	 {{0, 'a', 49}, {Q - 1, 'a', 48}},
	 {48, 49},
	 {2 * Q - 1, 2 * Q - 1},
	 {48, 49}},
};

static void test_await_kernel(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(await_cases) / sizeof(await_cases[0]);
	     c++) {
		const struct await_case *ac = &await_cases[c];
		struct fx f;
		size_t i, n;

		fx_init(&f, MH_VMEM_THROTTLE_BYTES);
		mh_sched_set_kernel_onlines(&f.s, true);
		for (i = 0; i < 24 && ac->steps[i].what; i++) {
			const struct kstep *st = &ac->steps[i];
			struct mh_block *b;

			run(&f, T0 + st->ms * MS);
			f.now = T0 + st->ms * MS;
			if (st->what == 'a') {
				blk(&f, st->id, 0, group_by_addr(&f, st->id));
				assert_int_equal(
					mh_sched_added(&f.s, st->id, f.now), 1);
				assert_int_equal(
					mh_sched_state_of(&f.s, st->id, NULL),
					MH_SCHED_AWAIT_KERNEL);
				continue;
			}
			b = mh_inv_block(&f.inv, st->id);
			assert_non_null(b);
			mh_inv_set_online(&f.inv, b, MH_ZONE_MOVABLE,
					  MH_BY_OTHER);
			/* What memhotd awaited: never a lost race. */
			if (mh_sched_onlined(&f.s, st->id, f.now))
				fail_msg("%s: memory%llu counted as a lost "
					 "race",
					 ac->name, (unsigned long long)st->id);
		}
		run(&f, UINT64_MAX);
		for (n = 0; n < 4 && ac->checked[n]; n++) {
			if (n >= f.nr_checked ||
			    f.checked[n] != ac->checked[n] ||
			    f.checked_at[n] != T0 + ac->checked_ms[n] * MS)
				fail_msg("%s: check %zu: want memory%llu at "
					 "%llu ms (%zu checks; got memory%llu "
					 "at %llu ms)",
					 ac->name, n,
					 (unsigned long long)ac->checked[n],
					 (unsigned long long)ac->checked_ms[n],
					 f.nr_checked,
					 (unsigned long long)f.checked[n],
					 (unsigned long long)(f.checked_at[n] -
							      T0) /
						 MS);
		}
		if (f.nr_checked != n)
			fail_msg("%s: %zu checks, want %zu", ac->name,
				 f.nr_checked, n);
		for (n = 0; n < 4 && ac->written[n]; n++)
			if (n >= f.nr_order || f.order[n] != ac->written[n])
				fail_msg("%s: write %zu: want memory%llu",
					 ac->name, n,
					 (unsigned long long)ac->written[n]);
		if (f.nr_order != n)
			fail_msg("%s: %zu writes, want %zu", ac->name,
				 f.nr_order, n);
		assert_int_equal(f.s.nr_queued, 0);
		assert_int_equal(f.s.nr_heap, 0);
		fx_free(&f);
	}
}

/* Awaiting the kernel, then: removed, offlined by others, a rescan that
 * finds it online, a duplicate add; and without auto-online no wait. */
static void test_await_kernel_events(void **state)
{
	struct fx *f = *state;
	struct mh_sched_action a;

	/* Off (the default): an add is queued at once. */
	blk(f, 48, 0, f->vmem0);
	assert_int_equal(mh_sched_added(&f->s, 48, f->now), 1);
	assert_int_equal(mh_sched_state_of(&f->s, 48, NULL), MH_SCHED_QUEUED);
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 1);

	mh_sched_set_kernel_onlines(&f->s, true);
	blk(f, 49, 0, f->vmem0);
	blk(f, 50, 0, f->vmem0);
	blk(f, 51, 0, f->vmem0);
	blk(f, 52, 0, f->vmem0);
	assert_int_equal(mh_sched_added(&f->s, 49, f->now), 1);
	assert_int_equal(mh_sched_added(&f->s, 49, f->now), 0);	  /* dup */
	assert_int_equal(mh_sched_enqueue(&f->s, 49, f->now), 0); /* sweep */
	assert_int_equal(mh_sched_added(&f->s, 50, f->now), 1);
	assert_int_equal(mh_sched_added(&f->s, 51, f->now), 1);
	assert_int_equal(mh_sched_added(&f->s, 52, f->now), 1);
	assert_int_equal(f->s.nr_queued, 4);
	assert_true(mh_sched_is_pending(MH_SCHED_AWAIT_KERNEL));
	/* Nothing to do before the quiet time is over. */
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_WAIT);
	assert_int_equal(a.until, f->now + MH_SCHED_KERNEL_QUIET_USEC);
	/* 49 removed, 50 offlined by someone else. */
	mh_sched_forget(&f->s, 49);
	mh_inv_remove_block(&f->inv, 49);
	assert_int_equal(mh_sched_offlined(&f->s, 50, f->now), 0);
	assert_int_equal(mh_sched_state_of(&f->s, 50, NULL), MH_SCHED_OFFLINED);
	/* A rescan finds 51 online (a missed online uevent): dropped; 52
	 * keeps waiting, no device list holds it. */
	mh_inv_set_online(&f->inv, mh_inv_block(&f->inv, 51), MH_ZONE_MOVABLE,
			  MH_BY_OTHER);
	assert_int_equal(mh_sched_rebuild(&f->s, f->now), 0);
	assert_int_equal(mh_sched_state_of(&f->s, 51, NULL), MH_SCHED_NONE);
	assert_int_equal(mh_sched_state_of(&f->s, 52, NULL),
			 MH_SCHED_AWAIT_KERNEL);
	assert_int_equal(f->s.nr_queued, 1);
	/* A stray probe result does not move it. */
	mh_sched_probed(&f->s, 52, MH_PROBE_OK, f->now);
	assert_int_equal(mh_sched_state_of(&f->s, 52, NULL),
			 MH_SCHED_AWAIT_KERNEL);
	/* Due: the same CHECK until answered; gone meanwhile: forgotten. */
	f->now += MH_SCHED_KERNEL_QUIET_USEC;
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_CHECK);
	assert_int_equal(a.id, 52);
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_CHECK);
	assert_int_equal(a.id, 52);
	mh_sched_forget(&f->s, 52);
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_IDLE);
	assert_int_equal(f->s.nr_queued, 0);
	assert_int_equal(f->nr_order, 1);
	/* Answered "still offline" for a block not awaiting: no effect. */
	assert_int_equal(mh_sched_still_offline(&f->s, 50, f->now), 0);
	assert_int_equal(mh_sched_state_of(&f->s, 50, NULL), MH_SCHED_OFFLINED);
}

/* A rescan: the inventory changes under the scheduler. */
static void test_rebuild(void **state)
{
	struct fx *f = *state;

	blk(f, 48, 0, f->vmem0);
	blk(f, 49, 0, f->vmem0);
	blk(f, 50, 0, f->vmem0);
	enqueue(f, 48);
	enqueue(f, 49);
	enqueue(f, 50);
	mh_inv_remove_block(&f->inv, 49);
	mh_inv_set_online(&f->inv, mh_inv_block(&f->inv, 50), MH_ZONE_MOVABLE,
			  MH_BY_OTHER);
	assert_int_equal(mh_sched_rebuild(&f->s, f->now), 0);
	assert_int_equal(f->s.nr_queued, 1);
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 1);
	assert_int_equal(f->order[0], 48);
}

/* A ratio that bites: the policy sees every earlier write.  4 GiB boot
 * memory, ratio 100: 32 blocks movable, then kernel. */
static void test_decisions_see_earlier_writes(void **state)
{
	struct fx *f = *state;
	size_t i;

	f->cfg.ratio = 100;
	for (i = 0; i < 48; i++) {
		blk(f, 400 + i, 0, -1);
		enqueue(f, 400 + i);
	}
	run(f, UINT64_MAX);
	assert_int_equal(f->nr_order, 48);
	for (i = 0; i < 48; i++)
		assert_int_equal(f->targets[i],
				 i < 32 ? MH_TARGET_MOVABLE : MH_TARGET_KERNEL);
}

/* ---- structure sanity ---- */

static void test_structure(void **state)
{
	struct fx *f = *state;
	const size_t n = 1 << 16;
	struct mh_sched_action a;
	size_t i, peak_recs;

	f->cfg.policy = MH_POLICY_MOVABLE;
	/* As a coldplug: the scan fills the inventory, then every offline
	 * block is queued. */
	for (i = 0; i < n; i++)
		blk(f, 1000 + i, 0, -1);
	for (i = 0; i < n; i++) {
		enqueue(f, 1000 + i);
		assert_int_equal(mh_sched_enqueue(&f->s, 1000 + i, f->now), 0);
	}
	assert_int_equal(f->s.nr_queued, n);
	assert_int_equal(f->s.hash_used, n);
	/* At most 3/4 full; sized for the offline blocks at once: no
	 * power-of-two doubling, no pool grown by copies. */
	assert_true(f->s.hash_cap * 3 >= 4 * n && f->s.hash_cap <= 2 * n);
	assert_true(f->s.hash_cap <= 4 * n / 3 + 64);
	assert_int_equal(f->s.cap_recs, n);
	assert_int_equal(f->s.nr_heap, 0); /* nothing waits: no timers */
	peak_recs = f->s.nr_recs;
	for (i = 0; i < n; i++) {
		mh_sched_next(&f->s, f->now, &a);
		assert_int_equal(a.kind, MH_SCHED_WRITE);
		assert_int_equal(a.id, 1000 + i);
		do_write(f, &a);
		if (f->nr_order == 256)
			f->nr_order = 0;
	}
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_IDLE);
	assert_int_equal(f->s.nr_queued, 0);
	assert_int_equal(f->s.hash_used, 0);
	/* The last record gone, the pool and the hash are freed: what the
	 * coldplug needed is not kept. */
	assert_true(peak_recs == n);
	assert_int_equal(f->s.nr_live, 0);
	assert_int_equal(f->s.nr_recs, 0);
	assert_int_equal(f->s.cap_recs, 0);
	assert_null(f->s.recs);
	assert_int_equal(f->s.hash_cap, 0);
	assert_true(mh_sched_footprint(&f->s) < 4096);
	/* Records are reused, not grown. */
	for (i = 0; i < 100; i++)
		assert_int_equal(mh_sched_offlined(&f->s, 1000 + i, f->now), 0);
	assert_int_equal(f->s.nr_recs, 100);
	for (i = 0; i < 100; i += 2)
		mh_sched_forget(&f->s, 1000 + i);
	for (i = 1; i < 100; i += 2)
		assert_int_equal(mh_sched_state_of(&f->s, 1000 + i, NULL),
				 MH_SCHED_OFFLINED);
	assert_int_equal(f->s.hash_used, 50);
	for (i = 0; i < 100; i += 2)
		assert_int_equal(mh_sched_offlined(&f->s, 5000 + i, f->now), 0);
	assert_int_equal(f->s.nr_recs, 100);
	assert_int_equal(f->s.nr_live, 100);
}

/*
 * Records keep 32-bit block ids and 32-bit times after an epoch: the
 * largest id the kernel can name works, a larger one is refused (never
 * truncated onto another block), and waits measured across hours of
 * uptime, epoch moves and a clock that restarts lower stay exact.
 */
static void test_id_and_time_edges(void **state)
{
	struct fx *f = *state;
	const uint64_t big = UINT32_MAX + 1ULL;
	struct mh_sched_action a;
	uint64_t delay, t;
	unsigned int att;
	int err;

	/* memory4294967295: the largest u32 device id. */
	blk(f, UINT32_MAX, 0, -1);
	assert_int_equal(mh_sched_enqueue(&f->s, UINT32_MAX, f->now), 1);
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_WRITE);
	assert_true(a.id == UINT32_MAX);
	do_write(f, &a);
	/* One more does not fit: -ERANGE from every entry, no record, and
	 * block 0 (its low 32 bits) is untouched. */
	blk(f, big, 0, -1);
	blk(f, 0, 0, -1);
	assert_int_equal(mh_sched_enqueue(&f->s, big, f->now), -ERANGE);
	assert_int_equal(mh_sched_added(&f->s, big, f->now), -ERANGE);
	assert_int_equal(mh_sched_offlined(&f->s, big, f->now), -ERANGE);
	mh_sched_set_kernel_onlines(&f->s, true);
	assert_int_equal(mh_sched_added(&f->s, big, f->now), -ERANGE);
	mh_sched_set_kernel_onlines(&f->s, false);
	assert_int_equal(mh_sched_state_of(&f->s, big, NULL), MH_SCHED_NONE);
	assert_int_equal(mh_sched_state_of(&f->s, 0, NULL), MH_SCHED_NONE);
	assert_int_equal(f->s.nr_live, 0);
	assert_int_equal(f->s.nr_queued, 0);
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_IDLE);

	/* Hours of uptime (past 2^32 usec): a failure, then the sweep's
	 * 60 s, exact to the microsecond. */
	f->now = (5ULL << 32) + 777;
	blk(f, 60, 0, UNRESOLVED);
	assert_int_equal(mh_sched_enqueue(&f->s, 60, f->now), 1);
	do_probe(f, 60);
	mh_sched_next(&f->s, f->now, &a);
	assert_int_equal(a.kind, MH_SCHED_WRITE);
	assert_int_equal(mh_sched_written(&f->s, 60, MH_WRITE_FAILED, -EIO,
					  f->now, &delay, &att),
			 MH_SCHED_FAILED);
	assert_int_equal(mh_sched_state_of(&f->s, 60, &err), MH_SCHED_FAILED);
	assert_int_equal(err, -EIO);
	t = f->now;
	assert_int_equal(
		mh_sched_enqueue(&f->s, 60, t + MH_SCHED_FAILED_RETRY_USEC - 1),
		0);
	/* A device wait's grace, also exact, for a block queued now. */
	blk(f, 320, 0, UNRESOLVED);
	assert_int_equal(mh_sched_enqueue(&f->s, 320, t), 1);
	assert_false(mh_sched_group_grace_over(&f->s, 320,
					       t + MH_GROUP_GRACE_USEC - 1));
	assert_true(
		mh_sched_group_grace_over(&f->s, 320, t + MH_GROUP_GRACE_USEC));
	/* Three hours later the epoch has moved (a block queued then):
	 * the old times are clamped, still far enough in the past. */
	f->now = t + 3ULL * 3600 * 1000000;
	blk(f, 321, 0, UNRESOLVED);
	assert_int_equal(mh_sched_enqueue(&f->s, 321, f->now), 1);
	assert_true(f->s.epoch > t);
	assert_true(mh_sched_group_grace_over(&f->s, 320, f->now));
	assert_false(mh_sched_group_grace_over(&f->s, 321, f->now));
	assert_true(mh_sched_group_grace_over(&f->s, 321,
					      f->now + MH_GROUP_GRACE_USEC));
	assert_int_equal(mh_sched_state_of(&f->s, 60, &err), MH_SCHED_FAILED);
	assert_int_equal(err, -EIO);
	assert_int_equal(mh_sched_enqueue(&f->s, 60, f->now), 1);
	/* A clock that starts lower again (a test harness, a new clock):
	 * new records measure from it. */
	f->now = T0;
	blk(f, 322, 0, UNRESOLVED);
	assert_int_equal(mh_sched_enqueue(&f->s, 322, f->now), 1);
	assert_false(mh_sched_group_grace_over(&f->s, 322,
					       T0 + MH_GROUP_GRACE_USEC - 1));
	assert_true(mh_sched_group_grace_over(&f->s, 322,
					      T0 + MH_GROUP_GRACE_USEC));
}

/* The id hash (any size, backward-shift deletion) against a model under
 * random inserts and deletions: grown by half (blocks on no node do not
 * count for sizing) and sized at once (blocks on node 0). */
static void test_hash_random(void **state)
{
	struct fx *f = *state;
	enum { N = 3000 };
	static bool live[2 * N];
	unsigned int seed = 12345, k;
	size_t i;

	memset(live, 0, sizeof(live));
	for (i = 0; i < 2 * N; i++)
		blk(f, 10000 + i, i < N ? -1 : 0, -1);
	for (k = 0; k < 200000; k++) {
		uint64_t id;

		seed = seed * 1103515245 + 12345;
		i = (seed >> 8) % N + (k < 100000 ? 0 : N);
		id = 10000 + i;
		if ((seed >> 4) & 1) {
			assert_int_equal(mh_sched_offlined(&f->s, id, f->now),
					 0);
			live[i] = true;
		} else {
			mh_sched_forget(&f->s, id);
			live[i] = false;
		}
		if (k % 10000 == 9999) {
			size_t n = 0;

			for (i = 0; i < 2 * N; i++) {
				assert_int_equal(mh_sched_state_of(&f->s,
								   10000 + i,
								   NULL),
						 live[i] ? MH_SCHED_OFFLINED
							 : MH_SCHED_NONE);
				n += live[i];
			}
			assert_int_equal(f->s.hash_used, n);
			assert_int_equal(f->s.nr_live, n);
			assert_true(f->s.hash_used * 4 <= f->s.hash_cap * 3);
		}
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mh_sched_state_name(MH_SCHED_QUEUED), "queued");
	assert_string_equal(mh_sched_state_name(MH_SCHED_AWAIT_KERNEL),
			    "await-kernel");
	assert_string_equal(mh_sched_state_name(MH_SCHED_WAIT_NODE),
			    "wait-node");
	assert_string_equal(mh_sched_state_name(MH_SCHED_WAIT_GROUP),
			    "wait-group");
	assert_string_equal(mh_sched_state_name(MH_SCHED_HELD), "held");
	assert_string_equal(mh_sched_state_name(MH_SCHED_RETRY), "retry");
	assert_string_equal(mh_sched_state_name(MH_SCHED_POISONED), "poisoned");
	assert_string_equal(mh_sched_state_name(MH_SCHED_OFFLINED),
			    "offlined-by-other");
	assert_true(mh_sched_is_pending(MH_SCHED_HELD));
	assert_false(mh_sched_is_pending(MH_SCHED_FAILED));
	assert_false(mh_sched_is_pending(MH_SCHED_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ordering),
		cmocka_unit_test_setup_teardown(test_node_wait_backoff, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_group_wait_and_grace,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_dimm_keeps_order,
						setup, teardown),
		cmocka_unit_test(test_hold_thresholds),
		cmocka_unit_test(test_hold_timing),
		cmocka_unit_test_setup_teardown(test_hold_per_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retry_backoff, setup,
						teardown),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test_setup_teardown(test_vanishing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_others, setup, teardown),
		cmocka_unit_test(test_await_kernel),
		cmocka_unit_test_setup_teardown(test_await_kernel_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_decisions_see_earlier_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_random, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_id_and_time_edges, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_structure, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
