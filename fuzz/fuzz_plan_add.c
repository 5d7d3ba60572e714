// SPDX-License-Identifier: MIT
/*
 * What-if planning: mh_plan_parse_add on each input line (at most 8, as
 * `memhotctl plan --add` passes them), then the plan with the adds that
 * parsed, on a small inventory: node 0 with 4 GiB of boot memory, node 1
 * with 2 GiB, virtio0 (node 0, 4 GiB range, 2 blocks present, one of them
 * online) and virtio1 (no block yet, 1 GiB range), a 4-block DIMM.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "memhotd/plan.h"

#define BS (128ULL << 20)
#define GIB_PAGES 262144ULL

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int setup(struct mh_inventory *inv)
{
	ssize_t g;
	struct mh_block *b;

	mh_set_page_size(4096);
	if (mh_inv_init(inv, BS) < 0)
		return -1;
	if (mh_inv_ensure_node(inv, 0) < 0 || mh_inv_ensure_node(inv, 1) < 0)
		return -1;
	mh_inv_calibrate(inv, 0, 4 * GIB_PAGES, 0, 0);
	mh_inv_calibrate(inv, 1, 2 * GIB_PAGES, 0, 0);
	g = mh_inv_group_add(inv, "virtio0", MH_GROUP_VIRTIO_MEM, 0,
			     48 * inv->block_pages, 80 * inv->block_pages,
			     inv->block_pages);
	if (g < 0)
		return -1;
	for (uint64_t id = 48; id < 50; id++) {
		b = mh_inv_add_block(inv, id, true);
		if (!b || mh_inv_set_node(inv, b, 0) < 0)
			return -1;
		mh_inv_set_group(inv, b, g);
		b->group_resolved = true;
	}
	mh_inv_set_online(inv, mh_inv_block(inv, 48), MH_ZONE_MOVABLE,
			  MH_BY_MEMHOTD);
	if (mh_inv_group_add(inv, "virtio1", MH_GROUP_VIRTIO_MEM, -1,
			     100 * inv->block_pages, 108 * inv->block_pages,
			     inv->block_pages) < 0)
		return -1;
	g = mh_inv_group_add(inv, "PNP0C80:00", MH_GROUP_DIMM, 1,
			     120 * inv->block_pages, 124 * inv->block_pages,
			     4 * inv->block_pages);
	if (g < 0)
		return -1;
	for (uint64_t id = 120; id < 124; id++) {
		b = mh_inv_add_block(inv, id, true);
		if (!b || mh_inv_set_node(inv, b, 1) < 0)
			return -1;
		mh_inv_set_group(inv, b, g);
		b->group_resolved = true;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mh_plan_add adds[8];
	struct mh_policy_config pc;
	struct mh_plan_input in = {.policy = &pc, .adds = adds};
	struct mh_inventory inv;
	struct mh_plan p;
	char *text = malloc(size + 1), *line, *save = NULL;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line && in.nr_adds < 8;
	     line = strtok_r(NULL, "\n", &save))
		if (mh_plan_parse_add(line, &adds[in.nr_adds]) == 0 &&
		    adds[in.nr_adds].bytes <= (64ULL << 30))
			in.nr_adds++;
	free(text);
	memset(&pc, 0, sizeof(pc));
	pc.policy = MH_POLICY_AUTO_MOVABLE;
	pc.ratio = size ? data[0] * 3u : 301;
	pc.numa_aware = size > 1 && (data[1] & 1);
	pc.kernel_reserve = size > 2 ? (uint64_t)data[2] << 24 : 0;
	pc.page_size = 4096;
	if (setup(&inv) == 0 && mh_plan_run(&inv, &in, &p) == 0) {
		/* every hypothetical block exists in the copy only */
		for (size_t i = 0; i < p.nr_steps; i++)
			if (p.steps[i].hypothetical &&
			    (mh_inv_block(&inv, p.steps[i].id) ||
			     !mh_inv_block(&p.after, p.steps[i].id)))
				abort();
		mh_plan_free(&p);
	}
	mh_inv_free(&inv);
	return 0;
}
