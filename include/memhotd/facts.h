/* SPDX-License-Identifier: MIT */
/*
 * The facts the beyond-the-kernel settings (doc/policy.md 9) decide on,
 * measured by the shell through the one I/O layer (sysfs.h, under --root):
 * kernel-zone free memory for the [guard], the guest's memory balloon for
 * balloon_without_compaction.  The policy itself stays pure.
 */
#ifndef MEMHOTD_FACTS_H
#define MEMHOTD_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memhotd/policy.h"
#include "memhotd/sysfs.h"

/*
 * Pure: the sum of "pages free" over node nid's DMA, DMA32 and Normal
 * zones in /proc/zoneinfo text (zones not populated count their 0).
 * 0 and *pages; -ENOENT if the text has no kernel zone of nid; -EINVAL if
 * a zone of nid has no readable "pages free".
 */
int mh_zoneinfo_kernel_free(const char *text, int nid, uint64_t *pages);

/* [guard]: proc/zoneinfo read now, *out in bytes (page_size bytes per
 * page).  0 or -errno. */
int mh_guard_measure(const struct mh_root *r, int nid, uint64_t page_size,
		     struct mh_guard_facts *out);

/* The balloon drivers memhotd recognises, in detection order. */
#define MH_BALLOON_DRIVER_MAX 24
struct mh_balloon_state {
	struct mh_balloon_facts facts; /* facts.driver: a static string */
	bool vmstat_read;	       /* proc/vmstat could be read */
	bool kernel_compaction;	       /* proc/vmstat has balloon_migrate */
};

/*
 * Which balloon driver is bound: virtio_balloon (a virtioN device bound
 * under sys/bus/virtio/drivers/virtio_balloon), hv_balloon (a device under
 * sys/bus/vmbus/drivers/hv_balloon), the Xen balloon
 * (sys/devices/system/xen_memory/xen_memory0), vmw_balloon
 * (sys/module/vmw_balloon); and whether its inflated pages can migrate
 * (mh_balloon_driver_migrates over proc/vmstat).  Never fails: what
 * cannot be read is "no balloon" / "no compaction".
 */
void mh_balloon_detect(const struct mh_root *r, struct mh_balloon_state *out);
/* An active balloon whose pages cannot migrate: MOVABLE is a bad idea. */
static inline bool mh_balloon_risky(const struct mh_balloon_state *s)
{
	return s->facts.active && !s->facts.compaction;
}

#endif
