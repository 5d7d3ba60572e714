// SPDX-License-Identifier: MIT
/* The configuration file (inih underneath), on a NUL-terminated copy. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "memhotd/config.h"
#include "memhotd/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mh_log_set_max_level(-1); /* quiet */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mh_config c;
	char err[512], *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	mh_config_defaults(&c);
	mh_config_parse_string(text, "fuzz.conf", &c, err, sizeof(err));
	free(text);
	return 0;
}
