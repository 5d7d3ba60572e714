/* SPDX-License-Identifier: MIT */
/*
 * Writing a block's state and judging the result (doc/errno.md).
 * The classification and the back-off schedules are pure; only
 * mh_onliner_write does I/O.
 */
#ifndef MEMHOTD_ONLINER_H
#define MEMHOTD_ONLINER_H

#include <stdbool.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/policy.h"
#include "memhotd/sysfs.h"

enum mh_write_outcome {
	MH_WRITE_SUCCESS = 0, /* onlined as asked */
	MH_WRITE_LOST_RACE,   /* EINVAL and the block is online: someone else */
	MH_WRITE_GONE,	      /* ENOENT/ENODEV: the block was removed */
	MH_WRITE_RETRY,	      /* EPERM/EBUSY/ENOMEM/EINTR/EAGAIN: try later */
	MH_WRITE_HWPOISON,    /* EHWPOISON: leave offline, report */
	MH_WRITE_FAILED, /* EINVAL on a still offline block, anything else */
};
/* "success", "lost-race", "gone", "retry", "hwpoison", "failed" */
const char *mh_write_outcome_name(enum mh_write_outcome o);

/*
 * err: the write's errno (0 = success; a negative -errno is accepted too).
 * state_after: the block's state re-read after a failed write; it only
 * matters for EINVAL (online or going-offline: someone else won).
 */
enum mh_write_outcome mh_onliner_classify(int err,
					  enum mh_block_state state_after);

/* "online_movable" / "online_kernel": never plain "online". */
const char *mh_onliner_state_string(enum mh_target t);

/* The zone a successful write of t is expected to give (Normal for kernel:
 * the DMA zones only matter below 4 GiB, doc/policy.md 3.7). */
bool mh_onliner_zone_matches(enum mh_target t, enum mh_zone z);

/* One open+write of the state string to memoryN/state; 0 or -errno. */
int mh_onliner_write(const struct mh_root *r, uint64_t id, enum mh_target t);

/* What a block's state write found (mh_onliner_write_block). */
struct mh_write_io {
	int err; /* the write's 0/-errno (-ENOENT if gone) */
	enum mh_block_state state_after; /* re-read after EINVAL */
	enum mh_write_outcome out;	 /* mh_onliner_classify */
	bool zone_known;		 /* lost race: the winner's zone read */
	enum mh_zone zone;
	uint64_t usec; /* how long the write itself took */
};
/*
 * The I/O sequence of one write: the state write; after EINVAL the state
 * re-read (a vanished state file is -ENOENT); the outcome classified; after
 * a lost race the zone someone else chose.  The result is in io.
 */
void mh_onliner_write_block(const struct mh_root *r, uint64_t id,
			    enum mh_target t, struct mh_write_io *io);

/* Retries of EPERM/EBUSY/ENOMEM: 10 ms doubling to 2 s, 10 attempts. */
#define MH_RETRY_FIRST_USEC 10000ULL
#define MH_RETRY_MAX_USEC 2000000ULL
#define MH_RETRY_MAX_ATTEMPTS 10U
/* Delay before retry number attempt (1-based; 0 is treated as 1). */
uint64_t mh_onliner_retry_delay_usec(unsigned int attempt);
/* After attempts failed writes, is another one allowed? */
bool mh_onliner_may_retry(unsigned int attempts);

/* Waiting for the nodeN link / the owning device: 1 ms doubling to 100 ms. */
#define MH_WAIT_FIRST_USEC 1000ULL
#define MH_WAIT_MAX_USEC 100000ULL
/* A DIMM's links come late (doc/inputs.md 6.2): after this, treat as
 * ungrouped. */
#define MH_GROUP_GRACE_USEC 2000000ULL
/* Delay before re-check number n (1-based; 0 is treated as 1). */
uint64_t mh_onliner_wait_delay_usec(unsigned int n);

#endif
