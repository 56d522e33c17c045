/* report_plot: the run's plots (gnuplot): throughput, the stall map, the targets'
 * comparison; each written as a script and its data, rendered to PNG and SVG. */
#include "report_plot.h"
#include "plot.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *open_in(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[1400];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		snprintf(err, errlen, "report: %s: %s", path, strerror(errno));
	return f;
}

static void gp_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Throughput vs payload, a line per client mode (and target); deadlocked
 * cells as markers on the axis; the iperf baseline as a reference line. */
static int plot_throughput(const char *rundir, const char *pdir, const struct scenario *sc, struct cells *c,
                           char *err, size_t errlen)
{
	int ap = axis_of(sc, "client.payload"), am = axis_of(sc, "client.mode"), at = axis_of(sc, "target.kind");
	size_t nm = am >= 0 ? sc->axes[am].n : 1, nt = at >= 0 ? sc->axes[at].n : 1;
	json_t *bl = baselines(rundir), *e;
	FILE *gp, *dd;
	int series = 0, logy, points = 0;
	size_t bi;
	double floor_y;

	gp = open_in(pdir, "throughput.gp", err, errlen);
	if (!gp)
		return -1;
	plot_terminal(gp, "throughput", 1100, 650);
	fprintf(gp, "set title \"%s: echoed throughput vs payload\"\n", sc->name);
	/* Values from a few Mbit/s (a shaped link) to Gbit/s (loopback, the
	 * baselines) only read on a log axis. */
	{
		double lo = 0, hi = 0;

		for (size_t i = 0; i < c->n; i++)
			if (!strcmp(str(c->v[i], "outcome"), "completed") && mbps(c->v[i]) > 0) {
				double v = mbps(c->v[i]);

				lo = lo == 0 || v < lo ? v : lo;
				hi = v > hi ? v : hi;
			}
		json_array_foreach(json_object_get(bl, "targets"), bi, e) {
			double v = num(e, "mbps");

			lo = lo == 0 || v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		logy = lo > 0 && hi / lo > 50;
		floor_y = logy ? lo / 2 : 0;
	}
	fprintf(gp, "set grid\nset key below\nset ylabel 'echoed throughput (Mbit/s%s)'\n", logy ? ", log scale" : "");
	if (logy)
		fprintf(gp, "set logscale y\nset yrange [%.6f:*]\n", floor_y);
	else
		fprintf(gp, "set yrange [0:*]\n");
	if (ap >= 0) {
		fprintf(gp, "set logscale x 2\nset xlabel 'payload (bytes, log scale)'\nset xtics (");
		for (size_t v = 0; v < sc->axes[ap].n; v++) {
			double x = 0;

			scenario_value_number("client.payload", sc->axes[ap].values[v].raw, &x);
			fprintf(gp, "%s\"%s\" %.0f", v ? ", " : "", sc->axes[ap].values[v].raw, x);
		}
		fprintf(gp, ")\n");
	} else {
		fprintf(gp, "set xlabel 'cell'\nset xtics rotate by -30\n");
	}
	fprintf(gp, "set offsets graph 0.05, graph 0.05, graph 0.05, 0\nplot ");
	dd = open_in(pdir, "throughput-deadlock.dat", err, errlen);
	if (!dd) {
		fclose(gp);
		return -1;
	}
	fprintf(dd, "# x throughput_Mbps cell (deadlocked cells)\n");
	for (size_t t = 0; t < nt; t++) {
		for (size_t m = 0; m < nm; m++) {
			char name[64], title[160];
			FILE *d;
			int rows = 0;

			snprintf(name, sizeof name, "throughput-%zu-%zu.dat", t, m);
			d = open_in(pdir, name, err, errlen);
			if (!d) {
				fclose(gp);
				fclose(dd);
				return -1;
			}
			fprintf(d, "# x throughput_Mbps cell (mean of the repeats that completed)\n");
			for (size_t i = 0; i < c->n; i++) {
				json_t *l = c->v[i];
				double x;

				if ((am >= 0 && pick_of(c, i, am) != (int)m) || (at >= 0 && pick_of(c, i, at) != (int)t))
					continue;
				if (ap >= 0)
					scenario_value_number("client.payload", cfg(l, "client.payload"), &x);
				else
					x = (double)i;
				if (is_deadlock(l)) {
					fprintf(dd, "%.0f %.6f %s\n", x, floor_y, str(l, "id"));
					points++;
				}
				else if (!strcmp(str(l, "outcome"), "completed")) {
					fprintf(d, "%.0f %.3f %s\n", x, mbps(l), str(l, "id"));
					rows++;
					points++;
				}
			}
			fclose(d);
			if (!rows)
				continue;
			snprintf(title, sizeof title, "%s%s%s", am >= 0 ? sc->axes[am].values[m].raw : "completed",
			         at >= 0 ? " / " : "", at >= 0 ? sc->axes[at].values[t].raw : "");
			fprintf(gp, "%s'%s' using 1:2 %s with linespoints lw 2 pt 7 title ", series++ ? ", \\\n     " : "", name,
			        ap >= 0 ? "smooth unique" : "");
			gp_string(gp, title);
		}
	}
	fclose(dd);
	if (!points) {
		/* No cell completed or deadlocked (resets, alarms, errors): an empty
		 * frame that says so, rather than no plot at all. */
		json_decref(bl);
		fclose(gp);
		gp = open_in(pdir, "throughput.gp", err, errlen);
		if (!gp)
			return -1;
		plot_terminal(gp, "throughput", 1100, 650);
		fprintf(gp, "set title \"%s: echoed throughput vs payload\"\n"
		            "set xlabel 'payload (bytes)'\nset ylabel 'echoed throughput (Mbit/s)'\n"
		            "set xrange [0:1]\nset yrange [0:1]\nunset xtics\nunset ytics\n"
		            "set label 1 'no cell completed or deadlocked: nothing to plot (see the table of cells)' "
		            "at graph 0.5, graph 0.5 center\n"
		            "plot 2 notitle\n", sc->name);
		fclose(gp);
		return plot_render(pdir, "throughput.gp", err, errlen);
	}
	fprintf(gp, "%s'throughput-deadlock.dat' using 1:2 with points pt 2 ps 2.5 lw 3 lc rgb '#7b1fa2' title 'probe deadlock (nothing echoed; on the axis)'",
	        series ? ", \\\n     " : "");
	json_array_foreach(json_object_get(bl, "targets"), bi, e) {
		char t[300];

		snprintf(t, sizeof t, "%s baseline, %s: %.0f Mbit/s", str(e, "tool"), str(e, "target"), num(e, "mbps"));
		fprintf(gp, ", \\\n     %.3f with lines dt %d lw 2 lc rgb '#444444' title ", num(e, "mbps"), 2 + (int)bi);
		gp_string(gp, t);
	}
	json_decref(bl);
	fputc('\n', gp);
	if (ap < 0) {
		/* Cell names on the x axis. */
		fprintf(gp, "# cells: ");
		for (size_t i = 0; i < c->n; i++)
			fprintf(gp, "%zu=%s ", i, str(c->v[i], "id"));
		fputc('\n', gp);
	}
	if (fclose(gp) != 0) {
		snprintf(err, errlen, "report: %s/throughput.gp: write error", pdir);
		return -1;
	}
	return plot_render(pdir, "throughput.gp", err, errlen);
}

/* Stall time over the matrix's two main axes, a panel per client mode;
 * deadlocked cells in their own colour. Returns 1 when drawn, 0 when the
 * matrix has no axis to draw it on, -1 on error. */
static int plot_stallmap(const char *pdir, const struct scenario *sc, struct cells *c, char *err, size_t errlen)
{
	int am = axis_of(sc, "client.mode"), ax = -1, ay = -1, apanel = -1;
	int others[16], no = 0;
	size_t nx, ny, np;
	double maxst = 1;
	FILE *gp;

	for (size_t a = 0; a < sc->naxes && no < 16; a++)
		if ((int)a != am && strcmp(scenario_axis_key(sc, a), "target.kind"))
			others[no++] = (int)a;
	if (!no)
		return 0;
	ax = axis_of(sc, "client.payload");
	if (ax < 0 || ax == am)
		ax = others[0];
	for (int i = 0; i < no; i++)
		if (others[i] != ax && ay < 0)
			ay = others[i];
	if (ay < 0)
		ay = am; /* one axis beside the mode: the modes are the rows */
	if (am >= 0 && ay != am)
		apanel = am;
	else
		for (int i = 0; i < no; i++)
			if (others[i] != ax && others[i] != ay && apanel < 0)
				apanel = others[i];
	nx = sc->axes[ax].n;
	ny = ay >= 0 ? sc->axes[ay].n : 1;
	np = apanel >= 0 ? sc->axes[apanel].n : 1;
	for (size_t i = 0; i < c->n; i++)
		if (num(json_object_get(c->v[i], "stall"), "total_s") > maxst)
			maxst = num(json_object_get(c->v[i], "stall"), "total_s");
	gp = open_in(pdir, "stallmap.gp", err, errlen);
	if (!gp)
		return -1;
	plot_terminal(gp, "stallmap", (int)(np > 1 ? 560 * np : 800), 620);
	fprintf(gp, "# Value per square: mean stall time (s) of its cells; -1 marks a probe deadlock.\n"
	            "set palette defined (-1 '#4a148c', -0.001 '#4a148c', 0 '#ffffff', %.3f '#ffb74d', %.3f '#c62828')\n"
	            "set cbrange [-1:%.3f]\nset cblabel 'stall time (s); purple: probe deadlock'\n"
	            "set xlabel '%s'\nset ylabel '%s'\nset tics scale 0\nunset key\n",
	        maxst / 2, maxst, maxst, scenario_axis_key(sc, (size_t)ax), ay >= 0 ? scenario_axis_key(sc, (size_t)ay) : "");
	fprintf(gp, "set xtics (");
	for (size_t x = 0; x < nx; x++)
		fprintf(gp, "%s\"%s\" %zu", x ? ", " : "", sc->axes[ax].values[x].raw, x);
	fprintf(gp, ")\nset ytics (");
	for (size_t y = 0; y < ny; y++)
		fprintf(gp, "%s\"%s\" %zu", y ? ", " : "", ay >= 0 ? sc->axes[ay].values[y].raw : "", y);
	fprintf(gp, ")\nset xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", nx - 1, ny - 1);
	fprintf(gp, "set multiplot layout 1,%zu title \"%s: stall time per cell (darker is longer; purple with 'deadlock' is a probe deadlock)\"\n",
	        np, sc->name);
	for (size_t p = 0; p < np; p++) {
		char name[64];
		FILE *d;

		snprintf(name, sizeof name, "stallmap-%zu.dat", p);
		d = open_in(pdir, name, err, errlen);
		if (!d) {
			fclose(gp);
			return -1;
		}
		fprintf(d, "# x y value label\n");
		for (size_t y = 0; y < ny; y++) {
			for (size_t x = 0; x < nx; x++) {
				double sum = 0;
				int n = 0, dl = 0;

				for (size_t i = 0; i < c->n; i++) {
					json_t *l = c->v[i];

					if (pick_of(c, i, ax) != (int)x || (ay >= 0 && pick_of(c, i, ay) != (int)y) ||
					    (apanel >= 0 && pick_of(c, i, apanel) != (int)p))
						continue;
					sum += num(json_object_get(l, "stall"), "total_s");
					n++;
					dl |= is_deadlock(l);
				}
				if (!n)
					fprintf(d, "%zu %zu NaN \"\"\n", x, y);
				else if (dl)
					fprintf(d, "%zu %zu -1 \"deadlock\"\n", x, y);
				else
					fprintf(d, "%zu %zu %.3f \"%.2f s\"\n", x, y, sum / n, sum / n);
			}
			fputc('\n', d);
		}
		fclose(d);
		fprintf(gp, "set title \"%s%s%s\"\n", apanel >= 0 ? scenario_axis_key(sc, (size_t)apanel) : "",
		        apanel >= 0 ? " = " : "", apanel >= 0 ? sc->axes[apanel].values[p].raw : "");
		fprintf(gp, "plot '%s' using 1:2:3 with image, \\\n"
		            "     '' using 1:2:($3 < 0 ? stringcolumn(4) : '') with labels font ',11' tc rgb '#ffffff', \\\n"
		            "     '' using 1:2:($3 >= 0 ? stringcolumn(4) : '') with labels font ',10' tc rgb '#000000'\n", name);
	}
	fprintf(gp, "unset multiplot\n");
	if (fclose(gp) != 0) {
		snprintf(err, errlen, "report: %s/stallmap.gp: write error", pdir);
		return -1;
	}
	return plot_render(pdir, "stallmap.gp", err, errlen) < 0 ? -1 : 1;
}

/* Throughput and stall time of each target side by side for the same cells.
 * Returns 1 when drawn, 0 when the run has one target. */
static int plot_targets(const char *pdir, const struct scenario *sc, struct cells *c, char *err, size_t errlen)
{
	int at = axis_of(sc, "target.kind");
	double maxst = 1;
	FILE *gp, *d;

	if (at < 0 || sc->axes[at].n < 2)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (num(json_object_get(c->v[i], "stall"), "total_s") > maxst)
			maxst = num(json_object_get(c->v[i], "stall"), "total_s");
	d = open_in(pdir, "targets.dat", err, errlen);
	if (!d)
		return -1;
	fprintf(d, "# cell");
	for (size_t t = 0; t < sc->axes[at].n; t++)
		fprintf(d, " %s_Mbps", sc->axes[at].values[t].raw);
	for (size_t t = 0; t < sc->axes[at].n; t++)
		fprintf(d, " %s_stall_s", sc->axes[at].values[t].raw);
	fputc('\n', d);
	/* Rows: the cells of the first target; the others matched by their other values. */
	for (size_t i = 0; i < c->n; i++) {
		json_t *l = c->v[i];
		char label[200] = "";
		size_t o = 0;

		if (pick_of(c, i, at) != 0)
			continue;
		for (size_t a = 0; a < sc->naxes; a++)
			if ((int)a != at)
				app(label, sizeof label, &o, "%s%s", o ? " " : "", cfg(l, scenario_axis_key(sc, a)));
		fprintf(d, "\"%s\"", o ? label : "cell");
		for (int pass = 0; pass < 2; pass++)
			for (size_t t = 0; t < sc->axes[at].n; t++) {
				json_t *m = NULL;

				for (size_t j = 0; j < c->n && !m; j++) {
					int same = pick_of(c, j, at) == (int)t;

					for (size_t a = 0; a < sc->naxes && same; a++)
						if ((int)a != at && pick_of(c, j, (int)a) != pick_of(c, i, (int)a))
							same = 0;
					if (same && json_integer_value(json_object_get(c->v[j], "repeat")) ==
					                json_integer_value(json_object_get(l, "repeat")))
						m = c->v[j];
				}
				if (!m)
					fprintf(d, " NaN");
				else if (!pass)
					fprintf(d, " %.3f", !strcmp(str(m, "outcome"), "completed") ? mbps(m) : 0.0);
				else
					fprintf(d, " %.3f", num(json_object_get(m, "stall"), "total_s"));
			}
		fputc('\n', d);
	}
	fclose(d);
	gp = open_in(pdir, "targets.gp", err, errlen);
	if (!gp)
		return -1;
	plot_terminal(gp, "targets", 1200, 600);
	fprintf(gp, "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
	            "set grid ytics\nset xtics rotate by -30\nset key top left\n"
	            "set xlabel 'cell (its matrix values other than target.kind)'\n"
	            "set multiplot layout 1,2 title \"%s: the targets side by side, same cells\"\n"
	            "set title 'echoed throughput'\nset ylabel 'Mbit/s (0: did not complete)'\nplot ",
	        sc->name);
	for (size_t t = 0; t < sc->axes[at].n; t++)
		fprintf(gp, "%s'targets.dat' using %zu:xtic(1) title '%s'", t ? ", " : "", 2 + t, sc->axes[at].values[t].raw);
	fprintf(gp, "\nset title 'stall time'\nset ylabel 'seconds'\nset yrange [0:%.3f]\nplot ", maxst * 1.2);
	for (size_t t = 0; t < sc->axes[at].n; t++)
		fprintf(gp, "%s'targets.dat' using %zu:xtic(1) title '%s'", t ? ", " : "", 2 + sc->axes[at].n + t,
		        sc->axes[at].values[t].raw);
	fprintf(gp, "\nunset multiplot\n");
	fclose(gp);
	return plot_render(pdir, "targets.gp", err, errlen) < 0 ? -1 : 1;
}

/* Whether gnuplot's output is whole: a PNG ends with its IEND chunk, an SVG with </svg>.
 * gnuplot says nothing when its disk fills; a cut plot must not be reported as drawn. */
static int plot_whole(const char *path, char *err, size_t errlen)
{
	static const unsigned char iend[8] = { 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
	unsigned char tail[16];
	size_t n = 0;
	FILE *f = fopen(path, "rb");
	int png = strstr(path, ".png") != NULL, whole;

	if (!f)
		return errno == ENOENT ? 0 : -1;
	if (fseek(f, -(long)sizeof tail, SEEK_END) == 0)
		n = fread(tail, 1, sizeof tail, f);
	fclose(f);
	whole = png ? n == sizeof tail && !memcmp(tail + 8, iend, 8)
	            : n == sizeof tail && memmem(tail, n, "</svg>", 6) != NULL;
	if (!whole)
		snprintf(err, errlen, "report: %s is cut (%zu bytes read at its end): gnuplot could not write it whole "
		         "(is the disk full?)", path, n);
	return whole ? 0 : -1;
}

static int plots_whole(const char *pdir, char *err, size_t errlen)
{
	static const char *const names[] = { "throughput", "stallmap", "targets", NULL };
	char path[1300];

	for (int i = 0; names[i]; i++)
		for (int svg = 0; svg < 2; svg++) {
			snprintf(path, sizeof path, "%s/%s.%s", pdir, names[i], svg ? "svg" : "png");
			if (plot_whole(path, err, errlen) < 0)
				return -1;
		}
	return 0;
}

int report_plots(const char *rundir, const char *pdir, const struct scenario *sc, struct cells *c, int *have_map,
                 int *have_targets, char *err, size_t errlen)
{
	if (plot_throughput(rundir, pdir, sc, c, err, errlen) < 0)
		return -1;
	*have_map = plot_stallmap(pdir, sc, c, err, errlen);
	if (*have_map < 0)
		return -1;
	*have_targets = plot_targets(pdir, sc, c, err, errlen);
	if (*have_targets < 0)
		return -1;
	return plots_whole(pdir, err, errlen);
}
