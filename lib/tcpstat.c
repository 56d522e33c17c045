/* tcpstat: one sample of a TCP connection's state (TCP_INFO, SIOCINQ, SIOCOUTQ). */
#include "tcpstat.h"

#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

uint64_t tcpstat_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* tcpi_rcv_wnd (Linux 6.2) directly follows tcpi_snd_wnd; the userspace
 * headers of older distributions stop at tcpi_snd_wnd, so its offset is
 * computed rather than named. The kernel copies min(len, its size) bytes and
 * reports the length, which is how a shorter (older kernel) or longer (newer
 * kernel) structure is told apart. */
#define RCV_WND_OFF (offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof(uint32_t))
#define FIELD_END(f) (offsetof(struct tcp_info, f) + sizeof(((struct tcp_info *)0)->f))

int tcpstat_sample(int fd, struct tcpstat *out)
{
	union {
		struct tcp_info ti;
		unsigned char raw[512];
	} u;
	socklen_t len = sizeof u;
	const struct tcp_info *ti = &u.ti;

	memset(&u, 0, sizeof u);
	memset(out, 0, sizeof *out);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &u, &len) < 0)
		return -1;
	out->t_us = tcpstat_now_us();
	if (len < FIELD_END(tcpi_total_retrans)) {
		errno = EPROTO;
		return -1;
	}
	out->state = ti->tcpi_state;
	out->probes = ti->tcpi_probes;
	out->backoff = ti->tcpi_backoff;
	out->retransmits = ti->tcpi_retransmits;
	out->snd_wscale = ti->tcpi_snd_wscale;
	out->rcv_wscale = ti->tcpi_rcv_wscale;
	out->rto_us = ti->tcpi_rto;
	out->snd_mss = ti->tcpi_snd_mss;
	out->rcv_mss = ti->tcpi_rcv_mss;
	out->rtt_us = ti->tcpi_rtt;
	out->snd_cwnd = ti->tcpi_snd_cwnd;
	out->unacked = ti->tcpi_unacked;
	out->total_retrans = ti->tcpi_total_retrans;
	if (len >= FIELD_END(tcpi_segs_in)) {
		out->bytes_acked = ti->tcpi_bytes_acked;
		out->bytes_received = ti->tcpi_bytes_received;
		out->segs_out = ti->tcpi_segs_out;
		out->segs_in = ti->tcpi_segs_in;
		out->have |= TCPSTAT_HAVE_BYTES;
	}
	if (len >= FIELD_END(tcpi_notsent_bytes)) {
		out->notsent_bytes = ti->tcpi_notsent_bytes;
		out->have |= TCPSTAT_HAVE_NOTSENT;
	}
	if (len >= FIELD_END(tcpi_data_segs_out)) {
		out->data_segs_in = ti->tcpi_data_segs_in;
		out->data_segs_out = ti->tcpi_data_segs_out;
		out->have |= TCPSTAT_HAVE_DATA_SEGS;
	}
	if (len >= FIELD_END(tcpi_bytes_retrans)) {
		out->bytes_sent = ti->tcpi_bytes_sent;
		out->bytes_retrans = ti->tcpi_bytes_retrans;
		out->have |= TCPSTAT_HAVE_BYTES_SENT;
	}
	if (len >= FIELD_END(tcpi_snd_wnd)) {
		out->snd_wnd = ti->tcpi_snd_wnd;
		out->have |= TCPSTAT_HAVE_SND_WND;
	}
	if (len >= RCV_WND_OFF + sizeof(uint32_t)) {
		memcpy(&out->rcv_wnd, u.raw + RCV_WND_OFF, sizeof out->rcv_wnd);
		out->have |= TCPSTAT_HAVE_RCV_WND;
	}
	/* The queues: a failure here (listening socket, closed) leaves -1. */
	if (ioctl(fd, SIOCINQ, &out->inq) < 0)
		out->inq = -1;
	if (ioctl(fd, SIOCOUTQ, &out->outq) < 0)
		out->outq = -1;
	return 0;
}

const char *tcpstat_state_name(unsigned state)
{
	static const char *const names[] = {
		"UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
	};

	return state < sizeof names / sizeof names[0] ? names[state] : "UNKNOWN";
}
