/* summary: summary.csv, junit.xml and the verdict table's rows of a run folder. */
#ifndef PROBELOCK_SUMMARY_H
#define PROBELOCK_SUMMARY_H

#include <stddef.h>

#include "results.h"
#include "scenario.h"

/* Writes summary.csv and junit.xml of a run folder from its model, every expected cell in
 * the scenario's order (a missing one as "missing" / a junit error of type "missing"); sc
 * gives the matrix keys. Each file is written under a temporary name and renamed when whole.
 * Returns 0 or -1 with err naming the file. */
int summary_write(const struct results *res, const struct scenario *sc, char *err, size_t errlen);

/* The widest the verdict table's id column gets: a longer id is cut in the middle ("...") so
 * that the columns stay aligned. */
#define SUMMARY_ID_MAX 80

/* The width of the verdict table's id column for a run folder: its longest id (at least
 * "cell"), at most SUMMARY_ID_MAX. */
int summary_id_width(const struct results *res);

/* One row of the verdict table of a run folder, for a main to print: cell (in idw columns,
 * from summary_id_width), outcome, how it ended, detection latency, stall causes, verdict (a
 * missing cell as MISSING). With c NULL, the header. */
void summary_table_row(const struct results_cell *c, int idw, char *out, size_t len);

#endif
