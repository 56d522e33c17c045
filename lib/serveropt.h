/* serveropt: echod's command line into a server_cfg. */
#ifndef PROBELOCK_SERVEROPT_H
#define PROBELOCK_SERVEROPT_H

#include <stddef.h>

#include "server.h"

enum serveropt_status {
	SERVEROPT_RUN,
	SERVEROPT_HELP,
	SERVEROPT_VERSION,
	SERVEROPT_USAGE, /* err names the option, the value and the cause */
};

/* Parses argv into cfg (initialised here) and *stats_path (NULL: stdout). */
enum serveropt_status serveropt_parse(int argc, char **argv, struct server_cfg *cfg,
                                      const char **stats_path, char *err, size_t errlen);
const char *serveropt_help(void);

/* The rules between echod's settings, checked by serveropt_parse and by the
 * scenario validator on each cell that runs echod (scenario.c). Returns the
 * rules cfg breaks (SERVEROPT_RULE_* bits, 0: none); stall_for_given and
 * rate_given: --stall-for and --rate were given. */
enum {
	SERVEROPT_RULE_STALL_FOR_MODE = 1 << 0, /* --stall-for outside stall mode */
	SERVEROPT_RULE_RATE_MODE = 1 << 1,      /* --rate outside slow mode */
	SERVEROPT_RULE_SAMPLE_STALL = 1 << 2,   /* --sample-interval longer than --stall-threshold */
};
unsigned serveropt_rules_broken(const struct server_cfg *cfg, int stall_for_given, int rate_given);

#endif
