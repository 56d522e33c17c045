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
	RUN_EV_BASELINE_NONE, /* text: why no baseline measurement succeeded (after the warnings) */
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

/* The cells a new run selects (sel: --only, --shard), as indexes into sc->cells in the
 * scenario's order (todo, *ntodo; ids, when not NULL, gets their ids). A bad filter, or one
 * that names no cell of sc, is -1 with err. todo and ids hold sc->ncells. */
int runner_select(const struct scenario *sc, const struct results_sel *sel, unsigned *todo, unsigned *ntodo,
                  const char **ids, char *err, size_t errlen);

/* What a resume of the folder res runs: the cells it expects that have no record yet, in the
 * folder's order. The selection given now (sel), if any, must be the folder's own: another
 * --only, or a --shard other than 1/1 and the folder's, is -1 with err. */
int runner_resume_select(const struct scenario *sc, const struct results *res, const struct results_sel *sel,
                         unsigned *todo, unsigned *ntodo, char *err, size_t errlen);

/* Runs the cells of sc, telling o->on_event what happens. Returns one of the codes above;
 * err is set for RUN_INFRA/RUN_USAGE. */
int runner_run(const struct scenario *sc, const struct run_opts *o, char *err, size_t errlen);

#endif
