/* test_report: the verdict sentence (report_verdict) on hand-made runs: a threshold is said
 * only where every cell at or above it deadlocked and none below did; two targets with
 * different boundaries get one clause each; a deadlock at a payload where a larger one
 * completed is named by its value, not as a threshold; repeats that disagree are said to;
 * an incomplete run says INCOMPLETE and never "Every expectation held"; a failed cell is
 * counted. */
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
#include "report.h"
#include "results.h"

static char g_dir[64];
static unsigned g_runs;

static struct scenario *load(const char *text)
{
	char path[128], err[600];
	struct scenario *sc;
	FILE *f;

	snprintf(path, sizeof path, "%s/s-%u.yaml", g_dir, g_runs++);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	sc = scenario_load(path, err, sizeof err);
	assert_non_null(sc);
	assert_int_equal(sc->nerrors, 0);
	return sc;
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/plk-unit-report.XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return fs_rm_rf(g_dir);
}

/* What a cell did: "deadlock", "completed", "fail" (completed, an expectation failed), or
 * NULL: it did not run. */
typedef const char *(*outcome_fn)(const struct scenario *sc, const struct scenario_cell *cell);

static double val(const struct scenario *sc, const struct scenario_cell *cell, const char *key)
{
	return atof(scenario_cell_value(sc, cell, key));
}

static int is(const struct scenario *sc, const struct scenario_cell *cell, const char *key, const char *v)
{
	return !strcmp(scenario_cell_value(sc, cell, key), v);
}

/* A run folder expecting every cell of sc, with a record for each cell outcome gives one. */
static void make_run(struct results *r, const struct scenario *sc, outcome_fn outcome)
{
	struct results_sel sel = { NULL, 1, 1 };
	const char **ids = calloc(sc->ncells, sizeof *ids);
	char err[600], root[128];

	assert_non_null(ids);
	for (size_t i = 0; i < sc->ncells; i++)
		ids[i] = sc->cells[i].id;
	snprintf(root, sizeof root, "%s/r%u", g_dir, g_runs++);
	assert_int_equal(results_create(r, root, sc, &sel, ids, sc->ncells, NULL, err, sizeof err), 0);
	free(ids);
	for (size_t i = 0; i < sc->ncells; i++) {
		const char *o = outcome(sc, &sc->cells[i]);
		json_t *rec;

		if (!o)
			continue;
		rec = json_pack("{s:s, s:s, s:s}", "id", sc->cells[i].id, "verdict", strcmp(o, "fail") ? "pass" : "fail",
		                "outcome", strcmp(o, "fail") ? o : "completed");
		assert_int_equal(results_append(r, rec, err, sizeof err), 0);
		json_decref(rec);
	}
}

/* The verdict of sc's run whose cells did what outcome says. */
static void verdict_of(const char *yaml, outcome_fn outcome, char *v, size_t len)
{
	struct scenario *sc = load(yaml);
	struct results r;

	make_run(&r, sc, outcome);
	assert_int_equal(report_verdict(&r, sc, v, len), 0);
	results_close(&r);
	scenario_free(sc);
}

static const char one_target[] =
	"name: one\n"
	"matrix:\n"
	"  client.payload: [100000, 110000, 120000, 130000]\n"
	"  client.mode: [blocking, nonblocking]\n";

static const char *blocking_from_120000(const struct scenario *sc, const struct scenario_cell *cell)
{
	return is(sc, cell, "client.mode", "blocking") && val(sc, cell, "client.payload") >= 120000 ? "deadlock"
	                                                                                            : "completed";
}

static void test_clean_threshold(void **state)
{
	char v[1600];

	(void)state;
	verdict_of(one_target, blocking_from_120000, v, sizeof v);
	assert_string_equal(v, "Probe deadlock reproduced in 2 of 8 cells: client.payload >= 120000, "
	                       "client.mode=blocking. Every expectation held.");
}

static const char two_targets[] =
	"name: two\n"
	"matrix:\n"
	"  target.kind: [loopback, lwip]\n"
	"  client.payload: [110000, 120000, 130000, 300000]\n";

/* Linux's boundary below 120000, lwIP's between 130000 and 300000. */
static const char *per_target(const struct scenario *sc, const struct scenario_cell *cell)
{
	double limit = is(sc, cell, "target.kind", "loopback") ? 120000 : 300000;

	return val(sc, cell, "client.payload") >= limit ? "deadlock" : "completed";
}

static void test_two_targets(void **state)
{
	char v[1600];

	(void)state;
	verdict_of(two_targets, per_target, v, sizeof v);
	/* Not "client.payload >= 120000": lwIP completed at 120000 and 130000. */
	assert_string_equal(v, "Probe deadlock reproduced in 4 of 8 cells (target.kind=loopback: client.payload >= "
	                       "120000; target.kind=lwip: client.payload >= 300000). Every expectation held.");
}

static const char modes[] =
	"name: modes\n"
	"matrix:\n"
	"  client.payload: [110000, 120000, 130000]\n"
	"  client.mode: [blocking, nonblocking, split]\n";

/* blocking deadlocks at 120000 only (130000 completed), nonblocking from 130000, split never. */
static const char *not_monotonic(const struct scenario *sc, const struct scenario_cell *cell)
{
	double p = val(sc, cell, "client.payload");

	if (is(sc, cell, "client.mode", "blocking"))
		return p == 120000 ? "deadlock" : "completed";
	if (is(sc, cell, "client.mode", "nonblocking"))
		return p >= 130000 ? "deadlock" : "completed";
	return "completed";
}

static void test_not_monotonic(void **state)
{
	char v[1600];

	(void)state;
	verdict_of(modes, not_monotonic, v, sizeof v);
	assert_string_equal(v, "Probe deadlock reproduced in 2 of 9 cells (client.mode=blocking: client.payload=120000; "
	                       "client.mode=nonblocking: client.payload >= 130000; client.mode=split: none of 3 "
	                       "cells). Every expectation held.");
}

static const char repeats[] =
	"name: rep\n"
	"repeat: 3\n"
	"matrix:\n"
	"  client.payload: [110000, 120000, 130000]\n";

/* 110000 completes, 130000 deadlocks, 120000 deadlocks in its first two repeats only. */
static const char *flaky(const struct scenario *sc, const struct scenario_cell *cell)
{
	double p = val(sc, cell, "client.payload");

	return p >= 130000 || (p == 120000 && cell->repeat < 3) ? "deadlock" : "completed";
}

static void test_repeats_disagree(void **state)
{
	char v[1600];

	(void)state;
	verdict_of(repeats, flaky, v, sizeof v);
	assert_string_equal(v, "Probe deadlock reproduced in 5 of 9 cells (client.payload=130000: all 3 cells; "
	                       "client.payload=120000: deadlocked in 2 of 3 repeats; client.payload=110000: none of "
	                       "3 cells). Every expectation held.");
}

/* The threshold's cells, but blocking at 130000 did not run and one nonblocking cell failed. */
static const char *incomplete(const struct scenario *sc, const struct scenario_cell *cell)
{
	if (is(sc, cell, "client.mode", "blocking") && val(sc, cell, "client.payload") == 130000)
		return NULL;
	if (is(sc, cell, "client.mode", "nonblocking") && val(sc, cell, "client.payload") == 100000)
		return "fail";
	return blocking_from_120000(sc, cell);
}

static void test_incomplete(void **state)
{
	char v[1600];

	(void)state;
	verdict_of(one_target, incomplete, v, sizeof v);
	/* Of the cells that ran, blocking deadlocked at 120000 only: no claim about 130000. */
	assert_string_equal(v, "Probe deadlock reproduced in 1 of 7 cells: client.payload=120000, "
	                       "client.mode=blocking. INCOMPLETE: 7 of 8 cells ran, 1 missing "
	                       "(payload-130000_mode-blocking). 1 cell failed its expectations and 0 broke.");
}

static const char *none(const struct scenario *sc, const struct scenario_cell *cell)
{
	(void)sc;
	(void)cell;
	return "completed";
}

static void test_no_deadlock(void **state)
{
	char v[1600], tiny[30];

	(void)state;
	verdict_of(two_targets, none, v, sizeof v);
	assert_string_equal(v, "No probe deadlock in 8 cells. Every expectation held.");
	/* Cut to the buffer, never past it, even in the middle of a split. */
	memset(tiny, 'x', sizeof tiny);
	verdict_of(two_targets, per_target, tiny, sizeof tiny);
	assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_threshold),
		cmocka_unit_test(test_two_targets),
		cmocka_unit_test(test_not_monotonic),
		cmocka_unit_test(test_repeats_disagree),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_no_deadlock),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
