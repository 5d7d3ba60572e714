/* SPDX-License-Identifier: MIT */
/*
 * The plan (plan.h): every offline block decided against a copy of the
 * inventory, each decision applied to the copy with the inventory's own
 * accounting before the next one is made.  No I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memhotd/plan.h"

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
		struct mh_plan_step *s;

		if (b->state != MH_BLOCK_OFFLINE ||
		    (is_grouped(inv, b) ? b->group : -1) != dev)
			continue;
		s = &p->steps[p->nr_steps++];
		s->id = b->id;
		s->skip = skip_of(in, b);
		if (s->skip == MH_PLAN_DECIDED &&
		    mh_plan_decide(inv, &p->policy, in->balloon, b, &s->dec) <
			    0)
			s->skip = MH_PLAN_ERROR;
		if (s->skip != MH_PLAN_DECIDED) {
			p->nr_skipped++;
			continue;
		}
		/* As a real run records a successful write. */
		if (s->dec.target == MH_TARGET_MOVABLE) {
			p->nr_movable++;
			mh_inv_set_online(inv, b, MH_ZONE_MOVABLE,
					  MH_BY_MEMHOTD);
		} else {
			p->nr_kernel++;
			mh_inv_set_online(inv, b, MH_ZONE_NORMAL,
					  MH_BY_MEMHOTD);
		}
		b->has_decision = true;
		b->decision = s->dec;
	}
	return 0;
}

int mh_plan_run(const struct mh_inventory *inv, const struct mh_plan_input *in,
		struct mh_plan *out)
{
	size_t nr_offline = 0;
	bool *done = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (!inv || !in || !in->policy)
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
	return 0;
}

void mh_plan_free(struct mh_plan *p)
{
	if (!p)
		return;
	free(p->steps);
	mh_inv_free(&p->after);
	memset(p, 0, sizeof(*p));
}
