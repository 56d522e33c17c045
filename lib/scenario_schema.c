/* scenario_schema: the one key table (key, type, default, help, limits,
 * where it lands in struct cellcfg) and the parsing of its values. */
#include "scenario_int.h"
#include "client.h"
#include "optlimits.h"
#include "server.h"
#include "sockopt.h"
#include "units.h"

#include <ctype.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* In the order of the enums (enum target_kind, capture_keep): the index is the value a
 * cellcfg holds. The modes' names are the programs' tables (server_mode_names,
 * client_mode_names). */
const char *const sc_target_kinds[] = { "loopback", "netns", "remote", "lwip", NULL };
static const char *const keeps[] = { "always", "on-failure", "never", NULL };

const char *scenario_target_name(enum target_kind kind)
{
	return (unsigned)kind <= TARGET_LWIP ? sc_target_kinds[kind] : "?";
}

#define F(field) offsetof(struct cellcfg, field), sizeof(((struct cellcfg *)0)->field)
#define SEC OPTLIM_SEC
#define DAY OPTLIM_DAY

/* SC_NSCHEMA is the count: the compiler refuses one entry too many; one too
 * few leaves a last entry without a key, which sc_find_ent and the tests see. */
const struct schema_ent sc_schema[SC_NSCHEMA] = {
	{ "target.kind", T_ENUM, "loopback", "where the echo server runs: loopback, netns (two namespaces and a veth), remote (a DUT), lwip (the emulated embedded target: lwip-echod on a TAP)", sc_target_kinds, 0, 0, F(target.kind), 0 },
	{ "target.rate", T_RATE, "0", "netns, lwip: link rate, 100mbit or bytes/s (12M), shaped with tbf (0: unlimited)", NULL, 0, 1ull << 40, F(target.rate), 0 },
	{ "target.mtu", T_INT, "0", "netns: MTU of the veth pair (0: 1500); lwip: MTU of the TAP, at most 576 (0: 576, what lwIP's buffers assume)", NULL, OPTLIM_MTU_MIN, OPTLIM_MTU_MAX, F(target.mtu), ZERO_OK },
	{ "target.loss", T_INT, "0", "netns: percent of packets dropped each way; lwip: of the client's packets (nftables)", NULL, 0, 100, F(target.loss), 0 },
	{ "target.blackhole_after", T_DUR, "0", "netns, lwip: from this time into the cell on, drop everything the client sends (nftables): a silent peer", NULL, 0, DAY, F(target.blackhole_after_us), 0 },
	{ "target.host", T_STR, "", "remote: the DUT's address", NULL, 0, 0, F(target.host), 0 },
	{ "target.port", T_INT, "7", "remote: the DUT's echo port", NULL, 1, 65535, F(target.port), 0 },
	{ "target.iface", T_STR, "", "remote: the interface towards the DUT, where the capture runs", NULL, 0, IFNAMSIZ - 1, F(target.iface), 0 },
	{ "server.mode", T_ENUM, "event", "echod mode: event, blocking (the draft's inetd echo), stall, slow; lwip target: event or blocking mean lwIP's echo, stall its stall", server_mode_names, 0, 0, F(server.mode), 0 },
	{ "server.app_buf", T_SIZE, "8192", "blocking mode: bytes per recv(); lwip target: its largest write (at most 65535)", NULL, OPTLIM_APP_BUF_MIN, OPTLIM_APP_BUF_MAX, F(server.app_buf), 0 },
	{ "server.sndbuf", T_SIZE, "0", "SO_SNDBUF of echod's listening socket (0: kernel default)", NULL, OPTLIM_SOCKBUF_MIN, OPTLIM_SOCKBUF_MAX, F(server.sndbuf), ZERO_OK },
	{ "server.rcvbuf", T_SIZE, "0", "SO_RCVBUF of echod's listening socket (0: kernel default)", NULL, OPTLIM_SOCKBUF_MIN, OPTLIM_SOCKBUF_MAX, F(server.rcvbuf), ZERO_OK },
	{ "server.out_cap", T_SIZE, "64K", "event modes: pending echo per connection before reading pauses; a run gives echod --out-cap with this value (echod run by hand defaults to 256K)", NULL, OPTLIM_OUT_CAP_MIN, OPTLIM_OUT_CAP_MAX, F(server.out_cap), 0 },
	{ "server.rate", T_SIZE, "8K", "slow mode: bytes read per second", NULL, OPTLIM_RATE_MIN, OPTLIM_RATE_MAX, F(server.rate), 0 },
	{ "server.stall_for", T_DUR, "0", "stall mode: start echoing after this long (0: never)", NULL, OPTLIM_STALL_FOR_MIN, OPTLIM_STALL_FOR_MAX, F(server.stall_for_us), ZERO_OK },
	{ "server.keepalive", T_KA, "", "lwip target: lwip-echod's SO_KEEPALIVE as IDLE[,INTVL[,CNT]] in seconds (e.g. 5,5,3)", NULL, 0, 0, F(server.keepalive), 0 },
	{ "server.idle_timeout", T_DUR, "0", "close connections idle this long (0: never)", NULL, OPTLIM_IDLE_TIMEOUT_MIN, OPTLIM_IDLE_TIMEOUT_MAX, F(server.idle_timeout_us), ZERO_OK },
	{ "client.mode", T_ENUM, "blocking", "tcpecho mode: blocking (the draft's), nonblocking, chunked, split, aware", client_mode_names, 0, 0, F(client.mode), 0 },
	{ "client.payload", T_SIZE, "60000", "bytes per round (blocking and aware hold it in memory: at most 1G)", NULL, OPTLIM_PAYLOAD_MIN, OPTLIM_PAYLOAD_MAX, F(client.payload), 0 },
	{ "client.times", T_INT, "1", "rounds (the draft's -n)", NULL, OPTLIM_TIMES_MIN, OPTLIM_TIMES_MAX, F(client.times), 0 },
	{ "client.chunk", T_SIZE, "8192", "chunked mode: bytes per send/echo step", NULL, OPTLIM_CHUNK_MIN, OPTLIM_CHUNK_MAX, F(client.chunk), 0 },
	{ "client.parallel", T_INT, "1", "nonblocking mode: connections", NULL, OPTLIM_PARALLEL_MIN, OPTLIM_PARALLEL_MAX, F(client.parallel), 0 },
	{ "client.sndbuf", T_SIZE, "0", "SO_SNDBUF before connect (0: kernel default)", NULL, OPTLIM_SOCKBUF_MIN, OPTLIM_SOCKBUF_MAX, F(client.sndbuf), ZERO_OK },
	{ "client.rcvbuf", T_SIZE, "0", "SO_RCVBUF before connect (0: kernel default)", NULL, OPTLIM_SOCKBUF_MIN, OPTLIM_SOCKBUF_MAX, F(client.rcvbuf), ZERO_OK },
	{ "client.maxseg", T_INT, "0", "TCP_MAXSEG before connect, 88 to 65535 (0: default)", NULL, OPTLIM_MAXSEG_MIN, OPTLIM_MAXSEG_MAX, F(client.maxseg), ZERO_OK },
	/* A scenario's cells always end: 100 ms at least (tcpecho's 0 is "no alarm"). */
	{ "client.alarm", T_DUR, "20s", "give up after this long (the draft's -a)", NULL, SEC / 10, OPTLIM_ALARM_MAX, F(client.alarm_us), 0 },
	{ "client.user_timeout", T_DUR, "0", "TCP_USER_TIMEOUT, 1ms at least (0: not set)", NULL, OPTLIM_USER_TIMEOUT_MIN, OPTLIM_USER_TIMEOUT_MAX, F(client.user_timeout_us), ZERO_OK },
	{ "client.read_delay", T_DUR, "0", "split mode: the receiver starts reading only after this (a client that stops reading, then resumes)", NULL, 0, OPTLIM_READ_DELAY_MAX, F(client.read_delay_us), 0 },
	{ "client.nodelay", T_BOOL, "false", "TCP_NODELAY", NULL, 0, 0, F(client.nodelay), 0 },
	{ "client.abort", T_BOOL, "true", "abort (RST) as soon as a deadlock is detected; false waits for the alarm like the draft", NULL, 0, 0, F(client.abort), 0 },
	{ "client.keepalive", T_KA, "", "SO_KEEPALIVE as IDLE[,INTVL[,CNT]], e.g. 5s,1s,3", NULL, 0, 0, F(client.keepalive), 0 },
	{ "capture.enabled", T_BOOL, "true", "capture each cell's traffic and analyse it", NULL, 0, 0, F(capture.enabled), 0 },
	{ "capture.snaplen", T_INT, "128", "bytes kept per packet", NULL, OPTLIM_SNAPLEN_MIN, OPTLIM_SNAPLEN_MAX, F(capture.snaplen), 0 },
	{ "capture.keep", T_ENUM, "on-failure", "keep the pcap: always, on-failure (a failed expectation or error), never", keeps, 0, 0, F(capture.keep), 0 },
	{ "detect.stall_threshold", T_DUR, "500ms", "no byte progress this long is a stall (client and analysis); with echod (loopback, netns) 50ms at least, its sampling interval", NULL, OPTLIM_STALL_THRESHOLD_MIN, OPTLIM_STALL_THRESHOLD_MAX, F(detect.stall_threshold_us), 0 },
	{ "detect.sample_interval", T_DUR, "50ms", "client TCP_INFO sampling period, at most detect.stall_threshold", NULL, OPTLIM_SAMPLE_INTERVAL_MIN, OPTLIM_SAMPLE_INTERVAL_MAX, F(detect.sample_interval_us), 0 },
	{ "detect.hold", T_INT, "0", "evidence before the abort: keep a detected deadlock open until each side sent this many probes, so the capture shows both stacks' (0: abort at detection)", NULL, 0, OPTLIM_HOLD_PROBES_MAX, F(detect.hold_probes), 0 },
	{ "detect.hold_for", T_DUR, "0", "...or keep it this long; with detect.hold, at most this long (0: no limit but the alarm)", NULL, 0, OPTLIM_HOLD_FOR_MAX, F(detect.hold_for_us), 0 },
	{ "baseline.iperf3", T_BOOL, "false", "measure each target with iperf3 before the cells (true, or { port: N } for a DUT's server)", NULL, 0, 0, F(baseline.iperf3), 0 },
	{ "baseline.iperf3.port", T_INT, "5201", "remote: the DUT's iperf3 server port", NULL, 1, 65535, F(baseline.iperf3_port), 0 },
	{ "baseline.iperf2", T_BOOL, "false", "measure with iperf2 too: what lwIP's lwiperf speaks (true, or { port: N })", NULL, 0, 0, F(baseline.iperf2), 0 },
	{ "baseline.iperf2.port", T_INT, "5001", "remote: the DUT's iperf2 server port", NULL, 1, 65535, F(baseline.iperf2_port), 0 },
	/* iperf3 -t takes whole seconds ("-t 0.5" is 0: for ever). */
	{ "baseline.duration", T_DUR, "2s", "how long each baseline measurement runs, in whole seconds", NULL, SEC, 600 * SEC, F(baseline.duration_us), WHOLE_SEC },
	{ "timeout", T_DUR, "0", "a cell running longer is stopped and recorded as error (0: alarm + 30 s)", NULL, 0, DAY, F(timeout_us), 0 },
};
_Static_assert(sizeof sc_schema / sizeof sc_schema[0] == SC_NSCHEMA,
               "SC_NSCHEMA is the number of schema entries");

size_t scenario_schema(const struct scenario_key_doc **docs)
{
	static struct scenario_key_doc d[SC_NSCHEMA];
	static const char *const tnames[] = { "string", "one of", "size", "duration", "integer", "boolean", "rate",
	                                      "keepalive" };

	for (size_t i = 0; i < SC_NSCHEMA; i++) {
		d[i].key = sc_schema[i].key;
		d[i].type = tnames[sc_schema[i].type];
		d[i].def = sc_schema[i].def;
		d[i].help = sc_schema[i].help;
	}
	*docs = d;
	return SC_NSCHEMA;
}

/* Levenshtein distance, for "did you mean". */
size_t sc_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof *prev);
	}
	return prev[lb];
}

/* "; did you mean 'x'?" for the nearest candidate, or "" (buf must hold 96). */
const char *sc_suggest(const char *word, const char *const *cands, size_t n, char *buf)
{
	size_t best = 99, bi = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && cands[i]; i++) {
		size_t d = sc_edit_distance(word, cands[i]);

		if (d < best) {
			best = d;
			bi = i;
		}
	}
	if (best <= 2 || (best <= 3 && strlen(word) >= 8))
		snprintf(buf, 96, "; did you mean '%s'?", cands[bi]);
	return buf;
}

const char *sc_suggest_key(const char *word, char *buf)
{
	const char *keys[SC_NSCHEMA];

	for (size_t i = 0; i < SC_NSCHEMA; i++)
		keys[i] = sc_schema[i].key;
	return sc_suggest(word, keys, SC_NSCHEMA, buf);
}

int sc_find_ent(const char *key)
{
	for (size_t i = 0; i < SC_NSCHEMA; i++)
		if (!strcmp(sc_schema[i].key, key))
			return (int)i;
	return -1;
}

const char *sc_type_expect(const struct schema_ent *e, char *buf, size_t len)
{
	switch (e->type) {
	case T_SIZE: return "a size (16384, 16K, 64KiB, 1M)";
	case T_RATE: return "a rate (100mbit, 1gbit, or bytes per second: 12M)";
	case T_DUR: return "a duration (500ms, 2s; a bare number is seconds)";
	case T_INT:
		snprintf(buf, len, "a whole number from %llu to %llu%s", (unsigned long long)e->min,
		         (unsigned long long)e->max, e->flags & ZERO_OK ? ", or 0" : "");
		return buf;
	case T_BOOL: return "true or false";
	case T_STR:
		if (!e->max)
			return "a string";
		snprintf(buf, len, "a string of at most %llu characters", (unsigned long long)e->max);
		return buf;
	case T_KA: return "IDLE[,INTVL[,CNT]] (5s,1s,3: idle and interval in whole seconds, a count)";
	case T_ENUM: {
		size_t o = 0;

		o += (size_t)snprintf(buf + o, len - o, "one of");
		for (const char *const *v = e->enums; *v && o < len; v++)
			o += (size_t)snprintf(buf + o, len - o, "%s %s", v == e->enums ? "" : ",", *v);
		return buf;
	}
	}
	return "?";
}

static int parse_bool(const char *s, int *out)
{
	static const char *const t[] = { "true", "yes", "on", NULL }, *const f[] = { "false", "no", "off", NULL };

	for (int i = 0; t[i]; i++)
		if (!strcasecmp(s, t[i])) {
			*out = 1;
			return 0;
		}
	for (int i = 0; f[i]; i++)
		if (!strcasecmp(s, f[i])) {
			*out = 0;
			return 0;
		}
	return -1;
}

int sc_enum_index(const char *const *v, const char *s)
{
	for (int i = 0; v[i]; i++)
		if (!strcmp(v[i], s))
			return i;
	return -1;
}

/* v as a scenario would write it: a duration in the largest unit that
 * divides it (100ms, 24h), a size in T, G, M or K when whole (64K), else
 * the number. */
const char *sc_format_value(const struct schema_ent *e, uint64_t v, char *buf, size_t len)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} size[] = { { "T", 1ull << 40 }, { "G", 1ull << 30 }, { "M", 1ull << 20 }, { "K", 1ull << 10 }, { "", 1 } };

	if (e->type == T_DUR)
		return units_format_duration(v, buf, len);
	for (size_t i = 0; e->type == T_SIZE && v && i < sizeof size / sizeof size[0]; i++)
		if (v % size[i].mult == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(v / size[i].mult), size[i].name);
			return buf;
		}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* Whether v lies in e's range: "out of range [min, max]", or for a ZERO_OK
 * entry "out of range: 0 (not set), or [min, max]", in the units a
 * scenario writes. */
static int check_range(const struct schema_ent *e, uint64_t v, char *cause, size_t len)
{
	char lo[32], hi[32];

	if ((v == 0 && (e->flags & ZERO_OK)) || (v >= e->min && v <= e->max))
		return 0;
	snprintf(cause, len, "out of range%s[%s, %s]", e->flags & ZERO_OK ? ": 0 (not set), or " : " ",
	         sc_format_value(e, e->min, lo, sizeof lo), sc_format_value(e, e->max, hi, sizeof hi));
	return -1;
}

/* A keepalive: "" is the default, no keepalive; otherwise what tcpecho and
 * lwip-echod accept, with their parser, as IDLE << 32 | INTVL << 16 | CNT. */
static int parse_keepalive(const struct schema_ent *e, const char *s, uint64_t *out, char *cause, size_t len)
{
	struct sockopt_req ka;

	if (!*s) {
		*out = 0;
		return 0;
	}
	if (strlen(s) >= e->size) {
		snprintf(cause, len, "longer than %zu characters", e->size - 1);
		return -1;
	}
	sockopt_req_init(&ka);
	if (sockopt_parse_keepalive(s, &ka, cause, len) < 0)
		return -1;
	*out = (uint64_t)ka.ka_idle_s << 32 | (uint64_t)ka.ka_intvl_s << 16 | (uint64_t)ka.ka_cnt;
	return 0;
}

/* Parses s as entry e into *out: a number, the enum index, a boolean, a
 * keepalive as IDLE << 32 | INTVL << 16 | CNT (what compares them); strings: 0.
 * Returns 0, or -1 with the cause in cause. */
int sc_parse_value(const struct schema_ent *e, const char *s, uint64_t *out, char *cause,
                       size_t len)
{
	uint64_t v;
	size_t maxlen;
	int b, i;

	switch (e->type) {
	case T_SIZE:
		if (units_parse_size(s, 0, UINT64_MAX, &v, cause, len) < 0 || check_range(e, v, cause, len) < 0)
			return -1;
		*out = v;
		return 0;
	case T_RATE:
		return units_parse_rate(s, e->max, out, cause, len);
	case T_DUR:
		if (units_parse_duration(s, SEC, 0, UINT64_MAX, &v, cause, len) < 0 || check_range(e, v, cause, len) < 0)
			return -1;
		if ((e->flags & WHOLE_SEC) && v % SEC) {
			snprintf(cause, len, "not a whole number of seconds");
			return -1;
		}
		*out = v;
		return 0;
	case T_INT:
		if (units_parse_uint(s, 0, UINT64_MAX, &v, cause, len) < 0 || check_range(e, v, cause, len) < 0)
			return -1;
		*out = v;
		return 0;
	case T_BOOL:
		if (parse_bool(s, &b) < 0) {
			snprintf(cause, len, "not a boolean");
			return -1;
		}
		*out = (uint64_t)b;
		return 0;
	case T_ENUM:
		i = sc_enum_index(e->enums, s);
		if (i < 0) {
			char sug[96];

			snprintf(cause, len, "unknown value%s", sc_suggest(s, e->enums, 99, sug));
			return -1;
		}
		*out = (uint64_t)i;
		return 0;
	case T_KA:
		return parse_keepalive(e, s, out, cause, len);
	case T_STR:
		maxlen = e->max ? (size_t)e->max : e->size - 1;
		if (strlen(s) > maxlen) {
			snprintf(cause, len, "longer than %zu characters", maxlen);
			return -1;
		}
		*out = 0;
		return 0;
	}
	return -1;
}

/* Checks a scalar value for entry e and reports where it is wrong. */
int sc_check_value(struct scenario *sc, const struct schema_ent *e, const char *path,
                       const char *s, unsigned line, unsigned col)
{
	char cause[160], exp[160];
	uint64_t v;

	if (sc_parse_value(e, s, &v, cause, sizeof cause) < 0) {
		sc_error(sc, line, col, "%s: expected %s, found '%s': %s", path,
		          sc_type_expect(e, exp, sizeof exp), s, cause);
		return -1;
	}
	return 0;
}

/* Two values of ent equal after normalisation (64K == 65536, 1s == 1000ms,
 * yes == true, 5,1,3 == 5s,1s,3); strings and enums by name. */
int sc_same_value(int ent, const char *a, const char *b)
{
	uint64_t x, y;
	char cause[160];

	if (sc_schema[ent].type == T_STR || sc_schema[ent].type == T_ENUM)
		return !strcmp(a, b);
	if (sc_parse_value(&sc_schema[ent], a, &x, cause, sizeof cause) < 0 ||
	    sc_parse_value(&sc_schema[ent], b, &y, cause, sizeof cause) < 0)
		return 0;
	return x == y;
}

int scenario_value_number(const char *key, const char *raw, double *out)
{
	int ent = sc_find_ent(key);
	uint64_t v;
	char cause[128];

	if (ent < 0 || (sc_schema[ent].type != T_SIZE && sc_schema[ent].type != T_DUR && sc_schema[ent].type != T_INT &&
	                sc_schema[ent].type != T_RATE))
		return -1;
	if (sc_parse_value(&sc_schema[ent], raw, &v, cause, sizeof cause) < 0)
		return -1;
	*out = (double)v;
	return 0;
}

const char *scenario_axis_key(const struct scenario *sc, size_t a)
{
	return a < sc->naxes ? sc_schema[sc->axes[a].ent].key : NULL;
}
