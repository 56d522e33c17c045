/* server_blocking: echod's blocking backend, the draft's inetd-like server:
 * a thread per connection, recv() at most app_buf bytes, blocking send() of all. */
#include "server_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static void *conn_main(void *arg)
{
	struct sconn *c = arg;
	struct server *s = c->srv;
	size_t cap = (size_t)s->cfg->app_buf;
	unsigned char *buf = malloc(cap);
	int abortive = 0;

	if (!buf) {
		atomic_fetch_add(&s->st.thread_errors, 1);
		server_conn_close(c, 1);
		return NULL;
	}
	for (;;) {
		size_t n, off = 0, w;
		enum sock_io st = sock_read(c->fd, buf, cap, &n);

		if (st == SOCK_IO_RETRY) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) { /* SO_RCVTIMEO: idle */
				atomic_fetch_add(&s->st.idle_timeouts, 1);
				break;
			}
			continue;
		}
		if (st == SOCK_IO_EOF) {
			/* Everything read was already echoed: the half-close is done. */
			atomic_fetch_add(&s->st.half_closes, 1);
			break;
		}
		if (st == SOCK_IO_ERROR) {
			if (errno == ECONNRESET)
				atomic_fetch_add(&s->st.resets, 1);
			abortive = 1;
			break;
		}
		atomic_fetch_add(&c->in, n);
		atomic_fetch_add(&s->st.bytes_in, n);
		while (off < n) {
			st = sock_write(c->fd, buf + off, n - off, &w);
			if (st == SOCK_IO_OK) {
				off += w;
				atomic_fetch_add(&c->out, w);
				atomic_fetch_add(&s->st.bytes_out, w);
			} else if (st == SOCK_IO_ERROR) {
				if (errno == ECONNRESET || errno == EPIPE)
					atomic_fetch_add(&s->st.resets, 1);
				abortive = 1;
				goto done;
			}
		}
	}
done:
	free(buf);
	server_conn_close(c, abortive);
	return NULL;
}

static int blocking_start(struct sconn *c)
{
	struct server *s = c->srv;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (s->cfg->idle_timeout_us) {
		struct timeval tv = { .tv_sec = (time_t)(s->cfg->idle_timeout_us / 1000000),
		                      .tv_usec = (suseconds_t)(s->cfg->idle_timeout_us % 1000000) };

		/* Only the receive side: a send blocked by a zero window is the
		 * draft's server, it must stay blocked. */
		if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
			return -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&t, &attr, conn_main, c);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		atomic_fetch_add(&s->st.thread_errors, 1);
		server_log(s, "conn %s: pthread_create: %s", c->peer, strerror(rc));
		return -1;
	}
	return 0;
}

static void blocking_stop_all(struct server *s)
{
	struct timespec until;

	/* Wake every thread out of recv()/send(); each then closes its own
	 * connection and leaves the registry. */
	pthread_mutex_lock(&s->lock);
	for (struct sconn *c = s->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	while (s->conns) {
		if (pthread_cond_timedwait(&s->drained, &s->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&s->lock);
}

const struct server_backend server_blocking_backend = {
	.name = "blocking",
	.start = blocking_start,
	.stop_all = blocking_stop_all,
};
