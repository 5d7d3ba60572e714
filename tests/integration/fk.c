/* SPDX-License-Identifier: MIT */
/*
 * The simulated kernel (see fk.h).  File contents are read and written
 * with stdio: glibc's stdio does not go through the PLT, so inside
 * fakekernel.so these never reach our own open/write interposers.
 */
#include "fk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MEMDIR "sys/devices/system/memory"
#define NODEDIR "sys/devices/system/node"
#define ACPIDIR "sys/devices/LNXSYSTM:00/LNXSYBUS:00"

static const char *const zone_names[FK_NR_ZONES] = {"DMA", "DMA32", "Normal",
						    "Movable", "Device"};

const char *fk_zone_name(int zidx)
{
	return zidx >= 0 && zidx < FK_NR_ZONES ? zone_names[zidx] : "?";
}

int fk_path(const struct fk *k, char *buf, size_t len, const char *fmt, ...)
{
	int n = snprintf(buf, len, "%s/", k->root);
	va_list ap;

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)(n + m) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int dpath(const struct fk *k, char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", k->dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int fk_read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	size_t n = fread(buf, 1, len - 1, f);
	int err = ferror(f) ? -EIO : 0;
	fclose(f);
	buf[n] = '\0';
	return err ? err : (int)n;
}

int fk_write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	size_t len = strlen(s);
	int err = fwrite(s, 1, len, f) == len ? 0 : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* Write to a temp file and rename: readers never see a half file. */
static int write_atomic(const char *path, const char *s)
{
	char tmp[4200];

	snprintf(tmp, sizeof(tmp), "%s.fk%ld", path, (long)getpid());
	int err = fk_write_file(tmp, s);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static bool under_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) && (path[n] == '/' || !path[n]);
}

int fk_open(struct fk *k, const char *root, const char *dir)
{
	memset(k, 0, sizeof(*k));
	k->lockfd = -1;
	k->fifo_w = -1;
	if (!realpath(root, k->root) || !realpath(dir, k->dir))
		return -errno;
	/* Refuse anything that could be the real machine. */
	if (!strcmp(k->root, "/") || under_prefix(k->root, "/sys") ||
	    under_prefix(k->root, "/proc") || under_prefix(k->root, "/dev") ||
	    under_prefix(k->root, "/run") || under_prefix(k->root, "/etc"))
		return -EPERM;
	char p[4200];
	dpath(k, p, sizeof(p), "lock");
	k->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (k->lockfd < 0)
		return -errno;
	dpath(k, p, sizeof(p), "uevents");
	/* O_RDWR never blocks on a FIFO and keeps it alive. */
	k->fifo_w = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (k->fifo_w < 0)
		return -errno;
	return 0;
}

void fk_close(struct fk *k)
{
	if (k->lockfd >= 0)
		close(k->lockfd);
	if (k->fifo_w >= 0)
		close(k->fifo_w);
	k->lockfd = k->fifo_w = -1;
}

int fk_lock(struct fk *k)
{
	if (k->locked++)
		return 0;
	while (flock(k->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

void fk_unlock(struct fk *k)
{
	if (k->locked && !--k->locked)
		flock(k->lockfd, LOCK_UN);
}

void fk_log(struct fk *k, const char *fmt, ...)
{
	char line[1024], p[4200];
	va_list ap;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	int n = snprintf(line, sizeof(line), "%ld.%03ld [%ld] ",
			 (long)ts.tv_sec, ts.tv_nsec / 1000000, (long)getpid());
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	dpath(k, p, sizeof(p), "log");
	FILE *f = fopen(p, "ae");
	if (f) {
		fputs(line, f);
		fclose(f);
	}
}

int fk_emit(struct fk *k, const char *action, const char *subsystem,
	    const char *sysname)
{
	struct fk_uevent ev;

	memset(&ev, 0, sizeof(ev));
	memcpy(ev.magic, "FKUE", 4);
	snprintf(ev.action, sizeof(ev.action), "%s", action);
	snprintf(ev.subsystem, sizeof(ev.subsystem), "%s", subsystem);
	snprintf(ev.sysname, sizeof(ev.sysname), "%s", sysname);
	ssize_t n = write(k->fifo_w, &ev, sizeof(ev));
	if (n == (ssize_t)sizeof(ev))
		return 0;
	if (n < 0 && errno == EAGAIN) {
		/* The socket buffer is full: the kernel drops the event
		 * and the next receive fails with ENOBUFS. */
		char p[4200];
		dpath(k, p, sizeof(p), "overflowed");
		fk_write_file(p, "1\n");
		fk_log(k, "uevent %s %s dropped: queue full", action, sysname);
		return -EAGAIN;
	}
	return n < 0 ? -errno : -EIO;
}

int fk_emit_block(struct fk *k, const char *action, uint64_t id)
{
	char name[32];

	snprintf(name, sizeof(name), "memory%" PRIu64, id);
	return fk_emit(k, action, "memory", name);
}

/* ---- zoneinfo -------------------------------------------------------- */

static const char *const node_stats[] = {"nr_inactive_anon",
					 "nr_active_anon",
					 "nr_inactive_file",
					 "nr_active_file",
					 "nr_unevictable",
					 "nr_slab_reclaimable",
					 "nr_slab_unreclaimable",
					 "nr_isolated_anon",
					 "nr_isolated_file",
					 "workingset_nodes",
					 "workingset_refault_anon",
					 "workingset_refault_file",
					 "workingset_activate_anon",
					 "workingset_activate_file",
					 "workingset_restore_anon",
					 "workingset_restore_file",
					 "workingset_nodereclaim",
					 "nr_anon_pages",
					 "nr_mapped",
					 "nr_file_pages",
					 "nr_dirty",
					 "nr_writeback",
					 "nr_writeback_temp",
					 "nr_shmem",
					 "nr_shmem_hugepages",
					 "nr_shmem_pmdmapped",
					 "nr_file_hugepages",
					 "nr_file_pmdmapped",
					 "nr_anon_transparent_hugepages",
					 "nr_vmscan_write",
					 "nr_vmscan_immediate_reclaim",
					 "nr_dirtied",
					 "nr_written",
					 "nr_throttled_written",
					 "nr_kernel_misc_reclaimable",
					 "nr_foll_pin_acquired",
					 "nr_foll_pin_released",
					 "nr_kernel_stack",
					 "nr_page_table_pages",
					 "nr_sec_page_table_pages",
					 "nr_swapcached"};
static const char *const zone_stats[] = {"nr_free_pages",
					 "nr_zone_inactive_anon",
					 "nr_zone_active_anon",
					 "nr_zone_inactive_file",
					 "nr_zone_active_file",
					 "nr_zone_unevictable",
					 "nr_zone_write_pending",
					 "nr_mlock",
					 "nr_bounce",
					 "nr_zspages",
					 "nr_free_cma",
					 "numa_hit",
					 "numa_miss",
					 "numa_foreign",
					 "numa_interleave",
					 "numa_local",
					 "numa_other"};

#define APPEND(...)                                                            \
	do {                                                                   \
		int n_ = snprintf(buf + off, off < len ? len - off : 0,        \
				  __VA_ARGS__);                                \
		if (n_ < 0)                                                    \
			return -EIO;                                           \
		off += (size_t)n_;                                             \
	} while (0)

/* mm/vmstat.c zoneinfo_show_print() of 6.1, two CPUs. */
int fk_zoneinfo_render(const struct fk_zoneinfo *zi, char *buf, size_t len)
{
	size_t off = 0;

	for (int nid = 0; nid < zi->nr_nodes; nid++) {
		int first = -1;
		for (int z = 0; z < FK_NR_ZONES; z++)
			if (zi->z[nid][z].present && first < 0)
				first = z;
		for (int z = 0; z < FK_NR_ZONES; z++) {
			const struct fk_zone *zz = &zi->z[nid][z];
			APPEND("Node %d, zone %8s", nid, zone_names[z]);
			if (z == first) {
				APPEND("\n  per-node stats");
				for (size_t i = 0;
				     i <
				     sizeof(node_stats) / sizeof(*node_stats);
				     i++)
					APPEND("\n      %-12s %lu",
					       node_stats[i],
					       i == 2 ? 51234UL : 0UL);
			}
			unsigned long min = zz->managed / 256;
			APPEND("\n  pages free     %lu"
			       "\n        boost    %lu"
			       "\n        min      %lu"
			       "\n        low      %lu"
			       "\n        high     %lu"
			       "\n        spanned  %lu"
			       "\n        present  %lu"
			       "\n        managed  %lu"
			       "\n        cma      %lu",
			       (unsigned long)zz->free, 0UL, min, min + min / 4,
			       min + min / 2, (unsigned long)zz->spanned,
			       (unsigned long)zz->present,
			       (unsigned long)zz->managed,
			       (unsigned long)zz->cma);
			APPEND("\n        protection: (0, %d, %d, %d, %d)",
			       z < FK_DMA32 ? 1919 : 0,
			       z < FK_NORMAL ? 3839 : 0,
			       z < FK_MOVABLE ? 3839 : 0,
			       z < FK_DEVICE ? 3839 : 0);
			if (!zz->present) {
				APPEND("\n");
				continue;
			}
			for (size_t i = 0;
			     i < sizeof(zone_stats) / sizeof(*zone_stats); i++)
				APPEND("\n      %-12s %lu", zone_stats[i],
				       i == 0 ? (unsigned long)zz->free : 0UL);
			APPEND("\n  pagesets");
			for (int cpu = 0; cpu < 2; cpu++) {
				APPEND("\n    cpu: %i"
				       "\n              count: %i"
				       "\n              high:  %i"
				       "\n              batch: %i",
				       cpu, 7, 378, 63);
				APPEND("\n  vm stats threshold: %d", 24);
			}
			APPEND("\n  node_unreclaimable:  %u"
			       "\n  start_pfn:           %lu\n",
			       0U, (unsigned long)zz->start_pfn);
		}
	}
	return off < len ? (int)off : -ENOBUFS;
}

int fk_zoneinfo_parse(const char *text, struct fk_zoneinfo *zi)
{
	int nid = -1, z = -1;
	const char *p = text;

	memset(zi, 0, sizeof(*zi));
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char line[256], name[32];
		unsigned long v;
		int id;

		snprintf(line, sizeof(line), "%.*s", (int)(n < 255 ? n : 255),
			 p);
		p += n + (eol ? 1 : 0);
		if (sscanf(line, "Node %d, zone %31s", &id, name) == 2) {
			nid = id;
			z = -1;
			for (int i = 0; i < FK_NR_ZONES; i++)
				if (!strcmp(name, zone_names[i]))
					z = i;
			if (nid < 0 || nid >= FK_MAX_NODES || z < 0)
				return -EINVAL;
			if (nid + 1 > zi->nr_nodes)
				zi->nr_nodes = nid + 1;
			continue;
		}
		if (nid < 0 || z < 0)
			continue;
		struct fk_zone *zz = &zi->z[nid][z];
		if (sscanf(line, "  pages free %lu", &v) == 1)
			zz->free = v;
		else if (sscanf(line, " spanned %lu", &v) == 1)
			zz->spanned = v;
		else if (sscanf(line, " present %lu", &v) == 1)
			zz->present = v;
		else if (sscanf(line, " managed %lu", &v) == 1)
			zz->managed = v;
		else if (sscanf(line, " cma %lu", &v) == 1)
			zz->cma = v;
		else if (sscanf(line, "  start_pfn: %lu", &v) == 1)
			zz->start_pfn = v;
	}
	return zi->nr_nodes ? 0 : -EINVAL;
}

int fk_zoneinfo_load(struct fk *k, struct fk_zoneinfo *zi)
{
	static char buf[1 << 18];
	char p[4200];

	fk_path(k, p, sizeof(p), "proc/zoneinfo");
	int n = fk_read_file(p, buf, sizeof(buf));
	if (n < 0)
		return n;
	return fk_zoneinfo_parse(buf, zi);
}

int fk_zoneinfo_store(struct fk *k, const struct fk_zoneinfo *zi)
{
	static char buf[1 << 18];
	char p[4200];

	int n = fk_zoneinfo_render(zi, buf, sizeof(buf));
	if (n < 0)
		return n;
	fk_path(k, p, sizeof(p), "proc/zoneinfo");
	return write_atomic(p, buf);
}

/* ---- devices and iomem ---------------------------------------------- */

static const char *const kind_names[] = {"virtio", "dimm", "dax"};

int fk_devices_load(struct fk *k, struct fk_device *devs, int *nr)
{
	char p[4200], buf[4096];

	*nr = 0;
	dpath(k, p, sizeof(p), "devices");
	int n = fk_read_file(p, buf, sizeof(buf));
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return n;
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l && *nr < FK_MAX_DEVICES;
	     l = strtok_r(NULL, "\n", &save)) {
		char kind[16];
		struct fk_device *d = &devs[*nr];
		unsigned long long first, count;
		if (sscanf(l, "%15s %31s %llu %llu %d %d", kind, d->name,
			   &first, &count, &d->nid, &d->plugged) != 6)
			return -EINVAL;
		d->first_block = first;
		d->nr_blocks = count;
		d->kind = !strcmp(kind, "dimm")	 ? FK_DEV_DIMM
			  : !strcmp(kind, "dax") ? FK_DEV_DAX
						 : FK_DEV_VIRTIO;
		(*nr)++;
	}
	return 0;
}

int fk_devices_store(struct fk *k, const struct fk_device *devs, int nr)
{
	char p[4200], buf[4096];
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < nr; i++)
		off += snprintf(buf + off, sizeof(buf) - off,
				"%s %s %llu %llu %d %d\n",
				kind_names[devs[i].kind], devs[i].name,
				(unsigned long long)devs[i].first_block,
				(unsigned long long)devs[i].nr_blocks,
				devs[i].nid, devs[i].plugged);
	dpath(k, p, sizeof(p), "devices");
	return write_atomic(p, buf);
}

static const char iomem_low[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"0009fc00-0009ffff : Reserved\n"
	"000a0000-000bffff : PCI Bus 0000:00\n"
	"000c0000-000c99ff : Video ROM\n"
	"000f0000-000fffff : Reserved\n"
	"  000f0000-000fffff : System ROM\n"
	"00100000-7ffdffff : System RAM\n"
	"  05000000-05c00fff : Kernel code\n"
	"  05e00000-06213fff : Kernel rodata\n"
	"  06400000-0665e6ff : Kernel data\n"
	"  06d14000-06ffffff : Kernel bss\n"
	"7ffe0000-7fffffff : Reserved\n"
	"80000000-afffffff : PCI Bus 0000:00\n"
	"b0000000-bfffffff : PCI MMIO Configuration Space\n"
	"  b0000000-bfffffff : Reserved\n"
	"c0000000-febfffff : PCI Bus 0000:00\n"
	"  fe000000-fe003fff : 0000:00:01.0\n"
	"    fe000000-fe003fff : virtio-pci-modern\n"
	"fec00000-fec003ff : IOAPIC 0\n"
	"fed00000-fed003ff : HPET 0\n"
	"  fed00000-fed003ff : PNP0103:00\n"
	"fed1c000-fed1ffff : Reserved\n"
	"  fed1f410-fed1f414 : iTCO_wdt.0.auto\n"
	"fee00000-fee00fff : Local APIC\n"
	"feffc000-feffffff : Reserved\n"
	"fffc0000-ffffffff : Reserved\n"
	"100000000-17fffffff : System RAM\n";

static int dev_cmp(const void *a, const void *b)
{
	const struct fk_device *x = a, *y = b;

	return x->first_block < y->first_block	 ? -1
	       : x->first_block > y->first_block ? 1
						 : 0;
}

/* /proc/iomem as 6.1 shows it to root (kernel/resource.c r_show). */
int fk_iomem_update(struct fk *k)
{
	static char buf[1 << 16];
	struct fk_device devs[FK_MAX_DEVICES];
	int nr;
	size_t off = 0, len = sizeof(buf);
	char p[4200];

	int err = fk_devices_load(k, devs, &nr);
	if (err)
		return err;
	qsort(devs, nr, sizeof(*devs), dev_cmp);
	APPEND("%s", iomem_low);
	for (int i = 0; i < nr; i++) {
		const struct fk_device *d = &devs[i];
		unsigned long long s = d->first_block * FK_BLOCK_BYTES;
		unsigned long long e =
			(d->first_block + d->nr_blocks) * FK_BLOCK_BYTES - 1;
		if (d->kind == FK_DEV_DIMM) {
			if (d->plugged)
				APPEND("%llx-%llx : System RAM\n", s, e);
			continue;
		}
		APPEND("%llx-%llx : %s\n", s, e, d->name);
		if (d->kind == FK_DEV_DAX) {
			if (d->plugged)
				APPEND("  %llx-%llx : System RAM (kmem)\n", s,
				       e);
			continue;
		}
		/* virtio-mem: merged children over the added blocks */
		uint64_t b = d->first_block,
			 end = d->first_block + d->nr_blocks;
		while (b < end) {
			while (b < end && !fk_block_exists(k, b))
				b++;
			uint64_t run = b;
			while (b < end && fk_block_exists(k, b))
				b++;
			if (b > run)
				APPEND("  %llx-%llx : System RAM "
				       "(virtio_mem)\n",
				       (unsigned long long)(run *
							    FK_BLOCK_BYTES),
				       (unsigned long long)(b * FK_BLOCK_BYTES -
							    1));
		}
	}
	APPEND("380000000000-3807ffffffff : PCI Bus 0000:00\n");
	if (off >= len)
		return -ENOBUFS;
	fk_path(k, p, sizeof(p), "proc/iomem");
	return write_atomic(p, buf);
}

/* ---- blocks ----------------------------------------------------------- */

static int block_file(struct fk *k, uint64_t id, const char *attr, char *buf,
		      size_t len)
{
	return fk_path(k, buf, len, MEMDIR "/memory%" PRIu64 "%s%s", id,
		       attr ? "/" : "", attr ? attr : "");
}

bool fk_block_exists(struct fk *k, uint64_t id)
{
	char p[4200];
	struct stat st;

	block_file(k, id, NULL, p, sizeof(p));
	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static int block_attr(struct fk *k, uint64_t id, const char *attr,
		      const char *val)
{
	char p[4200];

	block_file(k, id, attr, p, sizeof(p));
	return write_atomic(p, val);
}

/* First word of a small file of the tree (rel) or of DIR (name). */
static void word_of(const char *path, char *out, size_t len)
{
	char v[128];

	out[0] = '\0';
	if (fk_read_file(path, v, sizeof(v)) < 0)
		return;
	v[strcspn(v, " \n")] = '\0';
	snprintf(out, len, "%s", v);
}

/*
 * The policy's answer for a new block: DIR/policy_zone ("Movable" or
 * "Normal"), written by a scenario, stands in for the auto-movable
 * computation, and counts only while the kernel's online_policy is
 * auto-movable; otherwise contig-zones: a fresh block beyond the zones
 * gets the kernel zone.  Returns true for Movable.
 */
static bool policy_movable(struct fk *k)
{
	char p[4200], w[64];

	fk_path(k, p, sizeof(p),
		"sys/module/memory_hotplug/parameters/online_policy");
	word_of(p, w, sizeof(w));
	if (strcmp(w, "auto-movable") != 0)
		return false;
	if (dpath(k, p, sizeof(p), "policy_zone"))
		return false;
	word_of(p, w, sizeof(w));
	return !strcmp(w, "Movable");
}

int fk_auto_online(struct fk *k, uint64_t id)
{
	char p[4200], w[64];
	bool movable;

	fk_path(k, p, sizeof(p), MEMDIR "/auto_online_blocks");
	word_of(p, w, sizeof(w));
	if (!w[0] || !strcmp(w, "offline"))
		return 0;
	if (!strcmp(w, "online_movable"))
		movable = true;
	else if (!strcmp(w, "online_kernel"))
		movable = false;
	else
		movable = policy_movable(k);
	fk_log(k, "kernel auto-online memory%" PRIu64 " (%s): %s", id, w,
	       movable ? "Movable" : "Normal");
	int err = fk_block_online(k, id, movable);
	return err ? -err : 1;
}

int fk_block_create(struct fk *k, uint64_t id, int nid)
{
	char p[4200], v[32];

	block_file(k, id, NULL, p, sizeof(p));
	if (mkdir(p, 0755) && errno != EEXIST)
		return -errno;
	snprintf(v, sizeof(v), "%08" PRIx64 "\n", id);
	int err = block_attr(k, id, "phys_index", v);
	err = err ? err : block_attr(k, id, "phys_device", "0\n");
	err = err ? err : block_attr(k, id, "removable", "1\n");
	err = err ? err : block_attr(k, id, "online", "0\n");
	err = err ? err : block_attr(k, id, "uevent", "");
	/* What a fresh block reads under the kernel's default contig-zones
	 * policy, or the auto-movable answer a scenario set
	 * (policy_movable). */
	err = err ? err
		  : block_attr(k, id, "valid_zones",
			       policy_movable(k) ? "Movable Normal\n"
						 : "Normal Movable\n");
	err = err ? err : block_attr(k, id, "state", "offline\n");
	if (!err && nid >= 0)
		err = fk_block_link_node(k, id, nid);
	return err;
}

int fk_block_link_node(struct fk *k, uint64_t id, int nid)
{
	char p[4200], t[256];

	fk_path(k, p, sizeof(p), MEMDIR "/memory%" PRIu64 "/node%d", id, nid);
	snprintf(t, sizeof(t), "../../node/node%d", nid);
	if (symlink(t, p) && errno != EEXIST)
		return -errno;
	fk_path(k, p, sizeof(p), NODEDIR "/node%d/memory%" PRIu64, nid, id);
	snprintf(t, sizeof(t), "../../memory/memory%" PRIu64, id);
	if (symlink(t, p) && errno != EEXIST)
		return -errno;
	return 0;
}

int fk_block_link_dimm(struct fk *k, uint64_t id, const char *dimm, int index)
{
	char p[4200], t[256];

	fk_path(k, p, sizeof(p), MEMDIR "/memory%" PRIu64 "/firmware_node", id);
	snprintf(t, sizeof(t), "../../../LNXSYSTM:00/LNXSYBUS:00/%s", dimm);
	if (symlink(t, p) && errno != EEXIST)
		return -errno;
	if (index == 0)
		fk_path(k, p, sizeof(p), ACPIDIR "/%s/physical_node", dimm);
	else
		fk_path(k, p, sizeof(p), ACPIDIR "/%s/physical_node%d", dimm,
			index);
	snprintf(t, sizeof(t), "../../../system/memory/memory%" PRIu64, id);
	if (symlink(t, p) && errno != EEXIST)
		return -errno;
	return 0;
}

int fk_block_nid(struct fk *k, uint64_t id)
{
	char p[4200];

	block_file(k, id, NULL, p, sizeof(p));
	DIR *d = opendir(p);
	if (!d)
		return -1;
	int nid = -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		if (strncmp(de->d_name, "node", 4) || !de->d_name[4])
			continue;
		long v = strtol(de->d_name + 4, &end, 10);
		if (!*end)
			nid = (int)v;
	}
	closedir(d);
	return nid;
}

int fk_block_is_online(struct fk *k, uint64_t id)
{
	char p[4200], v[64];

	block_file(k, id, "state", p, sizeof(p));
	int n = fk_read_file(p, v, sizeof(v));
	if (n < 0)
		return n;
	return !strcmp(v, "online\n");
}

const char *fk_block_zone(struct fk *k, uint64_t id)
{
	char p[4200], v[64];

	if (fk_block_is_online(k, id) != 1)
		return NULL;
	block_file(k, id, "valid_zones", p, sizeof(p));
	if (fk_read_file(p, v, sizeof(v)) < 0)
		return NULL;
	v[strcspn(v, " \n")] = '\0';
	if (!strcmp(v, "none"))
		return "none";
	for (int z = 0; z < FK_NR_ZONES; z++)
		if (!strcmp(v, zone_names[z]))
			return zone_names[z];
	return NULL;
}

static bool zone_intersects(const struct fk_zone *z, uint64_t start,
			    uint64_t nr)
{
	if (!z->spanned)
		return false;
	return start < z->start_pfn + z->spanned && start + nr > z->start_pfn;
}

static void zone_grow(struct fk_zone *z, uint64_t start, uint64_t nr)
{
	if (!z->spanned) {
		z->start_pfn = start;
		z->spanned = nr;
	} else {
		uint64_t s = start < z->start_pfn ? start : z->start_pfn;
		uint64_t e = z->start_pfn + z->spanned;
		if (start + nr > e)
			e = start + nr;
		z->start_pfn = s;
		z->spanned = e - s;
	}
	z->present += nr;
	z->managed += nr;
	z->free += nr;
}

/* mm/memory_hotplug.c shrink_zone_span(): edges move to the next online
 * block of the zone. */
static void zone_shrink(struct fk *k, struct fk_zone *z, int nid, int zidx,
			uint64_t start, uint64_t nr)
{
	z->present -= nr;
	z->managed = z->managed > nr ? z->managed - nr : 0;
	z->free = z->free > nr ? z->free - nr : 0;
	if (!z->present) {
		z->start_pfn = 0;
		z->spanned = 0;
		return;
	}
	uint64_t zs = z->start_pfn, ze = z->start_pfn + z->spanned;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (uint64_t b = zs / FK_BLOCK_PAGES;
	     b * FK_BLOCK_PAGES < ze && b < FK_MAX_BLOCK; b++) {
		if (b * FK_BLOCK_PAGES == start)
			continue;
		const char *w = fk_block_zone(k, b);
		if (!w || strcmp(w, zone_names[zidx]) ||
		    fk_block_nid(k, b) != nid)
			continue;
		if (b * FK_BLOCK_PAGES < lo)
			lo = b * FK_BLOCK_PAGES;
		hi = (b + 1) * FK_BLOCK_PAGES;
	}
	if (start == zs && lo != UINT64_MAX)
		zs = lo;
	if (start + nr == ze && hi)
		ze = hi;
	z->start_pfn = zs;
	z->spanned = ze - zs;
}

int fk_block_online(struct fk *k, uint64_t id, bool movable)
{
	struct fk_zoneinfo zi;
	uint64_t start = id * FK_BLOCK_PAGES;

	int st = fk_block_is_online(k, id);
	if (st < 0)
		return ENODEV;
	if (st == 1)
		return EINVAL; /* device_online() returned 1 */
	int nid = fk_block_nid(k, id);
	if (nid < 0) {
		/* Cannot happen on a kernel: the add holds the lock. */
		fk_log(k,
		       "VIOLATION online of memory%" PRIu64
		       " without a node link",
		       id);
		return EINVAL;
	}
	int err = fk_zoneinfo_load(k, &zi);
	if (err)
		return EIO;
	if (nid >= zi.nr_nodes) {
		for (int n = zi.nr_nodes; n <= nid; n++)
			memset(zi.z[n], 0, sizeof(zi.z[n]));
		zi.nr_nodes = nid + 1;
	}
	int zidx = FK_MOVABLE;
	if (!movable) {
		/* default_kernel_zone_for_pfn() */
		zidx = FK_NORMAL;
		for (int z = FK_DMA; z < FK_NORMAL; z++)
			if (zone_intersects(&zi.z[nid][z], start,
					    FK_BLOCK_PAGES)) {
				zidx = z;
				break;
			}
	}
	zone_grow(&zi.z[nid][zidx], start, FK_BLOCK_PAGES);
	char v[32];
	snprintf(v, sizeof(v), "%s\n", zone_names[zidx]);
	/* online_pages() adjusts the zone before the state changes */
	err = fk_zoneinfo_store(k, &zi);
	err = err ? err : block_attr(k, id, "valid_zones", v);
	err = err ? err : block_attr(k, id, "online", "1\n");
	err = err ? err : block_attr(k, id, "state", "online\n");
	if (err)
		return EIO;
	fk_emit_block(k, "online", id);
	return 0;
}

int fk_block_offline(struct fk *k, uint64_t id)
{
	struct fk_zoneinfo zi;

	int st = fk_block_is_online(k, id);
	if (st < 0)
		return ENODEV;
	if (st == 0)
		return EINVAL;
	const char *w = fk_block_zone(k, id);
	/* mem->zone == NULL (spans zones); block 15 has the 128 KiB hole
	 * below 2 GiB (offline_pages refuses holes). */
	if (!w || !strcmp(w, "none") || id == 15)
		return EINVAL;
	int nid = fk_block_nid(k, id);
	int zidx = -1;
	for (int z = 0; z < FK_NR_ZONES; z++)
		if (!strcmp(w, zone_names[z]))
			zidx = z;
	if (nid < 0 || zidx < 0 || fk_zoneinfo_load(k, &zi) ||
	    nid >= zi.nr_nodes)
		return EINVAL;
	if (zi.z[nid][zidx].present < FK_BLOCK_PAGES)
		return EINVAL;
	zone_shrink(k, &zi.z[nid][zidx], nid, zidx, id * FK_BLOCK_PAGES,
		    FK_BLOCK_PAGES);
	int err = fk_zoneinfo_store(k, &zi);
	err = err ? err : block_attr(k, id, "state", "offline\n");
	err = err ? err : block_attr(k, id, "online", "0\n");
	err = err ? err : block_attr(k, id, "valid_zones", "Normal Movable\n");
	if (err)
		return EIO;
	fk_emit_block(k, "offline", id);
	return 0;
}

static int rm_tree_at(int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR)
			continue;
		int sub =
			openat(dirfd(d), de->d_name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			rm_tree_at(sub);
		unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	return 0;
}

int fk_block_remove(struct fk *k, uint64_t id)
{
	char p[4200];

	if (!fk_block_exists(k, id))
		return ENODEV;
	if (fk_block_is_online(k, id) == 1) {
		int err = fk_block_offline(k, id);
		if (err)
			return err;
	}
	int nid = fk_block_nid(k, id);
	if (nid >= 0) {
		fk_path(k, p, sizeof(p), NODEDIR "/node%d/memory%" PRIu64, nid,
			id);
		unlink(p);
	}
	/* DIMM back links */
	char fw[4200];
	block_file(k, id, "firmware_node", p, sizeof(p));
	if (realpath(p, fw)) {
		DIR *d = opendir(fw);
		struct dirent *de;
		char me[4200], lp[8400], tgt[4200];
		block_file(k, id, NULL, me, sizeof(me));
		while (d && (de = readdir(d))) {
			if (strncmp(de->d_name, "physical_node", 13))
				continue;
			snprintf(lp, sizeof(lp), "%s/%s", fw, de->d_name);
			if (realpath(lp, tgt) && !strcmp(tgt, me))
				unlink(lp);
		}
		if (d)
			closedir(d);
	}
	block_file(k, id, NULL, p, sizeof(p));
	int dfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		rm_tree_at(dfd);
	if (rmdir(p))
		return EIO;
	fk_emit_block(k, "remove", id);
	return 0;
}

/* ---- injection -------------------------------------------------------- */

static const struct {
	const char *name;
	int err;
} errnames[] = {{"EPERM", EPERM},   {"EBUSY", EBUSY},
		{"ENOMEM", ENOMEM}, {"EHWPOISON", EHWPOISON},
		{"ENODEV", ENODEV}, {"EINVAL", EINVAL},
		{"EIO", EIO},	    {"EINTR", EINTR}};

int fk_errno_from_name(const char *s)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(*errnames); i++)
		if (!strcmp(s, errnames[i].name))
			return errnames[i].err;
	return 0;
}

int fk_inject_set(struct fk *k, uint64_t id, const char *what, int count)
{
	char p[4200], v[64];

	dpath(k, p, sizeof(p), "inject");
	mkdir(p, 0755);
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "/memory%" PRIu64, id);
	if (!count) {
		unlink(p);
		return 0;
	}
	snprintf(v, sizeof(v), "%s %d\n", what, count);
	return write_atomic(p, v);
}

enum fk_inject fk_inject_take(struct fk *k, uint64_t id, int *err)
{
	char p[4200], v[64], what[32];
	int count;

	dpath(k, p, sizeof(p), "inject");
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "/memory%" PRIu64, id);
	if (fk_read_file(p, v, sizeof(v)) < 0)
		return FK_INJ_NONE;
	if (sscanf(v, "%31s %d", what, &count) != 2 || !count)
		return FK_INJ_NONE;
	if (count > 0)
		fk_inject_set(k, id, what, count - 1);
	*err = 0;
	if (!strcmp(what, "vanish"))
		return FK_INJ_VANISH;
	if (!strcmp(what, "race-movable"))
		return FK_INJ_RACE_MOVABLE;
	if (!strcmp(what, "race-kernel"))
		return FK_INJ_RACE_KERNEL;
	*err = fk_errno_from_name(what);
	return *err ? FK_INJ_ERRNO : FK_INJ_NONE;
}

/* ---- the base tree ---------------------------------------------------- */

static int mkdirs(const char *path)
{
	char tmp[4200];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int mk(struct fk *k, const char *rel)
{
	char p[4200];

	fk_path(k, p, sizeof(p), "%s", rel);
	return mkdirs(p);
}

static int put(struct fk *k, const char *rel, const char *val)
{
	char p[4200];

	fk_path(k, p, sizeof(p), "%s", rel);
	return fk_write_file(p, val);
}

static int boot_block(struct fk *k, uint64_t id, int nid, const char *zone)
{
	char v[32];
	int err = fk_block_create(k, id, nid);

	snprintf(v, sizeof(v), "%s\n", zone);
	err = err ? err : block_attr(k, id, "valid_zones", v);
	err = err ? err : block_attr(k, id, "online", "1\n");
	err = err ? err : block_attr(k, id, "state", "online\n");
	return err;
}

int fk_create(const char *root, const char *dir, enum fk_base base,
	      int dimm_slots)
{
	struct fk k;
	char p[4200];
	int err;

	snprintf(p, sizeof(p), "%s/uevents", dir);
	if (mkfifo(p, 0600) && errno != EEXIST)
		return -errno;
	err = fk_open(&k, root, dir);
	if (err)
		return err;
	int nr_nodes = base == FK_BASE_Q35_4G_2NODES ? 2 : 1;
	err = mk(&k, MEMDIR);
	err = err ? err : mk(&k, "proc/sys/kernel/random");
	err = err ? err
		  : put(&k, "proc/sys/kernel/osrelease", "6.1.0-26-amd64\n");
	err = err ? err : mk(&k, "run");
	err = err ? err : mk(&k, "etc");
	err = err ? err : mk(&k, "sys/module/memory_hotplug/parameters");
	err = err ? err : put(&k, MEMDIR "/block_size_bytes", "8000000\n");
	err = err ? err : put(&k, MEMDIR "/auto_online_blocks", "offline\n");
	err = err ? err : put(&k, MEMDIR "/uevent", "");
	err = err ? err : put(&k, MEMDIR "/soft_offline_page", "");
	err = err ? err : put(&k, MEMDIR "/hard_offline_page", "");
	err = err ? err
		  : put(&k,
			"sys/module/memory_hotplug/parameters/online_policy",
			"contig-zones\n");
	err = err ? err
		  : put(&k,
			"sys/module/memory_hotplug/parameters/"
			"auto_movable_ratio",
			"301\n");
	err = err ? err
		  : put(&k,
			"sys/module/memory_hotplug/parameters/"
			"auto_movable_numa_aware",
			"Y\n");
	err = err ? err
		  : put(&k,
			"sys/module/memory_hotplug/parameters/"
			"memmap_on_memory",
			"N\n");
	err = err ? err
		  : put(&k, "proc/sys/kernel/random/boot_id",
			"5b1f3f3e-8a4c-4d0b-9c39-0d6b2f6e7a11\n");
	for (int n = 0; !err && n < nr_nodes; n++) {
		char rel[128];
		snprintf(rel, sizeof(rel), NODEDIR "/node%d", n);
		err = mk(&k, rel);
	}
	err = err ? err
		  : put(&k, NODEDIR "/online", nr_nodes == 2 ? "0-1\n" : "0\n");
	err = err ? err
		  : put(&k, NODEDIR "/possible",
			nr_nodes == 2 ? "0-1\n" : "0\n");
	/* Boot memory: 0-15 (block 0 spans DMA+DMA32) and 32-47 Normal. */
	for (uint64_t b = 0; !err && b < 16; b++)
		err = boot_block(&k, b, 0, b ? "DMA32" : "none");
	for (uint64_t b = 32; !err && b < 48; b++)
		err = boot_block(&k, b, nr_nodes - 1, "Normal");
	for (int s = 0; !err && s < dimm_slots; s++) {
		char rel[256], t[128];
		snprintf(rel, sizeof(rel), ACPIDIR "/PNP0C80:%02x", s);
		err = mk(&k, rel);
		snprintf(rel, sizeof(rel), ACPIDIR "/PNP0C80:%02x/hid", s);
		err = err ? err : put(&k, rel, "PNP0C80\n");
		snprintf(rel, sizeof(rel), ACPIDIR "/PNP0C80:%02x/status", s);
		err = err ? err : put(&k, rel, "15\n");
		err = err ? err : mk(&k, "sys/bus/acpi/devices");
		fk_path(&k, p, sizeof(p), "sys/bus/acpi/devices/PNP0C80:%02x",
			s);
		snprintf(
			t, sizeof(t),
			"../../../devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C80:%02x",
			s);
		if (!err && symlink(t, p) && errno != EEXIST)
			err = -errno;
	}
	struct fk_zoneinfo zi;
	memset(&zi, 0, sizeof(zi));
	zi.nr_nodes = nr_nodes;
	/* q35 holes (doc/inputs.md 3.2): DMA 3998 pages from pfn 1, DMA32 to
	 * 0x7ffe0. */
	zi.z[0][FK_DMA] = (struct fk_zone){.free = 3584,
					   .spanned = 4095,
					   .present = 3998,
					   .managed = 3840,
					   .start_pfn = 1};
	zi.z[0][FK_DMA32] = (struct fk_zone){.free = 480000,
					     .spanned = 1044480,
					     .present = 520160,
					     .managed = 504736,
					     .start_pfn = 4096};
	zi.z[nr_nodes - 1][FK_NORMAL] = (struct fk_zone){.free = 500000,
							 .spanned = 524288,
							 .present = 524288,
							 .managed = 508096,
							 .start_pfn = 1048576};
	err = err ? err : fk_zoneinfo_store(&k, &zi);
	err = err ? err : fk_devices_store(&k, NULL, 0);
	err = err ? err : fk_iomem_update(&k);
	fk_close(&k);
	return err;
}
