/* client: the tcpecho engine: connect, send the payload in one of five I/O modes,
 * verify every echoed byte, watch for probe deadlocks. This file: the names,
 * the configuration, client_run and the final outcome; the modes are in
 * client_block.c and client_nb.c (client_int.h). */
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

enum client_outcome client_errno_outcome(int e)
{
	switch (e) {
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
	case ETIMEDOUT: /* TCP_USER_TIMEOUT or keepalive: the stack gave up */
		return CLIENT_RESET;
	default:
		return CLIENT_ERROR;
	}
}

static int apply_opts(int fd, void *arg, char *err, size_t errlen)
{
	return sockopt_apply(fd, arg, err, errlen);
}

int client_connect_all(const struct client_cfg *c, const struct sock_addr *a, int *fds,
                       unsigned n, char *err, size_t errlen)
{
	int timeout_ms = (int)(c->connect_timeout_us / 1000);

	for (unsigned i = 0; i < n; i++) {
		fds[i] = sock_connect(a, timeout_ms, apply_opts, (void *)&c->sock, err, errlen);
		if (fds[i] < 0) {
			for (unsigned j = 0; j < i; j++)
				close(fds[j]);
			return -1;
		}
	}
	return 0;
}

const struct sampler_cfg *client_sampler_cfg(const struct client_cfg *c,
                                             const struct client_result *res, FILE *tl,
                                             const int *fds, unsigned nfds,
                                             struct sampler_cfg *sc)
{
	memset(sc, 0, sizeof *sc);
	sc->interval_us = c->sample_interval_us;
	sc->stall_threshold_us = c->stall_threshold_us;
	sc->rcvbuf_eff = (uint64_t)res->eff.rcvbuf;
	sc->alarm_us = c->alarm_us;
	sc->abort_on_deadlock = c->abort_on_deadlock;
	sc->hold_probes = c->hold_probes;
	sc->hold_us = c->hold_us;
	sc->fds = fds;
	sc->nfds = nfds;
	sc->nonblocking_sends = c->mode == CLIENT_NONBLOCKING;
	sc->timeline = tl;
	return sc;
}

void client_collect_sampler(struct client_result *res, struct sampler *smp)
{
	res->det = smp->det;
	res->t0_unix_us = sampler_unix_us(smp, smp->start_us);
	res->verdict = sampler_verdict(smp);
	res->ab = smp->ab;
	res->holds_resolved = smp->holds_resolved;
	res->last = smp->last;
	res->have_last = smp->have_last;
	res->samples = smp->samples;
	res->bytes_sent = atomic_load(&smp->app_sent);
	res->bytes_received = atomic_load(&smp->app_recv);
}

/* Who ended a run that failed with errno e (0: a protocol-level failure). */
static enum client_end failure_source(enum client_outcome o, int e)
{
	if (o == CLIENT_CORRUPT)
		return CLIENT_END_VERIFICATION;
	if (e == ETIMEDOUT)
		return CLIENT_END_STACK; /* TCP_USER_TIMEOUT or the keepalive limit */
	return o == CLIENT_RESET ? CLIENT_END_PEER : CLIENT_END_ERROR;
}

/*
 * Final outcome. It rests on what was verified: every byte echoed and checked
 * is completed, whatever a verdict said (a verdict the bytes contradict was no
 * deadlock: it is marked resolved). Otherwise a corrupt echo, then an
 * interruption, then the deadlock verdict outranks what ended the run (the
 * detector's abort, the alarm, the local stack's timeout or the peer).
 */
void client_decide(struct client_result *res, enum sampler_verdict v, uint64_t alarm_us,
                   const struct client_fail *f)
{
	int failed = f->failed;
	enum client_outcome fail_outcome = f->outcome;
	int fail_errno = f->err;
	char why[sizeof res->detail], dl[160] = "";

	if (!(failed && fail_outcome == CLIENT_CORRUPT) && res->bytes_received == res->expected) {
		res->outcome = CLIENT_COMPLETED;
		res->ended_by = CLIENT_END_COMPLETION;
		res->verified = 1;
		res->detail[0] = 0;
		if (res->det.deadlock)
			res->det.resolved = 1;
		return;
	}
	if (res->det.deadlock && !res->det.resolved)
		snprintf(dl, sizeof dl, "probe deadlock: no progress since %.3f s, detected at %.3f s",
		         (res->det.onset_us - res->det.start_us) / 1e6,
		         (res->det.detected_us - res->det.start_us) / 1e6);
	if (failed && fail_outcome == CLIENT_CORRUPT) {
		res->outcome = CLIENT_CORRUPT;
		res->ended_by = CLIENT_END_VERIFICATION;
	} else if (v == SAMPLER_INTERRUPTED) {
		res->outcome = CLIENT_INTERRUPTED;
		res->ended_by = CLIENT_END_INTERRUPT;
		snprintf(res->detail, sizeof res->detail, "interrupted after %.3f s with %llu of %llu bytes echoed%s%s",
		         res->elapsed_s, (unsigned long long)res->bytes_received, (unsigned long long)res->expected,
		         dl[0] ? "; " : "", dl);
	} else if (dl[0]) {
		res->outcome = CLIENT_DEADLOCK;
		if (v == SAMPLER_ALARM)
			res->ended_by = CLIENT_END_ALARM;
		else if (v == SAMPLER_DEADLOCK)
			res->ended_by = CLIENT_END_DETECTOR;
		else
			res->ended_by = failure_source(fail_outcome, fail_errno);
		/* Keep what ended it ("send ...: Connection timed out") after the verdict. */
		snprintf(why, sizeof why, "%s", failed && v == SAMPLER_RUNNING ? res->detail : "");
		snprintf(res->detail, sizeof res->detail, "%s%s%.120s", dl, why[0] ? "; then " : "", why);
	} else if (v == SAMPLER_ALARM) {
		res->outcome = CLIENT_ALARM;
		res->ended_by = CLIENT_END_ALARM;
		snprintf(res->detail, sizeof res->detail, "alarm expired after %.3f s with %llu of %llu bytes echoed",
		         alarm_us / 1e6, (unsigned long long)res->bytes_received,
		         (unsigned long long)res->expected);
	} else if (failed) {
		res->outcome = fail_outcome;
		res->ended_by = failure_source(fail_outcome, fail_errno);
	} else {
		res->outcome = CLIENT_ERROR;
		res->ended_by = CLIENT_END_ERROR;
		snprintf(res->detail, sizeof res->detail, "run ended with %llu of %llu bytes echoed",
		         (unsigned long long)res->bytes_received, (unsigned long long)res->expected);
	}
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
