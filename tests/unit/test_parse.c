// SPDX-License-Identifier: MIT
/* Parsers: fixtures, real 6.1 captures, malformed and truncated input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "memhotd/config.h"
#include "memhotd/parse.h"
#include "memhotd/scan.h"
#include "memhotd/sysfs.h"
#include "simtree.h"

static const char *data_dir(void)
{
	const char *d = getenv("MEMHOTD_TEST_DATA");

	return d && *d ? d : "tests/data";
}

/* Reads a fixture into an exactly sized heap buffer (no terminator), so
 * ASan catches any read past len. *len set. */
static char *load(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A copy of s without terminator, exactly len bytes. */
static char *exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

/* ---- sysfs attributes ---- */

static void test_block_size(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(mh_parse_block_size("8000000\n", 8, &v), 0);
	assert_int_equal(v, 0x8000000);
	assert_int_equal(mh_parse_block_size("80000000", 8, &v), 0);
	assert_int_equal(v, 0x80000000ULL);
	/* only len bytes count */
	assert_int_equal(mh_parse_block_size("8000000garbage", 7, &v), 0);
	assert_int_equal(v, 0x8000000);
	assert_int_equal(mh_parse_block_size("0\n", 2, &v), -EINVAL);
	assert_int_equal(mh_parse_block_size("", 0, &v), -EINVAL);
	assert_int_equal(mh_parse_block_size("\n", 1, &v), -EINVAL);
	assert_int_equal(mh_parse_block_size("zz", 2, &v), -EINVAL);
	assert_int_equal(mh_parse_block_size("800 0000", 8, &v), -EINVAL);
	assert_int_equal(mh_parse_block_size("-8000000", 8, &v), -EINVAL);
	/* not a page multiple */
	assert_int_equal(mh_parse_block_size("8000001", 7, &v), -EINVAL);
	/* 17 hex digits overflow */
	assert_int_equal(mh_parse_block_size("10000000000000000", 17, &v),
			 -EINVAL);
	assert_int_equal(mh_parse_block_size("fffffffffffff000", 16, &v), 0);
	assert_int_equal(mh_parse_block_size(NULL, 0, &v), -EINVAL);
}

static void test_phys_index(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(mh_parse_phys_index("00000030\n", 9, &v), 0);
	assert_int_equal(v, 48);
	assert_int_equal(mh_parse_phys_index("000000f0", 8, &v), 0);
	assert_int_equal(v, 240);
	assert_int_equal(mh_parse_phys_index("00000000\n", 9, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mh_parse_phys_index("0000003g", 8, &v), -EINVAL);
	assert_int_equal(mh_parse_phys_index("", 0, &v), -EINVAL);
	assert_int_equal(mh_parse_phys_index("ffffffffffffffffff", 18, &v),
			 -EINVAL);
}

static void test_block_state(void **state)
{
	enum mh_block_state s;

	(void)state;
	assert_int_equal(mh_parse_block_state("online\n", 7, &s), 0);
	assert_int_equal(s, MH_BLOCK_ONLINE);
	assert_int_equal(mh_parse_block_state("offline", 7, &s), 0);
	assert_int_equal(s, MH_BLOCK_OFFLINE);
	assert_int_equal(mh_parse_block_state("going-offline\n", 14, &s), 0);
	assert_int_equal(s, MH_BLOCK_GOING_OFFLINE);
	assert_int_equal(mh_parse_block_state("onlinex", 7, &s), -EINVAL);
	assert_int_equal(mh_parse_block_state("onlin", 5, &s), -EINVAL);
	assert_int_equal(mh_parse_block_state("online", 5, &s), -EINVAL);
	assert_int_equal(mh_parse_block_state("Online", 6, &s), -EINVAL);
	assert_int_equal(mh_parse_block_state("", 0, &s), -EINVAL);
	assert_int_equal(mh_parse_block_state(" online", 7, &s), -EINVAL);
}

static void test_valid_zones(void **state)
{
	enum mh_zone z;

	(void)state;
	assert_int_equal(mh_parse_valid_zones_first("Movable Normal\n", 15, &z),
			 0);
	assert_int_equal(z, MH_ZONE_MOVABLE);
	assert_int_equal(mh_parse_valid_zones_first("Normal Movable\n", 15, &z),
			 0);
	assert_int_equal(z, MH_ZONE_NORMAL);
	assert_int_equal(mh_parse_valid_zones_first("none\n", 5, &z), 0);
	assert_int_equal(z, MH_ZONE_NONE);
	assert_int_equal(mh_parse_valid_zones_first("DMA32", 5, &z), 0);
	assert_int_equal(z, MH_ZONE_DMA32);
	assert_int_equal(mh_parse_valid_zones_first("DMA\n", 4, &z), 0);
	assert_int_equal(z, MH_ZONE_DMA);
	assert_int_equal(mh_parse_valid_zones_first("Movable", 7, &z), 0);
	assert_int_equal(z, MH_ZONE_MOVABLE);
	/* "DMA32" cut to "DMA3" is not a zone */
	assert_int_equal(mh_parse_valid_zones_first("DMA32", 4, &z), -EINVAL);
	assert_int_equal(mh_parse_valid_zones_first("", 0, &z), -EINVAL);
	assert_int_equal(mh_parse_valid_zones_first("\n", 1, &z), -EINVAL);
	assert_int_equal(mh_parse_valid_zones_first("HighMem", 7, &z), -EINVAL);
	assert_int_equal(mh_parse_valid_zones_first("movable", 7, &z), -EINVAL);
}

static void test_names(void **state)
{
	uint64_t id;
	int nid;

	(void)state;
	assert_int_equal(mh_parse_memory_name("memory0", &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(mh_parse_memory_name("memory123", &id), 0);
	assert_int_equal(id, 123);
	assert_int_equal(
		mh_parse_memory_name("memory18446744073709551615", &id), 0);
	assert_true(id == UINT64_MAX);
	assert_int_equal(
		mh_parse_memory_name("memory18446744073709551616", &id),
		-EINVAL);
	assert_int_equal(mh_parse_memory_name("memory", &id), -EINVAL);
	assert_int_equal(mh_parse_memory_name("memory01", &id), -EINVAL);
	assert_int_equal(mh_parse_memory_name("memory1a", &id), -EINVAL);
	assert_int_equal(mh_parse_memory_name("memory-1", &id), -EINVAL);
	assert_int_equal(mh_parse_memory_name("memory_failure", &id), -EINVAL);
	assert_int_equal(mh_parse_memory_name("block_size_bytes", &id),
			 -EINVAL);
	assert_int_equal(mh_parse_memory_name(NULL, &id), -EINVAL);

	assert_int_equal(mh_parse_node_name("node0", &nid), 0);
	assert_int_equal(nid, 0);
	assert_int_equal(mh_parse_node_name("node3", &nid), 0);
	assert_int_equal(nid, 3);
	assert_int_equal(mh_parse_node_name("node1023", &nid), 0);
	assert_int_equal(nid, 1023);
	assert_int_equal(mh_parse_node_name("node1024", &nid), -EINVAL);
	assert_int_equal(mh_parse_node_name("node", &nid), -EINVAL);
	assert_int_equal(mh_parse_node_name("nodes", &nid), -EINVAL);
	assert_int_equal(mh_parse_node_name("node99999999999999999999", &nid),
			 -EINVAL);
}

static void test_word(void **state)
{
	char w[16];

	(void)state;
	assert_int_equal(mh_parse_word("offline\n", 8, w, sizeof(w)), 0);
	assert_string_equal(w, "offline");
	assert_int_equal(mh_parse_word("Y", 1, w, sizeof(w)), 0);
	assert_string_equal(w, "Y");
	assert_int_equal(mh_parse_word("a b\n", 4, w, sizeof(w)), -EINVAL);
	assert_int_equal(mh_parse_word("", 0, w, sizeof(w)), -EINVAL);
	assert_int_equal(mh_parse_word("\n", 1, w, sizeof(w)), -EINVAL);
	assert_int_equal(mh_parse_word("0123456789abcdef", 16, w, sizeof(w)),
			 -ENOBUFS);
	assert_int_equal(mh_parse_word("0123456789abcde", 15, w, sizeof(w)), 0);
}

/* ---- /proc/iomem ---- */

static int find_name(const struct mh_iomem *io, const char *name)
{
	size_t i;

	for (i = 0; i < io->nr; i++)
		if (strcmp(io->entries[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void test_iomem_fixture(void **state)
{
	struct mh_iomem io;
	size_t len;
	char *text = load("iomem-q35-devices.txt", &len);
	int v0, v0ram, v1, dax, kmem, code, ram, i;

	(void)state;
	assert_int_equal(mh_parse_iomem(text, len, &io), 0);
	assert_false(io.addresses_hidden);
	assert_int_equal(io.nr, 42);

	v0 = find_name(&io, "virtio0");
	assert_true(v0 >= 0);
	assert_int_equal(io.entries[v0].kind, MH_IOMEM_VIRTIO);
	assert_int_equal(io.entries[v0].start, 0x180000000ULL);
	assert_int_equal(io.entries[v0].end, 0x97fffffffULL);
	assert_int_equal(io.entries[v0].depth, 0);
	assert_int_equal(io.entries[v0].parent, -1);
	v0ram = v0 + 1;
	assert_string_equal(io.entries[v0ram].name, "System RAM (virtio_mem)");
	assert_int_equal(io.entries[v0ram].kind, MH_IOMEM_SYSTEM_RAM_DRIVER);
	assert_int_equal(io.entries[v0ram].parent, v0);
	assert_int_equal(io.entries[v0ram].depth, 1);

	v1 = find_name(&io, "virtio1");
	assert_int_equal(io.entries[v1].kind, MH_IOMEM_VIRTIO);
	dax = find_name(&io, "dax0.0");
	assert_int_equal(io.entries[dax].kind, MH_IOMEM_DAX);
	kmem = find_name(&io, "System RAM (kmem)");
	assert_int_equal(io.entries[kmem].parent, dax);
	assert_int_equal(io.entries[kmem].kind, MH_IOMEM_SYSTEM_RAM_DRIVER);

	code = find_name(&io, "Kernel code");
	ram = io.entries[code].parent;
	assert_string_equal(io.entries[ram].name, "System RAM");
	assert_int_equal(io.entries[ram].kind, MH_IOMEM_SYSTEM_RAM);
	assert_int_equal(io.entries[ram].start, 0x100000);
	/* three levels: PCI bus > device > driver */
	i = find_name(&io, "ahci");
	assert_int_equal(io.entries[i].depth, 2);
	assert_string_equal(io.entries[io.entries[i].parent].name,
			    "0000:00:1f.2");
	assert_int_equal(io.entries[find_name(&io, "PCI Bus 0000:00")].kind,
			 MH_IOMEM_OTHER);

	/* innermost lookups */
	assert_int_equal(mh_iomem_find(&io, 0x200000000ULL), v0ram);
	assert_int_equal(mh_iomem_find(&io, 0x600000000ULL), v0);
	assert_int_equal(mh_iomem_find(&io, 0x97fffffffULL), v0);
	assert_int_equal(mh_iomem_find(&io, 0x980000000ULL), v1 + 1);
	assert_int_equal(mh_iomem_find(&io, 0x2c000000ULL), code);
	assert_int_equal(io.entries[mh_iomem_find(&io, 0x1180000000ULL)].kind,
			 MH_IOMEM_SYSTEM_RAM);
	assert_int_equal(mh_iomem_find(&io, 0x1300000000ULL), kmem);
	assert_int_equal(mh_iomem_find(&io, 0x6000000000ULL), -1);
	mh_iomem_free(&io);
	free(text);
}

static void test_iomem_hidden(void **state)
{
	struct mh_iomem io;
	size_t len;
	char *text = load("iomem-q35-hidden.txt", &len);

	(void)state;
	assert_int_equal(mh_parse_iomem(text, len, &io), 0);
	assert_true(io.addresses_hidden);
	assert_int_equal(io.nr, 42);
	assert_int_equal(mh_iomem_find(&io, 0), -1);
	assert_int_equal(io.entries[find_name(&io, "virtio0")].kind,
			 MH_IOMEM_VIRTIO);
	mh_iomem_free(&io);
	free(text);
}

static int iomem_str(const char *s)
{
	struct mh_iomem io;
	char *p = exact(s, strlen(s));
	int r = mh_parse_iomem(p, strlen(s), &io);

	if (r == 0)
		mh_iomem_free(&io);
	free(p);
	return r;
}

static void test_iomem_malformed(void **state)
{
	(void)state;
	assert_int_equal(iomem_str(""), 0);
	assert_int_equal(iomem_str("00000000-00000fff : Reserved\n"), 0);
	/* names: anything after " : ", even empty */
	assert_int_equal(iomem_str("00000000-00000fff : \n"), 0);
	/* odd indent */
	assert_int_equal(iomem_str("00000000-0fffffff : A\n"
				   "   00000000-00000fff : B\n"),
			 -EINVAL);
	/* depth jumps by two */
	assert_int_equal(iomem_str("00000000-0fffffff : A\n"
				   "    00000000-00000fff : B\n"),
			 -EINVAL);
	/* first line indented */
	assert_int_equal(iomem_str("  00000000-0fffffff : A\n"), -EINVAL);
	assert_int_equal(iomem_str("00000000-0fffffff: A\n"), -EINVAL);
	assert_int_equal(iomem_str("00000000 0fffffff : A\n"), -EINVAL);
	assert_int_equal(iomem_str("00000000-0fffffff\n"), -EINVAL);
	assert_int_equal(iomem_str("-0fffffff : A\n"), -EINVAL);
	assert_int_equal(iomem_str("00000000- : A\n"), -EINVAL);
	assert_int_equal(iomem_str("0fffffff-00000000 : A\n"), -EINVAL);
	assert_int_equal(iomem_str("0000000g-0fffffff : A\n"), -EINVAL);
	assert_int_equal(iomem_str("\t00000000-0fffffff : A\n"), -EINVAL);
	/* 17 hex digits */
	assert_int_equal(iomem_str("00000000-10000000000000000 : A\n"),
			 -EINVAL);
	assert_int_equal(iomem_str("0-ffffffffffffffff : A\n"), 0);
	/* truncated: no final newline */
	assert_int_equal(iomem_str("00000000-0fffffff : A"), -EINVAL);
	/* blank lines are skipped */
	assert_int_equal(iomem_str("00000000-0fffffff : A\n\n"), 0);
	/* a dedent to the top after a child */
	assert_int_equal(iomem_str("00000000-0fffffff : A\n"
				   "  00000000-00000fff : B\n"
				   "    00000000-000000ff : C\n"
				   "10000000-1fffffff : D\n"),
			 0);
}

static void test_iomem_long_name(void **state)
{
	struct mh_iomem io;
	char line[300];
	char *p;

	(void)state;
	memset(line, 'x', sizeof(line));
	memcpy(line, "00000000-0fffffff : ", 20);
	line[sizeof(line) - 1] = '\n';
	p = exact(line, sizeof(line));
	assert_int_equal(mh_parse_iomem(p, sizeof(line), &io), 0);
	assert_int_equal(strlen(io.entries[0].name), 63);
	mh_iomem_free(&io);
	free(p);
}

/* Every prefix of a fixture parses or is rejected, never read past len. */
static void truncations(const char *name, int (*parse)(const char *, size_t))
{
	size_t len, cut;
	char *text = load(name, &len);

	for (cut = 0; cut <= len; cut++) {
		char *p = exact(text, cut);
		int r = parse(p, cut);

		assert_true(r == 0 || r == -EINVAL);
		/* a cut right after a newline of the iomem is a valid file */
		free(p);
	}
	free(text);
}

static int parse_iomem_free(const char *s, size_t len)
{
	struct mh_iomem io;
	int r = mh_parse_iomem(s, len, &io);

	if (r == 0)
		mh_iomem_free(&io);
	return r;
}

static int parse_zoneinfo_free(const char *s, size_t len)
{
	struct mh_zoneinfo zi;
	int r = mh_parse_zoneinfo(s, len, &zi);

	if (r == 0)
		mh_zoneinfo_free(&zi);
	return r;
}

static void test_truncations(void **state)
{
	(void)state;
	truncations("iomem-q35-devices.txt", parse_iomem_free);
	truncations("zoneinfo-q35-4g.txt", parse_zoneinfo_free);
	truncations("zoneinfo-2node.txt", parse_zoneinfo_free);
}

/* Random mutations of fixtures: never crash, only 0 or -EINVAL. */
static void test_garbage(void **state)
{
	static const char *files[] = {"iomem-q35-devices.txt",
				      "zoneinfo-q35-4g-virtio.txt"};
	static const char alphabet[] = "0123456789abcdefx-: \n\t,()NodezM";
	unsigned int seed = 12345;
	size_t f, len, i;
	int round;

	(void)state;
	for (f = 0; f < 2; f++) {
		char *text = load(files[f], &len);

		for (round = 0; round < 400; round++) {
			char *p = exact(text, len);
			int muts = 1 + (int)(rand_r(&seed) % 8), r;

			for (i = 0; i < (size_t)muts; i++) {
				size_t at = (size_t)rand_r(&seed) % len;

				p[at] = (rand_r(&seed) & 1)
						? alphabet[rand_r(&seed) %
							   (sizeof(alphabet) -
							    1)]
						: (char)rand_r(&seed);
			}
			r = f == 0 ? parse_iomem_free(p, len)
				   : parse_zoneinfo_free(p, len);
			assert_true(r == 0 || r == -EINVAL);
			free(p);
		}
		/* pure noise */
		for (round = 0; round < 200; round++) {
			size_t n = (size_t)rand_r(&seed) % 512;
			char *p = malloc(n + 1);

			for (i = 0; i < n; i++)
				p[i] = (char)rand_r(&seed);
			assert_true(parse_iomem_free(p, n) <= 0);
			assert_true(parse_zoneinfo_free(p, n) <= 0);
			free(p);
		}
		free(text);
	}
}

/* ---- /proc/zoneinfo ---- */

static const struct mh_zoneinfo_zone *zone_of(const struct mh_zoneinfo *zi,
					      int nid, const char *name)
{
	size_t i;

	for (i = 0; i < zi->nr; i++)
		if (zi->zones[i].nid == nid &&
		    strcmp(zi->zones[i].name, name) == 0)
			return &zi->zones[i];
	fail_msg("no zone %d %s", nid, name);
	return NULL;
}

static void test_zoneinfo_q35(void **state)
{
	struct mh_zoneinfo zi;
	struct mh_zoneinfo_node_sums s;
	const struct mh_zoneinfo_zone *z;
	size_t len;
	char *text = load("zoneinfo-q35-4g.txt", &len);

	(void)state;
	assert_int_equal(mh_parse_zoneinfo(text, len, &zi), 0);
	assert_int_equal(zi.nr, 5);
	z = zone_of(&zi, 0, "DMA");
	assert_int_equal(z->zone, MH_ZONE_DMA);
	assert_int_equal(z->spanned, 4095);
	assert_int_equal(z->present, 3998);
	assert_int_equal(z->managed, 3840);
	assert_int_equal(z->cma, 0);
	assert_int_equal(z->start_pfn, 1);
	assert_true(z->populated);
	z = zone_of(&zi, 0, "DMA32");
	assert_int_equal(z->zone, MH_ZONE_DMA32);
	assert_int_equal(z->present, 520160);
	assert_int_equal(z->start_pfn, 4096);
	z = zone_of(&zi, 0, "Normal");
	assert_int_equal(z->zone, MH_ZONE_NORMAL);
	assert_int_equal(z->present, 524288);
	assert_int_equal(z->start_pfn, 1048576);
	z = zone_of(&zi, 0, "Movable");
	assert_int_equal(z->zone, MH_ZONE_MOVABLE);
	assert_false(z->populated);
	assert_int_equal(z->spanned, 0);
	z = zone_of(&zi, 0, "Device");
	assert_int_equal(z->zone, MH_ZONE_UNKNOWN);
	assert_false(z->populated);

	mh_zoneinfo_node_sums(&zi, 0, &s);
	assert_int_equal(s.kernel_present, 1048446);
	assert_int_equal(s.kernel_cma, 0);
	assert_int_equal(s.movable_present, 0);
	mh_zoneinfo_node_sums(&zi, 1, &s);
	assert_int_equal(s.kernel_present, 0);
	assert_int_equal(mh_zoneinfo_max_nid(&zi), 0);
	mh_zoneinfo_free(&zi);
	free(text);
}

static void test_zoneinfo_virtio_cma(void **state)
{
	struct mh_zoneinfo zi;
	struct mh_zoneinfo_node_sums s;
	size_t len;
	char *text = load("zoneinfo-q35-4g-virtio.txt", &len);

	(void)state;
	assert_int_equal(mh_parse_zoneinfo(text, len, &zi), 0);
	mh_zoneinfo_node_sums(&zi, 0, &s);
	assert_int_equal(s.kernel_present, 1048446 + 2 * 32768);
	assert_int_equal(s.movable_present, 12 * 32768);
	assert_int_equal(zone_of(&zi, 0, "Movable")->start_pfn, 1572864);
	mh_zoneinfo_free(&zi);
	free(text);

	text = load("zoneinfo-q35-4g-cma.txt", &len);
	assert_int_equal(mh_parse_zoneinfo(text, len, &zi), 0);
	mh_zoneinfo_node_sums(&zi, 0, &s);
	assert_int_equal(s.kernel_present, 1048446);
	assert_int_equal(s.kernel_cma, 65536);
	assert_int_equal(zone_of(&zi, 0, "DMA32")->cma, 65536);
	mh_zoneinfo_free(&zi);
	free(text);
}

static void test_zoneinfo_2node(void **state)
{
	struct mh_zoneinfo zi;
	struct mh_zoneinfo_node_sums s;
	size_t len;
	char *text = load("zoneinfo-2node.txt", &len);

	(void)state;
	assert_int_equal(mh_parse_zoneinfo(text, len, &zi), 0);
	assert_int_equal(zi.nr, 10);
	assert_int_equal(mh_zoneinfo_max_nid(&zi), 1);
	mh_zoneinfo_node_sums(&zi, 0, &s);
	assert_int_equal(s.kernel_present, 3998 + 520160);
	assert_int_equal(s.movable_present, 4 * 32768);
	mh_zoneinfo_node_sums(&zi, 1, &s);
	assert_int_equal(s.kernel_present, 524288);
	assert_int_equal(s.movable_present, 2 * 32768);
	assert_false(zone_of(&zi, 1, "DMA32")->populated);
	assert_int_equal(zone_of(&zi, 1, "Movable")->start_pfn, 240 * 32768);
	mh_zoneinfo_free(&zi);
	free(text);
}

static int zi_str(const char *s)
{
	return parse_zoneinfo_free(s, strlen(s));
}

#define ZHDR "Node 0, zone   Normal\n  pages free     100\n"
#define ZEMPTY                                                                 \
	"Node 0, zone  Movable\n  pages free     0\n        spanned  0\n"      \
	"        present  0\n        managed  0\n        cma      0\n"         \
	"        protection: (0, 0, 0, 0, 0)\n"

static void test_zoneinfo_malformed(void **state)
{
	(void)state;
	assert_int_equal(zi_str(ZEMPTY), 0);
	assert_int_equal(zi_str(""), -EINVAL);
	assert_int_equal(zi_str("garbage\n"), -EINVAL);
	/* a populated zone needs start_pfn (else: truncated read) */
	assert_int_equal(zi_str(ZHDR "        spanned  10\n"
				     "        present  10\n"
				     "        managed  9\n"),
			 -EINVAL);
	assert_int_equal(zi_str(ZHDR "        spanned  10\n"
				     "        present  10\n"
				     "        managed  9\n"
				     "  start_pfn:           4096\n"),
			 0);
	/* cma is optional (before 5.12) */
	assert_int_equal(zi_str(ZHDR "        spanned  10\n"
				     "        managed  9\n"
				     "  start_pfn:           4096\n"),
			 -EINVAL);
	/* duplicate key */
	assert_int_equal(zi_str(ZHDR "        spanned  10\n"
				     "        present  10\n"
				     "        present  10\n"
				     "        managed  9\n"
				     "  start_pfn:           4096\n"),
			 -EINVAL);
	/* present > spanned, managed > present, cma > present */
	assert_int_equal(zi_str(ZHDR "        spanned  10\n"
				     "        present  11\n"
				     "        managed  9\n"
				     "  start_pfn:           4096\n"),
			 -EINVAL);
	assert_int_equal(zi_str(ZHDR "        spanned  10\n"
				     "        present  10\n"
				     "        managed  11\n"
				     "  start_pfn:           4096\n"),
			 -EINVAL);
	assert_int_equal(zi_str(ZHDR "        spanned  10\n"
				     "        present  10\n"
				     "        managed  9\n"
				     "        cma      11\n"
				     "  start_pfn:           4096\n"),
			 -EINVAL);
	/* overflowing number */
	assert_int_equal(zi_str(ZHDR "        spanned  99999999999999999999\n"
				     "        present  10\n"
				     "        managed  9\n"
				     "  start_pfn:           4096\n"),
			 -EINVAL);
	/* value missing or trailing junk */
	assert_int_equal(zi_str(ZHDR "        spanned\n"), -EINVAL);
	assert_int_equal(zi_str(ZHDR "        spanned  10x\n"), -EINVAL);
	/* bad header */
	assert_int_equal(zi_str("Node x, zone   Normal\n"), -EINVAL);
	assert_int_equal(zi_str("Node 0, zone\n"), -EINVAL);
	assert_int_equal(zi_str("Node 0 zone   Normal\n"), -EINVAL);
	assert_int_equal(zi_str("Node 5000, zone   Normal\n"), -EINVAL);
	/* truncated last line */
	assert_int_equal(zi_str(ZEMPTY "Node 0, zone   Device"), -EINVAL);
	/* "Node N, per-node stats" stanzas are skipped */
	assert_int_equal(zi_str("Node 0, per-node stats\n"
				"      nr_inactive_anon 77\n"
				"      present  99\n" ZEMPTY),
			 0);
}

static void test_zoneinfo_per_node_stanza(void **state)
{
	static const char text[] =
		"Node 0, per-node stats\n"
		"      nr_inactive_anon 77\n"
		"      spanned 1\n" ZHDR "        spanned  10\n"
		"        present  10\n"
		"        managed  9\n"
		"        cma      2\n"
		"        protection: (0, 0, 0, 0, 0)\n"
		"      nr_free_cma  5\n"
		"  start_pfn:           4096\n"
		"Node 1, per-node stats\n"
		"      nr_inactive_anon 77\n" ZEMPTY;
	struct mh_zoneinfo zi;

	(void)state;
	assert_int_equal(mh_parse_zoneinfo(text, sizeof(text) - 1, &zi), 0);
	assert_int_equal(zi.nr, 2);
	assert_int_equal(zi.zones[0].spanned, 10);
	assert_int_equal(zi.zones[0].cma, 2);
	assert_int_equal(zi.zones[0].start_pfn, 4096);
	assert_int_equal(zi.zones[1].nid, 0);
	assert_string_equal(zi.zones[1].name, "Movable");
	mh_zoneinfo_free(&zi);
}

/* ---- real 6.1 captures (tests/data/captures) ---- */

static void capture_sums(const char *dir, int nid,
			 struct mh_zoneinfo_node_sums *s, int *max_nid)
{
	struct mh_zoneinfo zi;
	char name[256];
	size_t len;
	char *text;

	snprintf(name, sizeof(name), "captures/%s/zoneinfo", dir);
	text = load(name, &len);
	assert_int_equal(mh_parse_zoneinfo(text, len, &zi), 0);
	mh_zoneinfo_node_sums(&zi, nid, s);
	*max_nid = mh_zoneinfo_max_nid(&zi);
	mh_zoneinfo_free(&zi);
	free(text);
}

static void test_capture_zoneinfo(void **state)
{
	struct mh_zoneinfo_node_sums s;
	int max;

	(void)state;
	capture_sums("a-1node-vmem8g", 0, &s, &max);
	assert_int_equal(max, 0);
	assert_int_equal(s.kernel_present, 1048446);
	assert_int_equal(s.kernel_cma, 0);
	assert_int_equal(s.movable_present, 2097152);

	capture_sums("b-2node-vmem8g-each", 0, &s, &max);
	assert_int_equal(max, 1);
	assert_int_equal(s.kernel_present, 524158 + 131072);
	assert_int_equal(s.movable_present, 1966080);
	capture_sums("b-2node-vmem8g-each", 1, &s, &max);
	assert_int_equal(s.kernel_present, 655360);
	assert_int_equal(s.movable_present, 1966080);

	/* two 4 GiB DIMMs both fit 301% of 4 GiB: all Movable */
	capture_sums("c-1node-2dimms", 0, &s, &max);
	assert_int_equal(s.kernel_present, 1048446);
	assert_int_equal(s.movable_present, 64 * 32768);

	capture_sums("d-1node-vmem-offline", 0, &s, &max);
	assert_int_equal(s.kernel_present, 1048446);
	assert_int_equal(s.movable_present, 0);
}

static void test_capture_iomem(void **state)
{
	static const char *dirs[] = {"a-1node-vmem8g", "b-2node-vmem8g-each",
				     "c-1node-2dimms", "d-1node-vmem-offline"};
	struct mh_iomem io;
	char name[256];
	size_t len, d;
	char *text;
	int i;

	(void)state;
	for (d = 0; d < 4; d++) {
		snprintf(name, sizeof(name), "captures/%s/iomem", dirs[d]);
		text = load(name, &len);
		assert_int_equal(mh_parse_iomem(text, len, &io), 0);
		assert_false(io.addresses_hidden);
		/* boot RAM above 4 GiB on q35 */
		i = mh_iomem_find(&io, 0x100000000ULL);
		assert_true(i >= 0);
		assert_int_equal(io.entries[i].kind, MH_IOMEM_SYSTEM_RAM);
		if (d != 2) {
			/* virtio0 at block 48 */
			i = mh_iomem_find(&io, 0x180000000ULL);
			assert_true(i >= 0);
			if (io.entries[i].parent >= 0)
				i = io.entries[i].parent;
			assert_string_equal(io.entries[i].name, "virtio0");
			assert_int_equal(io.entries[i].kind, MH_IOMEM_VIRTIO);
			assert_int_equal(io.entries[i].start, 0x180000000ULL);
		} else {
			/* two DIMMs, each its own top-level System RAM */
			i = mh_iomem_find(&io, 0x180000000ULL);
			assert_int_equal(io.entries[i].start, 0x180000000ULL);
			assert_int_equal(io.entries[i].end, 0x27fffffffULL);
			assert_int_equal(io.entries[i].depth, 0);
			i = mh_iomem_find(&io, 0x280000000ULL);
			assert_int_equal(io.entries[i].end, 0x37fffffffULL);
		}
		if (d == 1) {
			i = mh_iomem_find(&io, 0x780000000ULL);
			if (io.entries[i].parent >= 0)
				i = io.entries[i].parent;
			assert_string_equal(io.entries[i].name, "virtio1");
		}
		mh_iomem_free(&io);
		free(text);
	}
}

/* Every attribute of every block in the sysfs dumps parses, and
 * phys_index == N of memoryN. */
static void test_capture_sysfs_attrs(void **state)
{
	static const char *dirs[] = {"a-1node-vmem8g", "b-2node-vmem8g-each",
				     "c-1node-2dimms", "d-1node-vmem-offline"};
	size_t d;
	int checked = 0;

	(void)state;
	for (d = 0; d < 4; d++) {
		char name[256], *text, *line, *save = NULL;
		size_t len;

		snprintf(name, sizeof(name), "captures/%s/sysfs.txt", dirs[d]);
		text = load(name, &len);
		text = realloc(text, len + 1);
		text[len] = '\0';
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *tab = strchr(line, '\t'), *attr, *blk;
			uint64_t v, id;
			enum mh_block_state st;
			enum mh_zone z;

			if (!tab)
				continue;
			*tab = '\0';
			attr = strrchr(line, '/') + 1;
			if (strcmp(attr, "block_size_bytes") == 0) {
				assert_int_equal(
					mh_parse_block_size(
						tab + 1, strlen(tab + 1), &v),
					0);
				assert_int_equal(v, 0x8000000);
				continue;
			}
			blk = strstr(line, "/memory/memory");
			if (!blk)
				continue;
			attr[-1] = '\0';
			assert_int_equal(mh_parse_memory_name(blk + 8, &id), 0);
			if (strcmp(attr, "phys_index") == 0) {
				assert_int_equal(
					mh_parse_phys_index(
						tab + 1, strlen(tab + 1), &v),
					0);
				assert_int_equal(v, id);
				checked++;
			} else if (strcmp(attr, "state") == 0) {
				assert_int_equal(
					mh_parse_block_state(
						tab + 1, strlen(tab + 1), &st),
					0);
			} else if (strcmp(attr, "valid_zones") == 0) {
				assert_int_equal(
					mh_parse_valid_zones_first(
						tab + 1, strlen(tab + 1), &z),
					0);
				if (id == 0)
					assert_int_equal(z, MH_ZONE_NONE);
			}
		}
		free(text);
	}
	assert_true(checked > 300);
}

/* Whatever captures exist (more may be added): their iomem and zoneinfo
 * parse. */
static void test_capture_all(void **state)
{
	char path[4096];
	struct dirent *de;
	int seen = 0;
	DIR *d;

	(void)state;
	snprintf(path, sizeof(path), "%s/captures", data_dir());
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct mh_zoneinfo zi;
		struct mh_iomem io;
		char name[512];
		size_t len;
		char *text;
		int nid;

		if (de->d_name[0] == '.' || strchr(de->d_name, '.'))
			continue;
		snprintf(name, sizeof(name), "captures/%s/iomem", de->d_name);
		text = load(name, &len);
		assert_int_equal(mh_parse_iomem(text, len, &io), 0);
		assert_true(io.nr > 10);
		mh_iomem_free(&io);
		free(text);
		snprintf(name, sizeof(name), "captures/%s/zoneinfo",
			 de->d_name);
		text = load(name, &len);
		assert_int_equal(mh_parse_zoneinfo(text, len, &zi), 0);
		for (nid = 0; nid <= mh_zoneinfo_max_nid(&zi); nid++) {
			struct mh_zoneinfo_node_sums s;

			mh_zoneinfo_node_sums(&zi, nid, &s);
			assert_true(s.kernel_cma <= s.kernel_present);
		}
		mh_zoneinfo_free(&zi);
		free(text);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 4);
}

/* ---- hostile input: issue 9 findings, each failed before its fix ---- */

/* Per-node sums saturate instead of wrapping to a small number. */
static void test_zoneinfo_sums_saturate(void **state)
{
	struct st_zone z[] = {
		{0, "Normal", 4096, UINT64_MAX - 1, UINT64_MAX - 2, 10, 0},
		{0, "DMA32", 1, UINT64_MAX - 1, 1000, 10, 0},
		{0, "Movable", 1, UINT64_MAX, UINT64_MAX - 5, 10, 0},
		{0, "Movable", 1, UINT64_MAX, 100, 10, 0},
	};
	struct mh_zoneinfo_node_sums s;
	struct mh_zoneinfo zi;
	char *text = st_zoneinfo_text(z, 4);

	(void)state;
	assert_int_equal(mh_parse_zoneinfo(text, strlen(text), &zi), 0);
	mh_zoneinfo_node_sums(&zi, 0, &s);
	assert_true(s.kernel_present == MH_ZONEINFO_MAX_PAGES);
	assert_true(s.movable_present == MH_ZONEINFO_MAX_PAGES);
	assert_true(s.kernel_cma <= s.kernel_present);
	mh_zoneinfo_free(&zi);
	free(text);
}

/* present > spanned: -EINVAL with a message that names the zone. */
static void test_zoneinfo_present_over_spanned(void **state)
{
	struct st_zone z[] = {{0, "Normal", 4096, 100, 200, 100, 0}};
	struct mh_zoneinfo zi;
	char *text = st_zoneinfo_text(z, 1), msg[160];

	(void)state;
	assert_int_equal(mh_parse_zoneinfo_msg(text, strlen(text), &zi, msg,
					       sizeof(msg)),
			 -EINVAL);
	assert_non_null(strstr(msg, "Node 0, zone Normal"));
	assert_non_null(strstr(msg, "present 200 exceeds spanned 100"));
	free(text);
}

#define TBOOT "8d3a6f0c-2b7e-4c41-9a55-0f1e2d3c4b5a"

/* A token longer than the scratch buffer is rejected whole, not split. */
static void test_classification_long_token(void **state)
{
	struct mh_id_range *rg = NULL;
	char text[256];
	size_t n = 0;

	(void)state;
	/* 48 characters: zero-padded 48 used to read as blocks 0 and 48 */
	snprintf(text, sizeof(text), "%s\n%048d\n", TBOOT, 48);
	assert_int_equal(mh_scan_parse_classification(text, strlen(text), TBOOT,
						      &rg, &n),
			 -EINVAL);
	/* 47 characters still fit and mean 48 */
	snprintf(text, sizeof(text), "%s\n%047d\n", TBOOT, 48);
	assert_int_equal(mh_scan_parse_classification(text, strlen(text), TBOOT,
						      &rg, &n),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(rg[0].first, 48);
	free(rg);
	/* cut short in the middle of a line */
	snprintf(text, sizeof(text), "%s\n40-4", TBOOT);
	assert_int_equal(mh_scan_parse_classification(text, strlen(text), TBOOT,
						      &rg, &n),
			 -EINVAL);
}

/* A minimal tree: 4 boot blocks, two more online, one offline. */
static void mini_tree(struct simtree *t)
{
	struct st_zone z[] = {
		{0, "Normal", 0, 7 * 32768, 6 * 32768, 6 * 32768, 0}};

	st_init(t);
	st_block_size(t, 128ull << 20);
	st_boot_id(t, TBOOT);
	st_blocks(t, 0, 5, "online", "Normal", 0);
	st_block(t, 6, "offline", "Movable Normal", 0);
	st_put(t, "proc/iomem", "00000000-ffffffff : System RAM\n");
	st_zoneinfo(t, z, 1);
}

static char *tree_file(const struct simtree *t, const char *rel)
{
	char p[PATH_MAX];
	struct mh_root r;
	char *text = NULL;

	(void)p;
	assert_int_equal(mh_root_open(&r, t->root), 0);
	if (mh_read_file(&r, rel, 1 << 20, &text, NULL) < 0)
		text = NULL;
	mh_root_close(&r);
	return text;
}

/* A damaged classification file is moved aside, never silently replaced;
 * stale temp files of a killed run are removed. */
static void test_classification_corrupt_kept(void **state)
{
	static const char *bad[] = {
		TBOOT "\n4-5\ngarbage\n", /* garbage */
		TBOOT "\n4-",		  /* truncated */
	};
	struct mh_inventory inv;
	struct simtree t;
	struct mh_root r;
	char *s, p[PATH_MAX];

	(void)state;
	mini_tree(&t);
	assert_int_equal(mh_root_open(&r, t.root), 0);
	for (size_t i = 0; i < 2; i++) {
		st_put(&t, "run/memhotd/classification", bad[i]);
		st_put(&t, "run/memhotd/classification.99999.tmp", "x");
		assert_int_equal(mh_scan_full(&r, &inv), 0);
		mh_inv_free(&inv);
		s = tree_file(&t, "run/memhotd/classification.corrupt");
		assert_non_null(s);
		assert_string_equal(s, bad[i]);
		free(s);
		s = tree_file(&t, "run/memhotd/classification");
		assert_non_null(s);
		assert_string_equal(s, TBOOT "\n6\n");
		free(s);
		assert_false(mh_path_exists(
			&r, "run/memhotd/classification.99999.tmp"));
	}
	/* a directory: moved aside as well, then a fresh file written */
	st_rm(&t, "run/memhotd/classification.corrupt");
	st_rm(&t, "run/memhotd/classification");
	st_mkdirs(&t, "run/memhotd/classification");
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	mh_inv_free(&inv);
	st_abs(&t, "run/memhotd/classification.corrupt", p, sizeof(p));
	{
		struct stat st;

		assert_int_equal(stat(p, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
	s = tree_file(&t, "run/memhotd/classification");
	assert_non_null(s);
	assert_string_equal(s, TBOOT "\n6\n");
	free(s);
	mh_root_close(&r);
	st_destroy(&t);
}

/* A symlink planted at the temporary file's name is not written through. */
static void test_classification_tmp_symlink(void **state)
{
	struct mh_inventory inv;
	struct simtree t;
	struct mh_root r;
	char rel[128], *s;

	(void)state;
	mini_tree(&t);
	assert_int_equal(mh_root_open(&r, t.root), 0);
	assert_int_equal(mh_scan_full_readonly(&r, &inv), 0);
	st_put(&t, "victim", "untouched\n");
	snprintf(rel, sizeof(rel), "run/memhotd/classification.%ld.tmp",
		 (long)getpid());
	st_symlink(&t, "../../victim", rel);
	assert_int_equal(mh_scan_save_classification(&r, &inv), -ELOOP);
	s = tree_file(&t, "victim");
	assert_string_equal(s, "untouched\n");
	free(s);
	mh_inv_free(&inv);
	mh_root_close(&r);
	st_destroy(&t);
}

/* FIFOs where memhotd expects files: an error, never a hang. */
static void test_fifo_never_blocks(void **state)
{
	struct mh_inventory inv;
	struct mh_config c;
	struct simtree t;
	struct mh_root r;
	char p[PATH_MAX], err[512], buf[64], *text;

	(void)state;
	mini_tree(&t);
	assert_int_equal(mh_root_open(&r, t.root), 0);
	st_mkdirs(&t, "run/memhotd");
	st_abs(&t, "run/memhotd/classification", p, sizeof(p));
	assert_int_equal(mkfifo(p, 0600), 0);
	alarm(20); /* a hang fails the test instead of stalling it */
	assert_int_equal(mh_read_file(&r, "run/memhotd/classification", 100,
				      &text, NULL),
			 -EINVAL);
	assert_int_equal(mh_read_small(&r, "run/memhotd/classification", buf,
				       sizeof(buf)),
			 -EINVAL);
	/* start-up with a FIFO at the classification path */
	assert_int_equal(mh_scan_full(&r, &inv), 0);
	mh_inv_free(&inv);
	/* config file and drop-in */
	st_abs(&t, "etc/memhotd.conf", p, sizeof(p));
	st_mkdirs(&t, "etc/memhotd.conf.d");
	assert_int_equal(mkfifo(p, 0600), 0);
	mh_config_defaults(&c);
	assert_int_equal(mh_config_load(p, false, &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(p);
	st_put(&t, "etc/memhotd.conf", "# empty\n");
	{
		char d[PATH_MAX];

		st_abs(&t, "etc/memhotd.conf.d/10-x.conf", d, sizeof(d));
		assert_int_equal(mkfifo(d, 0600), 0);
	}
	mh_config_defaults(&c);
	assert_int_equal(mh_config_load(p, false, &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	alarm(0);
	mh_root_close(&r);
	st_destroy(&t);
}

/* An absolute symlink inside --root resolves inside the root: writes
 * cannot leave it.  Both with openat2 and with the fallback walk. */
static void test_symlink_stays_in_root(void **state)
{
	struct simtree t, out;
	struct mh_root r;
	char target[PATH_MAX], buf[64], *s;

	(void)state;
	for (int fallback = 0; fallback < 2; fallback++) {
		mh_sysfs_force_resolve_fallback(fallback);
		mini_tree(&t);
		st_init(&out);
		st_put(&out, "victim", "untouched\n");
		assert_int_equal(mh_root_open(&r, t.root), 0);
		/* absolute link to a file outside the root */
		snprintf(target, sizeof(target), "%s/victim", out.root);
		st_symlink(&t, target,
			   "sys/devices/system/memory/memory6/"
			   "state");
		assert_true(mh_write_attr(&r,
					  "sys/devices/system/memory/"
					  "memory6/state",
					  "online") < 0);
		s = tree_file(&out, "victim");
		assert_string_equal(s, "untouched\n");
		free(s);
		/* an absolute link to a path inside the root works, the
		 * root standing for "/" */
		st_put(&t, "elsewhere/state", "offline\n");
		st_symlink(&t, "/elsewhere/state",
			   "sys/devices/system/memory/memory6/state");
		assert_int_equal(mh_read_small(&r,
					       "sys/devices/system/memory/"
					       "memory6/state",
					       buf, sizeof(buf)),
				 8);
		/* relative links with ".." resolve as before */
		assert_int_equal(mh_read_small(&r,
					       "sys/devices/system/memory/"
					       "memory0/node0/../../memory/"
					       "memory0/state",
					       buf, sizeof(buf)),
				 7);
		/* ".." cannot climb above the root */
		assert_true(mh_read_small(&r, "../../../../../../../etc/passwd",
					  buf, sizeof(buf)) < 0);
		mh_root_close(&r);
		st_destroy(&t);
		st_destroy(&out);
	}
	mh_sysfs_force_resolve_fallback(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_size),
		cmocka_unit_test(test_phys_index),
		cmocka_unit_test(test_block_state),
		cmocka_unit_test(test_valid_zones),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_iomem_fixture),
		cmocka_unit_test(test_iomem_hidden),
		cmocka_unit_test(test_iomem_malformed),
		cmocka_unit_test(test_iomem_long_name),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_zoneinfo_q35),
		cmocka_unit_test(test_zoneinfo_virtio_cma),
		cmocka_unit_test(test_zoneinfo_2node),
		cmocka_unit_test(test_zoneinfo_malformed),
		cmocka_unit_test(test_zoneinfo_per_node_stanza),
		cmocka_unit_test(test_capture_zoneinfo),
		cmocka_unit_test(test_capture_iomem),
		cmocka_unit_test(test_capture_sysfs_attrs),
		cmocka_unit_test(test_capture_all),
		cmocka_unit_test(test_zoneinfo_sums_saturate),
		cmocka_unit_test(test_zoneinfo_present_over_spanned),
		cmocka_unit_test(test_classification_long_token),
		cmocka_unit_test(test_classification_corrupt_kept),
		cmocka_unit_test(test_classification_tmp_symlink),
		cmocka_unit_test(test_fifo_never_blocks),
		cmocka_unit_test(test_symlink_stays_in_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
