/* fsutil: file-system helpers shared by the results writers. */
#include "fsutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int fs_copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;
	int rc = 0, saved = 0;

	if (!in)
		return -1;
	out = fopen(to, "wb");
	if (!out) {
		saved = errno;
		fclose(in);
		errno = saved;
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			saved = errno;
			rc = -1;
			break;
		}
	if (rc == 0 && ferror(in)) {
		saved = EIO;
		rc = -1;
	}
	fclose(in);
	if (fclose(out) != 0 && rc == 0) {
		saved = errno;
		rc = -1;
	}
	if (rc < 0) {
		unlink(to);
		errno = saved;
	}
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

int fs_write_all(FILE *f, const char *data, size_t len)
{
	if (len && fwrite(data, 1, len, f) != len)
		return -1;
	if (fflush(f) != 0)
		return -1;
	return fsync(fileno(f)) < 0 && errno != EINVAL && errno != EROFS ? -1 : 0;
}

int fs_close(FILE *f)
{
	int bad = ferror(f) || fflush(f) != 0;
	int saved = errno;

	if (fclose(f) != 0)
		return -1;
	if (bad) {
		errno = saved ? saved : EIO;
		return -1;
	}
	return 0;
}

int fs_replace(FILE *f, const char *tmp, const char *path, const char *who, char *err, size_t errlen)
{
	if (fs_close(f) < 0) {
		snprintf(err, errlen, "%s: write %s: %s", who, tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: rename %s to %s: %s", who, tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
