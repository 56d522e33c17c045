/* client_nb: the client's nonblocking mode: libevent, any number of
 * connections, sends and receives interleaved. */
#include "client_int.h"

#include <errno.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* One receive buffer for all connections; large reads cost fewer system
 * calls per byte (bench/README.md). */
#define NB_RBUF_SIZE (256 * 1024)
#define TXBUF_SIZE (64 * 1024)

struct nbconn {
	struct nbrun *nb;
	int fd;
	struct event *rev, *wev;
	uint64_t tx, rx;
	unsigned char *txbuf;
	size_t tx_off, tx_len;
	int done;
};

struct nbrun {
	const struct client_cfg *cfg;
	struct client_result *res;
	struct sampler *smp;
	struct event_base *base;
	struct event *tick;      /* each sample interval: nb_stopping() */
	struct nbconn *conns;
	unsigned n, done;
	uint64_t per_conn;
	unsigned char rbuf[NB_RBUF_SIZE];
	struct client_fail fail;  /* the first failure; one thread: no lock */
};

static void nb_fail(struct nbrun *nb, struct nbconn *cn, enum client_outcome o, const char *what,
                    int e)
{
	if (!nb->fail.failed) {
		nb->fail = (struct client_fail){ 1, o, e };
		snprintf(nb->res->detail, sizeof nb->res->detail, "connection %u: %s%s%s",
		         (unsigned)(cn - nb->conns), what, e ? ": " : "", e ? strerror(e) : "");
	}
	event_base_loopbreak(nb->base);
}

/* As client_block.c's stopping(): no send() or recv() after a verdict; the loop ends. */
static int nb_stopping(struct nbrun *nb)
{
	if (sampler_interrupted() && sampler_verdict(nb->smp) == SAMPLER_RUNNING)
		sampler_abort(nb->smp, SAMPLER_INTERRUPTED);
	if (sampler_verdict(nb->smp) == SAMPLER_RUNNING)
		return 0;
	event_base_loopbreak(nb->base);
	return 1;
}

static void nb_write(evutil_socket_t fd, short what, void *arg)
{
	struct nbconn *cn = arg;
	struct nbrun *nb = cn->nb;
	size_t n;

	(void)what;
	for (;;) {
		if (nb_stopping(nb))
			return;
		if (cn->tx_off == cn->tx_len) {
			uint64_t left = nb->per_conn - cn->tx;

			if (left == 0) {
				event_del(cn->wev);
				free(cn->txbuf);
				cn->txbuf = NULL;
				return;
			}
			cn->tx_len = left < TXBUF_SIZE ? (size_t)left : TXBUF_SIZE;
			cn->tx_off = 0;
			pattern_fill(&nb->cfg->pattern, cn->tx, cn->txbuf, cn->tx_len);
		}
		sampler_offer(nb->smp);
		switch (sock_write(fd, cn->txbuf + cn->tx_off, cn->tx_len - cn->tx_off, &n)) {
		case SOCK_IO_OK:
			cn->tx_off += n;
			cn->tx += n;
			atomic_fetch_add(&nb->smp->app_sent, n);
			continue;
		case SOCK_IO_RETRY:
			return;
		default:
			nb_fail(nb, cn, client_errno_outcome(errno), "send", errno);
			return;
		}
	}
}

static void nb_read(evutil_socket_t fd, short what, void *arg)
{
	struct nbconn *cn = arg;
	struct nbrun *nb = cn->nb;
	size_t n, at;

	(void)what;
	if (nb_stopping(nb))
		return;
	switch (sock_read(fd, nb->rbuf, sizeof nb->rbuf, &n)) {
	case SOCK_IO_OK:
		if (cn->rx + n > nb->per_conn) {
			nb_fail(nb, cn, CLIENT_CORRUPT, "more bytes echoed than sent", 0);
			return;
		}
		at = pattern_check(&nb->cfg->pattern, cn->rx, nb->rbuf, n);
		if (at != n) {
			if (nb->res->mismatch_offset < 0)
				nb->res->mismatch_offset = (int64_t)(cn->rx + at);
			nb_fail(nb, cn, CLIENT_CORRUPT, "echoed byte differs from what was sent", 0);
			return;
		}
		cn->rx += n;
		atomic_fetch_add(&nb->smp->app_recv, n);
		if (cn->rx == nb->per_conn) {
			cn->done = 1;
			event_del(cn->rev);
			shutdown(fd, SHUT_WR);
			if (++nb->done == nb->n)
				event_base_loopbreak(nb->base);
		}
		return;
	case SOCK_IO_RETRY:
		return;
	case SOCK_IO_EOF:
		nb_fail(nb, cn, CLIENT_RESET, "peer closed the connection before all was echoed", 0);
		return;
	case SOCK_IO_ERROR:
		nb_fail(nb, cn, client_errno_outcome(errno), "recv", errno);
		return;
	}
}

static void nb_tick(evutil_socket_t fd, short what, void *arg)
{
	struct nbrun *nb = arg;

	(void)fd;
	(void)what;
	nb_stopping(nb);
}

/* Makes each connection nonblocking with its events, and the tick; 0, or -1
 * with err. What it made is freed by nb_close() and nb_free(). */
static int nb_setup(struct nbrun *nb, const int *fds, char *err, size_t errlen)
{
	uint64_t iv = nb->cfg->sample_interval_us;
	struct timeval tv = { .tv_sec = (time_t)(iv / 1000000), .tv_usec = (suseconds_t)(iv % 1000000) };

	for (unsigned i = 0; i < nb->n; i++) {
		struct nbconn *cn = &nb->conns[i];

		cn->nb = nb;
		cn->fd = fds[i];
		cn->txbuf = malloc(TXBUF_SIZE);
		if (sock_set_nonblock(cn->fd, 1) < 0 || !cn->txbuf) {
			snprintf(err, errlen, "connection %u: setup failed", i);
			return -1;
		}
		cn->rev = event_new(nb->base, cn->fd, EV_READ | EV_PERSIST, nb_read, cn);
		cn->wev = event_new(nb->base, cn->fd, EV_WRITE | EV_PERSIST, nb_write, cn);
		if (!cn->rev || !cn->wev || event_add(cn->rev, NULL) < 0 || event_add(cn->wev, NULL) < 0) {
			snprintf(err, errlen, "connection %u: event setup failed", i);
			return -1;
		}
	}
	nb->tick = event_new(nb->base, -1, EV_PERSIST, nb_tick, nb);
	if (!nb->tick || event_add(nb->tick, &tv) < 0) {
		snprintf(err, errlen, "timer setup failed");
		return -1;
	}
	return 0;
}

/* Frees the connections' events and buffers and ends the n connections:
 * with RST when rst, else with close(). */
static void nb_close(struct nbrun *nb, int *fds, unsigned n, int rst)
{
	for (unsigned i = 0; i < n; i++) {
		struct nbconn *cn = &nb->conns[i];

		if (cn->rev)
			event_free(cn->rev);
		if (cn->wev)
			event_free(cn->wev);
		free(cn->txbuf);
		if (fds[i] > 0) {
			if (rst)
				sock_abort(fds[i]);
			else
				close(fds[i]);
		}
	}
}

static void nb_free(struct nbrun *nb)
{
	if (!nb)
		return;
	if (nb->tick)
		event_free(nb->tick);
	if (nb->base)
		event_base_free(nb->base);
	free(nb->conns);
	free(nb);
}

/* The loop until every connection completed or the run stopped; then the
 * sampler's figures and the outcome. */
static void nb_loop(struct nbrun *nb, struct sampler *smp)
{
	struct client_result *res = nb->res;
	uint64_t t0 = tcpstat_now_us();

	event_base_dispatch(nb->base);
	sampler_stop(smp);
	res->elapsed_s = (smp->end_us - t0) / 1e6;
	client_collect_sampler(res, smp);
	res->conns_completed = nb->done;
	client_decide(res, sampler_verdict(smp), smp->cfg.alarm_us, &nb->fail);
}

int client_run_nonblocking(const struct client_cfg *c, const struct sock_addr *a,
                           struct client_result *res, FILE *tl, char *err, size_t errlen)
{
	struct nbrun *nb = calloc(1, sizeof *nb);
	int *fds = calloc(c->parallel, sizeof *fds);
	struct sampler *smp = calloc(1, sizeof *smp);
	struct sampler_cfg sc;
	int rc = -1, connected = 0;

	if (!nb || !fds || !smp || !(nb->conns = calloc(c->parallel, sizeof *nb->conns)) ||
	    !(nb->base = event_base_new())) {
		snprintf(err, errlen, "out of memory for %u connections", c->parallel);
		goto out;
	}
	if (client_connect_all(c, a, fds, c->parallel, err, errlen) < 0)
		goto out;
	connected = 1;
	if (sockopt_read(fds[0], &res->eff, err, errlen) < 0)
		goto out;
	res->have_eff = 1;
	nb->cfg = c;
	nb->res = res;
	nb->smp = smp;
	nb->n = c->parallel;
	nb->per_conn = c->payload * c->times;
	if (nb_setup(nb, fds, err, errlen) < 0)
		goto out;
	rc = sampler_start(smp, fds[0], client_sampler_cfg(c, res, tl, fds, c->parallel, &sc));
	if (rc != 0) {
		snprintf(err, errlen, "sampler thread: %s", strerror(rc));
		rc = -1;
		goto out;
	}
	nb_loop(nb, smp);
	rc = 0;
out:
	if (connected)
		nb_close(nb, fds, c->parallel, rc == 0 && res->outcome != CLIENT_COMPLETED);
	nb_free(nb);
	free(fds);
	free(smp);
	return rc;
}
