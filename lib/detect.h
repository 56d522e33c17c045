/* detect: stall and probe-deadlock detection from a series of tcpstat samples. */
#ifndef PROBELOCK_DETECT_H
#define PROBELOCK_DETECT_H

#include <stdint.h>

#include "tcpstat.h"

/*
 * A stall is a period of at least stall_threshold with no byte progress
 * either way: neither the bytes the application read nor the kernel's
 * bytes_acked / bytes_received moved, nor, with non-blocking sends
 * (app_sent_counts), the bytes the application wrote. A blocking send()
 * reports its bytes only when it returns, possibly long after they moved (or
 * when an abort or timeout ends it), so its count is not progress. Stall time
 * counts only once the detector is armed (the client arms it when it offers
 * its first byte to the socket: filling a buffer before that is no stall).
 * A stall is a probe deadlock when, in one sample of it, all of these hold:
 *   - the peer's window is 0 (snd_wnd == 0),
 *   - data waits to be sent (notsent_bytes > 0 or SIOCOUTQ > 0),
 *   - our receive side is full (rcv_wnd == 0, or, on kernels without
 *     tcpi_rcv_wnd, SIOCINQ at least half the effective rcvbuf, which is what
 *     Linux advertises with the default tcp_adv_win_scale),
 *   - the persist timer is backing off (tcpi_backoff or tcpi_probes > 0):
 *     probes went out and were answered with window 0 again.
 * Onset is the time of the last progress; detection the sample that saw it.
 * A deadlock whose bytes move again is resolved; a later one is detected anew.
 *
 * Probes, counted from the samples since the last progress:
 *   - sent: our zero-window probes. Linux's persist timer raises
 *     icsk_backoff (tcpi_backoff) once per probe while the peer's window is
 *     0 and resets it when the window opens (tcp_send_probe0, tcp_ack_probe);
 *     the sum of its rises is the count (tcpi_probes, icsk_probes_out, is
 *     reset by every answer, so it counts only the unanswered ones). Linux
 *     stops raising it at net.ipv4.tcp_retries2 (15 probes).
 *   - received: the peer's probes as our socket sees them. In a deadlock
 *     only probes and answers to probes arrive. A peer that probes with a
 *     byte of data (lwIP, BSD) is counted by its data segments
 *     (tcpi_data_segs_in); one that probes without (Linux) by the segments
 *     that arrived (tcpi_segs_in) less the answers to our own probes (a
 *     fall of tcpi_probes). Unknown (-1) on kernels without tcpi_segs_in.
 */

enum detect_event {
	DETECT_NONE,
	DETECT_STALL_BEGIN,
	DETECT_STALL_END,
	DETECT_DEADLOCK,
};

/* Bits of detect_signals(). */
enum {
	DETECT_SIG_PEER_WND0 = 1 << 0,
	DETECT_SIG_UNSENT = 1 << 1,
	DETECT_SIG_RCV_FULL = 1 << 2,
	DETECT_SIG_BACKOFF = 1 << 3,
	DETECT_SIG_ALL = 0xf,
};

struct detect {
	uint64_t threshold_us;
	uint64_t rcvbuf_eff;
	int app_sent_counts;     /* non-blocking sends report at once: their count is progress */
	uint64_t start_us;       /* first sample: times are reported from here */

	int primed;
	uint64_t prev[4];        /* app_sent, app_recv, bytes_acked, bytes_received */
	uint64_t last_progress_us;

	int stalled;
	uint64_t stall_total_us, stall_longest_us;
	unsigned stalls;

	int armed;               /* stalls count from detect_arm() on (detect_init arms) */

	/* Probe accounting, cumulative (see above), and its value at the last progress. */
	int have_probe_prev;
	uint8_t prev_backoff, prev_probes_out;
	uint32_t prev_segs_in, prev_data_segs_in;
	uint64_t psent, panswered, segs_in, data_segs_in;
	uint64_t at_progress[4];   /* psent, panswered, segs_in, data_segs_in */
	int segs_known;            /* tcpi_segs_in present */

	int deadlock;
	int resolved;              /* bytes moved again after the detection */
	unsigned detections;       /* deadlocks detected (a resolved one may come back) */
	uint64_t onset_us, detected_us;
	unsigned backoff;          /* at detection */
	/* Probes since the onset, at detection and kept current while it lasts. */
	unsigned probes_sent;
	int probes_received;       /* -1: unknown */
	unsigned signals;          /* of the last sample */
};

void detect_init(struct detect *d, uint64_t threshold_us, uint64_t rcvbuf_eff, uint64_t start_us);

/* Unarmed (detect_disarm), samples are progress: no stall begins. Arming at
 * t_us starts the stall clock there. */
void detect_disarm(struct detect *d);
void detect_arm(struct detect *d, uint64_t t_us);

/* The probes each way since the last progress; *received is -1 if unknown. */
void detect_probes(const struct detect *d, unsigned *sent, int *received);

/* Which deadlock signals sample s shows (DETECT_SIG_* bits). */
unsigned detect_signals(const struct tcpstat *s, uint64_t rcvbuf_eff);

/* Feeds one sample with the application's byte counters. Returns the event
 * this sample caused; DETECT_DEADLOCK is returned once. */
enum detect_event detect_feed(struct detect *d, const struct tcpstat *s, uint64_t app_sent,
                              uint64_t app_recv);

/* Closes an open stall at now_us (end of the run) so totals include it. */
void detect_finish(struct detect *d, uint64_t now_us);

#endif
