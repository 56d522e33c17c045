/* scenario_expand: the matrix into cells, their ids and typed configuration. */
#include "scenario_int.h"
#include "optlimits.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* --- cells --- */

const char *sc_value_of(const struct scenario *sc, const struct scenario_cell *cell, int ent)
{
	for (size_t a = 0; a < sc->naxes; a++)
		if (sc->axes[a].ent == ent)
			return sc->axes[a].values[cell->pick[a]].raw;
	return sc->params[ent].set ? sc->params[ent].v.raw : sc_schema[ent].def;
}

/* Where the value a cell uses for ent was written (for error messages). */
void sc_place_of(const struct scenario *sc, const struct scenario_cell *cell, int ent,
                     unsigned *line, unsigned *col)
{
	*line = *col = 0;
	for (size_t a = 0; a < sc->naxes; a++)
		if (sc->axes[a].ent == ent) {
			*line = sc->axes[a].values[cell->pick[a]].line;
			*col = sc->axes[a].values[cell->pick[a]].column;
			return;
		}
	if (sc->params[ent].set) {
		*line = sc->params[ent].v.line;
		*col = sc->params[ent].v.column;
	}
}

int sc_is_axis(const struct scenario *sc, int ent)
{
	for (size_t a = 0; a < sc->naxes; a++)
		if (sc->axes[a].ent == ent)
			return 1;
	return 0;
}

/* Whether the scenario writes ent (in a section or the matrix) rather than
 * leaving it at its default. */
int sc_is_given(const struct scenario *sc, int ent)
{
	return sc->params[ent].set || sc_is_axis(sc, ent);
}

const char *scenario_cell_value(const struct scenario *sc, const struct scenario_cell *cell,
                                const char *key)
{
	int ent = sc_find_ent(key);

	return ent < 0 ? NULL : sc_value_of(sc, cell, ent);
}

void scenario_cell_config(const struct scenario *sc, const struct scenario_cell *cell,
                          struct cellcfg *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < SC_NSCHEMA; i++) {
		const struct schema_ent *e = &sc_schema[i];
		const char *s = sc_value_of(sc, cell, (int)i);
		char *dst = (char *)cfg + e->off;
		char cause[160];
		uint64_t v = 0;

		if (e->type == T_STR || e->type == T_KA) {
			snprintf(dst, e->size, "%s", s);
			continue;
		}
		/* Validated at load time: a failure here cannot happen. */
		if (sc_parse_value(e, s, &v, cause, sizeof cause) < 0)
			continue;
		if (e->size == sizeof(uint64_t))
			memcpy(dst, &v, sizeof v);
		else if (e->size == sizeof(unsigned)) {
			unsigned u = (unsigned)v;

			memcpy(dst, &u, sizeof u);
		}
	}
	if (!cfg->timeout_us)
		cfg->timeout_us = cfg->client.alarm_us + 30 * OPTLIM_SEC;
}

static void sanitize(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++)
		out[o++] = isalnum((unsigned char)*in) || *in == '.' ? *in : '-';
	out[o] = 0;
}

static void make_id(const struct scenario *sc, struct scenario_cell *c)
{
	size_t o = 0;

	c->id[0] = 0;
	for (size_t a = 0; a < sc->naxes; a++) {
		const char *key = sc_schema[sc->axes[a].ent].key, *last = strrchr(key, '.');
		char val[64];
		int dup = 0;

		last = last ? last + 1 : key;
		for (size_t b = 0; b < sc->naxes; b++) {
			const char *k2 = sc_schema[sc->axes[b].ent].key, *l2 = strrchr(k2, '.');

			if (b != a && !strcmp(l2 ? l2 + 1 : k2, last))
				dup = 1;
		}
		sanitize(sc->axes[a].values[c->pick[a]].raw, val, sizeof val);
		o += (size_t)snprintf(c->id + o, sizeof c->id - o, "%s%s-%s", a ? "_" : "", dup ? key : last, val);
		if (o >= sizeof c->id)
			o = sizeof c->id - 1;
	}
	if (!sc->naxes)
		o += (size_t)snprintf(c->id + o, sizeof c->id - o, "cell");
	if (sc->repeat > 1 && o < sizeof c->id)
		snprintf(c->id + o, sizeof c->id - o, "_r%u", c->repeat);
}

/* The number of cells, computed with overflow checks before anything is
 * allocated for them: more than SCENARIO_MAX_CELLS is an error that says how
 * the number is made. Returns 0 when within the bound. */
int sc_bound_cells(struct scenario *sc, size_t *count)
{
	uint64_t n = sc->repeat;
	long double approx = sc->repeat;
	int over = 0;
	char how[300];
	size_t o = 0;

	how[0] = 0;
	for (size_t a = 0; a < sc->naxes; a++) {
		approx *= (long double)sc->axes[a].n;
		if (!over && __builtin_mul_overflow(n, (uint64_t)sc->axes[a].n, &n))
			over = 1;
		if (o < sizeof how)
			o += (size_t)snprintf(how + o, sizeof how - o, "%s%zu", a ? " x " : "", sc->axes[a].n);
	}
	if (!over && n <= SCENARIO_MAX_CELLS) {
		*count = (size_t)n;
		return 0;
	}
	if (over)
		sc_error(sc, sc->matrix_line ? sc->matrix_line : 1, sc->matrix_line ? sc->matrix_column : 1,
		          "the matrix expands to about %.3Lg cells (%s, repeat %u), more than %u: split the scenario "
		          "or shorten its lists", approx, how, sc->repeat, SCENARIO_MAX_CELLS);
	else
		sc_error(sc, sc->matrix_line ? sc->matrix_line : 1, sc->matrix_line ? sc->matrix_column : 1,
		          "the matrix expands to %llu cells (%s, repeat %u), more than %u: split the scenario "
		          "or shorten its lists", (unsigned long long)n, how, sc->repeat, SCENARIO_MAX_CELLS);
	return -1;
}

int sc_expand(struct scenario *sc, size_t n)
{
	size_t na = sc->naxes ? sc->naxes : 1;
	size_t *picks;

	sc->cells = calloc(n ? n : 1, sizeof *sc->cells);
	/* One block for every cell's picks (cells[0].pick owns it); n * na
	 * cannot overflow: n <= SCENARIO_MAX_CELLS, na <= the schema's size. */
	picks = calloc(n ? n * na : 1, sizeof *picks);
	if (!sc->cells || !picks) {
		free(sc->cells);
		free(picks);
		sc->cells = NULL;
		sc->oom = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct scenario_cell *c = &sc->cells[i];
		size_t rest = i / sc->repeat;

		c->repeat = (unsigned)(i % sc->repeat) + 1;
		c->pick = picks + i * na;
		/* The first axis varies slowest. */
		for (size_t a = sc->naxes; a-- > 0;) {
			c->pick[a] = rest % sc->axes[a].n;
			rest /= sc->axes[a].n;
		}
		make_id(sc, c);
	}
	if (!n)
		sc->cells[0].pick = picks; /* owned, freed with the cells */
	sc->ncells = n;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct scenario_cell *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* Two cells with one id would share a results folder: values that differ
 * only in characters an id cannot hold (or beyond its length) are refused. */
void sc_check_ids(struct scenario *sc)
{
	const struct scenario_cell **v;

	if (sc->ncells < 2)
		return;
	v = malloc(sc->ncells * sizeof *v);
	if (!v) {
		sc->oom = 1;
		return;
	}
	for (size_t i = 0; i < sc->ncells; i++)
		v[i] = &sc->cells[i];
	qsort(v, sc->ncells, sizeof *v, by_id);
	for (size_t i = 1; i < sc->ncells; i++)
		if (!strcmp(v[i - 1]->id, v[i]->id)) {
			sc_error(sc, sc->matrix_line ? sc->matrix_line : 1, sc->matrix_line ? sc->matrix_column : 1,
			          "matrix: two cells get the same id '%s' (an id keeps the letters, digits and '.' of "
			          "each value, other characters become '-', and at most %zu characters): make the "
			          "values differ in what the id keeps", v[i]->id, sizeof v[i]->id - 1);
			break;
		}
	free(v);
}

unsigned scenario_shard_of(const char *id, unsigned n)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = id; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ull;
	}
	return n ? (unsigned)(h % n) + 1 : 1;
}
