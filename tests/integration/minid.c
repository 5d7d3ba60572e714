/* SPDX-License-Identifier: MIT */
/*
 * A deliberately naive onliner used only to test fakekernel.so itself
 * (scenario fake_selftest): it onlines every offline block Movable, first
 * by a scan and then per "add" uevent, with the same libudev calls and
 * open/write/close the real daemon uses.
 * Usage: minid --root DIR [ignored memhotd options...]
 */
#include <errno.h>
#include <libudev.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int online(const char *root, const char *name)
{
	char p[4096], link[4200];

	/* wait for the nodeN link (doc/inputs.md 6.1, 6.3) */
	for (int i = 0; i < 200; i++) {
		snprintf(link, sizeof(link), "%s/sys/devices/system/memory/%s",
			 root, name);
		DIR *d = opendir(link);
		int found = 0;
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (!strncmp(de->d_name, "node", 4))
				found = 1;
		if (d)
			closedir(d);
		if (found)
			break;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	snprintf(p, sizeof(p), "%s/sys/devices/system/memory/%s/state", root,
		 name);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, "online_movable", 14);
	int err = n < 0 ? -errno : 0;
	close(fd);
	fprintf(stderr, "minid: %s: %s\n", name, err ? strerror(-err) : "ok");
	return err;
}

int main(int argc, char **argv)
{
	const char *root = NULL;
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--root"))
			root = argv[i + 1];
	if (!root)
		return 2;
	signal(SIGTERM, on_term);
	struct udev *u = udev_new();
	struct udev_monitor *m = udev_monitor_new_from_netlink(u, "kernel");
	if (!m)
		return 1;
	udev_monitor_filter_add_match_subsystem_devtype(m, "memory", NULL);
	udev_monitor_set_receive_buffer_size(m, 1 << 20);
	udev_monitor_enable_receiving(m);

	if (getenv("MINID_MISBEHAVE")) {
		/* What memhotd must never do; the fake has to catch both.
		 * (Read-only: even a broken fake cannot change the host.) */
		int fd = open("/sys/devices/system/memory/block_size_bytes",
			      O_RDONLY);
		fprintf(stderr, "minid: real sysfs open: %s\n",
			fd < 0 && errno == EACCES ? "refused" : "ALLOWED");
		if (fd >= 0)
			close(fd);
		char sp[4200];
		snprintf(sp, sizeof(sp),
			 "%s/sys/devices/system/memory/memory48/state", root);
		fd = open(sp, O_WRONLY);
		if (fd >= 0) {
			ssize_t n = write(fd, "online\n", 7);
			fprintf(stderr, "minid: plain online: %s\n",
				n < 0 && errno == EINVAL ? "EINVAL"
							 : "accepted");
			close(fd);
		}
	}
	char p[4200];
	snprintf(p, sizeof(p), "%s/sys/devices/system/memory", root);
	DIR *d = opendir(p);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char sp[4800], v[32] = "";
		if (strncmp(de->d_name, "memory", 6))
			continue;
		snprintf(sp, sizeof(sp), "%s/%s/state", p, de->d_name);
		int fd = open(sp, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, v, sizeof(v) - 1);
		close(fd);
		if (n > 0 && !strncmp(v, "offline", 7))
			online(root, de->d_name);
	}
	if (d)
		closedir(d);

	struct pollfd pfd = {.fd = udev_monitor_get_fd(m), .events = POLLIN};
	while (!stop) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		struct udev_device *dev;
		while ((dev = udev_monitor_receive_device(m)) ||
		       errno == ENOBUFS) {
			if (!dev)
				continue; /* a real daemon would rescan */
			if (!strcmp(udev_device_get_action(dev), "add"))
				online(root, udev_device_get_sysname(dev));
			udev_device_unref(dev);
		}
	}
	udev_monitor_unref(m);
	udev_unref(u);
	return 0;
}
