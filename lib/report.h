/* report: a run folder's plots (gnuplot) and its report (report.md, and
 * report.html rendered with cmark-gfm, images inlined, one self-contained file). */
#ifndef PROBELOCK_REPORT_H
#define PROBELOCK_REPORT_H

#include <stddef.h>

#include "scenario.h"

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
