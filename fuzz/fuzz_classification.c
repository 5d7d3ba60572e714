// SPDX-License-Identifier: MIT
/* The persisted early/hotplugged classification (run/memhotd). */
#include <stdlib.h>

#include "fuzz.h"
#include "memhotd/scan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mh_id_range *r = NULL;
	size_t n = 0;

	/* The boot_id of the seeds; others give -ESTALE early. */
	if (mh_scan_parse_classification((const char *)data, size,
					 "8d3a6f0c-2b7e-4c41-9a55-0f1e2d3c4b5a",
					 &r, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (r[i].last < r[i].first ||
			    (i && r[i].first <= r[i - 1].last))
				abort();
		free(r);
	}
	return 0;
}
