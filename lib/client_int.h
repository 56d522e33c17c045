/* client_int: what the client's files share (client.c: names, configuration and
 * client_run; client_block.c: the four modes over one blocking socket; client_nb.c: the
 * libevent nonblocking mode; client_steps.c: what the modes share, the final outcome
 * among it). Calls go one way: client.c -> a mode -> client_steps.c. Not for other
 * modules; tests/unit/test_client.c includes it to test the outcome's rules. */
#ifndef PROBELOCK_CLIENT_INT_H
#define PROBELOCK_CLIENT_INT_H

#include <stdio.h>

#include "client.h"
#include "sampler.h"
#include "sock.h"

/* The outcome of a send() or recv() that failed with errno e: reset for what
 * ends a connection (ECONNRESET, EPIPE, ECONNABORTED, ETIMEDOUT), else error. */
enum client_outcome client_errno_outcome(int e);

/* Connects n connections to a with c's socket options; 0, or -1 with err and
 * none left open. */
int client_connect_all(const struct client_cfg *c, const struct sock_addr *a, int *fds,
                       unsigned n, char *err, size_t errlen);

/* Fills sc for a run of c over fds (the first is sampled); returns sc. */
const struct sampler_cfg *client_sampler_cfg(const struct client_cfg *c,
                                             const struct client_result *res, FILE *tl,
                                             const int *fds, unsigned nfds,
                                             struct sampler_cfg *sc);

/* Copies what the stopped sampler measured into res. */
void client_collect_sampler(struct client_result *res, struct sampler *smp);

/* The first failure of a run, if any. */
struct client_fail {
	int failed;                  /* 0: none (then outcome and err are 0) */
	enum client_outcome outcome; /* corrupt, reset or error */
	int err;                     /* its errno, 0: a protocol-level failure */
};

/*
 * Sets res->outcome, res->ended_by, res->verified and res->detail from what
 * the run measured (res->bytes_received, expected, det, elapsed_s, and
 * res->detail as the failure left it), the sampler's verdict v, the alarm
 * (alarm_us, for the message) and the first failure f.
 */
void client_decide(struct client_result *res, enum sampler_verdict v, uint64_t alarm_us,
                   const struct client_fail *f);

/* The modes' runs: 0 when the run happened (res filled), -1 with err when it
 * could not start. */
int client_run_blocking(const struct client_cfg *c, const struct sock_addr *a,
                        struct client_result *res, FILE *tl, char *err, size_t errlen);
int client_run_nonblocking(const struct client_cfg *c, const struct sock_addr *a,
                           struct client_result *res, FILE *tl, char *err, size_t errlen);

#endif
