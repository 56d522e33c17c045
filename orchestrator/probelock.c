/* probelock: the orchestrator's entry point; one subcommand per verb. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "version.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run SCENARIO.yaml [-o DIR] [--only FILTER] [--shard K/N] [--resume RUNDIR] [--dry-run]" },
	{ "validate", cmd_validate, "validate SCENARIO.yaml" },
	{ "keys", cmd_keys, "keys (every scenario key, its type, default and meaning)" },
	{ "list", cmd_list, "list SCENARIO.yaml [--only KEY=VALUE] [--shard K/N]" },
	{ "analyze", cmd_analyze, "analyze CAPTURE [--json] [--excerpt] [--plot DIR] [--stall-threshold D]" },
	{ "report", cmd_report, "report RUNDIR (regenerate plots and report)" },
	{ "merge", cmd_merge, "merge RUNDIR... [-o DIR]" },
	{ "env", cmd_env, "env up|down [--force]|status" },
	{ "capture", cmd_capture, "capture IFACE FILE [--filter BPF] [--snaplen N] [--netns NAME] [--duration D]" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: probelock COMMAND [options]\n\n"
	           "Reproduces and measures the TCP window probe deadlock. Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  probelock %s\n", commands[i].summary);
	fprintf(f, "\n'probelock COMMAND --help' tells more.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("probelock %s\n", PROBELOCK_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "probelock: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
