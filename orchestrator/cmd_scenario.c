/* cmd_scenario: probelock validate, list and keys: a scenario's errors, its cells, what a scenario may hold. */
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
		fprintf(stderr, "probelock %s: %s: %s%zu error%s, nothing was run\n", prog, path,
		        sc->errors_truncated ? "more than " : "", sc->nerrors, sc->nerrors == 1 && !sc->errors_truncated ? "" : "s");
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

static int is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h");
}

int cmd_validate(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc == 2 && is_help(argv[1])) {
			printf("usage: probelock validate SCENARIO.yaml...\n\nChecks each scenario: every error with "
			       "file:line:column, the key, what was expected and what was found.\n"
			       "Exit 0 all valid, 2 some invalid.\n");
			return 0;
		}
		fprintf(stderr, "usage: probelock validate SCENARIO.yaml...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct scenario *sc = load_scenario_or_report("validate", argv[i]);

		if (!sc) {
			rc = 2;
			continue;
		}
		printf("%s: valid: scenario %s, %zu cell%s (%zu matrix key%s, repeat %u), %zu expectation rule%s\n",
		       argv[i], sc->name, sc->ncells, sc->ncells == 1 ? "" : "s", sc->naxes, sc->naxes == 1 ? "" : "s",
		       sc->repeat, sc->nexpects, sc->nexpects == 1 ? "" : "s");
		scenario_free(sc);
	}
	return rc;
}

enum { OPT_ONLY = 256, OPT_SHARD };

/* Prints the cells of sc that match only (NULL: all) in shard k of n: id,
 * then its values. Returns how many, or -1 with err. */
static int list_cells(const struct scenario *sc, const char *only, unsigned k, unsigned n, char *err, size_t errlen)
{
	const struct scenario_key_doc *docs;
	int shown = 0;

	scenario_schema(&docs);
	for (size_t i = 0; i < sc->ncells; i++) {
		const struct scenario_cell *cell = &sc->cells[i];
		int m = only ? scenario_cell_matches(sc, cell, only, err, errlen) : 1;

		if (m < 0)
			return -1;
		if (!m || scenario_shard_of(cell->id, n) != k)
			continue;
		printf("%s", cell->id);
		for (size_t a = 0; a < sc->naxes; a++)
			printf(" %s=%s", docs[sc->axes[a].ent].key, sc->axes[a].values[cell->pick[a]].raw);
		if (sc->repeat > 1)
			printf(" repeat=%u", cell->repeat);
		putchar('\n');
		shown++;
	}
	return shown;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char only[4096] = "";
	int have_only = 0;
	unsigned k = 1, n = 1;
	struct scenario *sc;
	char err[1024];
	int c, shown = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ONLY:
			/* A repeated --only ANDs with the ones before, never replaces them. */
			if (scenario_filter_join(only, sizeof only, optarg) < 0) {
				snprintf(err, sizeof err, "--only: the filters together are longer than %zu characters",
				         sizeof only - 1);
				goto usage;
			}
			have_only = 1;
			break;
		case OPT_SHARD:
			if (parse_shard(optarg, &k, &n, err, sizeof err) < 0)
				goto usage;
			break;
		case 'h':
			printf("usage: probelock list SCENARIO.yaml [--only KEY=VALUE[,...]]... [--shard K/N]\n\n"
			       "Prints the cells of the scenario's matrix, one per line: id, then its values.\n"
			       "--only keeps the cells whose values match every term (commas and repeated\n"
			       "--only mean AND); a filter no cell can match is an error (exit 2).\n");
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
	if (have_only && scenario_filter_check(sc, only, err, sizeof err) < 0) {
		fprintf(stderr, "probelock list: %s\n", err);
		scenario_free(sc);
		return 2;
	}
	shown = list_cells(sc, have_only ? only : NULL, k, n, err, sizeof err);
	if (shown < 0) {
		scenario_free(sc);
		goto usage;
	}
	fprintf(stderr, "%d of %zu cells\n", shown, sc->ncells);
	scenario_free(sc);
	return 0;
usage:
	fprintf(stderr, "probelock list: %s\nTry 'probelock list --help'.\n", err);
	return 2;
}

static void print_words(const struct scenario_word_doc *d, size_t n)
{
	char buf[256];

	for (size_t i = 0; i < n; i++) {
		if (d[i].values)
			printf("%-24s %-9s %s: %s\n", d[i].key, d[i].type, scenario_word_list(&d[i], buf, sizeof buf), d[i].help);
		else
			printf("%-24s %-9s %s\n", d[i].key, d[i].type, d[i].help);
	}
}

int cmd_keys(int argc, char **argv)
{
	const struct scenario_key_doc *docs;
	const struct scenario_word_doc *words;
	size_t n = scenario_schema(&docs);

	if (argc == 2 && is_help(argv[1])) {
		printf("usage: probelock keys\n\nPrints what a scenario may hold: the top-level keys, the fields of an\n"
		       "expectation rule with their allowed values, and every key of the sections\n"
		       "and the matrix with its type, default and meaning (scenarios/README.md has\n"
		       "the same table). Each heading is a line starting with '#'; every other line\n"
		       "is one key, the key first.\n");
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "probelock keys: takes no arguments\nusage: probelock keys\n");
		return 2;
	}
	/* Headings start with '#': every other line is one key, key first. */
	printf("# Top-level keys:\n");
	print_words(words, scenario_top_docs(&words));
	printf("#\n# Fields of an expect rule (- when: {...} then at least one of outcome, stall_cause, ended_by):\n");
	print_words(words, scenario_expect_docs(&words));
	printf("#\n# Keys of the sections (target: { kind: netns }) and of the matrix (target.kind: [...]):\n"
	       "# %-22s %-9s %-11s %s\n", "key", "type", "default", "meaning");
	for (size_t i = 0; i < n; i++)
		printf("%-24s %-9s %-11s %s\n", docs[i].key, docs[i].type, *docs[i].def ? docs[i].def : "\"\"",
		       docs[i].help);
	return 0;
}
