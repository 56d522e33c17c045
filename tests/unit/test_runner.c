/* test_runner: which cells a run runs (lib/runner_select.c): a new run's selection follows the
 * scenario's order, --only narrows it and a filter that selects nothing is refused, the shards
 * of a count deal every cell to exactly one shard, and a resume runs exactly the cells its
 * folder expects without a record, refusing a selection other than the folder's; the verdict
 * table's columns stay aligned whatever the length of the ids (lib/summary.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "runner.h"
#include "summary.h"

static const char text[] =
	"name: unit-runner\n"
	"matrix:\n"
	"  client.payload: [60000, 300000, 1M]\n"
	"  client.mode: [blocking, split]\n";

static char g_dir[64];
static struct scenario *g_sc;

static int setup(void **state)
{
	char path[128], err[600];
	FILE *f;

	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/plk-unit-runner.XXXXXX");
	if (!mkdtemp(g_dir))
		return -1;
	snprintf(path, sizeof path, "%s/s.yaml", g_dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	g_sc = scenario_load(path, err, sizeof err);
	return g_sc && g_sc->nerrors == 0 && g_sc->ncells == 6 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	scenario_free(g_sc);
	return fs_rm_rf(g_dir);
}

/* No filter, one shard: every cell, in the scenario's order, with its id. */
static void test_select_all(void **state)
{
	struct results_sel sel = { NULL, 1, 1 };
	unsigned todo[6], n = 99;
	const char *ids[6];
	char err[600];

	(void)state;
	assert_int_equal(runner_select(g_sc, &sel, todo, &n, ids, err, sizeof err), 0);
	assert_int_equal(n, 6);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(todo[i], i);
		assert_string_equal(ids[i], g_sc->cells[i].id);
	}
}

/* --only: the matching cells only, in order; two keys are an AND; nothing matching is refused. */
static void test_select_only(void **state)
{
	struct results_sel sel = { "client.mode=split", 1, 1 };
	unsigned todo[6], n;
	char err[600];

	(void)state;
	assert_int_equal(runner_select(g_sc, &sel, todo, &n, NULL, err, sizeof err), 0);
	assert_int_equal(n, 3);
	for (unsigned i = 0; i < n; i++) {
		assert_non_null(strstr(g_sc->cells[todo[i]].id, "split"));
		if (i)
			assert_true(todo[i] > todo[i - 1]);
	}
	sel.only = "client.mode=split,client.payload=1M";
	assert_int_equal(runner_select(g_sc, &sel, todo, &n, NULL, err, sizeof err), 0);
	assert_int_equal(n, 1);
	sel.only = "client.mode=spilt";
	err[0] = 0;
	assert_int_equal(runner_select(g_sc, &sel, todo, &n, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "spilt"));
}

/* The shards of one count: each cell in exactly one of them, whatever the count. */
static void test_select_shards(void **state)
{
	(void)state;
	for (unsigned count = 1; count <= 4; count++) {
		unsigned seen[6] = { 0 }, total = 0;

		for (unsigned k = 1; k <= count; k++) {
			struct results_sel sel = { NULL, k, count };
			unsigned todo[6], n;
			char err[600];

			assert_int_equal(runner_select(g_sc, &sel, todo, &n, NULL, err, sizeof err), 0);
			for (unsigned i = 0; i < n; i++)
				seen[todo[i]]++;
			total += n;
		}
		assert_int_equal(total, 6);
		for (unsigned i = 0; i < 6; i++)
			assert_int_equal(seen[i], 1);
	}
}

/* A folder of the selection with records for its cells 1 and 4 (2 when it has fewer than 5),
 * appended in reverse order. */
static void make_folder(struct results *r, const char *root, const char *only)
{
	struct results_sel sel = { only, 1, 1 };
	const char *ids[6];
	unsigned todo[6], n;
	char err[600];

	assert_int_equal(runner_select(g_sc, &sel, todo, &n, ids, err, sizeof err), 0);
	assert_int_equal(results_create(r, root, g_sc, &sel, ids, n, NULL, err, sizeof err), 0);
	for (int k = 1; k >= 0; k--) {
		const char *id = ids[k ? (n >= 5 ? 4 : 2) : 1];
		json_t *rec = json_pack("{s:s, s:s, s:s}", "id", id, "verdict", "pass", "outcome", "completed");

		assert_int_equal(results_append(r, rec, err, sizeof err), 0);
		json_decref(rec);
	}
}

/* Resume: exactly the cells without a record, in the folder's order. */
static void test_resume_missing(void **state)
{
	struct results res = { .lockfd = -1 };
	struct results_sel sel = { NULL, 1, 1 };
	unsigned todo[6], n = 99;
	char root[128], err[600];

	(void)state;
	snprintf(root, sizeof root, "%s/r1", g_dir);
	make_folder(&res, root, NULL);
	assert_int_equal(runner_resume_select(g_sc, &res, &sel, todo, &n, err, sizeof err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(todo[0], 0);
	assert_int_equal(todo[1], 2);
	assert_int_equal(todo[2], 3);
	assert_int_equal(todo[3], 5);
	results_close(&res);
}

/* Resume with another --only or shard than the folder's: refused, naming both. */
static void test_resume_other_selection(void **state)
{
	struct results res = { .lockfd = -1 };
	struct results_sel sel = { "client.mode=blocking", 1, 1 };
	unsigned todo[6], n;
	char root[128], err[600];

	(void)state;
	snprintf(root, sizeof root, "%s/r2", g_dir);
	make_folder(&res, root, "client.mode=split");
	assert_int_equal(runner_resume_select(g_sc, &res, &sel, todo, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "--only 'client.mode=blocking'"));
	assert_non_null(strstr(err, "client.mode=split"));
	sel.only = "client.mode=split";
	assert_int_equal(runner_resume_select(g_sc, &res, &sel, todo, &n, err, sizeof err), 0);
	assert_int_equal(n, 1); /* of the 3 split cells, 2 have records */
	sel.shard_k = 2;
	sel.shard_n = 3;
	assert_int_equal(runner_resume_select(g_sc, &res, &sel, todo, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "--shard 2/3"));
	results_close(&res);
}

/* The verdict table: the id column as wide as the longest id, at most SUMMARY_ID_MAX with a
 * longer id cut in the middle, so that the next column starts at the same place in each row. */
static void test_table_columns(void **state)
{
	char longid[200], row[3][1024];
	struct results_cell cells[2] = { { "short", NULL }, { longid, NULL } };
	struct results res = { .cells = cells, .ncells = 1 };
	int w;

	(void)state;
	memset(longid, 'x', sizeof longid - 1);
	longid[sizeof longid - 1] = 0;
	longid[0] = 'A';
	longid[sizeof longid - 2] = 'Z';
	assert_int_equal(summary_id_width(&res), 5);
	res.ncells = 2;
	w = summary_id_width(&res);
	assert_int_equal(w, SUMMARY_ID_MAX);
	summary_table_row(NULL, w, row[0], sizeof row[0]);
	summary_table_row(&cells[0], w, row[1], sizeof row[1]);
	summary_table_row(&cells[1], w, row[2], sizeof row[2]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(row[i][w], ' ');
	assert_int_equal(strncmp(row[2], "A", 1), 0);
	assert_int_equal(row[2][w - 1], 'Z');
	assert_non_null(strstr(row[2], "..."));
	assert_non_null(strstr(row[2], "MISSING"));
	assert_int_equal(strstr(row[1], "MISSING") - row[1], strstr(row[2], "MISSING") - row[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_all),
		cmocka_unit_test(test_select_only),
		cmocka_unit_test(test_select_shards),
		cmocka_unit_test(test_resume_missing),
		cmocka_unit_test(test_resume_other_selection),
		cmocka_unit_test(test_table_columns),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
