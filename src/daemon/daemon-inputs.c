// SPDX-License-Identifier: MIT
/*
 * What the daemon measures besides uevents: the start-up scan and its
 * summary, the [guard]'s kernel-zone free memory, the balloon, the sweep's
 * calibration check, the virtio-mem throttle of the running kernel, and the
 * synchronous classification save before the first online of a block of no
 * device.  The facts come from the sys layer (facts.h, scan.h); the log lines
 * from decide-log.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/competitors.h"
#include "memhotd/daemon.h"
#include "memhotd/log.h"
#include "memhotd/scan.h"
#include "memhotd/util.h"

/*
 * [guard]: the scheduler asks just before each decision while
 * kernel_free_min > 0.  A failed read leaves the guard unable to fire
 * (warned once until a read works again).  The episode the warning is
 * logged once for ends when free memory is back at or above the minimum.
 */
static int measure_guard(void *ctx, int nid, struct mh_guard_facts *out)
{
	struct mh_daemon *d = ctx;
	uint64_t min = d->config.policy.kernel_free_min;
	int r = mh_guard_measure(&d->root, nid, MH_PAGE_SIZE, out);

	if (r < 0) {
		if (!d->guard_unreadable)
			mh_warn("[guard] node%d: proc/zoneinfo: %s; the guard "
				"cannot fire until it can be read",
				nid, strerror(-r));
		d->guard_unreadable = true;
		return r;
	}
	d->guard_unreadable = false;
	if (d->guard_episode && out->kernel_free_bytes >= min) {
		d->guard_episode = false;
		mh_log_guard_recovered(nid, out->kernel_free_bytes, min);
	}
	return 0;
}

void mh_daemon_guard_fired(struct mh_daemon *d, uint64_t id,
			   const struct mh_decision *dec)
{
	/* Once per episode: the guard put a block in a kernel zone. */
	if (!dec->guard_low || d->guard_episode)
		return;
	d->guard_episode = true;
	d->metrics.c.guard_episodes++;
	mh_log_guard_fired(d, id, dec);
}

void mh_daemon_balloon_update(struct mh_daemon *d, bool startup)
{
	struct mh_balloon_state old = d->balloon;

	mh_balloon_detect(&d->root, &d->balloon);
	d->sched.balloon = &d->balloon.facts;
	if (startup || old.facts.active != d->balloon.facts.active ||
	    old.facts.compaction != d->balloon.facts.compaction ||
	    old.facts.driver != d->balloon.facts.driver)
		mh_log_balloon(d, startup ? "start-up" : "changed");
}

void mh_daemon_inputs_init(struct mh_daemon *d)
{
	d->config.policy.page_size = MH_PAGE_SIZE;
	d->sched.guard_fn = measure_guard;
	d->sched.guard_ctx = d;
	mh_daemon_balloon_update(d, true);
}

void mh_daemon_calibration_check(struct mh_daemon *d)
{
	uint64_t *before;
	size_t n = d->inv.nr_nodes, i;
	int r;

	before = calloc(n ? n : 1, sizeof(*before));
	if (!before) {
		mh_warn("calibration check: out of memory; skipped");
		return;
	}
	for (i = 0; i < n; i++)
		before[i] = d->inv.totals[i].kernel_early;
	r = mh_scan_calibrate(&d->root, &d->inv);
	if (r == -ERANGE)
		mh_warn("calibration: kernel-zone memory below the hotplugged "
			"part on some node: a block is misclassified");
	else if (r < 0)
		mh_warn("calibration from proc/zoneinfo: %s", strerror(-r));
	for (i = 0; i < n && i < d->inv.nr_nodes; i++)
		if (d->inv.totals[i].present &&
		    d->inv.totals[i].kernel_early != before[i])
			mh_warn("node%zu: KERNEL_EARLY changed from %" PRIu64
				" to %" PRIu64 " pages without a boot-memory "
				"change (missed event or misclassified block?)",
				i, before[i], d->inv.totals[i].kernel_early);
	free(before);
}

/*
 * How the kernel's virtio-mem driver throttles (sched.h): 5.10 counts
 * offline blocks, 5.11+ bytes.  5.10 is the kernel without virtio_mem's
 * force_bbm parameter (it came with Big Block Mode); without the module
 * loaded, the kernel release decides.
 */
enum mh_vmem_throttle mh_daemon_detect_throttle(const struct mh_root *root)
{
	char rel[64];
	unsigned int major = 0, minor = 0;
	ssize_t n;

	if (mh_path_exists(root, "sys/module/virtio_mem/parameters"))
		return mh_path_exists(root, "sys/module/virtio_mem/parameters/"
					    "force_bbm")
			       ? MH_VMEM_THROTTLE_BYTES
			       : MH_VMEM_THROTTLE_BLOCKS_5_10;
	n = mh_read_small(root, "proc/sys/kernel/osrelease", rel, sizeof(rel));
	if (n > 0 && sscanf(rel, "%u.%u", &major, &minor) == 2 &&
	    (major < 5 || (major == 5 && minor < 11)))
		return MH_VMEM_THROTTLE_BLOCKS_5_10;
	return MH_VMEM_THROTTLE_BYTES;
}

/*
 * Crash consistency (doc/robustness.md): hot-added memory of no device
 * (no virtio-mem/dax/driver resource, no PNP0C80 node) is told apart from
 * boot memory after a restart only by the classification file.  Before the
 * first online write of such a block, the file is saved synchronously
 * (fsync'ed, renamed, directory fsync'ed), once for every block added so
 * far: a kill -9 after the write cannot make it boot memory.  Blocks that
 * /proc/iomem or firmware_node identify again keep the delayed save.
 */
void mh_daemon_save_before_write(struct mh_daemon *d, const struct mh_block *b)
{
	static bool warned;
	int r;

	if (!d->classification_dirty || !b || !b->hotplugged || b->group >= 0)
		return;
	r = mh_scan_save_classification(&d->root, &d->inv);
	if (r == 0) {
		d->classification_dirty = false;
		warned = false;
		return;
	}
	if (!warned)
		mh_warn("memory%" PRIu64 ": cannot save the classification "
			"before onlining it: %s; a crash now would count it "
			"as boot memory",
			b->id, strerror(-r));
	warned = true;
}

static int count_cb(struct mh_block *b, void *ctx)
{
	size_t *counts = ctx;

	counts[0]++;
	if (b->state == MH_BLOCK_ONLINE)
		counts[1]++;
	if (b->hotplugged)
		counts[2]++;
	return 0;
}

int mh_daemon_scan_at_start(struct mh_daemon *d)
{
	size_t counts[3] = {0, 0, 0}, i, groups = 0;
	int r = mh_scan_full(&d->root, &d->inv);

	if (r == -ERANGE) {
		mh_warn("calibration: kernel-zone memory below the hotplugged "
			"part on some node: a block is misclassified");
	} else if (r == -EBADMSG) {
		/* The kernel's zone statistics are the policy's input: without
		 * them every decision would be a guess. */
		mh_err("inconsistent /proc/zoneinfo (see above): the zone "
		       "statistics the policy needs are unusable; not "
		       "starting");
		return r;
	} else if (r < 0) {
		mh_err("scanning %s/" MH_SYSFS_MEMORY ": %s", d->root.path,
		       strerror(-r));
		return r;
	}
	mh_log_config(d, "configuration");
	mh_kernel_after_scan(d);
	mh_debug("virtio-mem throttle: %s",
		 mh_vmem_throttle_name(d->sched.throttle));
	mh_inv_for_each_block(&d->inv, count_cb, counts);
	for (i = 0; i < d->inv.nr_groups; i++)
		groups += d->inv.gstats[i].alive;
	mh_info("%zu memory blocks of %" PRIu64 " MiB (%zu online, %zu "
		"hotplugged), %zu devices, %zu nodes",
		counts[0], d->inv.block_size_bytes >> 20, counts[1], counts[2],
		groups, d->inv.nr_nodes);

	d->nr_competitors = mh_competitors_detect(&d->root, d->competitors,
						  MH_MAX_COMPETITORS);
	d->nr_competitors = mh_kernel_filter_competitors(d, d->competitors,
							 d->nr_competitors);
	for (i = 0; i < d->nr_competitors; i++)
		mh_warn("competing onliner: %s", d->competitors[i]);
	return 0;
}
