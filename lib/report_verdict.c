/* report_verdict: the one-sentence verdict of a run, for the report and the terminal.
 *
 * What it says of the deadlocks holds for every cell it covers. The deadlocked records of a
 * set of cells are described by a condition per matrix axis ("client.payload >= 120000",
 * "client.mode=blocking") only when that description is exact: every record that meets all
 * the conditions deadlocked and no other did. When no such description exists (two targets
 * with different boundaries, a payload that deadlocked where a larger one completed,
 * repeats that disagree), the set is split by the values of one axis (target.kind first,
 * then the axes whose values are not numbers, then the numeric ones, each in the
 * scenario's order) and each part is described the same way: the parts where every cell
 * deadlocked and those where none did are named together ("all N cells", "none of N
 * cells"), and one matrix position whose repeats disagree says "deadlocked in K of N
 * repeats". */
#include "report_verdict.h"
#include "report_int.h"

/* The sentence being written, and the scratch of the last box_of. */
struct vtext {
	const struct scenario *sc;
	const struct cells *c;
	char *out;
	size_t len, o;
	int *numeric;            /* per axis: every value of the axis is a number */
	unsigned char **in_dl;   /* per axis, per value: a deadlocked record of the set has it */
	unsigned char **seen;    /* per axis, per value: a record of the set has it */
	size_t nclauses;         /* clauses written inside the parentheses */
};

static void vtext_free(struct vtext *x)
{
	if (x->in_dl && x->seen) /* both allocated before any of their rows */
		for (size_t a = 0; a < x->sc->naxes; a++) {
			free(x->in_dl[a]);
			free(x->seen[a]);
		}
	free(x->in_dl);
	free(x->seen);
	free(x->numeric);
}

static int vtext_init(struct vtext *x, const struct scenario *sc, const struct cells *c, char *out, size_t len)
{
	size_t na = sc->naxes ? sc->naxes : 1;

	memset(x, 0, sizeof *x);
	x->sc = sc;
	x->c = c;
	x->out = out;
	x->len = len;
	x->numeric = calloc(na, sizeof *x->numeric);
	x->in_dl = calloc(na, sizeof *x->in_dl);
	x->seen = calloc(na, sizeof *x->seen);
	if (!x->numeric || !x->in_dl || !x->seen)
		return -1;
	for (size_t a = 0; a < sc->naxes; a++) {
		double v;

		x->in_dl[a] = calloc(sc->axes[a].n + 1, 1);
		x->seen[a] = calloc(sc->axes[a].n + 1, 1);
		if (!x->in_dl[a] || !x->seen[a])
			return -1;
		x->numeric[a] = 1;
		for (size_t k = 0; k < sc->axes[a].n; k++)
			if (scenario_value_number(scenario_axis_key(sc, a), sc->axes[a].values[k].raw, &v) < 0)
				x->numeric[a] = 0;
	}
	return 0;
}

static size_t count_deadlocks(const struct vtext *x, const size_t *set, size_t n)
{
	size_t d = 0;

	for (size_t i = 0; i < n; i++)
		d += is_deadlock(x->c->v[set[i]]);
	return d;
}

/* Fills the scratch with the values the records of set have (seen) and those its deadlocked
 * records have (in_dl), per axis; returns whether the deadlocked records are exactly those
 * whose value on every axis is one of in_dl's (the product of the projections). */
static int box_of(struct vtext *x, const size_t *set, size_t n)
{
	const struct scenario *sc = x->sc;

	for (size_t a = 0; a < sc->naxes; a++) {
		memset(x->in_dl[a], 0, sc->axes[a].n);
		memset(x->seen[a], 0, sc->axes[a].n);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t a = 0; a < sc->naxes; a++) {
			int p = pick_of(x->c, set[i], (int)a);

			x->seen[a][p] = 1;
			if (is_deadlock(x->c->v[set[i]]))
				x->in_dl[a][p] = 1;
		}
	for (size_t i = 0; i < n; i++) {
		int inbox = 1;

		for (size_t a = 0; a < sc->naxes; a++)
			inbox &= x->in_dl[a][pick_of(x->c, set[i], (int)a)];
		if (inbox != is_deadlock(x->c->v[set[i]]))
			return 0;
	}
	return 1;
}

/* Whether axis a constrains the box of the scratch: some value the set has is not in it. */
static int axis_constrains(const struct vtext *x, size_t a)
{
	for (size_t v = 0; v < x->sc->axes[a].n; v++)
		if (x->seen[a][v] && !x->in_dl[a][v])
			return 1;
	return 0;
}

/* The box's condition on axis a: "key >= value" when a is numeric and the box holds exactly
 * the set's values from its smallest deadlocked one up, else "key=v1|v2" (the scenario's order). */
static void say_axis(struct vtext *x, size_t a)
{
	const struct scenario_axis *ax = &x->sc->axes[a];
	const char *key = scenario_axis_key(x->sc, a);
	size_t vmin_at = ax->n;
	double vmin = 0, v;
	int thresh = x->numeric[a], first = 1;

	for (size_t k = 0; thresh && k < ax->n; k++)
		if (x->in_dl[a][k] && scenario_value_number(key, ax->values[k].raw, &v) == 0 &&
		    (vmin_at == ax->n || v < vmin)) {
			vmin = v;
			vmin_at = k;
		}
	for (size_t k = 0; thresh && k < ax->n; k++)
		if (x->seen[a][k] && scenario_value_number(key, ax->values[k].raw, &v) == 0 &&
		    (v >= vmin) != (x->in_dl[a][k] != 0))
			thresh = 0;
	if (thresh && vmin_at < ax->n) {
		app(x->out, x->len, &x->o, "%s >= %s", key, ax->values[vmin_at].raw);
		return;
	}
	app(x->out, x->len, &x->o, "%s=", key);
	for (size_t k = 0; k < ax->n; k++)
		if (x->in_dl[a][k]) {
			app(x->out, x->len, &x->o, "%s%s", first ? "" : "|", ax->values[k].raw);
			first = 0;
		}
}

/* The box of the scratch as its conditions, ", " between them; returns how many. */
static size_t say_box(struct vtext *x, const char *lead)
{
	size_t n = 0;

	for (size_t a = 0; a < x->sc->naxes; a++)
		if (axis_constrains(x, a)) {
			app(x->out, x->len, &x->o, "%s", n++ ? ", " : lead);
			say_axis(x, a);
		}
	return n;
}

/* The axis to split set by: one on which its records have two values or more; target.kind
 * first, then the axes whose values are not numbers, then the numeric ones. -1: none (one
 * matrix position). */
static int split_axis(const struct vtext *x, const size_t *set, size_t n)
{
	int best = -1, best_rank = 3;

	for (size_t a = 0; a < x->sc->naxes; a++) {
		int rank = !strcmp(scenario_axis_key(x->sc, a), "target.kind") ? 0 : x->numeric[a] ? 2 : 1;
		size_t i = 1;

		while (i < n && pick_of(x->c, set[i], (int)a) == pick_of(x->c, set[0], (int)a))
			i++;
		if (i < n && rank < best_rank) {
			best = (int)a;
			best_rank = rank;
		}
	}
	return best;
}

/* Starts a clause of the parenthesis: "; " after the first, then the label and tail when
 * there is a label ("label: " before a description, "label, " before more conditions). */
static void clause(struct vtext *x, const char *label, const char *tail)
{
	app(x->out, x->len, &x->o, "%s%s%s", x->nclauses++ ? "; " : "", label, *label ? tail : "");
}

static int describe(struct vtext *x, const size_t *set, size_t n, const char *label);

/* The parts of a split whose cells all deadlocked (all = 1) or none did (all = 0), named
 * together: "label, key=v1|v2: all 6 cells". part[v]..part[v + 1] are value v's records. */
static void say_uniform(struct vtext *x, size_t a, const size_t *sorted, const size_t *part, const char *label,
                        int all)
{
	const struct scenario_axis *ax = &x->sc->axes[a];
	size_t cells = 0;
	int first = 1;

	for (size_t v = 0; v < ax->n; v++) {
		size_t n = part[v + 1] - part[v], d = count_deadlocks(x, sorted + part[v], n);

		if (!n || d != (all ? n : 0))
			continue;
		if (first) {
			clause(x, label, ", ");
			app(x->out, x->len, &x->o, "%s=%s", scenario_axis_key(x->sc, a), ax->values[v].raw);
		} else {
			app(x->out, x->len, &x->o, "|%s", ax->values[v].raw);
		}
		first = 0;
		cells += n;
	}
	if (!first)
		app(x->out, x->len, &x->o, all ? ": all %zu cell%s" : ": none of %zu cell%s", cells, cells == 1 ? "" : "s");
}

/* Splits set by the values of axis a: the parts where every cell deadlocked, each mixed
 * part described on its own (its label gains "key=value"), then the parts where none did. */
static int say_split(struct vtext *x, const size_t *set, size_t n, size_t a, const char *label)
{
	const struct scenario_axis *ax = &x->sc->axes[a];
	size_t *sorted = malloc((n ? n : 1) * sizeof *sorted), *part = calloc(ax->n + 2, sizeof *part);
	int rc = 0;

	if (!sorted || !part) {
		free(sorted);
		free(part);
		return -1;
	}
	/* A counting sort by value: sorted[part[v]] .. sorted[part[v + 1] - 1] are value v's records. */
	for (size_t i = 0; i < n; i++)
		part[pick_of(x->c, set[i], (int)a) + 1]++;
	for (size_t v = 0; v < ax->n; v++)
		part[v + 1] += part[v];
	for (size_t i = 0; i < n; i++)
		sorted[part[pick_of(x->c, set[i], (int)a)]++] = set[i];
	memmove(part + 1, part, ax->n * sizeof *part);
	part[0] = 0;
	say_uniform(x, a, sorted, part, label, 1);
	for (size_t v = 0; v < ax->n && rc == 0; v++) {
		size_t m = part[v + 1] - part[v], d = count_deadlocks(x, sorted + part[v], m);
		char sub[600];

		if (!d || d == m)
			continue;
		snprintf(sub, sizeof sub, "%s%s%s=%s", label, *label ? ", " : "", scenario_axis_key(x->sc, a),
		         ax->values[v].raw);
		rc = describe(x, sorted + part[v], m, sub);
	}
	if (rc == 0)
		say_uniform(x, a, sorted, part, label, 0);
	free(sorted);
	free(part);
	return rc;
}

/* A set where some records deadlocked and some did not: its box when that is exact, else its
 * split, else (one matrix position) how many of its repeats deadlocked. */
static int describe(struct vtext *x, const size_t *set, size_t n, const char *label)
{
	int a;

	if (box_of(x, set, n)) {
		clause(x, label, ": ");
		say_box(x, "");
		return 0;
	}
	a = split_axis(x, set, n);
	if (a >= 0)
		return say_split(x, set, n, (size_t)a, label);
	clause(x, label, ": ");
	app(x->out, x->len, &x->o, "deadlocked in %zu of %zu repeats", count_deadlocks(x, set, n), n);
	return 0;
}

/* "Probe deadlock reproduced in D of N cells" and where: ": conditions." when one exact box
 * holds them all (nothing more when every cell deadlocked), else " (clauses)." */
static int say_deadlocks(struct vtext *x, size_t dl)
{
	size_t n = x->c->n, *all = malloc((n ? n : 1) * sizeof *all);
	int rc = 0;

	if (!all)
		return -1;
	for (size_t i = 0; i < n; i++)
		all[i] = i;
	app(x->out, x->len, &x->o, "Probe deadlock reproduced in %zu of %zu cells", dl, n);
	if (box_of(x, all, n)) {
		say_box(x, ": ");
	} else {
		app(x->out, x->len, &x->o, " (");
		rc = describe(x, all, n, "");
		app(x->out, x->len, &x->o, ")");
	}
	app(x->out, x->len, &x->o, ".");
	free(all);
	return rc;
}

/* " INCOMPLETE: R of E cells ran, M missing (ids...), F records of cells this run does not
 * expect." when the folder is not whole. */
static void say_completeness(const struct results *res, char *out, size_t len, size_t *o)
{
	size_t miss = results_missing(res), foreign = json_array_size(res->foreign);

	if (results_complete(res))
		return;
	app(out, len, o, " INCOMPLETE: %zu of %zu cells ran", res->nran, res->ncells);
	if (miss) {
		size_t shown = 0;

		app(out, len, o, ", %zu missing (", miss);
		for (size_t i = 0; i < res->ncells && shown < 5; i++)
			if (!res->cells[i].rec)
				app(out, len, o, "%s%s", shown++ ? ", " : "", res->cells[i].id);
		app(out, len, o, "%s)", miss > shown ? ", ..." : "");
	}
	if (foreign)
		app(out, len, o, ", %zu record%s of cells this run does not expect", foreign, foreign == 1 ? "" : "s");
	app(out, len, o, ".");
}

/* " Every expectation held." only when the folder is whole and no cell failed or broke. */
static void say_expectations(const struct results *res, size_t fail, size_t broke, char *out, size_t len, size_t *o)
{
	if (!fail && !broke && results_complete(res))
		app(out, len, o, " Every expectation held.");
	else if (!fail && !broke)
		app(out, len, o, " Every expectation of the cells that ran held.");
	else
		app(out, len, o, " %zu cell%s failed %s expectations and %zu broke.", fail, fail == 1 ? "" : "s",
		    fail == 1 ? "its" : "their", broke);
}

int report_verdict(const struct results *res, const struct scenario *sc, char *out, size_t len)
{
	struct cells c;
	struct vtext x;
	char err[256];
	size_t dl = 0, fail = 0, broke = 0;
	int rc = 0;

	if (!len)
		return -1;
	out[0] = 0;
	if (load_cells(res, sc, &c, err, sizeof err) < 0) {
		snprintf(out, len, "%s", err);
		return -1;
	}
	for (size_t i = 0; i < c.n; i++) {
		dl += is_deadlock(c.v[i]);
		fail += results_verdict(c.v[i]) == RESULTS_FAIL;
		broke += results_verdict(c.v[i]) == RESULTS_ERROR;
	}
	if (vtext_init(&x, sc, &c, out, len) < 0)
		rc = -1;
	else if (!dl)
		app(out, len, &x.o, "No probe deadlock in %zu cell%s.", c.n, c.n == 1 ? "" : "s");
	else
		rc = say_deadlocks(&x, dl);
	if (rc == 0) {
		say_completeness(res, out, len, &x.o);
		say_expectations(res, fail, broke, out, len, &x.o);
	} else {
		snprintf(out, len, "report: out of memory");
	}
	vtext_free(&x);
	free_cells(&c);
	return rc;
}
