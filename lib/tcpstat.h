/* tcpstat: one sample of a TCP connection's state (TCP_INFO, SIOCINQ, SIOCOUTQ). */
#ifndef PROBELOCK_TCPSTAT_H
#define PROBELOCK_TCPSTAT_H

#include <stddef.h>
#include <stdint.h>

/* Bits of tcpstat.have: which optional fields the running kernel filled. */
enum {
	TCPSTAT_HAVE_BYTES = 1 << 0,     /* bytes_acked, bytes_received (4.1+) */
	TCPSTAT_HAVE_NOTSENT = 1 << 1,   /* notsent_bytes (4.6+) */
	TCPSTAT_HAVE_SND_WND = 1 << 2,   /* snd_wnd (5.4+) */
	TCPSTAT_HAVE_RCV_WND = 1 << 3,   /* rcv_wnd (6.2+) */
	TCPSTAT_HAVE_BYTES_SENT = 1 << 4, /* bytes_sent, bytes_retrans (4.19+) */
	TCPSTAT_HAVE_DATA_SEGS = 1 << 5, /* data_segs_out, data_segs_in (4.6+) */
};

struct tcpstat {
	uint64_t t_us;        /* when sampled, monotonic microseconds */
	unsigned have;        /* TCPSTAT_HAVE_* */
	uint8_t state;        /* TCP_ESTABLISHED ... */
	uint8_t probes;       /* unanswered zero-window probes / keepalives */
	uint8_t backoff;      /* exponential backoff of the retransmit/persist timer */
	uint8_t retransmits;
	uint8_t snd_wscale, rcv_wscale;
	uint32_t rto_us;
	uint32_t snd_mss, rcv_mss;
	uint32_t rtt_us;
	uint32_t snd_cwnd;
	uint32_t unacked;
	uint32_t total_retrans;
	uint64_t bytes_acked;    /* by the peer: our sent data that arrived */
	uint64_t bytes_received; /* from the peer */
	uint64_t bytes_sent, bytes_retrans;
	uint32_t notsent_bytes;  /* queued, never sent */
	uint32_t snd_wnd;        /* peer's advertised window, scaled (bytes) */
	uint32_t rcv_wnd;        /* our advertised window (bytes) */
	uint32_t segs_out, segs_in;     /* every segment, pure ACKs and probes too (with BYTES) */
	uint32_t data_segs_out, data_segs_in; /* segments carrying data */
	int inq;                 /* SIOCINQ: received, not yet read */
	int outq;                /* SIOCOUTQ: sent or queued, not yet acked */
};

/* Samples fd. Returns 0, or -1 with errno (EBADF, ENOTCONN ...). Works from
 * any thread while another is blocked in send()/recv() on the same fd. */
int tcpstat_sample(int fd, struct tcpstat *out);

/* Name of a TCP state ("ESTABLISHED"). */
const char *tcpstat_state_name(unsigned state);

/* Monotonic clock in microseconds. */
uint64_t tcpstat_now_us(void);

#endif
