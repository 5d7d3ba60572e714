// SPDX-License-Identifier: MIT
/* /proc/iomem parser and lookup. */
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
	struct mh_iomem io;

	if (mh_parse_iomem((const char *)data, size, &io) == 0) {
		for (size_t i = 0; i < io.nr; i++) {
			mh_iomem_find(&io, io.entries[i].start);
			mh_iomem_find(&io, io.entries[i].end);
		}
		mh_iomem_find(&io, 0);
		mh_iomem_find(&io, UINT64_MAX);
		mh_iomem_free(&io);
	}
	return 0;
}
