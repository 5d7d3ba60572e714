// SPDX-License-Identifier: MIT
/*
 * floor-writer: the fastest honest userspace onliner, for the plug benchmark
 * only (bench/bench.py --modes ...,floor,floor-hold).  Not part of memhotd.
 *
 * It onlines every memory block it sees added, with no policy of its own:
 * it writes "online" (not online_movable/online_kernel) to the block's
 * state, so the kernel picks the zone with its own memory_hotplug.online_
 * policy (zone_for_pfn_range() with MMOP_ONLINE), exactly as it does when
 * it onlines inside add_memory() itself.  The guest is booted with
 * memhp_default_state=offline and the kernel's auto-movable parameters, so
 * the layout is the kernel's by construction; what is left is the cost of
 * doing the onlining from userspace: a uevent, a wake-up, open + write.
 *
 * What makes it the floor: one raw NETLINK_KOBJECT_UEVENT socket with a
 * classic BPF filter that passes only "add@/devices/system/memory/m..."
 * messages (the per-block "online" uevents never wake it), no libudev, no
 * log line per block, no reads: openat(memory dir, "memoryN/state") +
 * write("online") + close, in the order of the adds.
 *
 *   floor-writer [--hold] [--pidfile FILE]
 *
 * --hold: the same virtio-mem write hold memhotd uses (src/core/sched.c,
 * vmem_holding()): while adds keep coming and fewer blocks than virtio-mem's
 * offline threshold (max(1 GiB, 2 blocks)) are offline, wait until 5 ms after
 * the last add; at the threshold write at once down to half of it, then wait
 * again.  It assumes, as the benchmark guest has, that every added block is
 * one virtio-mem device's.
 *
 * Never run it on a machine whose memory you care about: it onlines
 * whatever is hot-added there (there is no --root; it is a guest tool).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MEMDIR "/sys/devices/system/memory"
#define PREFIX "add@/devices/system/memory/memory"
#define QUIET_NSEC 5000000ULL /* MH_SCHED_HOLD_QUIET_USEC */

static volatile sig_atomic_t stop_flag;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* FIFO of block ids in the order of their adds. */
struct queue {
	unsigned long *ids;
	size_t head, len, cap;
};

static int q_push(struct queue *q, unsigned long id)
{
	if (q->head + q->len == q->cap) {
		if (q->head) {
			memmove(q->ids, q->ids + q->head,
				q->len * sizeof(*q->ids));
			q->head = 0;
		} else {
			size_t n = q->cap ? q->cap * 2 : 1024;
			unsigned long *p = realloc(q->ids, n * sizeof(*p));

			if (!p)
				return -ENOMEM;
			q->ids = p;
			q->cap = n;
		}
	}
	q->ids[q->head + q->len++] = id;
	return 0;
}

struct hold {
	bool on, draining;
	size_t stop, resume;
	uint64_t last_add, restart, until;
};

/* memhotd's vmem_holding() with off = blocks added and not yet written. */
static bool holding(struct hold *h, size_t off, uint64_t now)
{
	uint64_t t;

	if (!h->on)
		return false;
	if (off >= h->stop) {
		h->draining = true; /* the worker has stopped */
		return false;
	}
	if (h->draining) {
		if (off > h->resume)
			return false;
		h->draining = false; /* the write before restarted it */
		h->restart = now;
	}
	t = h->last_add > h->restart ? h->last_add : h->restart;
	if (now >= t + QUIET_NSEC)
		return false;
	h->until = t + QUIET_NSEC;
	return true;
}

static int uevent_socket(void)
{
	/* Words of "add@/devices/system/memory/m" as BPF loads them
	 * (big-endian); anything else is dropped in the kernel. */
	static const char want[] = "add@/devices/system/memory/m";
	struct sock_filter f[2 * 7 + 2];
	struct sock_fprog prog = {.len = 0, .filter = f};
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1};
	int fd, i, sz = 8 << 20;

	for (i = 0; i < 7; i++) {
		const unsigned char *w = (const unsigned char *)want + 4 * i;
		uint32_t v = (uint32_t)w[0] << 24 | (uint32_t)w[1] << 16 |
			     (uint32_t)w[2] << 8 | w[3];

		f[prog.len++] = (struct sock_filter)BPF_STMT(
			BPF_LD | BPF_W | BPF_ABS, (uint32_t)(4 * i));
		/* equal: next word; else jump to the drop at the end */
		f[prog.len++] = (struct sock_filter)BPF_JUMP(
			BPF_JMP | BPF_JEQ | BPF_K, v, 0,
			(uint8_t)(2 * (6 - i) + 1));
	}
	f[prog.len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffff);
	f[prog.len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	/* a plug of 64 GiB is 512 adds; never lose one */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) <
		    0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Reads every pending uevent; queues the memory blocks added. */
static int drain(int fd, struct queue *q, struct hold *h)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		char *end;
		unsigned long id;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS) {
				fprintf(stderr, "floor-writer: uevents lost\n");
				return -ENOBUFS;
			}
			return -errno;
		}
		buf[n] = '\0';
		if (strncmp(buf, PREFIX, sizeof(PREFIX) - 1) != 0)
			continue;
		errno = 0;
		id = strtoul(buf + sizeof(PREFIX) - 1, &end, 10);
		if (errno || end == buf + sizeof(PREFIX) - 1 || *end)
			continue;
		if (q_push(q, id) < 0)
			return -ENOMEM;
		h->last_add = now_ns();
	}
}

static int online(int dfd, unsigned long id)
{
	char path[64];
	int fd, e = 0;

	snprintf(path, sizeof(path), "memory%lu/state", id);
	fd = openat(dfd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "online", 6) != 6)
		e = -errno;
	close(fd);
	return e;
}

/* Offline blocks present at start (none in the benchmark): queued too. */
static int coldplug(int dfd, struct queue *q)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[300], st[16] = "";
		unsigned long id;
		char *end;
		int sfd;
		ssize_t r;

		if (strncmp(de->d_name, "memory", 6) != 0)
			continue;
		id = strtoul(de->d_name + 6, &end, 10);
		if (end == de->d_name + 6 || *end)
			continue;
		snprintf(path, sizeof(path), "%s/state", de->d_name);
		sfd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
		if (sfd < 0)
			continue;
		r = read(sfd, st, sizeof(st) - 1);
		close(sfd);
		if (r > 0 && strncmp(st, "offline", 7) == 0 &&
		    q_push(q, id) == 0)
			n++;
	}
	closedir(d);
	return (int)n;
}

static void on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static size_t block_size(void)
{
	char buf[32] = "";
	int fd = open(MEMDIR "/block_size_bytes", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? (size_t)strtoull(buf, NULL, 16) : 0;
}

int main(int argc, char **argv)
{
	struct queue q = {0};
	struct hold h = {0};
	struct sigaction sa = {.sa_handler = on_term};
	const char *pidfile = NULL;
	unsigned long written = 0, failed = 0, holds = 0;
	size_t bs;
	int i, fd, dfd, n;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hold") == 0)
			h.on = true;
		else if (strcmp(argv[i], "--pidfile") == 0 && i + 1 < argc)
			pidfile = argv[++i];
		else {
			fprintf(stderr, "usage: floor-writer [--hold] "
					"[--pidfile FILE]\n");
			return 2;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* virtio-mem's offline threshold, as mh_sched_vmem_thresholds() */
	bs = block_size();
	h.stop = bs ? (size_t)(((1ULL << 30) > 2ULL * bs ? (1ULL << 30)
							 : 2ULL * bs) /
			       bs)
		    : 2;
	h.resume = h.stop / 2;
	fd = uevent_socket();
	if (fd < 0) {
		fprintf(stderr, "floor-writer: uevent socket: %s\n",
			strerror(-fd));
		return 1;
	}
	dfd = open(MEMDIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "floor-writer: %s: %s\n", MEMDIR,
			strerror(errno));
		return 1;
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (f) {
			fprintf(f, "%ld\n", (long)getpid());
			fclose(f);
		}
	}
	n = coldplug(dfd, &q);
	fprintf(stderr,
		"floor-writer: ready, hold %s (stop %zu, resume %zu blocks); "
		"coldplug: %d offline blocks queued\n",
		h.on ? "on" : "off", h.stop, h.resume, n < 0 ? 0 : n);
	while (!stop_flag) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct timespec ts, *tp = NULL;
		int e = drain(fd, &q, &h);

		if (e < 0 && e != -ENOBUFS)
			break;
		if (q.len) {
			uint64_t now = now_ns();

			if (!holding(&h, q.len, now)) {
				e = online(dfd, q.ids[q.head]);
				if (e < 0) {
					failed++;
					fprintf(stderr,
						"floor-writer: memory%lu: %s\n",
						q.ids[q.head], strerror(-e));
				} else {
					written++;
				}
				q.head++;
				q.len--;
				continue;
			}
			holds++;
			ts.tv_sec = (time_t)((h.until - now) / 1000000000ULL);
			ts.tv_nsec = (long)((h.until - now) % 1000000000ULL);
			tp = &ts;
		}
		if (ppoll(&p, 1, tp, NULL) < 0 && errno != EINTR)
			break;
	}
	fprintf(stderr, "floor-writer: %lu written, %lu failed, %lu holds\n",
		written, failed, holds);
	free(q.ids);
	close(dfd);
	close(fd);
	return 0;
}
