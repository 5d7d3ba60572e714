/* SPDX-License-Identifier: MIT */
/*
 * Kernel uevents of the memory subsystem, straight from netlink (libudev's
 * "kernel" monitor: no udevd needed, and events arrive before any udev rule
 * ran).  The fd sits in the sd-event loop; every wakeup drains the socket.
 *
 * Only these libudev calls are used (the integration tests interpose
 * exactly this set): udev_new, udev_unref, udev_monitor_new_from_netlink,
 * udev_monitor_filter_add_match_subsystem_devtype,
 * udev_monitor_set_receive_buffer_size, udev_monitor_enable_receiving,
 * udev_monitor_get_fd, udev_monitor_receive_device, udev_monitor_unref,
 * udev_device_get_action, udev_device_get_sysname,
 * udev_device_get_subsystem, udev_device_unref.
 */
#ifndef MEMHOTD_UEVENT_H
#define MEMHOTD_UEVENT_H

#include <stdint.h>
#include <systemd/sd-event.h>

#include "memhotd/outcome.h" /* enum mh_uevent_action */

#define MH_UEVENT_RCVBUF (128 * 1024 * 1024)

/* "add", "remove", "online", "offline"; anything else: MH_UEVENT_OTHER. */
enum mh_uevent_action mh_uevent_action_from_name(const char *s);
const char *mh_uevent_action_name(enum mh_uevent_action a);

struct mh_uevent_ops {
	/* One memoryN event, in the order the kernel sent them. */
	void (*event)(void *userdata, enum mh_uevent_action a, uint64_t id);
	/* The socket overflowed (ENOBUFS): events were lost; rescan. Called
	 * once the queue has been drained. */
	void (*overflow)(void *userdata);
	/* Optional: everything queued at a wake-up of the event loop has
	 * been handled (not called for mh_uevent_drain() calls). */
	void (*drained)(void *userdata);
};

struct mh_uevent_source;

/*
 * Opens the monitor and adds its fd to e (priority prio).  0, or -errno
 * (then *out is NULL).
 */
int mh_uevent_open(sd_event *e, int64_t prio, const struct mh_uevent_ops *ops,
		   void *userdata, struct mh_uevent_source **out);
/*
 * Receives everything queued now, without blocking, calling ops for each.
 * Re-entrant calls (from within a callback) return 0 at once.  Returns the
 * number of events handled.
 */
int mh_uevent_drain(struct mh_uevent_source *s);
/* Closes the monitor and frees s (NULL is fine). */
void mh_uevent_close(struct mh_uevent_source *s);

#endif
