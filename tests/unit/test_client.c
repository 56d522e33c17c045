/* test_client: the client's final outcome (client_decide: outcome, ended_by,
 * verified, detail for each verdict, failure and byte count) and the outcome
 * of a failed send or recv (client_errno_outcome). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client_int.h"

#define EXPECTED 1000u

/* A run that echoed got of EXPECTED bytes, with detail as a failure left it. */
static struct client_result run_of(uint64_t got, const char *detail)
{
	struct client_result r;

	memset(&r, 0, sizeof r);
	r.expected = EXPECTED;
	r.bytes_sent = EXPECTED;
	r.bytes_received = got;
	r.elapsed_s = 2.5;
	r.mismatch_offset = -1;
	snprintf(r.detail, sizeof r.detail, "%s", detail);
	return r;
}

/* A detected (not resolved) probe deadlock: onset 1 s, detected 1.5 s. */
static void deadlocked(struct client_result *r)
{
	r->det.deadlock = 1;
	r->det.start_us = 10000000;
	r->det.onset_us = 11000000;
	r->det.detected_us = 11500000;
}

static const struct client_fail none = { 0, 0, 0 };
static const struct client_fail corrupt = { 1, CLIENT_CORRUPT, 0 };
static const struct client_fail reset = { 1, CLIENT_RESET, ECONNRESET };
static const struct client_fail timedout = { 1, CLIENT_RESET, ETIMEDOUT };
static const struct client_fail error = { 1, CLIENT_ERROR, EIO };
static const struct client_fail peer_closed = { 1, CLIENT_RESET, 0 };

static void expect(const struct client_result *r, enum client_outcome o, enum client_end e)
{
	assert_string_equal(client_outcome_name(r->outcome), client_outcome_name(o));
	assert_string_equal(client_end_name(r->ended_by), client_end_name(e));
	assert_int_equal(r->verified, o == CLIENT_COMPLETED);
}

static void test_every_byte_completes_whatever_the_verdict(void **st)
{
	static const enum sampler_verdict vs[] = { SAMPLER_RUNNING, SAMPLER_DEADLOCK, SAMPLER_ALARM,
	                                           SAMPLER_INTERRUPTED };
	const struct client_fail *fs[] = { &none, &reset, &timedout, &error };

	(void)st;
	for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
		for (size_t j = 0; j < sizeof fs / sizeof fs[0]; j++) {
			struct client_result r = run_of(EXPECTED, "a failure's message");

			client_decide(&r, vs[i], 20000000, fs[j]);
			expect(&r, CLIENT_COMPLETED, CLIENT_END_COMPLETION);
			assert_string_equal(r.detail, "");
		}
}

static void test_completed_deadlock_is_resolved(void **st)
{
	struct client_result r = run_of(EXPECTED, "");

	(void)st;
	deadlocked(&r);
	client_decide(&r, SAMPLER_DEADLOCK, 0, &none);
	expect(&r, CLIENT_COMPLETED, CLIENT_END_COMPLETION);
	assert_int_equal(r.det.resolved, 1);
}

static void test_corrupt_outranks_everything(void **st)
{
	struct client_result r = run_of(EXPECTED, "echoed byte 7 differs from what was sent");
	struct client_result s = run_of(7, "echoed byte 7 differs from what was sent");

	(void)st;
	deadlocked(&r);
	client_decide(&r, SAMPLER_INTERRUPTED, 0, &corrupt);
	expect(&r, CLIENT_CORRUPT, CLIENT_END_VERIFICATION);
	assert_string_equal(r.detail, "echoed byte 7 differs from what was sent");
	client_decide(&s, SAMPLER_ALARM, 0, &corrupt);
	expect(&s, CLIENT_CORRUPT, CLIENT_END_VERIFICATION);
}

static void test_interrupted(void **st)
{
	struct client_result r = run_of(400, "");
	struct client_result d = run_of(400, "");

	(void)st;
	client_decide(&r, SAMPLER_INTERRUPTED, 0, &reset);
	expect(&r, CLIENT_INTERRUPTED, CLIENT_END_INTERRUPT);
	assert_string_equal(r.detail, "interrupted after 2.500 s with 400 of 1000 bytes echoed");
	deadlocked(&d);
	client_decide(&d, SAMPLER_INTERRUPTED, 0, &none);
	expect(&d, CLIENT_INTERRUPTED, CLIENT_END_INTERRUPT);
	assert_string_equal(d.detail, "interrupted after 2.500 s with 400 of 1000 bytes echoed; "
	                              "probe deadlock: no progress since 1.000 s, detected at 1.500 s");
}

static void test_deadlock_ended_by_the_verdict(void **st)
{
	struct client_result r = run_of(400, "send after 600 bytes: Connection reset by peer");
	struct client_result a = run_of(400, "");

	(void)st;
	deadlocked(&r);
	client_decide(&r, SAMPLER_DEADLOCK, 0, &reset);
	expect(&r, CLIENT_DEADLOCK, CLIENT_END_DETECTOR);
	/* The verdict aborted the connection: what failed after is no cause. */
	assert_string_equal(r.detail, "probe deadlock: no progress since 1.000 s, detected at 1.500 s");
	deadlocked(&a);
	client_decide(&a, SAMPLER_ALARM, 0, &none);
	expect(&a, CLIENT_DEADLOCK, CLIENT_END_ALARM);
}

/* A deadlock the detector saw but did not end (--no-abort): what ended it. */
static void test_deadlock_ended_by_a_failure(void **st)
{
	static const struct {
		const struct client_fail *f;
		enum client_end e;
	} cases[] = {
		{ &timedout, CLIENT_END_STACK }, { &reset, CLIENT_END_PEER },
		{ &peer_closed, CLIENT_END_PEER }, { &error, CLIENT_END_ERROR },
		{ &none, CLIENT_END_ERROR },
	};

	(void)st;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct client_result r = run_of(400, cases[i].f->failed ? "send: Connection timed out" : "");

		deadlocked(&r);
		client_decide(&r, SAMPLER_RUNNING, 0, cases[i].f);
		expect(&r, CLIENT_DEADLOCK, cases[i].e);
	}
	{
		struct client_result r = run_of(400, "send: Connection timed out");

		deadlocked(&r);
		client_decide(&r, SAMPLER_RUNNING, 0, &timedout);
		assert_string_equal(r.detail, "probe deadlock: no progress since 1.000 s, detected at 1.500 s; "
		                              "then send: Connection timed out");
	}
}

static void test_alarm_without_deadlock(void **st)
{
	struct client_result r = run_of(400, "");
	struct client_result s = run_of(400, "");

	(void)st;
	client_decide(&r, SAMPLER_ALARM, 20000000, &none);
	expect(&r, CLIENT_ALARM, CLIENT_END_ALARM);
	assert_string_equal(r.detail, "alarm expired after 20.000 s with 400 of 1000 bytes echoed");
	/* A resolved deadlock is no deadlock. */
	deadlocked(&s);
	s.det.resolved = 1;
	client_decide(&s, SAMPLER_ALARM, 1500000, &reset);
	expect(&s, CLIENT_ALARM, CLIENT_END_ALARM);
}

static void test_failure_without_verdict(void **st)
{
	static const struct {
		const struct client_fail *f;
		enum client_outcome o;
		enum client_end e;
	} cases[] = {
		{ &reset, CLIENT_RESET, CLIENT_END_PEER },
		{ &peer_closed, CLIENT_RESET, CLIENT_END_PEER },
		{ &timedout, CLIENT_RESET, CLIENT_END_STACK },
		{ &error, CLIENT_ERROR, CLIENT_END_ERROR },
	};

	(void)st;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct client_result r = run_of(400, "recv after 400 echoed bytes: something");

		client_decide(&r, SAMPLER_RUNNING, 0, cases[i].f);
		expect(&r, cases[i].o, cases[i].e);
		assert_string_equal(r.detail, "recv after 400 echoed bytes: something");
	}
}

static void test_short_run_without_cause(void **st)
{
	struct client_result r = run_of(400, "");

	(void)st;
	client_decide(&r, SAMPLER_RUNNING, 0, &none);
	expect(&r, CLIENT_ERROR, CLIENT_END_ERROR);
	assert_string_equal(r.detail, "run ended with 400 of 1000 bytes echoed");
}

static void test_errno_outcome(void **st)
{
	(void)st;
	assert_int_equal(client_errno_outcome(ECONNRESET), CLIENT_RESET);
	assert_int_equal(client_errno_outcome(EPIPE), CLIENT_RESET);
	assert_int_equal(client_errno_outcome(ECONNABORTED), CLIENT_RESET);
	assert_int_equal(client_errno_outcome(ETIMEDOUT), CLIENT_RESET);
	assert_int_equal(client_errno_outcome(EIO), CLIENT_ERROR);
	assert_int_equal(client_errno_outcome(0), CLIENT_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte_completes_whatever_the_verdict),
		cmocka_unit_test(test_completed_deadlock_is_resolved),
		cmocka_unit_test(test_corrupt_outranks_everything),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_deadlock_ended_by_the_verdict),
		cmocka_unit_test(test_deadlock_ended_by_a_failure),
		cmocka_unit_test(test_alarm_without_deadlock),
		cmocka_unit_test(test_failure_without_verdict),
		cmocka_unit_test(test_short_run_without_cause),
		cmocka_unit_test(test_errno_outcome),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
