/* cmd_scenario: probelock validate and probelock list: a scenario's errors, or its cells. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "optutil.h"
#include "scenario.h"

/* Loads path; on errors prints them all and returns NULL (exit 2). */
struct scenario *load_scenario_or_report(const char *prog, const char *path)
{
	char err[1024];
	struct scenario *sc = scenario_load(path, err, sizeof err);

	if (!sc) {
		fprintf(stderr, "probelock %s: %s\n", prog, err);
		return NULL;
	}
	if (sc->nerrors) {
		scenario_print_errors(sc, stderr);
		fprintf(stderr, "probelock %s: %s: %zu error%s, nothing was run\n", prog, path, sc->nerrors,
		        sc->nerrors == 1 ? "" : "s");
		scenario_free(sc);
		return NULL;
	}
	return sc;
}

int parse_shard(const char *s, unsigned *k, unsigned *n, char *err, size_t errlen)
{
	unsigned a, b;
	char tail;

	if (sscanf(s, "%u/%u%c", &a, &b, &tail) != 2 || b == 0 || a == 0 || a > b || b > 10000) {
		snprintf(err, errlen, "--shard '%s': expected K/N with 1 <= K <= N (e.g. 2/4)", s);
		return -1;
	}
	*k = a;
	*n = b;
	return 0;
}

int cmd_validate(int argc, char **argv)
{
	struct scenario *sc;

	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("usage: probelock validate SCENARIO.yaml\n\nChecks a scenario: every error with "
			       "file:line:column, the key, what was expected and what was found.\n"
			       "Exit 0 valid, 2 invalid.\n");
			return 0;
		}
		fprintf(stderr, "usage: probelock validate SCENARIO.yaml\n");
		return 2;
	}
	sc = load_scenario_or_report("validate", argv[1]);
	if (!sc)
		return 2;
	printf("%s: valid: scenario %s, %zu cell%s (%zu matrix key%s, repeat %u), %zu expectation rule%s\n",
	       argv[1], sc->name, sc->ncells, sc->ncells == 1 ? "" : "s", sc->naxes, sc->naxes == 1 ? "" : "s",
	       sc->repeat, sc->nexpects, sc->nexpects == 1 ? "" : "s");
	scenario_free(sc);
	return 0;
}

enum { OPT_ONLY = 256, OPT_SHARD };

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL;
	unsigned k = 1, n = 1;
	struct scenario *sc;
	char err[512];
	int c, shown = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ONLY:
			only = optarg;
			break;
		case OPT_SHARD:
			if (parse_shard(optarg, &k, &n, err, sizeof err) < 0)
				goto usage;
			break;
		case 'h':
			printf("usage: probelock list SCENARIO.yaml [--only KEY=VALUE[,...]] [--shard K/N]\n\n"
			       "Prints the cells of the scenario's matrix, one per line: id, then its values.\n");
			return 0;
		default:
			optutil_getopt_error(c, opts, argv, err, sizeof err);
			goto usage;
		}
	}
	if (argc - optind != 1) {
		snprintf(err, sizeof err, "give one SCENARIO file");
		goto usage;
	}
	sc = load_scenario_or_report("list", argv[optind]);
	if (!sc)
		return 2;
	for (size_t i = 0; i < sc->ncells; i++) {
		const struct scenario_cell *cell = &sc->cells[i];
		int m = only ? scenario_cell_matches(sc, cell, only, err, sizeof err) : 1;

		if (m < 0) {
			scenario_free(sc);
			goto usage;
		}
		if (!m || scenario_shard_of(cell->id, n) != k)
			continue;
		printf("%s", cell->id);
		for (size_t a = 0; a < sc->naxes; a++) {
			const struct scenario_key_doc *docs;

			scenario_schema(&docs);
			printf(" %s=%s", docs[sc->axes[a].ent].key, sc->axes[a].values[cell->pick[a]].raw);
		}
		if (sc->repeat > 1)
			printf(" repeat=%u", cell->repeat);
		putchar('\n');
		shown++;
	}
	fprintf(stderr, "%d of %zu cells\n", shown, sc->ncells);
	scenario_free(sc);
	return 0;
usage:
	fprintf(stderr, "probelock list: %s\nTry 'probelock list --help'.\n", err);
	return 2;
}

int cmd_keys(int argc, char **argv)
{
	const struct scenario_key_doc *docs;
	size_t n = scenario_schema(&docs);

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: probelock keys\n");
		return 2;
	}
	for (size_t i = 0; i < n; i++)
		printf("%-24s %-9s %-11s %s\n", docs[i].key, docs[i].type, *docs[i].def ? docs[i].def : "\"\"",
		       docs[i].help);
	return 0;
}
