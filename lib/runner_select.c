/* runner_select: which cells a run runs: a new run's selection (--only, --shard), or what a
 * resumed folder still lacks (see runner.h). */
#include "runner.h"

#include <stdio.h>
#include <string.h>

int runner_select(const struct scenario *sc, const struct results_sel *sel, unsigned *todo, unsigned *ntodo,
                  const char **ids, char *err, size_t errlen)
{
	*ntodo = 0;
	if (sel->only && scenario_filter_check(sc, sel->only, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sc->ncells; i++) {
		int m = results_selects(sc, i, sel, err, errlen);

		if (m < 0)
			return -1;
		if (m) {
			if (ids)
				ids[*ntodo] = sc->cells[i].id;
			todo[(*ntodo)++] = (unsigned)i;
		}
	}
	return 0;
}

int runner_resume_select(const struct scenario *sc, const struct results *res, const struct results_sel *sel,
                         unsigned *todo, unsigned *ntodo, char *err, size_t errlen)
{
	const char *only = results_run_str(res, "only");
	char shard[32];

	*ntodo = 0;
	if (sel->only && strcmp(sel->only, only) != 0) {
		snprintf(err, errlen, "--only '%s': %s was run with %s%s%s; resume takes the folder's own selection "
		         "(give the same --only, or none)", sel->only, res->dir, *only ? "--only '" : "no --only", only,
		         *only ? "'" : "");
		return -1;
	}
	snprintf(shard, sizeof shard, "%u/%u", sel->shard_k, sel->shard_n);
	if (strcmp(shard, "1/1") != 0 && strcmp(shard, results_run_str(res, "shard")) != 0) {
		snprintf(err, errlen, "--shard %s: %s was run as shard %s; resume takes the folder's own shard", shard,
		         res->dir, results_run_str(res, "shard"));
		return -1;
	}
	for (size_t c = 0; c < res->ncells; c++) {
		if (res->cells[c].rec)
			continue;
		for (size_t i = 0; i < sc->ncells; i++)
			if (!strcmp(sc->cells[i].id, res->cells[c].id)) {
				todo[(*ntodo)++] = (unsigned)i;
				break;
			}
	}
	return 0;
}
