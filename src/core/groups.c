// SPDX-License-Identifier: MIT
/*
 * Memory groups and the early/hotplugged classification from parsed facts
 * (doc/inputs.md 4 and 5).  Pure: the facts come in as structs, the
 * decisions go out as group declarations, indices and reasons.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "memhotd/groups.h"
#include "memhotd/util.h"

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

uint64_t mh_groups_virtio_unit_pages(uint64_t bbm_block_size,
				     uint64_t block_size, uint64_t page_size)
{
	if (is_pow2(bbm_block_size) && bbm_block_size > block_size)
		return bbm_block_size / page_size;
	return block_size / page_size;
}

/* Pages of the whole blocks inside [start, end_incl]. */
static uint64_t whole_block_pages(const struct mh_group_facts *f,
				  uint64_t start, uint64_t end_incl)
{
	uint64_t bs = f->block_size;
	uint64_t s = (start + bs - 1) / bs * bs;
	uint64_t e = (end_incl + 1) / bs * bs;

	return e > s ? (e - s) / f->page_size : 0;
}

/* A dax device's kmem pages: its "System RAM (kmem)" children in whole
 * blocks, or the whole range if it has none.  Widens [*start, *end]. */
static uint64_t dax_pages(const struct mh_group_facts *f, const char *name,
			  uint64_t *start, uint64_t *end)
{
	const struct mh_iomem *io = f->io;
	uint64_t pages = 0;

	for (size_t i = 0; i < io->nr; i++) {
		const struct mh_iomem_entry *p = &io->entries[i];
		uint64_t kmem = 0;

		if (p->kind != MH_IOMEM_DAX || strcmp(p->name, name) != 0)
			continue;
		if (p->start < *start)
			*start = p->start;
		if (p->end > *end)
			*end = p->end;
		for (size_t j = i + 1; j < io->nr; j++) {
			const struct mh_iomem_entry *c = &io->entries[j];

			if (c->depth <= p->depth)
				break;
			if (c->parent == (int)i &&
			    c->kind == MH_IOMEM_SYSTEM_RAM_DRIVER)
				kmem += whole_block_pages(f, c->start, c->end);
		}
		pages += kmem ? kmem : whole_block_pages(f, p->start, p->end);
	}
	return pages;
}

int mh_groups_from_entry(const struct mh_group_facts *f, size_t idx,
			 struct mh_group_decl *out)
{
	const struct mh_iomem_entry *e;
	uint64_t start, end;

	if (!f || !f->io || idx >= f->io->nr || !out || !f->page_size ||
	    !f->block_size)
		return -EINVAL;
	e = &f->io->entries[idx];
	start = e->start;
	end = e->end;
	memset(out, 0, sizeof(*out));
	out->nid = -1;
	if (e->kind == MH_IOMEM_VIRTIO) {
		if (f->virtio_is_mem && !f->virtio_is_mem[idx])
			return -ENOENT;
		out->kind = MH_GROUP_VIRTIO_MEM;
		out->pages = mh_groups_virtio_unit_pages(
			f->bbm_block_size, f->block_size, f->page_size);
	} else if (e->kind == MH_IOMEM_DAX) {
		out->kind = MH_GROUP_DAX;
		out->pages = dax_pages(f, e->name, &start, &end);
		if (!out->pages)
			return -ENOENT;
	} else {
		return -ENOENT;
	}
	snprintf(out->name, sizeof(out->name), "%s", e->name);
	out->start_pfn = start / f->page_size;
	out->end_pfn = end / f->page_size + 1;
	return 0;
}

/* Top-level "System RAM" resource holding addr, or -1. */
static int top_system_ram(const struct mh_iomem *io, uint64_t addr)
{
	int i = mh_iomem_find(io, addr);

	while (i >= 0 && io->entries[i].parent >= 0)
		i = io->entries[i].parent;
	if (i >= 0 && io->entries[i].kind != MH_IOMEM_SYSTEM_RAM)
		return -1;
	return i;
}

void mh_groups_dimm_decl(const struct mh_group_facts *f, uint64_t addr,
			 const char *name, int nid, int bound_blocks,
			 struct mh_group_decl *out)
{
	uint64_t block_pages = f->block_size / f->page_size;
	int ram = f->io ? top_system_ram(f->io, addr) : -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->kind = MH_GROUP_DIMM;
	out->nid = nid;
	if (ram >= 0) {
		out->start_pfn = f->io->entries[ram].start / f->page_size;
		out->end_pfn = f->io->entries[ram].end / f->page_size + 1;
		out->pages = out->end_pfn - out->start_pfn;
	}
	if (bound_blocks > 0 &&
	    (uint64_t)bound_blocks * block_pages > out->pages)
		out->pages = (uint64_t)bound_blocks * block_pages;
	if (out->pages < block_pages)
		out->pages = block_pages;
}

ssize_t mh_groups_apply(struct mh_inventory *inv, const struct mh_group_decl *d)
{
	ssize_t g = mh_inv_group_find(inv, d->name);

	if (g >= 0 && inv->groups[g].kind != d->kind)
		return -1;
	if (g >= 0) {
		switch (d->kind) {
		case MH_GROUP_DIMM:
			if (d->pages > inv->gstats[g].max_pages)
				inv->gstats[g].max_pages = d->pages;
			break;
		case MH_GROUP_DAX:
			inv->gstats[g].max_pages = d->pages;
			/* fall through */
		case MH_GROUP_VIRTIO_MEM:
			inv->groups[g].start_pfn = d->start_pfn;
			inv->groups[g].end_pfn = d->end_pfn;
			break;
		}
		return g;
	}
	g = mh_inv_group_add(inv, d->name, d->kind, d->nid, d->start_pfn,
			     d->end_pfn, d->pages);
	return g < 0 ? -1 : g;
}

void mh_groups_from_iomem(struct mh_inventory *inv,
			  const struct mh_group_facts *f)
{
	struct mh_group_decl d;

	for (size_t i = 0; f->io && i < f->io->nr; i++)
		if (mh_groups_from_entry(f, i, &d) == 0)
			mh_groups_apply(inv, &d);
}

ssize_t mh_groups_for_addr(struct mh_inventory *inv,
			   const struct mh_group_facts *f, uint64_t addr)
{
	int i = f->io ? mh_iomem_find(f->io, addr) : -1;

	for (; i >= 0; i = f->io->entries[i].parent) {
		struct mh_group_decl d;
		ssize_t g;

		if (mh_groups_from_entry(f, (size_t)i, &d) < 0)
			continue;
		g = mh_groups_apply(inv, &d);
		if (g >= 0)
			return g;
	}
	return -1;
}

int mh_groups_resolve(struct mh_inventory *inv, const struct mh_group_facts *f,
		      struct mh_block *b, const struct mh_dimm_facts *dimm)
{
	uint64_t addr = b->id * inv->block_size_bytes;
	struct mh_group_decl d;
	ssize_t g;

	if (b->group_resolved)
		return 0;
	g = mh_inv_group_by_pfn(inv, b->id * inv->block_pages);
	if (g < 0 && !f)
		return -ENOENT;
	if (g < 0)
		g = mh_groups_for_addr(inv, f, addr);
	if (g >= 0) {
		mh_inv_set_group(inv, b, g);
		return 0;
	}
	if (!dimm)
		return -ENOENT;
	if (dimm->link == 0) {
		mh_groups_dimm_decl(f, addr, dimm->name, b->nid,
				    dimm->bound_blocks, &d);
		mh_inv_set_group(inv, b, mh_groups_apply(inv, &d));
		return 0;
	}
	if (dimm->link == -ENOENT && dimm->slots)
		return -EAGAIN;
	mh_inv_set_group(inv, b, -1);
	return 0;
}

/* ---- classification ---- */

static const char *const class_reason_names[_MH_CLASS_REASON_MAX] = {
	[MH_CLASS_EARLY] = "early",
	[MH_CLASS_OFFLINE] = "offline",
	[MH_CLASS_RESOURCE] = "hotplug-resource",
	[MH_CLASS_DIMM] = "dimm",
	[MH_CLASS_PERSISTED] = "persisted",
};
MH_STRING_TABLE_TO(, mh_class_reason_name, enum mh_class_reason,
		   class_reason_names, "?")
MH_STRING_TABLE_FROM(, mh_class_reason_name_from, enum mh_class_reason,
		     class_reason_names)

enum mh_class_reason mh_classify(const struct mh_class_facts *f)
{
	if (f->state == MH_BLOCK_OFFLINE)
		return MH_CLASS_OFFLINE;
	if (f->in_hotplug_resource)
		return MH_CLASS_RESOURCE;
	if (f->dimm_member)
		return MH_CLASS_DIMM;
	if (f->persisted)
		return MH_CLASS_PERSISTED;
	return MH_CLASS_EARLY;
}

bool mh_iomem_in_hotplug_resource(const struct mh_iomem *io, uint64_t addr)
{
	int i = io ? mh_iomem_find(io, addr) : -1;

	for (; i >= 0; i = io->entries[i].parent) {
		enum mh_iomem_kind k = io->entries[i].kind;

		if (k == MH_IOMEM_VIRTIO || k == MH_IOMEM_DAX ||
		    k == MH_IOMEM_SYSTEM_RAM_DRIVER)
			return true;
	}
	return false;
}
