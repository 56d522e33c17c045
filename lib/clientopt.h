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

/* The rules between tcpecho's settings, checked by clientopt_parse and by the
 * scenario validator on each cell (scenario.c), so that a cell that validates
 * is one tcpecho accepts. Returns the rules cfg breaks (CLIENTOPT_RULE_*
 * bits, 0: none); chunk_given: --chunk was given (the runner gives it in
 * chunked mode). Each caller words its own message. */
enum {
	CLIENTOPT_RULE_CHUNK_MODE = 1 << 0,      /* --chunk outside chunked mode */
	CLIENTOPT_RULE_CHUNK_PAYLOAD = 1 << 1,   /* --chunk larger than the payload */
	CLIENTOPT_RULE_READ_DELAY_MODE = 1 << 2, /* --read-delay outside split mode */
	CLIENTOPT_RULE_PARALLEL_MODE = 1 << 3,   /* --parallel above 1 outside nonblocking mode */
	CLIENTOPT_RULE_SAMPLE_STALL = 1 << 4,    /* --sample-interval longer than --stall-threshold */
	CLIENTOPT_RULE_PAYLOAD_HELD = 1 << 5,    /* blocking/aware payload above OPTLIM_PAYLOAD_HELD_MAX */
	CLIENTOPT_RULE_TOTAL = 1 << 6,           /* payload x times x parallel above OPTLIM_TOTAL_MAX */
};
unsigned clientopt_rules_broken(const struct client_cfg *cfg, int chunk_given);

/* The --help text. */
const char *clientopt_help(void);

#endif
