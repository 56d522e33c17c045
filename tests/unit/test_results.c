/* test_results: the results model (lib/results.c) and the verdict sentence built on it: a
 * scenario's identity ignores how its values are written and changes with what they are;
 * records attach to the expected cells in the scenario's order whatever order they were
 * appended in, repeats and strangers are kept apart, missing cells are counted; a cut last
 * record is dropped on reopening for writing, a whole one without its newline kept; a folder
 * is written by one holder of its lock; the verdict never says "Every expectation held" while
 * cells are missing, and is cut to its buffer; a record's typed values (outcome, ended_by,
 * verdict, stall causes) are read from their names with the one table of each, an unknown word
 * giving -1 (an error for the verdict), never a neighbour's value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "fsutil.h"
#include "report.h"
#include "results.h"

static const char base_text[] =
	"name: unit\n"
	"client: { sndbuf: 64K }\n"
	"matrix:\n"
	"  client.payload: [60000, 300000]\n"
	"  client.mode: [blocking, split]\n";

static char g_dir[64];

static struct scenario *load(const char *text)
{
	char path[128], err[600];
	struct scenario *sc;
	FILE *f;

	snprintf(path, sizeof path, "%s/s-%zu.yaml", g_dir, strlen(text));
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
	snprintf(g_dir, sizeof g_dir, "/tmp/plk-unit-results.XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return fs_rm_rf(g_dir);
}

static void test_identity(void **state)
{
	char a[65], b[65], c[65], err[300];
	struct scenario *s1 = load(base_text);
	struct scenario *s2 = load("# the same cells, written otherwise\n"
	                           "name: unit\n"
	                           "client: { sndbuf: 65536 }\n"
	                           "matrix:\n"
	                           "  client.payload: [60000, 300000]\n"
	                           "  client.mode: [blocking, split]\n");
	struct scenario *s3 = load("name: unit\n"
	                           "client: { sndbuf: 64K }\n"
	                           "matrix:\n"
	                           "  client.payload: [60000, 300001]\n"
	                           "  client.mode: [blocking, split]\n");

	(void)state;
	assert_int_equal(results_identity(s1, a, err, sizeof err), 0);
	assert_int_equal(results_identity(s2, b, err, sizeof err), 0);
	assert_int_equal(results_identity(s3, c, err, sizeof err), 0);
	assert_int_equal(strlen(a), 64);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	scenario_free(s1);
	scenario_free(s2);
	scenario_free(s3);
}

static json_t *record(const char *id, const char *verdict)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:i, s:i, s:s}}", "id", id, "verdict", verdict, "outcome",
	                 "completed", "ended_by", "completion", "expect", "applied", 0, "failed", 0, "why", "");
}

/* A run folder expecting every cell of sc, with the records given appended in that order. */
static void make_run(struct results *r, const struct scenario *sc, const char *const *recs, size_t n)
{
	struct results_sel sel = { NULL, 1, 1 };
	const char *ids[8];
	char err[600], root[128];

	for (size_t i = 0; i < sc->ncells; i++)
		ids[i] = sc->cells[i].id;
	snprintf(root, sizeof root, "%s/r%zu", g_dir, n);
	assert_int_equal(results_create(r, root, sc, &sel, ids, sc->ncells, NULL, err, sizeof err), 0);
	for (size_t i = 0; i < n; i++) {
		json_t *rec = record(recs[i], "pass");

		assert_int_equal(results_append(r, rec, err, sizeof err), 0);
		json_decref(rec);
	}
}

static void test_model(void **state)
{
	struct scenario *sc = load(base_text);
	/* Appended out of order, one twice, one of another scenario. */
	const char *recs[] = { "payload-300000_mode-split", "payload-60000_mode-blocking", "payload-60000_mode-blocking",
	                       "not-a-cell" };
	struct results r, o;
	char err[600], dir[1100];

	(void)state;
	make_run(&r, sc, recs, 4);
	assert_int_equal(r.ncells, 4);
	assert_int_equal(r.nran, 2);
	assert_int_equal(results_missing(&r), 2);
	assert_int_equal(json_array_size(r.foreign), 2);
	assert_false(results_complete(&r));
	snprintf(dir, sizeof dir, "%s", r.dir);
	/* The folder is written by one holder of its lock at a time. */
	assert_int_equal(results_open(&o, dir, sc, 1, NULL, NULL, err, sizeof err), -2);
	assert_non_null(strstr(err, "is being written by another probelock"));
	results_close(&o);
	results_close(&r);
	/* Read back: the scenario's order, whatever the order of the lines. */
	assert_int_equal(results_open(&o, dir, sc, 0, NULL, NULL, err, sizeof err), 0);
	assert_string_equal(o.cells[0].id, "payload-60000_mode-blocking");
	assert_non_null(o.cells[0].rec);
	assert_null(o.cells[1].rec);
	assert_null(o.cells[2].rec);
	assert_non_null(o.cells[3].rec);
	assert_int_equal(o.nran, 2);
	assert_int_equal(json_array_size(o.foreign), 2);
	results_close(&o);
	scenario_free(sc);
}

static void test_other_scenario_refused(void **state)
{
	struct scenario *sc = load(base_text), *other = load("name: unit\n"
	                                                      "matrix:\n"
	                                                      "  client.payload: [60000]\n");
	const char *recs[] = { "payload-60000_mode-blocking" };
	struct results r, o;
	char err[600];

	(void)state;
	make_run(&r, sc, recs, 1);
	assert_int_equal(results_open(&o, r.dir, other, 0, NULL, NULL, err, sizeof err), -2);
	assert_non_null(strstr(err, "another version of scenario 'unit'"));
	results_close(&o);
	results_close(&r);
	scenario_free(sc);
	scenario_free(other);
}

static void append_raw(const char *dir, const char *text)
{
	char path[1200];
	FILE *f;

	snprintf(path, sizeof path, "%s/cells.jsonl", dir);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void count_warning(void *arg, const char *msg)
{
	(void)msg;
	(*(int *)arg)++;
}

static void test_tail(void **state)
{
	struct scenario *sc = load(base_text);
	const char *recs[] = { "payload-60000_mode-blocking" };
	struct results r, o;
	char err[600], dir[1100];
	int warned = 0;

	(void)state;
	make_run(&r, sc, recs, 1);
	snprintf(dir, sizeof dir, "%s", r.dir);
	results_close(&r);
	/* A whole record without its newline is kept and terminated. */
	append_raw(dir, "{\"id\":\"payload-60000_mode-split\",\"verdict\":\"fail\"}");
	assert_int_equal(results_open(&o, dir, sc, 1, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(o.nran, 2);
	assert_int_equal(o.nfail, 1);
	results_close(&o);
	/* A cut one is reported when read, and dropped when the folder is opened for writing. */
	append_raw(dir, "{\"id\":\"payload-300000_mode-blocking\",\"verd");
	assert_int_equal(results_open(&o, dir, sc, 0, count_warning, &warned, err, sizeof err), 0);
	assert_int_equal(warned, 1);
	assert_int_equal(o.ncut, 1);
	assert_int_equal(o.nran, 2);
	results_close(&o);
	assert_int_equal(results_open(&o, dir, sc, 1, count_warning, &warned, err, sizeof err), 0);
	assert_int_equal(warned, 1);
	assert_int_equal(o.ncut, 0);
	results_close(&o);
	scenario_free(sc);
}

static void test_verdict(void **state)
{
	struct scenario *sc = load(base_text);
	const char *all[] = { "payload-60000_mode-blocking", "payload-60000_mode-split", "payload-300000_mode-blocking",
	                      "payload-300000_mode-split" };
	struct results r;
	char v[1600], tiny[24];

	(void)state;
	make_run(&r, sc, all, 4);
	assert_int_equal(report_verdict(&r, sc, v, sizeof v), 0);
	assert_non_null(strstr(v, "Every expectation held."));
	assert_null(strstr(v, "INCOMPLETE"));
	results_close(&r);
	make_run(&r, sc, all, 2);
	assert_int_equal(report_verdict(&r, sc, v, sizeof v), 0);
	assert_non_null(strstr(v, "INCOMPLETE: 2 of 4 cells ran, 2 missing (payload-300000_mode-blocking, "
	                          "payload-300000_mode-split)."));
	assert_null(strstr(v, "Every expectation held."));
	/* Cut to the buffer, never past it. */
	memset(tiny, 'x', sizeof tiny);
	assert_int_equal(report_verdict(&r, sc, tiny, sizeof tiny), 0);
	assert_int_equal(strlen(tiny), sizeof tiny - 1);
	results_close(&r);
	scenario_free(sc);
}

static json_t *rec_with(const char *key, const char *value)
{
	return json_pack("{s:s, s:s}", "id", "x", key, value);
}

static void test_typed_values(void **state)
{
	stall_cause_set set;
	char buf[128];
	json_t *l;

	(void)state;
	/* Each outcome, each end and each verdict by its name. */
	for (int i = 0; client_outcome_names[i]; i++) {
		l = rec_with("outcome", client_outcome_names[i]);
		assert_int_equal(results_outcome(l), i);
		json_decref(l);
	}
	assert_int_equal(results_outcome(NULL), -1);
	for (int i = 0; client_end_names[i]; i++) {
		l = rec_with("ended_by", client_end_names[i]);
		assert_int_equal(results_ended_by(l), i);
		json_decref(l);
	}
	l = rec_with("outcome", "deadlock");
	assert_int_equal(results_outcome(l), CLIENT_DEADLOCK);
	assert_int_equal(results_ended_by(l), -1); /* absent */
	assert_int_equal(results_verdict(l), RESULTS_ERROR);
	json_decref(l);
	for (int i = 0; results_verdict_names[i]; i++) {
		l = rec_with("verdict", results_verdict_names[i]);
		assert_int_equal(results_verdict(l), i);
		json_decref(l);
	}
	l = rec_with("verdict", "fail");
	assert_int_equal(results_verdict(l), RESULTS_FAIL);
	json_decref(l);
	/* An unknown word is no value of the table, even one that starts like a name. */
	l = json_pack("{s:s, s:s, s:s}", "outcome", "complete", "ended_by", "errors", "verdict", "passed");
	assert_int_equal(results_outcome(l), -1);
	assert_int_equal(results_ended_by(l), -1);
	assert_int_equal(results_verdict(l), RESULTS_ERROR);
	json_decref(l);
	/* The capture's causes: none without a capture, each one named, unknown words left out. */
	l = json_pack("{s:s, s:n}", "id", "x", "analysis");
	assert_int_equal(results_causes(l), 0);
	json_decref(l);
	l = json_pack("{s:{s:s}}", "analysis", "stall_causes", "receiver_stall,probe_deadlock");
	assert_int_equal(results_causes(l), STALL_CAUSE_BIT(STALL_RECEIVER) | STALL_CAUSE_BIT(STALL_PROBE_DEADLOCK));
	json_decref(l);
	l = json_pack("{s:{s:s}}", "analysis", "stall_causes", "probe,idle");
	assert_int_equal(results_causes(l), STALL_CAUSE_BIT(STALL_IDLE));
	json_decref(l);
	/* stall_cause_set_parse reads what stall_cause_set_format writes, every set. */
	for (stall_cause_set s = 0; s < (1u << STALL_NCAUSES); s++) {
		stall_cause_set_format(s, buf, sizeof buf);
		assert_int_equal(stall_cause_set_parse(buf, &set), 0);
		assert_int_equal(set, s);
	}
	assert_int_equal(stall_cause_set_parse("", &set), 0);
	assert_int_equal(set, 0);
	assert_int_equal(stall_cause_set_parse("idle,bogus", &set), -1);
	assert_int_equal(set, STALL_CAUSE_BIT(STALL_IDLE));
	assert_int_equal(stall_cause_set_parse("idle,", &set), -1);
	assert_int_equal(stall_cause_set_parse("abort_", &set), -1);
	assert_int_equal(set, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_other_scenario_refused),
		cmocka_unit_test(test_tail),
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_typed_values),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
