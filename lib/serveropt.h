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

#endif
