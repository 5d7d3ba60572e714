/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state, shared by the event loop (daemon.c) and the
 * control-socket handlers (daemon-control.c).
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
#include "memhotd/sched.h"
#include "memhotd/sysfs.h"

#define MH_CONTROL_SOCKET "run/memhotd/control"
#define MH_MAX_COMPETITORS 16

struct mh_control;	 /* control.h */
struct mh_uevent_source; /* uevent.h */

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
/* The one-line status (also sent as sd_notify STATUS=). */
void mh_daemon_status_line(const struct mh_daemon *d, char *buf, size_t len);

/* Re-read and apply the configuration (SIGHUP, control "Reload").
 * 0, or -1 with the old configuration kept and err filled. */
int mh_daemon_reload(struct mh_daemon *d, char *err, size_t err_len);

/* The control socket <root>/run/memhotd/control (daemon-control.c):
 * opened at start-up, closed on exit.  0 or -errno. */
int mh_daemon_control_start(struct mh_daemon *d);
void mh_daemon_control_stop(struct mh_daemon *d);

#endif
