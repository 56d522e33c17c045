/* stall: stall intervals of one connection from its analysed segments, each
 * with a cause (probe_deadlock, receiver_stall, silent_peer, abort, idle). */
#ifndef PROBELOCK_STALL_H
#define PROBELOCK_STALL_H

#include <stddef.h>
#include <stdint.h>

#include "tcpana.h"

enum stall_cause {
	STALL_PROBE_DEADLOCK, /* both directions at window 0, probes answered both ways */
	STALL_RECEIVER,       /* one direction at window 0, the other's probes answered */
	STALL_SILENT_PEER,    /* retransmissions or keepalives unanswered */
	STALL_ABORT,          /* ended by RST, nothing else to tell */
	STALL_IDLE,           /* nothing outstanding */
};

#define STALL_NCAUSES 5

/* The one name table of enum stall_cause, in its order, NULL after the last. */
extern const char *const stall_cause_names[];
const char *stall_cause_name(enum stall_cause c);
/* The cause named name ("probe_deadlock", ...): 0, or -1 when there is none. */
int stall_cause_parse(const char *name, enum stall_cause *out);

/* A set of causes: bit (1u << cause) for each. */
typedef unsigned stall_cause_set;
#define STALL_CAUSE_BIT(c) (1u << (unsigned)(c))
/* The set as "a,b" in the enum's order ("" when empty), cut to len. Returns buf. */
const char *stall_cause_set_format(stall_cause_set set, char *buf, size_t len);
/* The set written "a,b" (the form above; "" is the empty set) into *set: 0, or -1 when a
 * word is not a cause's name (*set then holds the causes the other words name). */
int stall_cause_set_parse(const char *s, stall_cause_set *set);

#define STALL_MAX_PROBE_TIMES 32

struct stall_dir {
	unsigned probes;         /* keep_alive or zero_window_probe segments sent */
	unsigned answered;       /* ...followed by a segment from the peer */
	unsigned retrans;        /* retransmissions sent */
	unsigned unanswered;     /* probes or retransmissions the peer never answered */
	int zero_window;         /* this direction advertised window 0 in the interval */
	int64_t probe_t[STALL_MAX_PROBE_TIMES]; /* first probe times, for the backoff */
	int pending;             /* last probe/retransmission not answered yet */
};

struct stall {
	enum stall_cause cause;
	int64_t start_ns, end_ns; /* end_ns: last packet seen when open */
	int open;                 /* the capture ended inside it */
	int ended_by_rst;
	struct stall_dir dir[2];
};

struct stall_tracker {
	int64_t threshold_ns;
	int64_t last_progress_ns;
	int started;
	uint32_t max_ack[2];
	int have_ack[2];
	struct stall_dir cur[2];  /* since the last progress */
	int closed;               /* RST seen: nothing more to track */
	struct stall *v;
	size_t n, cap;
	int64_t onset_of_last;    /* start of the interval last emitted (for the excerpt) */
};

void stall_init(struct stall_tracker *st, int64_t threshold_ns);
void stall_free(struct stall_tracker *st);

/* Feeds one analysed segment. Returns 1 when it closed a stall interval
 * (st->v[st->n - 1]), 0 otherwise, -1 when out of memory. */
int stall_feed(struct stall_tracker *st, const struct tcpana_pkt *p);

/* At the end of the capture: an interval still running becomes an open one
 * if it is long enough. Returns 1 if it added one. */
int stall_finish(struct stall_tracker *st, int64_t last_ns);

/* Whether segment p is progress (acknowledges new data). */
int stall_is_progress(const struct stall_tracker *st, const struct tcpana_pkt *p);

#endif
