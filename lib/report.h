/* report: a run folder's plots (gnuplot) and its report (report.md, and
 * report.html rendered with cmark-gfm, images inlined, one self-contained file). */
#ifndef PROBELOCK_REPORT_H
#define PROBELOCK_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "scenario.h"

/* The whole records of rundir/cells.jsonl, in order, into *v (n of them). A
 * line that is not one (cut when a run was killed while writing it) is
 * skipped and, when warn is not NULL, said so there with file:line. Returns
 * 0, or -1 with err when the file cannot be read. Free with report_cells_free. */
int report_cells_load(const char *rundir, json_t ***v, size_t *n, FILE *warn, char *err,
                      size_t errlen);
void report_cells_free(json_t **v, size_t n);

/* (Re)generates rundir/plots/ and rundir/report.{md,html} from cells.jsonl,
 * env.json and baseline.json (if any), and re-renders each cell's kept
 * time-sequence graph. Deterministic: the same folder gives the same report.
 * Returns 0, or -1 with err. */
int report_generate(const char *rundir, const struct scenario *sc, char *err, size_t errlen);

/* The one-sentence verdict of a run ("Probe deadlock reproduced in 2 of 15
 * cells: client.mode=blocking, client.payload >= 120000."), for the report
 * and the terminal. */
int report_verdict(const char *rundir, const struct scenario *sc, char *out, size_t len);

#endif
