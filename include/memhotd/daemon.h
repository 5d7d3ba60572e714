/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state, shared by the event loop (daemon.c), the onliner and
 * the control-socket handlers (daemon-control.c).
 */
#ifndef MEMHOTD_DAEMON_H
#define MEMHOTD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "memhotd/config.h"
#include "memhotd/inventory.h"
#include "memhotd/kernel.h"
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

/* A block waiting to be onlined (daemon.c's queue). */
enum mh_pending_state {
	MH_PENDING_QUEUED = 0, /* to be decided as soon as its turn comes */
	MH_PENDING_WAIT_NODE,  /* nodeN link missing (spec 6.2, 7.9) */
	MH_PENDING_WAIT_GROUP, /* owning DIMM not bound yet (spec 7.11) */
	MH_PENDING_RETRY,      /* EPERM/EBUSY/ENOMEM: back-off */
};
/* "queued", "wait-node", "wait-group", "retry" */
const char *mh_pending_state_name(enum mh_pending_state s);

struct mh_pending {
	uint64_t id;  /* memoryN */
	uint64_t seq; /* arrival order: decided in this order */
	enum mh_pending_state state;
	uint64_t queued_usec; /* CLOCK_MONOTONIC */
	uint64_t next_usec;   /* not before this (waits and retries) */
	unsigned int waits;   /* node/group re-checks so far */
};

/* A block memhotd gave up on (until the next sweep retries it). */
struct mh_failed {
	uint64_t id;
	int err;	  /* errno of the last write */
	uint64_t at_usec; /* CLOCK_MONOTONIC */
};

/*
 * A virtio-mem device's add worker: memhotd holds its writes for the device
 * while the worker is adding (spec 7.7; daemon.c, "hold").
 */
struct mh_vmem_hold {
	uint64_t last_add_usec; /* last add uevent of the device */
	uint64_t restart_usec;	/* our write that restarted the worker */
	bool draining;		/* the worker stopped: write down to half */
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
	size_t nr_pending;   /* offline blocks waiting to be onlined */
	size_t nr_competitors;
	char competitors[MH_MAX_COMPETITORS][256]; /* one line each */
	bool dry_run;
	bool exiting;

	/* daemon.c private state, readable by the control socket. */
	struct mh_pending *pending; /* nr_pending entries, in seq order */
	size_t cap_pending;
	uint64_t next_seq;
	struct mh_failed *failed; /* ascending id */
	size_t nr_failed, cap_failed;
	uint64_t *user_offlined; /* offlined by others: not re-onlined */
	size_t nr_user_offlined, cap_user_offlined;
	bool config_missing_ok; /* the default path: defaults if absent */
	bool need_rescan;	/* netlink overflow seen */
	bool classification_dirty;
	bool ready_sent;
	int exit_status;
	bool kick_pending; /* the queue wants a run now */
	struct mh_unit_block *unit_buf;
	size_t unit_cap;
	uint64_t *key_buf; /* pick_next: lowest queued id per device */
	size_t key_cap;
	size_t *count_buf; /* pick_next: queued blocks per device */
	size_t count_cap;
	/* Per group index: virtio-mem burst tracking (daemon.c, "hold"). */
	struct mh_vmem_hold *holds;
	size_t nr_holds, cap_holds;
	uint64_t hold_until;  /* earliest end of a hold; UINT64_MAX: none */
	uint64_t slow_writes; /* state writes that took > 5 ms */
	sd_event_source *queue_timer, *sweep_timer, *save_timer;
	sd_event_source *sig_term, *sig_int, *sig_hup;
};

struct mh_daemon_options {
	const char *config_path; /* NULL: MH_DEFAULT_CONFIG, may be missing */
	const char *root;	 /* NULL: "/" */
	bool dry_run;
};

/*
 * Set-up: config, root, uevent monitor, initial scan, coldplug queue,
 * signals, control socket.  0, or an exit status (MH_EXIT_CONFIG for a bad
 * configuration, 1 otherwise); call mh_daemon_free either way.
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
