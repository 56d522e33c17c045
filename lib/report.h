/* report: a run folder's plots (gnuplot) and its report (report.md, and
 * report.html rendered with cmark-gfm, images inlined, one self-contained file). */
#ifndef PROBELOCK_REPORT_H
#define PROBELOCK_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "results.h"
#include "scenario.h"

/* (Re)generates plots/ and report.{md,html} of the run folder res from its model, env.json
 * and baseline.json (if any), and re-renders each cell's kept time-sequence graph. The
 * report says how many cells were expected, ran and are missing, and names the missing.
 * Deterministic: the same folder gives the same report. Returns 0, or -1 with err. */
int report_generate(const struct results *res, const struct scenario *sc, char *err, size_t errlen);

/* The one-sentence verdict of a run, for the report and the terminal. Where the deadlocks
 * were is said only in claims that hold for every cell they cover: "Probe deadlock
 * reproduced in 2 of 15 cells: client.payload >= 120000, client.mode=blocking." when those
 * conditions (one per axis, in the matrix's order) pick out exactly the deadlocked cells;
 * else a clause per part of the matrix: "Probe deadlock reproduced in 3 of 30 cells
 * (target.kind=loopback: client.payload >= 120000, client.mode=blocking; target.kind=lwip:
 * client.payload >= 300000, client.mode=blocking).", with "all N cells", "none of N cells"
 * and, where the repeats of one matrix position disagree, "deadlocked in K of N repeats".
 * It says INCOMPLETE and names missing cells when some did not run, and never "Every
 * expectation held" then. Cut to len, never past it. 0, or -1 with the reason in out. */
int report_verdict(const struct results *res, const struct scenario *sc, char *out, size_t len);

#endif
