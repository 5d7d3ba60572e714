/* SPDX-License-Identifier: MIT */
/*
 * What the daemon's events and I/O results mean (outcome.c): plain facts
 * in, a verdict out, no I/O, no clock.  The shell (daemon.c) and its action
 * files read the facts under the root (sys layer), ask here what they
 * mean, tell the scheduler (sched.h), and record and log the verdict.
 *
 *   uevent      -> mh_uevent_judge, then mh_online_judge for an online
 *   PROBE       -> mh_node_judge, mh_group_judge
 *   CHECK       -> mh_check_judge
 *   WRITE       -> mh_onliner_classify (onliner.h), mh_write_judge,
 *                  mh_counters_written
 *   read-back   -> mh_verify_judge, mh_counters_verified
 *   rescan      -> mh_carry_judge (old record, new scan)
 */
#ifndef MEMHOTD_OUTCOME_H
#define MEMHOTD_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/onliner.h"
#include "memhotd/sched.h"

/* ---- the daemon's counters (memhotctl status, STATUS=) ---- */

struct mh_counters {
	uint64_t onlined; /* writes of ours that succeeded */
	uint64_t onlined_movable;
	uint64_t onlined_kernel;
	uint64_t failed;	/* gave up (EHWPOISON, EINVAL, retries spent) */
	uint64_t retried;	/* EPERM/EBUSY/ENOMEM retries scheduled */
	uint64_t lost_races;	/* someone else onlined first */
	uint64_t vanished;	/* ENOENT/ENODEV: removed under us */
	uint64_t zone_mismatch; /* verified zone differed from the decision */
	uint64_t rescans;	/* full rescans (netlink overflow, sweeps) */
	uint64_t uevents;
	uint64_t last_block; /* last block onlined by us */
	enum mh_zone last_zone;
	bool has_last;
};

/* ---- uevents ---- */

enum mh_uevent_action {
	MH_UEVENT_OTHER = 0,
	MH_UEVENT_ADD,
	MH_UEVENT_REMOVE,
	MH_UEVENT_ONLINE,
	MH_UEVENT_OFFLINE,
};

enum mh_uevent_verdict {
	MH_UV_IGNORE = 0, /* nothing to do */
	MH_UV_SCAN_ADDED, /* add: read the new block into the inventory */
	/* online of a block the inventory does not know (its add was
	 * missed): read it in, and if online record it as someone else's */
	MH_UV_LEARN,
	/* online of a known offline block: read its zone, record it as
	 * someone else's, tell the scheduler, then mh_online_judge */
	MH_UV_READ_ZONE,
	MH_UV_OFFLINED, /* offline of an online block: leave it offline */
	MH_UV_FORGET,	/* remove of a block known to inventory or scheduler */
};
/* "ignore", "scan-added", "learn", "read-zone", "offlined", "forget" */
const char *mh_uevent_verdict_name(enum mh_uevent_verdict v);

/*
 * Uevent a for a block: known (in the inventory) with state st, and its
 * scheduler state ss (MH_SCHED_NONE: no record).
 */
enum mh_uevent_verdict mh_uevent_judge(enum mh_uevent_action a, bool known,
				       enum mh_block_state st,
				       enum mh_sched_state ss);

/* Who put a known offline block online (MH_UV_READ_ZONE). */
enum mh_online_verdict {
	MH_ONLINE_LOST_RACE, /* memhotd meant to write it: lost a race */
	MH_ONLINE_AWAITED,   /* the kernel's auto-online, as awaited */
	MH_ONLINE_FOREIGN,   /* someone else, e.g. a failed offline undone */
};
/*
 * lost_race: mh_sched_onlined's answer; was: the scheduler state before
 * the online.
 */
enum mh_online_verdict mh_online_judge(bool lost_race, enum mh_sched_state was);

/* ---- PROBE and CHECK ---- */

enum mh_node_verdict {
	MH_NODE_FOUND,	 /* r == 0: record the node */
	MH_NODE_GONE,	 /* -ENODEV: the block is gone, forget it */
	MH_NODE_MISSING, /* anything else: wait for the nodeN link */
};
/* r: the node-hint read (0 or -errno). */
enum mh_node_verdict mh_node_judge(int r);

enum mh_group_verdict {
	MH_GROUP_FOUND,	       /* resolved (or r == 0): go on */
	MH_GROUP_WAIT,	       /* -EAGAIN inside the grace: wait */
	MH_GROUP_UNGROUPED,    /* r == 0 but none resolved: ungrouped */
	MH_GROUP_LATE,	       /* -EAGAIN after the grace: ungrouped, warn */
	MH_GROUP_UNRESOLVABLE, /* another error: ungrouped, warn */
};
/*
 * r: the owning-device resolution (0 or -errno); resolved: the block's
 * group is known afterwards; grace_over: mh_sched_group_grace_over.
 */
enum mh_group_verdict mh_group_judge(int r, bool resolved, bool grace_over);

enum mh_check_verdict {
	MH_CHECK_GONE,	  /* the state file vanished: forget the block */
	MH_CHECK_ONLINE,  /* the kernel onlined it: as an online uevent */
	MH_CHECK_OFFLINE, /* still offline (or unreadable): memhotd decides */
};
/* r: the state read (0 or -errno), st: the state read. */
enum mh_check_verdict mh_check_judge(int r, enum mh_block_state st);

/* ---- WRITE ---- */

/* Which line the daemon logs for a write (decide-log.c words it). */
enum mh_write_note {
	MH_WN_ONLINED,	      /* written, zone read back later */
	MH_WN_WOULD,	      /* dry run: would write */
	MH_WN_LOST_RACE_ZONE, /* lost a race, the winner's zone known */
	MH_WN_LOST_RACE,      /* lost a race, zone unknown */
	MH_WN_GONE,	      /* removed while onlining */
	MH_WN_RETRY,	      /* retry scheduled */
	MH_WN_GAVE_UP,	      /* retryable error, attempts spent */
	MH_WN_HWPOISON,	      /* EHWPOISON: left offline */
	MH_WN_REFUSED,	      /* EINVAL on a still offline block */
	MH_WN_FAILED,	      /* any other errno */
};

struct mh_write_facts {
	enum mh_write_outcome out; /* mh_onliner_classify */
	int err;		   /* the write's 0/-errno */
	bool zone_known;	   /* lost race: the winner's zone was read */
	enum mh_sched_state next;  /* mh_sched_written's answer */
	bool dry_run;
};

struct mh_write_verdict {
	enum mh_write_note note;
	/* inventory: online by memhotd in the decided zone, the decision
	 * recorded, attempts and last errno cleared */
	bool set_online;
	/* inventory: online by someone else in the zone read */
	bool set_other;
	bool record_attempt; /* inventory: attempts and last errno */
	bool forget;	     /* the block is gone: forget it everywhere */
	bool verify;	     /* read its zone back once no write is ready */
	/* counters and metrics */
	bool count_online, count_lost_race, count_vanished, count_retry,
		count_failed;
};
void mh_write_judge(const struct mh_write_facts *in,
		    struct mh_write_verdict *v);

/* The verdict's counts (z: the zone of a successful write). */
void mh_counters_written(struct mh_counters *c,
			 const struct mh_write_verdict *v, uint64_t id,
			 enum mh_zone z);

/* ---- reading back the zone of a written block ---- */

enum mh_verify_verdict {
	MH_VERIFY_OK,	       /* the zone asked for */
	MH_VERIFY_KERNEL_PICK, /* online_kernel gave DMA32/Normal: record it */
	MH_VERIFY_MISMATCH,    /* the kernel put it elsewhere: warn, correct */
	MH_VERIFY_GONE,	       /* -ENOENT/-ENODEV: removed meanwhile */
	MH_VERIFY_UNREADABLE,  /* another read error: warn */
};
/* r: the valid_zones read (0 or -errno); want: the zone recorded at the
 * write; got: the zone read. */
enum mh_verify_verdict mh_verify_judge(int r, enum mh_zone want,
				       enum mh_zone got);
/* Counts a KERNEL_PICK or MISMATCH verdict of block id. */
void mh_counters_verified(struct mh_counters *c, enum mh_verify_verdict v,
			  uint64_t id, enum mh_zone want, enum mh_zone got);

/* ---- rescan: a block's old record against its new scan ---- */

enum mh_carry_verdict {
	MH_CARRY_NOTHING,	 /* the scan's state stands */
	MH_CARRY_SIMULATED,	 /* dry run: keep its simulated online */
	MH_CARRY_ONLINED_BY,	 /* same zone, still online: keep who did it */
	MH_CARRY_MISSED_ONLINE,	 /* online now, was not: someone else's */
	MH_CARRY_MISSED_OFFLINE, /* offline now, was online: left offline */
};
struct mh_carry_facts {
	enum mh_block_state old_state, new_state;
	enum mh_zone old_zone, new_zone;
	enum mh_onliner old_by;
	bool dry_run;
};
enum mh_carry_verdict mh_carry_judge(const struct mh_carry_facts *f);

#endif
