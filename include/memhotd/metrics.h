/* SPDX-License-Identifier: MIT */
/*
 * Metrics for fleets: a Prometheus text-format file ([metrics] textfile,
 * for node_exporter's textfile collector).  Three parts:
 *
 *   - counters the daemon bumps as blocks are decided and written
 *     (struct mh_metrics_counters; plain arithmetic, no I/O);
 *   - a pure renderer: a snapshot (inventory facts per node and device,
 *     the counters) in, text out; unit-tested against a golden file;
 *   - the writer: the text into a temporary file next to the target,
 *     mode 0644, renamed over it (atomic for readers; not fsync'ed: the
 *     file is rewritten after every restart, and an fsync on a busy disk
 *     would stall the event loop that onlines memory).
 *
 * The daemon renders and writes from an sd-event timer, at most once a
 * second and only when the text changed (daemon-metrics.c), never from
 * the path of a state write.  doc/metrics.md lists every metric.
 */
#ifndef MEMHOTD_METRICS_H
#define MEMHOTD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/policy.h"

struct mh_root; /* sysfs.h */

/* Upper bounds (seconds) of the latency histogram buckets, +Inf apart. */
#define MH_METRICS_NR_BUCKETS 14
extern const double mh_metrics_bucket_le[MH_METRICS_NR_BUCKETS];

struct mh_histogram {
	uint64_t bucket[MH_METRICS_NR_BUCKETS + 1]; /* not cumulative; last:
						       above every bound */
	uint64_t count;
	uint64_t sum_usec;
};
void mh_histogram_observe(struct mh_histogram *h, uint64_t usec);

#define MH_METRICS_NR_REASONS ((int)MH_REASON_BALLOON + 1)
#define MH_METRICS_NR_ZONES ((int)MH_ZONE_MOVABLE + 1)
/* Distinct errnos counted by name; further ones count as "other". */
#define MH_METRICS_NR_ERRNOS 16

/* Cumulative since the daemon started (Prometheus counters). */
struct mh_metrics_counters {
	uint64_t onlined[MH_METRICS_NR_ZONES]; /* our writes, by actual zone */
	uint64_t lost_races;
	uint64_t retries;
	uint64_t vanished;
	struct {
		int err; /* positive errno */
		uint64_t n;
	} failures[MH_METRICS_NR_ERRNOS];
	size_t nr_failure_errnos;
	uint64_t failures_other; /* errnos beyond the table */
	/* [target][reason]: every decision a state write was made for */
	uint64_t decisions[2][MH_METRICS_NR_REASONS];
	uint64_t reserve_decisions[2]; /* kernel_reserve reduced KE */
	uint64_t guard_episodes;
	uint64_t balloon_warnings; /* MOVABLE with a risky balloon, warn mode */
	struct mh_histogram decision_to_online; /* decided -> write returned */
	struct mh_histogram add_to_online;	/* first seen -> online */
};

/* Counting; err is a negative or positive errno (0 counts as "other"). */
void mh_metrics_count_failure(struct mh_metrics_counters *c, int err);
void mh_metrics_count_decision(struct mh_metrics_counters *c,
			       const struct mh_decision *dec);

/* One node's facts, bytes. */
struct mh_metrics_node {
	int nid;
	uint64_t boot_kernel;	 /* KERNEL_EARLY */
	uint64_t hotplug_kernel; /* hot-added memory online in kernel zones */
	uint64_t movable;	 /* ZONE_MOVABLE + CMA */
	uint64_t reserve;	 /* kernel_reserve taken from KERNEL_EARLY */
	bool has_limit;		 /* auto-movable: limit and headroom valid */
	uint64_t limit;		 /* ratio x effective KERNEL_EARLY */
	uint64_t headroom;	 /* MOVABLE still allowed now */
};

/* One device (memory group), or a node's boot / ungrouped memory. */
struct mh_metrics_device {
	char name[MH_GROUP_NAME_MAX]; /* "" for boot and ungrouped memory */
	const char *type; /* "virtio-mem", "dimm", "dax", "boot", "none" */
	int nid;	  /* -1 unknown */
	uint64_t online[MH_METRICS_NR_ZONES];
	uint64_t offline;
	uint64_t going_offline;
};

struct mh_metrics_snapshot {
	const char *version;
	const char *policy; /* mh_policy_name() */
	bool dry_run;
	uint64_t block_size; /* bytes */
	uint64_t pending;    /* blocks queued */
	struct mh_metrics_node *nodes;
	size_t nr_nodes;
	struct mh_metrics_device *devices;
	size_t nr_devices;
	const struct mh_metrics_counters *c;
};

/*
 * Fills nodes[] and devices[] from the inventory (malloc'd; free with
 * mh_metrics_snapshot_free); the other fields are the caller's.  Present
 * nodes ascending; devices: groups in index order, then per node its boot
 * and its ungrouped hot-added memory (only those with blocks).  0 or
 * -ENOMEM.
 */
int mh_metrics_collect(const struct mh_inventory *inv,
		       const struct mh_policy_config *pc,
		       struct mh_metrics_snapshot *s);
void mh_metrics_snapshot_free(struct mh_metrics_snapshot *s);

/* The Prometheus text exposition of s; *out malloc'd, NUL-terminated.
 * Pure.  0 or -ENOMEM. */
int mh_metrics_render(const struct mh_metrics_snapshot *s, char **out,
		      size_t *len);

/*
 * [metrics] textfile: an absolute path; its directory is resolved inside
 * root like every path memhotd uses.  Writes "<path>.tmp.<pid>" in the
 * same directory (mode 0644 whatever the umask, so node_exporter can read
 * it), then renames it over path.  0 or -errno.
 */
int mh_metrics_write_file(const struct mh_root *root, const char *path,
			  const char *text, size_t len);

/* ---- the daemon's side (daemon-metrics.c) ---- */

struct sd_event_source;
struct mh_daemon;

struct mh_metrics_state {
	struct mh_metrics_counters c;
	struct sd_event_source *timer; /* renders and writes; oneshot */
	uint64_t last_usec;	       /* CLOCK_MONOTONIC of the last render */
	char *last_text;	       /* what the file holds */
	char last_path[1024];	       /* where it was written */
	int warned_err;		       /* the last write error warned */
};

/* The timer (off until kicked).  0 or -errno. */
int mh_daemon_metrics_start(struct mh_daemon *d);
/* Something changed: render and write within a second (not at once if
 * the last render is less than a second ago).  Cheap; off without
 * [metrics] textfile. */
void mh_daemon_metrics_kick(struct mh_daemon *d);
/* Render and write now if it changed (exit). */
void mh_daemon_metrics_flush(struct mh_daemon *d);
void mh_daemon_metrics_stop(struct mh_daemon *d);

#endif
