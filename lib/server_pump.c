/* server_pump: echod's event mode. Each connection is one edge-triggered
 * libevent event for reading and writing, registered once (no epoll_ctl per
 * read or write), and a pump that receives into a buffer shared by all
 * connections and sends it straight back, until the kernel says EAGAIN. Only
 * what the socket did not take is kept per connection (at most --out-cap:
 * reading stops until it is sent), so idle connections cost no buffer.
 * Connections are dealt in turn to worker threads, one event loop each (one
 * per online CPU unless --threads says otherwise); the accepting thread hands
 * a connection over through the worker's pipe.
 * bench/README.md has the measurements behind this (libevent's bufferevents
 * and splice() through a pipe were both slower on loopback). */
#include "server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PUMP_SCRATCH (256 * 1024)
/* Bytes moved in one callback before the connection yields to the others. */
#define PUMP_QUANTUM (1024 * 1024)

struct pworker {
	struct server *srv;
	struct event_base *base;
	struct event *inbox;
	int pipe[2];       /* the acceptor writes a struct sconn *, the worker reads it */
	pthread_t thread;
	int started;
	char scratch[PUMP_SCRATCH]; /* shared by this worker's connections */
};

struct pump {
	unsigned n, next;
	struct pworker *w;
};

struct pconn {
	struct pworker *w;
	struct sconn *sc;
	struct event *ev;
	char *rest;       /* received but not yet sent back */
	size_t rlen, roff;
	int eof;
};

static void pconn_free(struct pconn *p, int abortive)
{
	event_free(p->ev);
	free(p->rest);
	server_conn_close(p->sc, abortive);
	free(p);
}

static void count_in(struct pconn *p, size_t n)
{
	atomic_fetch_add(&p->sc->in, n);
	atomic_fetch_add(&p->sc->srv->st.bytes_in, n);
}

static void count_out(struct pconn *p, size_t n)
{
	atomic_fetch_add(&p->sc->out, n);
	atomic_fetch_add(&p->sc->srv->st.bytes_out, n);
}

enum { PUMP_WAIT, PUMP_MORE, PUMP_CLOSE, PUMP_ABORT };

static int io_error(struct pconn *p, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		return PUMP_WAIT;
	if (err == EINTR)
		return PUMP_MORE;
	if (err == ECONNRESET || err == EPIPE)
		atomic_fetch_add(&p->sc->srv->st.resets, 1);
	return PUMP_ABORT;
}

/* One step: send the kept rest, or receive and send back. */
static int step(struct pconn *p, size_t cap, size_t *moved)
{
	int fd = p->sc->fd;
	ssize_t n, w;

	if (p->roff < p->rlen) {
		n = send(fd, p->rest + p->roff, p->rlen - p->roff, MSG_NOSIGNAL);
		if (n < 0)
			return io_error(p, errno);
		p->roff += (size_t)n;
		*moved += (size_t)n;
		count_out(p, (size_t)n);
		if (p->roff == p->rlen) {
			free(p->rest);
			p->rest = NULL;
			p->rlen = p->roff = 0;
		}
		return PUMP_MORE;
	}
	if (p->eof)
		return PUMP_CLOSE;
	char *scratch = p->w->scratch;

	n = recv(fd, scratch, cap < PUMP_SCRATCH ? cap : PUMP_SCRATCH, 0);
	if (n < 0)
		return io_error(p, errno);
	if (n == 0) {
		p->eof = 1;
		atomic_fetch_add(&p->sc->srv->st.half_closes, 1);
		return PUMP_MORE;
	}
	count_in(p, (size_t)n);
	w = send(fd, scratch, (size_t)n, MSG_NOSIGNAL);
	if (w < 0) {
		int r = io_error(p, errno);

		if (r != PUMP_WAIT)
			return r;
		w = 0;
	}
	*moved += (size_t)w;
	count_out(p, (size_t)w);
	if (w < n) {
		/* Keep only the unsent rest; the scratch buffer is everybody's. */
		p->rlen = (size_t)(n - w);
		p->roff = 0;
		p->rest = malloc(p->rlen);
		if (!p->rest)
			return PUMP_ABORT;
		memcpy(p->rest, scratch + w, p->rlen);
	}
	return PUMP_MORE;
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	struct pconn *p = arg;
	size_t cap = p->sc->srv->cfg->out_cap, moved = 0;
	int r = PUMP_MORE;

	(void)fd;
	if (what & EV_TIMEOUT) {
		atomic_fetch_add(&p->sc->srv->st.idle_timeouts, 1);
		pconn_free(p, 0);
		return;
	}
	while (r == PUMP_MORE) {
		if (moved >= PUMP_QUANTUM) {
			/* Fairness: go to the back of the queue, come back without a new edge. */
			event_active(p->ev, EV_READ | EV_WRITE, 0);
			return;
		}
		r = step(p, cap, &moved);
	}
	if (r == PUMP_CLOSE || r == PUMP_ABORT)
		pconn_free(p, r == PUMP_ABORT);
}

/* In the worker: take over a connection handed over by the acceptor. */
static void adopt(struct pworker *w, struct sconn *sc)
{
	const struct server_cfg *cfg = w->srv->cfg;
	struct pconn *p = calloc(1, sizeof *p);
	struct timeval tv, *tvp = NULL;

	if (!p)
		goto fail;
	p->w = w;
	p->sc = sc;
	sc->backend = p;
	if (cfg->idle_timeout_us) {
		tv.tv_sec = (time_t)(cfg->idle_timeout_us / 1000000);
		tv.tv_usec = (suseconds_t)(cfg->idle_timeout_us % 1000000);
		tvp = &tv;
	}
	p->ev = event_new(w->base, sc->fd, EV_READ | EV_WRITE | EV_PERSIST | EV_ET, on_io, p);
	if (!p->ev || event_add(p->ev, tvp) < 0)
		goto fail;
	return;
fail:
	if (p && p->ev)
		event_free(p->ev);
	free(p);
	sc->backend = NULL;
	atomic_fetch_add(&w->srv->st.refused, 1);
	server_conn_close(sc, 1);
}

static void on_inbox(evutil_socket_t fd, short what, void *arg)
{
	struct pworker *w = arg;
	struct sconn *batch[64];
	ssize_t n;

	(void)what;
	n = read(fd, batch, sizeof batch);
	if (n == 0) { /* the acceptor closed the pipe: stop */
		event_base_loopbreak(w->base);
		return;
	}
	for (ssize_t i = 0; i < n / (ssize_t)sizeof batch[0]; i++)
		adopt(w, batch[i]);
}

static void *worker_main(void *arg)
{
	struct pworker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

static void pump_stop_all(struct server *s);

static int pump_init(struct server *s, char *err, size_t errlen)
{
	struct pump *pm = calloc(1, sizeof *pm);
	sigset_t all, old;

	if (!pm) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->pump = pm;
	pm->n = s->cfg->threads ? s->cfg->threads : default_threads();
	pm->w = calloc(pm->n, sizeof *pm->w);
	if (!pm->w) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < pm->n; i++) {
		struct pworker *w = &pm->w[i];

		w->srv = s;
		w->pipe[0] = w->pipe[1] = -1;
		if (pipe2(w->pipe, O_CLOEXEC) < 0) {
			snprintf(err, errlen, "worker pipe: %s", strerror(errno));
			goto fail;
		}
		w->base = event_base_new();
		w->inbox = w->base ? event_new(w->base, w->pipe[0], EV_READ | EV_PERSIST, on_inbox, w) : NULL;
		if (!w->inbox || event_add(w->inbox, NULL) < 0) {
			snprintf(err, errlen, "worker event loop setup failed");
			goto fail;
		}
	}
	/* Signals are the main loop's: the workers start with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < pm->n; i++) {
		int rc = pthread_create(&pm->w[i].thread, NULL, worker_main, &pm->w[i]);

		if (rc) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			snprintf(err, errlen, "worker thread: %s", strerror(rc));
			goto fail;
		}
		pm->w[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
fail:
	pump_stop_all(s);
	return -1;
}

/* In the acceptor: hand the connection to the next worker. */
static int pump_start(struct sconn *sc)
{
	struct pump *pm = sc->srv->pump;
	struct pworker *w = &pm->w[pm->next++ % pm->n];
	ssize_t n;

	if (evutil_make_socket_nonblocking(sc->fd) < 0)
		return -1;
	do
		n = write(w->pipe[1], &sc, sizeof sc); /* a pointer: atomic in a pipe */
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof sc ? 0 : -1;
}

/* Stops the workers (each drains its pipe first), then ends every connection. */
static void pump_stop_all(struct server *s)
{
	struct pump *pm = s->pump;

	if (!pm)
		return;
	for (unsigned i = 0; pm->w && i < pm->n; i++) {
		struct pworker *w = &pm->w[i];

		if (w->pipe[1] >= 0)
			close(w->pipe[1]);
		w->pipe[1] = -1;
		if (w->started)
			pthread_join(w->thread, NULL);
	}
	/* The workers have stopped: this thread alone touches the connections
	 * (each was adopted: a worker reads its whole pipe before it stops). */
	while (s->conns) {
		if (s->conns->backend)
			pconn_free(s->conns->backend, 0);
		else
			server_conn_close(s->conns, 0);
	}
	for (unsigned i = 0; pm->w && i < pm->n; i++) {
		struct pworker *w = &pm->w[i];

		if (w->inbox)
			event_free(w->inbox);
		if (w->base)
			event_base_free(w->base);
		if (w->pipe[0] >= 0)
			close(w->pipe[0]);
	}
	free(pm->w);
	free(pm);
	s->pump = NULL;
}

const struct server_backend server_pump_backend = {
	.name = "pump",
	.init = pump_init,
	.start = pump_start,
	.stop_all = pump_stop_all,
};
