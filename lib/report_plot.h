/* report_plot: the run's plots (gnuplot): throughput, the stall map, the targets'
 * comparison. Internal to lib/report*.c. */
#ifndef PROBELOCK_REPORT_PLOT_H
#define PROBELOCK_REPORT_PLOT_H

#include "report_int.h"

/* The run's plots in pdir (plots/): throughput, the stall map, the targets' comparison,
 * each as .gp, .dat, .png and .svg; bl: baseline.json's measurements (NULL: none). *have_map and *have_targets say whether the stall map
 * and the targets' plot were drawn. Returns 0, or -1 with err. */
int report_plots(json_t *bl, const char *pdir, const struct scenario *sc, struct cells *c, int *have_map,
                 int *have_targets, char *err, size_t errlen);

/* Shared by report_plot*.c (the run's plots). */
/* More than any matrix has: an axis is a schema key, each at most once (report_plots
 * refuses a larger one rather than draw it wrong). */
#define RP_MAX_AXES 64

/* A set of matrix axes; its combinations are numbered 0..ncombo-1, the first axis slowest. */
struct rp_group {
	int a[RP_MAX_AXES];
	size_t n, ncombo;
};

/* What the runs of one matrix position (a value on some axes) did. */
struct rp_agg {
	unsigned expected;     /* scenario cells at the position, repeats included */
	unsigned ran, completed, deadlocks;
	double sum, min, max;  /* throughput (Mbit/s) of the completed runs */
	double stall_max;      /* longest stall total (s) of the runs */
};

FILE *rp_open(const char *dir, const char *name, char *err, size_t errlen);
/* s as a double-quoted gnuplot string. */
void rp_string(FILE *f, const char *s);
/* The group of sc's axes other than those in skip (-1 entries ignored). */
void rp_group_except(const struct scenario *sc, const int *skip, size_t nskip, struct rp_group *g);
/* Combination combo of g as "key=value, key=value" ("" for an empty group). */
void rp_group_label(const struct scenario *sc, const struct rp_group *g, size_t combo, char *out, size_t len);
/* What the runs did at every position, in one pass over the cells: entry v * g->ncombo + combo
 * holds the runs whose value index on axis ax is v (ax -1: any, v 0) and whose combination
 * of g is combo (ax not in g). To free(); NULL when out of memory. */
struct rp_agg *rp_aggregate(const struct scenario *sc, const struct cells *c, int ax, const struct rp_group *g);
/* bl: baseline.json's measurements, or NULL. */
int rp_throughput(json_t *bl, const char *pdir, const struct scenario *sc, struct cells *c, char *err,
                  size_t errlen);
int rp_stallmap(const char *pdir, const struct scenario *sc, struct cells *c, char *err, size_t errlen);

#endif
