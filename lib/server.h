/* server: echod's engine, an RFC 862 echo server with the draft's modes. */
#ifndef PROBELOCK_SERVER_H
#define PROBELOCK_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sock.h"
#include "sockopt.h"

enum server_mode {
	SERVER_EVENT,    /* libevent, non-blocking, per-connection output cap */
	SERVER_BLOCKING, /* thread per connection, recv app_buf, blocking send: the draft's server */
	SERVER_STALL,    /* accept, never read (or only after stall_for) */
	SERVER_SLOW,     /* read at rate bytes/s */
};

struct server_cfg {
	const char *bind_host;    /* numeric or name; default 127.0.0.1 */
	uint16_t port;            /* 0: ephemeral */
	enum server_mode mode;
	struct sockopt_req sock;  /* sndbuf/rcvbuf set on the listening socket */
	uint64_t app_buf;         /* blocking: recv size (inetd's 8192) */
	uint64_t out_cap;         /* event: stop reading a connection whose output passes this */
	unsigned threads;         /* event: event loops (threads); 0: one per online CPU */
	unsigned max_conns;       /* 0: no limit */
	uint64_t idle_timeout_us; /* 0: none */
	uint64_t rate;            /* slow: bytes per second */
	uint64_t stall_for_us;    /* stall: start echoing after this long (0: never) */
	int monitor;              /* sample connections and report probe deadlocks */
	uint64_t stall_threshold_us, sample_interval_us;
	int backlog;
};

/* Callbacks through which the engine talks; the library itself never prints. */
struct server_hooks {
	void (*ready)(const struct sock_addr *bound, void *arg);
	/* A statistics document (new reference passed to the hook, which owns it);
	 * final is 1 on shutdown. */
	void (*stats)(json_t *doc, int final, void *arg);
	/* A notable event ("conn 127.0.0.1:4242: probe deadlock ..."). */
	void (*log)(const char *msg, void *arg);
	void *arg;
};

void server_cfg_init(struct server_cfg *c);
/* The one name table of enum server_mode, in its order, NULL after the last. */
extern const char *const server_mode_names[];
const char *server_mode_name(enum server_mode m);
int server_mode_parse(const char *s, enum server_mode *out);

/* Runs until SIGTERM or SIGINT (statistics then, final) ; SIGUSR1 reports
 * statistics and goes on. Returns 0 after a clean stop, -1 with err if it
 * could not start (bind, listen, setsockopt ...). */
int server_run(const struct server_cfg *cfg, const struct server_hooks *hooks, char *err,
               size_t errlen);

#endif
