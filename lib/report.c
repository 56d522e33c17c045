/* report: a run folder's plots (gnuplot) and its report (report.md, and
 * report.html rendered with cmark-gfm, images inlined, one self-contained file). */
#include "report.h"
#include "fsutil.h"
#include "plot.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The records of the cells that ran, in the scenario's order (borrowed from the model). */
struct cells {
	json_t **v;
	size_t n;
	const struct results *res;
};

static int load_cells(const struct results *res, struct cells *c, char *err, size_t errlen)
{
	c->res = res;
	c->n = 0;
	c->v = calloc(res->ncells ? res->ncells : 1, sizeof *c->v);
	if (!c->v) {
		snprintf(err, errlen, "report: out of memory");
		return -1;
	}
	for (size_t i = 0; i < res->ncells; i++)
		if (res->cells[i].rec)
			c->v[c->n++] = res->cells[i].rec;
	return 0;
}

static void free_cells(struct cells *c)
{
	free(c->v);
	c->v = NULL;
}

/* snprintf at *o into out, never past len: *o stops at len - 1 when the text is cut. */
static void app(char *out, size_t len, size_t *o, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void app(char *out, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!len || *o >= len - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*o = *o + (size_t)n < len - 1 ? *o + (size_t)n : len - 1;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static const char *cfg(json_t *l, const char *key)
{
	return str(json_object_get(l, "config"), key);
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static int axis_of(const struct scenario *sc, const char *key)
{
	for (size_t a = 0; a < sc->naxes; a++)
		if (!strcmp(scenario_axis_key(sc, a), key))
			return (int)a;
	return -1;
}

/* Index of a cell's value in the axis's list (the order the scenario gives). */
static int pick_of(const struct scenario *sc, int a, json_t *l)
{
	const char *v = cfg(l, scenario_axis_key(sc, (size_t)a));

	for (size_t i = 0; i < sc->axes[a].n; i++)
		if (!strcmp(sc->axes[a].values[i].raw, v))
			return (int)i;
	return -1;
}

static int is_deadlock(json_t *l)
{
	return !strcmp(str(l, "outcome"), "deadlock");
}

/* The capture shows a probe deadlock in this cell. */
static int wire_deadlock(json_t *l)
{
	return strstr(str(json_object_get(l, "analysis"), "stall_causes"), "probe_deadlock") != NULL;
}

/*
 * What the client saw (its deadlock verdict, abort and probe counts) and what
 * the wire shows (the capture analysis's stall: its cause and the probes each
 * way), and whether they agree: a bug ticket puts the two side by side.
 */
static void client_vs_wire(FILE *f, const char *rundir, json_t *l)
{
	json_t *dl = json_object_get(l, "deadlock"), *an, *conn, *st = NULL, *s, *pr;
	const char *cdir, *sdir, *cause;
	char path[1200], rcvd[32] = "unknown";
	long long wc = -1, ws = -1;
	size_t i;

	if (json_is_object(dl)) {
		pr = json_object_get(dl, "probes");
		if (json_is_integer(json_object_get(pr, "received")))
			snprintf(rcvd, sizeof rcvd, "%lld", (long long)json_integer_value(json_object_get(pr, "received")));
		fprintf(f, "The client saw a probe deadlock: no progress from %.3f s, detected at %.3f s", num(dl, "onset_s"),
		        num(dl, "detected_s"));
		if (json_is_number(json_object_get(dl, "aborted_s")))
			fprintf(f, ", aborted with RST at %.3f s", num(dl, "aborted_s"));
		else
			fprintf(f, ", ended by %s", str(l, "ended_by"));
		if (json_is_object(pr))
			fprintf(f, "; its TCP_INFO counted the probes: %lld sent, %s received",
			        (long long)json_integer_value(json_object_get(pr, "sent")), rcvd);
		fprintf(f, "%s.", json_is_true(json_object_get(dl, "resolved")) ? " (resolved: bytes moved again)" : "");
	} else {
		fprintf(f, "The client saw no probe deadlock (outcome %s, ended by %s).", str(l, "outcome"), str(l, "ended_by"));
	}
	snprintf(path, sizeof path, "%s/cells/%s/analysis.json", rundir, str(l, "id"));
	an = json_load_file(path, 0, NULL);
	conn = json_array_get(json_object_get(an, "connections"), 0);
	if (!conn) {
		fprintf(f, " The wire: no capture analysis for this cell.\n\n");
		json_decref(an);
		return;
	}
	json_array_foreach(json_object_get(conn, "stalls"), i, s) {
		st = s;
		if (!strcmp(str(s, "cause"), "probe_deadlock"))
			break;
	}
	cdir = !strcmp(str(conn, "client"), "b") ? "b_to_a" : "a_to_b";
	sdir = !strcmp(cdir, "a_to_b") ? "b_to_a" : "a_to_b";
	cause = st ? str(st, "cause") : "no stall";
	if (st) {
		wc = (long long)json_integer_value(json_object_get(json_object_get(st, "probes"), cdir));
		ws = (long long)json_integer_value(json_object_get(json_object_get(st, "probes"), sdir));
		fprintf(f, " The wire shows %s from %.3f s into the capture for %.3f s%s; probes: %lld from the client, "
		        "%lld from the server.", cause, num(st, "start_s"), num(st, "duration_s"),
		        !strcmp(str(st, "ended_by"), "rst") ? ", ended by RST" : "", wc, ws);
	} else {
		fprintf(f, " The wire shows no stall.");
	}
	if (is_deadlock(l) && strcmp(cause, "probe_deadlock"))
		fprintf(f, " **The client and the wire disagree:** the client reports a probe deadlock, the capture's "
		           "analysis finds %s (stall causes: %s).", cause,
		        *str(json_object_get(l, "analysis"), "stall_causes") ? str(json_object_get(l, "analysis"), "stall_causes") : "none");
	else if (!is_deadlock(l) && !strcmp(cause, "probe_deadlock"))
		fprintf(f, " **The client and the wire disagree:** the capture shows a probe deadlock the client did not "
		           "report (outcome %s).", str(l, "outcome"));
	else if (json_is_object(dl) && json_is_object(json_object_get(dl, "probes")) &&
	         ((long long)json_integer_value(json_object_get(json_object_get(dl, "probes"), "sent")) != wc ||
	          (strcmp(rcvd, "unknown") && atoll(rcvd) != ws)))
		fprintf(f, " **The client and the wire disagree on the probes:** the client counted %lld sent, %s "
		           "received; the capture shows %lld from the client, %lld from the server.",
		        (long long)json_integer_value(json_object_get(json_object_get(dl, "probes"), "sent")), rcvd, wc, ws);
	else
		fprintf(f, " The client and the wire agree.");
	fprintf(f, "\n\n");
	json_decref(an);
}

static double mbps(json_t *l)
{
	return num(l, "throughput_Bps") * 8 / 1e6;
}

/* ---------- verdict ---------- */

int report_verdict(const struct results *res, const struct scenario *sc, char *out, size_t len)
{
	struct cells c;
	char err[256];
	size_t dl = 0, fail = 0, broke = 0, o = 0;

	if (!len)
		return -1;
	out[0] = 0;
	if (load_cells(res, &c, err, sizeof err) < 0) {
		snprintf(out, len, "%s", err);
		return -1;
	}
	for (size_t i = 0; i < c.n; i++) {
		dl += is_deadlock(c.v[i]);
		fail += !strcmp(str(c.v[i], "verdict"), "fail");
		broke += !strcmp(str(c.v[i], "verdict"), "error");
	}
	if (!dl) {
		app(out, len, &o, "No probe deadlock in %zu cell%s.", c.n, c.n == 1 ? "" : "s");
	} else {
		int conds = 0;

		app(out, len, &o, "Probe deadlock reproduced in %zu of %zu cells", dl, c.n);
		for (size_t a = 0; a < sc->naxes && o < len; a++) {
			const char *key = scenario_axis_key(sc, a);
			int in_dl[256] = { 0 }, seen[256] = { 0 }, all = 1, numeric = 1, thresh = 1;
			size_t nv = sc->axes[a].n < 256 ? sc->axes[a].n : 256;
			double vmin = 0, x;
			int have_min = 0;

			for (size_t i = 0; i < c.n; i++) {
				int p = pick_of(sc, (int)a, c.v[i]);

				if (p < 0 || p >= 256)
					continue;
				seen[p] = 1;
				if (is_deadlock(c.v[i]))
					in_dl[p] = 1;
			}
			for (size_t v = 0; v < nv; v++) {
				if (seen[v] && !in_dl[v])
					all = 0;
				if (scenario_value_number(key, sc->axes[a].values[v].raw, &x) < 0)
					numeric = 0;
			}
			if (all)
				continue;
			/* A numeric axis whose deadlocked values are exactly those from
			 * some value up: "key >= value". */
			if (numeric) {
				for (size_t v = 0; v < nv; v++)
					if (in_dl[v]) {
						scenario_value_number(key, sc->axes[a].values[v].raw, &x);
						if (!have_min || x < vmin) {
							vmin = x;
							have_min = 1;
						}
					}
				for (size_t v = 0; v < nv; v++) {
					scenario_value_number(key, sc->axes[a].values[v].raw, &x);
					if (seen[v] && (x >= vmin) != (in_dl[v] != 0))
						thresh = 0;
				}
			}
			app(out, len, &o, "%s ", conds++ ? "," : ":");
			if (numeric && thresh) {
				for (size_t v = 0; v < nv; v++) {
					scenario_value_number(key, sc->axes[a].values[v].raw, &x);
					if (in_dl[v] && x == vmin) {
						app(out, len, &o, "%s >= %s", key, sc->axes[a].values[v].raw);
						break;
					}
				}
			} else {
				int first = 1;

				app(out, len, &o, "%s=", key);
				for (size_t v = 0; v < nv && o < len; v++)
					if (in_dl[v]) {
						app(out, len, &o, "%s%s", first ? "" : "|", sc->axes[a].values[v].raw);
						first = 0;
					}
			}
		}
		app(out, len, &o, ".");
	}
	if (!results_complete(res)) {
		size_t miss = results_missing(res), foreign = json_array_size(res->foreign);

		app(out, len, &o, " INCOMPLETE: %zu of %zu cells ran", res->nran, res->ncells);
		if (miss) {
			size_t shown = 0;

			app(out, len, &o, ", %zu missing (", miss);
			for (size_t i = 0; i < res->ncells && shown < 5; i++)
				if (!res->cells[i].rec)
					app(out, len, &o, "%s%s", shown++ ? ", " : "", res->cells[i].id);
			app(out, len, &o, "%s)", miss > shown ? ", ..." : "");
		}
		if (foreign)
			app(out, len, &o, ", %zu record%s of cells this run does not expect", foreign, foreign == 1 ? "" : "s");
		app(out, len, &o, ".");
	}
	if (!fail && !broke && results_complete(res))
		app(out, len, &o, " Every expectation held.");
	else if (!fail && !broke)
		app(out, len, &o, " Every expectation of the cells that ran held.");
	else
		app(out, len, &o, " %zu cell%s failed %s expectations and %zu broke.", fail, fail == 1 ? "" : "s",
		    fail == 1 ? "its" : "their", broke);
	free_cells(&c);
	return 0;
}

/* ---------- plots ---------- */

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

/* baseline.json's measurements (a new reference), or NULL. */
static json_t *baselines(const char *rundir)
{
	char path[1200];

	snprintf(path, sizeof path, "%s/baseline.json", rundir);
	return json_load_file(path, 0, NULL);
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

				if ((am >= 0 && pick_of(sc, am, l) != (int)m) || (at >= 0 && pick_of(sc, at, l) != (int)t))
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

					if (pick_of(sc, ax, l) != (int)x || (ay >= 0 && pick_of(sc, ay, l) != (int)y) ||
					    (apanel >= 0 && pick_of(sc, apanel, l) != (int)p))
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

		if (pick_of(sc, at, l) != 0)
			continue;
		for (size_t a = 0; a < sc->naxes; a++)
			if ((int)a != at)
				app(label, sizeof label, &o, "%s%s", o ? " " : "", cfg(l, scenario_axis_key(sc, a)));
		fprintf(d, "\"%s\"", o ? label : "cell");
		for (int pass = 0; pass < 2; pass++)
			for (size_t t = 0; t < sc->axes[at].n; t++) {
				json_t *m = NULL;

				for (size_t j = 0; j < c->n && !m; j++) {
					int same = pick_of(sc, at, c->v[j]) == (int)t;

					for (size_t a = 0; a < sc->naxes && same; a++)
						if ((int)a != at && pick_of(sc, (int)a, c->v[j]) != pick_of(sc, (int)a, l))
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

/* ---------- report.md ---------- */

static void md_cell(FILE *f, const char *s)
{
	fputc(' ', f);
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
	fputs(" |", f);
}

static void write_env(FILE *f, const char *rundir)
{
	char path[1200];
	json_t *env, *v;
	const char *k;

	snprintf(path, sizeof path, "%s/env.json", rundir);
	env = json_load_file(path, 0, NULL);
	if (!env) {
		fprintf(f, "No env.json in this folder.\n\n");
		return;
	}
	fprintf(f, "| setting | value |\n|---|---|\n");
	fprintf(f, "| host |");
	md_cell(f, str(env, "host"));
	fprintf(f, "\n| kernel |");
	md_cell(f, str(json_object_get(env, "kernel"), "release"));
	fprintf(f, "\n| started |");
	md_cell(f, str(env, "started_at"));
	fprintf(f, "\n| CPUs | %lld |\n", (long long)json_integer_value(json_object_get(env, "cpus")));
	json_object_foreach(json_object_get(env, "sysctl"), k, v) {
		fprintf(f, "| %s |", k);
		md_cell(f, json_is_string(v) ? json_string_value(v) : "(absent)");
		fputc('\n', f);
	}
	json_object_foreach(json_object_get(env, "versions"), k, v) {
		fprintf(f, "| %s |", k);
		md_cell(f, json_string_value(v) ? json_string_value(v) : "");
		fputc('\n', f);
	}
	fputc('\n', f);
	json_decref(env);
}

static int exists_in(const char *rundir, const char *rel)
{
	char p[1400];

	snprintf(p, sizeof p, "%s/%s", rundir, rel);
	return access(p, F_OK) == 0;
}

/* Expected, ran, missing: before anything else a reader looks at. */
static void write_completeness(FILE *f, const struct results *res)
{
	size_t miss = results_missing(res), foreign = json_array_size(res->foreign);

	fprintf(f, "Cells: %zu expected, %zu ran, %zu missing.", res->ncells, res->nran, miss);
	if (miss) {
		fprintf(f, " Missing:");
		for (size_t i = 0; i < res->ncells; i++)
			if (!res->cells[i].rec)
				fprintf(f, " `%s`", res->cells[i].id);
		fprintf(f, ". `probelock run --resume %s` runs them (or merge the missing shards).", res->dir);
	}
	if (foreign)
		fprintf(f, " cells.jsonl also holds %zu record%s of cells this run does not expect (repeated or from "
		           "another selection): not counted.", foreign, foreign == 1 ? "" : "s");
	if (res->ncut)
		fprintf(f, " %zu line%s of cells.jsonl %s not whole records.", res->ncut, res->ncut == 1 ? "" : "s",
		        res->ncut == 1 ? "is" : "are");
	fprintf(f, "\n\n");
}

static int write_markdown(const char *rundir, const struct scenario *sc, struct cells *c, int have_map,
                          int have_targets, char *err, size_t errlen)
{
	char tmp[1200], path[1200], verdict[1200], rel[600];
	json_t *env, *bl = baselines(rundir), *e;
	int base = json_array_size(json_object_get(bl, "targets")) > 0;
	size_t bi;
	FILE *f;

	report_verdict(c->res, sc, verdict, sizeof verdict);
	snprintf(tmp, sizeof tmp, "%s/report.md.tmp", rundir);
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "report: %s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "# probelock report: %s\n\n**%s**\n\n", sc->name, verdict);
	if (sc->description[0])
		fprintf(f, "%s\n\n", sc->description);
	write_completeness(f, c->res);
	snprintf(path, sizeof path, "%s/env.json", rundir);
	env = json_load_file(path, 0, NULL);
	fprintf(f, "## Reproduce\n\n```\n%s\n```\n\nThe scenario is in this folder (`scenario.yaml`); "
	           "`probelock run scenario.yaml` runs it again, `probelock report .` rebuilds this report.\n\n",
	        *str(env, "command") ? str(env, "command") : "probelock run scenario.yaml");
	json_decref(env);
	fprintf(f, "## Environment\n\n");
	write_env(f, rundir);
	if (bl) {
		fprintf(f, "## Baseline\n\nWhat the link itself carries, measured before the cells:\n\n"
		           "| target | tool | Mbit/s |\n|---|---|---|\n");
		json_array_foreach(json_object_get(bl, "targets"), bi, e)
			fprintf(f, "| %s | %s | %.1f |\n", str(e, "target"), str(e, "tool"), num(e, "mbps"));
		json_array_foreach(json_object_get(bl, "warnings"), bi, e)
			fprintf(f, "\nWarning: %s\n", json_string_value(e));
		fputc('\n', f);
	}
	json_decref(bl);
	fprintf(f, "## Plots\n\n![Echoed throughput vs payload](plots/throughput.png)\n\n");
	if (have_map)
		fprintf(f, "![Stall time over the matrix](plots/stallmap.png)\n\n");
	if (have_targets)
		fprintf(f, "![The targets side by side](plots/targets.png)\n\n");
	fprintf(f, "The plots' gnuplot scripts and data are in `plots/` (PNG and SVG).\n\n## Cells\n\n| cell |");
	for (size_t a = 0; a < sc->naxes; a++)
		fprintf(f, " %s |", scenario_axis_key(sc, a));
	fprintf(f, " outcome | ended by | detected after (s) | stall causes | throughput (Mbit/s) |%s expectation | verdict |\n|---|",
	        base > 0 ? " % of baseline |" : "");
	for (size_t a = 0; a < sc->naxes; a++)
		fprintf(f, "---|");
	fprintf(f, "---|---|---|---|---|%s---|---|\n", base > 0 ? "---|" : "");
	for (size_t i = 0; i < c->n; i++) {
		json_t *l = c->v[i], *dl = json_object_get(l, "deadlock"), *ex = json_object_get(l, "expect");
		char buf[300];

		fputc('|', f);
		md_cell(f, str(l, "id"));
		for (size_t a = 0; a < sc->naxes; a++)
			md_cell(f, cfg(l, scenario_axis_key(sc, a)));
		md_cell(f, str(l, "outcome"));
		md_cell(f, str(l, "ended_by"));
		snprintf(buf, sizeof buf, "%s", "");
		if (json_is_object(dl))
			snprintf(buf, sizeof buf, "%.2f", num(dl, "detected_s") - num(dl, "onset_s"));
		md_cell(f, buf);
		md_cell(f, json_is_object(json_object_get(l, "analysis"))
		               ? (*str(json_object_get(l, "analysis"), "stall_causes") ? str(json_object_get(l, "analysis"), "stall_causes") : "none")
		               : "(no capture)");
		snprintf(buf, sizeof buf, "%.1f", !strcmp(str(l, "outcome"), "completed") ? mbps(l) : 0.0);
		md_cell(f, buf);
		if (base) {
			if (json_is_number(json_object_get(l, "pct_of_baseline")))
				snprintf(buf, sizeof buf, "%.1f", num(l, "pct_of_baseline"));
			else
				snprintf(buf, sizeof buf, "%s", json_is_number(json_object_get(l, "baseline_mbps")) ? "0" : "");
			md_cell(f, buf);
		}
		if (!json_integer_value(json_object_get(ex, "applied")))
			snprintf(buf, sizeof buf, "none");
		else if (json_integer_value(json_object_get(ex, "failed")))
			snprintf(buf, sizeof buf, "FAILED: %s", str(ex, "why"));
		else
			snprintf(buf, sizeof buf, "%lld held", (long long)json_integer_value(json_object_get(ex, "applied")));
		md_cell(f, buf);
		md_cell(f, !strcmp(str(l, "verdict"), "pass") ? "pass" : !strcmp(str(l, "verdict"), "fail") ? "**FAIL**" : "**ERROR**");
		fputc('\n', f);
	}
	for (size_t i = 0; i < c->res->ncells; i++) {
		if (c->res->cells[i].rec)
			continue;
		fputc('|', f);
		md_cell(f, c->res->cells[i].id);
		for (size_t a = 0; a < sc->naxes; a++)
			md_cell(f, "");
		for (int k = 0; k < 6 + (base > 0); k++)
			md_cell(f, k == 0 ? "did not run" : "");
		md_cell(f, "**MISSING**");
		fputc('\n', f);
	}
	fprintf(f, "\n");
	{
		int any = 0;

		for (size_t i = 0; i < c->n; i++) {
			json_t *l = c->v[i];
			const char *id = str(l, "id");
			char ex[1200];
			FILE *ef;

			if (!is_deadlock(l) && !wire_deadlock(l))
				continue;
			if (!any++)
				fprintf(f, "## Deadlocks\n\n");
			fprintf(f, "### %s\n\n", id);
			if (*str(l, "detail"))
				fprintf(f, "%s\n\n", str(l, "detail"));
			client_vs_wire(f, rundir, l);
			snprintf(ex, sizeof ex, "%s/cells/%s/excerpt.txt", rundir, id);
			ef = fopen(ex, "r");
			if (ef) {
				char line[512];
				int n = 0;

				fprintf(f, "The segments around the onset (relative seq/ack, `>` marks the last progress):\n\n```\n");
				while (fgets(line, sizeof line, ef) && n++ < 40)
					if (line[0] != '\n')
						fputs(line, f);
				fprintf(f, "```\n\n");
				fclose(ef);
			}
			snprintf(rel, sizeof rel, "cells/%s/plots/conn-0.png", id);
			if (exists_in(rundir, rel))
				fprintf(f, "![Time-sequence graph of %s](%s)\n\n", id, rel);
			snprintf(rel, sizeof rel, "cells/%s/capture.pcap", id);
			if (exists_in(rundir, rel))
				fprintf(f, "Capture: `%s`\n\n", rel);
			else
				fprintf(f, "Capture: not kept (capture.keep: the cell passed); `cells/%s/analysis.json` holds the "
				           "analysis and `cells/%s/plots/` the graph's data.\n\n", id, id);
		}
	}
	if (fs_close(f) < 0) {
		snprintf(err, errlen, "report: write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	snprintf(path, sizeof path, "%s/report.md", rundir);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "report: rename %s to %s: %s", tmp, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---------- report.html ---------- */

static char *base64_file(const char *path, size_t *outlen)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char *in;
	size_t n;
	char *out;

	in = (unsigned char *)fs_read_file(path, 64u << 20, &n);
	if (!in)
		return NULL;
	out = malloc((n + 2) / 3 * 4 + 1);
	if (!out) {
		free(in);
		return NULL;
	}
	*outlen = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);

		out[(*outlen)++] = tab[v >> 18 & 63];
		out[(*outlen)++] = tab[v >> 12 & 63];
		out[(*outlen)++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[(*outlen)++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[*outlen] = 0;
	free(in);
	return out;
}

static const char css[] =
	"body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
	"table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:3px 8px}"
	"th{background:#f0f0f0}tr:nth-child(even){background:#fafafa}"
	"pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:85%}img{max-width:100%}"
	"h1{border-bottom:2px solid #444}code{background:#f0f0f0}";

static int write_html(const char *rundir, char *err, size_t errlen)
{
	char path[1200], *md = NULL, *html;
	size_t len = 0;
	cmark_parser *p;
	cmark_node *doc, *node;
	cmark_iter *it;
	cmark_event_type ev;
	FILE *f;
	int opts = CMARK_OPT_DEFAULT;

	snprintf(path, sizeof path, "%s/report.md", rundir);
	md = fs_read_file(path, 64u << 20, &len);
	if (!md) {
		snprintf(err, errlen, "report: %s: %s", path, strerror(errno));
		return -1;
	}
	cmark_gfm_core_extensions_ensure_registered();
	p = cmark_parser_new(opts);
	cmark_parser_attach_syntax_extension(p, cmark_find_syntax_extension("table"));
	cmark_parser_feed(p, md, len);
	doc = cmark_parser_finish(p);
	free(md);
	/* Every image becomes a data: URI: the report is one file, readable
	 * without the folder and without a network. */
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(node) == CMARK_NODE_IMAGE) {
			char img[1400], *b64, *uri;
			size_t blen;

			snprintf(img, sizeof img, "%s/%s", rundir, cmark_node_get_url(node));
			b64 = base64_file(img, &blen);
			if (!b64)
				continue;
			uri = malloc(blen + 32);
			if (uri) {
				snprintf(uri, blen + 32, "data:image/png;base64,%s", b64);
				cmark_node_set_url(node, uri);
				free(uri);
			}
			free(b64);
		}
	}
	cmark_iter_free(it);
	html = cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(p));
	snprintf(path, sizeof path, "%s/report.html.tmp", rundir);
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "report: %s: %s", path, strerror(errno));
		free(html);
		cmark_node_free(doc);
		cmark_parser_free(p);
		return -1;
	}
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>probelock report</title>"
	           "<style>%s</style></head><body>\n%s</body></html>\n", css, html);
	free(html);
	cmark_node_free(doc);
	cmark_parser_free(p);
	if (fs_close(f) < 0) {
		snprintf(err, errlen, "report: write %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	{
		char final[1200];

		snprintf(final, sizeof final, "%s/report.html", rundir);
		return rename(path, final);
	}
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

int report_generate(const struct results *res, const struct scenario *sc, char *err, size_t errlen)
{
	const char *rundir = res->dir;
	char pdir[1100];
	struct cells c;
	int map, targets;

	if (load_cells(res, &c, err, errlen) < 0)
		return -1;
	snprintf(pdir, sizeof pdir, "%s/plots", rundir);
	if (mkdir(pdir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "report: mkdir %s: %s", pdir, strerror(errno));
		free_cells(&c);
		return -1;
	}
	/* The cells' time-sequence graphs from their kept scripts and data. */
	for (size_t i = 0; i < c.n; i++) {
		char cdir[1300], script[1400];

		snprintf(cdir, sizeof cdir, "%s/cells/%s/plots", rundir, str(c.v[i], "id"));
		for (int k = 0; k < 8; k++) {
			snprintf(script, sizeof script, "%s/conn-%d.gp", cdir, k);
			if (access(script, F_OK) != 0)
				break;
			snprintf(script, sizeof script, "conn-%d.gp", k);
			if (plot_render(cdir, script, err, errlen) < 0)
				goto fail;
		}
	}
	if (plot_throughput(rundir, pdir, sc, &c, err, errlen) < 0)
		goto fail;
	map = plot_stallmap(pdir, sc, &c, err, errlen);
	if (map < 0)
		goto fail;
	targets = plot_targets(pdir, sc, &c, err, errlen);
	if (targets < 0)
		goto fail;
	if (plots_whole(pdir, err, errlen) < 0)
		goto fail;
	if (write_markdown(rundir, sc, &c, map, targets, err, errlen) < 0 || write_html(rundir, err, errlen) < 0)
		goto fail;
	free_cells(&c);
	return 0;
fail:
	free_cells(&c);
	return -1;
}
