/* scenario: a YAML scenario (libyaml) validated against one schema table,
 * expanded into a matrix of cells, each with its typed configuration. */
#include "scenario.h"
#include "fsutil.h"
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

enum vtype { T_STR, T_ENUM, T_SIZE, T_DUR, T_INT, T_BOOL, T_RATE };

struct schema_ent {
	const char *key;      /* dotted */
	enum vtype type;
	const char *def;      /* default, as written in a scenario */
	const char *help;
	const char *const *enums;
	uint64_t min, max;    /* sizes, durations (us), ints */
	size_t off, size;     /* where it lands in struct cellcfg */
};

static const char *const target_kinds[] = { "loopback", "netns", "remote", "lwip", NULL };
static const char *const server_modes[] = { "event", "blocking", "stall", "slow", NULL };
static const char *const client_modes[] = { "blocking", "nonblocking", "chunked", "split", "aware", NULL };
static const char *const keeps[] = { "always", "on-failure", "never", NULL };

#define F(field) offsetof(struct cellcfg, field), sizeof(((struct cellcfg *)0)->field)
#define SEC 1000000ull
#define DAY (86400 * SEC)

static const struct schema_ent schema[] = {
	{ "target.kind", T_ENUM, "loopback", "where the echo server runs: loopback, netns (two namespaces and a veth), remote (a DUT), lwip (the emulated embedded target: lwip-echod on a TAP)", target_kinds, 0, 0, F(target.kind) },
	{ "target.rate", T_RATE, "0", "netns, lwip: link rate, 100mbit or bytes/s (12M), shaped with tbf (0: unlimited)", NULL, 0, 1ull << 40, F(target.rate) },
	{ "target.mtu", T_INT, "0", "netns: MTU of the veth pair (0: 1500); lwip: MTU of the TAP (0: 576, what lwIP's buffers assume)", NULL, 0, 65535, F(target.mtu) },
	{ "target.loss", T_INT, "0", "netns: percent of packets dropped each way; lwip: of the client's packets (nftables)", NULL, 0, 100, F(target.loss) },
	{ "target.blackhole_after", T_DUR, "0", "netns, lwip: from this time into the cell on, drop everything the client sends (nftables): a silent peer", NULL, 0, DAY, F(target.blackhole_after_us) },
	{ "target.host", T_STR, "", "remote: the DUT's address", NULL, 0, 0, F(target.host) },
	{ "target.port", T_INT, "7", "remote: the DUT's echo port", NULL, 1, 65535, F(target.port) },
	{ "target.iface", T_STR, "", "remote: the interface towards the DUT, where the capture runs", NULL, 0, 0, F(target.iface) },
	{ "server.mode", T_ENUM, "event", "echod mode: event, blocking (the draft's inetd echo), stall, slow; lwip target: event or blocking mean lwIP's echo, stall its stall", server_modes, 0, 0, F(server.mode) },
	{ "server.app_buf", T_SIZE, "8192", "blocking mode: bytes per recv()", NULL, 1, 1ull << 30, F(server.app_buf) },
	{ "server.sndbuf", T_SIZE, "0", "SO_SNDBUF of echod's listening socket (0: kernel default)", NULL, 0, 1ull << 30, F(server.sndbuf) },
	{ "server.rcvbuf", T_SIZE, "0", "SO_RCVBUF of echod's listening socket (0: kernel default)", NULL, 0, 1ull << 30, F(server.rcvbuf) },
	{ "server.out_cap", T_SIZE, "64K", "event modes: pending echo per connection before reading pauses", NULL, 2, 1ull << 30, F(server.out_cap) },
	{ "server.rate", T_SIZE, "8K", "slow mode: bytes read per second", NULL, 1, 1ull << 40, F(server.rate) },
	{ "server.stall_for", T_DUR, "0", "stall mode: start echoing after this long (0: never)", NULL, 0, DAY, F(server.stall_for_us) },
	{ "server.keepalive", T_STR, "", "lwip target: lwip-echod's SO_KEEPALIVE as IDLE,INTVL,CNT in seconds (e.g. 5,5,3)", NULL, 0, 0, F(server.keepalive) },
	{ "server.idle_timeout", T_DUR, "0", "close connections idle this long (0: never)", NULL, 0, DAY, F(server.idle_timeout_us) },
	{ "client.mode", T_ENUM, "blocking", "tcpecho mode: blocking (the draft's), nonblocking, chunked, split, aware", client_modes, 0, 0, F(client.mode) },
	{ "client.payload", T_SIZE, "60000", "bytes per round", NULL, 1, 1ull << 40, F(client.payload) },
	{ "client.times", T_INT, "1", "rounds (the draft's -n)", NULL, 1, 1000000, F(client.times) },
	{ "client.chunk", T_SIZE, "8192", "chunked mode: bytes per send/echo step", NULL, 1, 1ull << 30, F(client.chunk) },
	{ "client.parallel", T_INT, "1", "nonblocking mode: connections", NULL, 1, 100000, F(client.parallel) },
	{ "client.sndbuf", T_SIZE, "0", "SO_SNDBUF before connect (0: kernel default)", NULL, 0, 1ull << 30, F(client.sndbuf) },
	{ "client.rcvbuf", T_SIZE, "0", "SO_RCVBUF before connect (0: kernel default)", NULL, 0, 1ull << 30, F(client.rcvbuf) },
	{ "client.maxseg", T_INT, "0", "TCP_MAXSEG before connect (0: default)", NULL, 0, 65535, F(client.maxseg) },
	{ "client.alarm", T_DUR, "20s", "give up after this long (the draft's -a)", NULL, SEC / 10, DAY, F(client.alarm_us) },
	{ "client.user_timeout", T_DUR, "0", "TCP_USER_TIMEOUT (0: not set)", NULL, 0, DAY, F(client.user_timeout_us) },
	{ "client.read_delay", T_DUR, "0", "split mode: the receiver starts reading only after this (a client that stops reading, then resumes)", NULL, 0, 3600 * SEC, F(client.read_delay_us) },
	{ "client.nodelay", T_BOOL, "false", "TCP_NODELAY", NULL, 0, 0, F(client.nodelay) },
	{ "client.abort", T_BOOL, "true", "abort (RST) as soon as a deadlock is detected; false waits for the alarm like the draft", NULL, 0, 0, F(client.abort) },
	{ "client.keepalive", T_STR, "", "SO_KEEPALIVE as IDLE[,INTVL[,CNT]], e.g. 5s,1s,3", NULL, 0, 0, F(client.keepalive) },
	{ "capture.enabled", T_BOOL, "true", "capture each cell's traffic and analyse it", NULL, 0, 0, F(capture.enabled) },
	{ "capture.snaplen", T_INT, "128", "bytes kept per packet", NULL, 64, 262144, F(capture.snaplen) },
	{ "capture.keep", T_ENUM, "on-failure", "keep the pcap: always, on-failure (a failed expectation or error), never", keeps, 0, 0, F(capture.keep) },
	{ "detect.stall_threshold", T_DUR, "500ms", "no byte progress this long is a stall (client and analysis)", NULL, 1000, 3600 * SEC, F(detect.stall_threshold_us) },
	{ "detect.sample_interval", T_DUR, "50ms", "client TCP_INFO sampling period", NULL, 1000, 60 * SEC, F(detect.sample_interval_us) },
	{ "baseline.iperf3", T_BOOL, "false", "measure each target with iperf3 before the cells (true, or { port: N } for a DUT's server)", NULL, 0, 0, F(baseline.iperf3) },
	{ "baseline.iperf3.port", T_INT, "5201", "remote: the DUT's iperf3 server port", NULL, 1, 65535, F(baseline.iperf3_port) },
	{ "baseline.iperf2", T_BOOL, "false", "measure with iperf2 too: what lwIP's lwiperf speaks (true, or { port: N })", NULL, 0, 0, F(baseline.iperf2) },
	{ "baseline.iperf2.port", T_INT, "5001", "remote: the DUT's iperf2 server port", NULL, 1, 65535, F(baseline.iperf2_port) },
	{ "baseline.duration", T_DUR, "2s", "how long each baseline measurement runs", NULL, SEC / 2, 600 * SEC, F(baseline.duration_us) },
	{ "timeout", T_DUR, "0", "a cell running longer is stopped and recorded as error (0: alarm + 30 s)", NULL, 0, DAY, F(timeout_us) },
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
	static const char *const tnames[] = { "string", "one of", "size", "duration", "integer", "boolean", "rate" };

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
	struct scenario_error *e, *v;
	va_list ap;

	v = realloc(sc->errors, (sc->nerrors + 1) * sizeof *v);
	if (!v)
		return;
	sc->errors = v;
	e = &v[sc->nerrors];
	e->line = line;
	e->column = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	/* The same combination error can come from many cells: keep one. */
	for (size_t i = 0; i < sc->nerrors; i++)
		if (v[i].line == line && v[i].column == col && !strcmp(v[i].msg, e->msg))
			return;
	sc->nerrors++;
}

static int by_place(const void *a, const void *b)
{
	const struct scenario_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->column < y->column ? -1 : x->column > y->column;
}

void scenario_print_errors(const struct scenario *sc, FILE *out)
{
	qsort(sc->errors, sc->nerrors, sizeof *sc->errors, by_place);
	for (size_t i = 0; i < sc->nerrors; i++) {
		if (sc->errors[i].line)
			fprintf(out, "%s:%u:%u: %s\n", sc->path, sc->errors[i].line, sc->errors[i].column,
			        sc->errors[i].msg);
		else
			fprintf(out, "%s: %s\n", sc->path, sc->errors[i].msg);
	}
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
	case T_INT: snprintf(buf, len, "a whole number from %llu to %llu", (unsigned long long)e->min,
	                     (unsigned long long)e->max); return buf;
	case T_BOOL: return "true or false";
	case T_STR: return "a string";
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

/* Parses s as entry e into *out (a number, or the enum index; strings: 0).
 * Returns 0, or -1 with the cause in cause. */
static int parse_value(const struct schema_ent *e, const char *s, uint64_t *out, char *cause,
                       size_t len)
{
	int b, i;

	switch (e->type) {
	case T_SIZE:
		return units_parse_size(s, e->min, e->max, out, cause, len);
	case T_RATE:
		return units_parse_rate(s, e->max, out, cause, len);
	case T_DUR:
		return units_parse_duration(s, SEC, e->min, e->max, out, cause, len);
	case T_INT:
		return units_parse_uint(s, e->min, e->max, out, cause, len);
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
	case T_STR:
		if (strlen(s) >= e->size) {
			snprintf(cause, len, "longer than %zu characters", e->size - 1);
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

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort(); /* scenario files are small: out of memory here is not recoverable */
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
	if (v->type != YAML_SCALAR_NODE || is_null_scalar(v)) {
		char exp[160];

		add_error(sc, LINE(v), COL(v), "%s: expected %s, found %s", path,
		          type_expect(&schema[ei], exp, sizeof exp), is_null_scalar(v) ? "nothing" : node_kind(v));
		return;
	}
	if (sc->params[ei].set) {
		add_error(sc, LINE(k), COL(k), "%s: given twice (first at line %u)", path, sc->params[ei].v.line);
		return;
	}
	if (check_value(sc, &schema[ei], path, scalar(v), LINE(v), COL(v)) < 0)
		return;
	sc->params[ei].set = 1;
	sc->params[ei].v.raw = xstrdup(scalar(v));
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
				sc->params[ei].set = 1;
				sc->params[ei].v.raw = xstrdup("true");
				sc->params[ei].v.line = LINE(v);
				sc->params[ei].v.column = COL(v);
			}
			load_section(sc, doc, path, v);
			continue;
		}
		set_param(sc, path, k, v, sib, nsib);
	}
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
			if (sc->axes[i].ent == ei) {
				add_error(sc, LINE(ak), COL(ak), "matrix: %s: given twice", key);
				ei = -1;
			}
		if (ei < 0)
			continue;
		if (av->type != YAML_SEQUENCE_NODE) {
			add_error(sc, LINE(av), COL(av), "matrix: %s: expected a list of values ([a, b]), found %s",
			          key, node_kind(av));
			continue;
		}
		if (av->data.sequence.items.start == av->data.sequence.items.top) {
			add_error(sc, LINE(av), COL(av), "matrix: %s: empty list; give at least one value", key);
			continue;
		}
		v = realloc(sc->axes, (sc->naxes + 1) * sizeof *v);
		if (!v)
			abort();
		sc->axes = v;
		ax = &v[sc->naxes++];
		memset(ax, 0, sizeof *ax);
		ax->ent = ei;
		ax->line = LINE(ak);
		ax->column = COL(ak);
		for (yaml_node_item_t *it = av->data.sequence.items.start; it < av->data.sequence.items.top; it++) {
			yaml_node_t *val = yaml_document_get_node(doc, *it);
			char path[200];
			struct scenario_value *vv;

			snprintf(path, sizeof path, "matrix: %s", key);
			if (val->type != YAML_SCALAR_NODE || is_null_scalar(val)) {
				char exp[160];

				add_error(sc, LINE(val), COL(val), "%s: expected %s, found %s", path,
				          type_expect(&schema[ei], exp, sizeof exp), node_kind(val));
				continue;
			}
			if (check_value(sc, &schema[ei], path, scalar(val), LINE(val), COL(val)) < 0)
				continue;
			vv = realloc(ax->values, (ax->n + 1) * sizeof *vv);
			if (!vv)
				abort();
			ax->values = vv;
			vv[ax->n].raw = xstrdup(scalar(val));
			vv[ax->n].line = LINE(val);
			vv[ax->n].column = COL(val);
			ax->n++;
		}
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

static void load_expect(struct scenario *sc, yaml_document_t *doc, yaml_node_t *s)
{
	const char *keys[NSCHEMA + 1];
	char sug[96];

	for (size_t i = 0; i < NSCHEMA; i++)
		keys[i] = schema[i].key;
	keys[NSCHEMA] = NULL;
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
		if (!v)
			abort();
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
				if (val->type != YAML_MAPPING_NODE) {
					add_error(sc, LINE(val), COL(val), "expect: when: expected a mapping of dotted keys to values, found %s",
					          node_kind(val));
					continue;
				}
				for (yaml_node_pair_t *w = val->data.mapping.pairs.start; w < val->data.mapping.pairs.top; w++) {
					yaml_node_t *wk = yaml_document_get_node(doc, w->key), *wv = yaml_document_get_node(doc, w->value);
					const char *wn = wk->type == YAML_SCALAR_NODE ? scalar(wk) : "?";
					int ei = find_ent(wn);
					char path[200];

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
					e->when = realloc(e->when, (e->nwhen + 1) * sizeof *e->when);
					if (!e->when)
						abort();
					e->when[e->nwhen].ent = ei;
					e->when[e->nwhen].v.raw = xstrdup(scalar(wv));
					e->when[e->nwhen].v.line = LINE(wv);
					e->when[e->nwhen].v.column = COL(wv);
					e->nwhen++;
				}
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
	unsigned server_line = 0, server_col = 0;

	if (!root) {
		add_error(sc, 1, 1, "empty scenario: expected a mapping with name, target, server, client ...");
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		add_error(sc, LINE(root), COL(root), "expected a mapping with name, target, server, client ..., found %s",
		          node_kind(root));
		return;
	}
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
			load_matrix(sc, doc, k, v);
		} else if (!strcmp(kn, "expect")) {
			load_expect(sc, doc, v);
		} else if (enum_index(sections, kn) >= 0) {
			if (!strcmp(kn, "server")) {
				sc->has_server_section = 1;
				server_line = LINE(k);
				server_col = COL(k);
			}
			load_section(sc, doc, kn, v);
		} else {
			add_error(sc, LINE(k), COL(k), "%s: unknown key%s", kn, suggest(kn, top_keys, 99, sug));
		}
	}
	if (!sc->name[0])
		add_error(sc, 1, 1, "name: missing; every scenario needs a name (it names the results folder)");
	sc->has_server_section = sc->has_server_section ? (int)(server_line << 16 | server_col) : 0;
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
		char cause[128];
		uint64_t v = 0;

		if (e->type == T_STR) {
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

static void expand(struct scenario *sc)
{
	size_t n = sc->repeat, *idx;

	for (size_t a = 0; a < sc->naxes; a++)
		n *= sc->axes[a].n;
	sc->cells = calloc(n ? n : 1, sizeof *sc->cells);
	idx = calloc(sc->naxes ? sc->naxes : 1, sizeof *idx);
	if (!sc->cells || !idx)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct scenario_cell *c = &sc->cells[i];
		size_t rest = i / sc->repeat;

		c->repeat = (unsigned)(i % sc->repeat) + 1;
		c->pick = calloc(sc->naxes ? sc->naxes : 1, sizeof *c->pick);
		if (!c->pick)
			abort();
		/* The first axis varies slowest. */
		for (size_t a = sc->naxes; a-- > 0;) {
			c->pick[a] = rest % sc->axes[a].n;
			rest /= sc->axes[a].n;
		}
		make_id(sc, c);
	}
	sc->ncells = n;
	free(idx);
}

static int is_axis(const struct scenario *sc, int ent)
{
	for (size_t a = 0; a < sc->naxes; a++)
		if (sc->axes[a].ent == ent)
			return 1;
	return 0;
}

/* What a cell cannot be, whatever the single values are. */
static void check_combinations(struct scenario *sc)
{
	for (size_t i = 0; i < sc->ncells; i++) {
		const struct scenario_cell *c = &sc->cells[i];
		struct cellcfg cfg;
		unsigned l, col;

		scenario_cell_config(sc, c, &cfg);
		if (cfg.client.mode == 2 /* chunked */ && cfg.client.chunk > cfg.client.payload) {
			place_of(sc, c, find_ent("client.chunk"), &l, &col);
			add_error(sc, l, col, "client.chunk: %s is larger than client.payload %s (cell %s)",
			          value_of(sc, c, find_ent("client.chunk")), value_of(sc, c, find_ent("client.payload")), c->id);
		}
		if (cfg.client.parallel > 1 && cfg.client.mode != 1 /* nonblocking */) {
			place_of(sc, c, find_ent("client.parallel"), &l, &col);
			add_error(sc, l, col, "client.parallel: %s connections need client.mode nonblocking, not %s (cell %s)",
			          value_of(sc, c, find_ent("client.parallel")), value_of(sc, c, find_ent("client.mode")), c->id);
		}
		if (cfg.target.kind == TARGET_REMOTE) {
			if (sc->has_server_section)
				add_error(sc, (unsigned)sc->has_server_section >> 16, (unsigned)sc->has_server_section & 0xffff,
				          "server: a remote target runs its own echo server; remove the server section "
				          "(cell %s)", c->id);
			if (!cfg.target.host[0] || !cfg.target.iface[0]) {
				place_of(sc, c, find_ent("target.kind"), &l, &col);
				add_error(sc, l, col, "target: kind remote needs target.host and target.iface");
			}
		} else if (cfg.target.host[0] || cfg.target.iface[0]) {
			place_of(sc, c, find_ent(cfg.target.host[0] ? "target.host" : "target.iface"), &l, &col);
			add_error(sc, l, col, "target.%s: applies to kind remote only", cfg.target.host[0] ? "host" : "iface");
		}
		/* With target.kind in the matrix, the netns settings apply to its
		 * netns and lwip cells and the other targets ignore them. */
		if (cfg.target.kind != TARGET_NETNS && cfg.target.kind != TARGET_LWIP && !is_axis(sc, find_ent("target.kind"))) {
			static const char *const netns_only[] = { "target.rate", "target.mtu", "target.loss",
			                                          "target.blackhole_after" };

			for (size_t k = 0; k < 4; k++) {
				int e = find_ent(netns_only[k]);

				if (strcmp(value_of(sc, c, e), "0") != 0) {
					place_of(sc, c, e, &l, &col);
					add_error(sc, l, col, "%s: applies to target.kind netns or lwip only (cell %s is %s)",
					          netns_only[k], c->id, value_of(sc, c, find_ent("target.kind")));
				}
			}
		}
		if (cfg.client.read_delay_us && cfg.client.mode != 3 /* split */) {
			place_of(sc, c, find_ent("client.read_delay"), &l, &col);
			add_error(sc, l, col, "client.read_delay: needs client.mode split, not %s (cell %s)",
			          value_of(sc, c, find_ent("client.mode")), c->id);
		}
		if (cfg.target.kind == TARGET_LWIP && cfg.server.mode == 3 /* slow */) {
			place_of(sc, c, find_ent("server.mode"), &l, &col);
			add_error(sc, l, col, "server.mode: slow is not available on the lwip target (echo or stall)");
		}
		if (cfg.target.kind != TARGET_LWIP && cfg.server.keepalive[0] && !is_axis(sc, find_ent("target.kind"))) {
			place_of(sc, c, find_ent("server.keepalive"), &l, &col);
			add_error(sc, l, col, "server.keepalive: applies to the lwip target only");
		}
		if (cfg.client.sndbuf && cfg.client.sndbuf < 1024) {
			place_of(sc, c, find_ent("client.sndbuf"), &l, &col);
			add_error(sc, l, col, "client.sndbuf: %s is below the kernel's minimum (1024 bytes after doubling)",
			          value_of(sc, c, find_ent("client.sndbuf")));
		}
	}
}

struct scenario *scenario_load(const char *path, char *err, size_t errlen)
{
	struct scenario *sc;
	yaml_parser_t parser;
	yaml_document_t doc;
	unsigned char *buf;
	size_t len = 0;

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
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < NSCHEMA; i++)
		sc->params[i].ent = (int)i;
	snprintf(sc->path, sizeof sc->path, "%s", path);
	sc->repeat = 1;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		free(buf);
		scenario_free(sc);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		unsigned line = (unsigned)parser.problem_mark.line + 1, col = (unsigned)parser.problem_mark.column + 1;
		size_t off = parser.problem_mark.index;
		int tab = off < len && buf[off] == '\t';

		add_error(sc, line, col, "YAML syntax: %s%s%s%s", parser.problem ? parser.problem : "error",
		          parser.context ? " (" : "", parser.context ? parser.context : "", parser.context ? ")" : "");
		if (tab)
			add_error(sc, line, col, "a tab character: YAML indents with spaces only");
	} else {
		load_root(sc, &doc, yaml_document_get_root_node(&doc));
		yaml_document_delete(&doc);
		if (!sc->nerrors) {
			expand(sc);
			check_combinations(sc);
		}
	}
	yaml_parser_delete(&parser);
	free(buf);
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
	for (size_t c = 0; c < sc->ncells; c++)
		free(sc->cells[c].pick);
	free(sc->cells);
	free(sc->errors);
	free(sc);
}

/* Two values of ent equal after normalisation (64K == 65536). */
static int same_value(int ent, const char *a, const char *b)
{
	uint64_t x, y;
	char cause[128];

	if (schema[ent].type == T_STR || schema[ent].type == T_ENUM)
		return !strcmp(a, b);
	if (parse_value(&schema[ent], a, &x, cause, sizeof cause) < 0 ||
	    parse_value(&schema[ent], b, &y, cause, sizeof cause) < 0)
		return 0;
	return x == y;
}

int scenario_cell_matches(const struct scenario *sc, const struct scenario_cell *cell,
                          const char *filter, char *err, size_t errlen)
{
	char buf[1024], *save = NULL, *tok;
	int match = 1;

	if (strlen(filter) >= sizeof buf) {
		snprintf(err, errlen, "--only: filter too long");
		return -1;
	}
	strcpy(buf, filter);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), sug[96];
		const char *keys[NSCHEMA + 1];
		int ent;

		if (!eq) {
			snprintf(err, errlen, "--only '%s': expected key=value (client.mode=blocking)", tok);
			return -1;
		}
		*eq = 0;
		ent = find_ent(tok);
		if (ent < 0) {
			for (size_t i = 0; i < NSCHEMA; i++)
				keys[i] = schema[i].key;
			keys[NSCHEMA] = NULL;
			snprintf(err, errlen, "--only '%s': unknown key%s", tok, suggest(tok, keys, NSCHEMA, sug));
			return -1;
		}
		if (!same_value(ent, value_of(sc, cell, ent), eq + 1))
			match = 0;
	}
	return match;
}

int scenario_check(const struct scenario *sc, const struct scenario_cell *cell,
                   const char *outcome, const char *causes_list, const char *ended_by,
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
			int found;

			if (!strcmp(e->stall_cause, "none")) {
				found = !causes_list[0];
			} else {
				size_t l = strlen(e->stall_cause);
				const char *p = causes_list;

				found = 0;
				while ((p = strstr(p, e->stall_cause))) {
					if ((p == causes_list || p[-1] == ',') && (p[l] == 0 || p[l] == ','))
						found = 1;
					p += l;
				}
			}
			if (!found) {
				snprintf(msg, sizeof msg, "expected stall cause %s, the analysis found %s (rule at line %u)",
				         e->stall_cause, causes_list[0] ? causes_list : "none", e->line);
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
