/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: decides WHEN and WHICH offline block is written next.
 * Pure: no I/O, no clock reads (every call takes `now`, CLOCK_MONOTONIC
 * microseconds), no logging.  The zone comes from the policy (policy.h)
 * over the inventory (inventory.h); the shell (daemon.c) performs the
 * probes and writes the scheduler asks for and feeds the outcomes back.
 *
 * One record per block the scheduler knows, in one of the states below.
 * A block that was onlined (by anyone) or removed has no record.
 *
 * Rules, as the daemon has always applied them:
 *   - within one device (memory group; "ungrouped" is one more device) the
 *     blocks are written strictly in ascending id order; devices do not
 *     wait for each other; blocks whose device is not known yet (a DIMM
 *     whose links come late) are probed on their own;
 *   - a block is written only once its nodeN link exists and its owning
 *     device is resolved (PROBE actions; waits back off 1 ms .. 100 ms,
 *     the device wait gives up after MH_GROUP_GRACE_USEC: ungrouped);
 *   - EPERM/EBUSY/ENOMEM/EINTR/EAGAIN are retried with back-off (10 ms
 *     doubling to 2 s, 10 attempts), the block keeping its device's turn;
 *   - the virtio-mem write hold (see mh_sched_vmem_thresholds);
 *   - while the kernel onlines hot-added memory itself (auto_online_blocks
 *     not "offline": delegate mode, or left so), an added block first
 *     awaits the kernel's online inside its add (see MH_SCHED_AWAIT_KERNEL);
 *   - failed blocks are retried by the sweep after MH_SCHED_FAILED_RETRY_USEC,
 *     poisoned ones (EHWPOISON) never; a block offlined by someone else is
 *     never onlined again until it is removed and added anew.
 *
 * Memory: a 28-byte record per known block (64 Ki queued blocks: 1.75 MiB)
 * and an id hash at most 3/4 full, both sized for the inventory's offline
 * blocks when they must grow and freed when the last record goes.
 *
 * Cost: enqueue, pick and completion are O(1) (a hash from block id to
 * record, intrusive per-device lists kept sorted by inserting from the
 * tail, which is O(1) for the ascending arrivals the kernel and the scans
 * produce, and a ready list of devices); timers (waits, retries, holds)
 * are a binary min-heap, O(log n) for the few blocks that wait.  Device
 * lookup by address is O(groups).
 */
#ifndef MEMHOTD_SCHED_H
#define MEMHOTD_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/onliner.h"
#include "memhotd/policy.h"

/* A failed block is queued again by the sweep after this long. */
#define MH_SCHED_FAILED_RETRY_USEC (60ULL * 1000 * 1000)
/* The virtio-mem hold ends this long after the device's last add, when it
 * is on (struct mh_sched.hold_quiet_usec).  Off by default: with a minimal
 * writer and with memhotd, holding was slower than writing at once
 * (BENCHMARKS.md, "The userspace floor"). */
#define MH_SCHED_HOLD_QUIET_USEC 5000ULL
#define MH_SCHED_HOLD_QUIET_DEFAULT_USEC 0ULL
/*
 * While the kernel auto-onlines: an added block awaits the kernel until
 * its device has been quiet (no add, no online by someone else) this long,
 * and at most MH_SCHED_KERNEL_GRACE_USEC after its own add; then the shell
 * checks whether the kernel onlined it.
 */
#define MH_SCHED_KERNEL_QUIET_USEC (200ULL * 1000)
#define MH_SCHED_KERNEL_GRACE_USEC (2000ULL * 1000)

enum mh_sched_state {
	MH_SCHED_NONE = 0, /* no record: done, or never queued */
	MH_SCHED_QUEUED,   /* waiting for its turn */
	/* Added while the kernel auto-onlines: the kernel onlines it inside
	 * its add, after the add uevent; memhotd's write would lose that
	 * race (EINVAL).  Ends with its online (mh_sched_onlined) or with a
	 * CHECK after the grace: still offline, memhotd decides it. */
	MH_SCHED_AWAIT_KERNEL,
	MH_SCHED_WAIT_NODE,  /* nodeN link missing */
	MH_SCHED_WAIT_GROUP, /* owning device (DIMM) not bound yet */
	MH_SCHED_HELD,	     /* its virtio-mem device's writes are held */
	MH_SCHED_RETRY,	     /* a retryable error: back-off */
	MH_SCHED_FAILED,     /* given up (until the sweep retries) */
	MH_SCHED_POISONED,   /* EHWPOISON: never again */
	MH_SCHED_OFFLINED,   /* offlined by someone else: left alone */
};
/* "none", "queued", "await-kernel", "wait-node", "wait-group", "held", "retry",
 * "failed", "poisoned", "offlined-by-other" */
const char *mh_sched_state_name(enum mh_sched_state s);

/* How the kernel's virtio-mem driver throttles its adds. */
enum mh_vmem_throttle {
	/* 5.11+: offline_threshold = max(1 GiB, 2 blocks) bytes; the worker
	 * resumes once at most half of it is offline. */
	MH_VMEM_THROTTLE_BYTES = 0,
	/* 5.10: stops at 10 offline blocks, resumes at 9. */
	MH_VMEM_THROTTLE_BLOCKS_5_10,
};
/* "bytes", "blocks-5.10" */
const char *mh_vmem_throttle_name(enum mh_vmem_throttle t);
/* The offline block counts at which the worker stops and resumes. */
void mh_sched_vmem_thresholds(enum mh_vmem_throttle t,
			      uint64_t block_size_bytes, size_t *stop,
			      size_t *resume);

enum mh_sched_action_kind {
	MH_SCHED_IDLE = 0, /* nothing queued */
	MH_SCHED_WAIT,	   /* nothing due before `until` */
	MH_SCHED_PROBE,	   /* find block id's node and device */
	MH_SCHED_WRITE,	   /* write block id to dec.target */
	MH_SCHED_GAVE_UP,  /* block id failed with err (logged by caller) */
	/* Did the kernel online block id (MH_SCHED_AWAIT_KERNEL, grace
	 * over)?  Read its state: online -> mh_sched_onlined, offline ->
	 * mh_sched_still_offline, gone -> mh_sched_forget. */
	MH_SCHED_CHECK,
};

struct mh_sched_action {
	enum mh_sched_action_kind kind;
	uint64_t id;
	uint64_t until;		/* MH_SCHED_WAIT */
	int err;		/* MH_SCHED_GAVE_UP: -errno */
	struct mh_decision dec; /* MH_SCHED_WRITE */
};

enum mh_probe_result {
	MH_PROBE_OK = 0,   /* node and device known now */
	MH_PROBE_NO_NODE,  /* the nodeN link is not there yet */
	MH_PROBE_NO_GROUP, /* the owning device is not bound yet */
};

struct mh_sched_rec; /* sched.c */
struct mh_sched_dev; /* sched.c */
struct mh_sched_timer {
	uint64_t when;
	uint32_t ref; /* record index, or MH_SCHED_DEV_REF | device slot */
};

struct mh_sched {
	struct mh_inventory *inv;
	const struct mh_policy_config *cfg;
	enum mh_vmem_throttle throttle;
	/* Records: a pool with a free list, and id -> index hash. */
	struct mh_sched_rec *recs;
	uint32_t nr_recs, cap_recs, free_rec;
	uint32_t nr_live; /* records in use; 0: the pool is freed */
	uint64_t epoch;	  /* records' times are usec after this */
	uint32_t *hash;	  /* index + 1; 0 empty; power-of-two size */
	size_t hash_cap, hash_used;
	/* Devices: slot 0 ungrouped, slot g + 1 group g. */
	struct mh_sched_dev *devs;
	size_t nr_devs;
	uint32_t ready_head, ready_tail; /* devices with a due head */
	uint32_t probe_head, probe_tail; /* blocks of an unknown device */
	uint32_t check_head, check_tail; /* awaiting the kernel, grace over */
	bool kernel_onlines;		 /* the kernel onlines inside the add */
	uint64_t hold_quiet_usec;	 /* virtio-mem write hold; 0: off */
	struct mh_sched_timer *heap;
	size_t nr_heap, cap_heap;
	struct mh_unit_block *unit_buf; /* for mh_inv_block_request */
	size_t unit_cap;
	size_t nr_queued; /* queued, awaiting, waiting, held, retrying */
	size_t nr_failed; /* failed or poisoned */
	/*
	 * Facts the shell measures for the beyond-the-kernel settings
	 * (doc/policy.md 9), passed into every decision: the balloon state
	 * (NULL: none known), and the [guard]'s measurement of a node's
	 * kernel-zone free memory, asked for just before a decision while
	 * kernel_free_min > 0 (NULL fn, or fn failing: not measured).
	 */
	const struct mh_balloon_facts *balloon;
	int (*guard_fn)(void *ctx, int nid, struct mh_guard_facts *out);
	void *guard_ctx;
};

/* inv and cfg stay owned by the caller and must outlive s. */
void mh_sched_init(struct mh_sched *s, struct mh_inventory *inv,
		   const struct mh_policy_config *cfg,
		   enum mh_vmem_throttle throttle);
void mh_sched_free(struct mh_sched *s);
/* The kernel onlines hot-added blocks itself (auto_online_blocks is not
 * "offline"): added blocks await it first (MH_SCHED_AWAIT_KERNEL). */
void mh_sched_set_kernel_onlines(struct mh_sched *s, bool on);

/* ---- events ---- */

/*
 * Queues offline hotplugged block id if the scheduler wants it: not queued
 * already, not offlined by someone else, not poisoned, not failed less than
 * MH_SCHED_FAILED_RETRY_USEC ago.  1 queued, 0 not, -ENOENT unknown block,
 * -ERANGE id > UINT32_MAX (the kernel's memory block ids are 32-bit: it
 * names memoryN after a u32 device id; the scheduler keeps 32 bits),
 * -ENOMEM.
 */
int mh_sched_enqueue(struct mh_sched *s, uint64_t id, uint64_t now);
/* An add uevent for id (already in the inventory): forgets an old record
 * (failed, offlined), notes the add for the virtio-mem hold, queues it
 * (awaiting the kernel first if it onlines by itself).  As enqueue. */
int mh_sched_added(struct mh_sched *s, uint64_t id, uint64_t now);
/* Someone else onlined id at now.  True if it was queued (a lost race);
 * false for a block that awaited the kernel, which did just that. */
bool mh_sched_onlined(struct mh_sched *s, uint64_t id, uint64_t now);
/* The answer to a CHECK: the kernel left id offline, so memhotd decides
 * it (queued).  0 or -ENOMEM. */
int mh_sched_still_offline(struct mh_sched *s, uint64_t id, uint64_t now);
/* Someone else offlined id: it is left offline.  0, -ERANGE (as enqueue)
 * or -ENOMEM. */
int mh_sched_offlined(struct mh_sched *s, uint64_t id, uint64_t now);
/* Block id is gone (remove uevent, vanished under a write): no record. */
void mh_sched_forget(struct mh_sched *s, uint64_t id);
/* Failed blocks are forgotten (a configuration reload); poisoned ones
 * (EHWPOISON) stay poisoned. */
void mh_sched_clear_failed(struct mh_sched *s);
/*
 * The inventory was rebuilt (rescan): records of blocks that are gone are
 * dropped, queued ones whose block is no longer offline too; the others
 * are filed under their (possibly new) devices.  0 or -ENOMEM.
 */
int mh_sched_rebuild(struct mh_sched *s, uint64_t now);

/* ---- actions and outcomes ---- */

/*
 * What to do next at time now.  For MH_SCHED_PROBE and MH_SCHED_WRITE the
 * caller reports back with mh_sched_probed / mh_sched_written (or forgets
 * the block); until then the same action is returned again.
 */
void mh_sched_next(struct mh_sched *s, uint64_t now, struct mh_sched_action *a);
/* Has block id waited longer than MH_GROUP_GRACE_USEC for its device? */
bool mh_sched_group_grace_over(const struct mh_sched *s, uint64_t id,
			       uint64_t now);
/* The outcome of a PROBE: the inventory holds what was found. */
void mh_sched_probed(struct mh_sched *s, uint64_t id, enum mh_probe_result r,
		     uint64_t now);
/*
 * The outcome of a WRITE (out from mh_onliner_classify; err the write's
 * -errno).  Returns the block's new state: MH_SCHED_NONE (done: onlined,
 * lost race or gone), MH_SCHED_RETRY (*delay set), MH_SCHED_FAILED or
 * MH_SCHED_POISONED.  *attempts: failed writes so far.
 */
enum mh_sched_state mh_sched_written(struct mh_sched *s, uint64_t id,
				     enum mh_write_outcome out, int err,
				     uint64_t now, uint64_t *delay,
				     unsigned int *attempts);

/* ---- queries (control socket, status) ---- */

/* Block id's state; *err (may be NULL): -errno of a failed/poisoned one. */
enum mh_sched_state mh_sched_state_of(const struct mh_sched *s, uint64_t id,
				      int *err);
/* Node/device re-checks of queued block id so far (0 if none). */
unsigned int mh_sched_waits(const struct mh_sched *s, uint64_t id);
/* Bytes the scheduler has allocated (records, hash, devices, timers). */
size_t mh_sched_footprint(const struct mh_sched *s);
/* Queued, awaiting the kernel, waiting, held or retrying: on its way to
 * be written (or to be found onlined by the kernel). */
static inline bool mh_sched_is_pending(enum mh_sched_state st)
{
	return st >= MH_SCHED_QUEUED && st <= MH_SCHED_RETRY;
}

#endif
