// SPDX-License-Identifier: MIT
/* outcome.c: what uevents, probes, checks, writes, read-backs and rescans
 * mean, as tables of literal facts and the verdict each must give. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "memhotd/outcome.h"

#ifndef EHWPOISON
#define EHWPOISON 133
#endif

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_uevent(void **state)
{
	static const struct {
		enum mh_uevent_action a;
		bool known;
		enum mh_block_state st;
		enum mh_sched_state ss;
		enum mh_uevent_verdict want;
	} t[] = {
		/* an add is always read in */
		{MH_UEVENT_ADD, false, MH_BLOCK_OFFLINE, MH_SCHED_NONE,
		 MH_UV_SCAN_ADDED},
		{MH_UEVENT_ADD, true, MH_BLOCK_ONLINE, MH_SCHED_QUEUED,
		 MH_UV_SCAN_ADDED},
		/* online of an unknown block: its add was missed */
		{MH_UEVENT_ONLINE, false, MH_BLOCK_OFFLINE, MH_SCHED_NONE,
		 MH_UV_LEARN},
		/* online of an online block: the echo of our own write */
		{MH_UEVENT_ONLINE, true, MH_BLOCK_ONLINE, MH_SCHED_NONE,
		 MH_UV_IGNORE},
		/* online of a known offline block: someone else, or the
		 * kernel's auto-online */
		{MH_UEVENT_ONLINE, true, MH_BLOCK_OFFLINE, MH_SCHED_QUEUED,
		 MH_UV_READ_ZONE},
		{MH_UEVENT_ONLINE, true, MH_BLOCK_OFFLINE,
		 MH_SCHED_AWAIT_KERNEL, MH_UV_READ_ZONE},
		{MH_UEVENT_ONLINE, true, MH_BLOCK_GOING_OFFLINE, MH_SCHED_NONE,
		 MH_UV_READ_ZONE},
		/* offline: never answered by onlining */
		{MH_UEVENT_OFFLINE, true, MH_BLOCK_ONLINE, MH_SCHED_NONE,
		 MH_UV_OFFLINED},
		{MH_UEVENT_OFFLINE, true, MH_BLOCK_GOING_OFFLINE, MH_SCHED_NONE,
		 MH_UV_OFFLINED},
		{MH_UEVENT_OFFLINE, true, MH_BLOCK_OFFLINE, MH_SCHED_QUEUED,
		 MH_UV_IGNORE},
		{MH_UEVENT_OFFLINE, false, MH_BLOCK_OFFLINE, MH_SCHED_NONE,
		 MH_UV_IGNORE},
		/* remove: forgotten if anyone knew it */
		{MH_UEVENT_REMOVE, true, MH_BLOCK_OFFLINE, MH_SCHED_NONE,
		 MH_UV_FORGET},
		{MH_UEVENT_REMOVE, false, MH_BLOCK_OFFLINE, MH_SCHED_QUEUED,
		 MH_UV_FORGET},
		{MH_UEVENT_REMOVE, false, MH_BLOCK_OFFLINE, MH_SCHED_NONE,
		 MH_UV_IGNORE},
		{MH_UEVENT_OTHER, true, MH_BLOCK_OFFLINE, MH_SCHED_QUEUED,
		 MH_UV_IGNORE},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		enum mh_uevent_verdict v =
			mh_uevent_judge(t[i].a, t[i].known, t[i].st, t[i].ss);

		if (v != t[i].want)
			fail_msg("row %zu: %s, want %s", i,
				 mh_uevent_verdict_name(v),
				 mh_uevent_verdict_name(t[i].want));
	}
	assert_string_equal(mh_uevent_verdict_name(MH_UV_READ_ZONE),
			    "read-zone");
}

static void test_online(void **state)
{
	(void)state;
	assert_int_equal(mh_online_judge(true, MH_SCHED_QUEUED),
			 MH_ONLINE_LOST_RACE);
	assert_int_equal(mh_online_judge(true, MH_SCHED_AWAIT_KERNEL),
			 MH_ONLINE_LOST_RACE);
	assert_int_equal(mh_online_judge(false, MH_SCHED_AWAIT_KERNEL),
			 MH_ONLINE_AWAITED);
	assert_int_equal(mh_online_judge(false, MH_SCHED_NONE),
			 MH_ONLINE_FOREIGN);
	assert_int_equal(mh_online_judge(false, MH_SCHED_OFFLINED),
			 MH_ONLINE_FOREIGN);
}

static void test_probe(void **state)
{
	static const struct {
		int r;
		bool resolved, grace_over;
		enum mh_group_verdict want;
	} g[] = {
		{0, true, false, MH_GROUP_FOUND},
		{0, false, false, MH_GROUP_UNGROUPED},
		{-EAGAIN, false, false, MH_GROUP_WAIT},
		{-EAGAIN, false, true, MH_GROUP_LATE},
		{-EIO, false, false, MH_GROUP_UNRESOLVABLE},
		{-ENOENT, false, true, MH_GROUP_UNRESOLVABLE},
	};
	size_t i;

	(void)state;
	assert_int_equal(mh_node_judge(0), MH_NODE_FOUND);
	assert_int_equal(mh_node_judge(-ENODEV), MH_NODE_GONE);
	assert_int_equal(mh_node_judge(-ENOENT), MH_NODE_MISSING);
	assert_int_equal(mh_node_judge(-EIO), MH_NODE_MISSING);
	for (i = 0; i < N(g); i++)
		if (mh_group_judge(g[i].r, g[i].resolved, g[i].grace_over) !=
		    g[i].want)
			fail_msg("group row %zu", i);
}

static void test_check(void **state)
{
	(void)state;
	assert_int_equal(mh_check_judge(-ENOENT, MH_BLOCK_OFFLINE),
			 MH_CHECK_GONE);
	assert_int_equal(mh_check_judge(-ENODEV, MH_BLOCK_ONLINE),
			 MH_CHECK_GONE);
	assert_int_equal(mh_check_judge(0, MH_BLOCK_ONLINE), MH_CHECK_ONLINE);
	assert_int_equal(mh_check_judge(0, MH_BLOCK_OFFLINE), MH_CHECK_OFFLINE);
	/* unreadable: memhotd decides it (its write will tell) */
	assert_int_equal(mh_check_judge(-EIO, MH_BLOCK_ONLINE),
			 MH_CHECK_OFFLINE);
}

/* flags of a write verdict, one letter each */
#define O 0x01 /* set_online */
#define S 0x02 /* set_other */
#define A 0x04 /* record_attempt */
#define F 0x08 /* forget */
#define V 0x10 /* verify */

static unsigned int flags(const struct mh_write_verdict *v)
{
	return (v->set_online ? O : 0) | (v->set_other ? S : 0) |
	       (v->record_attempt ? A : 0) | (v->forget ? F : 0) |
	       (v->verify ? V : 0);
}

/* counts: online, lost race, vanished, retry, failed */
static unsigned int counts(const struct mh_write_verdict *v)
{
	return (v->count_online ? 10000 : 0) + (v->count_lost_race ? 1000 : 0) +
	       (v->count_vanished ? 100 : 0) + (v->count_retry ? 10 : 0) +
	       (v->count_failed ? 1 : 0);
}

static void test_write(void **state)
{
	static const struct {
		enum mh_block_state after; /* re-read after the write */
		int err;
		bool zone_known;
		enum mh_sched_state next;
		bool dry_run;
		enum mh_write_note note;
		unsigned int flags, counts;
	} t[] = {
		{MH_BLOCK_OFFLINE, 0, false, MH_SCHED_NONE, false,
		 MH_WN_ONLINED, O | V, 10000},
		/* a dry run's simulated success: nothing to read back */
		{MH_BLOCK_OFFLINE, 0, false, MH_SCHED_NONE, true, MH_WN_WOULD,
		 O, 10000},
		{MH_BLOCK_ONLINE, -EINVAL, true, MH_SCHED_NONE, false,
		 MH_WN_LOST_RACE_ZONE, S, 1000},
		{MH_BLOCK_GOING_OFFLINE, -EINVAL, false, MH_SCHED_NONE, false,
		 MH_WN_LOST_RACE, 0, 1000},
		{MH_BLOCK_OFFLINE, -EINVAL, false, MH_SCHED_FAILED, false,
		 MH_WN_REFUSED, A, 1},
		{MH_BLOCK_OFFLINE, -ENOENT, false, MH_SCHED_NONE, false,
		 MH_WN_GONE, F, 100},
		{MH_BLOCK_OFFLINE, -ENODEV, false, MH_SCHED_NONE, false,
		 MH_WN_GONE, F, 100},
		{MH_BLOCK_OFFLINE, -EBUSY, false, MH_SCHED_RETRY, false,
		 MH_WN_RETRY, A, 10},
		{MH_BLOCK_OFFLINE, -ENOMEM, false, MH_SCHED_FAILED, false,
		 MH_WN_GAVE_UP, A, 1},
		{MH_BLOCK_OFFLINE, -EHWPOISON, false, MH_SCHED_POISONED, false,
		 MH_WN_HWPOISON, A, 1},
		{MH_BLOCK_OFFLINE, -EIO, false, MH_SCHED_FAILED, false,
		 MH_WN_FAILED, A, 1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct mh_write_facts f = {
			.out = mh_onliner_classify(t[i].err, t[i].after),
			.err = t[i].err,
			.zone_known = t[i].zone_known,
			.next = t[i].next,
			.dry_run = t[i].dry_run,
		};
		struct mh_write_verdict v;

		mh_write_judge(&f, &v);
		if (v.note != t[i].note || flags(&v) != t[i].flags ||
		    counts(&v) != t[i].counts)
			fail_msg("row %zu: note %d flags %#x counts %05u", i,
				 v.note, flags(&v), counts(&v));
	}
}

static void test_counters_written(void **state)
{
	struct mh_counters c;
	struct mh_write_verdict v = {.count_online = true};

	(void)state;
	memset(&c, 0, sizeof(c));
	mh_counters_written(&c, &v, 40, MH_ZONE_MOVABLE);
	mh_counters_written(&c, &v, 41, MH_ZONE_NORMAL);
	assert_int_equal(c.onlined, 2);
	assert_int_equal(c.onlined_movable, 1);
	assert_int_equal(c.onlined_kernel, 1);
	assert_true(c.has_last);
	assert_int_equal(c.last_block, 41);
	assert_int_equal(c.last_zone, MH_ZONE_NORMAL);
	v = (struct mh_write_verdict){.count_retry = true};
	mh_counters_written(&c, &v, 42, MH_ZONE_MOVABLE);
	v = (struct mh_write_verdict){.count_failed = true};
	mh_counters_written(&c, &v, 42, MH_ZONE_MOVABLE);
	v = (struct mh_write_verdict){.count_lost_race = true};
	mh_counters_written(&c, &v, 43, MH_ZONE_MOVABLE);
	v = (struct mh_write_verdict){.count_vanished = true};
	mh_counters_written(&c, &v, 44, MH_ZONE_MOVABLE);
	assert_int_equal(c.onlined, 2);
	assert_int_equal(c.last_block, 41);
	assert_int_equal(c.retried, 1);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.lost_races, 1);
	assert_int_equal(c.vanished, 1);
}

static void test_verify(void **state)
{
	static const struct {
		int r;
		enum mh_zone want, got;
		enum mh_verify_verdict v;
	} t[] = {
		{0, MH_ZONE_MOVABLE, MH_ZONE_MOVABLE, MH_VERIFY_OK},
		{0, MH_ZONE_NORMAL, MH_ZONE_NORMAL, MH_VERIFY_OK},
		{0, MH_ZONE_NORMAL, MH_ZONE_DMA32, MH_VERIFY_KERNEL_PICK},
		{0, MH_ZONE_MOVABLE, MH_ZONE_NORMAL, MH_VERIFY_MISMATCH},
		{0, MH_ZONE_NORMAL, MH_ZONE_MOVABLE, MH_VERIFY_MISMATCH},
		{-ENOENT, MH_ZONE_MOVABLE, MH_ZONE_UNKNOWN, MH_VERIFY_GONE},
		{-ENODEV, MH_ZONE_MOVABLE, MH_ZONE_UNKNOWN, MH_VERIFY_GONE},
		{-EIO, MH_ZONE_MOVABLE, MH_ZONE_UNKNOWN, MH_VERIFY_UNREADABLE},
	};
	struct mh_counters c;
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++)
		if (mh_verify_judge(t[i].r, t[i].want, t[i].got) != t[i].v)
			fail_msg("row %zu", i);

	/* Two movable writes, one landed in Normal: counted as kernel. */
	memset(&c, 0, sizeof(c));
	c.onlined = 2;
	c.onlined_movable = 2;
	c.has_last = true;
	c.last_block = 41;
	c.last_zone = MH_ZONE_MOVABLE;
	mh_counters_verified(&c, MH_VERIFY_MISMATCH, 41, MH_ZONE_MOVABLE,
			     MH_ZONE_NORMAL);
	assert_int_equal(c.zone_mismatch, 1);
	assert_int_equal(c.onlined_movable, 1);
	assert_int_equal(c.onlined_kernel, 1);
	assert_int_equal(c.last_zone, MH_ZONE_NORMAL);
	/* The kernel's pick of DMA32: not a mismatch, the zone is noted. */
	c.last_block = 42;
	mh_counters_verified(&c, MH_VERIFY_KERNEL_PICK, 42, MH_ZONE_NORMAL,
			     MH_ZONE_DMA32);
	assert_int_equal(c.zone_mismatch, 1);
	assert_int_equal(c.last_zone, MH_ZONE_DMA32);
	/* OK and GONE change nothing. */
	mh_counters_verified(&c, MH_VERIFY_OK, 42, MH_ZONE_NORMAL,
			     MH_ZONE_MOVABLE);
	mh_counters_verified(&c, MH_VERIFY_GONE, 42, MH_ZONE_NORMAL,
			     MH_ZONE_MOVABLE);
	assert_int_equal(c.zone_mismatch, 1);
	assert_int_equal(c.onlined_kernel, 1);
	assert_int_equal(c.last_zone, MH_ZONE_DMA32);
}

static void test_carry(void **state)
{
	static const struct {
		struct mh_carry_facts f;
		enum mh_carry_verdict want;
	} t[] = {
		/* dry run: the simulated online stays */
		{{MH_BLOCK_ONLINE, MH_BLOCK_OFFLINE, MH_ZONE_MOVABLE,
		  MH_ZONE_UNKNOWN, MH_BY_MEMHOTD, true},
		 MH_CARRY_SIMULATED},
		/* not a dry run: a missed offline */
		{{MH_BLOCK_ONLINE, MH_BLOCK_OFFLINE, MH_ZONE_MOVABLE,
		  MH_ZONE_UNKNOWN, MH_BY_MEMHOTD, false},
		 MH_CARRY_MISSED_OFFLINE},
		{{MH_BLOCK_ONLINE, MH_BLOCK_OFFLINE, MH_ZONE_MOVABLE,
		  MH_ZONE_UNKNOWN, MH_BY_OTHER, true},
		 MH_CARRY_MISSED_OFFLINE},
		{{MH_BLOCK_ONLINE, MH_BLOCK_ONLINE, MH_ZONE_MOVABLE,
		  MH_ZONE_MOVABLE, MH_BY_MEMHOTD, false},
		 MH_CARRY_ONLINED_BY},
		/* online in another zone now: offlined and onlined again
		 * unseen; the scan's state stands */
		{{MH_BLOCK_ONLINE, MH_BLOCK_ONLINE, MH_ZONE_MOVABLE,
		  MH_ZONE_NORMAL, MH_BY_MEMHOTD, false},
		 MH_CARRY_NOTHING},
		{{MH_BLOCK_OFFLINE, MH_BLOCK_ONLINE, MH_ZONE_UNKNOWN,
		  MH_ZONE_NORMAL, MH_BY_UNKNOWN, false},
		 MH_CARRY_MISSED_ONLINE},
		{{MH_BLOCK_OFFLINE, MH_BLOCK_OFFLINE, MH_ZONE_UNKNOWN,
		  MH_ZONE_UNKNOWN, MH_BY_UNKNOWN, true},
		 MH_CARRY_NOTHING},
		{{MH_BLOCK_ONLINE, MH_BLOCK_GOING_OFFLINE, MH_ZONE_MOVABLE,
		  MH_ZONE_MOVABLE, MH_BY_MEMHOTD, false},
		 MH_CARRY_NOTHING},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++)
		if (mh_carry_judge(&t[i].f) != t[i].want)
			fail_msg("row %zu: %d", i, mh_carry_judge(&t[i].f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uevent),
		cmocka_unit_test(test_online),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_counters_written),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_carry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
