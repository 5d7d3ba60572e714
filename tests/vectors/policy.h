/* SPDX-License-Identifier: MIT */
/*
 * The policy test vectors (doc/policy.md section 8), one table shared by
 * the policy unit test (its simulator over plain policy structs), the plan
 * test (the pure plan over a real inventory) and the integration test (an
 * independent reference model, and the real daemon on the fake kernel).
 *
 * A vector: the auto-movable ratio, numa_aware, each node's early kernel
 * memory in 4 KiB pages, then devices plugged one after the other, each
 * fully before the next, every block onlined in ascending order.  For
 * each device the expected zones of its plugged blocks, in the pattern
 * language: "M96 (N M3)*67 N M4" is 96 Movable blocks, then N M M M 67
 * times, then N and four M.  Blocks are 128 MiB (32768 pages).
 *
 * Header-only, no test framework: include it from C tests of any suite.
 */
#ifndef MEMHOTD_TEST_VECTORS_POLICY_H
#define MEMHOTD_TEST_VECTORS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TV_BLOCK_PAGES 32768ULL
#define TV_GIB(x) ((uint64_t)(x)*262144ULL)
#define TV_MIB(x) ((uint64_t)(x)*256ULL)
/* The measured 4 GiB q35 guest: holes keep boot kernel memory at
 * 1 048 446 pages, all 130 missing pages below 2 GiB (doc/inputs.md 3.2). */
#define TV_Q35_HOLES 130ULL
#define TV_Q35_4G_KE (TV_GIB(4) - TV_Q35_HOLES)
#define TV_MAX_NODES 2
#define TV_MAX_DEVS 6
#define TV_MAX_BLOCKS 600 /* the most blocks a vector plugs in all */

/* The integration test's fake-kernel bases a vector's nodes match. */
enum tv_base {
	TV_BASE_NONE = 0,     /* no fake kernel has these nodes */
	TV_BASE_Q35_4G,	      /* one node, TV_Q35_4G_KE */
	TV_BASE_Q35_4G_2NODES /* 2 GiB - holes and 2 GiB */
};

struct tv_dev {
	char kind; /* 'v' virtio-mem, 'd' DIMM (static), 'u' no group */
	int nid;
	unsigned int unit; /* 'v': blocks per unit (1: SBM) */
	uint64_t first;	   /* first block id */
	unsigned int plug; /* blocks onlined ('d': the whole DIMM) */
	const char *layout;
};

struct tv {
	const char *name;
	unsigned int ratio;
	bool numa_aware;
	enum tv_base base;
	uint64_t ke[TV_MAX_NODES]; /* nodes with 0 exist, without boot memory */
	unsigned int nr_nodes;
	struct tv_dev dev[TV_MAX_DEVS]; /* up to the first kind 0 */
};

#define TV_SBM(nid, first, plug, layout)                                       \
	{                                                                      \
		'v', nid, 1, first, plug, layout                               \
	}
#define TV_BBM(nid, unit, first, plug, layout)                                 \
	{                                                                      \
		'v', nid, unit, first, plug, layout                            \
	}
#define TV_DIMM(nid, first, blocks, layout)                                    \
	{                                                                      \
		'd', nid, 1, first, blocks, layout                             \
	}
#define TV_LOOSE(nid, first, plug, layout)                                     \
	{                                                                      \
		'u', nid, 1, first, plug, layout                               \
	}

/* TV1's six 4 GiB DIMMs from block 48: the third decides the flip. */
#define TV1_DIMMS(third)                                                       \
	{                                                                      \
		TV_DIMM(0, 48, 32, "M32"), TV_DIMM(0, 80, 32, "M32"),          \
			TV_DIMM(0, 112, 32, third),                            \
			TV_DIMM(0, 144, 32, "N32"),                            \
			TV_DIMM(0, 176, 32, "N32"), TV_DIMM(0, 208, 32, "N32") \
	}

/* A vector a paragraph, not a field a line: */
/* clang-format off */
static const struct tv tv_policy[] = {
	/* TV1: the layout flips between KE = 4 GiB - 3483 and - 3484
	 * pages.  "TV1-q35" is the cover letter's guest. */
	{"TV1-0", 301, true, TV_BASE_NONE, {TV_GIB(4)}, 1, TV1_DIMMS("M32")},
	{"TV1-q35", 301, true, TV_BASE_Q35_4G, {TV_Q35_4G_KE}, 1,
	 TV1_DIMMS("M32")},
	{"TV1-3483", 301, true, TV_BASE_NONE, {TV_GIB(4) - 3483}, 1,
	 TV1_DIMMS("M32")},
	{"TV1-3484", 301, true, TV_BASE_NONE, {TV_GIB(4) - 3484}, 1,
	 TV1_DIMMS("N32")},
	{"TV1-100000", 301, true, TV_BASE_NONE, {TV_GIB(4) - 100000}, 1,
	 TV1_DIMMS("N32")},
	/* The cover letter's five DIMMs on the q35 guest (7.11 at 300:
	 * the third is already Normal). */
	{"cover-letter-dimms", 301, true, TV_BASE_Q35_4G, {TV_Q35_4G_KE}, 1,
	 {TV_DIMM(0, 48, 32, "M32"), TV_DIMM(0, 80, 32, "M32"),
	  TV_DIMM(0, 112, 32, "M32"), TV_DIMM(0, 144, 32, "N32"),
	  TV_DIMM(0, 176, 32, "N32")}},
	{"cover-letter-dimms-300", 300, true, TV_BASE_Q35_4G, {TV_Q35_4G_KE}, 1,
	 {TV_DIMM(0, 48, 32, "M32"), TV_DIMM(0, 80, 32, "M32"),
	  TV_DIMM(0, 112, 32, "N32"), TV_DIMM(0, 144, 32, "N32"),
	  TV_DIMM(0, 176, 32, "N32")}},
	/* TV2: one virtio-mem device (SBM) */
	{"TV2", 301, true, TV_BASE_NONE, {TV_GIB(4)}, 1,
	 {TV_SBM(0, 48, 600, "M96 (N M3)*67 N M4 (N M3)*57 N M2")}},
	{"TV2b", 301, true, TV_BASE_NONE, {TV_GIB(4) - 3484}, 1,
	 {TV_SBM(0, 48, 200, "M95 N M4 (N M3)*25")}},
	/* TV3: BBM units of 4 and 8 blocks */
	{"TV3-4", 301, true, TV_BASE_NONE, {TV_GIB(4)}, 1,
	 {TV_BBM(0, 4, 48, 400, "M96 (N4 M12)*19")}},
	{"TV3-8", 301, true, TV_BASE_NONE, {TV_GIB(4)}, 1,
	 {TV_BBM(0, 8, 48, 400, "M96 (N8 M24)*9 N8 M8")}},
	/* TV4: a 24 GiB DIMM fits 3.01 x 8 GiB; 128 MiB more does not */
	{"TV4", 301, true, TV_BASE_NONE, {TV_GIB(8)}, 1,
	 {TV_DIMM(0, 64, 192, "M192")}},
	{"TV4+1", 301, true, TV_BASE_NONE, {TV_GIB(8)}, 1,
	 {TV_DIMM(0, 64, 193, "N193")}},
	/* TV5: virtio-mem on a node without boot memory */
	{"TV5-numa", 301, true, TV_BASE_NONE, {TV_GIB(4), 0}, 2,
	 {TV_SBM(1, 240, 200, "N200")}},
	{"TV5-global", 301, false, TV_BASE_NONE, {TV_GIB(4), 0}, 2,
	 {TV_SBM(1, 240, 200, "M96 (N M3)*26")}},
	/* TV5b: 2 GiB of boot memory on each node */
	{"TV5b-numa", 301, true, TV_BASE_NONE, {TV_GIB(2), TV_GIB(2)}, 2,
	 {TV_SBM(1, 240, 200, "M48 (N M3)*38")}},
	{"TV5b-global", 301, false, TV_BASE_NONE, {TV_GIB(2), TV_GIB(2)}, 2,
	 {TV_SBM(1, 240, 200, "M96 (N M3)*26")}},
	/* TV6: ratio 0, everything kernel, any kind of memory */
	{"TV6", 0, true, TV_BASE_NONE, {TV_GIB(4)}, 1,
	 {TV_SBM(0, 48, 64, "N64"), TV_BBM(0, 4, 112, 64, "N64"),
	  TV_DIMM(0, 176, 32, "N32"), TV_LOOSE(0, 240, 16, "N16")}},
	{"TV6-q35", 0, true, TV_BASE_Q35_4G, {TV_Q35_4G_KE}, 1,
	 {TV_SBM(0, 48, 16, "N16")}},
	/* TV8b: A to 16 GiB, then B to 8 GiB */
	{"TV8b", 301, true, TV_BASE_NONE, {TV_GIB(4)}, 1,
	 {TV_SBM(0, 48, 128, "M96 (N M3)*8"),
	  TV_SBM(0, 512, 64, "(N M3)*16")}},
	/* TV10: 8 GiB dax/kmem (static) on a node without boot memory */
	{"TV10-numa", 301, true, TV_BASE_NONE, {TV_GIB(4), 0}, 2,
	 {TV_DIMM(1, 256, 64, "N64")}},
	{"TV10-global", 301, false, TV_BASE_NONE, {TV_GIB(4), 0}, 2,
	 {TV_DIMM(1, 256, 64, "M64")}},
	/* TV11: virtio-mem 8 GiB, then a 4 GiB DIMM */
	{"TV11", 301, true, TV_BASE_NONE, {TV_GIB(4)}, 1,
	 {TV_SBM(0, 48, 64, "M64"), TV_DIMM(0, 512, 32, "M32")}},
	/* TV12: ungrouped blocks get no credit for their kernel memory */
	{"TV12", 301, true, TV_BASE_NONE, {TV_GIB(4)}, 1,
	 {TV_LOOSE(0, 48, 300, "M96 N204")}},
	/* TV13: an 8 GiB DIMM, then virtio-mem */
	{"TV13", 301, true, TV_BASE_NONE, {TV_GIB(4)}, 1,
	 {TV_DIMM(0, 48, 64, "M64"), TV_SBM(0, 512, 100, "M32 (N M3)*17")}},
	/* RV1, measured on a 6.1 q35 guest: virtio-mem 0 -> 16 GiB; the
	 * cover letter continues the N M3 pattern. */
	{"RV1", 301, true, TV_BASE_Q35_4G, {TV_Q35_4G_KE}, 1,
	 {TV_SBM(0, 48, 128, "M96 (N M3)*8")}},
	{"cover-letter-vmem", 301, true, TV_BASE_Q35_4G, {TV_Q35_4G_KE}, 1,
	 {TV_SBM(0, 48, 328, "M96 (N M3)*58")}},
	/* RV2 (numa_aware) and RV3 (global): two nodes, one 8 GiB
	 * virtio-mem device each, node 0's first */
	{"RV2", 301, true, TV_BASE_Q35_4G_2NODES,
	 {TV_GIB(2) - TV_Q35_HOLES, TV_GIB(2)}, 2,
	 {TV_SBM(0, 48, 64, "M48 (N M3)*4"),
	  TV_SBM(1, 240, 64, "M48 (N M3)*4")}},
	{"RV3", 301, false, TV_BASE_Q35_4G_2NODES,
	 {TV_GIB(2) - TV_Q35_HOLES, TV_GIB(2)}, 2,
	 {TV_SBM(0, 48, 64, "M64"), TV_SBM(1, 240, 64, "M32 (N M3)*8")}},
	/* Patch 9: ratio 3:1 gives "[M]x8 [N][M][M][M]..." with
	 * 384 MiB - holes of boot memory */
	{"patch9", 300, true, TV_BASE_NONE, {TV_MIB(384) - TV_Q35_HOLES}, 1,
	 {TV_SBM(0, 8, 200, "M8 (N M3)*48")}},
};
/* clang-format on */
#define TV_NR_POLICY (sizeof(tv_policy) / sizeof(tv_policy[0]))

static inline const struct tv *tv_find(const char *name)
{
	for (size_t i = 0; i < TV_NR_POLICY; i++)
		if (!strcmp(tv_policy[i].name, name))
			return &tv_policy[i];
	return NULL;
}

static inline size_t tv_nr_devs(const struct tv *v)
{
	size_t n = 0;

	while (n < TV_MAX_DEVS && v->dev[n].kind)
		n++;
	return n;
}

/*
 * Expands a pattern ("M96 (N M3)*67 N M4") into out (at most cap chars,
 * not terminated).  Returns the length, or (size_t)-1 if the pattern is
 * malformed or longer than cap.
 */
static inline size_t tv_expand_at(const char **pp, char *out, size_t cap,
				  size_t pos)
{
	const char *p = *pp;

	while (*p && *p != ')') {
		if (*p == ' ') {
			p++;
		} else if (*p == 'M' || *p == 'N') {
			char z = *p++;
			unsigned long k = 1;

			if (*p >= '0' && *p <= '9')
				k = strtoul(p, (char **)&p, 10);
			for (unsigned long i = 0; i < k; i++) {
				if (pos >= cap)
					return (size_t)-1;
				out[pos++] = z;
			}
		} else if (*p == '(') {
			size_t start = pos, end;
			unsigned long k;

			p++;
			pos = tv_expand_at(&p, out, cap, pos);
			if (pos == (size_t)-1 || p[0] != ')' || p[1] != '*')
				return (size_t)-1;
			p += 2;
			k = strtoul(p, (char **)&p, 10);
			if (k < 1)
				return (size_t)-1;
			end = pos;
			for (unsigned long r = 1; r < k; r++) {
				if (pos + (end - start) > cap)
					return (size_t)-1;
				memmove(out + pos, out + start, end - start);
				pos += end - start;
			}
		} else {
			return (size_t)-1;
		}
	}
	*pp = p;
	return pos;
}

static inline size_t tv_expand(const char *pattern, char *out, size_t cap)
{
	const char *p = pattern;
	size_t n = tv_expand_at(&p, out, cap, 0);

	return n != (size_t)-1 && *p == '\0' ? n : (size_t)-1;
}

#endif
