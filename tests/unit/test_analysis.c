/* test_analysis: analysis_write_json() writes the bytes of
 * json_dumps(analysis_to_json(), JSON_INDENT(2) | JSON_PRESERVE_ORDER), with
 * --frames and excerpts on, for every capture of the fuzz corpus
 * (tests/fuzz/corpus/capture: real, cut and malformed captures) and of the
 * folder PROBELOCK_JSON_CORPUS names, if any (the oracle's corpus). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
			if (want) { /* jansson refuses strings that are not UTF-8 (a path) */
				if (strcmp(want, got) != 0)
					fail_msg("%s: analysis_write_json differs from jansson's dump", path);
				compared++;
			}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes),
	};

	return cmocka_run_group_tests_name("analysis", tests, NULL, NULL);
}
