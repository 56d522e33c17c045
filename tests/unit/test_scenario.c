/* test_scenario: the scenario loader's checks: the same value twice in a
 * matrix list, the cell-count bound, the --only filter check and join, the
 * matrix's expansion (order, ids, repeat), the per-target rules, the
 * expectations (typed, checked against cause sets), the messages of issue
 * 17, and
 * (without ASan) every allocation of a load failing in turn: an error, never
 * an abort, nothing leaked. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "scenario.h"

/* --- a scenario from a string --- */

static char g_path[64];
static int g_fd = -1;

static struct scenario *load_text(const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text), off = 0;

	if (g_fd >= 0)
		close(g_fd);
	g_fd = memfd_create("scenario", MFD_CLOEXEC);
	assert_true(g_fd >= 0);
	while (off < len) {
		ssize_t n = write(g_fd, text + off, len - off);

		assert_true(n > 0);
		off += (size_t)n;
	}
	snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
	err[0] = 0;
	return scenario_load(g_path, err, errlen);
}

static struct scenario *load_ok(const char *text)
{
	char err[256];
	struct scenario *sc = load_text(text, err, sizeof err);

	if (!sc)
		fail_msg("load failed: %s", err);
	if (sc->nerrors)
		fail_msg("unexpected error %u:%u: %s", sc->errors[0].line, sc->errors[0].column, sc->errors[0].msg);
	return sc;
}

/* Loads text, which must give an error at line:col containing want. */
static void load_error(const char *text, unsigned line, unsigned col, const char *want)
{
	char err[256];
	struct scenario *sc = load_text(text, err, sizeof err);

	if (!sc)
		fail_msg("load failed: %s", err);
	for (size_t i = 0; i < sc->nerrors; i++)
		if (sc->errors[i].line == line && sc->errors[i].column == col && strstr(sc->errors[i].msg, want)) {
			scenario_free(sc);
			return;
		}
	if (!sc->nerrors)
		fail_msg("accepted; wanted %u:%u: %s", line, col, want);
	fail_msg("wanted %u:%u: %s; got %u:%u: %s", line, col, want, sc->errors[0].line, sc->errors[0].column,
	         sc->errors[0].msg);
}

/* --- the same value twice in a matrix list --- */

static void test_duplicate_values(void **st)
{
	struct scenario *sc;

	(void)st;
	load_error("name: d\nmatrix:\n  client.sndbuf: [64K, 65536]\n", 3, 24,
	           "matrix: client.sndbuf: value 65536 at 3:24 is the same as 64K at 3:19");
	load_error("name: d\nmatrix:\n  client.mode: [blocking, split, blocking]\n", 3, 34,
	           "value blocking at 3:34 is the same as blocking at 3:17");
	load_error("name: d\nclient: { mode: split }\nmatrix:\n  client.read_delay: [1s, 1000ms]\n", 4, 27,
	           "value 1000ms at 4:27 is the same as 1s at 4:23");
	load_error("name: d\nmatrix:\n  client.nodelay: [yes, false, true]\n", 3, 32,
	           "value true at 3:32 is the same as yes at 3:20");
	load_error("name: d\nmatrix:\n  client.keepalive: [\"5,1,3\", \"5s,1s,3\"]\n", 3, 31,
	           "value 5s,1s,3 at 3:31 is the same as 5,1,3 at 3:22");
	load_error("name: d\ntarget: { kind: netns }\nmatrix:\n  target.rate: [8mbit, 1M, 1000000]\n", 4, 28,
	           "value 1000000 at 4:28 is the same as 8mbit at 4:17");
	/* Three times: each later one names the first. */
	sc = load_text("name: d\nmatrix:\n  client.payload: [1K, 1024, 1KiB]\n", (char[64]){ 0 }, 64);
	assert_non_null(sc);
	assert_int_equal(sc->nerrors, 2);
	assert_non_null(strstr(sc->errors[0].msg, "is the same as 1K at 3:20"));
	assert_non_null(strstr(sc->errors[1].msg, "is the same as 1K at 3:20"));
	scenario_free(sc);
	/* Values that only look alike are distinct. */
	sc = load_ok("name: d\nmatrix:\n  client.payload: [1K, 1000, 1M]\n  client.mode: [blocking, nonblocking]\n");
	assert_int_equal(sc->ncells, 6);
	scenario_free(sc);
}

/* --- the cell-count bound --- */

/* A matrix of keys[i] with counts[i] distinct values each (2001, 2002 ...). */
static char *matrix_text(unsigned repeat, const char *const *keys, const unsigned *counts, size_t n)
{
	size_t cap = 64, len = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	len += (size_t)snprintf(s, cap, "name: big\nrepeat: %u\nmatrix:\n", repeat);
	for (size_t k = 0; k < n; k++) {
		for (unsigned v = 0; v <= counts[k]; v++) {
			char piece[96];
			int l = v == 0 ? snprintf(piece, sizeof piece, "  %s: [", keys[k])
			               : snprintf(piece, sizeof piece, "%s%u%s", v > 1 ? ", " : "", 2000 + v,
			                          v == counts[k] ? "]\n" : "");

			if (len + (size_t)l + 1 > cap) {
				cap = (cap + (size_t)l + 1) * 2;
				s = realloc(s, cap);
				assert_non_null(s);
			}
			memcpy(s + len, piece, (size_t)l + 1);
			len += (size_t)l;
		}
	}
	return s;
}

static void test_cell_bound(void **st)
{
	static const char *const keys[] = { "client.payload", "client.sndbuf", "client.rcvbuf", "client.chunk",
		                            "server.app_buf", "server.out_cap", "server.rate", "server.sndbuf",
		                            "server.rcvbuf", "client.times" };
	static const unsigned c7[] = { 5, 2000, 1000 }, c5[] = { 1000, 100 }, c3[] = { 500, 100 },
	                      c20[] = { 100, 100, 100, 100, 100, 100, 100, 100, 100, 100 };
	struct scenario *sc;
	char *t;

	(void)st;
	t = matrix_text(1, keys, c7, 3);
	load_error(t, 3, 1, "the matrix expands to 10000000 cells (5 x 2000 x 1000, repeat 1), more than 100000");
	free(t);
	t = matrix_text(3, keys, c3, 2);
	load_error(t, 3, 1, "the matrix expands to 150000 cells (500 x 100, repeat 3), more than 100000");
	free(t);
	t = matrix_text(1, keys, c20, 10);
	load_error(t, 3, 1, "the matrix expands to about 1e+20 cells (100 x 100 x 100 x 100 x 100 x 100 x 100 x "
	                    "100 x 100 x 100, repeat 1)");
	free(t);
	/* Exactly at the bound: accepted, every cell there. */
	t = matrix_text(1, keys, c5, 2);
	sc = load_ok(t);
	assert_int_equal(sc->ncells, SCENARIO_MAX_CELLS);
	assert_string_equal(sc->cells[SCENARIO_MAX_CELLS - 1].id, "payload-3000_sndbuf-2100");
	scenario_free(sc);
	free(t);
}

/* --- --only --- */

static const char filt_text[] =
	"name: f\n"
	"client: { keepalive: \"5,1,3\" }\n"
	"matrix:\n"
	"  client.mode: [blocking, nonblocking, chunked, split]\n"
	"  client.payload: [60000, 120000, 300000]\n";

static void filter_refused(const struct scenario *sc, const char *filter, const char *want)
{
	char err[1024] = "";

	if (scenario_filter_check(sc, filter, err, sizeof err) >= 0)
		fail_msg("filter '%s' accepted, wanted \"%s\"", filter, want);
	if (!strstr(err, want))
		fail_msg("filter '%s': \"%s\" lacks \"%s\"", filter, err, want);
}

static void test_filter_check(void **st)
{
	struct scenario *sc = load_ok(filt_text);
	char err[1024];

	(void)st;
	filter_refused(sc, "client.mod=split", "--only 'client.mod=split': unknown key 'client.mod'; did you mean 'client.mode'?");
	filter_refused(sc, "client.mode=", "--only 'client.mode=': empty value; give client.mode=VALUE");
	filter_refused(sc, "client.sndbuf=abc", "--only 'client.sndbuf=abc': client.sndbuf: expected a size");
	filter_refused(sc, "client.mode=spilt",
	               "no cell has client.mode spilt; this scenario has blocking, nonblocking, chunked, split; "
	               "did you mean split?");
	filter_refused(sc, "client.mode=aware", "this scenario has blocking, nonblocking, chunked, split");
	filter_refused(sc, "client.payload=64K", "no cell has client.payload 64K; this scenario has 60000, 120000, "
	                                         "300000; did you mean 60000?");
	filter_refused(sc, "client.sndbuf=16K", "every cell of this scenario has 0 (it is not in the matrix)");
	filter_refused(sc, "client.mode=blocking,client.mode=split",
	               "client.mode is given twice with different values (blocking and split), so no cell matches");
	filter_refused(sc, "client.mode", "expected KEY=VALUE");
	filter_refused(sc, "client.mode=split,", "an empty term");
	filter_refused(sc, ",client.mode=split", "an empty term");
	filter_refused(sc, "", "empty filter");
	/* Commas mean AND; the same value twice (normalised) is fine. */
	assert_int_equal(scenario_filter_check(sc, "client.mode=split", err, sizeof err), 3);
	assert_int_equal(scenario_filter_check(sc, "client.mode=split,client.payload=300000", err, sizeof err), 1);
	assert_int_equal(scenario_filter_check(sc, "client.payload=120000,client.payload=117.1875K", err, sizeof err), 4);
	/* A value with commas of its own. */
	assert_int_equal(scenario_filter_check(sc, "client.keepalive=5s,1s,3,client.mode=chunked", err, sizeof err), 3);
	assert_int_equal(scenario_cell_matches(sc, &sc->cells[0], "client.keepalive=5,1,3", err, sizeof err), 1);
	assert_int_equal(scenario_cell_matches(sc, &sc->cells[0], "client.mode=split", err, sizeof err), 0);
	assert_int_equal(scenario_cell_matches(sc, &sc->cells[0], "client.mod=split", err, sizeof err), -1);
	scenario_free(sc);
}

static void test_filter_join(void **st)
{
	struct scenario *sc = load_ok(filt_text);
	char f[64] = "", err[1024];

	(void)st;
	assert_int_equal(scenario_filter_join(f, sizeof f, "client.mode=split"), 0);
	assert_string_equal(f, "client.mode=split");
	assert_int_equal(scenario_filter_join(f, sizeof f, "client.payload=60000"), 0);
	assert_string_equal(f, "client.mode=split,client.payload=60000");
	assert_int_equal(scenario_filter_check(sc, f, err, sizeof err), 1);
	/* A second --only that contradicts the first matches nothing, and says so. */
	assert_int_equal(scenario_filter_join(f, sizeof f, "client.mode=blocking"), 0);
	filter_refused(sc, f, "client.mode is given twice with different values (split and blocking)");
	/* Too long for dst: refused, dst unchanged. */
	assert_int_equal(scenario_filter_join(f, sizeof f, "client.keepalive=5s,1s,3"), -1);
	assert_string_equal(f, "client.mode=split,client.payload=60000,client.mode=blocking");
	scenario_free(sc);
}

/* --- matrix expansion: order, ids, repeat --- */

static void test_expansion(void **st)
{
	static const char *const want[] = {
		"mode-blocking_payload-1000_r1", "mode-blocking_payload-1000_r2",
		"mode-blocking_payload-2K_r1",   "mode-blocking_payload-2K_r2",
		"mode-blocking_payload-4K_r1",   "mode-blocking_payload-4K_r2",
		"mode-split_payload-1000_r1",    "mode-split_payload-1000_r2",
	};
	struct scenario *sc = load_ok("name: order\nrepeat: 2\nmatrix:\n"
	                              "  client.mode: [blocking, split]\n  client.payload: [1000, 2K, 4K]\n");
	struct cellcfg cfg;

	(void)st;
	/* 2 x 3 cells, each twice; the first key varies slowest, repeats innermost. */
	assert_int_equal(sc->ncells, 12);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_string_equal(sc->cells[i].id, want[i]);
		assert_int_equal(sc->cells[i].repeat, i % 2 + 1);
	}
	assert_string_equal(sc->cells[11].id, "mode-split_payload-4K_r2");
	assert_string_equal(scenario_cell_value(sc, &sc->cells[3], "client.payload"), "2K");
	assert_string_equal(scenario_cell_value(sc, &sc->cells[3], "client.chunk"), "8192"); /* the default */
	scenario_cell_config(sc, &sc->cells[7], &cfg);
	assert_int_equal(cfg.client.mode, CLIENT_SPLIT);
	assert_int_equal(cfg.client.payload, 1000);
	assert_int_equal(cfg.server.out_cap, 64 * 1024);
	assert_int_equal(cfg.timeout_us, 20000000 + 30000000); /* alarm + 30 s */
	assert_string_equal(scenario_axis_key(sc, 1), "client.payload");
	assert_null(scenario_axis_key(sc, 2));
	scenario_free(sc);

	/* No matrix: one cell, "cell"; the same key name in two sections is kept whole. */
	sc = load_ok("name: one\n");
	assert_int_equal(sc->ncells, 1);
	assert_string_equal(sc->cells[0].id, "cell");
	scenario_free(sc);
	sc = load_ok("name: two\nmatrix:\n  client.sndbuf: [16K, 32K]\n  server.sndbuf: [8K]\n");
	assert_string_equal(sc->cells[1].id, "client.sndbuf-32K_server.sndbuf-8K");
	scenario_free(sc);
}

/* --- the per-target rules, on each cell's own target --- */

static void test_target_rules(void **st)
{
	struct scenario *sc;

	(void)st;
	load_error("name: t\ntarget: { kind: loopback, rate: 10mbit }\n", 2, 33,
	           "target.rate 10mbit (2:33) does not apply to target loopback (target.kind, 2:17): only netns and "
	           "lwip cells are shaped");
	/* netns and lwip take the shaping; lwip an MTU of 576 at most. */
	sc = load_ok("name: t\ntarget: { rate: 10mbit, loss: 1, blackhole_after: 2s, mtu: 576 }\n"
	             "matrix:\n  target.kind: [netns, lwip]\n");
	assert_int_equal(sc->ncells, 2);
	scenario_free(sc);
	load_error("name: t\ntarget: { kind: lwip, mtu: 1500 }\n", 2, 28,
	           "target.mtu 1500 (2:28) is too large for target lwip");
	/* With target.kind in the matrix, each cell is checked for its own. */
	load_error("name: t\ntarget: { loss: 5 }\nmatrix:\n  target.kind: [netns, loopback]\n", 2, 17,
	           "does not apply to target loopback (matrix target.kind, 4:24)");
	load_error("name: t\ntarget: { host: 192.0.2.1 }\n", 2, 17, "target.host 192.0.2.1 (2:17) does not apply to target loopback");
	load_error("name: t\ntarget: { kind: remote, host: 192.0.2.1, iface: eth0 }\nserver: { mode: stall }\n", 3, 1,
	           "server section (3:1) does not apply to target remote");
	load_error("name: t\ntarget: { kind: remote }\n", 2, 17, "target: kind remote needs target.host and target.iface");
	load_error("name: t\nserver: { keepalive: '5,5,3' }\n", 2, 22, "only lwip cells run lwip-echod");
	load_error("name: t\ntarget: { kind: lwip }\nserver: { mode: slow }\n", 3, 17, "lwip-echod echoes");
	/* The programs' rules, on the options the runner gives them. */
	load_error("name: t\nserver: { stall_for: 1s }\n", 2, 22, "applies to server.mode stall only, not event");
	load_error("name: t\nclient: { parallel: 4 }\n", 2, 21, "need client.mode nonblocking, not blocking");
}

/* --- expectations: typed words from the programs' tables, checked --- */

static const char expect_text[] =
	"name: e\nmatrix:\n  client.mode: [blocking, nonblocking]\n"
	"expect:\n"
	"  - when: { client.mode: blocking }\n"
	"    outcome: deadlock\n"
	"    stall_cause: probe_deadlock\n"
	"    ended_by: detector\n"
	"  - when: { client.mode: nonblocking }\n"
	"    outcome: completed\n"
	"    stall_cause: none\n"
	"  - outcome: interrupted\n"     /* every cell: the table's word, new since the lists */
	"    ended_by: interrupt\n";

static void test_expect_check(void **st)
{
	struct scenario *sc = load_ok(expect_text);
	const struct scenario_cell *blocking = &sc->cells[0], *nonblocking = &sc->cells[1];
	stall_cause_set two = STALL_CAUSE_BIT(STALL_RECEIVER) | STALL_CAUSE_BIT(STALL_PROBE_DEADLOCK);
	char why[200];
	int failed;

	(void)st;
	assert_int_equal(sc->nexpects, 3);
	assert_int_equal(sc->expects[0].outcome, CLIENT_DEADLOCK);
	assert_int_equal(sc->expects[0].stall_cause, STALL_PROBE_DEADLOCK);
	assert_int_equal(sc->expects[0].ended_by, CLIENT_END_DETECTOR);
	assert_int_equal(sc->expects[1].stall_cause, SCENARIO_NO_STALL);
	assert_int_equal(sc->expects[1].ended_by, -1);
	assert_string_equal(scenario_expect_word(&sc->expects[1], "stall_cause"), "none");
	assert_string_equal(scenario_expect_word(&sc->expects[1], "ended_by"), "");
	assert_int_equal(sc->expects[2].outcome, CLIENT_INTERRUPTED);
	assert_int_equal(sc->expects[2].ended_by, CLIENT_END_INTERRUPT);

	/* A cause in a set of two holds; rule 3 (every cell) fails. */
	assert_int_equal(scenario_check(sc, blocking, CLIENT_DEADLOCK, two, CLIENT_END_DETECTOR, &failed, why, sizeof why), 2);
	assert_int_equal(failed, 1);
	assert_string_equal(why, "expected outcome interrupted, got deadlock (rule at line 12)");
	/* The cause missing from the set: said with the set found. */
	scenario_check(sc, blocking, CLIENT_DEADLOCK, STALL_CAUSE_BIT(STALL_RECEIVER), CLIENT_END_DETECTOR, &failed, why,
	               sizeof why);
	assert_int_equal(failed, 2);
	assert_string_equal(why, "expected stall cause probe_deadlock, the analysis found receiver_stall (rule at line 5)");
	scenario_check(sc, blocking, CLIENT_DEADLOCK, two, CLIENT_END_ALARM, &failed, why, sizeof why);
	assert_string_equal(why, "expected the run to end by detector, it ended by alarm (rule at line 5)");
	/* none: the empty set only. */
	scenario_check(sc, nonblocking, CLIENT_COMPLETED, 0, CLIENT_END_COMPLETION, &failed, why, sizeof why);
	assert_int_equal(failed, 1); /* rule 3 only */
	scenario_check(sc, nonblocking, CLIENT_COMPLETED, STALL_CAUSE_BIT(STALL_IDLE), CLIENT_END_COMPLETION, &failed, why,
	               sizeof why);
	assert_int_equal(failed, 2);
	assert_string_equal(why, "expected stall cause none, the analysis found idle (rule at line 9)");
	/* An outcome the tables do not know (-1) fails a rule that asks one. */
	scenario_check(sc, nonblocking, -1, 0, -1, &failed, why, sizeof why);
	assert_string_equal(why, "expected outcome completed, got unknown (rule at line 9)");
	/* Every rule holds. */
	scenario_check(sc, &sc->cells[1], CLIENT_INTERRUPTED, 0, CLIENT_END_INTERRUPT, &failed, why, sizeof why);
	assert_int_equal(failed, 1); /* rule 2's outcome completed */
	assert_true(scenario_cause_matches(SCENARIO_NO_STALL, 0));
	assert_false(scenario_cause_matches(SCENARIO_NO_STALL, STALL_CAUSE_BIT(STALL_ABORT)));
	assert_true(scenario_cause_matches(STALL_ABORT, STALL_CAUSE_BIT(STALL_ABORT) | STALL_CAUSE_BIT(STALL_IDLE)));
	assert_false(scenario_cause_matches(STALL_SILENT_PEER, STALL_CAUSE_BIT(STALL_ABORT)));
	assert_false(scenario_cause_matches(-1, 0));
	scenario_free(sc);

	assert_int_equal(scenario_name_index(client_outcome_names, "corrupt"), CLIENT_CORRUPT);
	assert_int_equal(scenario_name_index(client_end_names, "nope"), -1);
	assert_int_equal(scenario_name_index(client_end_names, NULL), -1);
	load_error("name: e\nexpect:\n  - stall_cause: probe-deadlock\n", 3, 18,
	           "expect: stall_cause: unknown value 'probe-deadlock'; did you mean 'probe_deadlock'? (one of "
	           "probe_deadlock, receiver_stall, silent_peer, abort, idle, none)");
	load_error("name: e\nexpect:\n  - when: { client.mode: split }\n", 3, 5,
	           "a rule needs at least one of outcome, stall_cause, ended_by");
}

/* --- the messages of issue 17 --- */

static struct scenario *load_bytes(const char *text, size_t len)
{
	char err[256];

	if (g_fd >= 0)
		close(g_fd);
	g_fd = memfd_create("scenario", MFD_CLOEXEC);
	assert_true(g_fd >= 0);
	assert_int_equal(write(g_fd, text, len), (ssize_t)len);
	snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
	return scenario_load(g_path, err, sizeof err);
}

static void test_messages(void **st)
{
	static const char nul[] = "name: nul\nclient: { mo\0de: blocking }\n";
	struct scenario *sc = load_bytes(nul, sizeof nul - 1);
	char name[200];

	(void)st;
	assert_int_equal(sc->nerrors, 1);
	assert_int_equal(sc->errors[0].line, 2);
	assert_int_equal(sc->errors[0].column, 13);
	assert_string_equal(sc->errors[0].msg, "NUL byte at 2:13: a scenario is text; remove it");
	scenario_free(sc);
	load_error("name: m\nx-base: &b { mode: stall }\nserver:\n  <<: *b\n", 4, 3,
	           "YAML merge keys (<<) are not supported: write the keys out");
	load_error("name: c\nmatrix:\n  target.host: [::1]\n", 3, 17, "a value that starts with ':' must be quoted");
	/* A mis-indented key's own colon is no value: one error, no hint. */
	sc = load_text("name: i\nclient:\n  mode: blocking\n   payload: 60000\n", name, sizeof name);
	assert_non_null(sc);
	assert_int_equal(sc->nerrors, 1);
	assert_null(strstr(sc->errors[0].msg, "must be quoted"));
	scenario_free(sc);
	/* Too long, with the limit; not "missing" too. */
	memset(name, 'a', sizeof name);
	memcpy(name, "name: ", 6);
	name[sizeof name - 2] = '\n';
	name[sizeof name - 1] = 0;
	sc = load_bytes(name, strlen(name));
	assert_int_equal(sc->nerrors, 1);
	assert_string_equal(sc->errors[0].msg, "name: 192 characters, longer than the 127 allowed");
	scenario_free(sc);
	/* Ranges in the units a scenario writes. */
	load_error("name: r\nbaseline: { duration: 1h }\n", 2, 23, "out of range [1s, 10m]");
	load_error("name: r\nserver: { stall_for: 10us }\n", 2, 22, "out of range: 0 (not set), or [1ms, 8760h]");
	load_error("name: r\nclient: { payload: 0 }\n", 2, 20, "out of range [1, 1T]");
}

/* --- every allocation of a load failing in turn --- */

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_FAULTS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_FAULTS 0
#endif
#endif
#ifndef HAVE_FAULTS
#define HAVE_FAULTS 1
#endif

#if HAVE_FAULTS
/* The program's allocator, wrapped (glibc's own underneath): the n-th
 * allocation after arming fails; live counts what is not freed. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static long g_countdown = -1; /* -1: off; 0: the next allocation fails */
static long g_allocs, g_live;

static int fail_now(void)
{
	g_allocs++;
	if (g_countdown < 0 || g_countdown-- != 0)
		return 0;
	errno = ENOMEM; /* as glibc's malloc does */
	return 1;
}

void *malloc(size_t n)
{
	void *p = fail_now() ? NULL : __libc_malloc(n);

	g_live += p != NULL;
	return p;
}

void *calloc(size_t a, size_t b)
{
	void *p = fail_now() ? NULL : __libc_calloc(a, b);

	g_live += p != NULL;
	return p;
}

void *realloc(void *q, size_t n)
{
	void *p = fail_now() ? NULL : __libc_realloc(q, n);

	g_live += p != NULL && q == NULL;
	return p;
}

void free(void *p)
{
	g_live -= p != NULL;
	__libc_free(p);
}

static const char fault_text[] =
	"name: faults\n"
	"description: every allocation fails once\n"
	"target: { kind: netns, rate: 10mbit }\n"
	"server: { mode: blocking, app_buf: 8192 }\n"
	"client: { keepalive: \"5,1,3\", alarm: 5s }\n"
	"matrix:\n"
	"  client.payload: [60000, 120000, 300000]\n"
	"  client.mode: [blocking, nonblocking, chunked]\n"
	"repeat: 2\n"
	"expect:\n"
	"  - when: { client.mode: blocking, client.payload: 300000 }\n"
	"    outcome: deadlock\n"
	"  - when: { client.mode: nonblocking }\n"
	"    outcome: completed\n";
#endif

static void test_allocation_failures(void **st)
{
#if HAVE_FAULTS
	static const char *const texts[] = { fault_text, "name: bad\nclient: { mode: blockng, mode: split }\n"
	                                                 "matrix:\n  client.payload: [1K, 1024]\n" };
	(void)st;
	for (size_t t = 0; t < 2; t++) {
		struct scenario *sc;
		char err[256];
		long total, live0;

		/* A clean load first: how many allocations, and that it frees all. */
		live0 = g_live;
		g_allocs = 0;
		sc = load_text(texts[t], err, sizeof err);
		assert_non_null(sc);
		total = g_allocs;
		scenario_free(sc);
		assert_int_equal(g_live, live0);
		for (long n = 0; n < total; n++) {
			live0 = g_live;
			g_countdown = n;
			sc = load_text(texts[t], err, sizeof err);
			g_countdown = -1;
			if (!sc && !strstr(err, "out of memory"))
				fail_msg("allocation %ld of %ld failing: NULL, but err is \"%s\"", n + 1, total, err);
			scenario_free(sc);
			if (g_live != live0)
				fail_msg("allocation %ld of %ld failing: %ld allocations leaked", n + 1, total, g_live - live0);
		}
	}
#else
	/* ASan owns malloc: no fault injection under it (cmocka's skip() reads
	 * as a failure to prove). The other tests run. */
	(void)st;
	print_message("# allocation failures not injected: ASan owns malloc\n");
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicate_values),
		cmocka_unit_test(test_cell_bound),
		cmocka_unit_test(test_filter_check),
		cmocka_unit_test(test_filter_join),
		cmocka_unit_test(test_expansion),
		cmocka_unit_test(test_target_rules),
		cmocka_unit_test(test_expect_check),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_allocation_failures),
	};
	int rc = cmocka_run_group_tests_name("scenario", tests, NULL, NULL);

	if (g_fd >= 0)
		close(g_fd);
	return rc;
}
