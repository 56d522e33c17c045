/* report_verdict: the one-sentence verdict of a run, for the report and the terminal. */
#include "report_int.h"

/* ---------- verdict ---------- */

int report_verdict(const struct results *res, const struct scenario *sc, char *out, size_t len)
{
	struct cells c;
	char err[256];
	size_t dl = 0, fail = 0, broke = 0, o = 0;

	if (!len)
		return -1;
	out[0] = 0;
	if (load_cells(res, sc, &c, err, sizeof err) < 0) {
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
				int p = pick_of(&c, i, (int)a);

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
