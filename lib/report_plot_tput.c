/* report_plot_tput: echoed throughput against one matrix axis (the payload if it is one,
 * else the first numeric axis, else the first axis with its values as categories), a series
 * per combination of the other axes; repeats as their mean with min-max bars; deadlocked
 * positions as crosses at the bottom; the iperf baselines as reference lines. */
#include "report_plot.h"
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How the x axis is laid out and what the plot holds. */
struct tput {
	int ax;            /* the x axis (-1: no matrix, one position) */
	int numeric;       /* x at the values' numbers, else at 0..n-1 */
	struct rp_group series;
	struct rp_agg *agg; /* rp_aggregate's table on ax by series */
	double floor_y;    /* where deadlock markers sit */
	int logy;
	unsigned points;   /* rows written: completed or deadlocked */
	int *rows;         /* per series: completed positions */
	unsigned *dls;     /* per series: deadlocked positions */
	unsigned *dl_n;    /* per x position: the series that deadlocked there */
	unsigned *dl_seen; /* ...and how many of them are written so far */
};

static int axis_numeric(const struct scenario *sc, int a)
{
	double x;

	for (size_t v = 0; v < sc->axes[a].n; v++)
		if (scenario_value_number(scenario_axis_key(sc, (size_t)a), sc->axes[a].values[v].raw, &x) < 0 || x <= 0)
			return 0;
	return 1;
}

static void tput_axes(const struct scenario *sc, struct tput *t)
{
	int at = axis_of(sc, "target.kind");

	t->ax = axis_of(sc, "client.payload");
	for (size_t a = 0; a < sc->naxes && t->ax < 0; a++)
		if ((int)a != at && axis_numeric(sc, (int)a))
			t->ax = (int)a;
	for (size_t a = 0; a < sc->naxes && t->ax < 0; a++)
		if ((int)a != at)
			t->ax = (int)a;
	if (t->ax < 0 && sc->naxes)
		t->ax = 0;
	t->numeric = t->ax >= 0 && axis_numeric(sc, t->ax);
	rp_group_except(sc, &t->ax, 1, &t->series);
}

/* x of value v of series s: its number, or its category shifted a little per series. */
static double tput_x(const struct scenario *sc, const struct tput *t, size_t v, size_t s)
{
	double x = 0;

	if (t->numeric) {
		scenario_value_number(scenario_axis_key(sc, (size_t)t->ax), sc->axes[t->ax].values[v].raw, &x);
		return x;
	}
	return (double)v + ((double)s - (double)(t->series.ncombo - 1) / 2) * 0.3 / (double)t->series.ncombo;
}

/* The y range: values from a few Mbit/s (a shaped link) to Gbit/s (loopback, the
 * baselines) only read on a log axis. */
static void tput_yscale(struct cells *c, json_t *bl, struct tput *t)
{
	double lo = 0, hi = 0;
	size_t bi;
	json_t *e;

	for (size_t i = 0; i < c->n; i++)
		if (is_completed(c->v[i]) && mbps(c->v[i]) > 0) {
			double v = mbps(c->v[i]);

			lo = lo == 0 || v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	json_array_foreach(json_object_get(bl, "targets"), bi, e) {
		double v = num(e, "mbps");

		lo = lo == 0 || v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	t->logy = lo > 0 && hi / lo > 50;
	t->floor_y = t->logy ? lo / 2 : 0;
}

/* throughput-S.dat (completed runs of series s, in x order) and s's deadlocks appended to
 * dd (with s). Returns the number of rows of throughput-S.dat, or -1; *ndl gets s's
 * deadlocked positions. */
static int tput_series(const char *pdir, const struct scenario *sc, struct tput *t, size_t s,
                       FILE *dd, unsigned *ndl, char *err, size_t errlen)
{
	size_t nv = t->ax >= 0 ? sc->axes[t->ax].n : 1, *order = calloc(nv, sizeof *order);
	char name[64];
	int rows = 0;
	FILE *d;

	if (!order) {
		snprintf(err, errlen, "report: out of memory");
		return -1;
	}
	for (size_t v = 0; v < nv; v++) { /* numeric x in increasing order, for the lines */
		size_t j = v;

		for (; j > 0 && tput_x(sc, t, order[j - 1], s) > tput_x(sc, t, v, s); j--)
			order[j] = order[j - 1];
		order[j] = v;
	}
	snprintf(name, sizeof name, "throughput-%zu.dat", s);
	d = rp_open(pdir, name, err, errlen);
	if (!d) {
		free(order);
		return -1;
	}
	fprintf(d, "# x mean_Mbps min_Mbps max_Mbps completed runs (of the completed repeats)\n");
	for (size_t k = 0; k < nv; k++) {
		const struct rp_agg a = t->agg[order[k] * t->series.ncombo + s];
		double x = tput_x(sc, t, order[k], s);

		if (a.deadlocks) {
			/* On a numeric (log) x, the crosses of the series that deadlocked at one x side by
			 * side, so that none hides another (categorical x is offset per series already). */
			unsigned rank = t->dl_seen[order[k]]++, n = t->dl_n[order[k]];
			double dx = t->numeric && n > 1 ? 1 + 0.05 * ((double)rank - (double)(n - 1) / 2) : 1;

			fprintf(dd, "%.6g %.6f \"%u/%u\" %zu\n", x * dx, t->floor_y, a.deadlocks, a.ran, s);
			t->points++;
			(*ndl)++;
		}
		if (a.completed) {
			fprintf(d, "%.6g %.3f %.3f %.3f %u %u\n", x, a.sum / a.completed, a.min, a.max, a.completed, a.ran);
			rows++;
			t->points++;
		}
	}
	free(order);
	if (fclose(d) != 0) {
		snprintf(err, errlen, "report: %s/%s: write error", pdir, name);
		return -1;
	}
	return rows;
}

/* The title and the axes: what x is, what a point is, and the payload when not on x. */
static void tput_head(FILE *gp, const struct scenario *sc, struct cells *c, const struct tput *t)
{
	const char *xkey = t->ax >= 0 ? scenario_axis_key(sc, (size_t)t->ax) : "cell";
	const char *pay = c->n ? cfg(c->v[0], "client.payload") : "";
	int same = 1;

	for (size_t i = 1; i < c->n; i++)
		same &= !strcmp(cfg(c->v[i], "client.payload"), pay);
	plot_terminal(gp, "throughput", 1100, 650);
	fprintf(gp, "set title \"%s: echoed throughput vs %s", sc->name, xkey);
	if (sc->repeat > 1)
		fprintf(gp, "\\npoints: mean of the completed of %u repeats, bars: their min and max", sc->repeat);
	if (t->ax != axis_of(sc, "client.payload") && same)
		fprintf(gp, "\\npayload %s bytes in every cell", pay);
	else if (t->ax != axis_of(sc, "client.payload"))
		fprintf(gp, "\\nthe payload differs between series: throughput depends on the transfer size");
	fprintf(gp, "\"\nset grid\nset key below\nset ylabel 'echoed throughput (Mbit/s%s)'\n", t->logy ? ", log scale" : "");
	if (t->logy)
		fprintf(gp, "set logscale y\nset yrange [%.6f:*]\n", t->floor_y);
	else
		fprintf(gp, "set yrange [0:*]\n");
	fprintf(gp, "set xlabel '%s (%s%s)'\nset xtics (", xkey, t->ax >= 0 && t->ax == axis_of(sc, "client.payload") ?
	        "bytes, " : "", t->numeric ? "log scale" : t->ax >= 0 ? "its values" : "no matrix");
	for (size_t v = 0; t->ax >= 0 && v < sc->axes[t->ax].n; v++)
		fprintf(gp, "%s\"%s\" %.6g", v ? ", " : "", sc->axes[t->ax].values[v].raw,
		        t->numeric ? tput_x(sc, t, v, 0) : (double)v);
	fprintf(gp, "%s)\n", t->ax < 0 ? "\"the scenario's one cell\" 0" : "");
	if (t->numeric) { /* the matrix's whole x range, ran or not (one point: no empty range) */
		double lo = tput_x(sc, t, 0, 0), hi = lo;

		for (size_t v = 1; v < sc->axes[t->ax].n; v++) {
			lo = tput_x(sc, t, v, 0) < lo ? tput_x(sc, t, v, 0) : lo;
			hi = tput_x(sc, t, v, 0) > hi ? tput_x(sc, t, v, 0) : hi;
		}
		fprintf(gp, "set logscale x\nset xrange [%.6g:%.6g]\nset offsets 0, 0, graph 0.05, 0\n", lo / 1.25,
		        hi * 1.25);
	} else
		fprintf(gp, "set xrange [-0.5:%zu.5]\nset offsets 0, 0, graph 0.05, 0\n",
		        t->ax >= 0 ? sc->axes[t->ax].n - 1 : 0);
}

/* The data of every series: throughput-S.dat, throughput-deadlock.dat; t->rows and t->dls. */
static int tput_data(const char *pdir, const struct scenario *sc, struct tput *t, char *err,
                     size_t errlen)
{
	FILE *dd = rp_open(pdir, "throughput-deadlock.dat", err, errlen);

	if (!dd)
		return -1;
	fprintf(dd, "# x y deadlocked/runs series (positions where a run deadlocked)\n");
	for (size_t s = 0; s < t->series.ncombo; s++)
		for (size_t v = 0; t->ax >= 0 && v < sc->axes[t->ax].n; v++)
			t->dl_n[v] += t->agg[v * t->series.ncombo + s].deadlocks > 0;
	for (size_t s = 0; s < t->series.ncombo; s++) {
		t->rows[s] = tput_series(pdir, sc, t, s, dd, &t->dls[s], err, errlen);
		if (t->rows[s] < 0) {
			fclose(dd);
			return -1;
		}
	}
	if (fclose(dd) != 0) {
		snprintf(err, errlen, "report: %s/throughput-deadlock.dat: write error", pdir);
		return -1;
	}
	return 0;
}

/* The style of series s: gnuplot's 8 colours, then dashed lines and other points. */
static void series_style(FILE *gp, size_t s)
{
	static const int pts[] = { 7, 5, 9, 11, 13 };

	fprintf(gp, " lt %zu dt %zu pt %d", s % 8 + 1, s / 8 % 5 + 1, pts[s / 8 % 5]);
}

/* The plot command: a clause per series that has a completed run, its deadlocks as
 * crosses at the bottom in the same colour, a little aside per series (k/N above them,
 * stacked per series, when repeated), the baselines. */
static void tput_plot(FILE *gp, const struct scenario *sc, const struct tput *t, json_t *bl)
{
	const char *with = t->numeric ? (sc->repeat > 1 ? "yerrorlines" : "linespoints") :
	                                (sc->repeat > 1 ? "yerrorbars" : "points");
	const char *sep = "plot ";
	char title[400];
	size_t bi, stack = 0, o;
	json_t *e;

	for (size_t s = 0; s < t->series.ncombo; s++) {
		rp_group_label(sc, &t->series, s, title, sizeof title);
		if (t->rows[s]) {
			fprintf(gp, "%s'throughput-%zu.dat' using 1:2%s with %s lw 2", sep, s, sc->repeat > 1 ? ":3:4" : "",
			        with);
			series_style(gp, s);
			fprintf(gp, " title ");
			rp_string(gp, title[0] ? title : "completed");
			sep = ", \\\n     ";
		}
		if (!t->dls[s])
			continue;
		fprintf(gp, "%s'throughput-deadlock.dat' using 1:($4 == %zu ? $2 : 1/0) with points pt 2 ps 2.5 lw 3 lt %zu "
		            "title ", sep, s, s % 8 + 1);
		o = strlen(title);
		app(title, sizeof title, &o, "%sprobe deadlock, nothing echoed (crosses at the bottom%s)", o ? ": " : "",
		    sc->repeat > 1 ? "; k/N: in k of N runs" : "");
		rp_string(gp, title);
		if (sc->repeat > 1)
			fprintf(gp, ", \\\n     '' using 1:($4 == %zu ? $2 : 1/0):3 with labels offset 0,%.1f tc lt %zu notitle",
			        s, 1.5 + 1.2 * (double)stack++, s % 8 + 1);
		sep = ", \\\n     ";
	}
	json_array_foreach(json_object_get(bl, "targets"), bi, e) {
		snprintf(title, sizeof title, "%s baseline, %s: %.0f Mbit/s", str(e, "tool"), str(e, "target"), num(e, "mbps"));
		fprintf(gp, "%s%.3f with lines dt %d lw 2 lc rgb '#444444' title ", sep, num(e, "mbps"), 2 + (int)bi);
		rp_string(gp, title);
		sep = ", \\\n     ";
	}
	fputc('\n', gp);
}

/* No cell completed or deadlocked (resets, alarms, errors): an empty frame that says so,
 * rather than no plot at all. */
static int tput_empty(const char *pdir, const struct scenario *sc, char *err, size_t errlen)
{
	FILE *gp = rp_open(pdir, "throughput.gp", err, errlen);

	if (!gp)
		return -1;
	plot_terminal(gp, "throughput", 1100, 650);
	fprintf(gp, "set title \"%s: echoed throughput\"\n"
	            "set xlabel 'payload (bytes)'\nset ylabel 'echoed throughput (Mbit/s)'\n"
	            "set xrange [0:1]\nset yrange [0:1]\nunset xtics\nunset ytics\n"
	            "set label 1 'no cell completed or deadlocked: nothing to plot (see the table of cells)' "
	            "at graph 0.5, graph 0.5 center\n"
	            "plot 2 notitle\n", sc->name);
	fclose(gp);
	return plot_render(pdir, "throughput.gp", err, errlen);
}

int rp_throughput(json_t *bl, const char *pdir, const struct scenario *sc, struct cells *c, char *err,
                  size_t errlen)
{
	struct tput t = { 0 };
	FILE *gp = NULL;
	int rc = -1;

	tput_axes(sc, &t);
	tput_yscale(c, bl, &t);
	t.rows = calloc(t.series.ncombo, sizeof *t.rows);
	t.dls = calloc(t.series.ncombo, sizeof *t.dls);
	t.dl_n = calloc(t.ax >= 0 ? sc->axes[t.ax].n : 1, sizeof *t.dl_n);
	t.dl_seen = calloc(t.ax >= 0 ? sc->axes[t.ax].n : 1, sizeof *t.dl_seen);
	t.agg = rp_aggregate(sc, c, t.ax, &t.series);
	if (!t.rows || !t.dls || !t.dl_n || !t.dl_seen || !t.agg) {
		snprintf(err, errlen, "report: out of memory");
		goto out;
	}
	if (tput_data(pdir, sc, &t, err, errlen) < 0)
		goto out;
	if (!t.points) {
		rc = tput_empty(pdir, sc, err, errlen);
		goto out;
	}
	gp = rp_open(pdir, "throughput.gp", err, errlen);
	if (!gp)
		goto out;
	tput_head(gp, sc, c, &t);
	tput_plot(gp, sc, &t, bl);
	if (fclose(gp) != 0) {
		snprintf(err, errlen, "report: %s/throughput.gp: write error", pdir);
		goto out;
	}
	rc = plot_render(pdir, "throughput.gp", err, errlen);
out:
	free(t.rows);
	free(t.dls);
	free(t.dl_n);
	free(t.dl_seen);
	free(t.agg);
	return rc;
}
