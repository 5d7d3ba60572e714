/* SPDX-License-Identifier: MIT */
/*
 * Text -> plain structs, no I/O: sysfs attribute values, /proc/iomem and
 * /proc/zoneinfo.  Every parser rejects malformed input with -EINVAL
 * (never crashes, never reads past len), so the callers can feed them
 * whatever the file held.
 */
#ifndef MEMHOTD_PARSE_H
#define MEMHOTD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memhotd/inventory.h"
#include "memhotd/policy.h"

/* block_size_bytes: hex without 0x ("8000000\n"). 0 or -EINVAL. */
int mh_parse_block_size(const char *s, size_t len, uint64_t *out);
/* phys_index: hex ("00000030\n"). */
int mh_parse_phys_index(const char *s, size_t len, uint64_t *out);
/* state: "online", "offline", "going-offline" (trailing newline ok). */
int mh_parse_block_state(const char *s, size_t len, enum mh_block_state *out);
/* valid_zones: the first word ("Movable Normal\n" -> MH_ZONE_MOVABLE). */
int mh_parse_valid_zones_first(const char *s, size_t len, enum mh_zone *out);
/* "memory123" -> 123; -EINVAL for anything else. */
int mh_parse_memory_name(const char *s, uint64_t *out);
/* "node3" -> 3; -EINVAL for anything else. */
int mh_parse_node_name(const char *s, int *out);
/* auto_online_blocks etc.: one word, copied without the newline. */
int mh_parse_word(const char *s, size_t len, char *out, size_t out_len);

/* /proc/iomem */
enum mh_iomem_kind {
	MH_IOMEM_OTHER = 0,
	MH_IOMEM_SYSTEM_RAM,	    /* "System RAM" (boot RAM, ACPI DIMMs) */
	MH_IOMEM_SYSTEM_RAM_DRIVER, /* "System RAM (virtio_mem)", (kmem) */
	MH_IOMEM_VIRTIO,	    /* "virtioN" parent of virtio-mem */
	MH_IOMEM_DAX,		    /* "daxX.Y" parent of kmem */
};

struct mh_iomem_entry {
	uint64_t start, end; /* inclusive end, as printed */
	unsigned int depth;  /* 0 = top level, +1 per two spaces of indent */
	enum mh_iomem_kind kind;
	char name[64]; /* the resource name, truncated */
	int parent;    /* index of the enclosing entry, -1 top level */
};

struct mh_iomem {
	struct mh_iomem_entry *entries;
	size_t nr;
	bool addresses_hidden; /* all zero: not root (kptr_restrict) */
};

int mh_parse_iomem(const char *text, size_t len, struct mh_iomem *out);
void mh_iomem_free(struct mh_iomem *io);
/* Index of the innermost entry containing addr, or -1. */
int mh_iomem_find(const struct mh_iomem *io, uint64_t addr);

/* /proc/zoneinfo */
struct mh_zoneinfo_zone {
	int nid;
	enum mh_zone zone; /* DMA, DMA32, Normal, Movable; Device -> UNKNOWN */
	char name[16];	   /* as printed */
	uint64_t spanned, present, managed, cma;
	uint64_t start_pfn; /* populated zones only */
	bool populated;	    /* present != 0 */
};

struct mh_zoneinfo {
	struct mh_zoneinfo_zone *zones;
	size_t nr;
};

int mh_parse_zoneinfo(const char *text, size_t len, struct mh_zoneinfo *out);
/* The same; on failure msg (if not NULL) says where and why, e.g.
 * "Node 0, zone Normal: present 9 exceeds spanned 8 (inconsistent zone)". */
int mh_parse_zoneinfo_msg(const char *text, size_t len, struct mh_zoneinfo *out,
			  char *msg, size_t msg_len);
void mh_zoneinfo_free(struct mh_zoneinfo *zi);

/* Per-node sums the calibration needs, over populated zones of nid; each
 * saturates at MH_ZONEINFO_MAX_PAGES (the pages of a 64-bit address space
 * with 4 KiB pages) instead of wrapping. */
#define MH_ZONEINFO_MAX_PAGES (UINT64_MAX >> 12)
struct mh_zoneinfo_node_sums {
	uint64_t kernel_present; /* DMA + DMA32 + Normal present */
	uint64_t kernel_cma;
	uint64_t movable_present;
};
void mh_zoneinfo_node_sums(const struct mh_zoneinfo *zi, int nid,
			   struct mh_zoneinfo_node_sums *out);
/* Highest nid mentioned, or -1. */
int mh_zoneinfo_max_nid(const struct mh_zoneinfo *zi);

#endif
