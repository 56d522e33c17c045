/* report_plot_group: what the run's plots share, below them: files for gnuplot, and the
 * runs grouped by their matrix position (rp_group_*, rp_aggregate). */
#include "report_plot.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

FILE *rp_open(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[1400];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		snprintf(err, errlen, "report: %s: %s", path, strerror(errno));
	return f;
}

void rp_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void rp_group_except(const struct scenario *sc, const int *skip, size_t nskip, struct rp_group *g)
{
	g->n = 0;
	g->ncombo = 1;
	for (size_t a = 0; a < sc->naxes && g->n < RP_MAX_AXES; a++) {
		int skipped = 0;

		for (size_t k = 0; k < nskip; k++)
			skipped |= skip[k] == (int)a;
		if (skipped)
			continue;
		g->a[g->n++] = (int)a;
		g->ncombo *= sc->axes[a].n;
	}
}

/* Value index of combination combo on the group's k-th axis. */
static size_t group_value(const struct scenario *sc, const struct rp_group *g, size_t combo, size_t k)
{
	for (size_t j = g->n; j-- > k + 1;)
		combo /= sc->axes[g->a[j]].n;
	return combo % sc->axes[g->a[k]].n;
}

void rp_group_label(const struct scenario *sc, const struct rp_group *g, size_t combo, char *out, size_t len)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t k = 0; k < g->n; k++)
		app(out, len, &o, "%s%s=%s", k ? ", " : "", scenario_axis_key(sc, (size_t)g->a[k]),
		    sc->axes[g->a[k]].values[group_value(sc, g, combo, k)].raw);
}

/* The index of a run at pick in rp_aggregate's table: its value on ax (0 when ax is -1), then
 * its combination of g (the first axis slowest, as group_value reads it). */
static size_t position(const struct scenario *sc, const size_t *pick, int ax, const struct rp_group *g)
{
	size_t combo = 0;

	for (size_t k = 0; k < g->n; k++)
		combo = combo * sc->axes[g->a[k]].n + pick[g->a[k]];
	return (ax >= 0 ? pick[ax] : 0) * g->ncombo + combo;
}

struct rp_agg *rp_aggregate(const struct scenario *sc, const struct cells *c, int ax, const struct rp_group *g)
{
	size_t nv = ax >= 0 ? sc->axes[ax].n : 1;
	struct rp_agg *tab = calloc(nv * g->ncombo, sizeof *tab);

	if (!tab)
		return NULL;
	for (size_t j = 0; j < sc->ncells; j++)
		tab[position(sc, sc->cells[j].pick, ax, g)].expected++;
	for (size_t i = 0; i < c->n; i++) {
		struct rp_agg *out = &tab[position(sc, c->cell[i]->pick, ax, g)];
		json_t *l = c->v[i];
		double st = num(json_object_get(l, "stall"), "total_s");

		out->ran++;
		out->deadlocks += (unsigned)is_deadlock(l);
		out->stall_max = st > out->stall_max ? st : out->stall_max;
		if (!is_completed(l))
			continue;
		out->min = !out->completed || mbps(l) < out->min ? mbps(l) : out->min;
		out->max = mbps(l) > out->max ? mbps(l) : out->max;
		out->sum += mbps(l);
		out->completed++;
	}
	return tab;
}
