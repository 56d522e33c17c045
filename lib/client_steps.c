/* client_steps: what every mode's run shares, below the modes (client_block.c,
 * client_nb.c): connecting, the sampler's settings and what it measured, and the final
 * outcome (client_decide). */
#include "client_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
