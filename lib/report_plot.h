/* report_plot: the run's plots (gnuplot): throughput, the stall map, the targets'
 * comparison. Internal to lib/report*.c. */
#ifndef PROBELOCK_REPORT_PLOT_H
#define PROBELOCK_REPORT_PLOT_H

#include "report_int.h"

/* The run's plots in pdir (plots/): throughput, the stall map, the targets' comparison,
 * each as .gp, .dat, .png and .svg. *have_map and *have_targets say whether the stall map
 * and the targets' plot were drawn. Returns 0, or -1 with err. */
int report_plots(const char *rundir, const char *pdir, const struct scenario *sc, struct cells *c, int *have_map,
                 int *have_targets, char *err, size_t errlen);

#endif
