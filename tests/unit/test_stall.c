/* test_stall: stall classification (lib/stall.c) on hand-built sequences of analysed
 * segments: a mutual zero window with probes answered both ways is a probe deadlock, one
 * closed window with the other side's probes answered a receiver stall, unanswered
 * retransmissions a silent peer, an RST before the threshold an abort, a pause shorter than
 * the threshold nothing, and a capture ending inside a stall an open interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stall.h"

#define MS 1000000LL

/* A segment of direction dir at t_ms acknowledging ack, advertising win bytes. */
static struct tcpana_pkt seg(int dir, int64_t t_ms, uint32_t ack, uint32_t win, uint32_t analysed,
                             uint16_t thflags)
{
	struct tcpana_pkt p;

	memset(&p, 0, sizeof p);
	p.dir = dir;
	p.t_ns = t_ms * MS;
	p.ack_rel = ack;
	p.win_scaled = win;
	p.win_known = 1;
	p.analysed = analysed;
	p.aflags = analysed;
	p.thflags = thflags ? thflags : TH_ACK;
	return p;
}

static int feed(struct stall_tracker *st, struct tcpana_pkt p)
{
	return stall_feed(st, &p);
}

/* Both sides acknowledge data (progress) at t=0. */
static void start(struct stall_tracker *st)
{
	stall_init(st, 500 * MS);
	assert_int_equal(feed(st, seg(0, 0, 1000, 65535, 0, 0)), 0);
	assert_int_equal(feed(st, seg(1, 0, 1000, 65535, 0, 0)), 0);
}

static void test_probe_deadlock(void **state)
{
	struct stall_tracker st;

	(void)state;
	start(&st);
	feed(&st, seg(1, 50, 1000, 0, TA_BIT(TA_ZERO_WINDOW), 0));
	feed(&st, seg(0, 60, 1000, 0, TA_BIT(TA_ZERO_WINDOW), 0));
	feed(&st, seg(0, 300, 1000, 0, TA_BIT(TA_KEEP_ALIVE), 0)); /* A probes (Linux: zero-length) */
	feed(&st, seg(1, 301, 1000, 0, TA_BIT(TA_KEEP_ALIVE_ACK), 0));
	feed(&st, seg(1, 600, 1000, 0, TA_BIT(TA_ZERO_WINDOW_PROBE), 0)); /* B probes (lwIP: 1 byte) */
	feed(&st, seg(0, 601, 1000, 0, TA_BIT(TA_ZERO_WINDOW_PROBE_ACK), 0));
	/* The deadlock ends when new data is acknowledged. */
	assert_int_equal(feed(&st, seg(0, 1500, 2000, 65535, TA_BIT(TA_WINDOW_UPDATE), 0)), 1);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.v[0].cause, STALL_PROBE_DEADLOCK);
	assert_string_equal(stall_cause_name(st.v[0].cause), "probe_deadlock");
	assert_int_equal(st.v[0].start_ns, 0);
	assert_int_equal(st.v[0].end_ns, 1500 * MS);
	assert_int_equal(st.v[0].dir[0].probes, 1);
	assert_int_equal(st.v[0].dir[0].answered, 1);
	assert_int_equal(st.v[0].dir[1].probes, 1);
	assert_int_equal(st.v[0].dir[1].answered, 1);
	assert_false(st.v[0].open);
	stall_free(&st);
}

static void test_receiver_stall(void **state)
{
	struct stall_tracker st;

	(void)state;
	start(&st);
	/* B stops reading: its window closes; A's probes are answered, A's window stays open. */
	feed(&st, seg(1, 50, 1000, 0, TA_BIT(TA_ZERO_WINDOW), 0));
	feed(&st, seg(0, 300, 1000, 65535, TA_BIT(TA_KEEP_ALIVE), 0));
	feed(&st, seg(1, 301, 1000, 0, TA_BIT(TA_KEEP_ALIVE_ACK), 0));
	feed(&st, seg(0, 900, 1000, 65535, TA_BIT(TA_KEEP_ALIVE), 0));
	feed(&st, seg(1, 901, 1000, 0, TA_BIT(TA_KEEP_ALIVE_ACK), 0));
	assert_int_equal(feed(&st, seg(1, 1200, 1000, 65535, TA_BIT(TA_WINDOW_UPDATE), 0)), 0);
	assert_int_equal(feed(&st, seg(0, 1210, 1000, 65535, 0, 0)), 0);
	assert_int_equal(feed(&st, seg(1, 1220, 3000, 65535, 0, 0)), 1);
	assert_int_equal(st.v[0].cause, STALL_RECEIVER);
	assert_int_equal(st.v[0].dir[0].answered, 2);
	stall_free(&st);
}

static void test_silent_peer_open(void **state)
{
	struct stall_tracker st;

	(void)state;
	start(&st);
	/* A retransmits into silence until the capture ends. */
	feed(&st, seg(0, 200, 1000, 65535, TA_BIT(TA_RETRANSMISSION), 0));
	feed(&st, seg(0, 600, 1000, 65535, TA_BIT(TA_RETRANSMISSION), 0));
	feed(&st, seg(0, 1400, 1000, 65535, TA_BIT(TA_RETRANSMISSION), 0));
	assert_int_equal(st.n, 0);
	assert_int_equal(stall_finish(&st, 2000 * MS), 1);
	assert_int_equal(st.v[0].cause, STALL_SILENT_PEER);
	assert_true(st.v[0].open);
	assert_int_equal(st.v[0].dir[0].retrans, 3);
	assert_int_equal(st.v[0].dir[0].unanswered, 2);
	stall_free(&st);
}

static void test_abort_and_short_pause(void **state)
{
	struct stall_tracker st;

	(void)state;
	start(&st);
	/* A pause below the threshold is no stall. */
	assert_int_equal(feed(&st, seg(0, 400, 2000, 65535, 0, 0)), 0);
	assert_int_equal(st.n, 0);
	/* An RST 100 ms after the last progress: the RST is the event. */
	assert_int_equal(feed(&st, seg(1, 500, 2000, 0, 0, TH_RST)), 1);
	assert_int_equal(st.v[0].cause, STALL_ABORT);
	assert_true(st.v[0].ended_by_rst);
	/* Nothing is tracked after it. */
	assert_int_equal(feed(&st, seg(0, 5000, 3000, 65535, 0, 0)), 0);
	assert_int_equal(stall_finish(&st, 9000 * MS), 0);
	assert_int_equal(st.n, 1);
	stall_free(&st);
}

static void test_long_stall_keeps_its_cause_at_rst(void **state)
{
	struct stall_tracker st;

	(void)state;
	start(&st);
	feed(&st, seg(1, 50, 1000, 0, TA_BIT(TA_ZERO_WINDOW), 0));
	feed(&st, seg(0, 60, 1000, 0, TA_BIT(TA_ZERO_WINDOW), 0));
	feed(&st, seg(0, 300, 1000, 0, TA_BIT(TA_KEEP_ALIVE), 0));
	feed(&st, seg(1, 301, 1000, 0, TA_BIT(TA_KEEP_ALIVE_ACK), 0));
	feed(&st, seg(1, 400, 1000, 0, TA_BIT(TA_KEEP_ALIVE), 0));
	feed(&st, seg(0, 401, 1000, 0, TA_BIT(TA_KEEP_ALIVE_ACK), 0));
	/* The detector's RST after the threshold: the interval keeps its probe deadlock. */
	assert_int_equal(feed(&st, seg(0, 800, 1000, 0, 0, TH_RST | TH_ACK)), 1);
	assert_int_equal(st.v[0].cause, STALL_PROBE_DEADLOCK);
	assert_true(st.v[0].ended_by_rst);
	stall_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_deadlock),
		cmocka_unit_test(test_receiver_stall),
		cmocka_unit_test(test_silent_peer_open),
		cmocka_unit_test(test_abort_and_short_pause),
		cmocka_unit_test(test_long_stall_keeps_its_cause_at_rst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
