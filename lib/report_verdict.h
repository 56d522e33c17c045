/* report_verdict: the one-sentence verdict of a run, for the report and the terminal. */
#ifndef PROBELOCK_REPORT_VERDICT_H
#define PROBELOCK_REPORT_VERDICT_H

#include <stddef.h>

#include "results.h"
#include "scenario.h"

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
