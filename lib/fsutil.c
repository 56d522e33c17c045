#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int fs_mkdir_p(const char *dir, char *at, size_t atlen)
{
	char tmp[1024];

	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	if (at)
		snprintf(at, atlen, "%s", tmp);
	return -1;
}

char *fs_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, r;
	int e;

	if (!f)
		return NULL;
	do {
		char *nb = realloc(buf, n + 65536 + 1);

		if (!nb) {
			e = ENOMEM;
			goto fail;
		}
		buf = nb;
		r = fread(buf + n, 1, 65536, f);
		n += r;
		if (n > max) {
			e = EFBIG;
			goto fail;
		}
	} while (r == 65536);
	if (ferror(f)) {
		e = errno ? errno : EIO;
		goto fail;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	errno = e;
	return NULL;
}
