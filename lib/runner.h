/* runner: runs a scenario's cells (probelock run): targets, echod, capture,
 * tcpecho, analysis, expectations, and the results folder. */
#ifndef PROBELOCK_RUNNER_H
#define PROBELOCK_RUNNER_H

#include <stddef.h>
#include <stdio.h>

#include "scenario.h"

struct run_opts {
	const char *results_root;  /* default "results" */
	const char *only;          /* cell filter, or NULL */
	unsigned shard_k, shard_n; /* 1/1: everything */
	int dry_run;
	const char *resume_dir;    /* a run folder to complete, or NULL */
	const char *bin_dir;       /* where echod and tcpecho are */
	const char *cmdline;       /* for env.json */
	int progress_tty;          /* redraw one progress line instead of a line per cell */
};

/* Exit codes of probelock run. */
enum {
	RUN_OK = 0,          /* every expectation held */
	RUN_FAILED = 1,      /* some expectation failed, or a cell broke */
	RUN_USAGE = 2,
	RUN_INFRA = 3,       /* a step of the harness itself failed: err says which */
	RUN_INTERRUPTED = 130,
};

/* Runs the cells of sc. Prints progress and the verdict table on stdout.
 * Returns one of the codes above; err is set for RUN_INFRA/RUN_USAGE. */
int runner_run(const struct scenario *sc, const struct run_opts *o, char *err, size_t errlen);

/* Regenerates summary.csv and junit.xml of a run folder from its cells.jsonl
 * (a cut last line is skipped). sc gives the matrix keys. Returns 0 or -1. */
int runner_write_reports(const char *rundir, const struct scenario *sc, char *err, size_t errlen);

/* Joins the run folders of shards (run from the same scenario file, which
 * is checked) into a new run under results_root: cells.jsonl, cells/<id>/,
 * env.json with merged_from, the reports. A cell present twice is taken
 * once. Returns 0 with the new folder in out, or -1 with err. */
int runner_merge(char *const dirs[], int n, const struct scenario *sc, const char *results_root,
                 char *out, size_t outlen, char *err, size_t errlen);

/* Prints the verdict table of a run folder: cell, outcome, how it ended,
 * detection latency, stall causes, verdict. */
void runner_print_table(const char *rundir, FILE *out);

/* Reads the ids of the finished cells of cells.jsonl (one per line); skips
 * a line that does not parse (the cut last line of a killed run). Returns the
 * number read, or -1 when the file cannot be read. *ids is malloc'ed. */
int runner_done_ids(const char *jsonl, char ***ids, size_t *n);

#endif
