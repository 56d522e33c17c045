/* sampler: a thread that watches one connection, writes its timeline, detects
 * probe deadlocks and enforces the alarm, interrupting the threads doing I/O. */
#include "sampler.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#define SAMPLER_SIGNAL SIGUSR2

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

void sampler_add_worker(struct sampler *s, pthread_t t)
{
	int n = atomic_load(&s->nworkers);

	if (n < SAMPLER_MAX_WORKERS) {
		s->workers[n] = t;
		atomic_store(&s->nworkers, n + 1);
	}
}

void sampler_timeline_header(FILE *f)
{
	fputs("t_s,app_sent,app_recv,bytes_acked,bytes_received,snd_wnd,rcv_wnd,notsent,inq,outq,"
	      "unacked,backoff,probes,rto_ms,state,stalled,signals\n",
	      f);
}

void sampler_timeline_row(FILE *f, uint64_t start_us, const struct tcpstat *t, uint64_t app_sent,
                          uint64_t app_recv, int stalled, unsigned signals)
{
	fprintf(f, "%.6f,%llu,%llu,%llu,%llu,%u,%u,%u,%d,%d,%u,%u,%u,%.1f,%s,%d,%u\n",
	        (double)(t->t_us - start_us) / 1e6, (unsigned long long)app_sent,
	        (unsigned long long)app_recv, (unsigned long long)t->bytes_acked,
	        (unsigned long long)t->bytes_received, t->snd_wnd, t->rcv_wnd, t->notsent_bytes,
	        t->inq, t->outq, t->unacked, t->backoff, t->probes, t->rto_us / 1000.0,
	        tcpstat_state_name(t->state), stalled, signals);
}

static void kick_workers(struct sampler *s)
{
	int n = atomic_load(&s->nworkers);

	for (int i = 0; i < n; i++)
		pthread_kill(s->workers[i], SAMPLER_SIGNAL);
}

static void sample_once(struct sampler *s)
{
	struct tcpstat t;
	enum detect_event ev;
	uint64_t sent, recvd;

	if (tcpstat_sample(s->fd, &t) < 0)
		return;
	sent = atomic_load(&s->app_sent);
	recvd = atomic_load(&s->app_recv);
	pthread_mutex_lock(&s->lock);
	ev = detect_feed(&s->det, &t, sent, recvd);
	s->last = t;
	s->have_last = 1;
	s->samples++;
	if (s->cfg.timeline)
		sampler_timeline_row(s->cfg.timeline, s->start_us, &t, sent, recvd, s->det.stalled,
		                     s->det.signals);
	pthread_mutex_unlock(&s->lock);
	if (ev == DETECT_DEADLOCK && s->cfg.abort_on_deadlock) {
		int expected = SAMPLER_RUNNING;

		atomic_compare_exchange_strong(&s->verdict, &expected, SAMPLER_DEADLOCK);
	}
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&s->stop)) {
		/* After a verdict the connection is being torn down: a late return
		 * of an interrupted send() would read as progress. */
		if (atomic_load(&s->verdict) == SAMPLER_RUNNING)
			sample_once(s);
		if (s->cfg.alarm_us && tcpstat_now_us() - s->start_us >= s->cfg.alarm_us) {
			int expected = SAMPLER_RUNNING;

			atomic_compare_exchange_strong(&s->verdict, &expected, SAMPLER_ALARM);
		}
		/* Keep interrupting until the workers are done: a signal that lands
		 * just before a thread enters send() would otherwise be lost. */
		if (atomic_load(&s->verdict) != SAMPLER_RUNNING)
			kick_workers(s);
		next.tv_nsec += (long)(s->cfg.interval_us % 1000000) * 1000;
		next.tv_sec += (time_t)(s->cfg.interval_us / 1000000) + next.tv_nsec / 1000000000;
		next.tv_nsec %= 1000000000;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	return NULL;
}

int sampler_start(struct sampler *s, int fd, const struct sampler_cfg *cfg)
{
	int rc;

	s->cfg = *cfg;
	s->fd = fd;
	s->start_us = tcpstat_now_us();
	atomic_store(&s->app_sent, 0);
	atomic_store(&s->app_recv, 0);
	atomic_store(&s->verdict, SAMPLER_RUNNING);
	atomic_store(&s->stop, 0);
	s->have_last = 0;
	s->samples = 0;
	detect_init(&s->det, cfg->stall_threshold_us, cfg->rcvbuf_eff, s->start_us);
	s->det.app_sent_counts = cfg->nonblocking_sends;
	if ((rc = pthread_mutex_init(&s->lock, NULL)) != 0)
		return rc;
	if (cfg->timeline)
		sampler_timeline_header(cfg->timeline);
	if ((rc = pthread_create(&s->thread, NULL, sampler_main, s)) != 0) {
		pthread_mutex_destroy(&s->lock);
		return rc;
	}
	s->running = 1;
	return 0;
}

void sampler_stop(struct sampler *s)
{
	if (!s->running)
		return;
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	s->running = 0;
	/* One last look, so the result has the final tcp_info and counters. */
	if (atomic_load(&s->verdict) == SAMPLER_RUNNING)
		sample_once(s);
	detect_finish(&s->det, tcpstat_now_us());
	if (s->cfg.timeline)
		fflush(s->cfg.timeline);
	pthread_mutex_destroy(&s->lock);
}
