/* test_analysis: analysis_write_json() writes the bytes of
 * json_dumps(analysis_to_json(), JSON_INDENT(2) | JSON_PRESERVE_ORDER), with
 * --frames and excerpts on, for every capture of the fuzz corpus
 * (tests/fuzz/corpus/capture: real, cut and malformed captures) and of the
 * folder PROBELOCK_JSON_CORPUS names, if any (the oracle's corpus); and a
 * capture whose path is not UTF-8: valid JSON, the bad bytes as U+FFFD. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analysis.h"

static unsigned compare_dir(const char *dir)
{
	struct dirent **names;
	unsigned compared = 0;
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		struct analysis_cfg cfg = { .stall_threshold_ns = 500000000, .excerpt = 1, .frames = 1 };
		char path[4096], err[1024];
		struct analysis *an;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (path[strlen(path) - 1] == '.')
			continue;
		an = analysis_run(path, &cfg, err, sizeof err);
		if (an) {
			json_t *doc = analysis_to_json(an);
			char *want = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
			char *got = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&got, &len);

			assert_non_null(f);
			assert_int_equal(analysis_write_json(an, f), 0);
			assert_int_equal(fclose(f), 0);
			assert_non_null(want);
			if (strcmp(want, got) != 0)
				fail_msg("%s: analysis_write_json differs from jansson's dump", path);
			compared++;
			free(want);
			free(got);
			json_decref(doc);
			analysis_free(an);
		}
	}
	free(names);
	return compared;
}

static void test_same_bytes(void **st)
{
	const char *extra = getenv("PROBELOCK_JSON_CORPUS");

	(void)st;
	assert_true(compare_dir("tests/fuzz/corpus/capture") > 100);
	if (extra && *extra)
		assert_true(compare_dir(extra) > 0);
}

/* A path that is not UTF-8 (a lone 0xFF, a cut 2-byte and a cut 3-byte
 * character, around a valid 'é'): both forms give the same valid JSON, each
 * bad byte as U+FFFD and the valid character kept. */
static void test_path_not_utf8(void **st)
{
	static const char name[] = "cap-\xff-\xc3(-\xc3\xa9-\xe2\x82.pcap";
	static const char shown[] = "cap-\xef\xbf\xbd-\xef\xbf\xbd(-\xc3\xa9-\xef\xbf\xbd\xef\xbf\xbd.pcap";
	struct analysis_cfg cfg = { .stall_threshold_ns = 500000000, .frames = 1 };
	char dir[] = "/tmp/test_analysis.XXXXXX", path[256], want_file[256], err[1024], *got = NULL, *want;
	char *src = realpath("tests/fuzz/corpus/capture/golden-retransmissions.pcap", NULL);
	size_t len = 0;
	struct analysis *an;
	json_t *doc, *back;
	FILE *f;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(want_file, sizeof want_file, "%s/%s", dir, shown);
	assert_non_null(src);
	assert_int_equal(symlink(src, path), 0);
	free(src);
	an = analysis_run(path, &cfg, err, sizeof err);
	unlink(path);
	rmdir(dir);
	assert_non_null(an);
	doc = analysis_to_json(an);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "file")), want_file);
	want = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	f = open_memstream(&got, &len);
	assert_non_null(f);
	assert_int_equal(analysis_write_json(an, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(got, want);
	back = json_loads(got, 0, NULL);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "file")), want_file);
	json_decref(back);
	free(want);
	free(got);
	json_decref(doc);
	analysis_free(an);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes),
		cmocka_unit_test(test_path_not_utf8),
	};

	return cmocka_run_group_tests_name("analysis", tests, NULL, NULL);
}
