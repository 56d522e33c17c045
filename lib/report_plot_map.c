/* report_plot_map: the stall map: a square per matrix position, x and y two of the matrix's
 * axes (one axis: a single row), a panel per combination of the other axes. A square's colour
 * is the longest stall of its runs (from 0); probe deadlocks are purple with how many of the
 * runs deadlocked; positions with no run are hatched grey, "not run". */
#include "report_plot.h"
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The map's axes: x the payload (or the first axis other than the mode and the target),
 * y the next such axis, else the mode, else the target (-1: one axis, a single row);
 * the panels every other axis. */
static void map_axes(const struct scenario *sc, int *ax, int *ay, struct rp_group *panels)
{
	int am = axis_of(sc, "client.mode"), at = axis_of(sc, "target.kind"), skip[2];

	*ax = axis_of(sc, "client.payload");
	for (size_t a = 0; a < sc->naxes && *ax < 0; a++)
		if ((int)a != am && (int)a != at)
			*ax = (int)a;
	if (*ax < 0)
		*ax = 0;
	*ay = -1;
	for (size_t a = 0; a < sc->naxes && *ay < 0; a++)
		if ((int)a != *ax && (int)a != am && (int)a != at)
			*ay = (int)a;
	if (*ay < 0)
		*ay = am >= 0 && am != *ax ? am : at >= 0 && at != *ax ? at : -1;
	skip[0] = *ax;
	skip[1] = *ay;
	rp_group_except(sc, skip, 2, panels);
}

/* How many squares of a panel are of each kind: stalled or not, deadlocked, not run. */
struct map_kinds {
	unsigned plain, deadlock, notrun;
};

/* stallmap-P.dat: a line per square: x y stall_s deadlocks runs expected "label". tab:
 * rp_aggregate's table on ax by the group squares (the panels' axes, then ay when >= 0). */
static int map_data(const char *pdir, const struct scenario *sc, const struct rp_agg *tab,
                    const struct rp_group *squares, int ax, int ay, size_t p, struct map_kinds *k, char *err,
                    size_t errlen)
{
	size_t ny = ay >= 0 ? sc->axes[ay].n : 1;
	char name[64];
	FILE *d;

	snprintf(name, sizeof name, "stallmap-%zu.dat", p);
	d = rp_open(pdir, name, err, errlen);
	if (!d)
		return -1;
	memset(k, 0, sizeof *k);
	fprintf(d, "# x y stall_s deadlocks runs expected label (stall_s: the longest stall of the runs; "
	           "NaN: not run)\n");
	for (size_t y = 0; y < ny; y++) {
		for (size_t x = 0; x < sc->axes[ax].n; x++) {
			/* The square: the panel's combination, then y. */
			struct rp_agg a = tab[x * squares->ncombo + p * ny + y];
			char label[80];
			size_t o = 0;

			if (!a.ran) {
				fprintf(d, "%zu %zu NaN 0 0 %u \"not run\"\n", x, y, a.expected);
				k->notrun++;
				continue;
			}
			if (a.deadlocks && a.ran > 1)
				app(label, sizeof label, &o, "%u/%u deadlock, ", a.deadlocks, a.ran);
			else if (a.deadlocks)
				app(label, sizeof label, &o, "deadlock, ");
			app(label, sizeof label, &o, "%s%.2f s", a.ran > 1 ? "max " : "", a.stall_max);
			if (a.ran < a.expected)
				app(label, sizeof label, &o, " (%u of %u ran)", a.ran, a.expected);
			fprintf(d, "%zu %zu %.3f %u %u %u \"%s\"\n", x, y, a.stall_max, a.deadlocks, a.ran, a.expected, label);
			if (a.deadlocks)
				k->deadlock++;
			else
				k->plain++;
		}
		fputc('\n', d);
	}
	if (fclose(d) != 0) {
		snprintf(err, errlen, "report: %s/%s: write error", pdir, name);
		return -1;
	}
	return 0;
}

/* The plot command of panel p: only the clauses that have squares (gnuplot warns about
 * a clause without a point). */
static void map_panel(FILE *gp, size_t p, const struct map_kinds *k)
{
	const char *sep = "plot ";

	fprintf(gp, "set style fill solid 1.0 noborder\n");
	if (k->plain) {
		fprintf(gp, "%s'stallmap-%zu.dat' using 1:($4 == 0 && $5 > 0 ? $2 : 1/0):(0.5):(0.5):3 "
		            "with boxxyerror fc palette", sep, p);
		sep = ", \\\n     ";
	}
	if (k->deadlock) {
		fprintf(gp, "%s'stallmap-%zu.dat' using 1:($4 > 0 ? $2 : 1/0):(0.5):(0.5) with boxxyerror fc rgb '#4a148c', \\\n"
		            "     '' using 1:($4 > 0 ? $2 : 1/0):7 with labels font ',10' tc rgb '#ffffff'", sep, p);
		sep = ", \\\n     ";
	}
	if (k->notrun) {
		fprintf(gp, "%s'stallmap-%zu.dat' using 1:($5 == 0 ? $2 : 1/0):(0.5):(0.5) with boxxyerror "
		            "fs pattern 4 border lc rgb '#9e9e9e' fc rgb '#9e9e9e'", sep, p);
		sep = ", \\\n     ";
	}
	fprintf(gp, "%s'stallmap-%zu.dat' using 1:($4 == 0 ? $2 : 1/0):7 with labels font ',10' tc rgb '#000000'\n",
	        sep, p);
}

/* The script's settings: the colour range from 0 to the longest stall, the ticks. */
static void map_head(FILE *gp, const struct scenario *sc, struct cells *c, int ax, int ay, size_t np)
{
	size_t cols = np < 3 ? np : 3, rows = (np + cols - 1) / cols, ny = ay >= 0 ? sc->axes[ay].n : 1;
	size_t panel_w = 170 * sc->axes[ax].n + 200; /* room for "2/3 deadlock, max 0.55 s" a square */
	double maxst = 0.1;

	for (size_t i = 0; i < c->n; i++)
		if (num(json_object_get(c->v[i], "stall"), "total_s") > maxst)
			maxst = num(json_object_get(c->v[i], "stall"), "total_s");
	if (panel_w < (cols > 1 ? 560 : 800))
		panel_w = cols > 1 ? 560 : 800;
	plot_terminal(gp, "stallmap", (int)(panel_w * cols), (int)(rows * (ny > 1 ? 560 : 300) + 60));
	fprintf(gp, "set palette defined (0 '#ffffff', %.3f '#ffb74d', %.3f '#c62828')\n"
	            "set cbrange [0:%.3f]\nset cblabel 'stall time (s)%s'\n"
	            "set xlabel '%s'\nset ylabel '%s'\nset tics scale 0\nunset key\nset xtics (",
	        maxst / 2, maxst, maxst, sc->repeat > 1 ? ", longest of the repeats" : "",
	        scenario_axis_key(sc, (size_t)ax), ay >= 0 ? scenario_axis_key(sc, (size_t)ay) : "");
	for (size_t x = 0; x < sc->axes[ax].n; x++)
		fprintf(gp, "%s\"%s\" %zu", x ? ", " : "", sc->axes[ax].values[x].raw, x);
	fprintf(gp, ")\n");
	if (ay >= 0) {
		fprintf(gp, "set ytics (");
		for (size_t y = 0; y < ny; y++)
			fprintf(gp, "%s\"%s\" %zu", y ? ", " : "", sc->axes[ay].values[y].raw, y);
		fprintf(gp, ")\n");
	} else {
		fprintf(gp, "unset ytics\n");
	}
	fprintf(gp, "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", sc->axes[ax].n - 1, ny - 1);
	fprintf(gp, "set multiplot layout %zu,%zu title \"%s: stall time per %s\\n(purple: probe deadlock%s; "
	            "hatched: not run)\"\n",
	        rows, cols, sc->name, sc->repeat > 1 ? "matrix position, longest of its repeats" : "cell",
	        sc->repeat > 1 ? ", k/N: in k of the N repeats" : "");
}

/* Returns 1 when drawn, 0 when the matrix has no axis to draw it on, -1 on error. */
int rp_stallmap(const char *pdir, const struct scenario *sc, struct cells *c, char *err, size_t errlen)
{
	struct rp_group panels, squares;
	struct rp_agg *tab;
	int ax, ay;
	FILE *gp;

	if (!sc->naxes)
		return 0;
	map_axes(sc, &ax, &ay, &panels);
	squares = panels;
	if (ay >= 0)
		squares.a[squares.n++] = ay, squares.ncombo *= sc->axes[ay].n;
	tab = rp_aggregate(sc, c, ax, &squares);
	if (!tab) {
		snprintf(err, errlen, "report: out of memory");
		return -1;
	}
	gp = rp_open(pdir, "stallmap.gp", err, errlen);
	if (!gp) {
		free(tab);
		return -1;
	}
	map_head(gp, sc, c, ax, ay, panels.ncombo);
	for (size_t p = 0; p < panels.ncombo; p++) {
		struct map_kinds k;
		char title[400];

		if (map_data(pdir, sc, tab, &squares, ax, ay, p, &k, err, errlen) < 0) {
			fclose(gp);
			free(tab);
			return -1;
		}
		rp_group_label(sc, &panels, p, title, sizeof title);
		fprintf(gp, "set title ");
		rp_string(gp, title);
		fputc('\n', gp);
		map_panel(gp, p, &k);
	}
	fprintf(gp, "unset multiplot\n");
	free(tab);
	if (fclose(gp) != 0) {
		snprintf(err, errlen, "report: %s/stallmap.gp: write error", pdir);
		return -1;
	}
	return plot_render(pdir, "stallmap.gp", err, errlen) < 0 ? -1 : 1;
}
