/* server: echod's engine, an RFC 862 echo server with the draft's modes: the listener and
 * its accepts, the --monitor sampler, signals and statistics; each mode's connections are
 * served by its backend (server_int.h). */
#include "optutil.h"
#include "server_int.h"
#include "tcpstat.h"
#include "version.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *const server_mode_names[] = {
	[SERVER_EVENT] = "event", [SERVER_BLOCKING] = "blocking",
	[SERVER_STALL] = "stall", [SERVER_SLOW] = "slow", NULL,
};

#define NMODES (sizeof server_mode_names / sizeof server_mode_names[0] - 1)

/* The backend of each mode, chosen once per server. */
static const struct server_backend *const backends[] = {
	[SERVER_EVENT] = &server_pump_backend, [SERVER_BLOCKING] = &server_blocking_backend,
	[SERVER_STALL] = &server_paced_backend, [SERVER_SLOW] = &server_paced_backend,
};

const char *server_mode_name(enum server_mode m)
{
	return optutil_name(server_mode_names, NMODES, (unsigned)m);
}

int server_mode_parse(const char *s, enum server_mode *out)
{
	int i = optutil_lookup(server_mode_names, NMODES, s);

	if (i < 0)
		return -1;
	*out = (enum server_mode)i;
	return 0;
}

void server_cfg_init(struct server_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->bind_host = "127.0.0.1";
	c->port = 7;
	c->mode = SERVER_EVENT;
	sockopt_req_init(&c->sock);
	c->app_buf = 8192;
	c->out_cap = 256 * 1024;
	c->rate = 8192;
	c->stall_threshold_us = 500000;
	c->sample_interval_us = 50000;
	c->backlog = 4096;
}

static json_t *stats_json(struct server *s, int final)
{
	char addr[80];
	const struct server_stats *st = &s->st;

	sock_addr_str(&s->bound, addr, sizeof addr);
	return json_pack("{s:s, s:s, s:s, s:s, s:f, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
	                 " s:{s:I, s:I}, s:I, s:I}",
	                 "program", "echod", "version", PROBELOCK_VERSION,
	                 "mode", server_mode_name(s->cfg->mode), "address", addr,
	                 "uptime_s", (tcpstat_now_us() - s->start_us) / 1e6, "final", final,
	                 "connections",
	                 "accepted", (json_int_t)atomic_load(&st->accepted),
	                 "active", (json_int_t)atomic_load(&st->active),
	                 "peak", (json_int_t)atomic_load(&st->peak),
	                 "closed", (json_int_t)atomic_load(&st->closed),
	                 "refused", (json_int_t)atomic_load(&st->refused),
	                 "accept_errors", (json_int_t)atomic_load(&st->accept_errors),
	                 "resets", (json_int_t)atomic_load(&st->resets),
	                 "idle_timeouts", (json_int_t)atomic_load(&st->idle_timeouts),
	                 "half_closes", (json_int_t)atomic_load(&st->half_closes),
	                 "bytes", "in", (json_int_t)atomic_load(&st->bytes_in),
	                 "out", (json_int_t)atomic_load(&st->bytes_out),
	                 "deadlocks_detected", (json_int_t)atomic_load(&st->deadlocks),
	                 "thread_errors", (json_int_t)atomic_load(&st->thread_errors));
}

static void emit_stats(struct server *s, int final)
{
	json_t *doc = stats_json(s, final);

	if (doc && s->hooks->stats)
		s->hooks->stats(doc, final, s->hooks->arg);
	else
		json_decref(doc);
}

static void on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd;
	(void)what;
	if (!s->stopping)
		event_add(s->accept_ev, NULL);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct server *s = arg;

	(void)what;
	/* Bounded batch, so one busy listener cannot starve the connections. */
	for (int i = 0; i < 64; i++) {
		struct sock_addr peer;
		struct sconn *c;
		char ps[80];
		int fd, rc;

		peer.len = sizeof peer.ss;
		fd = accept4(lfd, (struct sockaddr *)&peer.ss, &peer.len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: the pending connection stays
			 * in the backlog and the listener stays readable; pause it
			 * instead of spinning, and try again shortly. */
			atomic_fetch_add(&s->st.accept_errors, 1);
			if (atomic_load(&s->st.accept_errors) == 1 || errno != EMFILE)
				server_log(s, "accept: %s (pausing accepts for 100 ms)", strerror(errno));
			event_del(s->accept_ev);
			event_add(s->accept_retry, &(struct timeval){ .tv_sec = 0, .tv_usec = 100000 });
			return;
		}
		atomic_fetch_add(&s->st.accepted, 1);
		if (s->cfg->max_conns && atomic_load(&s->st.active) >= s->cfg->max_conns) {
			atomic_fetch_add(&s->st.refused, 1);
			sock_abort(fd);
			continue;
		}
		sock_addr_str(&peer, ps, sizeof ps);
		c = server_conn_new(s, fd, ps);
		if (!c) {
			atomic_fetch_add(&s->st.refused, 1);
			sock_abort(fd);
			continue;
		}
		rc = s->be->start(c);
		if (rc < 0) {
			atomic_fetch_add(&s->st.refused, 1);
			server_conn_close(c, 1);
		}
	}
}

static void on_monitor(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&s->lock);
	for (struct sconn *c = s->conns; c; c = c->next) {
		struct tcpstat t;

		if (tcpstat_sample(c->fd, &t) < 0)
			continue;
		if (detect_feed(&c->det, &t, atomic_load(&c->out), atomic_load(&c->in)) == DETECT_DEADLOCK &&
		    !c->reported) {
			c->reported = 1;
			atomic_fetch_add(&s->st.deadlocks, 1);
			server_log(s, "conn %s: probe deadlock: no progress since %.3f s, peer window 0, "
			           "receive queue %d bytes, backoff %u",
			           c->peer, (c->det.onset_us - s->start_us) / 1e6, t.inq, t.backoff);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;

	(void)what;
	if (sig == SIGUSR1) {
		emit_stats(s, 0);
		return;
	}
	s->stopping = 1;
	event_base_loopbreak(s->base);
}

static int apply_listen_opts(int fd, void *arg, char *err, size_t errlen)
{
	return sockopt_apply(fd, arg, err, errlen);
}

/* The events of the accept loop, the signals and the monitor's timer. */
static int server_events(struct server *s, char *err, size_t errlen)
{
	struct timeval tv;

	s->accept_ev = event_new(s->base, s->lfd, EV_READ | EV_PERSIST, on_accept, s);
	s->accept_retry = evtimer_new(s->base, on_accept_retry, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
	s->sig_usr1 = evsignal_new(s->base, SIGUSR1, on_signal, s);
	if (!s->accept_ev || !s->accept_retry || !s->sig_term || !s->sig_int || !s->sig_usr1 ||
	    event_add(s->accept_ev, NULL) < 0 || event_add(s->sig_term, NULL) < 0 ||
	    event_add(s->sig_int, NULL) < 0 || event_add(s->sig_usr1, NULL) < 0) {
		snprintf(err, errlen, "event setup failed");
		return -1;
	}
	if (s->be->init && s->be->init(s, err, errlen) < 0)
		return -1;
	if (s->cfg->monitor) {
		s->monitor_ev = event_new(s->base, -1, EV_PERSIST, on_monitor, s);
		tv.tv_sec = (time_t)(s->cfg->sample_interval_us / 1000000);
		tv.tv_usec = (suseconds_t)(s->cfg->sample_interval_us % 1000000);
		if (!s->monitor_ev || event_add(s->monitor_ev, &tv) < 0) {
			snprintf(err, errlen, "monitor timer setup failed");
			return -1;
		}
	}
	return 0;
}

/* Binds and listens, then the event base and its events; 0, or -1 with err
 * (server_free() frees what was made). */
static int server_setup(struct server *s, char *err, size_t errlen)
{
	const struct server_cfg *cfg = s->cfg;
	struct sock_addr a;

	if (sock_resolve(cfg->bind_host, cfg->port, 1, &a, err, errlen) < 0)
		return -1;
	s->lfd = sock_listen(&a, cfg->backlog, 1, apply_listen_opts, (void *)&cfg->sock, &s->bound,
	                     err, errlen);
	if (s->lfd < 0)
		return -1;
	s->base = event_base_new();
	if (!s->base) {
		snprintf(err, errlen, "event_base_new failed");
		return -1;
	}
	return server_events(s, err, errlen);
}

/* Ends the backend's connections (again: a start that failed after the
 * backend's init), closes the listener, frees s. */
static void server_free(struct server *s)
{
	s->be->stop_all(s);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->monitor_ev)
		event_free(s->monitor_ev);
	if (s->accept_ev)
		event_free(s->accept_ev);
	if (s->accept_retry)
		event_free(s->accept_retry);
	if (s->sig_term)
		event_free(s->sig_term);
	if (s->sig_int)
		event_free(s->sig_int);
	if (s->sig_usr1)
		event_free(s->sig_usr1);
	if (s->base)
		event_base_free(s->base);
	pthread_cond_destroy(&s->drained);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int server_run(const struct server_cfg *cfg, const struct server_hooks *hooks, char *err,
               size_t errlen)
{
	struct server *s = calloc(1, sizeof *s);

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->cfg = cfg;
	s->hooks = hooks;
	s->be = backends[cfg->mode < NMODES ? cfg->mode : SERVER_EVENT];
	s->lfd = -1;
	s->start_us = tcpstat_now_us();
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->drained, NULL);
	/* A peer that resets while we write must cost an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);
	if (server_setup(s, err, errlen) < 0) {
		server_free(s);
		return -1;
	}
	if (hooks->ready)
		hooks->ready(&s->bound, hooks->arg);
	event_base_dispatch(s->base);

	/* Stop: no new connections, end the ones we have, report. */
	close(s->lfd);
	s->lfd = -1;
	s->be->stop_all(s);
	emit_stats(s, 1);
	if (s->conns) {
		/* A connection thread did not finish within the grace period: it may
		 * still touch s, so s is left to the process exit. */
		server_log(s, "stop: connections still open after the grace period");
		return 0;
	}
	server_free(s);
	return 0;
}
