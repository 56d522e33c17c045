/* report_plot: the run's plots (gnuplot): report_plots draws them all (throughput:
 * report_plot_tput.c, the stall map: report_plot_map.c, the targets' comparison here) and
 * checks that every plot was written whole. */
#include "report_plot.h"
#include "plot.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Records i and j are at the same matrix position apart from axis at, and the same repeat. */
static int same_but(const struct cells *c, size_t i, size_t j, int at, size_t naxes)
{
	for (size_t a = 0; a < naxes; a++)
		if ((int)a != at && pick_of(c, j, (int)a) != pick_of(c, i, (int)a))
			return 0;
	return json_integer_value(json_object_get(c->v[i], "repeat")) ==
	       json_integer_value(json_object_get(c->v[j], "repeat"));
}

/* targets.dat: a row per matrix position (apart from the target) that ran on some target,
 * a throughput and a stall column per target that ran (tmask); NaN where that target's
 * cell did not run. */
static int targets_data(const char *pdir, const struct scenario *sc, struct cells *c, int at, unsigned long tmask,
                        char *err, size_t errlen)
{
	FILE *d = rp_open(pdir, "targets.dat", err, errlen);

	if (!d)
		return -1;
	fprintf(d, "# cell");
	for (int pass = 0; pass < 2; pass++)
		for (size_t t = 0; t < sc->axes[at].n; t++)
			if (tmask & (1ul << t))
				fprintf(d, " %s_%s", sc->axes[at].values[t].raw, pass ? "stall_s" : "Mbps");
	fputc('\n', d);
	for (size_t i = 0; i < c->n; i++) {
		char label[200] = "";
		size_t o = 0, j;

		for (j = 0; j < i && !same_but(c, i, j, at, sc->naxes); j++)
			;
		if (j < i)
			continue; /* its position has a row already */
		for (size_t a = 0; a < sc->naxes; a++)
			if ((int)a != at)
				app(label, sizeof label, &o, "%s%s", o ? " " : "", cfg(c->v[i], scenario_axis_key(sc, a)));
		fprintf(d, "\"%s\"", o ? label : "cell");
		for (int pass = 0; pass < 2; pass++)
			for (size_t t = 0; t < sc->axes[at].n; t++) {
				json_t *m = NULL;

				if (!(tmask & (1ul << t)))
					continue;
				for (j = i; j < c->n && !m; j++)
					if (pick_of(c, j, at) == (int)t && same_but(c, i, j, at, sc->naxes))
						m = c->v[j];
				if (!m)
					fprintf(d, " NaN");
				else if (!pass)
					fprintf(d, " %.3f", is_completed(m) ? mbps(m) : 0.0);
				else
					fprintf(d, " %.3f", num(json_object_get(m, "stall"), "total_s"));
			}
		fputc('\n', d);
	}
	if (fclose(d) != 0) {
		snprintf(err, errlen, "report: %s/targets.dat: %s", pdir, strerror(errno));
		return -1;
	}
	return 0;
}

/* The targets side by side (a histogram per measure), when target.kind is a matrix key and
 * at least two of its targets ran. Returns 1 when drawn, 0 when not, -1 with err. */
static int plot_targets(const char *pdir, const struct scenario *sc, struct cells *c, char *err, size_t errlen)
{
	int at = axis_of(sc, "target.kind"), col, ntargets = 0;
	unsigned long tmask = 0;
	double maxst = 1;
	FILE *gp;

	if (at < 0 || sc->axes[at].n < 2 || sc->axes[at].n > 8 * sizeof tmask)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		if (!(tmask & (1ul << pick_of(c, i, at))))
			ntargets++;
		tmask |= 1ul << pick_of(c, i, at);
		if (num(json_object_get(c->v[i], "stall"), "total_s") > maxst)
			maxst = num(json_object_get(c->v[i], "stall"), "total_s");
	}
	if (ntargets < 2)
		return 0;
	if (targets_data(pdir, sc, c, at, tmask, err, errlen) < 0)
		return -1;
	gp = rp_open(pdir, "targets.gp", err, errlen);
	if (!gp)
		return -1;
	plot_terminal(gp, "targets", 1200, 600);
	fprintf(gp, "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
	            "set grid ytics\nset xtics rotate by -30\nset key top left\n"
	            "set xlabel 'cell (its matrix values other than target.kind)'\n"
	            "set multiplot layout 1,2 title \"%s: the targets side by side, same cells\"\n"
	            "set title 'echoed throughput'\nset ylabel 'Mbit/s (0: did not complete)'\nplot ",
	        sc->name);
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			fprintf(gp, "\nset title 'stall time'\nset ylabel 'seconds'\nset yrange [0:%.3f]\nplot ", maxst * 1.2);
		col = 2 + pass * ntargets;
		for (size_t t = 0; t < sc->axes[at].n; t++)
			if (tmask & (1ul << t)) {
				fprintf(gp, "%s'targets.dat' using %d:xtic(1) title '%s'", col > 2 + pass * ntargets ? ", " : "",
				        col, sc->axes[at].values[t].raw);
				col++;
			}
	}
	fprintf(gp, "\nunset multiplot\n");
	if (fclose(gp) != 0) {
		snprintf(err, errlen, "report: %s/targets.gp: %s", pdir, strerror(errno));
		return -1;
	}
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

int report_plots(json_t *bl, const char *pdir, const struct scenario *sc, struct cells *c, int *have_map,
                 int *have_targets, char *err, size_t errlen)
{
	char log[1300];

	if (sc->naxes >= RP_MAX_AXES) {
		snprintf(err, errlen, "report: %zu matrix keys, the plots take at most %d", sc->naxes, RP_MAX_AXES - 1);
		return -1;
	}
	/* gnuplot appends its messages there: this rendering's only. */
	snprintf(log, sizeof log, "%s/gnuplot.log", pdir);
	unlink(log);
	if (rp_throughput(bl, pdir, sc, c, err, errlen) < 0)
		return -1;
	*have_map = rp_stallmap(pdir, sc, c, err, errlen);
	if (*have_map < 0)
		return -1;
	*have_targets = plot_targets(pdir, sc, c, err, errlen);
	if (*have_targets < 0)
		return -1;
	return plots_whole(pdir, err, errlen);
}
