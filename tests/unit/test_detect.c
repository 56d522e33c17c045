/* test_detect: stall and probe-deadlock verdicts from synthetic sample series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detect.h"

#define MS 1000ull
#define ALL_HAVE (TCPSTAT_HAVE_BYTES | TCPSTAT_HAVE_NOTSENT | TCPSTAT_HAVE_SND_WND | TCPSTAT_HAVE_RCV_WND)

/* A connection stuck as in the draft: both windows 0, data waiting, backing off. */
static struct tcpstat stuck(uint64_t t_ms, uint8_t backoff)
{
	struct tcpstat s;

	memset(&s, 0, sizeof s);
	s.t_us = t_ms * MS;
	s.have = ALL_HAVE;
	s.bytes_acked = 90113;
	s.bytes_received = 24576;
	s.notsent_bytes = 32768;
	s.outq = 32768;
	s.inq = 24576;
	s.snd_wnd = 0;
	s.rcv_wnd = 0;
	s.backoff = backoff;
	return s;
}

static void test_deadlock_detected_after_threshold(void **st)
{
	struct detect d;
	struct tcpstat s;
	int i;

	(void)st;
	detect_init(&d, 500 * MS, 32768, 0);
	/* Progress until 100 ms. */
	for (i = 0; i <= 2; i++) {
		s = stuck((uint64_t)i * 50, 0);
		s.bytes_acked = 1000u * (unsigned)i + 1;
		assert_int_equal(detect_feed(&d, &s, 0, 0), DETECT_NONE);
	}
	/* Frozen from 100 ms; backoff rises at 300 ms. Before 600 ms: nothing. */
	for (i = 3; i < 12; i++) {
		s = stuck((uint64_t)i * 50, i >= 6);
		s.bytes_acked = 2001;
		assert_int_equal(detect_feed(&d, &s, 0, 0), DETECT_NONE);
	}
	s = stuck(600, 1);
	s.bytes_acked = 2001;
	assert_int_equal(detect_feed(&d, &s, 0, 0), DETECT_DEADLOCK);
	assert_int_equal(d.onset_us, 100 * MS);
	assert_int_equal(d.detected_us, 600 * MS);
	assert_int_equal(d.backoff, 1);
	/* Reported once. */
	s.t_us += 50 * MS;
	assert_int_equal(detect_feed(&d, &s, 0, 0), DETECT_NONE);
	assert_false(d.resolved);
	detect_finish(&d, 700 * MS);
	assert_int_equal(d.stall_total_us, 600 * MS);
}

static void test_progress_after_verdict_resolves_it(void **st)
{
	struct detect d;
	struct tcpstat s;
	int i;

	(void)st;
	detect_init(&d, 500 * MS, 32768, 0);
	for (i = 0; i <= 12; i++) {
		s = stuck((uint64_t)i * 50, 1);
		detect_feed(&d, &s, 0, 0);
	}
	assert_true(d.deadlock);
	assert_false(d.resolved);
	s = stuck(700, 1);
	s.bytes_received += 100; /* a reader woke up */
	assert_int_equal(detect_feed(&d, &s, 0, 100), DETECT_STALL_END);
	assert_true(d.resolved);
}

static void test_one_missing_signal_is_only_a_stall(void **st)
{
	static const char *const names[] = { "peer window open", "nothing unsent", "receive not full",
	                                     "no backoff" };

	(void)st;
	for (int which = 0; which < 4; which++) {
		struct detect d;
		struct tcpstat s;
		int got_deadlock = 0, got_stall = 0;

		detect_init(&d, 500 * MS, 32768, 0);
		for (int i = 0; i < 40; i++) {
			enum detect_event ev;

			s = stuck((uint64_t)i * 50, 2);
			switch (which) {
			case 0: s.snd_wnd = 4096; break;
			case 1: s.notsent_bytes = 0; s.outq = 0; break;
			case 2: s.rcv_wnd = 8192; break;
			case 3: s.backoff = 0; s.probes = 0; break;
			}
			ev = detect_feed(&d, &s, 0, 0);
			got_deadlock |= ev == DETECT_DEADLOCK;
			got_stall |= ev == DETECT_STALL_BEGIN;
		}
		if (got_deadlock)
			fail_msg("deadlock reported with %s", names[which]);
		assert_true(got_stall);
		assert_int_equal(d.stalls, 1);
	}
}

static void test_app_progress_breaks_stall(void **st)
{
	struct detect d;
	struct tcpstat s;
	enum detect_event ev;
	uint64_t recvd = 0;

	(void)st;
	detect_init(&d, 500 * MS, 32768, 0);
	/* Kernel counters frozen, but the application keeps reading: no stall. */
	for (int i = 0; i < 40; i++) {
		s = stuck((uint64_t)i * 50, 3);
		recvd += 100;
		ev = detect_feed(&d, &s, 0, recvd);
		assert_int_equal(ev, DETECT_NONE);
	}
	assert_int_equal(d.stalls, 0);
	assert_false(d.deadlock);
}

static void test_app_sends_count_only_when_nonblocking(void **st)
{
	struct detect d;
	struct tcpstat s;
	uint64_t sent = 0;
	int stalled = 0;

	(void)st;
	/* Blocking sends: a send count that moves (a late return) is not progress. */
	detect_init(&d, 500 * MS, 32768, 0);
	for (int i = 0; i < 20; i++) {
		s = stuck((uint64_t)i * 50, 1);
		sent += 1000;
		stalled |= detect_feed(&d, &s, sent, 0) == DETECT_DEADLOCK;
	}
	assert_true(stalled);
	/* Non-blocking sends report at once: the same count is progress. */
	detect_init(&d, 500 * MS, 32768, 0);
	d.app_sent_counts = 1;
	sent = 0;
	for (int i = 0; i < 20; i++) {
		s = stuck((uint64_t)i * 50, 1);
		sent += 1000;
		assert_int_equal(detect_feed(&d, &s, sent, 0), DETECT_NONE);
	}
}

static void test_stall_ends_on_progress(void **st)
{
	struct detect d;
	struct tcpstat s;

	(void)st;
	detect_init(&d, 200 * MS, 0, 0);
	s = stuck(0, 0);
	s.rcv_wnd = 100; /* no deadlock */
	detect_feed(&d, &s, 0, 0);
	s.t_us = 300 * MS;
	assert_int_equal(detect_feed(&d, &s, 0, 0), DETECT_STALL_BEGIN);
	s.t_us = 900 * MS;
	s.bytes_received++;
	assert_int_equal(detect_feed(&d, &s, 0, 0), DETECT_STALL_END);
	assert_int_equal(d.stall_total_us, 900 * MS);
	assert_int_equal(d.stall_longest_us, 900 * MS);
}

static void test_old_kernel_fallbacks(void **st)
{
	struct tcpstat s = stuck(0, 1);

	(void)st;
	/* Without tcpi_rcv_wnd: SIOCINQ against half the effective rcvbuf. */
	s.have &= ~(unsigned)TCPSTAT_HAVE_RCV_WND;
	s.rcv_wnd = 12345;
	s.inq = 16384;
	assert_int_equal(detect_signals(&s, 32768), DETECT_SIG_ALL);
	s.inq = 1000;
	assert_int_equal(detect_signals(&s, 32768) & DETECT_SIG_RCV_FULL, 0);
	/* Without tcpi_snd_wnd the peer's window is unknown: never a deadlock. */
	s.inq = 16384;
	s.have &= ~(unsigned)TCPSTAT_HAVE_SND_WND;
	assert_int_equal(detect_signals(&s, 32768) & DETECT_SIG_PEER_WND0, 0);
}

static void test_unarmed_counts_no_stall(void **st)
{
	struct detect d;
	struct tcpstat s;

	(void)st;
	/* A client filling its buffer for 900 ms before its first byte: frozen
	 * counters, but nothing offered yet, so no stall. Armed at 900 ms, the
	 * stall clock starts there. */
	detect_init(&d, 500 * MS, 32768, 0);
	detect_disarm(&d);
	for (int i = 0; i <= 18; i++) {
		s = stuck((uint64_t)i * 50, 0);
		s.rcv_wnd = 4096;
		assert_int_equal(detect_feed(&d, &s, 0, 0), DETECT_NONE);
	}
	assert_int_equal(d.stalls, 0);
	detect_arm(&d, 900 * MS);
	for (int i = 19; i < 28; i++) {
		s = stuck((uint64_t)i * 50, 0);
		s.rcv_wnd = 4096;
		assert_int_equal(detect_feed(&d, &s, 0, 0), DETECT_NONE);
	}
	s.t_us = 1400 * MS;
	assert_int_equal(detect_feed(&d, &s, 0, 0), DETECT_STALL_BEGIN);
	detect_finish(&d, 1500 * MS);
	assert_int_equal(d.stall_total_us, 600 * MS);
}

static void test_probes_counted_each_way(void **st)
{
	struct detect d;
	struct tcpstat s;
	unsigned sent;
	int received;

	(void)st;
	detect_init(&d, 500 * MS, 32768, 0);
	/* The capture of a loopback deadlock: our probes raise the backoff
	 * (1, 2, 3); the first and third are answered (tcpi_probes falls back to
	 * 0), the second is not; the peer probes three times. segs_in counts the
	 * two answers and the three probes. */
	static const struct {
		unsigned t, backoff, probes_out, segs_in;
	} v[] = {
		{ 0, 0, 0, 12 },  /* last progress */
		{ 50, 0, 0, 12 }, { 250, 0, 0, 13 },  /* peer probe */
		{ 350, 1, 0, 14 },                    /* our probe, answered */
		{ 700, 1, 0, 15 },                    /* peer probe */
		{ 750, 2, 1, 15 },                    /* our probe, unanswered */
		{ 1550, 2, 1, 16 },                   /* peer probe */
		{ 1650, 3, 0, 17 },                   /* our probe, answered */
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		s = stuck(v[i].t, (uint8_t)v[i].backoff);
		s.have |= TCPSTAT_HAVE_DATA_SEGS;
		s.probes = (uint8_t)v[i].probes_out;
		s.segs_in = v[i].segs_in;
		s.data_segs_in = 3;
		if (i == 0)
			s.bytes_acked--; /* progress at 0 */
		detect_feed(&d, &s, 0, 0);
	}
	detect_probes(&d, &sent, &received);
	assert_int_equal(sent, 3);
	assert_int_equal(received, 3);
	assert_true(d.deadlock);
	assert_int_equal(d.probes_sent, 3);
	assert_int_equal(d.probes_received, 3);

	/* lwIP's probes carry one byte: counted from data_segs_in; its pure
	 * segments only answer ours, even the one past our window after its
	 * probe, which our stack does not take as an answer (at 1.85 s). */
	detect_init(&d, 500 * MS, 32768, 0);
	for (unsigned i = 0; i < 40; i++) {
		s = stuck(i * 50, (uint8_t)(i >= 4));
		s.have |= TCPSTAT_HAVE_DATA_SEGS;
		s.data_segs_in = 3 + (i >= 30) + (i >= 36);
		s.segs_in = 20 + (i >= 5) + (i >= 37) + (s.data_segs_in - 3);
		detect_feed(&d, &s, 0, 0);
	}
	detect_probes(&d, &sent, &received);
	assert_int_equal(sent, 1);
	assert_int_equal(received, 2);

	/* Without tcpi_segs_in the peer's probes are unknown. */
	detect_init(&d, 500 * MS, 32768, 0);
	for (unsigned i = 0; i < 20; i++) {
		s = stuck(i * 50, 1);
		s.have &= ~(unsigned)TCPSTAT_HAVE_BYTES;
		detect_feed(&d, &s, 0, (i == 0));
	}
	detect_probes(&d, &sent, &received);
	assert_int_equal(received, -1);
}

static void test_resolved_deadlock_detected_anew(void **st)
{
	struct detect d;
	struct tcpstat s;
	int n = 0;

	(void)st;
	detect_init(&d, 500 * MS, 32768, 0);
	for (int i = 0; i < 60; i++) {
		s = stuck((uint64_t)i * 50, 1);
		if (i >= 20)
			s.bytes_received += 100; /* bytes moved once at 1 s: resolved */
		n += detect_feed(&d, &s, 0, 0) == DETECT_DEADLOCK;
	}
	assert_int_equal(n, 2);
	assert_int_equal(d.detections, 2);
	assert_false(d.resolved);
	assert_int_equal(d.onset_us, 1000 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadlock_detected_after_threshold),
		cmocka_unit_test(test_progress_after_verdict_resolves_it),
		cmocka_unit_test(test_one_missing_signal_is_only_a_stall),
		cmocka_unit_test(test_app_progress_breaks_stall),
		cmocka_unit_test(test_app_sends_count_only_when_nonblocking),
		cmocka_unit_test(test_stall_ends_on_progress),
		cmocka_unit_test(test_old_kernel_fallbacks),
		cmocka_unit_test(test_unarmed_counts_no_stall),
		cmocka_unit_test(test_probes_counted_each_way),
		cmocka_unit_test(test_resolved_deadlock_detected_anew),
	};

	return cmocka_run_group_tests_name("detect", tests, NULL, NULL);
}
