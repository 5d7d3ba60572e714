// SPDX-License-Identifier: MIT
/*
 * The shell of memhotd: it wires kernel uevents, the timers (queue, sweep,
 * save), signals and the control socket to the scheduler (sched.h).  Every
 * callback is a few lines; the steps it calls live elsewhere.  The flow:
 *
 *   event        uevent (on_uevent), timer (on_queue_timer, on_sweep,
 *                on_save_timer), signal (on_exit_signal, on_hup), control
 *                request (daemon-control.c)
 *     -> scheduler   mh_sched_added/_offlined/_forget ... (sched.c: WHEN
 *                    and WHICH block; the zone comes from policy.c)
 *     -> action      mh_sched_next: PROBE, CHECK, WRITE, GAVE_UP or WAIT
 *                    (process_queue)
 *     -> I/O         daemon-actions.c reads and writes under the root
 *                    through the sys layer (sysfs.c, onliner-write.c)
 *     -> outcome     outcome.c says what the result means; daemon-actions.c
 *                    records it, decide-log.c logs it
 *     -> scheduler   mh_sched_probed / mh_sched_written / ..., and the next
 *                    action
 *
 * Reading order: constants, status, uevents, the queue, timers,
 * configuration, signals, set-up and teardown.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "memhotd/control.h"
#include "memhotd/daemon.h"
#include "memhotd/log.h"
#include "memhotd/scan.h"
#include "memhotd/sched.h"
#include "memhotd/uevent.h"
#include "memhotd/util.h"

/* Actions per loop iteration before yielding to signals and clients. */
#define MH_BATCH 64
#define MH_SWEEP_USEC (10ULL * 1000 * 1000)
/*
 * The classification file is rewritten at most this long after it changed.
 * With virtio-mem the queue empties after nearly every block, and saving
 * whenever it does cost a tmpfs file create + rename per block.  A restart
 * inside the window loses only the classification of blocks that changed
 * in it: hotplugged blocks, which the classification recognises again
 * anyway (inside virtioN/daxX.Y/"System RAM (driver)", or a DIMM).
 * Hot-added blocks of no device are saved synchronously before their
 * first online write instead (mh_daemon_save_before_write()).  SIGTERM and a
 * rescan still save at once.
 */
#define MH_SAVE_DELAY_USEC (1000ULL * 1000)

/* ---- status ---- */

void mh_daemon_status_line(const struct mh_daemon *d, char *buf, size_t len)
{
	const struct mh_counters *c = &d->counters;
	int n;

	n = snprintf(buf, len,
		     "%s%" PRIu64 " online by memhotd (%" PRIu64
		     " movable), %zu pending, %zu failed",
		     d->dry_run ? "dry run: " : "", c->onlined,
		     c->onlined_movable, d->sched.nr_queued,
		     d->sched.nr_failed);
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
	uint64_t now = mh_now_usec();

	if (d->ready_sent && d->sched.nr_queued > 0 &&
	    now - last_usec < 500 * 1000)
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

/* ---- uevents ---- */

static void on_uevent(void *userdata, enum mh_uevent_action a, uint64_t id)
{
	struct mh_daemon *d = userdata;

	d->counters.uevents++;
	mh_daemon_metrics_kick(d);
	mh_daemon_uevent(d, a, id);
}

static void on_overflow(void *userdata)
{
	struct mh_daemon *d = userdata;

	d->need_rescan = true;
	mh_daemon_kick(d);
}

/* The queue runs from its own timer (mh_daemon_kick arms it for "now"),
 * never from inside a uevent callback. */
static const struct mh_uevent_ops uevent_ops = {
	.event = on_uevent,
	.overflow = on_overflow,
};

/* ---- the queue: the scheduler's actions ---- */

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
				 mh_now_usec() + MH_SAVE_DELAY_USEC);
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
	/* A time in the past: runs on the next loop iteration, right after
	 * the uevents of this wake-up have been handled. */
	d->kick_pending = true;
	arm_queue_timer(d, 1);
}

/*
 * Runs the scheduler's actions one after another (virtio-mem stalls while
 * its offline threshold is reached, so this is plug speed), up to budget
 * (0: no limit), then yields.  Called from the queue timer (and once at
 * start-up), never from inside a uevent callback: the uevents that came in
 * meanwhile are drained here, so every decision sees every add, online
 * and offline so far.
 */
static void process_queue(struct mh_daemon *d, size_t budget)
{
	struct mh_sched_action a = {.kind = MH_SCHED_IDLE};
	size_t done = 0;
	bool yield = false;
	uint64_t now;
	int r;

	d->kick_pending = false;
	for (;;) {
		mh_uevent_drain(d->uevents);
		if (d->need_rescan)
			mh_daemon_rescan(d);
		yield = budget && done >= budget;
		if (yield)
			break;
		if (d->inv.needs_calibration) {
			r = mh_scan_calibrate(&d->root, &d->inv);
			if (r < 0)
				mh_warn("recalibration from proc/zoneinfo: %s",
					strerror(-r));
		}
		now = mh_now_usec();
		/* A reload replaces the configuration: sizes in pages of this
		 * system (doc/policy.md 9). */
		d->config.policy.page_size = MH_PAGE_SIZE;
		mh_sched_next(&d->sched, now, &a);
		if (a.kind == MH_SCHED_IDLE || a.kind == MH_SCHED_WAIT)
			break;
		done++;
		if (a.kind == MH_SCHED_PROBE)
			mh_daemon_probe(d, a.id, now);
		else if (a.kind == MH_SCHED_CHECK)
			mh_daemon_check(d, a.id, now);
		else if (a.kind == MH_SCHED_WRITE)
			mh_daemon_write(d, &a, now);
		else if (a.kind == MH_SCHED_GAVE_UP)
			mh_daemon_gave_up(d, &a);
	}
	mh_daemon_verify_written(d);
	if (yield)
		mh_daemon_kick(d); /* signals and clients first, then go on */
	else if (a.kind == MH_SCHED_WAIT)
		arm_queue_timer(d, a.until);
	else if (d->queue_timer)
		sd_event_source_set_enabled(d->queue_timer, SD_EVENT_OFF);
	if (!yield && d->sched.nr_queued == 0)
		schedule_save(d);
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

static int on_sweep(sd_event_source *s, uint64_t usec, void *ud)
{
	struct mh_daemon *d = ud;
	size_t n;

	mh_uevent_drain(d->uevents);
	if (d->need_rescan)
		mh_daemon_rescan(d);
	/* A dry run's inventory holds simulated onlines: zoneinfo differs. */
	if (!d->inv.needs_calibration && !d->dry_run)
		mh_daemon_calibration_check(d);
	mh_daemon_balloon_update(d, false);
	n = mh_daemon_queue_offline(d);
	if (n)
		mh_info("sweep: %zu offline blocks queued", n);
	/* zoneinfo may have moved without a uevent */
	mh_daemon_metrics_kick(d);
	if (d->sched.nr_queued == 0)
		schedule_save(d);
	sd_event_source_set_time(s, usec + MH_SWEEP_USEC);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

/* ---- configuration ---- */

/* A dry run's simulated onlines are undone, to be decided afresh. */
static int undo_simulated_cb(struct mh_block *b, void *ctx)
{
	struct mh_inventory *inv = ctx;

	if (b->state == MH_BLOCK_ONLINE && b->onlined_by == MH_BY_MEMHOTD) {
		mh_inv_set_offline(inv, b);
		b->has_decision = false;
	}
	return 0;
}

int mh_daemon_reload(struct mh_daemon *d, char *err, size_t err_len)
{
	struct mh_config c;
	char e[1024] = "";
	size_t n;

	if (mh_config_load(d->config_path, d->config_missing_ok, &c, e,
			   sizeof(e)) < 0 ||
	    mh_kernel_reload(d, &c, e, sizeof(e)) < 0) {
		if (err && err_len)
			snprintf(err, err_len, "%s", e);
		mh_err("reload: %s; keeping the previous configuration", e);
		return -EINVAL;
	}
	d->config = c;
	mh_log_config(d, "reloaded");
	/* SIGHUP and memhotctl reload alike: the socket follows [control]. */
	if (d->control)
		mh_control_set_group(d->control, d->config.control_group_set,
				     d->config.control_gid);
	/* The policy may have changed: failed and (in a dry run) decided
	 * blocks get a fresh decision. */
	mh_sched_clear_failed(&d->sched);
	if (d->dry_run)
		mh_inv_for_each_block(&d->inv, undo_simulated_cb, &d->inv);
	n = mh_daemon_queue_offline(d);
	if (n)
		mh_info("reload: %zu offline blocks queued", n);
	mh_daemon_kick(d);
	mh_daemon_metrics_kick(d); /* the path or the limits may change */
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

/* A CLOCK_MONOTONIC timer at when (UINT64_MAX: disarmed).  Accuracy 1 us:
 * a coarser one makes sd-event read the real
 * /proc/sys/kernel/random/boot_id (its wake-up perturbation), outside the
 * root prefix. */
static int add_timer(struct mh_daemon *d, sd_event_source **s, const char *name,
		     uint64_t when, sd_event_time_handler_t h)
{
	int r = sd_event_add_time(d->event, s, CLOCK_MONOTONIC, when, 1, h, d);

	if (r < 0) {
		mh_err("sd_event_add_time(%s): %s", name, strerror(-r));
		return r;
	}
	sd_event_source_set_description(*s, name);
	if (when == UINT64_MAX)
		sd_event_source_set_enabled(*s, SD_EVENT_OFF);
	return 0;
}

int mh_daemon_start(struct mh_daemon *d, const struct mh_daemon_options *o)
{
	char err[1024] = "";
	size_t n;
	sigset_t ss;
	int r;

	memset(d, 0, sizeof(*d));
	d->root.dirfd = -1;
	/* Under systemd, messages and their fields go to the journal. */
	mh_log_set_journal_sender(sd_journal_sendv);
	d->start_usec = mh_now_usec();
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
	if (r < 0)
		return r == -EOPNOTSUPP ? MH_EXIT_CONFIG : 1;

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

	mh_sched_init(&d->sched, &d->inv, &d->config.policy,
		      mh_daemon_detect_throttle(&d->root));
	/* Delegate mode, or auto-onlining left on: added blocks await the
	 * kernel's online first (no lost race against it). */
	mh_sched_set_kernel_onlines(&d->sched,
				    mh_kernel_auto_onlines(&d->kernel));
	mh_daemon_inputs_init(d);
	r = mh_daemon_scan_at_start(d);
	if (r == -EBADMSG)
		return MH_EXIT_ZONEINFO;
	if (r < 0)
		return 1;

	/* The queue and save timers wait disarmed; the sweep runs every
	 * MH_SWEEP_USEC. */
	if (add_timer(d, &d->queue_timer, "queue", UINT64_MAX, on_queue_timer) <
		    0 ||
	    add_timer(d, &d->sweep_timer, "sweep",
		      mh_now_usec() + MH_SWEEP_USEC, on_sweep) < 0 ||
	    add_timer(d, &d->save_timer, "save", UINT64_MAX, on_save_timer) < 0)
		return 1;

	r = mh_daemon_control_start(d);
	if (r < 0)
		mh_warn("control socket: %s; continuing without it",
			strerror(-r));
	r = mh_daemon_metrics_start(d);
	if (r < 0)
		mh_warn("[metrics] timer: %s; no metrics file", strerror(-r));
	mh_daemon_metrics_kick(d);

	/* Coldplug: every offline hotplugged block, ascending. */
	n = mh_daemon_queue_offline(d);
	mh_info("coldplug: %zu offline hotplugged blocks queued", n);
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
	mh_daemon_metrics_flush(d);
	return d->exit_status;
}

void mh_daemon_free(struct mh_daemon *d)
{
	if (d->event)
		mh_daemon_control_stop(d);
	d->queue_timer = sd_event_source_disable_unref(d->queue_timer);
	d->sweep_timer = sd_event_source_disable_unref(d->sweep_timer);
	d->save_timer = sd_event_source_disable_unref(d->save_timer);
	mh_daemon_metrics_stop(d);
	d->sig_term = sd_event_source_disable_unref(d->sig_term);
	d->sig_int = sd_event_source_disable_unref(d->sig_int);
	d->sig_hup = sd_event_source_disable_unref(d->sig_hup);
	mh_uevent_close(d->uevents);
	d->uevents = NULL;
	d->event = sd_event_unref(d->event);
	mh_inv_free(&d->inv);
	mh_kernel_free(&d->kernel);
	mh_root_close(&d->root);
	mh_sched_free(&d->sched);
}
