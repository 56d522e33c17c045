/* test_scenario: the scenario loader's checks: the same value twice in a
 * matrix list, the cell-count bound, the --only filter check and join, and
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
		cmocka_unit_test(test_allocation_failures),
	};
	int rc = cmocka_run_group_tests_name("scenario", tests, NULL, NULL);

	if (g_fd >= 0)
		close(g_fd);
	return rc;
}
