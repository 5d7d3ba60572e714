// SPDX-License-Identifier: MIT
/* /proc/zoneinfo parser and the per-node sums. */
#include <stdlib.h>

#include "fuzz.h"
#include "memhotd/parse.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mh_zoneinfo zi;
	char msg[160];

	if (mh_parse_zoneinfo_msg((const char *)data, size, &zi, msg,
				  sizeof(msg)) == 0) {
		int max = mh_zoneinfo_max_nid(&zi);

		for (int nid = 0; nid <= max; nid++) {
			struct mh_zoneinfo_node_sums s;

			mh_zoneinfo_node_sums(&zi, nid, &s);
			if (s.kernel_cma > s.kernel_present ||
			    s.kernel_present > MH_ZONEINFO_MAX_PAGES ||
			    s.movable_present > MH_ZONEINFO_MAX_PAGES)
				abort();
		}
		mh_zoneinfo_free(&zi);
	}
	return 0;
}
