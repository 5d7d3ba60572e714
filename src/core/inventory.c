// SPDX-License-Identifier: MIT
/*
 * The inventory: blocks in a sparse table, groups and nodes in arrays, and
 * counters that every transition moves by exactly the block's contribution
 * (account(-1), change, account(+1)), so they equal a from-scratch recount
 * after any sequence of operations.
 *
 * Block table: blocks live in chunks of 256 consecutive ids (allocated on
 * demand, freed when empty); a sorted array of chunk pointers is searched
 * by binary search with a one-entry cache.  Block pointers stay valid until
 * the block is removed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memhotd/inventory.h"
#include "memhotd/util.h"

/* ---- page size (MH_PAGE_SIZE) ---- */

static uint64_t page_size_override;

uint64_t mh_page_size(void)
{
	static uint64_t sys;

	if (page_size_override)
		return page_size_override;
	if (!sys) {
		long v = sysconf(_SC_PAGESIZE);

		sys = v > 0 ? (uint64_t)v : 4096;
	}
	return sys;
}

void mh_set_page_size(uint64_t bytes)
{
	page_size_override = bytes;
}

#define CHUNK_SHIFT 8
#define CHUNK_SIZE (1u << CHUNK_SHIFT)
#define CHUNK_WORDS (CHUNK_SIZE / 64)

struct chunk {
	uint64_t base; /* id >> CHUNK_SHIFT */
	unsigned int nr;
	uint64_t present[CHUNK_WORDS];
	struct mh_block blocks[CHUNK_SIZE];
};

struct mh_block_table {
	struct chunk **chunks; /* ascending base */
	size_t nr, cap;
	size_t hint; /* last chunk found */
};

static const char *const block_state_names[] = {
	[MH_BLOCK_OFFLINE] = "offline",
	[MH_BLOCK_ONLINE] = "online",
	[MH_BLOCK_GOING_OFFLINE] = "going-offline",
};
MH_STRING_TABLE_TO(, mh_block_state_name, enum mh_block_state,
		   block_state_names, "unknown")

static const char *const group_kind_names[] = {
	[MH_GROUP_VIRTIO_MEM] = "virtio-mem",
	[MH_GROUP_DIMM] = "dimm",
	[MH_GROUP_DAX] = "dax",
};
MH_STRING_TABLE_TO(, mh_group_kind_name, enum mh_group_kind, group_kind_names,
		   "unknown")

static const char *const onliner_names[] = {
	[MH_BY_UNKNOWN] = "unknown",
	[MH_BY_BOOT] = "boot",
	[MH_BY_MEMHOTD] = "memhotd",
	[MH_BY_OTHER] = "other",
};
MH_STRING_TABLE_TO(, mh_onliner_name, enum mh_onliner, onliner_names, "unknown")

/* ---- block table ---- */

/* Index of the first chunk with base >= key. */
static size_t chunk_lower_bound(const struct mh_block_table *t, uint64_t key)
{
	size_t lo = 0, hi = t->nr;

	if (t->hint < t->nr && t->chunks[t->hint]->base == key)
		return t->hint;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->chunks[mid]->base < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct chunk *chunk_find(const struct mh_block_table *t, uint64_t key)
{
	size_t i = chunk_lower_bound(t, key);

	if (i < t->nr && t->chunks[i]->base == key) {
		((struct mh_block_table *)t)->hint = i;
		return t->chunks[i];
	}
	return NULL;
}

static bool chunk_has(const struct chunk *c, unsigned int slot)
{
	return c->present[slot / 64] & (1ULL << (slot % 64));
}

struct mh_block *mh_inv_block(const struct mh_inventory *inv, uint64_t id)
{
	struct chunk *c;
	unsigned int slot = (unsigned int)(id & (CHUNK_SIZE - 1));

	if (!inv || !inv->table)
		return NULL;
	c = chunk_find(inv->table, id >> CHUNK_SHIFT);
	if (!c || !chunk_has(c, slot))
		return NULL;
	return &c->blocks[slot];
}

struct mh_block *mh_inv_next_block(const struct mh_inventory *inv,
				   uint64_t from)
{
	const struct mh_block_table *t;
	size_t i;

	if (!inv || !inv->table)
		return NULL;
	t = inv->table;
	for (i = chunk_lower_bound(t, from >> CHUNK_SHIFT); i < t->nr; i++) {
		const struct chunk *c = t->chunks[i];
		unsigned int slot = 0, w;

		if (c->base == from >> CHUNK_SHIFT)
			slot = (unsigned int)(from & (CHUNK_SIZE - 1));
		for (w = slot / 64; w < CHUNK_WORDS; w++) {
			uint64_t bits = c->present[w];

			if (w == slot / 64)
				bits &= ~0ULL << (slot % 64);
			if (bits)
				return (struct mh_block *)&c
					->blocks[w * 64 +
						 (unsigned int)__builtin_ctzll(
							 bits)];
		}
	}
	return NULL;
}

/* ---- accounting ---- */

static void add_u64(uint64_t *v, int sign, uint64_t d)
{
	if (sign > 0)
		*v += d;
	else
		*v -= d;
}

static void add_sz(size_t *v, int sign)
{
	if (sign > 0)
		(*v)++;
	else
		(*v)--;
}

static bool blk_online(const struct mh_block *b)
{
	return b->state == MH_BLOCK_ONLINE;
}

static bool blk_movable(const struct mh_block *b)
{
	return blk_online(b) && b->zone == MH_ZONE_MOVABLE;
}

/* Online in any zone but ZONE_MOVABLE (zone unknown included). */
static bool blk_kernel(const struct mh_block *b)
{
	return blk_online(b) && b->zone != MH_ZONE_MOVABLE;
}

/* The counts a node and a group both keep of their blocks. */
static void count_block(const struct mh_block *b, int sign, size_t *nr_blocks,
			size_t *nr_online, size_t *nr_movable)
{
	add_sz(nr_blocks, sign);
	if (blk_online(b))
		add_sz(nr_online, sign);
	if (blk_movable(b))
		add_sz(nr_movable, sign);
}

static void account(struct mh_inventory *inv, const struct mh_block *b,
		    int sign)
{
	uint64_t bp = inv->block_pages;

	if (b->nid >= 0 && (size_t)b->nid < inv->nr_nodes) {
		struct mh_node_info *n = &inv->nodes[b->nid];
		struct mh_zone_totals *t = &inv->totals[b->nid];

		count_block(b, sign, &n->nr_blocks, &n->nr_online,
			    &n->nr_movable);
		if (!blk_online(b))
			add_sz(&n->nr_offline, sign);
		if (blk_movable(b)) {
			/* saturating: a stale calibration must not wrap */
			if (sign < 0 && t->movable < bp) {
				t->movable = 0;
				inv->needs_calibration = true;
			} else {
				add_u64(&t->movable, sign, bp);
			}
			if (b->hotplugged)
				add_u64(&n->hot_movable, sign, bp);
		}
		if (blk_kernel(b) && b->hotplugged)
			add_u64(&n->hot_kernel, sign, bp);
	}
	if (b->group >= 0 && (size_t)b->group < inv->nr_groups) {
		struct mh_group *g = &inv->groups[b->group];
		struct mh_group_stats *gs = &inv->gstats[b->group];

		count_block(b, sign, &g->nr_blocks, &g->nr_online,
			    &g->nr_movable);
		if (blk_movable(b))
			add_u64(&gs->present_movable, sign, bp);
		if (blk_kernel(b))
			add_u64(&gs->present_kernel, sign, bp);
	}
}

/* Early (boot) memory online in a kernel zone may hold holes: its part of
 * KERNEL_EARLY is only known from zoneinfo. */
static bool early_kernel(const struct mh_block *b)
{
	return !b->hotplugged && blk_kernel(b);
}

static void mark_recalibrate(struct mh_inventory *inv, int nid)
{
	inv->needs_calibration = true;
	if (nid >= 0 && (size_t)nid < inv->nr_nodes)
		inv->nodes[nid].early_kernel_blocks_changed++;
}

static void early_check(struct mh_inventory *inv, bool ek_before,
			int nid_before, const struct mh_block *b)
{
	bool ek_after = early_kernel(b);

	if (ek_before == ek_after && (!ek_after || nid_before == b->nid))
		return;
	if (ek_before)
		mark_recalibrate(inv, nid_before);
	if (ek_after && (!ek_before || b->nid != nid_before))
		mark_recalibrate(inv, b->nid);
}

/* ---- setup ---- */

int mh_inv_init(struct mh_inventory *inv, uint64_t block_size_bytes)
{
	if (!inv || block_size_bytes == 0 || block_size_bytes % MH_PAGE_SIZE)
		return -EINVAL;
	memset(inv, 0, sizeof(*inv));
	inv->table = calloc(1, sizeof(*inv->table));
	if (!inv->table)
		return -ENOMEM;
	inv->block_size_bytes = block_size_bytes;
	inv->block_pages = block_size_bytes / MH_PAGE_SIZE;
	return 0;
}

void mh_inv_free(struct mh_inventory *inv)
{
	size_t i;

	if (!inv)
		return;
	if (inv->table) {
		for (i = 0; i < inv->table->nr; i++)
			free(inv->table->chunks[i]);
		free(inv->table->chunks);
		free(inv->table);
	}
	free(inv->groups);
	free(inv->gstats);
	free(inv->totals);
	free(inv->nodes);
	free(inv->decisions);
	memset(inv, 0, sizeof(*inv));
}

/* ---- decisions ---- */

struct mh_decision_slot {
	uint64_t id;
	bool used;
	struct mh_decision dec;
};

int mh_inv_set_decision(struct mh_inventory *inv, struct mh_block *b,
			const struct mh_decision *dec)
{
	struct mh_decision_slot *s;

	b->has_decision = true;
	b->decision.target = dec->target;
	b->decision.reason = dec->reason;
	if (!inv->decisions) {
		inv->decisions =
			calloc(MH_INV_DECISIONS_KEPT, sizeof(*inv->decisions));
		if (!inv->decisions)
			return -ENOMEM; /* target and reason are kept */
	}
	s = &inv->decisions[b->id % MH_INV_DECISIONS_KEPT];
	s->id = b->id;
	s->used = true;
	s->dec = *dec;
	return 0;
}

bool mh_inv_decision(const struct mh_inventory *inv, const struct mh_block *b,
		     struct mh_decision *out)
{
	const struct mh_decision_slot *s;

	if (!b->has_decision || !inv->decisions)
		return false;
	s = &inv->decisions[b->id % MH_INV_DECISIONS_KEPT];
	if (!s->used || s->id != b->id || s->dec.target != b->decision.target ||
	    s->dec.reason != b->decision.reason)
		return false;
	*out = s->dec;
	return true;
}

/* ---- blocks ---- */

struct mh_block *mh_inv_add_block(struct mh_inventory *inv, uint64_t id,
				  bool hotplugged)
{
	struct mh_block_table *t;
	struct mh_block *b;
	struct chunk *c;
	uint64_t key = id >> CHUNK_SHIFT;
	unsigned int slot = (unsigned int)(id & (CHUNK_SIZE - 1));

	if (!inv || !inv->table)
		return NULL;
	b = mh_inv_block(inv, id);
	if (b)
		return b;
	t = inv->table;
	c = chunk_find(t, key);
	if (!c) {
		size_t pos = chunk_lower_bound(t, key);

		if (MH_GROW(t->chunks, t->cap, t->nr + 1) < 0)
			return NULL;
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->base = key;
		memmove(&t->chunks[pos + 1], &t->chunks[pos],
			(t->nr - pos) * sizeof(*t->chunks));
		t->chunks[pos] = c;
		t->nr++;
		t->hint = pos;
	}
	b = &c->blocks[slot];
	memset(b, 0, sizeof(*b));
	b->id = id;
	b->state = MH_BLOCK_OFFLINE;
	b->zone = MH_ZONE_UNKNOWN;
	b->nid = -1;
	b->group = -1;
	b->hotplugged = hotplugged;
	c->present[slot / 64] |= 1ULL << (slot % 64);
	c->nr++;
	inv->nr_blocks++;
	account(inv, b, +1);
	return b;
}

void mh_inv_remove_block(struct mh_inventory *inv, uint64_t id)
{
	struct mh_block_table *t;
	struct mh_block *b = mh_inv_block(inv, id);
	struct chunk *c;
	unsigned int slot = (unsigned int)(id & (CHUNK_SIZE - 1));
	size_t pos;

	if (!b)
		return;
	if (early_kernel(b))
		mark_recalibrate(inv, b->nid);
	account(inv, b, -1);
	t = inv->table;
	pos = chunk_lower_bound(t, id >> CHUNK_SHIFT);
	c = t->chunks[pos];
	memset(b, 0, sizeof(*b));
	c->present[slot / 64] &= ~(1ULL << (slot % 64));
	c->nr--;
	inv->nr_blocks--;
	if (c->nr == 0) {
		free(c);
		memmove(&t->chunks[pos], &t->chunks[pos + 1],
			(t->nr - pos - 1) * sizeof(*t->chunks));
		t->nr--;
		t->hint = 0;
	}
}

static struct mh_zone_span *zone_span(struct mh_inventory *inv, int nid,
				      enum mh_zone z)
{
	if (nid < 0 || (size_t)nid >= inv->nr_nodes || z < MH_ZONE_DMA ||
	    z > MH_ZONE_MOVABLE)
		return NULL;
	return &inv->nodes[nid].spans[z];
}

/* resize_zone_range(): a zone's span grows to cover an onlined block. */
static void span_grow(struct mh_inventory *inv, const struct mh_block *b)
{
	struct mh_zone_span *s = zone_span(inv, b->nid, b->zone);
	uint64_t start = b->id * inv->block_pages;
	uint64_t end = start + inv->block_pages;

	if (!s)
		return;
	if (s->start_pfn == s->end_pfn) {
		s->start_pfn = start;
		s->end_pfn = end;
		return;
	}
	if (start < s->start_pfn)
		s->start_pfn = start;
	if (end > s->end_pfn)
		s->end_pfn = end;
}

/* shrink_zone_span() moves an edge to the next present pfn: only
 * zoneinfo knows where that is. */
static void span_shrink(struct mh_inventory *inv, const struct mh_block *b)
{
	struct mh_zone_span *s = zone_span(inv, b->nid, b->zone);
	uint64_t start = b->id * inv->block_pages;
	uint64_t end = start + inv->block_pages;

	if (s && s->start_pfn != s->end_pfn &&
	    (start <= s->start_pfn || end >= s->end_pfn))
		inv->needs_calibration = true;
}

void mh_inv_set_zone_span(struct mh_inventory *inv, int nid, enum mh_zone z,
			  uint64_t start_pfn, uint64_t spanned)
{
	struct mh_zone_span *s;

	if (mh_inv_ensure_node(inv, nid) < 0)
		return;
	s = zone_span(inv, nid, z);
	if (!s)
		return;
	s->start_pfn = start_pfn;
	s->end_pfn = start_pfn + spanned;
}

static bool span_intersects(const struct mh_zone_span *s, uint64_t start,
			    uint64_t nr)
{
	return s->start_pfn != s->end_pfn && start < s->end_pfn &&
	       start + nr > s->start_pfn;
}

/* Every state change: the block's contribution out, the change, back in;
 * zone spans and the early-memory calibration follow. */
static void transition(struct mh_inventory *inv, struct mh_block *b,
		       enum mh_block_state state, enum mh_zone zone,
		       enum mh_onliner by)
{
	bool ek = early_kernel(b);

	if (b->state == MH_BLOCK_ONLINE &&
	    (state != MH_BLOCK_ONLINE || b->zone != zone))
		span_shrink(inv, b);
	account(inv, b, -1);
	b->state = state;
	b->zone = zone;
	b->onlined_by = by;
	account(inv, b, +1);
	if (state == MH_BLOCK_ONLINE)
		span_grow(inv, b);
	early_check(inv, ek, b->nid, b);
}

void mh_inv_set_online(struct mh_inventory *inv, struct mh_block *b,
		       enum mh_zone zone, enum mh_onliner by)
{
	transition(inv, b, MH_BLOCK_ONLINE, zone, by);
}

void mh_inv_set_offline(struct mh_inventory *inv, struct mh_block *b)
{
	transition(inv, b, MH_BLOCK_OFFLINE, MH_ZONE_UNKNOWN, MH_BY_UNKNOWN);
}

int mh_inv_set_node(struct mh_inventory *inv, struct mh_block *b, int nid)
{
	bool ek = early_kernel(b);
	int old = b->nid;
	int r;

	if (nid < -1 || nid >= MH_MAX_NODES)
		return -EINVAL;
	if (nid == old)
		return 0;
	if (nid >= 0 && (r = mh_inv_ensure_node(inv, nid)) < 0)
		return r;
	account(inv, b, -1);
	b->nid = (int16_t)nid;
	account(inv, b, +1);
	if (nid >= 0 && b->group >= 0 && (size_t)b->group < inv->nr_groups)
		inv->gstats[b->group].nid = nid;
	early_check(inv, ek, old, b);
	return 0;
}

void mh_inv_set_group(struct mh_inventory *inv, struct mh_block *b,
		      ssize_t group)
{
	if (group >= 0 &&
	    ((size_t)group >= inv->nr_groups || !inv->gstats[group].alive))
		group = -1;
	account(inv, b, -1);
	b->group = (int16_t)group;
	b->group_resolved = true;
	account(inv, b, +1);
	if (group >= 0 && b->nid >= 0)
		inv->gstats[group].nid = b->nid;
}

int mh_inv_for_each_block(const struct mh_inventory *inv,
			  int (*cb)(struct mh_block *b, void *ctx), void *ctx)
{
	struct mh_block *b = mh_inv_next_block(inv, 0);

	/* Looked up again after each call: cb may remove the block. */
	while (b) {
		uint64_t id = b->id;
		int r = cb(b, ctx);

		if (r)
			return r;
		if (id == UINT64_MAX)
			break;
		b = mh_inv_next_block(inv, id + 1);
	}
	return 0;
}

/* ---- groups ---- */

ssize_t mh_inv_group_find(const struct mh_inventory *inv, const char *name)
{
	size_t i;

	if (!inv || !name)
		return -1;
	for (i = 0; i < inv->nr_groups; i++)
		if (inv->gstats[i].alive &&
		    strcmp(inv->groups[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

ssize_t mh_inv_group_add(struct mh_inventory *inv, const char *name,
			 enum mh_group_kind kind, int nid, uint64_t start_pfn,
			 uint64_t end_pfn, uint64_t max_or_unit_pages)
{
	size_t i, n;

	if (!inv || !name || (n = strlen(name)) == 0 ||
	    n >= MH_GROUP_NAME_MAX || end_pfn < start_pfn ||
	    max_or_unit_pages == 0 || nid < -1 || nid >= MH_MAX_NODES)
		return -EINVAL;
	for (i = 0; i < inv->nr_groups; i++)
		if (!inv->gstats[i].alive)
			break;
	if (i == inv->nr_groups) {
		void *g;

		if (inv->nr_groups >= MH_INV_MAX_GROUPS)
			return -ENOSPC; /* struct mh_block.group: 16 bits */
		g = realloc(inv->groups, (i + 1) * sizeof(*inv->groups));
		if (!g)
			return -ENOMEM;
		inv->groups = g;
		g = realloc(inv->gstats, (i + 1) * sizeof(*inv->gstats));
		if (!g)
			return -ENOMEM;
		inv->gstats = g;
		inv->nr_groups++;
	}
	memset(&inv->groups[i], 0, sizeof(inv->groups[i]));
	memset(&inv->gstats[i], 0, sizeof(inv->gstats[i]));
	memcpy(inv->groups[i].name, name, n + 1);
	inv->groups[i].kind = kind;
	inv->groups[i].start_pfn = start_pfn;
	inv->groups[i].end_pfn = end_pfn;
	inv->gstats[i].alive = true;
	inv->gstats[i].dynamic = kind == MH_GROUP_VIRTIO_MEM;
	inv->gstats[i].nid = nid;
	if (kind == MH_GROUP_VIRTIO_MEM)
		inv->gstats[i].unit_pages = max_or_unit_pages;
	else
		inv->gstats[i].max_pages = max_or_unit_pages;
	return (ssize_t)i;
}

ssize_t mh_inv_group_by_pfn(const struct mh_inventory *inv, uint64_t pfn)
{
	size_t i;

	if (!inv)
		return -1;
	for (i = 0; i < inv->nr_groups; i++) {
		const struct mh_group *g = &inv->groups[i];

		if (!inv->gstats[i].alive || g->kind == MH_GROUP_DIMM)
			continue;
		if (pfn >= g->start_pfn && pfn < g->end_pfn)
			return (ssize_t)i;
	}
	return -1;
}

void mh_inv_group_drop_if_empty(struct mh_inventory *inv, ssize_t group)
{
	if (!inv || group < 0 || (size_t)group >= inv->nr_groups ||
	    !inv->gstats[group].alive || inv->groups[group].nr_blocks)
		return;
	memset(&inv->groups[group], 0, sizeof(inv->groups[group]));
	memset(&inv->gstats[group], 0, sizeof(inv->gstats[group]));
	inv->gstats[group].nid = -1;
}

/* ---- nodes ---- */

int mh_inv_ensure_node(struct mh_inventory *inv, int nid)
{
	size_t n;

	if (!inv || nid < 0 || nid >= MH_MAX_NODES)
		return -EINVAL;
	n = (size_t)nid + 1;
	if (n > inv->nr_nodes) {
		void *p = realloc(inv->totals, n * sizeof(*inv->totals));

		if (!p)
			return -ENOMEM;
		inv->totals = p;
		memset(&inv->totals[inv->nr_nodes], 0,
		       (n - inv->nr_nodes) * sizeof(*inv->totals));
		p = realloc(inv->nodes, n * sizeof(*inv->nodes));
		if (!p)
			return -ENOMEM; /* totals grew; nr_nodes did not */
		inv->nodes = p;
		memset(&inv->nodes[inv->nr_nodes], 0,
		       (n - inv->nr_nodes) * sizeof(*inv->nodes));
		inv->nr_nodes = n;
	}
	inv->totals[nid].present = true;
	return 0;
}

void mh_inv_calibrate(struct mh_inventory *inv, int nid,
		      uint64_t kernel_present, uint64_t kernel_cma,
		      uint64_t movable_present)
{
	uint64_t base, h;
	size_t i;

	if (mh_inv_ensure_node(inv, nid) < 0)
		return;
	h = inv->nodes[nid].hot_kernel;
	base = kernel_present > kernel_cma ? kernel_present - kernel_cma : 0;
	inv->totals[nid].kernel_early = base > h ? base - h : 0;
	inv->totals[nid].movable = movable_present + kernel_cma;
	inv->nodes[nid].cma = kernel_cma;
	inv->nodes[nid].early_kernel_blocks_changed = 0;
	inv->needs_calibration = false;
	for (i = 0; i < inv->nr_nodes; i++)
		if (inv->nodes[i].early_kernel_blocks_changed)
			inv->needs_calibration = true;
}

void mh_inv_policy_view(const struct mh_inventory *inv,
			const struct mh_policy_config *cfg,
			struct mh_policy_view *view)
{
	view->cfg = cfg;
	view->nodes = inv->totals;
	view->nr_nodes = inv->nr_nodes;
	view->groups = inv->gstats;
	view->nr_groups = inv->nr_groups;
}

int mh_inv_block_request(const struct mh_inventory *inv,
			 const struct mh_block *b,
			 struct mh_unit_block *unit_buf, size_t unit_cap,
			 struct mh_block_request *req)
{
	const struct mh_group_stats *gs;
	uint64_t bp = inv->block_pages, n, first, i;

	if (!b || b->nid < 0)
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	req->nid = b->nid;
	req->group = b->group;
	req->start_pfn = b->id * bp;
	req->nr_pages = bp;
	if ((size_t)b->nid < inv->nr_nodes) {
		const struct mh_zone_span *sp = inv->nodes[b->nid].spans;

		/* default_kernel_zone: DMA or DMA32 if they intersect, else
		 * Normal; so any kernel zone intersecting decides it */
		req->kernel_span_intersects =
			span_intersects(&sp[MH_ZONE_DMA], req->start_pfn, bp) ||
			span_intersects(&sp[MH_ZONE_DMA32], req->start_pfn,
					bp) ||
			span_intersects(&sp[MH_ZONE_NORMAL], req->start_pfn,
					bp);
		req->movable_span_intersects = span_intersects(
			&sp[MH_ZONE_MOVABLE], req->start_pfn, bp);
	}
	if (b->group < 0 || (size_t)b->group >= inv->nr_groups)
		return 0;
	if (inv->gstats[b->group].alive) {
		/* the facts [rule NAME] sections match (doc/policy.md 9.2) */
		static const enum mh_dev_type types[] = {
			[MH_GROUP_VIRTIO_MEM] = MH_DEV_VIRTIO_MEM,
			[MH_GROUP_DIMM] = MH_DEV_DIMM,
			[MH_GROUP_DAX] = MH_DEV_DAX,
		};
		const struct mh_group *g = &inv->groups[b->group];

		if ((unsigned int)g->kind < sizeof(types) / sizeof(types[0]))
			req->dev_type = types[g->kind];
		req->dev_name = g->name;
	}
	gs = &inv->gstats[b->group];
	if (!gs->dynamic || gs->unit_pages <= bp)
		return 0;
	n = gs->unit_pages / bp;
	if (n > unit_cap || !unit_buf)
		return -ENOBUFS;
	first = (req->start_pfn / gs->unit_pages) * gs->unit_pages / bp;
	for (i = 0; i < n; i++) {
		const struct mh_block *m = mh_inv_block(inv, first + i);

		unit_buf[i].online = m && blk_online(m);
		unit_buf[i].movable = m && blk_movable(m);
	}
	req->unit = unit_buf;
	req->unit_len = (size_t)n;
	return 0;
}
