/* client: the tcpecho engine: connect, send the payload in one of five I/O modes,
 * verify every echoed byte, watch for probe deadlocks. */
#ifndef PROBELOCK_CLIENT_H
#define PROBELOCK_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "pattern.h"
#include "sampler.h"
#include "sockopt.h"
#include "tcpstat.h"

enum client_mode {
	CLIENT_BLOCKING,    /* the draft: one blocking send of everything, then recv */
	CLIENT_NONBLOCKING, /* libevent: sends and receives interleaved, never deadlocks */
	CLIENT_CHUNKED,     /* the draft's pseudo-code: send a chunk, read its echo, repeat */
	CLIENT_SPLIT,       /* a sender thread and a receiver thread on one blocking socket */
	CLIENT_AWARE,       /* the draft's TCP change (B-1..B-4) emulated in user space */
};

enum client_outcome {
	CLIENT_COMPLETED,
	CLIENT_DEADLOCK,
	CLIENT_ALARM,
	CLIENT_RESET,
	CLIENT_ERROR,
	CLIENT_CORRUPT,
	CLIENT_INTERRUPTED, /* client_interrupt() (tcpecho: SIGINT, SIGTERM) */
};
#define CLIENT_NOUTCOMES 7

/* What ended a run. */
enum client_end {
	CLIENT_END_COMPLETION,   /* every byte echoed */
	CLIENT_END_DETECTOR,     /* the deadlock detector's verdict */
	CLIENT_END_ALARM,        /* --alarm */
	CLIENT_END_INTERRUPT,    /* client_interrupt() */
	CLIENT_END_PEER,         /* the peer reset the connection */
	CLIENT_END_STACK,        /* the local stack timed out (TCP_USER_TIMEOUT, keepalive) */
	CLIENT_END_VERIFICATION, /* the echo was not what was sent */
	CLIENT_END_ERROR,        /* anything else */
};
#define CLIENT_NENDS 8

/* The one name table of each enum, in the enum's order, NULL after the last: the programs,
 * the scenario's schema and the report read names only here. */
extern const char *const client_mode_names[];    /* "blocking", "nonblocking", ... */
extern const char *const client_outcome_names[]; /* "completed", "deadlock", ... */
extern const char *const client_end_names[];     /* "completion", "detector", ... */

struct client_cfg {
	const char *host;
	uint16_t port;
	enum client_mode mode;
	uint64_t payload;         /* bytes per round */
	uint64_t times;           /* rounds (the draft's -n) */
	uint64_t chunk;           /* chunked mode */
	unsigned parallel;        /* connections, nonblocking mode */
	uint64_t alarm_us;        /* 0: none */
	uint64_t connect_timeout_us;
	uint64_t stall_threshold_us;
	uint64_t sample_interval_us;
	uint64_t read_delay_us;   /* split mode: the receiver starts reading this late */
	int abort_on_deadlock;
	/* Evidence before the abort (sampler.h): keep a detected deadlock open
	 * until each side sent hold_probes probes, or for hold_us. */
	unsigned hold_probes;
	uint64_t hold_us;
	const char *timeline_path; /* NULL: none */
	struct sockopt_req sock;
	struct pattern pattern;
	int json;
};

struct client_result {
	enum client_outcome outcome;
	enum client_end ended_by;
	char detail[256];         /* human cause for anything but completed */
	char peer[64];            /* "127.0.0.1:7" */
	uint64_t expected;        /* payload * times * parallel */
	uint64_t bytes_sent, bytes_received;
	int verified;
	int64_t mismatch_offset;  /* -1 if none */
	double elapsed_s;
	double throughput_Bps;    /* echoed bytes / elapsed */
	struct sockopt_eff eff;
	int have_eff;
	struct detect det;        /* stall and deadlock figures (of connection 0) */
	int64_t t0_unix_us;       /* the zero of det's times (onset_s ...), microseconds since the epoch */
	int verdict;              /* enum sampler_verdict: what aborted the connections, if anything */
	struct sampler_abort ab;  /* when and how */
	unsigned holds_resolved;  /* held deadlocks whose bytes moved again */
	struct tcpstat last;      /* final tcp_info (of connection 0) */
	int have_last;
	unsigned conns_completed;
	uint64_t aware_wakeups;   /* aware mode: times B-1..B-4 held and it read */
	uint64_t samples;
};

void client_cfg_init(struct client_cfg *c);
const char *client_mode_name(enum client_mode m);
int client_mode_parse(const char *s, enum client_mode *out);
const char *client_outcome_name(enum client_outcome o);
const char *client_end_name(enum client_end e);
/* The exit code of each outcome (0, 3, 4, 5, 1, 6, 130: README "Exit codes of tcpecho"). */
int client_outcome_exit(enum client_outcome o);

/* Asks a running client_run to stop: from the next sample on (one sample
 * interval at most) its connections are aborted with RST, no byte is read
 * or sent any more, and it returns with outcome interrupted and what it
 * measured until then. Async-signal-safe (a SIGINT/SIGTERM handler). */
void client_interrupt(void);

/* Runs the test. Returns 0 when the run happened (whatever its outcome, see
 * res->outcome), -1 when it could not start (err holds "connect HOST:PORT:
 * cause", a socket option failure, or an unopenable timeline file). */
int client_run(const struct client_cfg *cfg, struct client_result *res, char *err, size_t errlen);

#endif
