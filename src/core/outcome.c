// SPDX-License-Identifier: MIT
/* What the daemon's events and I/O results mean (outcome.h); pure. */
#include <errno.h>

#include "memhotd/outcome.h"

const char *mh_uevent_verdict_name(enum mh_uevent_verdict v)
{
	switch (v) {
	case MH_UV_IGNORE:
		return "ignore";
	case MH_UV_SCAN_ADDED:
		return "scan-added";
	case MH_UV_LEARN:
		return "learn";
	case MH_UV_READ_ZONE:
		return "read-zone";
	case MH_UV_OFFLINED:
		return "offlined";
	case MH_UV_FORGET:
		return "forget";
	}
	return "unknown";
}

enum mh_uevent_verdict mh_uevent_judge(enum mh_uevent_action a, bool known,
				       enum mh_block_state st,
				       enum mh_sched_state ss)
{
	switch (a) {
	case MH_UEVENT_ADD:
		return MH_UV_SCAN_ADDED;
	case MH_UEVENT_ONLINE:
		if (!known)
			return MH_UV_LEARN;
		/* Online already: the echo of our own write, or a duplicate. */
		return st == MH_BLOCK_ONLINE ? MH_UV_IGNORE : MH_UV_READ_ZONE;
	case MH_UEVENT_OFFLINE:
		/* Never answered by onlining (removal, or the kernel's own
		 * rollback). */
		return known && st != MH_BLOCK_OFFLINE ? MH_UV_OFFLINED
						       : MH_UV_IGNORE;
	case MH_UEVENT_REMOVE:
		return known || ss != MH_SCHED_NONE ? MH_UV_FORGET
						    : MH_UV_IGNORE;
	case MH_UEVENT_OTHER:
		break;
	}
	return MH_UV_IGNORE;
}

enum mh_online_verdict mh_online_judge(bool lost_race, enum mh_sched_state was)
{
	if (lost_race)
		return MH_ONLINE_LOST_RACE;
	return was == MH_SCHED_AWAIT_KERNEL ? MH_ONLINE_AWAITED
					    : MH_ONLINE_FOREIGN;
}

enum mh_node_verdict mh_node_judge(int r)
{
	if (r == 0)
		return MH_NODE_FOUND;
	return r == -ENODEV ? MH_NODE_GONE : MH_NODE_MISSING;
}

enum mh_group_verdict mh_group_judge(int r, bool resolved, bool grace_over)
{
	if (r == -EAGAIN)
		return grace_over ? MH_GROUP_LATE : MH_GROUP_WAIT;
	if (r < 0)
		return MH_GROUP_UNRESOLVABLE;
	return resolved ? MH_GROUP_FOUND : MH_GROUP_UNGROUPED;
}

enum mh_check_verdict mh_check_judge(int r, enum mh_block_state st)
{
	if (r == -ENOENT || r == -ENODEV)
		return MH_CHECK_GONE;
	return r == 0 && st == MH_BLOCK_ONLINE ? MH_CHECK_ONLINE
					       : MH_CHECK_OFFLINE;
}

void mh_write_judge(const struct mh_write_facts *in, struct mh_write_verdict *v)
{
	*v = (struct mh_write_verdict){.note = MH_WN_FAILED};
	switch (in->out) {
	case MH_WRITE_SUCCESS:
		v->note = in->dry_run ? MH_WN_WOULD : MH_WN_ONLINED;
		v->set_online = true;
		v->count_online = true;
		v->verify = !in->dry_run;
		return;
	case MH_WRITE_LOST_RACE:
		v->note =
			in->zone_known ? MH_WN_LOST_RACE_ZONE : MH_WN_LOST_RACE;
		v->set_other = in->zone_known;
		v->count_lost_race = true;
		return;
	case MH_WRITE_GONE:
		/* Its device's other blocks are decided afresh, with the
		 * statistics without it. */
		v->note = MH_WN_GONE;
		v->forget = true;
		v->count_vanished = true;
		return;
	case MH_WRITE_RETRY:
	case MH_WRITE_HWPOISON:
	case MH_WRITE_FAILED:
		v->record_attempt = true;
		if (in->next == MH_SCHED_RETRY) {
			v->note = MH_WN_RETRY;
			v->count_retry = true;
			return;
		}
		v->count_failed = true;
		if (in->out == MH_WRITE_RETRY)
			v->note = MH_WN_GAVE_UP;
		else if (in->out == MH_WRITE_HWPOISON)
			v->note = MH_WN_HWPOISON;
		else if (in->err == -EINVAL || in->err == EINVAL)
			v->note = MH_WN_REFUSED;
		else
			v->note = MH_WN_FAILED;
		return;
	}
}

void mh_counters_written(struct mh_counters *c,
			 const struct mh_write_verdict *v, uint64_t id,
			 enum mh_zone z)
{
	if (v->count_online) {
		c->onlined++;
		if (z == MH_ZONE_MOVABLE)
			c->onlined_movable++;
		else
			c->onlined_kernel++;
		c->last_block = id;
		c->last_zone = z;
		c->has_last = true;
	}
	c->lost_races += v->count_lost_race;
	c->vanished += v->count_vanished;
	c->retried += v->count_retry;
	c->failed += v->count_failed;
}

enum mh_verify_verdict mh_verify_judge(int r, enum mh_zone want,
				       enum mh_zone got)
{
	if (r == -ENOENT || r == -ENODEV)
		return MH_VERIFY_GONE;
	if (r < 0)
		return MH_VERIFY_UNREADABLE;
	if (got == want)
		return MH_VERIFY_OK;
	/* online_kernel: DMA32 or Normal, the kernel's pick */
	if (want != MH_ZONE_MOVABLE && got != MH_ZONE_MOVABLE)
		return MH_VERIFY_KERNEL_PICK;
	return MH_VERIFY_MISMATCH;
}

void mh_counters_verified(struct mh_counters *c, enum mh_verify_verdict v,
			  uint64_t id, enum mh_zone want, enum mh_zone got)
{
	if (v != MH_VERIFY_KERNEL_PICK && v != MH_VERIFY_MISMATCH)
		return;
	if (v == MH_VERIFY_MISMATCH) {
		c->zone_mismatch++;
		if (want == MH_ZONE_MOVABLE && c->onlined_movable > 0) {
			c->onlined_movable--;
			c->onlined_kernel++;
		} else if (got == MH_ZONE_MOVABLE && c->onlined_kernel > 0) {
			c->onlined_kernel--;
			c->onlined_movable++;
		}
	}
	if (c->has_last && c->last_block == id)
		c->last_zone = got;
}

enum mh_carry_verdict mh_carry_judge(const struct mh_carry_facts *f)
{
	bool was_on = f->old_state == MH_BLOCK_ONLINE;
	bool is_on = f->new_state == MH_BLOCK_ONLINE;

	if (f->dry_run && was_on && f->old_by == MH_BY_MEMHOTD &&
	    f->new_state == MH_BLOCK_OFFLINE)
		return MH_CARRY_SIMULATED;
	if (was_on && is_on && f->old_zone == f->new_zone)
		return MH_CARRY_ONLINED_BY;
	if (!was_on && is_on)
		return MH_CARRY_MISSED_ONLINE;
	if (was_on && f->new_state == MH_BLOCK_OFFLINE)
		return MH_CARRY_MISSED_OFFLINE;
	return MH_CARRY_NOTHING;
}
