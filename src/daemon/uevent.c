// SPDX-License-Identifier: MIT
/* libudev kernel monitor for memoryN uevents, driven by sd-event. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <libudev.h>

#include "memhotd/log.h"
#include "memhotd/parse.h"
#include "memhotd/uevent.h"

struct mh_uevent_source {
	struct udev *udev;
	struct udev_monitor *mon;
	sd_event_source *io;
	const struct mh_uevent_ops *ops;
	void *userdata;
	bool draining;
};

enum mh_uevent_action mh_uevent_action_from_name(const char *s)
{
	if (!s)
		return MH_UEVENT_OTHER;
	if (strcmp(s, "add") == 0)
		return MH_UEVENT_ADD;
	if (strcmp(s, "remove") == 0)
		return MH_UEVENT_REMOVE;
	if (strcmp(s, "online") == 0)
		return MH_UEVENT_ONLINE;
	if (strcmp(s, "offline") == 0)
		return MH_UEVENT_OFFLINE;
	return MH_UEVENT_OTHER;
}

const char *mh_uevent_action_name(enum mh_uevent_action a)
{
	switch (a) {
	case MH_UEVENT_ADD:
		return "add";
	case MH_UEVENT_REMOVE:
		return "remove";
	case MH_UEVENT_ONLINE:
		return "online";
	case MH_UEVENT_OFFLINE:
		return "offline";
	case MH_UEVENT_OTHER:
		break;
	}
	return "other";
}

static void handle_device(struct mh_uevent_source *s, struct udev_device *dev)
{
	const char *subsys = udev_device_get_subsystem(dev);
	const char *name = udev_device_get_sysname(dev);
	const char *action = udev_device_get_action(dev);
	enum mh_uevent_action a;
	uint64_t id;

	if (!subsys || strcmp(subsys, "memory") != 0 || !name)
		return;
	if (mh_parse_memory_name(name, &id) < 0)
		return; /* the memory root device itself */
	a = mh_uevent_action_from_name(action);
	if (a == MH_UEVENT_OTHER) {
		mh_debug("%s: uevent '%s' ignored", name,
			 action ? action : "(none)");
		return;
	}
	if (s->ops->event)
		s->ops->event(s->userdata, a, id);
}

int mh_uevent_drain(struct mh_uevent_source *s)
{
	bool overflow = false;
	int n = 0;

	if (!s || s->draining)
		return 0;
	s->draining = true;
	for (;;) {
		struct udev_device *dev;

		errno = 0;
		dev = udev_monitor_receive_device(s->mon);
		if (!dev) {
			if (errno == ENOBUFS) {
				/* Lost events; what is still queued is valid.
				 */
				overflow = true;
				continue;
			}
			if (errno == EINTR)
				continue;
			break; /* EAGAIN: empty */
		}
		handle_device(s, dev);
		udev_device_unref(dev);
		n++;
	}
	s->draining = false;
	if (overflow) {
		mh_warn("uevent socket overflowed (ENOBUFS): rescanning");
		if (s->ops->overflow)
			s->ops->overflow(s->userdata);
	}
	return n;
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	(void)es;
	(void)fd;
	struct mh_uevent_source *s = ud;

	(void)revents;
	mh_uevent_drain(s);
	if (s->ops->drained)
		s->ops->drained(s->userdata);
	return 0;
}

int mh_uevent_open(sd_event *e, int64_t prio, const struct mh_uevent_ops *ops,
		   void *userdata, struct mh_uevent_source **out)
{
	struct mh_uevent_source *s;
	int r, fd;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	s->userdata = userdata;
	s->udev = udev_new();
	if (!s->udev) {
		r = errno ? -errno : -ENOMEM;
		mh_err("udev_new: %s", strerror(-r));
		goto fail;
	}
	s->mon = udev_monitor_new_from_netlink(s->udev, "kernel");
	if (!s->mon) {
		r = errno ? -errno : -ENOMEM;
		mh_err("cannot open the kernel uevent monitor: %s",
		       strerror(-r));
		goto fail;
	}
	r = udev_monitor_filter_add_match_subsystem_devtype(s->mon, "memory",
							    NULL);
	if (r < 0) {
		mh_err("uevent filter: %s", strerror(-r));
		goto fail;
	}
	r = udev_monitor_set_receive_buffer_size(s->mon, MH_UEVENT_RCVBUF);
	if (r < 0)
		mh_warn("cannot raise the uevent receive buffer to %d MiB: %s",
			MH_UEVENT_RCVBUF >> 20, strerror(r < 0 ? -r : r));
	r = udev_monitor_enable_receiving(s->mon);
	if (r < 0) {
		mh_err("cannot receive uevents: %s", strerror(-r));
		goto fail;
	}
	fd = udev_monitor_get_fd(s->mon);
	if (fd < 0) {
		r = fd;
		mh_err("uevent monitor fd: %s", strerror(-r));
		goto fail;
	}
	r = sd_event_add_io(e, &s->io, fd, EPOLLIN, on_io, s);
	if (r < 0) {
		mh_err("sd_event_add_io(uevents): %s", strerror(-r));
		goto fail;
	}
	sd_event_source_set_description(s->io, "uevents");
	sd_event_source_set_priority(s->io, prio);
	*out = s;
	return 0;
fail:
	mh_uevent_close(s);
	return r < 0 ? r : -EIO;
}

void mh_uevent_close(struct mh_uevent_source *s)
{
	if (!s)
		return;
	sd_event_source_disable_unref(s->io);
	if (s->mon)
		udev_monitor_unref(s->mon);
	if (s->udev)
		udev_unref(s->udev);
	free(s);
}
