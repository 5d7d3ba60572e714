// SPDX-License-Identifier: MIT
/* Every sysfs attribute parser, and the directory-name parsers (on a
 * NUL-terminated copy, as readdir gives them). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "memhotd/parse.h"
#include "memhotd/report.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	enum mh_block_state st;
	enum mh_zone z;
	uint64_t v;
	char word[64], *copy;
	int n;

	mh_parse_block_size(s, size, &v);
	mh_parse_phys_index(s, size, &v);
	mh_parse_block_state(s, size, &st);
	mh_parse_valid_zones_first(s, size, &z);
	mh_parse_word(s, size, word, sizeof(word));
	mh_parse_word(s, size, word, 1);
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	mh_parse_memory_name(copy, &v);
	mh_parse_node_name(copy, &n);
	mh_parse_block_arg(copy, &v);
	free(copy);
	return 0;
}
