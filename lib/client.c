/* client: the tcpecho engine: connect, send the payload in one of five I/O modes,
 * verify every echoed byte, watch for probe deadlocks. This file: the names, the
 * configuration and client_run, which runs one mode (client_block.c, client_nb.c); what
 * the modes share is client_steps.c (client_int.h). */
#include "client_int.h"
#include "optutil.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const client_mode_names[] = {
	[CLIENT_BLOCKING] = "blocking", [CLIENT_NONBLOCKING] = "nonblocking",
	[CLIENT_CHUNKED] = "chunked",   [CLIENT_SPLIT] = "split",
	[CLIENT_AWARE] = "aware",       NULL,
};

const char *const client_outcome_names[] = {
	[CLIENT_COMPLETED] = "completed", [CLIENT_DEADLOCK] = "deadlock", [CLIENT_ALARM] = "alarm",
	[CLIENT_RESET] = "reset",         [CLIENT_ERROR] = "error",       [CLIENT_CORRUPT] = "corrupt",
	[CLIENT_INTERRUPTED] = "interrupted", NULL,
};

const char *const client_end_names[] = {
	[CLIENT_END_COMPLETION] = "completion", [CLIENT_END_DETECTOR] = "detector",
	[CLIENT_END_ALARM] = "alarm",           [CLIENT_END_INTERRUPT] = "interrupt",
	[CLIENT_END_PEER] = "peer",             [CLIENT_END_STACK] = "stack",
	[CLIENT_END_VERIFICATION] = "verification", [CLIENT_END_ERROR] = "error", NULL,
};

/* tcpecho's exit code of each outcome (README "Exit codes of tcpecho"). */
static const int outcome_exit[] = {
	[CLIENT_COMPLETED] = 0, [CLIENT_DEADLOCK] = 3, [CLIENT_ALARM] = 4, [CLIENT_RESET] = 5,
	[CLIENT_ERROR] = 1,     [CLIENT_CORRUPT] = 6,  [CLIENT_INTERRUPTED] = 130,
};

_Static_assert(sizeof client_outcome_names / sizeof client_outcome_names[0] == CLIENT_NOUTCOMES + 1,
               "client_outcome_names[] follows enum client_outcome");
_Static_assert(sizeof client_end_names / sizeof client_end_names[0] == CLIENT_NENDS + 1,
               "client_end_names[] follows enum client_end");

#define NMODES (sizeof client_mode_names / sizeof client_mode_names[0] - 1)

const char *client_mode_name(enum client_mode m)
{
	return optutil_name(client_mode_names, NMODES, (unsigned)m);
}

int client_mode_parse(const char *s, enum client_mode *out)
{
	int i = optutil_lookup(client_mode_names, NMODES, s);

	if (i < 0)
		return -1;
	*out = (enum client_mode)i;
	return 0;
}

const char *client_outcome_name(enum client_outcome o)
{
	return optutil_name(client_outcome_names, CLIENT_NOUTCOMES, (unsigned)o);
}

const char *client_end_name(enum client_end e)
{
	return optutil_name(client_end_names, CLIENT_NENDS, (unsigned)e);
}

int client_outcome_exit(enum client_outcome o)
{
	return (unsigned)o < CLIENT_NOUTCOMES ? outcome_exit[o] : 1;
}

void client_interrupt(void)
{
	sampler_interrupt();
}

void client_cfg_init(struct client_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->port = 7;
	c->mode = CLIENT_BLOCKING;
	c->times = 1;
	c->chunk = 8192;
	c->parallel = 1;
	c->alarm_us = 20 * 1000000ull; /* the draft's default */
	c->connect_timeout_us = 5 * 1000000ull;
	c->stall_threshold_us = 500 * 1000ull;
	c->sample_interval_us = 50 * 1000ull;
	c->abort_on_deadlock = 1;
	sockopt_req_init(&c->sock);
	pattern_init_mix(&c->pattern, 1);
}

int client_run(const struct client_cfg *c, struct client_result *res, char *err, size_t errlen)
{
	struct sock_addr a;
	FILE *tl = NULL;
	int rc;

	memset(res, 0, sizeof *res);
	res->mismatch_offset = -1;
	res->outcome = CLIENT_ERROR;
	res->ended_by = CLIENT_END_ERROR;
	res->expected = c->payload * c->times * c->parallel;
	if (sock_resolve(c->host, c->port, 0, &a, err, errlen) < 0)
		return -1;
	sock_addr_str(&a, res->peer, sizeof res->peer);
	if (sampler_install_signal() < 0) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -1;
	}
	if (c->timeline_path) {
		tl = fopen(c->timeline_path, "w");
		if (!tl) {
			snprintf(err, errlen, "timeline %s: %s", c->timeline_path, strerror(errno));
			return -1;
		}
	}
	if (c->mode == CLIENT_NONBLOCKING)
		rc = client_run_nonblocking(c, &a, res, tl, err, errlen);
	else
		rc = client_run_blocking(c, &a, res, tl, err, errlen);
	if (tl && fclose(tl) != 0 && rc == 0) {
		snprintf(err, errlen, "timeline %s: %s", c->timeline_path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && res->elapsed_s > 0)
		res->throughput_Bps = (double)res->bytes_received / res->elapsed_s;
	return rc;
}
