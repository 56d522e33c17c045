/* runner: runs a scenario's cells (probelock run): targets, echod, capture,
 * tcpecho, analysis, expectations, and the results folder. */
#ifndef PROBELOCK_RUNNER_H
#define PROBELOCK_RUNNER_H

#include <stddef.h>
#include <stdio.h>

#include "results.h"
#include "scenario.h"

/* What a run tells its caller as it goes; the main prints it (lib/ never prints). */
enum run_event_kind {
	RUN_EV_DRY_CELL,      /* id: a cell a --dry-run would run */
	RUN_EV_DRY_DONE,      /* total: how many */
	RUN_EV_EMPTY_SHARD,   /* text: "K/N"; no cell of the scenario is in this shard, nothing runs */
	RUN_EV_START,         /* dir, total: the run folder and the cells this invocation runs */
	RUN_EV_BASELINE,      /* id: target, text: tool, value: Mbit/s */
	RUN_EV_BASELINE_WARNING, /* text */
	RUN_EV_CELL_START,    /* id, done (cells finished before it), total, elapsed_s */
	RUN_EV_CELL_DONE,     /* id, rec (the cell's record), done, total, elapsed_s, eta_s */
	RUN_EV_PARTIAL,       /* dir: an infrastructure error stopped the run; the reports of what ran are there */
	RUN_EV_INTERRUPTED,   /* sig, done, total, dir, text: the scenario file to resume with */
	RUN_EV_FINISHED,      /* res: the folder's model (complete or not), sc: the scenario */
};

struct run_event {
	enum run_event_kind kind;
	const char *id, *dir, *text;
	unsigned done, total;
	double elapsed_s, eta_s, value;
	int sig;
	json_t *rec;
	const struct results *res;
	const struct scenario *sc;
};

typedef void (*run_event_fn)(void *arg, const struct run_event *ev);

struct run_opts {
	const char *results_root;  /* default "results" */
	const char *only;          /* cell filter, or NULL */
	unsigned shard_k, shard_n; /* 1/1: everything */
	int dry_run;
	const char *resume_dir;    /* a run folder to complete, or NULL */
	const char *bin_dir;       /* where echod and tcpecho are */
	const char *cmdline;       /* for env.json */
	run_event_fn on_event;     /* may be NULL */
	void *event_arg;
};

/* Exit codes of probelock run. */
enum {
	RUN_OK = 0,          /* every expectation held */
	RUN_FAILED = 1,      /* some expectation failed, or a cell broke */
	RUN_USAGE = 2,
	RUN_INFRA = 3,       /* a step of the harness itself failed: err says which */
	RUN_INTERRUPTED = 130,
};

/* Runs the cells of sc, telling o->on_event what happens. Returns one of the codes above;
 * err is set for RUN_INFRA/RUN_USAGE. */
int runner_run(const struct scenario *sc, const struct run_opts *o, char *err, size_t errlen);

/* Writes summary.csv and junit.xml of a run folder from its model, every expected cell in
 * the scenario's order (a missing one as "missing" / a junit error of type "missing"); sc
 * gives the matrix keys. Returns 0 or -1 with err naming the file. */
int runner_write_reports(const struct results *res, const struct scenario *sc, char *err, size_t errlen);

/* Joins run folders of one scenario (its identity checked, the same --only) into a new run
 * under results_root: run.json expecting every cell of the selection whatever shard ran it,
 * cells.jsonl, cells/<id>/, env.json with each shard's command, the reports. A cell present
 * twice is taken once (the first folder given). Returns 0 when every expected cell is there
 * and held, 1 when some failed, broke or are missing, -2 (err) when the folders are not of
 * one run, -1 (err) on a file error; out gets the new folder. */
int runner_merge(char *const dirs[], int n, const struct scenario *sc, const char *results_root,
                 const char *cmdline, char *out, size_t outlen, char *err, size_t errlen);

/* The shards "K/N" that none of the folders ran ("" when all are there or unknown). */
void runner_missing_shards(char *const dirs[], int n, char *out, size_t len);

/* One row of the verdict table of a run folder, for a main to print: cell, outcome, how it
 * ended, detection latency, stall causes, verdict (a missing cell as MISSING). With c NULL,
 * the header. */
void runner_table_row(const struct results_cell *c, char *out, size_t len);

#endif
