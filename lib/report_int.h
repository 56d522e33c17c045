/* report_int.h: what the report's parts (report.c: the documents, report_verdict.c: the
 * sentence, report_plot*.c: the run's plots) share: the records of the cells that ran and
 * small readers of them. Internal to lib/report*.c. */
#ifndef PROBELOCK_REPORT_INT_H
#define PROBELOCK_REPORT_INT_H

#include "client.h"
#include "results.h"
#include "scenario.h"
#include "stall.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The records of the cells that ran, in the scenario's order (borrowed from the model),
 * each with its scenario cell (its matrix position: cell[i]->pick). */
struct cells {
	json_t **v;
	const struct scenario_cell **cell;
	size_t n;
	const struct results *res;
};

static inline void free_cells(struct cells *c)
{
	free(c->v);
	free(c->cell);
	c->v = NULL;
	c->cell = NULL;
}

/* The expected cells of res are sc's (results_open checked the identity), in sc's order:
 * one walk pairs each record with its scenario cell. */
static inline int load_cells(const struct results *res, const struct scenario *sc, struct cells *c, char *err,
                             size_t errlen)
{
	size_t j = 0;

	c->res = res;
	c->n = 0;
	c->v = calloc(res->ncells ? res->ncells : 1, sizeof *c->v);
	c->cell = calloc(res->ncells ? res->ncells : 1, sizeof *c->cell);
	if (!c->v || !c->cell) {
		snprintf(err, errlen, "report: out of memory");
		free_cells(c);
		return -1;
	}
	for (size_t i = 0; i < res->ncells; i++) {
		while (j < sc->ncells && strcmp(sc->cells[j].id, res->cells[i].id))
			j++;
		if (j == sc->ncells) {
			snprintf(err, errlen, "report: %s: cell %s is not a cell of scenario '%s'", res->dir,
			         res->cells[i].id, sc->name);
			free_cells(c);
			return -1;
		}
		if (res->cells[i].rec) {
			c->cell[c->n] = &sc->cells[j];
			c->v[c->n++] = res->cells[i].rec;
		}
	}
	return 0;
}

/* snprintf at *o into out, never past len: *o stops at len - 1 when the text is cut. */
static inline void app(char *out, size_t len, size_t *o, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static inline void app(char *out, size_t len, size_t *o, const char *fmt, ...)
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

static inline const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static inline const char *cfg(json_t *l, const char *key)
{
	return str(json_object_get(l, "config"), key);
}

static inline double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static inline int axis_of(const struct scenario *sc, const char *key)
{
	for (size_t a = 0; a < sc->naxes; a++)
		if (!strcmp(scenario_axis_key(sc, a), key))
			return (int)a;
	return -1;
}

/* Index of record i's value on axis a, in the axis's list (the order the scenario gives). */
static inline int pick_of(const struct cells *c, size_t i, int a)
{
	return (int)c->cell[i]->pick[a];
}

static inline int is_deadlock(json_t *l)
{
	return results_outcome(l) == CLIENT_DEADLOCK;
}

/* The client completed: every byte echoed (its throughput counts). */
static inline int is_completed(json_t *l)
{
	return results_outcome(l) == CLIENT_COMPLETED;
}

/* The capture shows a probe deadlock in this cell. */
static inline int wire_deadlock(json_t *l)
{
	return (results_causes(l) & STALL_CAUSE_BIT(STALL_PROBE_DEADLOCK)) != 0;
}

/* The cause (enum stall_cause) of one stall of analysis.json, -1 for none or a word that is
 * no cause's name. */
static inline int stall_cause_of(json_t *stall)
{
	enum stall_cause c;

	return stall && stall_cause_parse(str(stall, "cause"), &c) == 0 ? (int)c : -1;
}

static inline double mbps(json_t *l)
{
	return num(l, "throughput_Bps") * 8 / 1e6;
}

#endif
