/* scenario: a YAML scenario (libyaml) validated against one schema table,
 * expanded into a matrix of cells, each with its typed configuration. The
 * schema's limits are the programs' own (optlimits.h), and each cell is
 * checked with the rules of tcpecho's and echod's option parsers
 * (clientopt_rules_broken, serveropt_rules_broken), so what validates runs. */
#include "scenario.h"
#include "client.h"
#include "clientopt.h"
#include "fsutil.h"
#include "optlimits.h"
#include "server.h"
#include "serveropt.h"
#include "sockopt.h"
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* T_KA: SO_KEEPALIVE as IDLE[,INTVL[,CNT]] (sockopt_parse_keepalive). */
enum vtype { T_STR, T_ENUM, T_SIZE, T_DUR, T_INT, T_BOOL, T_RATE, T_KA };

#define ZERO_OK 1u            /* 0 (not set) is allowed besides [min, max] */
#define WHOLE_SEC 2u          /* durations: whole seconds only */

struct schema_ent {
	const char *key;      /* dotted */
	enum vtype type;
	const char *def;      /* default, as written in a scenario */
	const char *help;
	const char *const *enums;
	uint64_t min, max;    /* sizes, durations (us), ints; strings: longest (0: the field's size) */
	size_t off, size;     /* where it lands in struct cellcfg */
	unsigned flags;
};

/* In the order of the enums (enum target_kind, capture_keep): the index is the value a
 * cellcfg holds. The modes' names are the programs' tables (server_mode_names,
 * client_mode_names). */
static const char *const target_kinds[] = { "loopback", "netns", "remote", "lwip", NULL };
static const char *const keeps[] = { "always", "on-failure", "never", NULL };


#define F(field) offsetof(struct cellcfg, field), sizeof(((struct cellcfg *)0)->field)
#define SEC OPTLIM_SEC
#define DAY OPTLIM_DAY

static const struct schema_ent schema[] = {
	{ "target.kind", T_ENUM, "loopback", "where the echo server runs: loopback, netns (two namespaces and a veth), remote (a DUT), lwip (the emulated embedded target: lwip-echod on a TAP)", target_kinds, 0, 0, F(target.kind), 0 },
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
	{ "server.out_cap", T_SIZE, "64K", "event modes: pending echo per connection before reading pauses", NULL, OPTLIM_OUT_CAP_MIN, OPTLIM_OUT_CAP_MAX, F(server.out_cap), 0 },
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
#define NSCHEMA (sizeof schema / sizeof schema[0])

static const char *const top_keys[] = {
	"name", "description", "target", "server", "client", "matrix", "repeat", "capture",
	"detect", "baseline", "expect", "timeout", NULL,
};
static const char *const sections[] = { "target", "server", "client", "capture", "detect", "baseline", NULL };
static const char *const expect_keys[] = { "when", "outcome", "stall_cause", "ended_by", NULL };
static const char *const outcomes[] = { "completed", "deadlock", "alarm", "reset", "error", "corrupt", NULL };
static const char *const causes[] = { "probe_deadlock", "receiver_stall", "silent_peer", "abort", "idle", "none", NULL };
static const char *const enders[] = { "completion", "detector", "alarm", "peer", "stack", "verification", "error", NULL };

size_t scenario_schema(const struct scenario_key_doc **docs)
{
	static struct scenario_key_doc d[NSCHEMA];
	static const char *const tnames[] = { "string", "one of", "size", "duration", "integer", "boolean", "rate",
	                                      "keepalive" };

	for (size_t i = 0; i < NSCHEMA; i++) {
		d[i].key = schema[i].key;
		d[i].type = tnames[schema[i].type];
		d[i].def = schema[i].def;
		d[i].help = schema[i].help;
	}
	*docs = d;
	return NSCHEMA;
}

static void add_error(struct scenario *sc, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_error(struct scenario *sc, unsigned line, unsigned col, const char *fmt, ...)
{
	struct scenario_error e, *v;
	va_list ap;

	e.line = line;
	e.column = col;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof e.msg, fmt, ap);
	va_end(ap);
	/* The same combination error can come from many cells: keep one. */
	for (size_t i = 0; i < sc->nerrors; i++)
		if (sc->errors[i].line == line && sc->errors[i].column == col && !strcmp(sc->errors[i].msg, e.msg))
			return;
	if (sc->nerrors >= SCENARIO_MAX_ERRORS) {
		sc->errors_truncated = 1;
		return;
	}
	v = realloc(sc->errors, (sc->nerrors + 1) * sizeof *v);
	if (!v) {
		sc->oom = 1;
		return;
	}
	sc->errors = v;
	v[sc->nerrors++] = e;
}

void scenario_print_errors(const struct scenario *sc, FILE *out)
{
	/* In the order of the file; errors at one place keep the order they were found in. */
	for (size_t i = 1; i < sc->nerrors; i++) {
		struct scenario_error e = sc->errors[i];
		size_t j = i;

		while (j > 0 && (sc->errors[j - 1].line > e.line ||
		                 (sc->errors[j - 1].line == e.line && sc->errors[j - 1].column > e.column))) {
			sc->errors[j] = sc->errors[j - 1];
			j--;
		}
		sc->errors[j] = e;
	}
	for (size_t i = 0; i < sc->nerrors; i++) {
		if (sc->errors[i].line)
			fprintf(out, "%s:%u:%u: %s\n", sc->path, sc->errors[i].line, sc->errors[i].column,
			        sc->errors[i].msg);
		else
			fprintf(out, "%s: %s\n", sc->path, sc->errors[i].msg);
	}
	if (sc->errors_truncated)
		fprintf(out, "%s: more errors than these %u; fix these first\n", sc->path, SCENARIO_MAX_ERRORS);
}
/* Levenshtein distance, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
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
static const char *suggest(const char *word, const char *const *cands, size_t n, char *buf)
{
	size_t best = 99, bi = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && cands[i]; i++) {
		size_t d = edit_distance(word, cands[i]);

		if (d < best) {
			best = d;
			bi = i;
		}
	}
	if (best <= 2 || (best <= 3 && strlen(word) >= 8))
		snprintf(buf, 96, "; did you mean '%s'?", cands[bi]);
	return buf;
}

static int find_ent(const char *key)
{
	for (size_t i = 0; i < NSCHEMA; i++)
		if (!strcmp(schema[i].key, key))
			return (int)i;
	return -1;
}

static const char *type_expect(const struct schema_ent *e, char *buf, size_t len)
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

static int enum_index(const char *const *v, const char *s)
{
	for (int i = 0; v[i]; i++)
		if (!strcmp(v[i], s))
			return i;
	return -1;
}

/* "out of range: 0 (not set), or [min, max]" for a ZERO_OK entry's value. */
static int zero_or_range(const struct schema_ent *e, uint64_t v, char *cause, size_t len)
{
	const char *unit = e->type == T_DUR ? "us" : "";

	if (v == 0 || (v >= e->min && v <= e->max))
		return 0;
	snprintf(cause, len, "out of range: 0 (not set), or [%llu%s, %llu%s]", (unsigned long long)e->min, unit,
	         (unsigned long long)e->max, unit);
	return -1;
}

/* Parses s as entry e into *out: a number, the enum index, a boolean, a
 * keepalive as IDLE << 32 | INTVL << 16 | CNT (what compares them); strings: 0.
 * Returns 0, or -1 with the cause in cause. */
static int parse_value(const struct schema_ent *e, const char *s, uint64_t *out, char *cause,
                       size_t len)
{
	uint64_t lo = e->flags & ZERO_OK ? 0 : e->min, v;
	struct sockopt_req ka;
	size_t maxlen;
	int b, i;

	switch (e->type) {
	case T_SIZE:
		if (units_parse_size(s, lo, e->max, &v, cause, len) < 0 || zero_or_range(e, v, cause, len) < 0)
			return -1;
		*out = v;
		return 0;
	case T_RATE:
		return units_parse_rate(s, e->max, out, cause, len);
	case T_DUR:
		if (units_parse_duration(s, SEC, lo, e->max, &v, cause, len) < 0 || zero_or_range(e, v, cause, len) < 0)
			return -1;
		if ((e->flags & WHOLE_SEC) && v % SEC) {
			snprintf(cause, len, "not a whole number of seconds");
			return -1;
		}
		*out = v;
		return 0;
	case T_INT:
		if (units_parse_uint(s, lo, e->max, &v, cause, len) < 0 || zero_or_range(e, v, cause, len) < 0)
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
		i = enum_index(e->enums, s);
		if (i < 0) {
			char sug[96];

			snprintf(cause, len, "unknown value%s", suggest(s, e->enums, 99, sug));
			return -1;
		}
		*out = (uint64_t)i;
		return 0;
	case T_KA:
		/* "" is the default: no keepalive. Otherwise what tcpecho and
		 * lwip-echod accept, with their parser. */
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
static int check_value(struct scenario *sc, const struct schema_ent *e, const char *path,
                       const char *s, unsigned line, unsigned col)
{
	char cause[160], exp[160];
	uint64_t v;

	if (parse_value(e, s, &v, cause, sizeof cause) < 0) {
		add_error(sc, line, col, "%s: expected %s, found '%s': %s", path,
		          type_expect(e, exp, sizeof exp), s, cause);
		return -1;
	}
	return 0;
}

/* Two values of ent equal after normalisation (64K == 65536, 1s == 1000ms,
 * yes == true, 5,1,3 == 5s,1s,3); strings and enums by name. */
static int same_value(int ent, const char *a, const char *b)
{
	uint64_t x, y;
	char cause[160];

	if (schema[ent].type == T_STR || schema[ent].type == T_ENUM)
		return !strcmp(a, b);
	if (parse_value(&schema[ent], a, &x, cause, sizeof cause) < 0 ||
	    parse_value(&schema[ent], b, &y, cause, sizeof cause) < 0)
		return 0;
	return x == y;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

#define LINE(n) ((unsigned)(n)->start_mark.line + 1)
#define COL(n) ((unsigned)(n)->start_mark.column + 1)

/* strdup that records a failure in sc (scenario_load then returns NULL). */
static char *xstrdup(struct scenario *sc, const char *s)
{
	char *d = strdup(s);

	if (!d)
		sc->oom = 1;
	return d;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int is_null_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*scalar(n) || !strcmp(scalar(n), "~") || !strcmp(scalar(n), "null"));
}

/* --- loading --- */

struct keyref {
	const char *key;
	unsigned line, column;
	size_t order;
};

static int by_key(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* How the keys of mapping node id are named in messages: "" at the top,
 * "client." in a section, "baseline.iperf2." below it, "matrix: " in the
 * matrix, "expect: " in a rule and "expect: when: " in its when. */
static void key_prefix(yaml_document_t *doc, const int *parent, const int *via, int id, char *buf, size_t len)
{
	const char *comp[16];
	size_t n = 0, o = 0;

	buf[0] = 0;
	for (int cur = id; parent[cur]; cur = parent[cur]) {
		if (n == 16)
			return; /* deeper than any scenario: an alias loop */
		if (via[cur]) {
			yaml_node_t *k = yaml_document_get_node(doc, via[cur]);

			comp[n++] = k && k->type == YAML_SCALAR_NODE ? scalar(k) : "?";
		}
	}
	for (size_t i = n; i-- > 0 && o < len;) {
		int top = i == n - 1;
		const char *sep = top && (!strcmp(comp[i], "matrix") || !strcmp(comp[i], "expect")) ? ": " :
		                  !strcmp(comp[n - 1], "expect") ? ": " : ".";

		o += (size_t)snprintf(buf + o, len - o, "%s%s", comp[i], sep);
	}
}

/* A key given twice in any mapping of the document (libyaml keeps both and
 * the loader would silently take one): an error at the second, naming the
 * first. Each node is visited once, so aliases cost nothing. */
static void check_duplicate_keys(struct scenario *sc, yaml_document_t *doc)
{
	size_t nn = (size_t)(doc->nodes.top - doc->nodes.start);
	int *parent = calloc(nn + 1, sizeof *parent), *via = calloc(nn + 1, sizeof *via);
	struct keyref *keys = NULL;
	size_t cap = 0;

	if (!parent || !via) {
		sc->oom = 1;
		goto out;
	}
	/* The first container that holds a node is its parent (for the names). */
	for (size_t i = 0; i < nn; i++) {
		yaml_node_t *n = &doc->nodes.start[i];

		if (n->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
				if (p->value > 0 && (size_t)p->value <= nn && !parent[p->value] && p->value != 1) {
					parent[p->value] = (int)i + 1;
					via[p->value] = p->key;
				}
		} else if (n->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
				if (*it > 0 && (size_t)*it <= nn && !parent[*it] && *it != 1)
					parent[*it] = (int)i + 1;
		}
	}
	for (size_t i = 0; i < nn; i++) {
		yaml_node_t *n = &doc->nodes.start[i];
		size_t np = 0;
		char prefix[200];

		if (n->type != YAML_MAPPING_NODE)
			continue;
		np = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
		if (np < 2)
			continue;
		if (np > cap) {
			struct keyref *k2 = realloc(keys, np * sizeof *k2);

			if (!k2) {
				sc->oom = 1;
				goto out;
			}
			keys = k2;
			cap = np;
		}
		np = 0;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);

			if (!k || k->type != YAML_SCALAR_NODE)
				continue; /* reported by the loaders */
			keys[np].key = scalar(k);
			keys[np].line = LINE(k);
			keys[np].column = COL(k);
			keys[np].order = np;
			np++;
		}
		qsort(keys, np, sizeof *keys, by_key);
		prefix[0] = 0;
		for (size_t a = 0, b; a < np; a = b) {
			for (b = a + 1; b < np && !strcmp(keys[a].key, keys[b].key); b++) {
				if (!prefix[0])
					key_prefix(doc, parent, via, (int)i + 1, prefix, sizeof prefix);
				add_error(sc, keys[b].line, keys[b].column, "%s%s: given twice (first at %u:%u)", prefix,
				          keys[b].key, keys[a].line, keys[a].column);
			}
		}
	}
out:
	free(parent);
	free(via);
	free(keys);
}

/* A scalar value for key path at node v: checked, stored in sc->params. */
static void set_param(struct scenario *sc, const char *path, const yaml_node_t *k, const yaml_node_t *v,
                      const char *const *siblings, size_t nsib)
{
	int ei = find_ent(path);
	char sug[96];

	if (ei < 0) {
		const char *last = strrchr(path, '.');

		add_error(sc, LINE(k), COL(k), "%s: unknown key%s", path,
		          suggest(last ? last + 1 : path, siblings, nsib, sug));
		return;
	}
	if (sc->params[ei].set)
		return; /* a key given twice: check_duplicate_keys says so */
	if (v->type != YAML_SCALAR_NODE || is_null_scalar(v)) {
		char exp[160];

		add_error(sc, LINE(v), COL(v), "%s: expected %s, found %s", path,
		          type_expect(&schema[ei], exp, sizeof exp), is_null_scalar(v) ? "nothing" : node_kind(v));
		return;
	}
	if (check_value(sc, &schema[ei], path, scalar(v), LINE(v), COL(v)) < 0)
		return;
	sc->params[ei].v.raw = xstrdup(sc, scalar(v));
	if (!sc->params[ei].v.raw)
		return;
	sc->params[ei].set = 1;
	sc->params[ei].v.line = LINE(v);
	sc->params[ei].v.column = COL(v);
}

/* Whether some schema key lives below path ("baseline.iperf2" has ".port"). */
static int has_children(const char *path)
{
	size_t l = strlen(path);

	for (size_t i = 0; i < NSCHEMA; i++)
		if (!strncmp(schema[i].key, path, l) && schema[i].key[l] == '.')
			return 1;
	return 0;
}

static void load_section(struct scenario *sc, yaml_document_t *doc, const char *sec, yaml_node_t *m)
{
	const char *sib[NSCHEMA + 1];
	size_t nsib = 0, plen = strlen(sec);

	for (size_t i = 0; i < NSCHEMA; i++)
		if (!strncmp(schema[i].key, sec, plen) && schema[i].key[plen] == '.' && !strchr(schema[i].key + plen + 1, '.'))
			sib[nsib++] = schema[i].key + plen + 1;
	sib[nsib] = NULL;
	if (m->type != YAML_MAPPING_NODE) {
		add_error(sc, LINE(m), COL(m), "%s: expected a mapping of keys (%s: ...), found %s", sec,
		          sib[0], node_kind(m));
		return;
	}
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
		char path[160];

		if (k->type != YAML_SCALAR_NODE) {
			add_error(sc, LINE(k), COL(k), "%s: keys must be plain words", sec);
			continue;
		}
		snprintf(path, sizeof path, "%s.%s", sec, scalar(k));
		if (v->type == YAML_MAPPING_NODE && has_children(path)) {
			/* "iperf2: { port: 5001 }": the switch is on, its settings below. */
			int ei = find_ent(path);

			if (ei >= 0 && schema[ei].type == T_BOOL && !sc->params[ei].set) {
				sc->params[ei].v.raw = xstrdup(sc, "true");
				if (!sc->params[ei].v.raw)
					continue;
				sc->params[ei].set = 1;
				sc->params[ei].v.line = LINE(v);
				sc->params[ei].v.column = COL(v);
			}
			load_section(sc, doc, path, v);
			continue;
		}
		set_param(sc, path, k, v, sib, nsib);
	}
}

/* One value of an axis, normalised, for finding the same value twice. */
struct axval {
	uint64_t num;
	const char *str;        /* T_STR and T_ENUM compare by name */
	size_t idx;
};

static int axval_cmp(const struct axval *x, const struct axval *y)
{
	return x->str ? strcmp(x->str, y->str) : (x->num > y->num) - (x->num < y->num);
}

/* By value, then by place in the list: the first of equal values comes first. */
static int by_axval(const void *a, const void *b)
{
	const struct axval *x = a, *y = b;
	int c = axval_cmp(x, y);

	if (c)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The same value twice in one matrix list (blocking twice, or 64K and
 * 65536) gives cells with one id that run the same thing: refused. */
static void check_axis_duplicates(struct scenario *sc, const struct scenario_axis *ax)
{
	const struct schema_ent *e = &schema[ax->ent];
	struct axval *v;
	char cause[160];

	if (ax->n < 2)
		return;
	v = calloc(ax->n, sizeof *v);
	if (!v) {
		sc->oom = 1;
		return;
	}
	for (size_t i = 0; i < ax->n; i++) {
		v[i].idx = i;
		if (e->type == T_STR || e->type == T_ENUM)
			v[i].str = ax->values[i].raw;
		else if (parse_value(e, ax->values[i].raw, &v[i].num, cause, sizeof cause) < 0)
			v[i].num = 0; /* cannot happen: checked when loaded */
	}
	qsort(v, ax->n, sizeof *v, by_axval);
	for (size_t a = 0, b; a < ax->n; a = b)
		for (b = a + 1; b < ax->n && !axval_cmp(&v[a], &v[b]); b++) {
			const struct scenario_value *first = &ax->values[v[a].idx], *again = &ax->values[v[b].idx];

			add_error(sc, again->line, again->column,
			          "matrix: %s: value %s at %u:%u is the same as %s at %u:%u; give each value once "
			          "(the cells would repeat under one id)", e->key, again->raw, again->line, again->column,
			          first->raw, first->line, first->column);
		}
	free(v);
}

static void load_matrix(struct scenario *sc, yaml_document_t *doc, yaml_node_t *k, yaml_node_t *m)
{
	const char *keys[NSCHEMA + 1];
	char sug[96];

	for (size_t i = 0; i < NSCHEMA; i++)
		keys[i] = schema[i].key;
	keys[NSCHEMA] = NULL;
	if (m->type != YAML_MAPPING_NODE) {
		add_error(sc, LINE(m), COL(m), "matrix: expected a mapping of dotted keys to lists "
		          "(client.payload: [60000, 120000]), found %s", node_kind(m));
		return;
	}
	if (m->data.mapping.pairs.start == m->data.mapping.pairs.top) {
		add_error(sc, LINE(k), COL(k), "matrix: empty; give at least one key with a list of values, or remove it");
		return;
	}
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *ak = yaml_document_get_node(doc, p->key), *av = yaml_document_get_node(doc, p->value);
		struct scenario_axis *ax, *v;
		const char *key;
		size_t nitems;
		int ei;

		if (ak->type != YAML_SCALAR_NODE) {
			add_error(sc, LINE(ak), COL(ak), "matrix: keys must be dotted names like client.payload");
			continue;
		}
		key = scalar(ak);
		ei = find_ent(key);
		if (ei < 0) {
			add_error(sc, LINE(ak), COL(ak), "matrix: %s: unknown key%s", key,
			          suggest(key, keys, NSCHEMA, sug));
			continue;
		}
		for (size_t i = 0; i < sc->naxes; i++)
			if (sc->axes[i].ent == ei)
				ei = -1; /* a key given twice: check_duplicate_keys says so */
		if (ei < 0)
			continue;
		if (av->type != YAML_SEQUENCE_NODE) {
			add_error(sc, LINE(av), COL(av), "matrix: %s: expected a list of values ([a, b]), found %s",
			          key, node_kind(av));
			continue;
		}
		nitems = (size_t)(av->data.sequence.items.top - av->data.sequence.items.start);
		if (!nitems) {
			add_error(sc, LINE(av), COL(av), "matrix: %s: empty list; give at least one value", key);
			continue;
		}
		v = realloc(sc->axes, (sc->naxes + 1) * sizeof *v);
		if (!v) {
			sc->oom = 1;
			return;
		}
		sc->axes = v;
		ax = &v[sc->naxes];
		memset(ax, 0, sizeof *ax);
		ax->values = calloc(nitems, sizeof *ax->values);
		if (!ax->values) {
			sc->oom = 1;
			return;
		}
		sc->naxes++;
		ax->ent = ei;
		ax->line = LINE(ak);
		ax->column = COL(ak);
		for (yaml_node_item_t *it = av->data.sequence.items.start; it < av->data.sequence.items.top; it++) {
			yaml_node_t *val = yaml_document_get_node(doc, *it);
			char path[200];
			struct scenario_value *vv = &ax->values[ax->n];

			snprintf(path, sizeof path, "matrix: %s", key);
			if (val->type != YAML_SCALAR_NODE || is_null_scalar(val)) {
				char exp[160];

				add_error(sc, LINE(val), COL(val), "%s: expected %s, found %s", path,
				          type_expect(&schema[ei], exp, sizeof exp), node_kind(val));
				continue;
			}
			if (check_value(sc, &schema[ei], path, scalar(val), LINE(val), COL(val)) < 0)
				continue;
			vv->raw = xstrdup(sc, scalar(val));
			if (!vv->raw)
				return;
			vv->line = LINE(val);
			vv->column = COL(val);
			ax->n++;
		}
		check_axis_duplicates(sc, ax);
	}
}

static void copy_enum(struct scenario *sc, char *dst, size_t len, const char *const *allowed,
                      const char *what, const yaml_node_t *v)
{
	char sug[96];

	if (v->type != YAML_SCALAR_NODE) {
		add_error(sc, LINE(v), COL(v), "expect: %s: expected a word, found %s", what, node_kind(v));
		return;
	}
	if (enum_index(allowed, scalar(v)) < 0) {
		add_error(sc, LINE(v), COL(v), "expect: %s: unknown value '%s'%s", what, scalar(v),
		          suggest(scalar(v), allowed, 99, sug));
		return;
	}
	snprintf(dst, len, "%s", scalar(v));
}

static void load_when(struct scenario *sc, yaml_document_t *doc, struct scenario_expect *e, yaml_node_t *val)
{
	const char *keys[NSCHEMA + 1];
	char sug[96];

	for (size_t i = 0; i < NSCHEMA; i++)
		keys[i] = schema[i].key;
	keys[NSCHEMA] = NULL;
	if (val->type != YAML_MAPPING_NODE) {
		add_error(sc, LINE(val), COL(val), "expect: when: expected a mapping of dotted keys to values, found %s",
		          node_kind(val));
		return;
	}
	for (yaml_node_pair_t *w = val->data.mapping.pairs.start; w < val->data.mapping.pairs.top; w++) {
		yaml_node_t *wk = yaml_document_get_node(doc, w->key), *wv = yaml_document_get_node(doc, w->value);
		const char *wn = wk->type == YAML_SCALAR_NODE ? scalar(wk) : "?";
		int ei = find_ent(wn);
		char path[200];
		void *nw;

		if (ei < 0) {
			add_error(sc, LINE(wk), COL(wk), "expect: when: %s: unknown key%s", wn,
			          suggest(wn, keys, NSCHEMA, sug));
			continue;
		}
		snprintf(path, sizeof path, "expect: when: %s", wn);
		if (wv->type != YAML_SCALAR_NODE) {
			add_error(sc, LINE(wv), COL(wv), "%s: expected one value, found %s", path, node_kind(wv));
			continue;
		}
		if (check_value(sc, &schema[ei], path, scalar(wv), LINE(wv), COL(wv)) < 0)
			continue;
		nw = realloc(e->when, (e->nwhen + 1) * sizeof *e->when);
		if (!nw) {
			sc->oom = 1;
			return;
		}
		e->when = nw;
		e->when[e->nwhen].ent = ei;
		e->when[e->nwhen].v.raw = xstrdup(sc, scalar(wv));
		if (!e->when[e->nwhen].v.raw)
			return;
		e->when[e->nwhen].v.line = LINE(wv);
		e->when[e->nwhen].v.column = COL(wv);
		e->nwhen++;
	}
}

static void load_expect(struct scenario *sc, yaml_document_t *doc, yaml_node_t *s)
{
	char sug[96];

	if (s->type != YAML_SEQUENCE_NODE) {
		add_error(sc, LINE(s), COL(s), "expect: expected a list of rules (- when: {...}\\n  outcome: ...), found %s",
		          node_kind(s));
		return;
	}
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		yaml_node_t *r = yaml_document_get_node(doc, *it);
		struct scenario_expect *e, *v;

		if (r->type != YAML_MAPPING_NODE) {
			add_error(sc, LINE(r), COL(r), "expect: each rule is a mapping (when, outcome, stall_cause, ended_by), found %s",
			          node_kind(r));
			continue;
		}
		v = realloc(sc->expects, (sc->nexpects + 1) * sizeof *v);
		if (!v) {
			sc->oom = 1;
			return;
		}
		sc->expects = v;
		e = &v[sc->nexpects++];
		memset(e, 0, sizeof *e);
		e->line = LINE(r);
		for (yaml_node_pair_t *p = r->data.mapping.pairs.start; p < r->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key), *val = yaml_document_get_node(doc, p->value);
			const char *kn = k->type == YAML_SCALAR_NODE ? scalar(k) : "?";

			if (!strcmp(kn, "outcome")) {
				copy_enum(sc, e->outcome, sizeof e->outcome, outcomes, "outcome", val);
			} else if (!strcmp(kn, "stall_cause")) {
				copy_enum(sc, e->stall_cause, sizeof e->stall_cause, causes, "stall_cause", val);
			} else if (!strcmp(kn, "ended_by")) {
				copy_enum(sc, e->ended_by, sizeof e->ended_by, enders, "ended_by", val);
			} else if (!strcmp(kn, "when")) {
				load_when(sc, doc, e, val);
			} else {
				add_error(sc, LINE(k), COL(k), "expect: %s: unknown key%s", kn,
				          suggest(kn, expect_keys, 99, sug));
			}
		}
		if (!e->outcome[0] && !e->stall_cause[0] && !e->ended_by[0])
			add_error(sc, LINE(r), COL(r), "expect: a rule needs at least one of outcome, stall_cause, ended_by");
	}
}

static void load_root(struct scenario *sc, yaml_document_t *doc, yaml_node_t *root)
{
	char sug[96];

	if (!root) {
		add_error(sc, 1, 1, "empty scenario: expected a mapping with name, target, server, client ...");
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		add_error(sc, LINE(root), COL(root), "expected a mapping with name, target, server, client ..., found %s",
		          node_kind(root));
		return;
	}
	check_duplicate_keys(sc, doc);
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
		const char *kn;

		if (k->type != YAML_SCALAR_NODE) {
			add_error(sc, LINE(k), COL(k), "keys must be plain words");
			continue;
		}
		kn = scalar(k);
		if (!strcmp(kn, "name") || !strcmp(kn, "description")) {
			char *dst = kn[0] == 'n' ? sc->name : sc->description;
			size_t len = kn[0] == 'n' ? sizeof sc->name : sizeof sc->description;

			if (v->type != YAML_SCALAR_NODE || is_null_scalar(v)) {
				add_error(sc, LINE(v), COL(v), "%s: expected a string, found %s", kn,
				          is_null_scalar(v) ? "nothing" : node_kind(v));
				continue;
			}
			if (strlen(scalar(v)) >= len) {
				add_error(sc, LINE(v), COL(v), "%s: longer than %zu characters", kn, len - 1);
				continue;
			}
			snprintf(dst, len, "%s", scalar(v));
			if (dst == sc->name) {
				for (const char *c = dst; *c; c++)
					if (!isalnum((unsigned char)*c) && !strchr("._-", *c)) {
						add_error(sc, LINE(v), COL(v), "name: '%s' is used in result paths: "
						          "use letters, digits, '.', '_' and '-' only", dst);
						break;
					}
			}
		} else if (!strcmp(kn, "repeat")) {
			uint64_t r;
			char cause[128];

			if (v->type != YAML_SCALAR_NODE || units_parse_uint(scalar(v), 1, 1000, &r, cause, sizeof cause) < 0) {
				add_error(sc, LINE(v), COL(v), "repeat: expected a whole number from 1 to 1000, found %s%s%s",
				          v->type == YAML_SCALAR_NODE ? "'" : node_kind(v),
				          v->type == YAML_SCALAR_NODE ? scalar(v) : "", v->type == YAML_SCALAR_NODE ? "'" : "");
				continue;
			}
			sc->repeat = (unsigned)r;
		} else if (!strcmp(kn, "timeout")) {
			set_param(sc, "timeout", k, v, top_keys, 99);
		} else if (!strcmp(kn, "matrix")) {
			if (!sc->matrix_line) {
				sc->matrix_line = LINE(k);
				sc->matrix_column = COL(k);
			}
			load_matrix(sc, doc, k, v);
		} else if (!strcmp(kn, "expect")) {
			load_expect(sc, doc, v);
		} else if (enum_index(sections, kn) >= 0) {
			if (!strcmp(kn, "server") && !sc->has_server_section) {
				sc->has_server_section = 1;
				sc->server_line = LINE(k);
				sc->server_column = COL(k);
			}
			load_section(sc, doc, kn, v);
		} else {
			add_error(sc, LINE(k), COL(k), "%s: unknown key%s", kn, suggest(kn, top_keys, 99, sug));
		}
		if (sc->oom)
			return;
	}
	if (!sc->name[0])
		add_error(sc, 1, 1, "name: missing; every scenario needs a name (it names the results folder)");
}

/* --- cells --- */

static const char *value_of(const struct scenario *sc, const struct scenario_cell *cell, int ent)
{
	for (size_t a = 0; a < sc->naxes; a++)
		if (sc->axes[a].ent == ent)
			return sc->axes[a].values[cell->pick[a]].raw;
	return sc->params[ent].set ? sc->params[ent].v.raw : schema[ent].def;
}

/* Where the value a cell uses for ent was written (for error messages). */
static void place_of(const struct scenario *sc, const struct scenario_cell *cell, int ent,
                     unsigned *line, unsigned *col)
{
	*line = *col = 0;
	for (size_t a = 0; a < sc->naxes; a++)
		if (sc->axes[a].ent == ent) {
			*line = sc->axes[a].values[cell->pick[a]].line;
			*col = sc->axes[a].values[cell->pick[a]].column;
			return;
		}
	if (sc->params[ent].set) {
		*line = sc->params[ent].v.line;
		*col = sc->params[ent].v.column;
	}
}

static int is_axis(const struct scenario *sc, int ent)
{
	for (size_t a = 0; a < sc->naxes; a++)
		if (sc->axes[a].ent == ent)
			return 1;
	return 0;
}

/* Whether the scenario writes ent (in a section or the matrix) rather than
 * leaving it at its default. */
static int is_given(const struct scenario *sc, int ent)
{
	return sc->params[ent].set || is_axis(sc, ent);
}

const char *scenario_cell_value(const struct scenario *sc, const struct scenario_cell *cell,
                                const char *key)
{
	int ent = find_ent(key);

	return ent < 0 ? NULL : value_of(sc, cell, ent);
}

void scenario_cell_config(const struct scenario *sc, const struct scenario_cell *cell,
                          struct cellcfg *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NSCHEMA; i++) {
		const struct schema_ent *e = &schema[i];
		const char *s = value_of(sc, cell, (int)i);
		char *dst = (char *)cfg + e->off;
		char cause[160];
		uint64_t v = 0;

		if (e->type == T_STR || e->type == T_KA) {
			snprintf(dst, e->size, "%s", s);
			continue;
		}
		/* Validated at load time: a failure here cannot happen. */
		if (parse_value(e, s, &v, cause, sizeof cause) < 0)
			continue;
		if (e->size == sizeof(uint64_t))
			memcpy(dst, &v, sizeof v);
		else if (e->size == sizeof(unsigned)) {
			unsigned u = (unsigned)v;

			memcpy(dst, &u, sizeof u);
		}
	}
	if (!cfg->timeout_us)
		cfg->timeout_us = cfg->client.alarm_us + 30 * SEC;
}

static void sanitize(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++)
		out[o++] = isalnum((unsigned char)*in) || *in == '.' ? *in : '-';
	out[o] = 0;
}

static void make_id(const struct scenario *sc, struct scenario_cell *c)
{
	size_t o = 0;

	c->id[0] = 0;
	for (size_t a = 0; a < sc->naxes; a++) {
		const char *key = schema[sc->axes[a].ent].key, *last = strrchr(key, '.');
		char val[64];
		int dup = 0;

		last = last ? last + 1 : key;
		for (size_t b = 0; b < sc->naxes; b++) {
			const char *k2 = schema[sc->axes[b].ent].key, *l2 = strrchr(k2, '.');

			if (b != a && !strcmp(l2 ? l2 + 1 : k2, last))
				dup = 1;
		}
		sanitize(sc->axes[a].values[c->pick[a]].raw, val, sizeof val);
		o += (size_t)snprintf(c->id + o, sizeof c->id - o, "%s%s-%s", a ? "_" : "", dup ? key : last, val);
		if (o >= sizeof c->id)
			o = sizeof c->id - 1;
	}
	if (!sc->naxes)
		o += (size_t)snprintf(c->id + o, sizeof c->id - o, "cell");
	if (sc->repeat > 1 && o < sizeof c->id)
		snprintf(c->id + o, sizeof c->id - o, "_r%u", c->repeat);
}

/* The number of cells, computed with overflow checks before anything is
 * allocated for them: more than SCENARIO_MAX_CELLS is an error that says how
 * the number is made. Returns 0 when within the bound. */
static int bound_cells(struct scenario *sc, size_t *count)
{
	uint64_t n = sc->repeat;
	long double approx = sc->repeat;
	int over = 0;
	char how[300];
	size_t o = 0;

	how[0] = 0;
	for (size_t a = 0; a < sc->naxes; a++) {
		approx *= (long double)sc->axes[a].n;
		if (!over && __builtin_mul_overflow(n, (uint64_t)sc->axes[a].n, &n))
			over = 1;
		if (o < sizeof how)
			o += (size_t)snprintf(how + o, sizeof how - o, "%s%zu", a ? " x " : "", sc->axes[a].n);
	}
	if (!over && n <= SCENARIO_MAX_CELLS) {
		*count = (size_t)n;
		return 0;
	}
	if (over)
		add_error(sc, sc->matrix_line ? sc->matrix_line : 1, sc->matrix_line ? sc->matrix_column : 1,
		          "the matrix expands to about %.3Lg cells (%s, repeat %u), more than %u: split the scenario "
		          "or shorten its lists", approx, how, sc->repeat, SCENARIO_MAX_CELLS);
	else
		add_error(sc, sc->matrix_line ? sc->matrix_line : 1, sc->matrix_line ? sc->matrix_column : 1,
		          "the matrix expands to %llu cells (%s, repeat %u), more than %u: split the scenario "
		          "or shorten its lists", (unsigned long long)n, how, sc->repeat, SCENARIO_MAX_CELLS);
	return -1;
}

static int expand(struct scenario *sc, size_t n)
{
	size_t na = sc->naxes ? sc->naxes : 1;
	size_t *picks;

	sc->cells = calloc(n ? n : 1, sizeof *sc->cells);
	/* One block for every cell's picks (cells[0].pick owns it); n * na
	 * cannot overflow: n <= SCENARIO_MAX_CELLS, na <= the schema's size. */
	picks = calloc(n ? n * na : 1, sizeof *picks);
	if (!sc->cells || !picks) {
		free(sc->cells);
		free(picks);
		sc->cells = NULL;
		sc->oom = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct scenario_cell *c = &sc->cells[i];
		size_t rest = i / sc->repeat;

		c->repeat = (unsigned)(i % sc->repeat) + 1;
		c->pick = picks + i * na;
		/* The first axis varies slowest. */
		for (size_t a = sc->naxes; a-- > 0;) {
			c->pick[a] = rest % sc->axes[a].n;
			rest /= sc->axes[a].n;
		}
		make_id(sc, c);
	}
	if (!n)
		sc->cells[0].pick = picks; /* owned, freed with the cells */
	sc->ncells = n;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct scenario_cell *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* Two cells with one id would share a results folder: values that differ
 * only in characters an id cannot hold (or beyond its length) are refused. */
static void check_ids(struct scenario *sc)
{
	const struct scenario_cell **v;

	if (sc->ncells < 2)
		return;
	v = malloc(sc->ncells * sizeof *v);
	if (!v) {
		sc->oom = 1;
		return;
	}
	for (size_t i = 0; i < sc->ncells; i++)
		v[i] = &sc->cells[i];
	qsort(v, sc->ncells, sizeof *v, by_id);
	for (size_t i = 1; i < sc->ncells; i++)
		if (!strcmp(v[i - 1]->id, v[i]->id)) {
			add_error(sc, sc->matrix_line ? sc->matrix_line : 1, sc->matrix_line ? sc->matrix_column : 1,
			          "matrix: two cells get the same id '%s' (an id keeps the letters, digits and '.' of "
			          "each value, other characters become '-', and at most %zu characters): make the "
			          "values differ in what the id keeps", v[i]->id, sizeof v[i]->id - 1);
			break;
		}
	free(v);
}

/* "matrix target.kind, 6:18", "target.kind, 3:17" or "the default target.kind". */
static const char *origin(const struct scenario *sc, const struct scenario_cell *c, int ent, char *buf, size_t len)
{
	unsigned l, col;

	place_of(sc, c, ent, &l, &col);
	if (!l)
		snprintf(buf, len, "the default %s", schema[ent].key);
	else
		snprintf(buf, len, "%s%s, %u:%u", is_axis(sc, ent) ? "matrix " : "", schema[ent].key, l, col);
	return buf;
}

/* A setting a cell's target does not use: an error at the setting, naming
 * the target and where the cell's target comes from. */
static void not_for_target(struct scenario *sc, const struct scenario_cell *c, int ent, unsigned kind,
                           const char *verb, const char *why)
{
	unsigned l, col;
	char org[96];

	place_of(sc, c, ent, &l, &col);
	add_error(sc, l, col, "%s %s (%u:%u) %s target %s (%s): %s", schema[ent].key, value_of(sc, c, ent), l, col,
	          verb, target_kinds[kind], origin(sc, c, find_ent("target.kind"), org, sizeof org), why);
}

/* What a cell cannot be, checked on its effective configuration (base,
 * matrix and defaults together): the settings that do not apply to its
 * target, and the rules of the programs it runs, as their option parsers
 * check them (clientopt_rules_broken, serveropt_rules_broken). */
static void check_cell(struct scenario *sc, const struct scenario_cell *c)
{
	static const struct { const char *key, *why; } shaped[] = {
		{ "target.rate", "only netns and lwip cells are shaped" },
		{ "target.mtu", "only netns and lwip cells have a link of their own to set the MTU of" },
		{ "target.loss", "only netns and lwip cells drop packets (nftables)" },
		{ "target.blackhole_after", "only netns and lwip cells can blackhole the client (nftables)" },
	};
	static const struct { const char *key, *why; } remote_only[] = {
		{ "target.host", "only remote cells connect to a host of their own" },
		{ "target.port", "only remote cells connect to a port of their own" },
		{ "target.iface", "only remote cells capture on an interface of their own" },
		{ "baseline.iperf3.port", "only remote cells use a DUT's iperf3 server" },
		{ "baseline.iperf2.port", "only remote cells use a DUT's iperf2 server" },
	};
	struct cellcfg cfg;
	struct client_cfg cc;
	unsigned l, col, kind, broken;
	char org[96], a[32];
	int echod;

	scenario_cell_config(sc, c, &cfg);
	kind = cfg.target.kind;
	echod = kind == TARGET_LOOPBACK || kind == TARGET_NETNS;

	/* The target's own settings. */
	for (size_t k = 0; k < sizeof shaped / sizeof shaped[0]; k++) {
		int e = find_ent(shaped[k].key);
		uint64_t v = 0;
		char cause[160];

		if (kind != TARGET_NETNS && kind != TARGET_LWIP &&
		    parse_value(&schema[e], value_of(sc, c, e), &v, cause, sizeof cause) == 0 && v)
			not_for_target(sc, c, e, kind, "does not apply to", shaped[k].why);
	}
	if (kind == TARGET_LWIP && cfg.target.mtu > OPTLIM_LWIP_MTU_MAX)
		not_for_target(sc, c, find_ent("target.mtu"), kind, "is too large for",
		               "lwIP's buffers hold the frames of a 576-byte MTU at most");
	if (kind != TARGET_REMOTE)
		for (size_t k = 0; k < sizeof remote_only / sizeof remote_only[0]; k++) {
			int e = find_ent(remote_only[k].key);

			if (schema[e].type == T_STR ? *value_of(sc, c, e) != 0 : is_given(sc, e))
				not_for_target(sc, c, e, kind, "does not apply to", remote_only[k].why);
		}
	if (kind == TARGET_REMOTE) {
		if (sc->has_server_section)
			add_error(sc, sc->server_line, sc->server_column,
			          "server section (%u:%u) does not apply to target remote (%s): a remote target runs its own "
			          "echo server; remove the server section", sc->server_line, sc->server_column,
			          origin(sc, c, find_ent("target.kind"), org, sizeof org));
		if (!cfg.target.host[0] || !cfg.target.iface[0]) {
			place_of(sc, c, find_ent("target.kind"), &l, &col);
			add_error(sc, l, col, "target: kind remote needs target.host and target.iface");
		}
	}
	if (kind != TARGET_LWIP && cfg.server.keepalive[0])
		not_for_target(sc, c, find_ent("server.keepalive"), kind, "does not apply to",
		               "only lwip cells run lwip-echod, which takes it (echod has no keepalive)");
	if (kind == TARGET_LWIP) {
		if (cfg.server.mode == SERVER_SLOW)
			not_for_target(sc, c, find_ent("server.mode"), kind, "does not apply to",
			               "lwip-echod echoes (event, blocking) or stalls (stall)");
		if (cfg.server.stall_for_us)
			not_for_target(sc, c, find_ent("server.stall_for"), kind, "does not apply to",
			               "lwip-echod's stall never ends");
		if (cfg.server.idle_timeout_us)
			not_for_target(sc, c, find_ent("server.idle_timeout"), kind, "does not apply to",
			               "lwip-echod does not close idle connections");
		if (cfg.server.app_buf > OPTLIM_LWIP_APP_BUF_MAX)
			not_for_target(sc, c, find_ent("server.app_buf"), kind, "is too large for",
			               "lwip-echod writes at most 65535 bytes at once");
	}

	/* echod's rules, on the options the runner gives it (--stall-threshold,
	 * not --sample-interval: echod samples at its default). */
	if (echod) {
		struct server_cfg so;

		server_cfg_init(&so);
		so.mode = (enum server_mode)cfg.server.mode;
		so.stall_threshold_us = cfg.detect.stall_threshold_us;
		broken = serveropt_rules_broken(&so, cfg.server.stall_for_us != 0, 0);
		if (broken & SERVEROPT_RULE_STALL_FOR_MODE) {
			place_of(sc, c, find_ent("server.stall_for"), &l, &col);
			add_error(sc, l, col, "server.stall_for: applies to server.mode stall only, not %s (echod refuses "
			          "--stall-for in other modes)", value_of(sc, c, find_ent("server.mode")));
		}
		if (broken & SERVEROPT_RULE_SAMPLE_STALL) {
			place_of(sc, c, find_ent("detect.stall_threshold"), &l, &col);
			snprintf(a, sizeof a, "%llums", (unsigned long long)(so.sample_interval_us / 1000));
			add_error(sc, l, col, "detect.stall_threshold: %s is shorter than echod's sampling interval (%s) on "
			          "target %s (%s): echod refuses it", value_of(sc, c, find_ent("detect.stall_threshold")), a,
			          target_kinds[kind], origin(sc, c, find_ent("target.kind"), org, sizeof org));
		}
	}

	/* tcpecho's rules, on the options the runner gives it. */
	client_cfg_init(&cc);
	cc.mode = (enum client_mode)cfg.client.mode;
	cc.payload = cfg.client.payload;
	cc.times = cfg.client.times;
	cc.chunk = cfg.client.chunk;
	cc.parallel = (unsigned)cfg.client.parallel;
	cc.read_delay_us = cfg.client.read_delay_us;
	cc.stall_threshold_us = cfg.detect.stall_threshold_us;
	cc.sample_interval_us = cfg.detect.sample_interval_us;
	broken = clientopt_rules_broken(&cc, cc.mode == CLIENT_CHUNKED);
	if (broken & CLIENTOPT_RULE_CHUNK_PAYLOAD) {
		place_of(sc, c, find_ent("client.chunk"), &l, &col);
		if (!l)
			place_of(sc, c, find_ent("client.payload"), &l, &col);
		add_error(sc, l, col, "client.chunk: %s%s is larger than client.payload %s (cell %s)",
		          is_given(sc, find_ent("client.chunk")) ? "" : "the default ",
		          value_of(sc, c, find_ent("client.chunk")), value_of(sc, c, find_ent("client.payload")), c->id);
	}
	if (broken & CLIENTOPT_RULE_PARALLEL_MODE) {
		place_of(sc, c, find_ent("client.parallel"), &l, &col);
		add_error(sc, l, col, "client.parallel: %s connections need client.mode nonblocking, not %s (cell %s)",
		          value_of(sc, c, find_ent("client.parallel")), value_of(sc, c, find_ent("client.mode")), c->id);
	}
	if (broken & CLIENTOPT_RULE_READ_DELAY_MODE) {
		place_of(sc, c, find_ent("client.read_delay"), &l, &col);
		add_error(sc, l, col, "client.read_delay: needs client.mode split, not %s (cell %s)",
		          value_of(sc, c, find_ent("client.mode")), c->id);
	}
	if (broken & CLIENTOPT_RULE_SAMPLE_STALL) {
		place_of(sc, c, find_ent("detect.sample_interval"), &l, &col);
		if (!l)
			place_of(sc, c, find_ent("detect.stall_threshold"), &l, &col);
		add_error(sc, l, col, "detect.sample_interval: %s is longer than detect.stall_threshold %s: tcpecho "
		          "refuses it", value_of(sc, c, find_ent("detect.sample_interval")),
		          value_of(sc, c, find_ent("detect.stall_threshold")));
	}
	if (broken & CLIENTOPT_RULE_PAYLOAD_HELD) {
		place_of(sc, c, find_ent("client.payload"), &l, &col);
		add_error(sc, l, col, "client.payload: %s is more than client.mode %s can hold (%s): it sends from one "
		          "buffer of the whole payload; use a mode that streams it (nonblocking, chunked, split) or "
		          "a smaller payload", value_of(sc, c, find_ent("client.payload")), client_mode_name(cc.mode),
		          units_format_size(OPTLIM_PAYLOAD_HELD_MAX, a, sizeof a));
	}
	if (broken & CLIENTOPT_RULE_TOTAL) {
		place_of(sc, c, find_ent("client.payload"), &l, &col);
		add_error(sc, l, col, "client.payload: %s x client.times %s x client.parallel %s is more than %s in one cell",
		          value_of(sc, c, find_ent("client.payload")), value_of(sc, c, find_ent("client.times")),
		          value_of(sc, c, find_ent("client.parallel")), units_format_size(OPTLIM_TOTAL_MAX, a, sizeof a));
	}
	if (cfg.client.sndbuf && cfg.client.sndbuf < 1024) {
		place_of(sc, c, find_ent("client.sndbuf"), &l, &col);
		add_error(sc, l, col, "client.sndbuf: %s is below the kernel's minimum (1024 bytes after doubling)",
		          value_of(sc, c, find_ent("client.sndbuf")));
	}
}

static void syntax_error(struct scenario *sc, yaml_parser_t *parser, const unsigned char *buf, size_t len)
{
	unsigned line = (unsigned)parser->problem_mark.line + 1, col = (unsigned)parser->problem_mark.column + 1;
	size_t off = parser->problem_mark.index;
	int tab = off < len && buf[off] == '\t';

	add_error(sc, line, col, "YAML syntax: %s%s%s%s", parser->problem ? parser->problem : "error",
	          parser->context ? " (" : "", parser->context ? parser->context : "", parser->context ? ")" : "");
	if (tab)
		add_error(sc, line, col, "a tab character: YAML indents with spaces only");
}

struct scenario *scenario_load(const char *path, char *err, size_t errlen)
{
	struct scenario *sc;
	yaml_parser_t parser;
	yaml_document_t doc;
	unsigned char *buf;
	size_t len = 0, n = 0;

	buf = (unsigned char *)fs_read_file(path, 16u << 20, &len);
	if (!buf) {
		if (errno == EFBIG)
			snprintf(err, errlen, "%s: larger than 16 MiB, not a scenario", path);
		else if (errno == ENOMEM)
			snprintf(err, errlen, "%s: out of memory", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	sc = calloc(1, sizeof *sc);
	if (!sc || !(sc->params = calloc(NSCHEMA, sizeof *sc->params))) {
		free(sc);
		free(buf);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	for (size_t i = 0; i < NSCHEMA; i++)
		sc->params[i].ent = (int)i;
	snprintf(sc->path, sizeof sc->path, "%s", path);
	sc->repeat = 1;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(buf);
		scenario_free(sc);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR)
			sc->oom = 1;
		else
			syntax_error(sc, &parser, buf, len);
	} else {
		yaml_node_t *root = yaml_document_get_root_node(&doc);

		load_root(sc, &doc, root);
		yaml_document_delete(&doc);
		if (root && !sc->oom) {
			/* A second document would be silently ignored: say where it starts. */
			yaml_event_t ev;

			if (!yaml_parser_parse(&parser, &ev)) {
				if (parser.error == YAML_MEMORY_ERROR)
					sc->oom = 1;
				else
					syntax_error(sc, &parser, buf, len);
			} else {
				if (ev.type == YAML_DOCUMENT_START_EVENT)
					add_error(sc, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
					          "a scenario is one YAML document; a second starts at %u:%u",
					          (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1);
				yaml_event_delete(&ev);
			}
		}
		if (!sc->oom && bound_cells(sc, &n) == 0 && !sc->nerrors && expand(sc, n) == 0) {
			check_ids(sc);
			/* A cell's repeats share its configuration: check the first. */
			for (size_t i = 0; i < sc->ncells && !sc->oom; i++)
				if (sc->cells[i].repeat == 1)
					check_cell(sc, &sc->cells[i]);
		}
	}
	yaml_parser_delete(&parser);
	free(buf);
	if (sc->oom) {
		snprintf(err, errlen, "%s: out of memory while loading the scenario", path);
		scenario_free(sc);
		return NULL;
	}
	return sc;
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; sc->params && i < NSCHEMA; i++)
		free(sc->params[i].v.raw);
	free(sc->params);
	for (size_t a = 0; a < sc->naxes; a++) {
		for (size_t v = 0; v < sc->axes[a].n; v++)
			free(sc->axes[a].values[v].raw);
		free(sc->axes[a].values);
	}
	free(sc->axes);
	for (size_t e = 0; e < sc->nexpects; e++) {
		for (size_t w = 0; w < sc->expects[e].nwhen; w++)
			free(sc->expects[e].when[w].v.raw);
		free(sc->expects[e].when);
	}
	free(sc->expects);
	if (sc->cells)
		free(sc->cells[0].pick); /* every cell's picks, in one block */
	free(sc->cells);
	free(sc->errors);
	free(sc);
}

/* --- filters (--only) --- */

#define FILTER_MAX 4096
#define FILTER_TERMS 64

struct fterm {
	const char *key, *val;  /* into the caller's copy of the filter */
	const char *text;       /* the term as given, for messages */
	int ent;
};

/* Splits filter into terms, in buf (FILTER_MAX bytes) and text (as many):
 * a comma starts a term when the text after it, up to the next comma, has
 * a '='; otherwise it belongs to the value before it ("5s,1s,3"). Then
 * checks each key and value. Returns the number of terms, or -1 with err. */
static int filter_parse(const char *filter, char *buf, char *text, struct fterm *t, char *err, size_t errlen)
{
	size_t n = 0, len;
	char *p, *q;

	if (!filter || !*filter) {
		snprintf(err, errlen, "--only: empty filter; give KEY=VALUE, e.g. client.mode=blocking");
		return -1;
	}
	len = strlen(filter);
	if (len >= FILTER_MAX) {
		snprintf(err, errlen, "--only: the filter is longer than %d characters", FILTER_MAX - 1);
		return -1;
	}
	memcpy(buf, filter, len + 1);
	memcpy(text, filter, len + 1);
	for (p = buf, q = text;;) {
		char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		char *eq = memchr(p, '=', (size_t)(end - p));

		if (end == p) {
			snprintf(err, errlen, "--only '%s': an empty term (a comma at an end, or two together); "
			         "give KEY=VALUE[,KEY=VALUE...]", filter);
			return -1;
		}
		if (!eq && !n) {
			snprintf(err, errlen, "--only '%.*s': expected KEY=VALUE, e.g. client.mode=blocking",
			         (int)(end - p), p);
			return -1;
		}
		if (eq) {
			if (n == FILTER_TERMS) {
				snprintf(err, errlen, "--only: more than %d terms", FILTER_TERMS);
				return -1;
			}
			if (n) {
				p[-1] = 0; /* ends the term before */
				q[-1] = 0;
			}
			*eq = 0;
			t[n].key = p;
			t[n].val = eq + 1;
			t[n].text = q;
			n++;
		}
		if (!comma)
			break;
		q += comma + 1 - p;
		p = comma + 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *keys[NSCHEMA + 1];
		char sug[96], cause[160], exp[160];
		uint64_t v;

		t[i].ent = find_ent(t[i].key);
		if (t[i].ent < 0) {
			for (size_t k = 0; k < NSCHEMA; k++)
				keys[k] = schema[k].key;
			keys[NSCHEMA] = NULL;
			snprintf(err, errlen, "--only '%s': unknown key '%s'%s", t[i].text, t[i].key,
			         suggest(t[i].key, keys, NSCHEMA, sug));
			return -1;
		}
		if (!*t[i].val) {
			snprintf(err, errlen, "--only '%s': empty value; give %s=VALUE", t[i].text, t[i].key);
			return -1;
		}
		/* A name no enum has is a value no cell has: scenario_filter_check
		 * lists those this scenario has. */
		if (schema[t[i].ent].type != T_ENUM &&
		    parse_value(&schema[t[i].ent], t[i].val, &v, cause, sizeof cause) < 0) {
			snprintf(err, errlen, "--only '%s': %s: expected %s, found '%s': %s", t[i].text, t[i].key,
			         type_expect(&schema[t[i].ent], exp, sizeof exp), t[i].val, cause);
			return -1;
		}
	}
	return (int)n;
}

static int terms_match(const struct scenario *sc, const struct scenario_cell *cell, const struct fterm *t, int n)
{
	for (int i = 0; i < n; i++)
		if (!same_value(t[i].ent, value_of(sc, cell, t[i].ent), t[i].val))
			return 0;
	return 1;
}

int scenario_cell_matches(const struct scenario *sc, const struct scenario_cell *cell,
                          const char *filter, char *err, size_t errlen)
{
	char buf[FILTER_MAX], text[FILTER_MAX];
	struct fterm t[FILTER_TERMS];
	int n = filter_parse(filter, buf, text, t, err, errlen);

	return n < 0 ? -1 : terms_match(sc, cell, t, n);
}

/* The values of ent the cells of sc have, as written: "a, b, c". */
static void list_values(const struct scenario *sc, int ent, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t a = 0; a < sc->naxes; a++) {
		if (sc->axes[a].ent != ent)
			continue;
		for (size_t v = 0; v < sc->axes[a].n && o < len; v++) {
			if (v == 20 && sc->axes[a].n > 21) {
				snprintf(buf + o, len - o, " ... (%zu in all)", sc->axes[a].n);
				return;
			}
			o += (size_t)snprintf(buf + o, len - o, "%s%s", v ? ", " : "", sc->axes[a].values[v].raw);
		}
		return;
	}
	{
		const char *base = sc->params[ent].set ? sc->params[ent].v.raw : schema[ent].def;

		snprintf(buf, len, "%s", *base ? base : "\"\" (none)");
	}
}

/* "; did you mean X?" with the value of ent in sc nearest to val: by
 * number for numbers, by spelling for names (when close enough). */
static void nearest_value(const struct scenario *sc, int ent, const char *val, char *buf, size_t len)
{
	const struct schema_ent *e = &schema[ent];
	const struct scenario_axis *ax = NULL;
	const char *best = NULL;
	char cause[160];
	uint64_t x, y, bestd = UINT64_MAX;
	size_t bested = 99;

	buf[0] = 0;
	for (size_t a = 0; a < sc->naxes; a++)
		if (sc->axes[a].ent == ent)
			ax = &sc->axes[a];
	if (!ax)
		return; /* one value: it is in the list already */
	for (size_t v = 0; v < ax->n; v++) {
		const char *cand = ax->values[v].raw;

		if (e->type == T_STR || e->type == T_ENUM || e->type == T_KA || e->type == T_BOOL) {
			size_t d = edit_distance(val, cand);

			if (d < bested) {
				bested = d;
				best = cand;
			}
		} else if (parse_value(e, val, &x, cause, sizeof cause) == 0 &&
		           parse_value(e, cand, &y, cause, sizeof cause) == 0) {
			uint64_t d = x > y ? x - y : y - x;

			if (d < bestd) {
				bestd = d;
				best = cand;
			}
		}
	}
	if (best && (bestd != UINT64_MAX || bested <= 2 || (bested <= 3 && strlen(val) >= 8)))
		snprintf(buf, len, "; did you mean %s?", best);
}

int scenario_filter_check(const struct scenario *sc, const char *filter, char *err, size_t errlen)
{
	char buf[FILTER_MAX], text[FILTER_MAX];
	struct fterm t[FILTER_TERMS];
	int n = filter_parse(filter, buf, text, t, err, errlen), matches = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int found = 0;

		for (int j = 0; j < i; j++)
			if (t[j].ent == t[i].ent && !same_value(t[i].ent, t[j].val, t[i].val)) {
				snprintf(err, errlen, "--only '%s': %s is given twice with different values (%s and %s), so "
				         "no cell matches: the terms of a filter must all hold (commas mean AND, and so do "
				         "repeated --only)", filter, t[i].key, t[j].val, t[i].val);
				return -1;
			}
		if (is_axis(sc, t[i].ent)) {
			for (size_t a = 0; a < sc->naxes && !found; a++)
				if (sc->axes[a].ent == t[i].ent)
					for (size_t v = 0; v < sc->axes[a].n && !found; v++)
						found = same_value(t[i].ent, sc->axes[a].values[v].raw, t[i].val);
		} else {
			found = same_value(t[i].ent, sc->params[t[i].ent].set ? sc->params[t[i].ent].v.raw :
			                   schema[t[i].ent].def, t[i].val);
		}
		if (!found) {
			char vals[600], near[120];

			list_values(sc, t[i].ent, vals, sizeof vals);
			nearest_value(sc, t[i].ent, t[i].val, near, sizeof near);
			if (is_axis(sc, t[i].ent))
				snprintf(err, errlen, "--only '%s': no cell has %s %s; this scenario has %s%s", t[i].text,
				         t[i].key, t[i].val, vals, near);
			else
				snprintf(err, errlen, "--only '%s': no cell has %s %s; every cell of this scenario has %s "
				         "(it is not in the matrix)", t[i].text, t[i].key, t[i].val, vals);
			return -1;
		}
	}
	for (size_t c = 0; c < sc->ncells; c++)
		matches += terms_match(sc, &sc->cells[c], t, n);
	if (!matches) {
		snprintf(err, errlen, "--only '%s': no cell matches all of its terms", filter);
		return -1;
	}
	return matches;
}

int scenario_filter_join(char *dst, size_t dstlen, const char *add)
{
	size_t l = strlen(dst), al = strlen(add);

	if (l + (l ? 1 : 0) + al + 1 > dstlen)
		return -1;
	if (l)
		dst[l++] = ',';
	memcpy(dst + l, add, al + 1);
	return 0;
}

int scenario_check(const struct scenario *sc, const struct scenario_cell *cell,
                   const char *outcome, stall_cause_set found_causes, const char *ended_by,
                   int *failed, char *why, size_t whylen)
{
	int applied = 0;

	*failed = 0;
	why[0] = 0;
	for (size_t i = 0; i < sc->nexpects; i++) {
		const struct scenario_expect *e = &sc->expects[i];
		char msg[200] = "";
		int ok = 1;

		for (size_t w = 0; w < e->nwhen; w++)
			if (!same_value(e->when[w].ent, value_of(sc, cell, e->when[w].ent), e->when[w].v.raw))
				goto next;
		applied++;
		if (e->outcome[0] && strcmp(e->outcome, outcome)) {
			snprintf(msg, sizeof msg, "expected outcome %s, got %s (rule at line %u)", e->outcome, outcome, e->line);
			ok = 0;
		} else if (e->stall_cause[0]) {
			enum stall_cause want;
			int found = !strcmp(e->stall_cause, "none") ? !found_causes
			            : stall_cause_parse(e->stall_cause, &want) == 0 && (found_causes & STALL_CAUSE_BIT(want));

			if (!found) {
				char got[128];

				stall_cause_set_format(found_causes, got, sizeof got);
				snprintf(msg, sizeof msg, "expected stall cause %s, the analysis found %s (rule at line %u)",
				         e->stall_cause, found_causes ? got : "none", e->line);
				ok = 0;
			}
		}
		if (ok && e->ended_by[0] && strcmp(e->ended_by, ended_by)) {
			snprintf(msg, sizeof msg, "expected the run to end by %s, it ended by %s (rule at line %u)",
			         e->ended_by, ended_by, e->line);
			ok = 0;
		}
		if (!ok) {
			if (!*failed)
				snprintf(why, whylen, "%s", msg);
			(*failed)++;
		}
next:;
	}
	return applied;
}

unsigned scenario_shard_of(const char *id, unsigned n)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = id; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ull;
	}
	return n ? (unsigned)(h % n) + 1 : 1;
}

int scenario_value_number(const char *key, const char *raw, double *out)
{
	int ent = find_ent(key);
	uint64_t v;
	char cause[128];

	if (ent < 0 || (schema[ent].type != T_SIZE && schema[ent].type != T_DUR && schema[ent].type != T_INT &&
	                schema[ent].type != T_RATE))
		return -1;
	if (parse_value(&schema[ent], raw, &v, cause, sizeof cause) < 0)
		return -1;
	*out = (double)v;
	return 0;
}

const char *scenario_axis_key(const struct scenario *sc, size_t a)
{
	return a < sc->naxes ? schema[sc->axes[a].ent].key : NULL;
}
