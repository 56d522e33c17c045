/* result: tcpecho's result document (JSON, jansson). */
#ifndef PROBELOCK_RESULT_H
#define PROBELOCK_RESULT_H

#include <jansson.h>

#include "client.h"

/* Builds tcpecho's result document (--json). Returns a new
 * reference the caller owns, or NULL when out of memory. */
json_t *result_to_json(const struct client_cfg *cfg, const struct client_result *res);

/* tcp_info fields a result or a statistics document reports. */
json_t *result_tcpstat_json(const struct tcpstat *t);

#endif
