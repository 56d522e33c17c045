/* sampler: a thread that watches one connection, writes its timeline, detects
 * probe deadlocks, enforces the alarm and aborts the connections at a verdict. */
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
	SAMPLER_DEADLOCK,    /* probe deadlock detected (and held): connections aborted */
	SAMPLER_ALARM,       /* the alarm expired: connections aborted */
	SAMPLER_INTERRUPTED, /* sampler_interrupt() (SIGINT, SIGTERM): connections aborted */
};

struct sampler_cfg {
	uint64_t interval_us;
	uint64_t stall_threshold_us;
	uint64_t rcvbuf_eff;
	uint64_t alarm_us;         /* 0: none; measured from sampler_start */
	int abort_on_deadlock;     /* verdict DEADLOCK on detection, else only record */
	/* Evidence before the abort: keep a detected deadlock open until each
	 * side sent hold_probes probes (detect.h counts them), or for hold_us;
	 * both 0: abort at detection. Bytes moving meanwhile resolve it and the
	 * run goes on. The alarm still ends it. */
	unsigned hold_probes;
	uint64_t hold_us;
	int nonblocking_sends;     /* the workers' send counts are current (detect.app_sent_counts) */
	FILE *timeline;            /* CSV, may be NULL; header written by sampler_start */
	/* The connections a verdict aborts (the first is the one sampled). */
	const int *fds;
	unsigned nfds;
};

#define SAMPLER_MAX_WORKERS 4

/* How a verdict ended the connections. */
struct sampler_abort {
	int done;
	uint64_t t_us;            /* monotonic, when the abort began */
	int rst_sent;             /* 1: RST sent at once (connect(AF_UNSPEC) disconnect);
	                           * 0: left to the thread that closes the descriptor */
	int err;                  /* errno of a disconnect that failed */
};

struct sampler {
	struct sampler_cfg cfg;
	int fd;
	uint64_t start_us;
	int64_t realtime_offset_us; /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	uint64_t end_us;            /* set by sampler_stop: the end of the observation */
	pthread_t thread;
	int running;

	/* Written by the I/O threads, read by the sampler. */
	_Atomic uint64_t app_sent, app_recv;
	_Atomic uint64_t offered_us; /* first byte offered to the socket (0: not yet) */

	/* Threads to interrupt (SIGUSR2, handler without SA_RESTART) so that a
	 * blocking send()/recv() returns and sees the verdict. A worker may be
	 * added while the sampler runs: the slot is written before the count. */
	pthread_t workers[SAMPLER_MAX_WORKERS];
	_Atomic int nworkers;

	_Atomic int verdict;   /* enum sampler_verdict */
	_Atomic int aborting;  /* sampler_abort() claimed (set before the verdict) */
	_Atomic int stop;
	pthread_mutex_t wake_lock; /* with wake: sampler_stop need not wait a whole interval */
	pthread_cond_t wake;

	pthread_mutex_t lock;  /* guards det, last, holding */
	struct detect det;
	struct tcpstat last;
	int have_last;
	uint64_t samples;
	int holding;           /* a detected deadlock kept open for evidence */
	uint64_t hold_from_us;
	unsigned holds_resolved; /* holds that ended because bytes moved */
	struct sampler_abort ab;
};

/* Installs the no-op interrupt handler (once per process). */
int sampler_install_signal(void);

/* Asks every running sampler to abort its connections (verdict INTERRUPTED)
 * at its next tick. Async-signal-safe: made for a SIGINT/SIGTERM handler. */
void sampler_interrupt(void);
int sampler_interrupted(void);

/* Registers the calling thread as one to interrupt. Call before sampler_start
 * or from the worker itself. */
void sampler_add_worker(struct sampler *s, pthread_t t);

/* Starts sampling fd every interval. Returns 0 or an errno value. */
int sampler_start(struct sampler *s, int fd, const struct sampler_cfg *cfg);

/* Called by an I/O thread before it offers bytes to the socket: the stall
 * clock starts with the first one. */
void sampler_offer(struct sampler *s);

/* Aborts the connections now with verdict v (not RUNNING), from any thread;
 * the first call wins. At a verdict the sampler calls it itself; an I/O
 * thread that sees sampler_interrupted() first calls it too. See sampler.c. */
void sampler_abort(struct sampler *s, enum sampler_verdict v);

/* Stops the thread, takes one last sample if no verdict aborted the
 * connection, closes an open stall at the end of the observation (end_us).
 * Safe to call twice. */
void sampler_stop(struct sampler *s);

static inline enum sampler_verdict sampler_verdict(struct sampler *s)
{
	return (enum sampler_verdict)atomic_load(&s->verdict);
}

/* Microseconds since the epoch of a monotonic time of this sampler. */
int64_t sampler_unix_us(const struct sampler *s, uint64_t mono_us);

/* Writes the timeline CSV header / one row. */
void sampler_timeline_header(FILE *f);
void sampler_timeline_row(FILE *f, uint64_t start_us, const struct tcpstat *t, uint64_t app_sent,
                          uint64_t app_recv, const struct detect *d);

#endif
