// SPDX-License-Identifier: MIT
/*
 * Text parsers for sysfs attributes, /proc/iomem and /proc/zoneinfo.
 * Pure: no I/O, no global state.  Every function takes (text, len) and
 * never looks at text[len] or beyond, so callers may pass unterminated
 * buffers.  Malformed input yields -EINVAL.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/parse.h"
#include "memhotd/util.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Trims trailing whitespace: returns the new length. */
static size_t rtrim(const char *s, size_t len)
{
	while (len > 0 && is_space(s[len - 1]))
		len--;
	return len;
}

/* Hex digits in s[*pos, len), at least one, no overflow. */
static int scan_hex(const char *s, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = *pos;
	int d;

	if (i >= len || hex_digit(s[i]) < 0)
		return -EINVAL;
	for (; i < len && (d = hex_digit(s[i])) >= 0; i++) {
		if (v > (UINT64_MAX >> 4))
			return -EINVAL;
		v = (v << 4) | (uint64_t)d;
	}
	*pos = i;
	*out = v;
	return 0;
}

/* Decimal digits in s[*pos, len), at least one, no overflow. */
static int scan_dec(const char *s, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = *pos;

	if (i >= len || s[i] < '0' || s[i] > '9')
		return -EINVAL;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*pos = i;
	*out = v;
	return 0;
}

/* Whole string (after trimming trailing whitespace) is one hex number. */
static int parse_hex_attr(const char *s, size_t len, uint64_t *out)
{
	size_t pos = 0;
	uint64_t v;

	if (!s)
		return -EINVAL;
	len = rtrim(s, len);
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		pos = 2;
	if (scan_hex(s, len, &pos, &v) < 0 || pos != len)
		return -EINVAL;
	*out = v;
	return 0;
}

int mh_parse_block_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v;

	if (parse_hex_attr(s, len, &v) < 0)
		return -EINVAL;
	/* A memory block is a non-empty multiple of the page size. */
	if (v == 0 || v % MH_PAGE_SIZE)
		return -EINVAL;
	*out = v;
	return 0;
}

int mh_parse_phys_index(const char *s, size_t len, uint64_t *out)
{
	return parse_hex_attr(s, len, out);
}

static bool word_is(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len == n && memcmp(s, w, n) == 0;
}

int mh_parse_block_state(const char *s, size_t len, enum mh_block_state *out)
{
	if (!s)
		return -EINVAL;
	len = rtrim(s, len);
	if (word_is(s, len, "online"))
		*out = MH_BLOCK_ONLINE;
	else if (word_is(s, len, "offline"))
		*out = MH_BLOCK_OFFLINE;
	else if (word_is(s, len, "going-offline"))
		*out = MH_BLOCK_GOING_OFFLINE;
	else
		return -EINVAL;
	return 0;
}

/* The zone names the kernel prints (valid_zones, zoneinfo). */
static enum mh_zone zone_word(const char *s, size_t len)
{
	if (word_is(s, len, "DMA"))
		return MH_ZONE_DMA;
	if (word_is(s, len, "DMA32"))
		return MH_ZONE_DMA32;
	if (word_is(s, len, "Normal"))
		return MH_ZONE_NORMAL;
	if (word_is(s, len, "Movable"))
		return MH_ZONE_MOVABLE;
	if (word_is(s, len, "none"))
		return MH_ZONE_NONE;
	return MH_ZONE_UNKNOWN;
}

int mh_parse_valid_zones_first(const char *s, size_t len, enum mh_zone *out)
{
	size_t i = 0, start;
	enum mh_zone z;

	if (!s)
		return -EINVAL;
	len = rtrim(s, len);
	while (i < len && is_space(s[i]))
		i++;
	start = i;
	while (i < len && !is_space(s[i]))
		i++;
	z = zone_word(s + start, i - start);
	if (z == MH_ZONE_UNKNOWN)
		return -EINVAL;
	*out = z;
	return 0;
}

/* prefix followed by a decimal number without leading zeros. */
static int parse_prefixed_dec(const char *s, const char *prefix, uint64_t max,
			      uint64_t *out)
{
	size_t plen, len, pos;
	uint64_t v;

	if (!s)
		return -EINVAL;
	plen = strlen(prefix);
	if (strncmp(s, prefix, plen) != 0)
		return -EINVAL;
	len = strlen(s);
	pos = plen;
	if (len > pos + 1 && s[pos] == '0')
		return -EINVAL;
	if (scan_dec(s, len, &pos, &v) < 0 || pos != len || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int mh_parse_memory_name(const char *s, uint64_t *out)
{
	return parse_prefixed_dec(s, "memory", UINT64_MAX, out);
}

int mh_parse_node_name(const char *s, int *out)
{
	uint64_t v;

	if (parse_prefixed_dec(s, "node", MH_MAX_NODES - 1, &v) < 0)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int mh_parse_word(const char *s, size_t len, char *out, size_t out_len)
{
	size_t i;

	if (!s || !out || out_len == 0)
		return -EINVAL;
	len = rtrim(s, len);
	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (is_space(s[i]) || s[i] == '\0')
			return -EINVAL;
	if (len >= out_len)
		return -ENOBUFS;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Frees an array of nr elements at *p; leaves it empty. */
static void free_array(void *p, size_t *nr)
{
	free(*(void **)p);
	*(void **)p = NULL;
	*nr = 0;
}

/* ---- /proc/iomem ---- */

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static enum mh_iomem_kind iomem_kind(const char *name, size_t len)
{
	static const char ram[] = "System RAM";
	size_t rl = sizeof(ram) - 1, i;

	if (word_is(name, len, ram))
		return MH_IOMEM_SYSTEM_RAM;
	if (len > rl + 3 && memcmp(name, ram, rl) == 0 && name[rl] == ' ' &&
	    name[rl + 1] == '(' && name[len - 1] == ')')
		return MH_IOMEM_SYSTEM_RAM_DRIVER;
	if (len > 6 && memcmp(name, "virtio", 6) == 0 &&
	    all_digits(name + 6, len - 6))
		return MH_IOMEM_VIRTIO;
	/* daxX.Y */
	if (len > 3 && memcmp(name, "dax", 3) == 0) {
		for (i = 3; i < len && name[i] != '.'; i++)
			;
		if (i < len && all_digits(name + 3, i - 3) &&
		    all_digits(name + i + 1, len - i - 1))
			return MH_IOMEM_DAX;
	}
	return MH_IOMEM_OTHER;
}

/* One line "<indent>start-end : name" (no newline) into e. */
static int iomem_line(const char *s, size_t len, struct mh_iomem_entry *e)
{
	size_t i = 0, nlen;

	while (i < len && s[i] == ' ')
		i++;
	if (i % 2)
		return -EINVAL;
	e->depth = (unsigned int)(i / 2);
	if (scan_hex(s, len, &i, &e->start) < 0)
		return -EINVAL;
	if (i >= len || s[i] != '-')
		return -EINVAL;
	i++;
	if (scan_hex(s, len, &i, &e->end) < 0)
		return -EINVAL;
	if (len - i < 3 || memcmp(s + i, " : ", 3) != 0)
		return -EINVAL;
	i += 3;
	if (e->end < e->start)
		return -EINVAL;
	nlen = len - i;
	e->kind = iomem_kind(s + i, nlen);
	if (nlen >= sizeof(e->name))
		nlen = sizeof(e->name) - 1;
	memcpy(e->name, s + i, nlen);
	e->name[nlen] = '\0';
	return 0;
}

int mh_parse_iomem(const char *text, size_t len, struct mh_iomem *out)
{
	_cleanup_(mh_iomem_free) struct mh_iomem io = {0};
	size_t cap = 0, pos = 0;
	/* stack[d] = index of the last entry seen at depth d */
	_cleanup_free_ int *stack = NULL;
	size_t stack_cap = 0;
	bool hidden = true;

	if (!out || (!text && len))
		return -EINVAL;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		struct mh_iomem_entry e;

		pos += llen + (nl ? 1 : 0);
		if (llen == 0)
			continue;
		/* A last line without newline is a truncated read. */
		if (!nl || iomem_line(line, llen, &e) < 0)
			return -EINVAL;
		/* depth grows by at most one level per line */
		if (io.nr == 0 ? e.depth != 0
			       : e.depth > io.entries[io.nr - 1].depth + 1)
			return -EINVAL;
		e.parent = e.depth ? stack[e.depth - 1] : -1;
		if (e.start || e.end)
			hidden = false;
		/* entries are indexed by int (parent) */
		if (io.nr >= (size_t)INT32_MAX)
			return -E2BIG;
		if (MH_GROW(io.entries, cap, io.nr + 1) < 0 ||
		    MH_GROW(stack, stack_cap, (size_t)e.depth + 1) < 0)
			return -ENOMEM;
		stack[e.depth] = (int)io.nr;
		io.entries[io.nr++] = e;
	}
	io.addresses_hidden = io.nr > 0 && hidden;
	*out = MH_TAKE_STRUCT(io);
	return 0;
}

void mh_iomem_free(struct mh_iomem *io)
{
	if (io)
		free_array(&io->entries, &io->nr);
}

int mh_iomem_find(const struct mh_iomem *io, uint64_t addr)
{
	int best = -1;
	size_t i;

	if (!io || io->addresses_hidden)
		return -1;
	for (i = 0; i < io->nr; i++) {
		const struct mh_iomem_entry *e = &io->entries[i];

		if (addr < e->start || addr > e->end)
			continue;
		if (best < 0 || e->depth > io->entries[best].depth)
			best = (int)i;
	}
	return best;
}

/* ---- /proc/zoneinfo ---- */

enum zi_field {
	ZI_SPANNED = 1u << 0,
	ZI_PRESENT = 1u << 1,
	ZI_MANAGED = 1u << 2,
	ZI_CMA = 1u << 3,
	ZI_START_PFN = 1u << 4,
};
#define ZI_REQUIRED (ZI_SPANNED | ZI_PRESENT | ZI_MANAGED)

/* "Node N, zone   NAME": 1 and fields set; 0 if not a zone header;
 * -EINVAL if a malformed Node line. "Node N, per-node stats" -> 0. */
static int zi_header(const char *s, size_t len, struct mh_zoneinfo_zone *z)
{
	size_t i = 5, start;
	uint64_t nid;

	if (len < 5 || memcmp(s, "Node ", 5) != 0)
		return 0;
	if (scan_dec(s, len, &i, &nid) < 0 || nid >= MH_MAX_NODES)
		return -EINVAL;
	if (i >= len || s[i] != ',')
		return -EINVAL;
	i++;
	while (i < len && s[i] == ' ')
		i++;
	if (len - i < 4 || memcmp(s + i, "zone", 4) != 0 ||
	    (len - i > 4 && s[i + 4] != ' '))
		return 0; /* "per-node stats" or something newer */
	i += 4;
	while (i < len && s[i] == ' ')
		i++;
	start = i;
	while (i < len && !is_space(s[i]))
		i++;
	if (i == start || rtrim(s, len) != i)
		return -EINVAL;
	memset(z, 0, sizeof(*z));
	z->nid = (int)nid;
	if (i - start >= sizeof(z->name))
		return -EINVAL;
	memcpy(z->name, s + start, i - start);
	z->name[i - start] = '\0';
	z->zone = zone_word(s + start, i - start);
	if (z->zone == MH_ZONE_NONE)
		z->zone = MH_ZONE_UNKNOWN;
	return 1;
}

/* Key/value line inside a zone stanza. */
static int zi_field_line(const char *s, size_t len, struct mh_zoneinfo_zone *z,
			 unsigned int *seen)
{
#define ZI_KEY(k, bit, f)                                                      \
	{                                                                      \
		k, bit, offsetof(struct mh_zoneinfo_zone, f)                   \
	}
	static const struct {
		const char *key;
		unsigned int bit;
		size_t off; /* of its uint64_t in the zone */
	} keys[] = {
		ZI_KEY("spanned", ZI_SPANNED, spanned),
		ZI_KEY("present", ZI_PRESENT, present),
		ZI_KEY("managed", ZI_MANAGED, managed),
		ZI_KEY("cma", ZI_CMA, cma),
		ZI_KEY("start_pfn:", ZI_START_PFN, start_pfn),
	};
#undef ZI_KEY
	size_t i = 0, start, k;
	uint64_t v;

	while (i < len && is_space(s[i]))
		i++;
	start = i;
	while (i < len && !is_space(s[i]))
		i++;
	for (k = 0; k < MH_ELEMENTSOF(keys); k++) {
		if (!word_is(s + start, i - start, keys[k].key))
			continue;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (scan_dec(s, len, &i, &v) < 0 || rtrim(s, len) != i)
			return -EINVAL;
		if (*seen & keys[k].bit)
			return -EINVAL;
		*seen |= keys[k].bit;
		memcpy((char *)z + keys[k].off, &v, sizeof(v));
		return 0;
	}
	return 0; /* every other statistic is ignored */
}

static int zi_finish(struct mh_zoneinfo_zone *z, unsigned int seen, char *msg,
		     size_t msg_len)
{
	const char *bad = NULL;
	uint64_t a = 0, b = 0;

	if ((seen & ZI_REQUIRED) != ZI_REQUIRED) {
		mh_msgf(msg, msg_len,
			"Node %d, zone %s: spanned, present or managed missing",
			z->nid, z->name);
		return -EINVAL;
	}
	if (z->present > z->spanned)
		bad = "present", a = z->present, b = z->spanned;
	else if (z->managed > z->present)
		bad = "managed", a = z->managed, b = z->present;
	else if (z->cma > z->present)
		bad = "cma", a = z->cma, b = z->present;
	if (bad) {
		mh_msgf(msg, msg_len,
			"Node %d, zone %s: %s %llu exceeds %s %llu "
			"(inconsistent "
			"zone)",
			z->nid, z->name, bad, (unsigned long long)a,
			bad[0] == 'p' ? "spanned" : "present",
			(unsigned long long)b);
		return -EINVAL;
	}
	z->populated = z->present != 0;
	/* start_pfn closes every populated stanza: its absence means a
	 * truncated read. */
	if (z->populated && !(seen & ZI_START_PFN)) {
		mh_msgf(msg, msg_len,
			"Node %d, zone %s: no start_pfn (truncated)", z->nid,
			z->name);
		return -EINVAL;
	}
	return 0;
}

/* Closes the stanza z: checks it, then appends it to zi. */
static int zi_close(struct mh_zoneinfo *zi, size_t *cap,
		    struct mh_zoneinfo_zone *z, unsigned int seen, char *msg,
		    size_t msg_len)
{
	if (zi_finish(z, seen, msg, msg_len) < 0)
		return -EINVAL;
	if (MH_GROW(zi->zones, *cap, zi->nr + 1) < 0)
		return -ENOMEM;
	zi->zones[zi->nr++] = *z;
	return 0;
}

int mh_parse_zoneinfo(const char *text, size_t len, struct mh_zoneinfo *out)
{
	return mh_parse_zoneinfo_msg(text, len, out, NULL, 0);
}

int mh_parse_zoneinfo_msg(const char *text, size_t len, struct mh_zoneinfo *out,
			  char *msg, size_t msg_len)
{
	unsigned int lineno = 0;
	_cleanup_(mh_zoneinfo_free) struct mh_zoneinfo zi = {0};
	struct mh_zoneinfo_zone cur = {0};
	unsigned int seen = 0;
	bool in_zone = false;
	size_t cap = 0, pos = 0;
	int r;

	if (msg && msg_len)
		msg[0] = '\0';
	if (!out || (!text && len))
		return -EINVAL;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen;

		lineno++;
		if (!nl) {
			mh_msgf(msg, msg_len, "line %u: truncated", lineno);
			return -EINVAL;
		}
		llen = (size_t)(nl - line);
		pos += llen + 1;
		if (llen < 5 || memcmp(line, "Node ", 5) != 0) {
			if (in_zone &&
			    zi_field_line(line, llen, &cur, &seen) < 0) {
				mh_msgf(msg, msg_len,
					"line %u: malformed or repeated field",
					lineno);
				return -EINVAL;
			}
			continue;
		}
		/* A new stanza: close the current zone. */
		if (in_zone &&
		    (r = zi_close(&zi, &cap, &cur, seen, msg, msg_len)) < 0)
			return r;
		r = zi_header(line, llen, &cur);
		if (r < 0) {
			mh_msgf(msg, msg_len, "line %u: malformed Node line",
				lineno);
			return -EINVAL;
		}
		/* "Node N, per-node stats": ignored up to the next header */
		in_zone = r > 0;
		seen = 0;
	}
	if (in_zone && (r = zi_close(&zi, &cap, &cur, seen, msg, msg_len)) < 0)
		return r;
	if (zi.nr == 0) {
		mh_msgf(msg, msg_len, "no zone");
		return -EINVAL;
	}
	*out = MH_TAKE_STRUCT(zi);
	return 0;
}

void mh_zoneinfo_free(struct mh_zoneinfo *zi)
{
	if (zi)
		free_array(&zi->zones, &zi->nr);
}

/* Page counts from a hostile file must not wrap around to small values;
 * the cap leaves room for the callers' own sums and page->byte shifts. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	if (a > MH_ZONEINFO_MAX_PAGES || b > MH_ZONEINFO_MAX_PAGES - a)
		return MH_ZONEINFO_MAX_PAGES;
	return a + b;
}

void mh_zoneinfo_node_sums(const struct mh_zoneinfo *zi, int nid,
			   struct mh_zoneinfo_node_sums *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!zi)
		return;
	for (i = 0; i < zi->nr; i++) {
		const struct mh_zoneinfo_zone *z = &zi->zones[i];

		if (z->nid != nid || !z->populated)
			continue;
		/* auto_movable_stats_account_zone(): every zone that is not
		 * ZONE_MOVABLE counts as kernel (ZONE_DEVICE is never
		 * populated). */
		if (z->zone == MH_ZONE_MOVABLE) {
			out->movable_present =
				sat_add(out->movable_present, z->present);
		} else {
			out->kernel_present =
				sat_add(out->kernel_present, z->present);
			out->kernel_cma = sat_add(out->kernel_cma, z->cma);
		}
	}
}

int mh_zoneinfo_max_nid(const struct mh_zoneinfo *zi)
{
	int max = -1;
	size_t i;

	if (!zi)
		return -1;
	for (i = 0; i < zi->nr; i++)
		if (zi->zones[i].nid > max)
			max = zi->zones[i].nid;
	return max;
}
