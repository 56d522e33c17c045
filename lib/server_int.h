/* server_int: what the echod engine's core shares with its two backends. */
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
	void *pump;                 /* event mode's worker loops */
};

/* Registry: the core adds a connection before handing it to the backend; a
 * backend calls server_conn_close() exactly once to close and free it. */
struct sconn *server_conn_new(struct server *s, int fd, const char *peer);
void server_conn_close(struct sconn *c, int abortive);
void server_log(struct server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Backends. start: take over a new connection (return -1 to have it closed). */
int server_event_start(struct sconn *c);
void server_event_stop_all(struct server *s);
int server_pump_init(struct server *s, char *err, size_t errlen);
int server_pump_start(struct sconn *c);
void server_pump_stop_all(struct server *s);
int server_blocking_start(struct sconn *c);
void server_blocking_stop_all(struct server *s);

#endif
