/* SPDX-License-Identifier: MIT */
/*
 * The plan (plan.h): every offline block decided against a copy of the
 * inventory, each decision applied to the copy with the inventory's own
 * accounting before the next one is made.  No I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/plan.h"

_Static_assert(MH_PLAN_ADD_NAME_MAX == MH_GROUP_NAME_MAX,
	       "planadd.h: a device name as long as a group's");
_Static_assert(MH_PLAN_ADD_MAX_NODES == MH_MAX_NODES,
	       "planadd.h: the nodes the inventory knows");

const char *mh_plan_skip_name(enum mh_plan_skip s)
{
	switch (s) {
	case MH_PLAN_DECIDED:
		return NULL;
	case MH_PLAN_WAIT_NODE:
		return "wait-node";
	case MH_PLAN_WAIT_GROUP:
		return "wait-group";
	case MH_PLAN_OFFLINED_BY_OTHER:
		return "offlined-by-other";
	case MH_PLAN_ERROR:
		return "error";
	}
	return "error";
}

static void *dup_array(const void *src, size_t n, size_t size)
{
	void *p;

	if (!n)
		return NULL;
	p = malloc(n * size);
	if (p)
		memcpy(p, src, n * size);
	return p;
}

int mh_inv_copy(struct mh_inventory *dst, const struct mh_inventory *src)
{
	int r;

	if (!src || !src->table)
		return -EINVAL;
	r = mh_inv_init(dst, src->block_size_bytes);
	if (r < 0)
		return r;
	/* The counters as they are (calibration included) ... */
	dst->groups =
		dup_array(src->groups, src->nr_groups, sizeof(*src->groups));
	dst->gstats =
		dup_array(src->gstats, src->nr_groups, sizeof(*src->gstats));
	dst->totals =
		dup_array(src->totals, src->nr_nodes, sizeof(*src->totals));
	dst->nodes = dup_array(src->nodes, src->nr_nodes, sizeof(*src->nodes));
	dst->nr_groups = src->nr_groups;
	dst->nr_nodes = src->nr_nodes;
	dst->needs_calibration = src->needs_calibration;
	if ((src->nr_groups && (!dst->groups || !dst->gstats)) ||
	    (src->nr_nodes && (!dst->totals || !dst->nodes)))
		goto nomem;
	/* ... then the blocks: a new block has no node and no group, so
	 * adding it moves no counter; its fields are then copied as is. */
	for (const struct mh_block *b = mh_inv_next_block(src, 0); b;
	     b = b->id == UINT64_MAX ? NULL
				     : mh_inv_next_block(src, b->id + 1)) {
		struct mh_block *c =
			mh_inv_add_block(dst, b->id, b->hotplugged);

		if (!c)
			goto nomem;
		*c = *b;
	}
	return 0;
nomem:
	mh_inv_free(dst);
	return -ENOMEM;
}

int mh_plan_decide(const struct mh_inventory *inv,
		   const struct mh_policy_config *pc,
		   const struct mh_balloon_facts *balloon,
		   const struct mh_block *b, struct mh_decision *out)
{
	struct mh_unit_block *unit = NULL;
	struct mh_block_request req;
	struct mh_policy_view view;
	size_t cap = 0;
	int r;

	if (b->group >= 0 && (size_t)b->group < inv->nr_groups &&
	    inv->gstats[b->group].dynamic && inv->block_pages &&
	    inv->gstats[b->group].unit_pages > inv->block_pages) {
		cap = inv->gstats[b->group].unit_pages / inv->block_pages;
		unit = calloc(cap, sizeof(*unit));
		if (!unit)
			return -ENOMEM;
	}
	r = mh_inv_block_request(inv, b, unit, cap, &req);
	if (r == 0) {
		/* The guard is measured only for a real decision. */
		req.balloon = balloon;
		mh_inv_policy_view(inv, pc, &view);
		mh_policy_decide(&view, &req, out);
	}
	free(unit);
	return r;
}

static struct mh_plan_step *plan_block(struct mh_plan *p,
				       const struct mh_plan_input *in,
				       const struct mh_block *b)
{
	struct mh_plan_step *s = &p->steps[p->nr_steps++];

	(void)in;
	s->id = b->id;
	return s;
}

/* Decides the last step's block b on the copy and, as a real run records
 * a successful write, puts it online there. */
static void decide_apply(struct mh_plan *p, const struct mh_plan_input *in,
			 struct mh_block *b)
{
	struct mh_inventory *inv = &p->after;
	struct mh_plan_step *s = &p->steps[p->nr_steps - 1];

	if (s->skip == MH_PLAN_DECIDED &&
	    mh_plan_decide(inv, &p->policy, in->balloon, b, &s->dec) < 0)
		s->skip = MH_PLAN_ERROR;
	if (s->skip != MH_PLAN_DECIDED) {
		p->nr_skipped++;
		return;
	}
	if (s->dec.target == MH_TARGET_MOVABLE) {
		p->nr_movable++;
		mh_inv_set_online(inv, b, MH_ZONE_MOVABLE, MH_BY_MEMHOTD);
	} else {
		p->nr_kernel++;
		mh_inv_set_online(inv, b, MH_ZONE_NORMAL, MH_BY_MEMHOTD);
	}
	mh_inv_set_decision(inv, b, &s->dec);
}

/* The first block id above every block and every device's range. */
static uint64_t first_free_id(const struct mh_inventory *inv)
{
	uint64_t id = 0;

	for (const struct mh_block *b = mh_inv_next_block(inv, 0); b;
	     b = b->id == UINT64_MAX ? NULL : mh_inv_next_block(inv, b->id + 1))
		id = b->id + 1;
	for (size_t g = 0; g < inv->nr_groups; g++) {
		uint64_t e;

		if (!inv->gstats[g].alive || !inv->block_pages)
			continue;
		e = (inv->groups[g].end_pfn + inv->block_pages - 1) /
		    inv->block_pages;
		if (e > id)
			id = e;
	}
	return id;
}

/* Adds a hypothetical block id of group g on node nid to the copy and
 * plans it. */
static int plan_new_block(struct mh_plan *p, const struct mh_plan_input *in,
			  size_t add, uint64_t id, ssize_t g, int nid)
{
	struct mh_block *b = mh_inv_add_block(&p->after, id, true);
	struct mh_plan_step *s;

	if (!b)
		return -ENOMEM;
	if (mh_inv_set_node(&p->after, b, nid) < 0)
		return -ENOMEM;
	mh_inv_set_group(&p->after, b, g);
	b->group_resolved = true;
	s = plan_block(p, in, b);
	s->skip = MH_PLAN_DECIDED;
	s->hypothetical = true;
	s->add = add;
	decide_apply(p, in, b);
	return 0;
}

/* The node of device g's new blocks: its own if known (then a given one
 * must agree), else the one given, else the only node with memory; -1. */
static int device_node(const struct mh_inventory *inv, ssize_t g,
		       const struct mh_plan_add *a)
{
	int nid = inv->gstats[g].nid, only = -1;

	for (const struct mh_block *b = mh_inv_next_block(inv, 0); nid < 0 && b;
	     b = b->id == UINT64_MAX ? NULL : mh_inv_next_block(inv, b->id + 1))
		if (b->group == g && b->nid >= 0)
			nid = b->nid;
	if (nid >= 0)
		return a->nid_given && a->nid != nid ? -1 : nid;
	if (a->nid_given)
		nid = a->nid;
	else
		for (size_t n = 0; n < inv->nr_nodes; n++) {
			if (!inv->totals[n].present)
				continue;
			if (only >= 0)
				return -1;
			only = (int)n;
		}
	if (nid < 0)
		nid = only;
	if (nid < 0 || (size_t)nid >= inv->nr_nodes ||
	    !inv->totals[nid].present)
		return -1;
	return nid;
}

/* Places and plans add i.  0 or -errno (see mh_plan.bad_add_errno). */
static int plan_add(struct mh_plan *p, const struct mh_plan_input *in, size_t i,
		    unsigned int *dimms)
{
	struct mh_inventory *inv = &p->after;
	const struct mh_plan_add *a = &in->adds[i];
	uint64_t n, bp = inv->block_pages;
	ssize_t g;
	int r;

	if (!inv->block_size_bytes || a->bytes % inv->block_size_bytes)
		return -EINVAL;
	n = a->bytes / inv->block_size_bytes;
	if (a->kind == MH_PLAN_ADD_DIMM) {
		char name[MH_GROUP_NAME_MAX];
		uint64_t first = first_free_id(inv);

		if (a->nid < 0 || (size_t)a->nid >= inv->nr_nodes ||
		    !inv->totals[a->nid].present)
			return -EINVAL;
		snprintf(name, sizeof(name), "new-dimm%u", (*dimms)++);
		g = mh_inv_group_add(inv, name, MH_GROUP_DIMM, a->nid,
				     first * bp, (first + n) * bp, n * bp);
		if (g < 0)
			return -ENOMEM;
		for (uint64_t id = first; id < first + n; id++) {
			r = plan_new_block(p, in, i, id, g, a->nid);
			if (r < 0)
				return r;
		}
		return 0;
	}
	g = mh_inv_group_find(inv, a->device);
	if (g < 0)
		return -ENOENT;
	if (inv->groups[g].kind != MH_GROUP_VIRTIO_MEM)
		return -EINVAL;
	{
		uint64_t have = 0;
		const struct mh_group *grp = &inv->groups[g];
		int nid = device_node(inv, g, a);

		if (nid < 0)
			return -EINVAL;

		for (uint64_t id = grp->start_pfn / bp; id < grp->end_pfn / bp;
		     id++)
			if (!mh_inv_block(inv, id))
				have++;
		if (have < n)
			return -ENOSPC;
		for (uint64_t id = grp->start_pfn / bp;
		     n && id < grp->end_pfn / bp; id++) {
			if (mh_inv_block(inv, id))
				continue;
			r = plan_new_block(p, in, i, id, g, nid);
			if (r < 0)
				return r;
			n--;
		}
	}
	return 0;
}

static bool is_grouped(const struct mh_inventory *inv, const struct mh_block *b)
{
	return b->group >= 0 && (size_t)b->group < inv->nr_groups &&
	       inv->gstats[b->group].alive;
}

static enum mh_plan_skip skip_of(const struct mh_plan_input *in,
				 const struct mh_block *b)
{
	if (b->nid < 0)
		return MH_PLAN_WAIT_NODE;
	if (b->hotplugged && !b->group_resolved)
		return MH_PLAN_WAIT_GROUP;
	if (in->leave_alone && in->leave_alone(in->ctx, b->id))
		return MH_PLAN_OFFLINED_BY_OTHER;
	return MH_PLAN_DECIDED;
}

/* Plans the offline blocks of one device (dev -1: ungrouped memory). */
static int plan_device(struct mh_plan *p, const struct mh_plan_input *in,
		       ssize_t dev, uint64_t from)
{
	struct mh_inventory *inv = &p->after;

	for (struct mh_block *b = mh_inv_next_block(inv, from); b;
	     b = b->id == UINT64_MAX ? NULL
				     : mh_inv_next_block(inv, b->id + 1)) {
		if (b->state != MH_BLOCK_OFFLINE ||
		    (is_grouped(inv, b) ? b->group : -1) != dev)
			continue;
		plan_block(p, in, b)->skip = skip_of(in, b);
		decide_apply(p, in, b);
	}
	return 0;
}

int mh_plan_run(const struct mh_inventory *inv, const struct mh_plan_input *in,
		struct mh_plan *out)
{
	size_t nr_offline = 0;
	bool *done = NULL;
	unsigned int dimms = 0;
	int r;

	memset(out, 0, sizeof(*out));
	out->bad_add = -1;
	if (!inv || !in || !in->policy || (in->nr_adds && !in->adds))
		return -EINVAL;
	out->policy = *in->policy;
	if (!out->policy.page_size)
		out->policy.page_size = MH_PAGE_SIZE;
	if (!inv->table)
		return 0; /* nothing scanned: nothing to plan */
	r = mh_inv_copy(&out->after, inv);
	if (r < 0)
		return r;
	for (const struct mh_block *b = mh_inv_next_block(inv, 0); b;
	     b = b->id == UINT64_MAX ? NULL : mh_inv_next_block(inv, b->id + 1))
		if (b->state == MH_BLOCK_OFFLINE)
			nr_offline++;
	for (size_t i = 0; i < in->nr_adds; i++) {
		uint64_t nb =
			inv->block_size_bytes
				? in->adds[i].bytes / inv->block_size_bytes
				: 0;

		if (nb > SIZE_MAX / sizeof(*out->steps) - nr_offline - 1) {
			mh_plan_free(out);
			out->bad_add = (ssize_t)i;
			out->bad_add_errno = -ENOSPC;
			return -EINVAL;
		}
		nr_offline += nb;
	}
	out->steps = calloc(nr_offline + 1, sizeof(*out->steps));
	/* one flag per group, and one for ungrouped memory */
	done = calloc(inv->nr_groups + 1, sizeof(*done));
	if (!out->steps || !done) {
		free(done);
		mh_plan_free(out);
		return -ENOMEM;
	}
	for (const struct mh_block *b = mh_inv_next_block(inv, 0); b;
	     b = b->id == UINT64_MAX ? NULL
				     : mh_inv_next_block(inv, b->id + 1)) {
		ssize_t dev = is_grouped(inv, b) ? b->group : -1;
		size_t slot = dev >= 0 ? (size_t)dev : inv->nr_groups;

		if (b->state != MH_BLOCK_OFFLINE || done[slot])
			continue;
		done[slot] = true;
		plan_device(out, in, dev, b->id);
	}
	free(done);
	for (size_t i = 0; i < in->nr_adds; i++) {
		r = plan_add(out, in, i, &dimms);
		if (r < 0) {
			mh_plan_free(out);
			out->bad_add = (ssize_t)i;
			out->bad_add_errno = r;
			return r == -ENOMEM ? -ENOMEM : -EINVAL;
		}
	}
	return 0;
}

void mh_plan_free(struct mh_plan *p)
{
	if (!p)
		return;
	free(p->steps);
	mh_inv_free(&p->after);
	memset(p, 0, sizeof(*p));
	p->bad_add = -1;
}
