/* fuzz: what the fuzz targets share. Each target defines LLVMFuzzerTestOneInput;
 * built with clang -fsanitize=fuzzer by `make fuzz`, or linked with replay.c
 * (any compiler) to replay a corpus in `make test`. */
#ifndef PROBELOCK_FUZZ_H
#define PROBELOCK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A memfd holding data, and its /proc/self/fd path for APIs that take a
 * path. Returns the fd (close it after), or -1. */
int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t len);

/* Splits data at NUL bytes into at most max-1 arguments after argv0, in
 * storage (size+1 bytes); returns argc. */
int fuzz_argv(const uint8_t *data, size_t size, const char *argv0, char *storage, char **argv,
              int max);

#endif
