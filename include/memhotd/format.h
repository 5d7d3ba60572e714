/* SPDX-License-Identifier: MIT */
/*
 * Small text conversions both memhotd and memhotctl use.
 */
#ifndef MEMHOTD_FORMAT_H
#define MEMHOTD_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* IEC size as lsmem prints it: "128M", "1.5G", "0B". */
void mh_format_size(uint64_t bytes, char *buf, size_t len);
/* "48" or "memory48" -> 48; 0 or -EINVAL. */
int mh_parse_block_arg(const char *s, uint64_t *id);

#endif
