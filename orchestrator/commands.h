/* commands: probelock's subcommands; each takes its own argv (argv[0] is the
 * subcommand's name) and returns the process exit code. */
#ifndef PROBELOCK_COMMANDS_H
#define PROBELOCK_COMMANDS_H

int cmd_analyze(int argc, char **argv);
int cmd_capture(int argc, char **argv);

#endif
