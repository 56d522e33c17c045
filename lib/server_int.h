/* server_int: what echod's engine shares inside: the core (server.c: listener, accepts,
 * monitor, signals, statistics), the connection registry (server_conn.c), and the three
 * backends behind one ops table, chosen once per server by its mode: server_pump.c (event),
 * server_paced.c (stall, slow), server_blocking.c (blocking). Backends call the registry,
 * never the core; the core calls them only through the table. */
#ifndef PROBELOCK_SERVER_INT_H
#define PROBELOCK_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <event2/event.h>

#include "detect.h"
#include "server.h"

struct server_stats {
	_Atomic uint64_t accepted, active, peak, closed, refused, accept_errors;
	_Atomic uint64_t resets, idle_timeouts, half_closes, deadlocks, thread_errors;
	_Atomic uint64_t bytes_in, bytes_out;
};

/* One accepted connection, in the registry while its fd is open. */
struct sconn {
	struct server *srv;
	struct sconn *prev, *next;
	int fd;
	char peer[64];
	_Atomic uint64_t in, out;  /* bytes read / written */
	void *backend;             /* the backend's own state */
	/* --monitor */
	struct detect det;
	int reported;
};

struct server {
	const struct server_cfg *cfg;
	const struct server_hooks *hooks;
	struct event_base *base;
	int lfd;
	struct sock_addr bound;
	struct event *accept_ev, *accept_retry, *monitor_ev;
	struct event *sig_term, *sig_int, *sig_usr1;
	uint64_t start_us;
	struct server_stats st;
	pthread_mutex_t lock;       /* guards the registry */
	pthread_cond_t drained;     /* signalled when the registry empties */
	struct sconn *conns;
	int stopping;
	const struct server_backend *be; /* chosen once by the mode */
	void *pump;                 /* event mode's worker loops */
};

/* Registry: the core adds a connection before handing it to the backend; a
 * backend calls server_conn_close() exactly once to close and free it. */
struct sconn *server_conn_new(struct server *s, int fd, const char *peer);
void server_conn_close(struct sconn *c, int abortive);
void server_log(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A backend: how the connections of some modes are served. */
struct server_backend {
	const char *name;
	int (*init)(struct server *s, char *err, size_t errlen); /* NULL: nothing to set up */
	int (*start)(struct sconn *c);      /* take over a new connection; -1: the core closes it */
	void (*stop_all)(struct server *s); /* end every connection; safe to call again, and after a failed init */
};

extern const struct server_backend server_pump_backend;     /* event */
extern const struct server_backend server_paced_backend;    /* stall, slow */
extern const struct server_backend server_blocking_backend; /* blocking */

#endif
