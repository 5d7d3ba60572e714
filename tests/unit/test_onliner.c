// SPDX-License-Identifier: MIT
/* onliner.c: errno classification (doc/errno.md), back-off schedules, the
 * state strings and the write itself (mh_onliner_write_block too) on a
 * simulated tree. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "memhotd/onliner.h"
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef EHWPOISON
#define EHWPOISON 133
#endif

static const enum mh_block_state all_states[] = {
	MH_BLOCK_OFFLINE,
	MH_BLOCK_ONLINE,
	MH_BLOCK_GOING_OFFLINE,
};

/* An errno whose outcome does not depend on the state re-read after. */
static void expect_any_state(int err, enum mh_write_outcome want)
{
	size_t i;

	for (i = 0; i < sizeof(all_states) / sizeof(all_states[0]); i++) {
		assert_int_equal(mh_onliner_classify(err, all_states[i]), want);
		/* -errno is accepted as well. */
		assert_int_equal(mh_onliner_classify(-err, all_states[i]),
				 want);
	}
}

static void test_success(void **state)
{
	(void)state;
	expect_any_state(0, MH_WRITE_SUCCESS);
}

/* EINVAL: "already in that state" (someone else onlined it) when the
 * re-read says online; a real refusal when it is still offline. */
static void test_einval(void **state)
{
	(void)state;
	assert_int_equal(mh_onliner_classify(EINVAL, MH_BLOCK_ONLINE),
			 MH_WRITE_LOST_RACE);
	assert_int_equal(mh_onliner_classify(-EINVAL, MH_BLOCK_ONLINE),
			 MH_WRITE_LOST_RACE);
	assert_int_equal(mh_onliner_classify(EINVAL, MH_BLOCK_GOING_OFFLINE),
			 MH_WRITE_LOST_RACE);
	assert_int_equal(mh_onliner_classify(EINVAL, MH_BLOCK_OFFLINE),
			 MH_WRITE_FAILED);
	assert_int_equal(mh_onliner_classify(-EINVAL, MH_BLOCK_OFFLINE),
			 MH_WRITE_FAILED);
}

/* ENOENT: open() of a vanished path; ENODEV: removed while open. */
static void test_gone(void **state)
{
	(void)state;
	expect_any_state(ENOENT, MH_WRITE_GONE);
	expect_any_state(ENODEV, MH_WRITE_GONE);
}

/* Notifier veto (virtio-mem), device being removed, KASAN/memmap
 * allocation: transient. EINTR and EAGAIN too (never seen, harmless). */
static void test_retry(void **state)
{
	(void)state;
	expect_any_state(EPERM, MH_WRITE_RETRY);
	expect_any_state(EBUSY, MH_WRITE_RETRY);
	expect_any_state(ENOMEM, MH_WRITE_RETRY);
	expect_any_state(EINTR, MH_WRITE_RETRY);
	expect_any_state(EAGAIN, MH_WRITE_RETRY);
}

static void test_hwpoison(void **state)
{
	(void)state;
	expect_any_state(EHWPOISON, MH_WRITE_HWPOISON);
}

static void test_other_errors_fail(void **state)
{
	static const int errs[] = {EIO,	  EACCES, EROFS,   ENOSPC, EFAULT,
				   E2BIG, ERANGE, ENOTDIR, EISDIR};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		expect_any_state(errs[i], MH_WRITE_FAILED);
}

static void test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(mh_write_outcome_name(MH_WRITE_SUCCESS), "success");
	assert_string_equal(mh_write_outcome_name(MH_WRITE_LOST_RACE),
			    "lost-race");
	assert_string_equal(mh_write_outcome_name(MH_WRITE_GONE), "gone");
	assert_string_equal(mh_write_outcome_name(MH_WRITE_RETRY), "retry");
	assert_string_equal(mh_write_outcome_name(MH_WRITE_HWPOISON),
			    "hwpoison");
	assert_string_equal(mh_write_outcome_name(MH_WRITE_FAILED), "failed");
}

/* 10 ms doubling, capped at 2 s. */
static void test_retry_schedule(void **state)
{
	static const uint64_t want[] = {
		10000,	20000,	 40000,	  80000,   160000,  320000,
		640000, 1280000, 2000000, 2000000, 2000000, 2000000,
	};
	unsigned int a;

	(void)state;
	assert_int_equal(mh_onliner_retry_delay_usec(0), 10000);
	for (a = 1; a <= sizeof(want) / sizeof(want[0]); a++)
		assert_int_equal(mh_onliner_retry_delay_usec(a), want[a - 1]);
	assert_int_equal(mh_onliner_retry_delay_usec(1000), 2000000);
	assert_int_equal(mh_onliner_retry_delay_usec(~0U), 2000000);
	/* Ten attempts, then give up. */
	for (a = 0; a < MH_RETRY_MAX_ATTEMPTS; a++)
		assert_true(mh_onliner_may_retry(a));
	assert_false(mh_onliner_may_retry(MH_RETRY_MAX_ATTEMPTS));
	assert_false(mh_onliner_may_retry(MH_RETRY_MAX_ATTEMPTS + 1));
	/* The total stays bounded: a few seconds of retrying. */
	{
		uint64_t total = 0;

		for (a = 1; a < MH_RETRY_MAX_ATTEMPTS; a++)
			total += mh_onliner_retry_delay_usec(a);
		assert_true(total < 10ULL * 1000 * 1000);
	}
}

/* 1 ms doubling, capped at 100 ms. */
static void test_wait_schedule(void **state)
{
	static const uint64_t want[] = {1000,  2000,  4000,   8000,   16000,
					32000, 64000, 100000, 100000, 100000};
	unsigned int n;

	(void)state;
	assert_int_equal(mh_onliner_wait_delay_usec(0), 1000);
	for (n = 1; n <= sizeof(want) / sizeof(want[0]); n++)
		assert_int_equal(mh_onliner_wait_delay_usec(n), want[n - 1]);
	assert_int_equal(mh_onliner_wait_delay_usec(~0U), 100000);
	assert_true(MH_GROUP_GRACE_USEC >= 1000000);
}

static void test_state_strings(void **state)
{
	(void)state;
	assert_string_equal(mh_onliner_state_string(MH_TARGET_MOVABLE),
			    "online_movable");
	assert_string_equal(mh_onliner_state_string(MH_TARGET_KERNEL),
			    "online_kernel");
}

static void test_zone_matches(void **state)
{
	(void)state;
	assert_true(
		mh_onliner_zone_matches(MH_TARGET_MOVABLE, MH_ZONE_MOVABLE));
	assert_false(
		mh_onliner_zone_matches(MH_TARGET_MOVABLE, MH_ZONE_NORMAL));
	assert_true(mh_onliner_zone_matches(MH_TARGET_KERNEL, MH_ZONE_NORMAL));
	assert_true(mh_onliner_zone_matches(MH_TARGET_KERNEL, MH_ZONE_DMA32));
	assert_true(mh_onliner_zone_matches(MH_TARGET_KERNEL, MH_ZONE_DMA));
	assert_false(
		mh_onliner_zone_matches(MH_TARGET_KERNEL, MH_ZONE_MOVABLE));
	assert_false(
		mh_onliner_zone_matches(MH_TARGET_KERNEL, MH_ZONE_UNKNOWN));
}

/* The write goes to memoryN/state under the root, the exact string, and a
 * missing block is ENOENT (classified as gone). */
static void test_write(void **state)
{
	char root[] = "/tmp/memhotd-onliner-XXXXXX";
	char path[512], buf[64] = "";
	struct mh_root r;
	struct mh_write_io io;
	const char *dirs[] = {"sys", "sys/devices", "sys/devices/system",
			      "sys/devices/system/memory",
			      "sys/devices/system/memory/memory40"};
	size_t i;
	FILE *f;
	int err;

	(void)state;
	assert_non_null(mkdtemp(root));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path),
		 "%s/sys/devices/system/memory/memory40/state", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("offline\n", f);
	fclose(f);
	assert_int_equal(mh_root_open(&r, root), 0);

	assert_int_equal(mh_onliner_write(&r, 40, MH_TARGET_MOVABLE), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "online_movable");

	err = mh_onliner_write(&r, 41, MH_TARGET_KERNEL);
	assert_int_equal(err, -ENOENT);
	assert_int_equal(mh_onliner_classify(err, MH_BLOCK_OFFLINE),
			 MH_WRITE_GONE);

	/* The whole sequence: written and classified, nothing re-read. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("offline\n", f);
	fclose(f);
	mh_onliner_write_block(&r, 40, MH_TARGET_KERNEL, &io);
	assert_int_equal(io.err, 0);
	assert_int_equal(io.out, MH_WRITE_SUCCESS);
	assert_false(io.zone_known);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "online_kernel");
	mh_onliner_write_block(&r, 41, MH_TARGET_MOVABLE, &io);
	assert_int_equal(io.err, -ENOENT);
	assert_int_equal(io.out, MH_WRITE_GONE);
	mh_root_close(&r);

	unlink(path);
	for (i = sizeof(dirs) / sizeof(dirs[0]); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		rmdir(path);
	}
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_hwpoison),
		cmocka_unit_test(test_other_errors_fail),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_retry_schedule),
		cmocka_unit_test(test_wait_schedule),
		cmocka_unit_test(test_state_strings),
		cmocka_unit_test(test_zone_matches),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
