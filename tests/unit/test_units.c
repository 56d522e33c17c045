/* test_units: the size, duration, count and port parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

static uint64_t size_ok(const char *s)
{
	uint64_t v = 0;
	char err[128] = "";

	if (units_parse_size(s, 0, UINT64_MAX, &v, err, sizeof err) != 0)
		fail_msg("'%s' rejected: %s", s, err);
	return v;
}

static void size_rejected(const char *s, const char *cause_part)
{
	uint64_t v = 12345;
	char err[128] = "";

	if (units_parse_size(s, 0, UINT64_MAX, &v, err, sizeof err) == 0)
		fail_msg("'%s' accepted as %llu", s, (unsigned long long)v);
	assert_int_equal(v, 12345); /* untouched on error */
	if (!strstr(err, cause_part))
		fail_msg("'%s': cause '%s' lacks '%s'", s, err, cause_part);
}

static void test_sizes(void **st)
{
	(void)st;
	assert_int_equal(size_ok("16384"), 16384);
	assert_int_equal(size_ok("16K"), 16384);
	assert_int_equal(size_ok("16k"), 16384);
	assert_int_equal(size_ok("16KB"), 16384);
	assert_int_equal(size_ok("64KiB"), 65536);
	assert_int_equal(size_ok("1M"), 1048576);
	assert_int_equal(size_ok("1MiB"), 1048576);
	assert_int_equal(size_ok("2G"), 2147483648ull);
	assert_int_equal(size_ok("1.5K"), 1536);
	assert_int_equal(size_ok("0"), 0);
	assert_int_equal(size_ok("16777215T"), 16777215ull << 40); /* just under 2^64 */
}

static void test_sizes_rejected(void **st)
{
	(void)st;
	size_rejected("16Q", "unknown size unit 'Q'");
	size_rejected("-1", "negative");
	size_rejected("-16K", "negative");
	size_rejected("+5", "sign");
	size_rejected("", "empty");
	size_rejected("K", "not a number");
	size_rejected(" 16", "not a number");
	size_rejected("16 K", "unknown size unit");
	size_rejected("18446744073709551616", "too large");
	size_rejected("99999999999999999999K", "too large");
	size_rejected("20000000T", "too large");
	size_rejected("1.", "digit must follow");
	size_rejected("1.0001K", "whole number");
	size_rejected("0x10", "unknown size unit");
	size_rejected("1e3", "unknown size unit");
}

static void test_size_range(void **st)
{
	uint64_t v;
	char err[128];

	(void)st;
	assert_int_equal(units_parse_size("1K", 1, 1024, &v, err, sizeof err), 0);
	assert_int_equal(units_parse_size("1025", 1, 1024, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "out of range [1, 1 KiB]"));
	assert_int_equal(units_parse_size("0", 1, 1024, &v, err, sizeof err), -1);
}

/* Ranges are said in the units the options take, never in bare microseconds. */
static void test_duration_range_message(void **st)
{
	uint64_t v;
	char err[128], buf[32];

	(void)st;
	assert_int_equal(units_parse_duration("1us", 1000000, 1000, 31536000000000ull, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "out of range [1ms, 8760h]"));
	assert_string_equal(units_format_duration(100000, buf, sizeof buf), "100ms");
	assert_string_equal(units_format_duration(1500, buf, sizeof buf), "1500us");
	assert_string_equal(units_format_duration(90000000, buf, sizeof buf), "90s");
	assert_string_equal(units_format_duration(0, buf, sizeof buf), "0");
}

static uint64_t dur_ok(const char *s)
{
	uint64_t v = 0;
	char err[128] = "";

	if (units_parse_duration(s, 1000000, 0, UINT64_MAX, &v, err, sizeof err) != 0)
		fail_msg("'%s' rejected: %s", s, err);
	return v;
}

static void test_durations(void **st)
{
	uint64_t v;
	char err[128];

	(void)st;
	assert_int_equal(dur_ok("500ms"), 500000);
	assert_int_equal(dur_ok("2s"), 2000000);
	assert_int_equal(dur_ok("1.5s"), 1500000);
	assert_int_equal(dur_ok("250us"), 250);
	assert_int_equal(dur_ok("3m"), 180000000);
	assert_int_equal(dur_ok("1h"), 3600000000ull);
	assert_int_equal(dur_ok("120"), 120000000); /* bare number: the default unit */
	assert_int_equal(units_parse_duration("2x", 1000000, 0, UINT64_MAX, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown duration unit 'x'"));
	assert_int_equal(units_parse_duration("-1s", 1000000, 0, UINT64_MAX, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "negative"));
	assert_int_equal(units_parse_duration("2S", 1000000, 0, UINT64_MAX, &v, err, sizeof err), -1);
	assert_int_equal(units_parse_duration("", 1000000, 0, UINT64_MAX, &v, err, sizeof err), -1);
	assert_int_equal(units_parse_duration("99999999999999h", 1000000, 0, UINT64_MAX, &v, err,
	                                      sizeof err), -1);
	assert_non_null(strstr(err, "too large"));
	assert_int_equal(units_parse_duration("10ms", 1000000, 50000, UINT64_MAX, &v, err, sizeof err), -1);
	assert_non_null(strstr(err, "out of range"));
}

static void test_uint_and_port(void **st)
{
	uint64_t v;
	uint16_t p;
	char err[128];

	(void)st;
	assert_int_equal(units_parse_uint("42", 0, 100, &v, err, sizeof err), 0);
	assert_int_equal(v, 42);
	assert_int_equal(units_parse_uint("4.2", 0, 100, &v, err, sizeof err), -1);
	assert_int_equal(units_parse_uint("101", 0, 100, &v, err, sizeof err), -1);
	assert_int_equal(units_parse_uint("-3", 0, 100, &v, err, sizeof err), -1);
	assert_int_equal(units_parse_port("0", &p, err, sizeof err), 0);
	assert_int_equal(p, 0);
	assert_int_equal(units_parse_port("65535", &p, err, sizeof err), 0);
	assert_int_equal(p, 65535);
	assert_int_equal(units_parse_port("70000", &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(units_parse_port("7a", &p, err, sizeof err), -1);
}

static void test_rates(void **st)
{
	uint64_t v;
	char err[128];

	(void)st;
	assert_int_equal(units_parse_rate("100mbit", 1ull << 40, &v, err, sizeof err), 0);
	assert_int_equal(v, 12500000);
	assert_int_equal(units_parse_rate("1gbit", 1ull << 40, &v, err, sizeof err), 0);
	assert_int_equal(v, 125000000);
	assert_int_equal(units_parse_rate("1.5Mbit", 1ull << 40, &v, err, sizeof err), 0);
	assert_int_equal(v, 187500);
	assert_int_equal(units_parse_rate("800kbit", 1ull << 40, &v, err, sizeof err), 0);
	assert_int_equal(v, 100000);
	assert_int_equal(units_parse_rate("12M", 1ull << 40, &v, err, sizeof err), 0); /* bytes/s */
	assert_int_equal(v, 12u << 20);
	assert_int_equal(units_parse_rate("100mbps", 1ull << 40, &v, err, sizeof err), -1);
	assert_int_equal(units_parse_rate("-1mbit", 1ull << 40, &v, err, sizeof err), -1);
	assert_int_equal(units_parse_rate("mbit", 1ull << 40, &v, err, sizeof err), -1);
}

static void test_format(void **st)
{
	char b[32];

	(void)st;
	assert_string_equal(units_format_size(16384, b, sizeof b), "16 KiB");
	assert_string_equal(units_format_size(60000, b, sizeof b), "60000");
	assert_string_equal(units_format_size(1536 * 1024, b, sizeof b), "1.50 MiB");
	assert_string_equal(units_format_size(100, b, sizeof b), "100");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_sizes_rejected),
		cmocka_unit_test(test_size_range),
		cmocka_unit_test(test_duration_range_message),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_uint_and_port),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
