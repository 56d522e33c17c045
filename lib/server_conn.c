/* server_conn: echod's connection registry (what the monitor samples and the stop path ends)
 * and its log, shared by the core and the backends. */
#include "server_int.h"
#include "tcpstat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void server_log(struct server *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!s->hooks->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->hooks->log(msg, s->hooks->arg);
}

static void stat_max(_Atomic uint64_t *m, uint64_t v)
{
	uint64_t cur = atomic_load(m);

	while (v > cur && !atomic_compare_exchange_weak(m, &cur, v))
		;
}

struct sconn *server_conn_new(struct server *s, int fd, const char *peer)
{
	struct sconn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->srv = s;
	c->fd = fd;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	detect_init(&c->det, s->cfg->stall_threshold_us, 0, tcpstat_now_us());
	pthread_mutex_lock(&s->lock);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	pthread_mutex_unlock(&s->lock);
	stat_max(&s->st.peak, atomic_fetch_add(&s->st.active, 1) + 1);
	return c;
}

void server_conn_close(struct sconn *c, int abortive)
{
	struct server *s = c->srv;

	/* Out of the registry before close(): the monitor must never sample a
	 * descriptor number that the kernel may hand out again. */
	pthread_mutex_lock(&s->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (abortive)
		sock_abort(c->fd);
	else
		close(c->fd);
	atomic_fetch_sub(&s->st.active, 1);
	atomic_fetch_add(&s->st.closed, 1);
	if (!s->conns)
		pthread_cond_broadcast(&s->drained);
	pthread_mutex_unlock(&s->lock);
	free(c);
}
