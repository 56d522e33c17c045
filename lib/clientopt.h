/* clientopt: tcpecho's command line (the draft's plus long options) into a client_cfg. */
#ifndef PROBELOCK_CLIENTOPT_H
#define PROBELOCK_CLIENTOPT_H

#include <stddef.h>

#include "client.h"

enum clientopt_status {
	CLIENTOPT_RUN,     /* cfg is complete and valid */
	CLIENTOPT_HELP,    /* --help was asked */
	CLIENTOPT_VERSION, /* --version was asked */
	CLIENTOPT_USAGE,   /* err names the option, the value and the cause */
};

/* Parses argv into cfg (initialised here); string fields of cfg point into
 * argv. Re-entrant with respect to getopt (resets optind). */
enum clientopt_status clientopt_parse(int argc, char **argv, struct client_cfg *cfg,
                                      char *err, size_t errlen);

/* The --help text. */
const char *clientopt_help(void);

#endif
