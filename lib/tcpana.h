/* tcpana: per-connection, per-direction TCP analysis with the rules, names and
 * evaluation order of Wireshark's tcp_analyze_sequence_number(); streaming:
 * state grows with connections, never with packets. */
#ifndef PROBELOCK_TCPANA_H
#define PROBELOCK_TCPANA_H

#include <stddef.h>
#include <stdint.h>

#include "pcapin.h"

enum tcpana_flag {
	TA_ZERO_WINDOW,
	TA_ZERO_WINDOW_PROBE,
	TA_ZERO_WINDOW_PROBE_ACK,
	TA_LOST_SEGMENT,
	TA_KEEP_ALIVE,
	TA_WINDOW_UPDATE,
	TA_WINDOW_FULL,
	TA_KEEP_ALIVE_ACK,
	TA_DUPLICATE_ACK,
	TA_ACK_LOST_SEGMENT,
	TA_RETRANSMISSION,       /* as Wireshark's expert: includes fast and spurious ones */
	TA_FAST_RETRANSMISSION,
	TA_SPURIOUS_RETRANSMISSION,
	TA_OUT_OF_ORDER,
	TA_REUSED_PORTS,         /* a new connection with the ports of an earlier one */
	TA_RST,
	TA_SYN,
	TA_FIN,
	TA_NFLAGS,
};

#define TA_BIT(f) (1u << (f))
/* The flags of Wireshark's tcp.analysis.flags (not the SYN, FIN, RST bits). */
#define TA_ANALYSIS_FLAGS (TA_BIT(TA_REUSED_PORTS + 1) - 1u)

/* "zero_window" ...: Wireshark's tcp.analysis.* names (README "Seeing it on the wire"). */
const char *tcpana_flag_name(enum tcpana_flag f);

/* Window scale state of a direction (Wireshark's win_scale). */
enum {
	TA_WS_UNKNOWN = -1, /* no SYN seen: scaling unknown */
	TA_WS_NONE = -2,    /* the handshake did not negotiate scaling */
};

/* Sequence-space comparisons modulo 2^32 (Wireshark's GT_SEQ, LT_SEQ, LE_SEQ). */
static inline int tcpana_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline int tcpana_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int tcpana_seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

/* Wireshark's TCP_MAX_UNACKED_SEGMENTS: past this many unacknowledged
 * segments it stops listing them, and a SYN or FIN then does not count as
 * one byte of sequence space. */
#define TA_MAX_UNACKED 10000
/* Wireshark's dupacknum -1, stored in a guint32. */
#define TA_DUPACK_HOLE UINT32_MAX

struct tcpana_dir {
	uint32_t base_seq;
	int base_set;
	int saw_syn;
	uint32_t nextseq;
	int64_t nextseq_t;
	uint32_t maxseqtobeacked;
	uint32_t lastack;
	int64_t lastack_t;
	uint64_t lastnondupack;
	uint32_t dupacknum;       /* TA_DUPACK_HOLE: an ACKed unseen segment was reported for
	                           * the hole. Unsigned as Wireshark's guint32: that mark is
	                           * also ">= 2 duplicate ACKs" to the fast retransmission test */
	uint32_t window;          /* raw, as last sent by this direction (UINT32_MAX: none yet) */
	int win_scale;            /* >= 0, or TA_WS_* */
	int is_first_ack;         /* sent a SYN and no ACK without SYN since: its window is
	                           * not shifted for window_full (Wireshark issue 14690) */
	uint32_t lastsegflags;    /* analysis flags of this direction's last segment */
	/* The end (nextseq) of each segment sent and not yet acknowledged, as
	 * Wireshark lists them (at most TA_MAX_UNACKED): only their count
	 * matters. Empty while the peer acknowledges what is sent. */
	uint32_t *unacked;
	uint32_t nunacked, capunacked;
	int unacked_dirty;        /* added to since the last removal */
	uint32_t unacked_ack;     /* the ack of that removal */
	uint64_t counts[TA_NFLAGS];
	uint64_t packets, payload_bytes;
};

struct tcpana_conn {
	unsigned id;              /* 0, 1, ... in order of first packet */
	int family;
	uint8_t addr[2][16];      /* [0]: the endpoint that sent the first packet seen */
	uint16_t port[2];
	struct tcpana_dir d[2];
	int64_t first_t, last_t;
	int64_t syn_t;            /* the latest SYN without ACK (Wireshark's ts_mru_syn) */
	int64_t first_rtt_ns;     /* from it to the first ACK without SYN (ts_first_rtt) */
	uint64_t packets;
	int syn_dir;              /* the direction that sent the SYN, -1 if not seen */
	int reset;                /* an RST was seen */
	void *user;               /* for the caller (stall tracker, plot file ...) */
	struct tcpana_conn *hnext;
};

/* What the analysis says of one segment. */
struct tcpana_pkt {
	struct tcpana_conn *conn;
	int dir;                  /* 0: addr[0] -> addr[1] */
	uint32_t aflags;          /* TA_BIT(...): the flags Wireshark shows for the frame (none
	                           * when its dissection stops before they are shown) */
	uint32_t analysed;        /* the flags the analysis found, shown or not (what the
	                           * stall tracker and the plots go by) */
	uint32_t seq_rel, ack_rel, seglen;
	uint16_t thflags;
	uint32_t win_scaled;      /* the window in bytes, when the scale is known */
	int win_known;            /* scale known (or none negotiated) */
	int64_t t_ns;
	uint64_t num;
};

struct tcpana;

struct tcpana *tcpana_new(void);
void tcpana_free(struct tcpana *a, void (*free_user)(void *));

/* Analyses one segment; fills out. Returns 0, or -1 when out of memory. */
int tcpana_feed(struct tcpana *a, const struct tcpseg *s, struct tcpana_pkt *out);

/* Connections in order of appearance. */
size_t tcpana_nconns(const struct tcpana *a);
struct tcpana_conn *tcpana_conn(const struct tcpana *a, size_t i);

/* "127.0.0.1:4242" of endpoint e (0 or 1) of c. */
const char *tcpana_endpoint(const struct tcpana_conn *c, int e, char *buf, size_t len);

#endif
