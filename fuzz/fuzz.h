/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer entry points of the fuzz targets (fuzz/fuzz_*.c).  Each target
 * links either with libFuzzer (clang -fsanitize=fuzzer, `make fuzz`) or
 * with replay.c, a plain main() that feeds it every corpus file (gcc or
 * clang with ASan+UBSan, `make fuzz-replay`, part of `make check`).
 */
#ifndef MEMHOTD_FUZZ_H
#define MEMHOTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
