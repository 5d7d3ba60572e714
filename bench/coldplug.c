// SPDX-License-Identifier: MIT
/*
 * Coldplug benchmark (not a test): the real scheduler, inventory and policy
 * deciding N offline hotplugged blocks of 128 MiB, as a restarted memhotd
 * does on a big guest.  The blocks sit in 256 GiB devices (2048 blocks
 * each) on 2 nodes with 64 GiB of boot memory each: ACPI DIMMs (static
 * memory groups; -l dimm, the default) or virtio-mem devices (dynamic
 * groups, where the ratio bites block by block and the write hold runs;
 * -l virtio: the clock jumps over the hold's waits).  Every write
 * "succeeds" in the inventory, as in a dry run.  No I/O.
 *
 * For each size (1Ki, 2Ki, ... up to -n, default 64Ki) a child process
 * fills the inventory, queues every block and runs the scheduler until it
 * is idle.  Reported: decisions, wall and CPU seconds for the decisions
 * (enqueue + pick + decide + outcome; CPU time is what a loaded host does
 * not distort), decisions per CPU second, the inventory fill time, the
 * child's peak RSS (VmHWM: inventory + scheduler + libc) and the
 * scheduler's own allocations with every block queued.
 *
 *   coldplug [-n MAX_BLOCKS] [-r RATIO] [-l dimm|virtio]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memhotd/inventory.h"
#include "memhotd/sched.h"

#define BS (128ULL << 20)
#define BP (BS / 4096)
#define DIMM_BLOCKS 2048ULL
#define BOOT_BLOCKS_PER_NODE 512ULL /* 64 GiB */
#define FIRST_ID 1024ULL

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t usec(void)
{
	return (uint64_t)(now_sec() * 1e6);
}

static long vm_hwm_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static bool virtio;

static int run_size(size_t n, unsigned int ratio)
{
	struct mh_inventory inv;
	struct mh_policy_config cfg = {
		.policy = MH_POLICY_AUTO_MOVABLE,
		.ratio = ratio,
		.numa_aware = true,
	};
	struct mh_sched s;
	struct mh_sched_action a;
	size_t i, decisions = 0, movable = 0, ndimms, sched_bytes = 0;
	double t0, t1, t2, c1, c2;
	uint64_t skew = 0; /* virtual time skipped over hold waits */

	if (mh_inv_init(&inv, BS) < 0)
		return 1;
	t0 = now_sec();
	for (int nid = 0; nid < 2; nid++) {
		if (mh_inv_ensure_node(&inv, nid) < 0)
			return 1;
		mh_inv_calibrate(&inv, nid, BOOT_BLOCKS_PER_NODE * BP, 0, 0);
	}
	ndimms = (n + DIMM_BLOCKS - 1) / DIMM_BLOCKS;
	for (i = 0; i < ndimms; i++) {
		uint64_t first = FIRST_ID + i * DIMM_BLOCKS;
		size_t nb = n - i * DIMM_BLOCKS < DIMM_BLOCKS
				    ? n - i * DIMM_BLOCKS
				    : DIMM_BLOCKS;
		char name[32];
		ssize_t g;

		if (virtio) {
			snprintf(name, sizeof(name), "virtio%zu", i);
			g = mh_inv_group_add(&inv, name, MH_GROUP_VIRTIO_MEM,
					     (int)(i % 2), first * BP,
					     (first + DIMM_BLOCKS) * BP, BP);
		} else {
			snprintf(name, sizeof(name), "PNP0C80:%02zx", i);
			g = mh_inv_group_add(&inv, name, MH_GROUP_DIMM,
					     (int)(i % 2), first * BP,
					     (first + nb) * BP, nb * BP);
		}
		if (g < 0)
			return 1;
		for (size_t j = 0; j < nb; j++) {
			struct mh_block *b =
				mh_inv_add_block(&inv, first + j, true);

			if (!b || mh_inv_set_node(&inv, b, (int)(i % 2)) < 0)
				return 1;
			mh_inv_set_group(&inv, b, g);
		}
	}
	mh_sched_init(&s, &inv, &cfg, MH_VMEM_THROTTLE_BYTES);
	t1 = now_sec();
	c1 = cpu_sec();
	for (i = 0; i < n; i++)
		if (mh_sched_enqueue(&s, FIRST_ID + i, usec()) != 1)
			return 1;
	sched_bytes = mh_sched_footprint(&s);
	for (;;) {
		uint64_t now = usec() + skew, delay;
		unsigned int att;
		struct mh_block *b;

		mh_sched_next(&s, now, &a);
		if (a.kind == MH_SCHED_WAIT) {
			skew += a.until - now;
			continue;
		}
		if (a.kind != MH_SCHED_WRITE)
			break;
		b = mh_inv_block(&inv, a.id);
		mh_sched_written(&s, a.id, MH_WRITE_SUCCESS, 0, now, &delay,
				 &att);
		mh_inv_set_online(&inv, b,
				  a.dec.target == MH_TARGET_MOVABLE
					  ? MH_ZONE_MOVABLE
					  : MH_ZONE_NORMAL,
				  MH_BY_MEMHOTD);
		/* as the daemon does: kept for status and explain */
		mh_inv_set_decision(&inv, b, &a.dec);
		decisions++;
		movable += a.dec.target == MH_TARGET_MOVABLE;
	}
	t2 = now_sec();
	c2 = cpu_sec();
	if (a.kind != MH_SCHED_IDLE || decisions != n) {
		fprintf(stderr, "coldplug %zu: stopped after %zu (%d)\n", n,
			decisions, (int)a.kind);
		return 1;
	}
	printf("%8zu %10zu %9.3f %9.3f %12.0f %9.3f %9ld %9zu %8zu\n", n,
	       decisions, t2 - t1, c2 - c1, (double)decisions / (c2 - c1),
	       t1 - t0, vm_hwm_kib(), sched_bytes >> 10, movable);
	fflush(stdout);
	mh_sched_free(&s);
	mh_inv_free(&inv);
	return 0;
}

int main(int argc, char **argv)
{
	size_t max = 65536, n;
	unsigned int ratio = 301;
	int c, status, ret = 0;

	while ((c = getopt(argc, argv, "n:r:l:")) != -1) {
		switch (c) {
		case 'n':
			max = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			ratio = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'l':
			virtio = strcmp(optarg, "virtio") == 0;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n MAX_BLOCKS] [-r RATIO] "
				"[-l dimm|virtio]\n",
				argv[0]);
			return 2;
		}
	}
	printf("# coldplug: scheduler + inventory + policy, 128 MiB blocks in "
	       "256 GiB %s, 2 nodes, ratio %u\n",
	       virtio ? "virtio-mem devices" : "DIMMs", ratio);
	printf("%8s %10s %9s %9s %12s %9s %9s %9s %8s\n", "blocks", "decisions",
	       "wall_s", "cpu_s", "decisions/s", "fill_s", "hwm_kib",
	       "sched_kib", "movable");
	fflush(stdout);
	for (n = 1024; n <= max; n *= 2) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(run_size(n, ratio));
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ret = 1;
	}
	return ret;
}
