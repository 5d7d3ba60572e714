/* SPDX-License-Identifier: MIT */
/*
 * Simulated /sys and /proc trees in a mkdtemp directory, for tests that
 * go through struct mh_root.  Static inline helpers only (this header is
 * included by tests; a .c here would be linked into every test).
 *
 * Layout mirrors a 6.1 guest: sys/devices/system/memory/memoryN/{state,
 * phys_index,valid_zones,nodeN -> ../../node/nodeN, firmware_node ->
 * ../../../LNXSYSTM:00/LNXSYBUS:00/PNP0A06:04/PNP0C80:XX}, ACPI devices
 * with hid and physical_nodeN links back, sys/bus/acpi/devices links,
 * proc/iomem, proc/zoneinfo, proc/sys/kernel/random/boot_id.
 */
#ifndef MEMHOTD_TESTS_SIMTREE_H
#define MEMHOTD_TESTS_SIMTREE_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct simtree {
	char root[PATH_MAX];
};

static inline void st_die(const char *what, const char *path)
{
	fprintf(stderr, "simtree: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

static inline void st_init(struct simtree *t)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(t->root, sizeof(t->root), "%s/memhotd-sim-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t->root))
		st_die("mkdtemp", t->root);
}

static inline int st_rm_cb(const char *p, const struct stat *sb, int flag,
			   struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void st_destroy(struct simtree *t)
{
	if (t->root[0])
		nftw(t->root, st_rm_cb, 32, FTW_DEPTH | FTW_PHYS);
	t->root[0] = '\0';
}

static inline void st_abs(const struct simtree *t, const char *rel, char *out,
			  size_t len);

/* rm -rf of rel (relative to the root); missing is fine. */
static inline void st_rm(const struct simtree *t, const char *rel)
{
	char p[PATH_MAX];

	st_abs(t, rel, p, sizeof(p));
	nftw(p, st_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void st_abs(const struct simtree *t, const char *rel, char *out,
			  size_t len)
{
	/* Not snprintf: gcc -O2 warns (-Wformat-truncation) once inlined. */
	size_t a = strlen(t->root), b = strlen(rel);

	if (a + 1 + b + 1 > len) {
		errno = ENAMETOOLONG;
		st_die("path", rel);
	}
	memcpy(out, t->root, a);
	out[a] = '/';
	memcpy(out + a + 1, rel, b + 1);
}

/* mkdir -p of rel (relative to the root); follows existing symlinks. */
static inline void st_mkdirs(const struct simtree *t, const char *rel)
{
	char p[PATH_MAX], *s;

	st_abs(t, rel, p, sizeof(p));
	for (s = p + strlen(t->root) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			st_die("mkdir", p);
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		st_die("mkdir", p);
}

static inline void st_parent_dirs(const struct simtree *t, const char *rel)
{
	char d[PATH_MAX], *s;

	snprintf(d, sizeof(d), "%s", rel);
	s = strrchr(d, '/');
	if (s) {
		*s = '\0';
		st_mkdirs(t, d);
	}
}

/* Writes text to rel (creating parents), replacing the file. */
static inline void st_put(const struct simtree *t, const char *rel,
			  const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	st_parent_dirs(t, rel);
	st_abs(t, rel, p, sizeof(p));
	f = fopen(p, "w");
	if (!f)
		st_die("fopen", p);
	fputs(text, f);
	if (fclose(f))
		st_die("fclose", p);
}

__attribute__((format(printf, 3, 4))) static inline void
st_printf(const struct simtree *t, const char *rel, const char *fmt, ...)
{
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		st_die("vasprintf", rel);
	st_put(t, rel, text);
	free(text);
}

static inline void st_symlink(const struct simtree *t, const char *target,
			      const char *rel)
{
	char p[PATH_MAX];

	st_parent_dirs(t, rel);
	st_abs(t, rel, p, sizeof(p));
	unlink(p);
	if (symlink(target, p) < 0)
		st_die("symlink", p);
}

static inline void st_unlink(const struct simtree *t, const char *rel)
{
	char p[PATH_MAX];

	st_abs(t, rel, p, sizeof(p));
	if (unlink(p) < 0)
		st_die("unlink", p);
}

/* Copies a file from the host (a fixture) into the tree. */
static inline void st_copy(const struct simtree *t, const char *src,
			   const char *rel)
{
	char buf[65536];
	FILE *in = fopen(src, "r");
	char *text = NULL;
	size_t len = 0, n;

	if (!in)
		st_die("fopen", src);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		text = realloc(text, len + n + 1);
		if (!text)
			st_die("realloc", src);
		memcpy(text + len, buf, n);
		len += n;
	}
	fclose(in);
	if (!text)
		text = calloc(1, 1);
	text[len] = '\0';
	st_put(t, rel, text);
	free(text);
}

#define ST_MEM "sys/devices/system/memory"
#define ST_ACPI_PARENT "sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A06:04"

static inline void st_block_size(const struct simtree *t, uint64_t bytes)
{
	st_printf(t, ST_MEM "/block_size_bytes", "%llx\n",
		  (unsigned long long)bytes);
}

static inline void st_boot_id(const struct simtree *t, const char *id)
{
	st_printf(t, "proc/sys/kernel/random/boot_id", "%s\n", id);
}

/*
 * memoryN with state, phys_index, valid_zones (zones: the whole file
 * content without newline, e.g. "Movable" or "Movable Normal"; NULL: no
 * file) and a nodeN link unless nid < 0.
 */
static inline void st_block(const struct simtree *t, uint64_t id,
			    const char *state, const char *zones, int nid)
{
	char rel[PATH_MAX], target[64];

	snprintf(rel, sizeof(rel), ST_MEM "/memory%llu/state",
		 (unsigned long long)id);
	st_printf(t, rel, "%s\n", state);
	snprintf(rel, sizeof(rel), ST_MEM "/memory%llu/phys_index",
		 (unsigned long long)id);
	st_printf(t, rel, "%08llx\n", (unsigned long long)id);
	snprintf(rel, sizeof(rel), ST_MEM "/memory%llu/valid_zones",
		 (unsigned long long)id);
	if (zones) {
		st_printf(t, rel, "%s\n", zones);
	} else {
		char p[PATH_MAX];

		st_abs(t, rel, p, sizeof(p));
		unlink(p);
	}
	if (nid >= 0) {
		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d",
			 nid);
		st_mkdirs(t, rel);
		snprintf(rel, sizeof(rel), ST_MEM "/memory%llu/node%d",
			 (unsigned long long)id, nid);
		snprintf(target, sizeof(target), "../../node/node%d", nid);
		st_symlink(t, target, rel);
	}
}

static inline void st_blocks(const struct simtree *t, uint64_t first,
			     uint64_t last, const char *state,
			     const char *zones, int nid)
{
	uint64_t id;

	for (id = first; id <= last; id++)
		st_block(t, id, state, zones, nid);
}

/* An ACPI memory device PNP0C80:XX (an empty DIMM slot). */
static inline void st_dimm_slot(const struct simtree *t, const char *name)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), ST_ACPI_PARENT "/%s/hid", name);
	st_put(t, rel, "PNP0C80\n");
	snprintf(rel, sizeof(rel), "sys/bus/acpi/devices/%s", name);
	snprintf(target, sizeof(target),
		 "../../../devices/LNXSYSTM:00/"
		 "LNXSYBUS:00/PNP0A06:04/%s",
		 name);
	st_symlink(t, target, rel);
}

/* Binds blocks [first, last] to DIMM name: firmware_node links and the
 * device's physical_node, physical_node1, ... links back. */
static inline void st_dimm_bind(const struct simtree *t, const char *name,
				uint64_t first, uint64_t last)
{
	char rel[PATH_MAX], target[PATH_MAX];
	uint64_t id;

	st_dimm_slot(t, name);
	for (id = first; id <= last; id++) {
		unsigned long long k = id - first;

		snprintf(rel, sizeof(rel), ST_MEM "/memory%llu/firmware_node",
			 (unsigned long long)id);
		snprintf(target, sizeof(target),
			 "../../../LNXSYSTM:00/LNXSYBUS:00/PNP0A06:04/%s",
			 name);
		st_symlink(t, target, rel);
		if (k)
			snprintf(rel, sizeof(rel),
				 ST_ACPI_PARENT "/%s/physical_node%llu", name,
				 k);
		else
			snprintf(rel, sizeof(rel),
				 ST_ACPI_PARENT "/%s/physical_node", name);
		snprintf(target, sizeof(target),
			 "../../../../system/memory/memory%llu",
			 (unsigned long long)id);
		st_symlink(t, target, rel);
	}
}

/* sys/bus/virtio/devices/NAME/device */
static inline void st_virtio(const struct simtree *t, const char *name,
			     unsigned int device)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/bus/virtio/devices/%s/device", name);
	st_printf(t, rel, "0x%04x\n", device);
}

/* One zone as /proc/zoneinfo prints it (6.1 layout, two CPUs). */
struct st_zone {
	int nid;
	const char *name;
	uint64_t start_pfn, spanned, present, managed, cma;
};

static inline char *st_zoneinfo_text(const struct st_zone *z, size_t n)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);
	int last_nid = -1;

	if (!f)
		st_die("open_memstream", "zoneinfo");
	for (i = 0; i < n; i++) {
		fprintf(f, "Node %d, zone %8s\n", z[i].nid, z[i].name);
		if (z[i].nid != last_nid && z[i].present) {
			fprintf(f, "  per-node stats\n"
				   "      nr_inactive_anon 77\n"
				   "      nr_active_anon 537\n"
				   "      nr_mapped    432\n"
				   "      nr_kernel_stack 900\n");
			last_nid = z[i].nid;
		}
		fprintf(f,
			"  pages free     %llu\n"
			"        boost    0\n"
			"        min      20\n"
			"        low      25\n"
			"        high     30\n"
			"        spanned  %llu\n"
			"        present  %llu\n"
			"        managed  %llu\n"
			"        cma      %llu\n"
			"        protection: (0, 1923, 3900, 12092, 12092)\n",
			(unsigned long long)(z[i].managed / 2),
			(unsigned long long)z[i].spanned,
			(unsigned long long)z[i].present,
			(unsigned long long)z[i].managed,
			(unsigned long long)z[i].cma);
		if (!z[i].present)
			continue;
		fprintf(f,
			"      nr_free_pages %llu\n"
			"      nr_free_cma  0\n"
			"      numa_hit     1234\n"
			"  pagesets\n"
			"    cpu: 0\n"
			"              count: 0\n"
			"              high:  0\n"
			"              batch: 1\n"
			"  vm stats threshold: 4\n"
			"    cpu: 1\n"
			"              count: 3\n"
			"              high:  0\n"
			"              batch: 1\n"
			"  vm stats threshold: 4\n"
			"  node_unreclaimable:  0\n"
			"  start_pfn:           %llu\n",
			(unsigned long long)(z[i].managed / 2),
			(unsigned long long)z[i].start_pfn);
	}
	fclose(f);
	return buf;
}

static inline void st_zoneinfo(const struct simtree *t, const struct st_zone *z,
			       size_t n)
{
	char *text = st_zoneinfo_text(z, n);

	st_put(t, "proc/zoneinfo", text);
	free(text);
}

/* Collapses "a/b/../c" (relative, no leading slash) in place. */
static inline void st_normalize(char *p)
{
	char out[PATH_MAX];
	size_t o = 0;
	char *save = NULL, *c;

	out[0] = '\0';
	for (c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
			continue;
		}
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
				      o ? "/" : "", c);
	}
	strcpy(p, out);
}

/*
 * Builds the tree from a real capture directory (tests/data/captures/X):
 * sysfs.txt ("PATH<TAB>VALUE" attributes, "PATH -> TARGET" links; every
 * link target is created as a directory), iomem and zoneinfo.
 */
static inline void st_from_capture(const struct simtree *t, const char *dir)
{
	char path[PATH_MAX], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/iomem", dir);
	st_copy(t, path, "proc/iomem");
	snprintf(path, sizeof(path), "%s/zoneinfo", dir);
	st_copy(t, path, "proc/zoneinfo");
	snprintf(path, sizeof(path), "%s/sysfs.txt", dir);
	f = fopen(path, "r");
	if (!f)
		st_die("fopen", path);
	while (fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n'), *tab, *arrow;
		const char *rel = line;

		if (nl)
			*nl = '\0';
		while (*rel == '/')
			rel++;
		if (!*rel)
			continue;
		arrow = strstr(line, " -> ");
		tab = strchr(line, '\t');
		if (arrow && (!tab || arrow < tab)) {
			char linkdir[PATH_MAX], real[PATH_MAX], dest[PATH_MAX];
			char rroot[PATH_MAX];
			char *slash;

			*arrow = '\0';
			/* create the target directory, resolved from the
			 * link's real parent directory */
			st_parent_dirs(t, rel);
			st_abs(t, rel, linkdir, sizeof(linkdir));
			slash = strrchr(linkdir, '/');
			*slash = '\0';
			if (!realpath(linkdir, real) ||
			    !realpath(t->root, rroot))
				st_die("realpath", linkdir);
			snprintf(dest, sizeof(dest), "%s/%s",
				 real + strlen(rroot) + 1, arrow + 4);
			st_normalize(dest);
			st_mkdirs(t, dest);
			st_symlink(t, arrow + 4, rel);
		} else if (tab) {
			*tab = '\0';
			st_printf(t, rel, "%s\n", tab + 1);
		}
	}
	fclose(f);
}

#endif
