/* server_paced: echod's modes stall and slow, where the server paces its reading (never,
 * only after --stall-for, or --rate bytes/s): libevent bufferevents on the main loop, with
 * watermarks so no connection buffers without bound. (Mode event is server_pump.c.) */
#include "server_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct econn {
	struct sconn *sc;
	struct bufferevent *bev;
	struct event *resume;       /* stall mode: start reading after stall_for */
	struct ev_token_bucket_cfg *rate;
	int paused;                 /* reading off because output passed the cap */
	int stalled;                /* reading off because of the stall mode */
	int eof;                    /* the peer half-closed: finish writing, then close */
	struct econn *next_all;
};

static void econn_free(struct econn *e, int abortive)
{
	/* The registry closes the fd; the bufferevent must not. */
	if (e->resume)
		event_free(e->resume);
	bufferevent_free(e->bev);
	if (e->rate)
		ev_token_bucket_cfg_free(e->rate);
	server_conn_close(e->sc, abortive);
	free(e);
}

static void on_written(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct econn *e = arg;

	(void)buf;
	if (info->n_deleted) {
		atomic_fetch_add(&e->sc->out, info->n_deleted);
		atomic_fetch_add(&e->sc->srv->st.bytes_out, info->n_deleted);
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct econn *e = arg;
	struct server *s = e->sc->srv;
	struct evbuffer *in = bufferevent_get_input(bev), *out = bufferevent_get_output(bev);
	size_t n = evbuffer_get_length(in);

	atomic_fetch_add(&e->sc->in, n);
	atomic_fetch_add(&s->st.bytes_in, n);
	/* Moves the chains, no copy. */
	evbuffer_add_buffer(out, in);
	if (evbuffer_get_length(out) >= s->cfg->out_cap) {
		/* Backpressure: the client is not reading its echo; stop reading
		 * its data until the output drains to half the cap. */
		bufferevent_disable(bev, EV_READ);
		e->paused = 1;
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct econn *e = arg;

	if (e->eof) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			econn_free(e, 0);
		return;
	}
	if (e->paused) {
		e->paused = 0;
		if (!e->stalled)
			bufferevent_enable(bev, EV_READ);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct econn *e = arg;
	struct server *s = e->sc->srv;

	if (what & BEV_EVENT_EOF) {
		/* Half-close: echo what is still queued, then close. Reads are over. */
		atomic_fetch_add(&s->st.half_closes, 1);
		e->eof = 1;
		bufferevent_disable(bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			econn_free(e, 0);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		atomic_fetch_add(&s->st.idle_timeouts, 1);
		econn_free(e, 0);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int err = EVUTIL_SOCKET_ERROR();

		if (err == ECONNRESET || err == EPIPE)
			atomic_fetch_add(&s->st.resets, 1);
		econn_free(e, 1);
	}
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct econn *e = arg;

	(void)fd;
	(void)what;
	e->stalled = 0;
	if (!e->paused && !e->eof)
		bufferevent_enable(e->bev, EV_READ);
}

static int paced_start(struct sconn *sc)
{
	struct server *s = sc->srv;
	const struct server_cfg *cfg = s->cfg;
	struct econn *e = calloc(1, sizeof *e);

	if (!e)
		return -1;
	e->sc = sc;
	sc->backend = e;
	if (evutil_make_socket_nonblocking(sc->fd) < 0)
		goto fail;
	e->bev = bufferevent_socket_new(s->base, sc->fd, 0);
	if (!e->bev)
		goto fail;
	bufferevent_setcb(e->bev, on_read, on_write, on_event, e);
	/* Input never holds more than the cap; the write callback fires when
	 * the output has drained to half of it. */
	bufferevent_setwatermark(e->bev, EV_READ, 0, cfg->out_cap);
	bufferevent_setwatermark(e->bev, EV_WRITE, cfg->out_cap / 2, 0);
	if (!evbuffer_add_cb(bufferevent_get_output(e->bev), on_written, e))
		goto fail;
	if (cfg->idle_timeout_us) {
		struct timeval tv = { .tv_sec = (time_t)(cfg->idle_timeout_us / 1000000),
		                      .tv_usec = (suseconds_t)(cfg->idle_timeout_us % 1000000) };

		bufferevent_set_timeouts(e->bev, &tv, &tv);
	}
	if (cfg->mode == SERVER_SLOW) {
		/* Token bucket refilled every 50 ms: rate/20 bytes a tick. */
		struct timeval tick = { .tv_sec = 0, .tv_usec = 50000 };
		size_t per_tick = cfg->rate / 20 ? (size_t)(cfg->rate / 20) : 1;

		e->rate = ev_token_bucket_cfg_new(per_tick, per_tick, EV_RATE_LIMIT_MAX,
		                                  EV_RATE_LIMIT_MAX, &tick);
		if (!e->rate || bufferevent_set_rate_limit(e->bev, e->rate) < 0)
			goto fail;
	}
	if (cfg->mode == SERVER_STALL) {
		e->stalled = 1;
		bufferevent_enable(e->bev, EV_WRITE);
		if (cfg->stall_for_us) {
			struct timeval tv = { .tv_sec = (time_t)(cfg->stall_for_us / 1000000),
			                      .tv_usec = (suseconds_t)(cfg->stall_for_us % 1000000) };

			e->resume = evtimer_new(s->base, on_resume, e);
			if (!e->resume || evtimer_add(e->resume, &tv) < 0)
				goto fail;
		}
	} else {
		bufferevent_enable(e->bev, EV_READ | EV_WRITE);
	}
	return 0;
fail:
	if (e->resume)
		event_free(e->resume);
	if (e->bev)
		bufferevent_free(e->bev);
	if (e->rate)
		ev_token_bucket_cfg_free(e->rate);
	free(e);
	sc->backend = NULL;
	return -1;
}

static void paced_stop_all(struct server *s)
{
	/* Single-threaded: the loop has stopped, nobody else touches the list. */
	while (s->conns)
		econn_free(s->conns->backend, 0);
}

const struct server_backend server_paced_backend = {
	.name = "paced",
	.start = paced_start,
	.stop_all = paced_stop_all,
};
