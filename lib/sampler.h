/* sampler: a thread that watches one connection, writes its timeline, detects
 * probe deadlocks and enforces the alarm, interrupting the threads doing I/O. */
#ifndef PROBELOCK_SAMPLER_H
#define PROBELOCK_SAMPLER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "detect.h"
#include "tcpstat.h"

enum sampler_verdict {
	SAMPLER_RUNNING,
	SAMPLER_DEADLOCK, /* probe deadlock detected and abort requested */
	SAMPLER_ALARM,    /* the alarm expired */
};

struct sampler_cfg {
	uint64_t interval_us;
	uint64_t stall_threshold_us;
	uint64_t rcvbuf_eff;
	uint64_t alarm_us;         /* 0: none; measured from sampler_start */
	int abort_on_deadlock;     /* verdict DEADLOCK on detection, else only record */
	int nonblocking_sends;     /* the workers' send counts are current (detect.app_sent_counts) */
	FILE *timeline;            /* CSV, may be NULL; header written by sampler_start */
};

#define SAMPLER_MAX_WORKERS 4

struct sampler {
	struct sampler_cfg cfg;
	int fd;
	uint64_t start_us;
	pthread_t thread;
	int running;

	/* Written by the I/O threads, read by the sampler. */
	_Atomic uint64_t app_sent, app_recv;

	/* Threads to interrupt (SIGUSR2, handler without SA_RESTART) so that a
	 * blocking send()/recv() returns and sees the verdict. A worker may be
	 * added while the sampler runs: the slot is written before the count. */
	pthread_t workers[SAMPLER_MAX_WORKERS];
	_Atomic int nworkers;

	_Atomic int verdict;   /* enum sampler_verdict */
	_Atomic int stop;

	pthread_mutex_t lock;  /* guards det and last */
	struct detect det;
	struct tcpstat last;
	int have_last;
	uint64_t samples;
};

/* Installs the no-op interrupt handler (once per process). */
int sampler_install_signal(void);

/* Registers the calling thread as one to interrupt. Call before sampler_start
 * or from the worker itself. */
void sampler_add_worker(struct sampler *s, pthread_t t);

/* Starts sampling fd every interval. Returns 0 or an errno value. */
int sampler_start(struct sampler *s, int fd, const struct sampler_cfg *cfg);

/* Stops the thread, takes one last sample if the fd still answers, closes an
 * open stall. Safe to call twice. */
void sampler_stop(struct sampler *s);

static inline enum sampler_verdict sampler_verdict(struct sampler *s)
{
	return (enum sampler_verdict)atomic_load(&s->verdict);
}

/* Writes the timeline CSV header / one row. */
void sampler_timeline_header(FILE *f);
void sampler_timeline_row(FILE *f, uint64_t start_us, const struct tcpstat *t, uint64_t app_sent,
                          uint64_t app_recv, int stalled, unsigned signals);

#endif
