/* fuzz_results: the results reader (lib/results.c) on any cells.jsonl: a run folder of a
 * fixed four-cell scenario whose cells.jsonl is the input, opened for reading and for
 * writing (the cut-tail mending), then summary.csv, junit.xml, the verdict and the table's
 * rows made from the model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "report.h"
#include "results.h"
#include "summary.h"

static const char scenario_text[] =
	"name: fuzz\n"
	"server: { mode: blocking }\n"
	"matrix:\n"
	"  client.payload: [60000, 300000]\n"
	"  client.mode: [blocking, split]\n"
	"expect:\n"
	"  - when: { client.mode: split }\n"
	"    outcome: completed\n";

static char dir[64];
static struct scenario *sc;

static void remove_dir(void)
{
	static const char *const files[] = { "scenario.yaml", "run.json", "cells.jsonl", "summary.csv",
	                                     "junit.xml", ".lock", NULL };
	char p[128];

	for (int i = 0; files[i]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
	scenario_free(sc);
}

/* The run folder, once: the scenario and a run.json expecting its four cells. */
static int setup(void)
{
	char p[128], err[600], hex[65];
	json_t *run, *ids;
	FILE *f;

	snprintf(dir, sizeof dir, "/tmp/plk-fuzz-results.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(p, sizeof p, "%s/scenario.yaml", dir);
	f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(scenario_text, f);
	fclose(f);
	sc = scenario_load(p, err, sizeof err);
	if (!sc || sc->nerrors || results_identity(sc, hex, err, sizeof err) < 0)
		return -1;
	ids = json_array();
	for (size_t i = 0; i < sc->ncells; i++)
		json_array_append_new(ids, json_string(sc->cells[i].id));
	run = json_pack("{s:i, s:s, s:s, s:n, s:s, s:o}", "format", RESULTS_FORMAT, "scenario", sc->name,
	                "scenario_hash", hex, "only", "shard", "1/1", "cells", ids);
	if (results_write_json(dir, "run.json", run, err, sizeof err) < 0)
		return -1;
	json_decref(run);
	atexit(remove_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char p[128], err[1200], verdict[1600], row[2048];
	struct results res;
	FILE *f;

	if (!ready) {
		if (setup() < 0)
			abort();
		ready = 1;
	}
	snprintf(p, sizeof p, "%s/cells.jsonl", dir);
	f = fopen(p, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	for (int lock = 0; lock < 2; lock++) {
		if (results_open(&res, dir, sc, lock, NULL, NULL, err, sizeof err) == 0) {
			(void)summary_write(&res, sc, err, sizeof err);
			(void)report_verdict(&res, sc, verdict, sizeof verdict);
			summary_table_row(NULL, summary_id_width(&res), row, sizeof row);
			for (size_t i = 0; i < res.ncells; i++)
				summary_table_row(&res.cells[i], summary_id_width(&res), row, sizeof row);
		}
		results_close(&res);
	}
	return 0;
}
