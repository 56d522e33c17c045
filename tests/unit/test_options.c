/* test_options: tcpecho's and echod's command lines, good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clientopt.h"
#include "serveropt.h"

#define ARGV(...) ((char *[]){ "prog", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "prog", __VA_ARGS__ }) / sizeof(char *)))
#define CPARSE(cfg, err, ...) clientopt_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), cfg, err, sizeof err)

static void test_draft_command_line(void **st)
{
	struct client_cfg c;
	char err[256] = "";

	(void)st;
	assert_int_equal(CPARSE(&c, err, "-n", "1", "-a", "120", "-m", "60000", "server", "A"), CLIENTOPT_RUN);
	assert_string_equal(c.host, "server");
	assert_int_equal(c.port, 7);
	assert_int_equal(c.payload, 60000);
	assert_int_equal(c.times, 1);
	assert_int_equal(c.alarm_us, 120000000);
	assert_int_equal(c.mode, CLIENT_BLOCKING);
	/* The draft's Appendix 2 passes -t. */
	assert_int_equal(CPARSE(&c, err, "-t", "-n", "2", "-m", "3", "h", "abc"), CLIENTOPT_RUN);
	assert_int_equal(c.payload, 9);
	assert_int_equal(c.times, 2);
}

static void test_long_options(void **st)
{
	struct client_cfg c;
	char err[256] = "";

	(void)st;
	assert_int_equal(CPARSE(&c, err, "--mode", "chunked", "--chunk", "4K", "--payload", "64KiB",
	                        "--sndbuf", "16K", "--rcvbuf", "16384", "--port", "7007",
	                        "--stall-threshold", "250ms", "--sample-interval", "10ms", "--no-abort",
	                        "--keepalive", "5s,1s,3", "--user-timeout", "30s", "--json", "::1"),
	                 CLIENTOPT_RUN);
	assert_int_equal(c.mode, CLIENT_CHUNKED);
	assert_int_equal(c.chunk, 4096);
	assert_int_equal(c.payload, 65536);
	assert_int_equal(c.sock.sndbuf, 16384);
	assert_int_equal(c.port, 7007);
	assert_int_equal(c.stall_threshold_us, 250000);
	assert_int_equal(c.abort_on_deadlock, 0);
	assert_int_equal(c.sock.ka_idle_s, 5);
	assert_int_equal(c.sock.user_timeout_ms, 30000);
	assert_true(c.json);
	assert_int_equal(CPARSE(&c, err, "--help"), CLIENTOPT_HELP);
	assert_non_null(strstr(clientopt_help(), "--stall-threshold"));
}

static void usage(const char *want, int argc, char **argv)
{
	struct client_cfg c;
	char err[256] = "";

	if (clientopt_parse(argc, argv, &c, err, sizeof err) != CLIENTOPT_USAGE)
		fail_msg("accepted, wanted an error containing \"%s\"", want);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

#define USAGE(want, ...) usage(want, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_client_rejects(void **st)
{
	(void)st;
	USAGE("--payload '-5': negative", "--payload", "-5", "h");
	USAGE("--payload '16Q': unknown size unit 'Q'", "--payload", "16Q", "h");
	USAGE("--sndbuf '1x': unknown size unit", "--sndbuf", "1x", "--payload", "1K", "h");
	USAGE("--port '70000': out of range", "--port", "70000", "h", "A");
	USAGE("--port '0'", "-p", "0", "h", "A");
	USAGE("--mode 'fast': unknown mode", "--mode", "fast", "h", "A");
	USAGE("--chunk '128 KiB': larger than the payload", "--mode", "chunked", "--chunk", "128K",
	      "--payload", "64K", "h");
	USAGE("--chunk applies to --mode chunked", "--chunk", "1K", "--payload", "64K", "h");
	USAGE("missing host", "-n", "1");
	USAGE("missing payload", "h");
	USAGE("-n '0': out of range", "-n", "0", "h", "A");
	USAGE("-a 'soon'", "-a", "soon", "h", "A");
	USAGE("-m and --payload", "-m", "3", "--payload", "1K", "h", "A");
	USAGE("unknown option '--frobnicate'", "--frobnicate", "h", "A");
	USAGE("option --payload needs a value", "h", "--payload");
	USAGE("--parallel '4': needs --mode nonblocking", "--parallel", "4", "--payload", "1K", "h");
	USAGE("--keepalive", "--keepalive", "1,2,3,4", "h", "A");
	USAGE("--sample-interval", "--sample-interval", "1s", "h", "A");
	USAGE("unexpected argument 'extra'", "h", "A", "extra");
	USAGE("--literal needs the string", "--literal", "--payload", "1K", "h");
	/* The rules the scenario validator shares (clientopt_rules_broken, optlimits.h). */
	USAGE("payload of 2 GiB: --mode blocking sends from one buffer", "--payload", "2G", "h");
	USAGE("payload of 2 GiB: --mode aware sends from one buffer", "--mode", "aware", "--payload", "2G", "h");
	USAGE("payload x times x parallel", "--mode", "nonblocking", "--payload", "1T", "-n", "2000", "h");
	USAGE("--user-timeout '500us': below 1ms", "--user-timeout", "500us", "--payload", "1K", "h");
	USAGE("--maxseg '87': out of range [88, 65535]", "--maxseg", "87", "--payload", "1K", "h");
}

static void test_client_rules_shared(void **st)
{
	struct client_cfg c;
	char err[256] = "";

	(void)st;
	/* A streaming mode may send more than a blocking one holds. */
	assert_int_equal(CPARSE(&c, err, "--mode", "nonblocking", "--payload", "2G", "h"), CLIENTOPT_RUN);
	assert_int_equal(clientopt_rules_broken(&c, 0), 0);
	c.mode = CLIENT_BLOCKING;
	assert_int_equal(clientopt_rules_broken(&c, 0), CLIENTOPT_RULE_PAYLOAD_HELD);
	c.payload = 1000;
	c.chunk = 8192;
	assert_int_equal(clientopt_rules_broken(&c, 1), CLIENTOPT_RULE_CHUNK_MODE | CLIENTOPT_RULE_CHUNK_PAYLOAD);
	c.mode = CLIENT_CHUNKED;
	assert_int_equal(clientopt_rules_broken(&c, 0), 0); /* tcpecho's default chunk shrinks */
	c.sample_interval_us = c.stall_threshold_us + 1;
	assert_int_equal(clientopt_rules_broken(&c, 0), CLIENTOPT_RULE_SAMPLE_STALL);
}

static void test_server_rules_shared(void **st)
{
	struct server_cfg c;

	(void)st;
	server_cfg_init(&c);
	assert_int_equal(serveropt_rules_broken(&c, 1, 1), SERVEROPT_RULE_STALL_FOR_MODE | SERVEROPT_RULE_RATE_MODE);
	/* echod samples every 50 ms unless told: a 20 ms stall threshold alone is refused. */
	c.stall_threshold_us = 20000;
	assert_int_equal(serveropt_rules_broken(&c, 0, 0), SERVEROPT_RULE_SAMPLE_STALL);
}

#define SPARSE(cfg, path, err, ...) \
	serveropt_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), cfg, path, err, sizeof err)

static void test_server_options(void **st)
{
	struct server_cfg c;
	const char *stats;
	char err[256] = "";

	(void)st;
	assert_int_equal(SPARSE(&c, &stats, err, "--mode", "blocking", "-p", "0", "--app-buf", "8192",
	                        "--sndbuf", "16K", "--rcvbuf", "16K", "--max-conns", "10",
	                        "--idle-timeout", "1s", "--stats", "/tmp/x.json", "--monitor"),
	                 SERVEROPT_RUN);
	assert_int_equal(c.mode, SERVER_BLOCKING);
	assert_int_equal(c.port, 0);
	assert_int_equal(c.app_buf, 8192);
	assert_int_equal(c.sock.rcvbuf, 16384);
	assert_int_equal(c.max_conns, 10);
	assert_int_equal(c.idle_timeout_us, 1000000);
	assert_string_equal(stats, "/tmp/x.json");
	assert_true(c.monitor);
	assert_int_equal(SPARSE(&c, &stats, err, "--mode", "slow", "--rate", "1K"), SERVEROPT_RUN);
	assert_int_equal(c.rate, 1024);

	assert_int_equal(SPARSE(&c, &stats, err, "--port", "70000"), SERVEROPT_USAGE);
	assert_non_null(strstr(err, "--port '70000': out of range"));
	assert_int_equal(SPARSE(&c, &stats, err, "--mode", "turbo"), SERVEROPT_USAGE);
	assert_non_null(strstr(err, "--mode 'turbo'"));
	assert_int_equal(SPARSE(&c, &stats, err, "--app-buf", "-1"), SERVEROPT_USAGE);
	assert_non_null(strstr(err, "--app-buf '-1': negative"));
	assert_int_equal(SPARSE(&c, &stats, err, "--rate", "1K"), SERVEROPT_USAGE);
	assert_non_null(strstr(err, "--rate applies to --mode slow"));
	assert_int_equal(SPARSE(&c, &stats, err, "--idle-timeout", "1y"), SERVEROPT_USAGE);
	assert_non_null(strstr(err, "--idle-timeout '1y'"));
	assert_int_equal(SPARSE(&c, &stats, err, "stray"), SERVEROPT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_draft_command_line),
		cmocka_unit_test(test_long_options),
		cmocka_unit_test(test_client_rejects),
		cmocka_unit_test(test_client_rules_shared),
		cmocka_unit_test(test_server_rules_shared),
		cmocka_unit_test(test_server_options),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
