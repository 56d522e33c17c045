/* report: a run folder's plots (gnuplot) and its report (report.md, and
 * report.html rendered with cmark-gfm, images inlined, one self-contained file). */
#ifndef PROBELOCK_REPORT_H
#define PROBELOCK_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "results.h"
#include "scenario.h"
#include "report_verdict.h"

/* (Re)generates plots/ and report.{md,html} of the run folder res from its model, env.json
 * and baseline.json (if any), and re-renders each cell's kept time-sequence graph. The
 * report says how many cells were expected, ran and are missing, and names the missing.
 * Deterministic: the same folder gives the same report. Returns 0, or -1 with err. */
int report_generate(const struct results *res, const struct scenario *sc, char *err, size_t errlen);

#endif
