/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state, shared by the event loop (daemon.c), its steps
 * (daemon-actions.c, daemon-inputs.c, decide-log.c) and the control-socket
 * handlers (daemon-control.c).  struct mh_counters: outcome.h.
 */
#ifndef MEMHOTD_DAEMON_H
#define MEMHOTD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "memhotd/config.h"
#include "memhotd/facts.h"
#include "memhotd/inventory.h"
#include "memhotd/kernel.h"
#include "memhotd/metrics.h"
#include "memhotd/onliner.h"
#include "memhotd/outcome.h"
#include "memhotd/sched.h"
#include "memhotd/sysfs.h"

#define MH_CONTROL_SOCKET "run/memhotd/control"
#define MH_MAX_COMPETITORS 16

struct mh_control;	 /* control.h */
struct mh_uevent_source; /* uevent.h */

struct mh_daemon {
	struct mh_root root;
	char config_path[4096];
	struct mh_config config;
	struct mh_inventory inv;
	struct mh_counters counters;
	struct mh_kernel kernel; /* kernel.c: facts and cooperation */
	sd_event *event;
	struct mh_uevent_source *uevents;
	struct mh_control *control;
	uint64_t start_usec; /* CLOCK_MONOTONIC */
	size_t nr_competitors;
	char competitors[MH_MAX_COMPETITORS][256]; /* one line each */
	bool dry_run;
	bool exiting;

	/* What to write when (sched.h); the control socket reads it. */
	struct mh_sched sched;
	bool config_missing_ok; /* the default path: defaults if absent */
	bool need_rescan;	/* netlink overflow seen */
	bool classification_dirty;
	bool ready_sent;
	int exit_status;
	bool kick_pending;    /* the queue wants a run now */
	uint64_t slow_writes; /* state writes that took > 5 ms */
	/* Written, zone not yet read back (mh_daemon_verify_written()). */
	size_t nr_unverified;
	uint64_t unverified[64];
	sd_event_source *queue_timer, *sweep_timer, *save_timer;
	sd_event_source *sig_term, *sig_int, *sig_hup;
	/* Decision inputs beyond the kernel (facts.h, doc/policy.md 9). */
	struct mh_balloon_state balloon; /* start-up and every sweep */
	bool guard_episode;		 /* the guard fired, not recovered */
	bool guard_unreadable;		 /* zoneinfo failed (warned once) */
	struct mh_metrics_state metrics; /* [metrics] (daemon-metrics.c) */
};

struct mh_daemon_options {
	const char *config_path; /* NULL: MH_DEFAULT_CONFIG, may be missing */
	const char *root;	 /* NULL: "/" */
	bool dry_run;
};

/* Exit status: /proc/zoneinfo inconsistent at start-up (EX_DATAERR). */
#define MH_EXIT_ZONEINFO 65

/*
 * Set-up: config, root, uevent monitor, initial scan, coldplug queue,
 * signals, control socket.  0, or an exit status (MH_EXIT_CONFIG for a bad
 * configuration, MH_EXIT_ZONEINFO for an inconsistent /proc/zoneinfo, 1
 * otherwise); call mh_daemon_free either way.
 */
int mh_daemon_start(struct mh_daemon *d, const struct mh_daemon_options *o);
/* Runs the event loop until SIGTERM/SIGINT; returns the exit status. */
int mh_daemon_run(struct mh_daemon *d);
void mh_daemon_free(struct mh_daemon *d);
/* Full rescan (as after a netlink overflow) and re-queue; 0 or -errno. */
int mh_daemon_rescan(struct mh_daemon *d);
/* Schedule a pass over the queue on the next loop iteration. */
void mh_daemon_kick(struct mh_daemon *d);
/* Queue the offline hotplugged blocks the scheduler wants (not queued, not
 * offlined by someone else, not failed recently), ascending; how many. */
size_t mh_daemon_queue_offline(struct mh_daemon *d);
/* The one-line status (also sent as sd_notify STATUS=). */
void mh_daemon_status_line(const struct mh_daemon *d, char *buf, size_t len);

/* Re-read and apply the configuration (SIGHUP, control "Reload").
 * 0, or -EINVAL with the old configuration kept and err filled. */
int mh_daemon_reload(struct mh_daemon *d, char *err, size_t err_len);

/* The control socket <root>/run/memhotd/control (daemon-control.c):
 * opened at start-up, closed on exit.  0 or -errno. */
int mh_daemon_control_start(struct mh_daemon *d);
void mh_daemon_control_stop(struct mh_daemon *d);
/* The read-only view report.c builds replies from (report.h). */
struct mh_report_view;
void mh_daemon_report_view(const struct mh_daemon *d, struct mh_report_view *v);

/* ---- the steps of the loop (daemon-actions.c) ---- */

/* One memoryN uevent (mh_uevent_judge decides what it means). */
void mh_daemon_uevent(struct mh_daemon *d, enum mh_uevent_action a,
		      uint64_t id);
/* The scheduler's actions (sched.h), each reported back to it. */
void mh_daemon_probe(struct mh_daemon *d, uint64_t id, uint64_t now);
void mh_daemon_check(struct mh_daemon *d, uint64_t id, uint64_t now);
void mh_daemon_write(struct mh_daemon *d, const struct mh_sched_action *a,
		     uint64_t now);
void mh_daemon_gave_up(struct mh_daemon *d, const struct mh_sched_action *a);
/* Reads back the zones of the blocks written since the last call. */
void mh_daemon_verify_written(struct mh_daemon *d);

/* ---- measured inputs (daemon-inputs.c) ---- */

/* The full scan at start-up, its summary and the competing onliners, all
 * logged: 0, -EBADMSG (inconsistent zoneinfo) or another -errno. */
int mh_daemon_scan_at_start(struct mh_daemon *d);
/* [guard] and balloon inputs of the scheduler; the balloon logged. */
void mh_daemon_inputs_init(struct mh_daemon *d);
/* Re-detects the balloon (every sweep); logs a change. */
void mh_daemon_balloon_update(struct mh_daemon *d, bool startup);
/* Once per [guard] episode: dec put a block in a kernel zone. */
void mh_daemon_guard_fired(struct mh_daemon *d, uint64_t id,
			   const struct mh_decision *dec);
/* Recalibrates from proc/zoneinfo, warns if boot memory moved. */
void mh_daemon_calibration_check(struct mh_daemon *d);
/* How the running kernel's virtio-mem throttles (sched.h). */
enum mh_vmem_throttle mh_daemon_detect_throttle(const struct mh_root *root);
/* Saves the classification now if b, a block of no device, needs it. */
void mh_daemon_save_before_write(struct mh_daemon *d, const struct mh_block *b);

/* ---- log lines (decide-log.c) ---- */

/* What a write's line needs besides its verdict. */
struct mh_write_log {
	enum mh_zone zone; /* the zone the write asked for */
	const char *expl;  /* the explanation ("" unless debug) */
	uint64_t delay;	   /* until the retry */
	unsigned int attempts;
};
void mh_log_written(const struct mh_daemon *d, const struct mh_block *b,
		    const struct mh_sched_action *a,
		    const struct mh_write_verdict *v,
		    const struct mh_write_io *io, const struct mh_write_log *w);
void mh_log_gave_up(const struct mh_daemon *d, uint64_t id, int err);
void mh_log_learned(const struct mh_daemon *d, uint64_t id,
		    const struct mh_block *b);
void mh_log_onlined(const struct mh_daemon *d, uint64_t id,
		    const struct mh_block *b, enum mh_online_verdict v,
		    enum mh_zone z);
void mh_log_verified(uint64_t id, enum mh_verify_verdict v, int r,
		     enum mh_zone want, enum mh_zone got);
void mh_log_guard_fired(const struct mh_daemon *d, uint64_t id,
			const struct mh_decision *dec);
void mh_log_guard_recovered(int nid, uint64_t free_bytes, uint64_t min);
void mh_log_balloon(const struct mh_daemon *d, const char *when);
/* "configuration"/"reloaded" FILE: the policy in force. */
void mh_log_config(const struct mh_daemon *d, const char *what);
/* The first competing onliner found at start, for lost-race lines. */
const char *mh_daemon_competitor_hint(const struct mh_daemon *d);

#endif
