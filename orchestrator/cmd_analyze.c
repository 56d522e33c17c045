/* cmd_analyze: probelock analyze CAPTURE: flags, stalls, excerpts, plots. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "commands.h"
#include "optutil.h"
#include "plot.h"

static const char help[] =
"usage: probelock analyze CAPTURE [--json] [--frames] [--excerpt] [--plot DIR]\n"
"                                 [--stall-threshold D]\n"
"\n"
"Reads a pcap or pcapng file and tells, per TCP connection and direction, the\n"
"Wireshark analysis flags (zero_window, zero_window_probe, keep_alive, ...) and\n"
"the stall intervals with their causes: probe_deadlock, receiver_stall,\n"
"silent_peer, abort, idle.\n"
"\n"
"  --json               print one JSON document instead of the text summary\n"
"  --frames             the flags of each flagged frame, with its frame number\n"
"                       (as Wireshark numbers frames): after the summary, lines\n"
"                       'frame N conn C a_to_b|b_to_a flag,flag...'; with --json,\n"
"                       the array \"frames\" of {frame, connection, direction, flags}\n"
"  --excerpt            tcpdump-style listing around each stall onset\n"
"  --plot DIR           write a time-sequence graph per connection to DIR\n"
"                       (gnuplot .gp + .dat, rendered to PNG)\n"
"  --stall-threshold D  shortest stall reported (default 500ms)\n"
"\n"
"Exit: 0 the file was read (even in part: the text says where it stopped),\n"
"      1 nothing could be read, 2 usage.\n";

enum { OPT_JSON = 256, OPT_FRAMES, OPT_EXCERPT, OPT_PLOT, OPT_STALL };

static const struct option opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "frames", no_argument, NULL, OPT_FRAMES },
	{ "excerpt", no_argument, NULL, OPT_EXCERPT },
	{ "plot", required_argument, NULL, OPT_PLOT },
	{ "stall-threshold", required_argument, NULL, OPT_STALL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The options into cfg, json and plot_dir. 1 after --help, 0, or -1 / -2 with err (a usage
 * error, -2 a bad value). */
static int parse_opts(int argc, char **argv, struct analysis_cfg *cfg, int *json, const char **plot_dir, char *err,
                      size_t errlen)
{
	uint64_t us;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			*json = 1;
			break;
		case OPT_FRAMES:
			cfg->frames = 1;
			break;
		case OPT_EXCERPT:
			cfg->excerpt = 1;
			break;
		case OPT_PLOT:
			*plot_dir = optarg;
			cfg->series = 1;
			break;
		case OPT_STALL:
			if (optutil_duration("--stall-threshold", optarg, 1000000, 1000, 86400000000ull, &us, err, errlen) < 0)
				return -2; /* said without the hint, as the value is what is wrong */
			cfg->stall_threshold_ns = (int64_t)us * 1000;
			break;
		case 'h':
			fputs(help, stdout);
			return 1;
		default:
			optutil_getopt_error(c, opts, argv, err, errlen);
			return -1;
		}
	}
	if (optind != argc - 1) {
		snprintf(err, errlen, "%s", optind >= argc ? "missing CAPTURE file" : "give exactly one CAPTURE file");
		return -1;
	}
	return 0;
}

/* The analysis on stdout: one JSON document, or the text with the excerpts and frames asked
 * for. 0, or 1 when the JSON document cannot be written. */
static int print_analysis(const struct analysis *an, const struct analysis_cfg *cfg, int json)
{
	static char obuf[1 << 16];
	int rc = 0;

	if (!json) {
		analysis_print(an, stdout);
		if (cfg->excerpt)
			analysis_print_excerpts(an, stdout);
		if (cfg->frames)
			analysis_print_frames(an, stdout);
		return 0;
	}
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	if (analysis_write_json(an, stdout) < 0) {
		fprintf(stderr, "probelock analyze: cannot write the JSON document\n");
		rc = 1;
	}
	putchar('\n');
	return rc;
}

/* The time-sequence graphs into plot_dir. 0, or 1 when they cannot be written. */
static int plot(const struct analysis *an, const char *plot_dir, int json)
{
	char err[1024];
	int np = plot_connections(an, plot_dir, err, sizeof err);

	if (np < 0) {
		fprintf(stderr, "probelock analyze: plot: %s\n", err);
		return 1;
	}
	if (np == 0)
		fprintf(stderr, "probelock analyze: plot: no connection was seen both ways: nothing to plot\n");
	else if (!json)
		printf("\nplots of %d connection%s written to %s/\n", np, np == 1 ? "" : "s", plot_dir);
	return 0;
}

int cmd_analyze(int argc, char **argv)
{
	struct analysis_cfg cfg = { .stall_threshold_ns = 500000000 };
	const char *plot_dir = NULL;
	struct analysis *an;
	char err[1024];
	int json = 0, rc;

	rc = parse_opts(argc, argv, &cfg, &json, &plot_dir, err, sizeof err);
	if (rc > 0)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "probelock analyze: %s\n%s", err, rc == -1 ? "Try 'probelock analyze --help'.\n" : "");
		return 2;
	}
	an = analysis_run(argv[optind], &cfg, err, sizeof err);
	if (!an) {
		fprintf(stderr, "probelock analyze: %s\n", err);
		return 1;
	}
	if (an->read_error[0])
		fprintf(stderr, "probelock analyze: warning: %s (the result covers what came before)\n", an->read_error);
	rc = print_analysis(an, &cfg, json);
	if (plot_dir && rc == 0)
		rc = plot(an, plot_dir, json);
	analysis_free(an);
	if (fflush(stdout) != 0) {
		perror("probelock analyze: stdout");
		rc = 1;
	}
	return rc;
}
