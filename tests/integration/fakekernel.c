/* SPDX-License-Identifier: MIT */
/*
 * fakekernel.so: LD_PRELOAD'ed into memhotd by the integration tests.
 *
 * 1. libudev: the functions memhotd uses, backed by the FIFO DIR/uevents
 *    (fk.h) instead of a netlink socket.  Real libudev is never called, so
 *    the host's uevents never reach the daemon under test.
 * 2. open/openat (+64, fortify variants), write and close: a write to
 *    <root>/sys/devices/system/memory/memoryN/state is handled like
 *    drivers/base/memory.c state_store (fk.c does the kernel's work, under
 *    DIR/lock as device_hotplug_lock).  Everything else passes through to
 *    the next definition (RTLD_NEXT).
 *
 * Environment: FAKEKERNEL_ROOT (the tree given to --root), FAKEKERNEL_DIR
 * (the control directory), FAKEKERNEL_KILL_AFTER=k (crash tests: the
 * process is killed with SIGKILL right after its k-th successful online
 * write, before the daemon learns the write's outcome).  Without them file
 * calls pass through and the udev functions fail.  Opening the machine's real
 * memory sysfs, iomem or zoneinfo is refused (EACCES) and logged as a
 * violation.
 */
#include "fk.h"

#include <ctype.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* ---- the kernel handle ------------------------------------------------ */

static pthread_mutex_t fk_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct fk K;
static int k_state; /* 0 not yet, 1 ready, -1 disabled */
static __thread int in_fk;

static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);

static void resolve(void)
{
	if (!real_openat)
		real_openat = (int (*)(int, const char *, int, ...))dlsym(
			RTLD_NEXT, "openat");
	if (!real_write)
		real_write = (ssize_t(*)(int, const void *, size_t))dlsym(
			RTLD_NEXT, "write");
	if (!real_close)
		real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

/* Called with fk_mutex held. */
static int kernel(void)
{
	if (k_state)
		return k_state > 0;
	const char *root = getenv("FAKEKERNEL_ROOT");
	const char *dir = getenv("FAKEKERNEL_DIR");
	k_state = -1;
	if (!root || !dir)
		return 0;
	in_fk++;
	int err = fk_open(&K, root, dir);
	in_fk--;
	if (err) {
		fprintf(stderr, "fakekernel: cannot open %s / %s: %s\n", root,
			dir, strerror(-err));
		abort();
	}
	k_state = 1;
	return 1;
}

/* ---- path classification --------------------------------------------- */

enum attr { A_NONE = 0, A_STATE, A_VALID_ZONES, A_ONLINE, A_OTHER };

#define FD_MAX 65536
static uint32_t fd_block[FD_MAX]; /* block id + 1 of tracked state fds */

/*
 * 1: an attribute of memoryN inside the tree (*id, *attr set);
 * -1: the machine's real memory sysfs, iomem or zoneinfo;
 * 0: anything else.
 */
static int classify(int dirfd, const char *path, uint64_t *id, enum attr *attr)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	*attr = !strcmp(base, "state")	       ? A_STATE
		: !strcmp(base, "valid_zones") ? A_VALID_ZONES
		: !strcmp(base, "online")      ? A_ONLINE
		: (!strcmp(base, "iomem") || !strcmp(base, "zoneinfo") ||
		   !strncmp(base, "memory", 6))
			? A_OTHER
			: A_NONE;
	bool abs_sys = path[0] == '/' && (!strncmp(path, "/sys/", 5) ||
					  !strncmp(path, "/proc/", 6));
	if (*attr == A_NONE && !abs_sys)
		return 0;

	char full[PATH_MAX * 2], dir[PATH_MAX * 2], real[PATH_MAX * 2];
	if (path[0] == '/') {
		snprintf(full, sizeof(full), "%s", path);
	} else {
		char d[PATH_MAX];
		if (dirfd == AT_FDCWD) {
			if (!getcwd(d, sizeof(d)))
				return 0;
		} else {
			char l[64];
			snprintf(l, sizeof(l), "/proc/self/fd/%d", dirfd);
			ssize_t n = readlink(l, d, sizeof(d) - 1);
			if (n < 0)
				return 0;
			d[n] = '\0';
		}
		snprintf(full, sizeof(full), "%s/%s", d, path);
	}
	snprintf(dir, sizeof(dir), "%s", full);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if (!realpath(dir[0] ? dir : "/", real))
		snprintf(real, sizeof(real), "%s", dir);

	if (k_state > 0) {
		size_t rl = strlen(K.root);
		static const char mem[] = "/sys/devices/system/memory/memory";
		if (!strncmp(real, K.root, rl) &&
		    !strncmp(real + rl, mem, sizeof(mem) - 1)) {
			const char *num = real + rl + sizeof(mem) - 1;
			char *end;
			if (!isdigit((unsigned char)*num))
				return 0;
			unsigned long long v = strtoull(num, &end, 10);
			if (*end)
				return 0;
			*id = v;
			return *attr == A_OTHER || *attr == A_NONE ? 0 : 1;
		}
		if (!strncmp(real, K.root, rl) && real[rl] == '/')
			return 0;
	}
	/* The machine's own files: memhotd must only use --root. */
	if (!strcmp(real, "/proc") &&
	    (!strcmp(base, "iomem") || !strcmp(base, "zoneinfo")))
		return -1;
	/* libsystemd reads it too, for timer sources with an accuracy
	 * other than 1 us: memhotd's timers avoid that (so the boot id is
	 * always the tree's). */
	if (!strcmp(real, "/proc/sys/kernel/random") &&
	    !strcmp(base, "boot_id"))
		return -1;
	if (!strncmp(real, "/sys/devices/system/memory", 26) ||
	    !strncmp(full, "/sys/devices/system/memory", 26))
		return -1;
	return 0;
}

/* Who did it: the call stack, into DIR/log. */
static void backtrace_to_log(void)
{
	void *frames[32];
	char p[PATH_MAX + 16];

	int n = backtrace(frames, 32);
	snprintf(p, sizeof(p), "%s/log", K.dir);
	int fd = real_openat(AT_FDCWD, p, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	backtrace_symbols_fd(frames, n, fd);
	real_close(fd);
}

static int do_open(int dirfd, const char *path, int flags, mode_t mode)
{
	uint64_t id = 0;
	enum attr attr = A_NONE;

	resolve();
	if (in_fk || !path)
		return real_openat(dirfd, path, flags, mode);
	pthread_mutex_lock(&fk_mutex);
	int active = kernel();
	int cls = active ? classify(dirfd, path, &id, &attr) : 0;
	pthread_mutex_unlock(&fk_mutex);
	bool writing = (flags & O_ACCMODE) != O_RDONLY;

	if (cls < 0) {
		pthread_mutex_lock(&fk_mutex);
		in_fk++;
		fk_log(&K, "VIOLATION open of the real machine's %s (%s)", path,
		       writing ? "write" : "read");
		backtrace_to_log();
		in_fk--;
		pthread_mutex_unlock(&fk_mutex);
		errno = EACCES;
		return -1;
	}
	if (cls == 0)
		return real_openat(dirfd, path, flags, mode);

	pthread_mutex_lock(&fk_mutex);
	in_fk++;
	if (attr == A_VALID_ZONES && fk_block_is_online(&K, id) == 0) {
		if (fk_block_nid(&K, id) < 0)
			fk_log(&K,
			       "VIOLATION valid_zones of offline memory%" PRIu64
			       " read before its nodeN link exists (crashes "
			       "6.1, doc/inputs.md 6.3)",
			       id);
		else
			fk_log(&K, "read valid_zones of offline memory%" PRIu64,
			       id);
	}
	if (attr == A_ONLINE && writing)
		fk_log(&K,
		       "VIOLATION memory%" PRIu64 "/online opened for write",
		       id);
	in_fk--;
	pthread_mutex_unlock(&fk_mutex);

	if (attr == A_STATE && writing)
		flags &= ~(O_TRUNC | O_APPEND);
	int fd = real_openat(dirfd, path, flags, mode);
	int saved = errno;
	if (attr == A_STATE && writing) {
		pthread_mutex_lock(&fk_mutex);
		in_fk++;
		if (fd < 0)
			fk_log(&K, "open memory%" PRIu64 "/state: %s", id,
			       strerrorname_np(saved));
		else if (fd < FD_MAX)
			fd_block[fd] = (uint32_t)id + 1;
		in_fk--;
		pthread_mutex_unlock(&fk_mutex);
	}
	errno = saved;
	return fd;
}

static bool streq_sysfs(const char *buf, size_t len, const char *word)
{
	size_t n = strlen(word);

	if (len && buf[len - 1] == '\n')
		len--;
	return len == n && !memcmp(buf, word, n);
}

/* drivers/base/memory.c state_store(), with injected failures. */
static ssize_t state_store(uint64_t id, const char *buf, size_t count)
{
	int err;
	char shown[40];
	size_t sl = count < sizeof(shown) - 1 ? count : sizeof(shown) - 1;

	memcpy(shown, buf, sl);
	shown[sl] = '\0';
	shown[strcspn(shown, "\n")] = '\0';

	fk_lock(&K);
	bool movable = streq_sysfs(buf, count, "online_movable");
	bool kern = streq_sysfs(buf, count, "online_kernel");
	if (!fk_block_exists(&K, id)) {
		err = ENODEV; /* kernfs: the node went away */
	} else if (movable || kern) {
		int inj_err = 0;
		enum fk_inject inj = fk_inject_take(&K, id, &inj_err);
		switch (inj) {
		case FK_INJ_ERRNO:
			err = inj_err;
			break;
		case FK_INJ_VANISH:
			fk_block_remove(&K, id);
			fk_iomem_update(&K);
			err = ENODEV;
			break;
		case FK_INJ_RACE_MOVABLE:
		case FK_INJ_RACE_KERNEL:
			fk_log(&K, "memory%" PRIu64 " onlined by someone else",
			       id);
			fk_block_online(&K, id, inj == FK_INJ_RACE_MOVABLE);
			err = fk_block_online(&K, id, movable);
			break;
		default:
			err = fk_block_online(&K, id, movable);
		}
	} else if (streq_sysfs(buf, count, "offline")) {
		err = fk_block_offline(&K, id);
	} else if (streq_sysfs(buf, count, "online")) {
		fk_log(&K,
		       "VIOLATION plain \"online\" written to memory%" PRIu64
		       " (the kernel's policy would decide)",
		       id);
		err = EINVAL;
	} else {
		err = EINVAL;
	}
	fk_log(&K, "write memory%" PRIu64 " %s = %s", id, shown,
	       err ? strerrorname_np(err) : "ok");
	fk_unlock(&K);
	if (!err && (movable || kern)) {
		static long onlines;
		const char *ka = getenv("FAKEKERNEL_KILL_AFTER");

		if (ka && ++onlines == atol(ka)) {
			fk_log(&K, "killed after %ld online writes", onlines);
			kill(getpid(), SIGKILL);
		}
	}
	if (err) {
		errno = err;
		return -1;
	}
	return (ssize_t)count;
}

EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	resolve();
	if (in_fk || fd < 0 || fd >= FD_MAX || !fd_block[fd])
		return real_write(fd, buf, count);
	pthread_mutex_lock(&fk_mutex);
	in_fk++;
	ssize_t r = state_store(fd_block[fd] - 1, buf, count);
	int saved = errno;
	in_fk--;
	pthread_mutex_unlock(&fk_mutex);
	errno = saved;
	return r;
}

EXPORT int close(int fd)
{
	resolve();
	if (fd >= 0 && fd < FD_MAX)
		fd_block[fd] = 0;
	return real_close(fd);
}

static mode_t va_mode(int flags, va_list ap)
{
	if (flags & (O_CREAT | __O_TMPFILE))
		return (mode_t)va_arg(ap, int);
	return 0;
}

EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = va_mode(flags, ap);
	va_end(ap);
	return do_open(AT_FDCWD, path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = va_mode(flags, ap);
	va_end(ap);
	return do_open(AT_FDCWD, path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = va_mode(flags, ap);
	va_end(ap);
	return do_open(dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = va_mode(flags, ap);
	va_end(ap);
	return do_open(dirfd, path, flags, mode);
}

EXPORT int __open_2(const char *path, int flags)
{
	return do_open(AT_FDCWD, path, flags, 0);
}

EXPORT int __open64_2(const char *path, int flags)
{
	return do_open(AT_FDCWD, path, flags, 0);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return do_open(dirfd, path, flags, 0);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return do_open(dirfd, path, flags, 0);
}

/* ---- libudev ----------------------------------------------------------- */

struct udev {
	int refs;
};

struct udev_monitor {
	int refs;
	struct udev *udev;
	int fd;
	bool has_filter;
	char filter[32];
};

struct udev_device {
	int refs;
	struct udev *udev;
	unsigned long long seqnum;
	char action[16], subsystem[16], sysname[32];
	char devpath[96], syspath[160];
};

static unsigned long long seqnum = 1000;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&fk_mutex);
	if (kernel()) {
		in_fk++;
		fk_log(&K, "%s", line);
		in_fk--;
	}
	pthread_mutex_unlock(&fk_mutex);
}

EXPORT struct udev *udev_new(void)
{
	struct udev *u = calloc(1, sizeof(*u));

	if (u)
		u->refs = 1;
	return u;
}

EXPORT struct udev *udev_ref(struct udev *u)
{
	if (u)
		u->refs++;
	return u;
}

EXPORT struct udev *udev_unref(struct udev *u)
{
	if (u && !--u->refs)
		free(u);
	return NULL;
}

EXPORT struct udev_monitor *udev_monitor_new_from_netlink(struct udev *udev,
							  const char *name)
{
	pthread_mutex_lock(&fk_mutex);
	int active = kernel();
	pthread_mutex_unlock(&fk_mutex);
	if (!active || !udev) {
		errno = ENOSYS;
		return NULL;
	}
	if (!name || strcmp(name, "kernel")) {
		note("VIOLATION udev_monitor_new_from_netlink(\"%s\"): not the "
		     "kernel source (events would come after udevd's rules)",
		     name ? name : "(null)");
		/* "udev" is legal libudev usage, so go on. */
	}
	struct udev_monitor *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	char p[PATH_MAX + 16];
	snprintf(p, sizeof(p), "%s/uevents", K.dir);
	in_fk++;
	m->fd = real_openat(AT_FDCWD, p, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
	in_fk--;
	if (m->fd < 0) {
		free(m);
		return NULL;
	}
	m->refs = 1;
	m->udev = udev_ref(udev);
	note("udev monitor created (fd %d)", m->fd);
	return m;
}

EXPORT struct udev_monitor *udev_monitor_ref(struct udev_monitor *m)
{
	if (m)
		m->refs++;
	return m;
}

EXPORT struct udev_monitor *udev_monitor_unref(struct udev_monitor *m)
{
	if (m && !--m->refs) {
		real_close(m->fd);
		udev_unref(m->udev);
		free(m);
	}
	return NULL;
}

EXPORT struct udev *udev_monitor_get_udev(struct udev_monitor *m)
{
	return m ? m->udev : NULL;
}

EXPORT int udev_monitor_filter_add_match_subsystem_devtype(
	struct udev_monitor *m, const char *subsystem, const char *devtype)
{
	if (!m || !subsystem)
		return -EINVAL;
	if (strcmp(subsystem, "memory") || devtype)
		note("udev filter subsystem %s devtype %s", subsystem,
		     devtype ? devtype : "(null)");
	m->has_filter = true;
	snprintf(m->filter, sizeof(m->filter), "%s", subsystem);
	return 0;
}

EXPORT int udev_monitor_filter_update(struct udev_monitor *m)
{
	return m ? 0 : -EINVAL;
}

EXPORT int udev_monitor_set_receive_buffer_size(struct udev_monitor *m,
						int size)
{
	if (!m)
		return -EINVAL;
	/* The FIFO stands for the socket buffer: one record per event. */
	long want = (long)size / 4;
	if (want < 65536)
		want = 65536;
	if (want > 1048576)
		want = 1048576;
	fcntl(m->fd, F_SETPIPE_SZ, (int)want);
	note("receive buffer %d", size);
	return 0;
}

EXPORT int udev_monitor_enable_receiving(struct udev_monitor *m)
{
	if (!m)
		return -EINVAL;
	char p[PATH_MAX + 16], v[32];
	snprintf(p, sizeof(p), "%s/enabled", K.dir);
	snprintf(v, sizeof(v), "%ld\n", (long)getpid());
	pthread_mutex_lock(&fk_mutex);
	in_fk++;
	fk_write_file(p, v);
	fk_log(&K, "udev monitor receiving (filter %s)",
	       m->has_filter ? m->filter : "none");
	in_fk--;
	pthread_mutex_unlock(&fk_mutex);
	return 0;
}

EXPORT int udev_monitor_get_fd(struct udev_monitor *m)
{
	return m ? m->fd : -EINVAL;
}

static void drain(int fd)
{
	struct fk_uevent ev;

	while (read(fd, &ev, sizeof(ev)) > 0)
		;
}

EXPORT struct udev_device *udev_monitor_receive_device(struct udev_monitor *m)
{
	struct fk_uevent ev;
	char flag[PATH_MAX + 16];

	if (!m) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(flag, sizeof(flag), "%s/overflowed", K.dir);
	for (;;) {
		if (!access(flag, F_OK)) {
			unlink(flag);
			drain(m->fd);
			note("receive: ENOBUFS (queue overflowed)");
			errno = ENOBUFS;
			return NULL;
		}
		ssize_t n = read(m->fd, &ev, sizeof(ev));
		if (n < 0)
			return NULL; /* errno EAGAIN */
		if (n != (ssize_t)sizeof(ev) || memcmp(ev.magic, "FKUE", 4)) {
			note("VIOLATION torn uevent record (%zd bytes)", n);
			errno = EIO;
			return NULL;
		}
		ev.action[sizeof(ev.action) - 1] = '\0';
		ev.subsystem[sizeof(ev.subsystem) - 1] = '\0';
		ev.sysname[sizeof(ev.sysname) - 1] = '\0';
		if (!strcmp(ev.action, FK_ACTION_OVERFLOW)) {
			drain(m->fd);
			note("receive: ENOBUFS (injected overflow)");
			errno = ENOBUFS;
			return NULL;
		}
		if (m->has_filter && strcmp(ev.subsystem, m->filter))
			continue;
		struct udev_device *d = calloc(1, sizeof(*d));
		if (!d) {
			errno = ENOMEM;
			return NULL;
		}
		d->refs = 1;
		d->udev = udev_ref(m->udev);
		d->seqnum = ++seqnum;
		snprintf(d->action, sizeof(d->action), "%s", ev.action);
		snprintf(d->subsystem, sizeof(d->subsystem), "%s",
			 ev.subsystem);
		snprintf(d->sysname, sizeof(d->sysname), "%s", ev.sysname);
		snprintf(d->devpath, sizeof(d->devpath),
			 "/devices/system/%s/%s", ev.subsystem, ev.sysname);
		/* What real libudev reports: the machine's /sys. A daemon
		 * using it bypasses --root (and the open is refused). */
		snprintf(d->syspath, sizeof(d->syspath), "/sys%s", d->devpath);
		return d;
	}
}

EXPORT struct udev_device *udev_device_ref(struct udev_device *d)
{
	if (d)
		d->refs++;
	return d;
}

EXPORT struct udev_device *udev_device_unref(struct udev_device *d)
{
	if (d && !--d->refs) {
		udev_unref(d->udev);
		free(d);
	}
	return NULL;
}

EXPORT struct udev *udev_device_get_udev(struct udev_device *d)
{
	return d ? d->udev : NULL;
}

EXPORT const char *udev_device_get_action(struct udev_device *d)
{
	return d ? d->action : NULL;
}

EXPORT const char *udev_device_get_sysname(struct udev_device *d)
{
	return d ? d->sysname : NULL;
}

EXPORT const char *udev_device_get_subsystem(struct udev_device *d)
{
	return d ? d->subsystem : NULL;
}

EXPORT const char *udev_device_get_devpath(struct udev_device *d)
{
	return d ? d->devpath : NULL;
}

EXPORT const char *udev_device_get_syspath(struct udev_device *d)
{
	return d ? d->syspath : NULL;
}

EXPORT const char *udev_device_get_devtype(struct udev_device *d)
{
	(void)d;
	return NULL;
}

EXPORT const char *udev_device_get_devnode(struct udev_device *d)
{
	(void)d;
	return NULL;
}

EXPORT const char *udev_device_get_sysnum(struct udev_device *d)
{
	if (!d)
		return NULL;
	const char *p = d->sysname + strlen(d->sysname);
	while (p > d->sysname && isdigit((unsigned char)p[-1]))
		p--;
	return *p ? p : NULL;
}

EXPORT unsigned long long udev_device_get_seqnum(struct udev_device *d)
{
	return d ? d->seqnum : 0;
}

EXPORT int udev_device_get_is_initialized(struct udev_device *d)
{
	return d ? 1 : -EINVAL;
}

EXPORT const char *udev_device_get_property_value(struct udev_device *d,
						  const char *key)
{
	if (!d || !key)
		return NULL;
	if (!strcmp(key, "ACTION"))
		return d->action;
	if (!strcmp(key, "SUBSYSTEM"))
		return d->subsystem;
	if (!strcmp(key, "DEVPATH"))
		return d->devpath;
	return NULL;
}
