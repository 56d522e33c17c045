/* fsutil: file-system helpers shared by the results writers. */
#ifndef PROBELOCK_FSUTIL_H
#define PROBELOCK_FSUTIL_H

#include <stddef.h>
#include <stdio.h>

/* mkdir -p DIR (mode 0755). Returns 0, or -1 with errno set and, when at is
 * not NULL, the path that could not be made copied into at. */
int fs_mkdir_p(const char *dir, char *at, size_t atlen);

/* The whole of path, NUL-terminated (the NUL not counted in *len), to free().
 * NULL with errno set when it cannot be opened or read, ENOMEM, or EFBIG
 * when it is larger than max bytes. */
char *fs_read_file(const char *path, size_t max, size_t *len);

/* cp FROM TO. 0, or -1 with errno set (TO removed). */
int fs_copy_file(const char *from, const char *to);

/* rm -rf PATH (nothing there is fine). 0, or -1 with errno set. */
int fs_rm_rf(const char *path);

/* Writes len bytes of data to f, flushes and syncs it. 0, or -1 with errno set (ENOSPC...). */
int fs_write_all(FILE *f, const char *data, size_t len);

/* fclose that also fails when an earlier write to f failed (errno set, EIO when unknown). */
int fs_close(FILE *f);

/* Puts a file written whole into place: closes f (written to tmp) with fs_close and
 * renames tmp to path. 0, or -1 with tmp removed and err saying "WHO: write TMP: cause"
 * or "WHO: rename TMP to PATH: cause". */
int fs_replace(FILE *f, const char *tmp, const char *path, const char *who, char *err, size_t errlen);

#endif
