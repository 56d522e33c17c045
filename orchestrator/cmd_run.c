/* cmd_run: probelock run SCENARIO.yaml, and probelock env up|down|status. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "netenv.h"
#include "optutil.h"
#include "report.h"
#include "results.h"
#include "merge.h"
#include "runner.h"
#include "summary.h"
#include "scenario.h"

static const char help[] =
"usage: probelock run SCENARIO.yaml [-o DIR] [--only KEY=VALUE[,...]] [--shard K/N]\n"
"                     [--resume RUNDIR] [--dry-run]\n"
"\n"
"Runs every cell of the scenario's matrix: starts echod on the target, captures,\n"
"runs tcpecho, analyses the capture, checks the expectations, and writes\n"
"DIR/<name>/<time>/ (cells.jsonl, summary.csv, junit.xml, env.json, cells/<id>/).\n"
"DIR/latest points at the newest run. Captures and namespaces need root.\n"
"\n"
"  -o, --output DIR     results root (default: results)\n"
"      --only FILTER    only the cells whose values match, e.g. client.mode=blocking;\n"
"                       commas and a repeated --only mean AND\n"
"      --shard K/N      only the K-th of N deterministic shares of the cells\n"
"      --resume RUNDIR  run the cells RUNDIR lacks, into RUNDIR (SCENARIO, if given,\n"
"                       must expand to the same cells; RUNDIR keeps its --only/--shard)\n"
"      --dry-run        list what would run, start nothing\n"
"\n"
"Exit: 0 every expected cell ran and held, 1 some failed, broke or are missing,\n"
"2 invalid scenario or usage (a filter that selects nothing, a RUNDIR of another\n"
"scenario), 3 infrastructure error (the message names the step), 130 interrupted.\n";

/* The folder of this program: echod and tcpecho are built beside it. */
static void bin_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0) {
		snprintf(out, len, ".");
		return;
	}
	exe[n] = 0;
	snprintf(out, len, "%s", dirname(exe));
}

/* The command line for env.json and the report, quoted for a shell. */
static void quote_cmdline(const char *prog, int argc, char **argv, char *out, size_t len)
{
	size_t off = (size_t)snprintf(out, len, "%s", prog);

	for (int i = 1; i < argc && off < len; i++) {
		int plain = argv[i][0] != 0;

		for (const char *p = argv[i]; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+%@", *p))
				plain = 0;
		off += (size_t)snprintf(out + off, len - off, plain ? " %s" : " '%s'", argv[i]);
	}
}

/* The verdict table of a run folder, a row per expected cell. */
static void print_table(const struct results *res)
{
	char row[2048];
	int idw = summary_id_width(res);

	summary_table_row(NULL, idw, row, sizeof row);
	printf("\n%s\n", row);
	for (size_t i = 0; i < res->ncells; i++) {
		summary_table_row(&res->cells[i], idw, row, sizeof row);
		printf("%s\n", row);
	}
	putchar('\n');
}

static void print_verdict(const struct results *res, const struct scenario *sc)
{
	char verdict[1600];

	print_table(res);
	if (report_verdict(res, sc, verdict, sizeof verdict) == 0)
		printf("%s\n", verdict);
}

/* What a run says on the terminal: a line per cell, or one line redrawn on a terminal. */
static void print_event(void *arg, const struct run_event *ev)
{
	int tty = *(const int *)arg;
	const char *verdict, *why;
	int el = (int)ev->elapsed_s, eta = (int)ev->eta_s, pass;

	switch (ev->kind) {
	case RUN_EV_DRY_CELL:
		printf("would run %s\n", ev->id);
		break;
	case RUN_EV_DRY_DONE:
		printf("%u cell%s would run (dry run: nothing was started)\n", ev->total, ev->total == 1 ? "" : "s");
		break;
	case RUN_EV_EMPTY_SHARD:
		printf("--shard %s: this shard holds none of the cells of scenario %s (shards are dealt by a hash of the "
		       "cell id): nothing to run, no run folder made\n", ev->text, ev->sc->name);
		break;
	case RUN_EV_START:
		printf("run %s: %u cell%s -> %s\n", ev->sc->name, ev->total, ev->total == 1 ? "" : "s", ev->dir);
		break;
	case RUN_EV_BASELINE:
		printf("baseline: %s, %s: %.1f Mbit/s\n", ev->id, ev->text, ev->value);
		break;
	case RUN_EV_BASELINE_WARNING:
		printf("baseline: warning: %s\n", ev->text);
		break;
	case RUN_EV_BASELINE_NONE:
		printf("baseline: no measurement succeeded: %s\n", ev->text);
		break;
	case RUN_EV_CELL_START:
		if (tty)
			printf("\r\033[K[%u/%u] %02d:%02d elapsed | running %s ...", ev->done + 1, ev->total, el / 60, el % 60,
			       ev->id);
		break;
	case RUN_EV_CELL_DONE:
		verdict = json_string_value(json_object_get(ev->rec, "verdict"));
		pass = results_verdict(ev->rec) == RESULTS_PASS;
		why = json_string_value(json_object_get(json_object_get(ev->rec, "expect"), "why"));
		if (!why || !*why)
			why = json_string_value(json_object_get(ev->rec, "detail"));
		if (tty)
			printf("\r\033[K[%u/%u] %02d:%02d elapsed, ETA %02d:%02d | %s: %s (%s)", ev->done, ev->total, el / 60,
			       el % 60, eta / 60, eta % 60, ev->id, json_string_value(json_object_get(ev->rec, "outcome")),
			       verdict);
		else
			printf("[%u/%u] %s: %s, %.2f s, %s%s%s\n", ev->done, ev->total, ev->id,
			       json_string_value(json_object_get(ev->rec, "outcome")),
			       json_number_value(json_object_get(ev->rec, "duration_s")), verdict,
			       pass ? "" : ": ", !pass && why ? why : "");
		break;
	case RUN_EV_PARTIAL:
		printf("%sresults so far: %s (report.html says which cells are missing)\n", tty ? "\n" : "", ev->dir);
		break;
	case RUN_EV_INTERRUPTED:
		printf("%sinterrupted by signal %d after %u of %u cells; complete it with: probelock run %s --resume %s\n"
		       "report (incomplete): %s/report.html\n", tty ? "\n" : "", ev->sig, ev->done, ev->total, ev->text,
		       ev->dir, ev->dir);
		break;
	case RUN_EV_FINISHED:
		if (tty)
			putchar('\n');
		print_verdict(ev->res, ev->sc);
		printf("%zu passed, %zu failed, %zu errors, %zu missing (of %zu cells expected)\nresults: %s\n"
		       "report: %s/report.html\n", ev->res->npass, ev->res->nfail, ev->res->nerror,
		       results_missing(ev->res), ev->res->ncells, ev->dir, ev->dir);
		break;
	}
	fflush(stdout);
}

enum { OPT_ONLY = 256, OPT_SHARD, OPT_RESUME, OPT_DRY };

/* probelock run's options into o (only: the joined --only filters). Returns 1 after --help,
 * 0, or -1 with err (a usage error). */
static int parse_run_opts(int argc, char **argv, struct run_opts *o, char *only, size_t onlylen, char *err,
                          size_t errlen)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "resume", required_argument, NULL, OPT_RESUME },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->results_root = optarg;
			break;
		case OPT_ONLY:
			/* A second --only narrows the first (AND), never replaces it. */
			if (!*optarg || scenario_filter_join(only, onlylen, optarg) < 0) {
				snprintf(err, errlen, "--only '%s': %s", optarg, *optarg ? "the filters are too long" : "an empty filter");
				return -1;
			}
			o->only = only;
			break;
		case OPT_SHARD:
			if (parse_shard(optarg, &o->shard_k, &o->shard_n, err, errlen) < 0)
				return -1;
			break;
		case OPT_RESUME:
			o->resume_dir = optarg;
			break;
		case OPT_DRY:
			o->dry_run = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return 1;
		default:
			optutil_getopt_error(c, opts, argv, err, errlen);
			return -1;
		}
	}
	return 0;
}

/* The scenario file to run (path, or a resumed folder's own copy in scen), after checking
 * that a folder to resume is one. 0, or -1 with err (a usage error). */
static int run_target(int argc, char **argv, const struct run_opts *o, const char **path, char *scen, size_t slen,
                      char *err, size_t errlen)
{
	char rj[1300];

	if (argc - optind == 1) {
		*path = argv[optind];
	} else if (argc - optind == 0 && o->resume_dir) {
		/* Resuming: the run folder keeps its own copy of the scenario. */
		snprintf(scen, slen, "%s/scenario.yaml", o->resume_dir);
		*path = scen;
	} else {
		snprintf(err, errlen, "give one SCENARIO file");
		return -1;
	}
	if (!o->resume_dir)
		return 0;
	snprintf(rj, sizeof rj, "%s/run.json", o->resume_dir);
	if (access(rj, F_OK) == 0)
		return 0;
	snprintf(rj, sizeof rj, "%s/cells.jsonl", o->resume_dir);
	snprintf(err, errlen, "--resume '%s': %s", o->resume_dir, access(rj, F_OK) == 0
	         ? "made by a probelock before run folders recorded their scenario's identity: run the scenario again"
	         : "not a run folder (no run.json)");
	return -1;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .results_root = "results", .shard_k = 1, .shard_n = 1 };
	char err[1200], bindir[PATH_MAX], cmdline[2048] = "", scen[1200], only[2048] = "";
	const char *path = NULL;
	struct scenario *sc;
	int rc, tty;

	quote_cmdline("probelock run", argc, argv, cmdline, sizeof cmdline);
	rc = parse_run_opts(argc, argv, &o, only, sizeof only, err, sizeof err);
	if (rc > 0)
		return 0;
	if (rc < 0 || run_target(argc, argv, &o, &path, scen, sizeof scen, err, sizeof err) < 0) {
		fprintf(stderr, "probelock run: %s\nTry 'probelock run --help'.\n", err);
		return 2;
	}
	sc = load_scenario_or_report("run", path);
	if (!sc)
		return 2;
	bin_dir(bindir, sizeof bindir);
	o.bin_dir = bindir;
	o.cmdline = cmdline;
	tty = isatty(1);
	o.on_event = print_event;
	o.event_arg = &tty;
	rc = runner_run(sc, &o, err, sizeof err);
	if (rc == RUN_INFRA || rc == RUN_USAGE)
		fprintf(stderr, "probelock run: %s%s\n", rc == RUN_INFRA ? "infrastructure error: " : "", err);
	scenario_free(sc);
	return rc;
}

/* "run 1a2b3c (pid 4242, started 2024-05-01 12:00:03)" */
static void run_name(char *out, size_t len, const struct envreg_item *it)
{
	const struct envreg_owner *o = it->owner;
	char when[64] = "";

	if (!o || !o->pid) {
		snprintf(out, len, "run %s (no owner recorded: an older probelock's registry)", it->tag);
		return;
	}
	if (o->started) {
		time_t t = (time_t)o->started;
		struct tm tm;

		if (localtime_r(&t, &tm))
			strftime(when, sizeof when, ", started %Y-%m-%d %H:%M:%S", &tm);
	}
	snprintf(out, len, "run %s (pid %d%s)", it->tag, (int)o->pid, when);
}

struct env_down_ctx {
	int force, live;
};

static void env_down_item(const struct envreg_item *it, void *arg)
{
	struct env_down_ctx *x = arg;
	char run[200];

	run_name(run, sizeof run, it);
	switch (it->what) {
	case ENVREG_RUN:
		if (it->state == ENVREG_LEFT_ALONE) {
			printf("%s is still going: left alone; `probelock env down --force` removes it too\n", run);
			x->live++;
		} else if (it->owner->alive) {
			printf("%s is still going: --force removes its namespaces and processes all the same\n", run);
		} else {
			printf("%s is gone: removing what it left\n", run);
		}
		break;
	case ENVREG_PROCESS:
		if (it->state == ENVREG_REMOVED)
			printf("stopped process %d (%s)\n", (int)it->pid, it->name);
		else
			fprintf(stderr, "probelock env down: could not stop process %d (%s): %s\n", (int)it->pid, it->name,
			        it->why);
		break;
	case ENVREG_NETNS:
		if (it->state == ENVREG_LEFT_ALONE)
			printf("network namespace %s belongs to %s, still going: left alone\n", it->name, run);
		else if (it->state == ENVREG_REMOVED)
			printf("deleted network namespace %s%s\n", it->name,
			       it->owner ? "" : " (no run registry names it)");
		else
			fprintf(stderr, "probelock env down: could not delete network namespace %s: %s\n", it->name, it->why);
		break;
	case ENVREG_REGISTRY:
		if (it->state == ENVREG_REMOVED)
			printf("removed its registry %s\n", it->name);
		else if (it->state == ENVREG_LEFT_ALONE)
			printf("kept its registry %s: what could not be removed stays recorded for the next env down\n",
			       it->name);
		else
			fprintf(stderr, "probelock env down: could not remove %s: %s\n", it->name, it->why);
		break;
	}
}

static void env_status_item(const struct envreg_item *it, void *arg)
{
	char run[200];

	(void)arg;
	run_name(run, sizeof run, it);
	switch (it->what) {
	case ENVREG_RUN:
		if (it->owner->alive)
			printf("%s: still going (registry %s)\n", run, it->name);
		else
			printf("%s: gone; `probelock env down` removes what it left (registry %s)\n", run, it->name);
		break;
	case ENVREG_PROCESS:
		printf("  process %d (%s) of run %s\n", (int)it->pid, it->name, it->tag);
		break;
	case ENVREG_NETNS:
		if (!it->owner)
			printf("network namespace %s: no run registry names it; `probelock env down` removes it\n", it->name);
		else
			printf("network namespace %s: run %s, %s\n", it->name, it->tag,
			       it->owner->alive ? "still going" : "gone");
		break;
	case ENVREG_REGISTRY:
		break;
	}
}

static const char env_help[] =
"usage: probelock env up|down [--force]|status\n"
"\n"
"  down          remove what runs whose process is gone left (even a killed run):\n"
"                the namespaces, veths, qdiscs, nftables tables and processes\n"
"                /run/probelock records, and plk-* namespaces no run registry names;\n"
"                a run still going on this host is left alone\n"
"  down --force  remove everything of probelock's, runs still going included\n"
"  status        list what exists now, and whether each run's process still runs\n";

int cmd_env(int argc, char **argv)
{
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "down")) {
		struct env_down_ctx x = { 0, 0 };
		int n, failed = 0;

		if (argc == 3 && strcmp(argv[2], "--force") != 0) {
			fprintf(stderr, "probelock env down: unknown option '%s'\n\n%s", argv[2], env_help);
			return 2;
		}
		x.force = argc == 3;
		n = envreg_down(x.force, env_down_item, &x, &failed);
		printf("%d thing%s removed", n, n == 1 ? "" : "s");
		if (x.live)
			printf("; %d run%s still going left alone", x.live, x.live == 1 ? "" : "s");
		printf("\n");
		return failed ? 1 : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "status")) {
		int n = envreg_status(env_status_item, NULL);

		if (!n)
			printf("nothing of probelock's exists (no plk-* namespace, no run registry)\n");
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "up")) {
		printf("probelock creates what a cell needs when the cell starts and removes it when it ends;\n"
		       "'env up' has nothing to prepare. Run 'probelock env down' after a killed run.\n");
		return 0;
	}
	fputs(env_help, stderr);
	return argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? 0 : 2;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = "results";
	char err[1200], out[1200], scen[1200], cmdline[2048];
	struct scenario *sc;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			root = optarg;
			break;
		case 'h':
			printf("usage: probelock merge RUNDIR... [-o DIR]\n\nJoins the run folders of the shards "
			       "of one scenario (probelock run --shard K/N) into one run under DIR (default results).\n");
			return 0;
		default:
			optutil_getopt_error(c, opts, argv, err, sizeof err);
			fprintf(stderr, "probelock merge: %s\n", err);
			return 2;
		}
	}
	if (argc - optind < 1) {
		fprintf(stderr, "probelock merge: give the run folders to join\n");
		return 2;
	}
	quote_cmdline("probelock merge", argc, argv, cmdline, sizeof cmdline);
	for (int i = optind; i < argc; i++) {
		snprintf(scen, sizeof scen, "%s/run.json", argv[i]);
		if (access(scen, F_OK) != 0) {
			fprintf(stderr, "probelock merge: '%s': not a run folder of this probelock (no run.json)\n", argv[i]);
			return 2;
		}
	}
	snprintf(scen, sizeof scen, "%s/scenario.yaml", argv[optind]);
	sc = load_scenario_or_report("merge", scen);
	if (!sc)
		return 2;
	rc = merge_runs(argv + optind, argc - optind, sc, root, cmdline, out, sizeof out, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "probelock merge: %s\n", err);
		scenario_free(sc);
		return rc == -2 ? 2 : 3;
	}
	{
		char miss[512];
		struct results res;

		merge_missing_shards(argv + optind, argc - optind, miss, sizeof miss);
		printf("merged %d run%s into %s\n", argc - optind, argc - optind == 1 ? "" : "s", out);
		if (miss[0])
			printf("shards not given: %s\n", miss);
		if (results_open(&res, out, NULL, 0, NULL, NULL, err, sizeof err) == 0)
			print_verdict(&res, sc);
		results_close(&res);
	}
	printf("report: %s/report.html\n", out);
	scenario_free(sc);
	return rc;
}

static void warn_line(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "probelock: warning: %s\n", msg);
}

int cmd_report(int argc, char **argv)
{
	char err[1200], scen[1200], verdict[1600];
	struct scenario *sc;
	struct results res;
	int orc;

	if (argc != 2 || argv[1][0] == '-') {
		int want_help = argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));

		fprintf(want_help ? stdout : stderr, "usage: probelock report RUNDIR\n\nRegenerates the plots, summary.csv, "
		        "junit.xml, report.md and report.html of a run folder\n(a finished, resumed or merged one) from "
		        "its cells.jsonl.\n");
		return want_help ? 0 : 2;
	}
	snprintf(scen, sizeof scen, "%s/scenario.yaml", argv[1]);
	if (access(scen, F_OK) != 0) {
		fprintf(stderr, "probelock report: '%s': not a run folder (no scenario.yaml)\n", argv[1]);
		return 2;
	}
	sc = load_scenario_or_report("report", scen);
	if (!sc)
		return 2;
	orc = results_open(&res, argv[1], sc, 0, warn_line, NULL, err, sizeof err);
	if (orc < 0 || summary_write(&res, sc, err, sizeof err) < 0 || report_generate(&res, sc, err, sizeof err) < 0) {
		fprintf(stderr, "probelock report: %s\n", err);
		results_close(&res);
		scenario_free(sc);
		return orc == -2 ? 2 : 3;
	}
	if (report_verdict(&res, sc, verdict, sizeof verdict) == 0)
		printf("%s\n", verdict);
	printf("report: %s/report.html\n", argv[1]);
	orc = res.nfail || res.nerror || !results_complete(&res) ? 1 : 0;
	results_close(&res);
	scenario_free(sc);
	return orc;
}
