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
#include "memhotd/sysfs.h"

#define MH_CONTROL_SOCKET "run/memhotd/control"
#define MH_MAX_COMPETITORS 16

struct mh_control; /* control.h */
struct mh_uevent_source; /* uevent.h */

struct mh_counters {
	uint64_t onlined;         /* writes of ours that succeeded */
	uint64_t onlined_movable;
	uint64_t onlined_kernel;
	uint64_t failed;          /* gave up (EHWPOISON, EINVAL, retries spent) */
	uint64_t retried;         /* EPERM/EBUSY/ENOMEM retries scheduled */
	uint64_t lost_races;      /* someone else onlined first */
	uint64_t vanished;        /* ENOENT/ENODEV: removed under us */
	uint64_t zone_mismatch;   /* verified zone differed from the decision */
	uint64_t rescans;         /* full rescans (netlink overflow, sweeps) */
	uint64_t uevents;
	uint64_t last_block;      /* last block onlined by us */
	enum mh_zone last_zone;
	bool has_last;
};

struct mh_daemon {
	struct mh_root root;
	char config_path[4096];
	struct mh_config config;
	struct mh_inventory inv;
	struct mh_counters counters;
	sd_event *event;
	struct mh_uevent_source *uevents;
	struct mh_control *control;
	uint64_t start_usec;          /* CLOCK_MONOTONIC */
	size_t nr_pending;            /* offline blocks waiting to be onlined */
	size_t nr_competitors;
	char competitors[MH_MAX_COMPETITORS][256]; /* one line each */
	bool dry_run;
	bool exiting;
};

/* Re-read and apply the configuration (SIGHUP, control "Reload").
 * 0, or -1 with the old configuration kept and err filled. */
int mh_daemon_reload(struct mh_daemon *d, char *err, size_t err_len);

/* The control socket <root>/run/memhotd/control (daemon-control.c):
 * opened at start-up, closed on exit.  0 or -errno. */
int mh_daemon_control_start(struct mh_daemon *d);
void mh_daemon_control_stop(struct mh_daemon *d);

#endif
