// SPDX-License-Identifier: MIT
/*
 * The daemon's log lines for blocks: one per verdict of outcome.h (a write,
 * an online by someone else, a zone read back), the [guard] and balloon
 * lines, the configuration in force.  Only words and journal fields; what is
 * recorded is decided in outcome.c and applied in daemon-actions.c.
 */
#include <inttypes.h>
#include <string.h>

#include "memhotd/daemon.h"
#include "memhotd/format.h"
#include "memhotd/journal.h"
#include "memhotd/log.h"

void mh_log_config(const struct mh_daemon *d, const char *what)
{
	const struct mh_policy_config *p = &d->config.policy;

	mh_info("%s %s: policy %s, ratio %u%%, numa_aware %s%s", what,
		d->config_path, mh_policy_name(p->policy), p->ratio,
		p->numa_aware ? "yes" : "no", d->dry_run ? " (dry run)" : "");
}

const char *mh_daemon_competitor_hint(const struct mh_daemon *d)
{
	return d->nr_competitors ? d->competitors[0]
				 : "no competing onliner detected at start";
}

void mh_log_written(const struct mh_daemon *d, const struct mh_block *b,
		    const struct mh_sched_action *a,
		    const struct mh_write_verdict *v,
		    const struct mh_write_io *io, const struct mh_write_log *w)
{
	const struct mh_decision *dec = &a->dec;
	const char *what = mh_onliner_state_string(dec->target);
	const char *err = strerror(-io->err);
	uint64_t id = a->id;
	struct mh_log_fields f;
	char why[256];

	switch (v->note) {
	case MH_WN_WOULD:
	case MH_WN_ONLINED:
		/* One short line at info, the numbers at debug (and in
		 * memhotctl explain). */
		mh_decision_summary(dec, MH_PAGE_SIZE, why, sizeof(why));
		mh_block_fields(&d->inv, id, b, MH_EV_DECISION,
				mh_zone_name(w->zone), dec, &f);
		if (v->note == MH_WN_WOULD) {
			mh_log_ev(LOG_INFO, &f,
				  "memory%" PRIu64
				  ": would write %s (dry run: %s)",
				  id, what, why);
			mh_debug("memory%" PRIu64 ": would write %s: %s", id,
				 what, w->expl);
		} else {
			mh_log_ev(LOG_INFO, &f, "memory%" PRIu64 ": %s (%s)",
				  id, what, why);
			mh_debug("memory%" PRIu64 ": %s ok; %s", id, what,
				 w->expl);
		}
		return;
	case MH_WN_LOST_RACE_ZONE:
		mh_block_fields(&d->inv, id, b, MH_EV_LOST_RACE,
				mh_zone_name(io->zone), dec, &f);
		mh_log_ev(LOG_WARNING, &f,
			  "memory%" PRIu64 ": lost a race: already online in "
			  "%s, put there by someone else (memhotd wanted %s; "
			  "%s)",
			  id, mh_zone_name(io->zone), what,
			  mh_daemon_competitor_hint(d));
		return;
	case MH_WN_LOST_RACE:
		mh_block_fields(&d->inv, id, b, MH_EV_LOST_RACE, NULL, dec, &f);
		mh_log_ev(LOG_WARNING, &f,
			  "memory%" PRIu64 ": lost a race: onlined by someone "
			  "else (memhotd wanted %s; %s)",
			  id, what, mh_daemon_competitor_hint(d));
		return;
	case MH_WN_GONE:
		mh_info("memory%" PRIu64 ": removed while onlining (%s)", id,
			err);
		return;
	case MH_WN_RETRY:
		mh_info("memory%" PRIu64 ": %s: %s; retry %u in %" PRIu64 " ms",
			id, what, err, w->attempts, w->delay / 1000);
		return;
	case MH_WN_GAVE_UP:
	case MH_WN_HWPOISON:
	case MH_WN_REFUSED:
	case MH_WN_FAILED:
		break;
	}
	mh_block_fields(&d->inv, id, b, MH_EV_FAILURE, NULL, dec, &f);
	if (v->note == MH_WN_GAVE_UP)
		mh_log_ev(LOG_ERR, &f,
			  "memory%" PRIu64 ": %s: %s; giving up after %u "
			  "attempts",
			  id, what, err, w->attempts);
	else if (v->note == MH_WN_HWPOISON)
		mh_log_ev(LOG_ERR, &f,
			  "memory%" PRIu64 ": %s: hardware-poisoned pages "
			  "(EHWPOISON); left offline",
			  id, what);
	else if (v->note == MH_WN_REFUSED)
		mh_log_ev(LOG_ERR, &f,
			  "memory%" PRIu64
			  ": %s refused (EINVAL), block still %s",
			  id, what, mh_block_state_name(io->state_after));
	else
		mh_log_ev(LOG_ERR, &f, "memory%" PRIu64 ": %s failed: %s", id,
			  what, err);
}

void mh_log_gave_up(const struct mh_daemon *d, uint64_t id, int err)
{
	struct mh_log_fields f;

	mh_block_fields(&d->inv, id, mh_inv_block(&d->inv, id), MH_EV_FAILURE,
			NULL, NULL, &f);
	mh_log_ev(LOG_ERR, &f,
		  "memory%" PRIu64 ": cannot build the request: %s", id,
		  strerror(-err));
}

void mh_log_learned(const struct mh_daemon *d, uint64_t id,
		    const struct mh_block *b)
{
	struct mh_log_fields f;

	mh_block_fields(&d->inv, id, b, MH_EV_ONLINED, mh_zone_name(b->zone),
			NULL, &f);
	mh_log_ev(LOG_INFO, &f,
		  "memory%" PRIu64 ": onlined to %s by someone else (block "
		  "unknown before)",
		  id, mh_zone_name(b->zone));
}

/* One row per verdict: which event, at which level, and who onlined. */
static const struct {
	int ev;
	int prio;
	const char *who;
} onlined_log[] = {
	[MH_ONLINE_LOST_RACE] = {MH_EV_LOST_RACE, LOG_WARNING,
				 "by someone else before memhotd"},
	[MH_ONLINE_AWAITED] = {MH_EV_ONLINED, LOG_DEBUG,
			       "by the kernel inside its add, as awaited"},
	[MH_ONLINE_FOREIGN] = {MH_EV_ONLINED, LOG_INFO,
			       "by someone else (e.g. the kernel undoing a "
			       "failed offline)"},
};

void mh_log_onlined(const struct mh_daemon *d, uint64_t id,
		    const struct mh_block *b, enum mh_online_verdict v,
		    enum mh_zone z)
{
	bool race = v == MH_ONLINE_LOST_RACE;
	struct mh_log_fields f;

	mh_block_fields(&d->inv, id, b, onlined_log[v].ev, mh_zone_name(z),
			NULL, &f);
	mh_log_ev(onlined_log[v].prio, &f,
		  "memory%" PRIu64 ": onlined to %s %s%s%s%s", id,
		  mh_zone_name(z), onlined_log[v].who, race ? " (" : "",
		  race ? mh_daemon_competitor_hint(d) : "", race ? ")" : "");
}

void mh_log_verified(uint64_t id, enum mh_verify_verdict v, int r,
		     enum mh_zone want, enum mh_zone got)
{
	if (v == MH_VERIFY_UNREADABLE)
		mh_warn("memory%" PRIu64 ": cannot verify its zone: %s", id,
			strerror(-r));
	else if (v == MH_VERIFY_MISMATCH)
		mh_warn("memory%" PRIu64 ": %s gave zone %s", id,
			mh_onliner_state_string(want == MH_ZONE_MOVABLE
							? MH_TARGET_MOVABLE
							: MH_TARGET_KERNEL),
			mh_zone_name(got));
}

/* ---- decision inputs beyond the kernel (doc/policy.md 9) ---- */

void mh_log_guard_fired(const struct mh_daemon *d, uint64_t id,
			const struct mh_decision *dec)
{
	struct mh_log_fields f;
	char a[32], b[32];

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

void mh_log_guard_recovered(int nid, uint64_t free_bytes, uint64_t min)
{
	char a[32], b[32];

	mh_format_size(free_bytes, a, sizeof(a));
	mh_format_size(min, b, sizeof(b));
	mh_info("[guard] node%d: kernel-zone free memory %s is back at or "
		"above kernel_free_min %s",
		nid, a, b);
}

void mh_log_balloon(const struct mh_daemon *d, const char *when)
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
