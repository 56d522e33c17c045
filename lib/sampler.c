/* sampler: a thread that watches one connection, writes its timeline, detects
 * probe deadlocks, enforces the alarm and aborts the connections at a verdict. */
#include "sampler.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SAMPLER_SIGNAL SIGUSR2

static _Atomic int g_interrupted;

static void on_interrupt(int sig)
{
	(void)sig; /* its only purpose is to make a blocking call return EINTR */
}

int sampler_install_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: send()/recv() must return */
	return sigaction(SAMPLER_SIGNAL, &sa, NULL);
}

void sampler_interrupt(void)
{
	atomic_store(&g_interrupted, 1);
}

int sampler_interrupted(void)
{
	return atomic_load(&g_interrupted);
}

void sampler_add_worker(struct sampler *s, pthread_t t)
{
	int n = atomic_load(&s->nworkers);

	if (n < SAMPLER_MAX_WORKERS) {
		s->workers[n] = t;
		atomic_store(&s->nworkers, n + 1);
	}
}

void sampler_offer(struct sampler *s)
{
	uint64_t none = 0;

	if (!atomic_load(&s->offered_us))
		atomic_compare_exchange_strong(&s->offered_us, &none, tcpstat_now_us());
}

int64_t sampler_unix_us(const struct sampler *s, uint64_t mono_us)
{
	return (int64_t)mono_us + s->realtime_offset_us;
}

void sampler_timeline_header(FILE *f)
{
	fputs("t_s,app_sent,app_recv,bytes_acked,bytes_received,snd_wnd,rcv_wnd,notsent,inq,outq,"
	      "unacked,backoff,probes,rto_ms,state,segs_out,segs_in,data_segs_out,data_segs_in,"
	      "probes_sent,probes_received,stalled,signals\n",
	      f);
}

void sampler_timeline_row(FILE *f, uint64_t start_us, const struct tcpstat *t, uint64_t app_sent,
                          uint64_t app_recv, const struct detect *d)
{
	unsigned sent;
	int received;

	detect_probes(d, &sent, &received);
	fprintf(f, "%.6f,%llu,%llu,%llu,%llu,%u,%u,%u,%d,%d,%u,%u,%u,%.1f,%s,%u,%u,%u,%u,%u,%d,%d,%u\n",
	        (double)(t->t_us - start_us) / 1e6, (unsigned long long)app_sent,
	        (unsigned long long)app_recv, (unsigned long long)t->bytes_acked,
	        (unsigned long long)t->bytes_received, t->snd_wnd, t->rcv_wnd, t->notsent_bytes,
	        t->inq, t->outq, t->unacked, t->backoff, t->probes, t->rto_us / 1000.0,
	        tcpstat_state_name(t->state), t->segs_out, t->segs_in, t->data_segs_out, t->data_segs_in,
	        sent, received, d->stalled, d->signals);
}

static void kick_workers(struct sampler *s)
{
	int n = atomic_load(&s->nworkers);

	for (int i = 0; i < n; i++)
		pthread_kill(s->workers[i], SAMPLER_SIGNAL);
}

/*
 * The verdict's abort, from this thread, at once: SO_LINGER {1, 0} and a
 * disconnect (connect() to AF_UNSPEC: tcp_disconnect() sends the RST, purges
 * both queues and wakes the threads blocked in send() or recv() with an
 * error), so that from here on nothing can be read or sent on the
 * connection, whatever the I/O threads do; the descriptor stays open (no
 * reuse race) and its close() later sends nothing more. Where the kernel
 * refuses the disconnect the RST is left to the close() of the thread that
 * sees the verdict (SO_LINGER is set). The verdict is published after the
 * connections are aborted: a thread that still sees RUNNING gets an error,
 * never bytes.
 */
void sampler_abort(struct sampler *s, enum sampler_verdict v)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr sa;
	int expected = SAMPLER_RUNNING, sent = 1, no = 0;

	/* The first verdict wins, from whichever thread. */
	if (!atomic_compare_exchange_strong(&s->aborting, &no, 1))
		return;
	memset(&sa, 0, sizeof sa);
	sa.sa_family = AF_UNSPEC;
	s->ab.t_us = tcpstat_now_us();
	for (unsigned i = 0; i < s->cfg.nfds; i++) {
		(void)setsockopt(s->cfg.fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		if (connect(s->cfg.fds[i], &sa, sizeof sa) < 0) {
			sent = 0;
			s->ab.err = errno;
		}
	}
	s->ab.rst_sent = sent && s->cfg.nfds > 0;
	s->ab.done = 1;
	atomic_compare_exchange_strong(&s->verdict, &expected, v);
	kick_workers(s);
}

/* Whether the held deadlock has shown what it was held for. */
static int hold_done(const struct sampler *s, uint64_t now_us)
{
	const struct sampler_cfg *c = &s->cfg;

	if (!c->hold_probes && !c->hold_us)
		return 1;
	if (c->hold_us && now_us - s->hold_from_us >= c->hold_us)
		return 1;
	return c->hold_probes && s->det.probes_sent >= c->hold_probes && s->det.probes_received >= 0 &&
	       (unsigned)s->det.probes_received >= c->hold_probes;
}

/* One sample. may_abort: 0 for the last look after the run (no verdict then). */
static void sample_once(struct sampler *s, int may_abort)
{
	struct tcpstat t;
	enum detect_event ev;
	uint64_t sent, recvd, offered;
	int abort_now = 0;

	if (tcpstat_sample(s->fd, &t) < 0)
		return;
	/* A sample of a connection being aborted shows its counters reset. */
	if (atomic_load(&s->aborting))
		return;
	sent = atomic_load(&s->app_sent);
	recvd = atomic_load(&s->app_recv);
	offered = atomic_load(&s->offered_us);
	pthread_mutex_lock(&s->lock);
	if (offered)
		detect_arm(&s->det, offered);
	ev = detect_feed(&s->det, &t, sent, recvd);
	s->last = t;
	s->have_last = 1;
	s->samples++;
	if (ev == DETECT_DEADLOCK && s->cfg.abort_on_deadlock) {
		s->holding = 1;
		s->hold_from_us = t.t_us;
	}
	if (s->holding && s->det.resolved) {
		s->holding = 0; /* bytes moved: it was no deadlock; the run goes on */
		s->holds_resolved++;
	}
	if (s->holding && hold_done(s, t.t_us))
		abort_now = 1;
	if (s->cfg.timeline)
		sampler_timeline_row(s->cfg.timeline, s->start_us, &t, sent, recvd, &s->det);
	pthread_mutex_unlock(&s->lock);
	if (abort_now && may_abort)
		sampler_abort(s, SAMPLER_DEADLOCK);
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&s->stop)) {
		/* After a verdict the connection is gone: nothing more to sample. */
		if (atomic_load(&s->verdict) == SAMPLER_RUNNING)
			sample_once(s, 1);
		if (atomic_load(&s->verdict) == SAMPLER_RUNNING && s->cfg.alarm_us &&
		    tcpstat_now_us() - s->start_us >= s->cfg.alarm_us)
			sampler_abort(s, SAMPLER_ALARM);
		if (atomic_load(&s->verdict) == SAMPLER_RUNNING && sampler_interrupted())
			sampler_abort(s, SAMPLER_INTERRUPTED);
		/* Keep interrupting until the workers are done: a signal that lands
		 * just before a thread enters send() would otherwise be lost (where
		 * the disconnect was refused, this is what wakes them). */
		else if (atomic_load(&s->verdict) != SAMPLER_RUNNING)
			kick_workers(s);
		next.tv_nsec += (long)(s->cfg.interval_us % 1000000) * 1000;
		next.tv_sec += (time_t)(s->cfg.interval_us / 1000000) + next.tv_nsec / 1000000000;
		next.tv_nsec %= 1000000000;
		pthread_mutex_lock(&s->wake_lock);
		while (!atomic_load(&s->stop) &&
		       pthread_cond_timedwait(&s->wake, &s->wake_lock, &next) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&s->wake_lock);
	}
	return NULL;
}

int sampler_start(struct sampler *s, int fd, const struct sampler_cfg *cfg)
{
	pthread_condattr_t ca;
	struct timespec rt;
	int rc;

	s->cfg = *cfg;
	s->fd = fd;
	s->start_us = tcpstat_now_us();
	clock_gettime(CLOCK_REALTIME, &rt);
	s->realtime_offset_us = (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000 - (int64_t)s->start_us;
	s->end_us = 0;
	atomic_store(&s->app_sent, 0);
	atomic_store(&s->app_recv, 0);
	atomic_store(&s->offered_us, 0);
	atomic_store(&s->verdict, SAMPLER_RUNNING);
	atomic_store(&s->aborting, 0);
	atomic_store(&s->stop, 0);
	s->have_last = 0;
	s->samples = 0;
	s->holding = 0;
	s->holds_resolved = 0;
	memset(&s->ab, 0, sizeof s->ab);
	detect_init(&s->det, cfg->stall_threshold_us, cfg->rcvbuf_eff, s->start_us);
	detect_disarm(&s->det);
	s->det.app_sent_counts = cfg->nonblocking_sends;
	if ((rc = pthread_mutex_init(&s->lock, NULL)) != 0)
		return rc;
	if ((rc = pthread_mutex_init(&s->wake_lock, NULL)) != 0)
		goto out_lock;
	if ((rc = pthread_condattr_init(&ca)) != 0)
		goto out_wake_lock;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		goto out_wake_lock;
	if (cfg->timeline)
		sampler_timeline_header(cfg->timeline);
	if ((rc = pthread_create(&s->thread, NULL, sampler_main, s)) != 0)
		goto out_cond;
	s->running = 1;
	return 0;
out_cond:
	pthread_cond_destroy(&s->wake);
out_wake_lock:
	pthread_mutex_destroy(&s->wake_lock);
out_lock:
	pthread_mutex_destroy(&s->lock);
	return rc;
}

void sampler_stop(struct sampler *s)
{
	uint64_t now;

	if (!s->running)
		return;
	pthread_mutex_lock(&s->wake_lock);
	atomic_store(&s->stop, 1);
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->wake_lock);
	pthread_join(s->thread, NULL);
	s->running = 0;
	/* One last look, so the result has the final tcp_info and counters. */
	if (atomic_load(&s->verdict) == SAMPLER_RUNNING)
		sample_once(s, 0);
	now = tcpstat_now_us();
	s->end_us = s->have_last && s->last.t_us > now ? s->last.t_us : now;
	detect_finish(&s->det, s->end_us);
	if (s->cfg.timeline)
		fflush(s->cfg.timeline);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->wake_lock);
	pthread_mutex_destroy(&s->lock);
}
