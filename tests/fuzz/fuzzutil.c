/* fuzzutil: helpers for the fuzz targets (see fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

int fuzz_argv(const uint8_t *data, size_t size, const char *argv0, char *storage, char **argv,
              int max)
{
	int argc = 0;
	size_t start = 0;

	memcpy(storage, data, size);
	storage[size] = '\0';
	argv[argc++] = (char *)argv0;
	for (size_t i = 0; i <= size && argc < max - 1; i++) {
		if (i == size || storage[i] == '\0') {
			if (i > start || i < size)
				argv[argc++] = storage + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	return argc;
}
