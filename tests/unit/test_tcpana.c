/* test_tcpana: Wireshark's tcp.analysis rules (lib/tcpana.c) on hand-built
 * segment sequences (struct tcpseg fed to tcpana_feed): the analysis flags of
 * every packet, exactly (a missing flag and an extra one both fail). Each
 * sequence starts with a handshake (A = 198.18.0.1:40000 the client, B =
 * 198.18.0.2:7; no window scaling; first RTT 11 ms) unless it says otherwise.
 * The expected flags are Wireshark 4.0.17's for the same segments (the
 * golden captures, tests/golden, hold the cases checked against tshark). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "tcpana.h"

enum { A, B };                 /* direction: A->B, B->A */
#define S TH_SYN
#define SA (TH_SYN | TH_ACK)
#define K TH_ACK
#define PK (TH_PUSH | TH_ACK)
#define FK (TH_FIN | TH_ACK)

#define ZW TA_BIT(TA_ZERO_WINDOW)
#define ZWP TA_BIT(TA_ZERO_WINDOW_PROBE)
#define ZWPA TA_BIT(TA_ZERO_WINDOW_PROBE_ACK)
#define LOST TA_BIT(TA_LOST_SEGMENT)
#define KA TA_BIT(TA_KEEP_ALIVE)
#define WU TA_BIT(TA_WINDOW_UPDATE)
#define WF TA_BIT(TA_WINDOW_FULL)
#define KAA TA_BIT(TA_KEEP_ALIVE_ACK)
#define DUP TA_BIT(TA_DUPLICATE_ACK)
#define UNSEEN TA_BIT(TA_ACK_LOST_SEGMENT)
#define RETR TA_BIT(TA_RETRANSMISSION)
#define FAST (TA_BIT(TA_FAST_RETRANSMISSION) | RETR)
#define SPUR (TA_BIT(TA_SPURIOUS_RETRANSMISSION) | RETR)
#define OOO TA_BIT(TA_OUT_OF_ORDER)
#define REUSED TA_BIT(TA_REUSED_PORTS)

/* One segment and the analysis flags Wireshark shows for it. */
struct row {
	double t_ms;
	int dir;
	uint16_t flags;
	uint32_t seq, ack, win, len;
	uint32_t want;
};

/* The handshake: A's SYN, B's SYN+ACK, A's ACK (ISNs 1000 and 5000). */
#define HANDSHAKE(bwin)                                   \
	{ 0, A, S, 1000, 0, 65535, 0, 0 },                \
	{ 10, B, SA, 5000, 1001, bwin, 0, 0 },            \
	{ 11, A, K, 1001, 5001, 65535, 0, 0 }

#define END { -1, 0, 0, 0, 0, 0, 0, 0 }

static struct tcpseg seg_of(const struct row *r, uint64_t num)
{
	static const uint8_t a[4] = { 198, 18, 0, 1 }, b[4] = { 198, 18, 0, 2 };
	struct tcpseg s;

	memset(&s, 0, sizeof s);
	s.num = num;
	s.t_ns = 1700000000000000000LL + (int64_t)(r->t_ms * 1e6);
	s.family = AF_INET;
	memcpy(s.src, r->dir == A ? a : b, 4);
	memcpy(s.dst, r->dir == A ? b : a, 4);
	s.sport = r->dir == A ? 40000 : 7;
	s.dport = r->dir == A ? 7 : 40000;
	s.seq = r->seq;
	s.ack = r->ack;
	s.flags = r->flags;
	s.window = r->win;
	s.seglen = r->len;
	s.wscale = -1;
	s.opts_captured = 1;
	return s;
}

/* Feeds the rows; each packet's analysis flags must be its row's. Returns
 * the number of connections seen. */
static size_t run(const struct row *rows)
{
	struct tcpana *ta = tcpana_new();
	size_t n;

	assert_non_null(ta);
	for (uint64_t i = 0; rows[i].t_ms >= 0; i++) {
		struct tcpseg s = seg_of(&rows[i], i + 1);
		struct tcpana_pkt p;

		assert_int_equal(tcpana_feed(ta, &s, &p), 0);
		if ((p.aflags & TA_ANALYSIS_FLAGS) != rows[i].want)
			fail_msg("frame %llu: flags %#x, want %#x", (unsigned long long)(i + 1),
			         p.aflags & TA_ANALYSIS_FLAGS, rows[i].want);
	}
	n = tcpana_nconns(ta);
	tcpana_free(ta, NULL);
	return n;
}

/* B closes its window: zero window; A's 1-byte probe at the next seq: zero
 * window probe (twice: a probe does not move A's nextseq); B's answer, still
 * closed: zero window and zero window probe ACK; B opens: window update. */
static void test_zero_window(void **st)
{
	static const struct row rows[] = {
		HANDSHAKE(65535),
		{ 20, A, PK, 1001, 5001, 65535, 100, 0 },
		{ 30, B, K, 5001, 1101, 0, 0, ZW },
		{ 230, A, K, 1101, 5001, 65535, 1, ZWP },
		{ 231, B, K, 5001, 1101, 0, 0, ZW | ZWPA },
		{ 630, A, K, 1101, 5001, 65535, 1, ZWP },
		{ 631, B, K, 5001, 1101, 0, 0, ZW | ZWPA },
		{ 900, B, K, 5001, 1101, 65535, 0, WU },
		{ 901, A, PK, 1101, 5001, 65535, 100, 0 },
		END,
	};

	(void)st;
	assert_int_equal(run(rows), 1);
}

/* A zero-length segment one before the next seq: keep-alive; B's ACK of it
 * with the same window: keep-alive ACK (not a duplicate ACK). */
static void test_keep_alive(void **st)
{
	static const struct row rows[] = {
		HANDSHAKE(65535),
		{ 20, A, PK, 1001, 5001, 65535, 100, 0 },
		{ 30, B, K, 5001, 1101, 65535, 0, 0 },
		{ 7000, A, K, 1100, 5001, 65535, 0, KA },
		{ 7001, B, K, 5001, 1101, 65535, 0, KAA },
		{ 14000, A, K, 1100, 5001, 65535, 1, KA },
		{ 14001, B, K, 5001, 1101, 65535, 0, KAA },
		END,
	};

	(void)st;
	assert_int_equal(run(rows), 1);
}

/* B's window is 200 bytes (no scaling; B has sent only its SYN+ACK, so the
 * window is taken unshifted): A's 200 bytes fill it. */
static void test_window_full(void **st)
{
	static const struct row rows[] = {
		HANDSHAKE(200),
		{ 20, A, PK, 1001, 5001, 65535, 200, WF },
		{ 30, B, K, 5001, 1201, 200, 0, 0 },
		{ 40, A, PK, 1201, 5001, 65535, 100, 0 },
		END,
	};

	(void)st;
	assert_int_equal(run(rows), 1);
}

/* A segment is lost: the next one is "previous segment not captured"; B's
 * repeated ACKs of the hole are duplicate ACKs; A's resend 1 ms after the
 * second: fast retransmission. */
static void test_lost_dup_fast(void **st)
{
	static const struct row rows[] = {
		HANDSHAKE(65535),
		{ 20, A, PK, 1001, 5001, 65535, 100, 0 },
		{ 21, A, PK, 1201, 5001, 65535, 100, LOST },
		{ 30, B, K, 5001, 1101, 65535, 0, 0 },
		{ 31, B, K, 5001, 1101, 65535, 0, DUP },
		{ 32, B, K, 5001, 1101, 65535, 0, DUP },
		{ 33, A, PK, 1101, 5001, 65535, 100, FAST },
		{ 40, B, K, 5001, 1301, 65535, 0, 0 },
		END,
	};

	(void)st;
	assert_int_equal(run(rows), 1);
}

/* A resends unacknowledged data long after (no duplicate ACKs, past the
 * first RTT): retransmission; then data B already acknowledged: spurious. */
static void test_retransmissions(void **st)
{
	static const struct row rows[] = {
		HANDSHAKE(65535),
		{ 20, A, PK, 1001, 5001, 65535, 100, 0 },
		{ 500, A, PK, 1001, 5001, 65535, 100, RETR },
		{ 510, B, K, 5001, 1101, 65535, 0, 0 },
		{ 900, A, PK, 1001, 5001, 65535, 100, SPUR },
		END,
	};

	(void)st;
	assert_int_equal(run(rows), 1);
}

/* A segment that fills a hole 1 ms after the highest one (within the first
 * RTT of 11 ms): out-of-order, not a retransmission. */
static void test_out_of_order(void **st)
{
	static const struct row rows[] = {
		HANDSHAKE(65535),
		{ 20, A, PK, 1001, 5001, 65535, 100, 0 },
		{ 21, A, PK, 1201, 5001, 65535, 100, LOST },
		{ 22, A, PK, 1101, 5001, 65535, 100, OOO },
		END,
	};

	(void)st;
	assert_int_equal(run(rows), 1);
}

/* B acknowledges data A was not seen sending: ACKed unseen segment, once per
 * hole (B's same ACK again is a duplicate ACK, not a second report). */
static void test_acked_unseen(void **st)
{
	static const struct row rows[] = {
		HANDSHAKE(65535),
		{ 20, A, PK, 1001, 5001, 65535, 100, 0 },
		{ 30, B, K, 5001, 1201, 65535, 0, UNSEEN },
		{ 31, B, K, 5001, 1201, 65535, 0, DUP },
		END,
	};

	(void)st;
	assert_int_equal(run(rows), 1);
}

/* After the connection closed, A's SYN with another ISN on the same ports:
 * reused ports, a new connection. The same ISN again (a copy) is not. */
static void test_reused_ports(void **st)
{
	static const struct row rows[] = {
		HANDSHAKE(65535),
		{ 20, A, FK, 1001, 5001, 65535, 0, 0 },
		{ 30, B, FK, 5001, 1002, 65535, 0, 0 },
		{ 31, A, K, 1002, 5002, 65535, 0, 0 },
		{ 2000, A, S, 90000, 0, 65535, 0, REUSED },
		{ 2010, B, SA, 70000, 90001, 65535, 0, 0 },
		{ 2011, A, K, 90001, 70001, 65535, 0, 0 },
		END,
	};
	static const struct row copy[] = {
		{ 0, A, S, 1000, 0, 65535, 0, 0 },
		{ 1000, A, S, 1000, 0, 65535, 0, RETR },
		END,
	};

	(void)st;
	assert_int_equal(run(rows), 2);
	assert_int_equal(run(copy), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_window),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_window_full),
		cmocka_unit_test(test_lost_dup_fast),
		cmocka_unit_test(test_retransmissions),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_acked_unseen),
		cmocka_unit_test(test_reused_ports),
	};

	return cmocka_run_group_tests_name("tcpana", tests, NULL, NULL);
}
