/* commands: probelock's subcommands; each takes its own argv (argv[0] is the
 * subcommand's name) and returns the process exit code. */
#ifndef PROBELOCK_COMMANDS_H
#define PROBELOCK_COMMANDS_H

#include <stddef.h>

struct scenario;

int cmd_analyze(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Shared by the scenario commands. */
struct scenario *load_scenario_or_report(const char *prog, const char *path);
int parse_shard(const char *s, unsigned *k, unsigned *n, char *err, size_t errlen);

#endif
