/* analysis_json: the analysis document (`probelock analyze --json`, README
 * "Seeing it on the wire"). One definition of it (the builders below) and one
 * encoder (jansson): analysis_to_json() gives the whole tree (the scenario
 * cell keeps it); analysis_write_json() dumps the same tree piece by piece
 * (its head, then each connection and each frame as its own small tree), so a
 * capture of many connections or frames never holds the whole tree. It costs
 * more time than the hand-written writer it replaced (house rule: no
 * hand-written JSON): about 30 us per connection, 50 us with a stall
 * (0.034 -> 0.055 s on 720 connections of real traffic, 0.075 -> 0.17 s on
 * 2,000 generated ones: bench/README.md). */
#include "analysis.h"
#include "pcapin.h"

#include <stdlib.h>
#include <string.h>

#define DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)

/* A JSON string of s. jansson takes only UTF-8; a string that is not (a
 * path is any bytes) is given with each byte that does not start a valid
 * UTF-8 character replaced by U+FFFD, so the document stays valid JSON and
 * says where the bytes were. Which bytes are valid is jansson's rule, not
 * ours: a character is the shortest run of 1 to 4 bytes jansson accepts as a
 * string. NULL only when out of memory. */
static json_t *text_json(const char *s)
{
	json_t *j = json_string(s);
	size_t len = strlen(s), n = 0;
	char *out;

	if (j)
		return j;
	out = malloc(len * 3 + 1);   /* at most 3 bytes (U+FFFD) per input byte */
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t k = 1;

		for (json_t *c; k <= 4 && i + k <= len; k++) {
			if ((c = json_stringn(s + i, k))) {
				json_decref(c);
				break;
			}
		}
		if (k <= 4 && i + k <= len) {
			memcpy(out + n, s + i, k);
			n += k;
			i += k;
		} else {
			memcpy(out + n, "\xEF\xBF\xBD", 3);
			n += 3;
			i++;
		}
	}
	j = json_stringn(out, n);
	free(out);
	return j;
}

static json_t *flags_json(const uint64_t *counts)
{
	json_t *o = json_object();

	for (int i = 0; i < TA_NFLAGS; i++)
		json_object_set_new(o, tcpana_flag_name((enum tcpana_flag)i), json_integer((json_int_t)counts[i]));
	return o;
}

static json_t *backoff_json(const struct stall_dir *d)
{
	json_t *a = json_array();
	unsigned n = d->probes < STALL_MAX_PROBE_TIMES ? d->probes : STALL_MAX_PROBE_TIMES;

	for (unsigned i = 1; i < n; i++)
		json_array_append_new(a, json_real((double)(d->probe_t[i] - d->probe_t[i - 1]) / 1e9));
	return a;
}

static json_t *stall_json(const struct analysis *an, const struct stall *s)
{
	return json_pack("{s:s, s:f, s:o, s:f, s:b, s:s, s:{s:i, s:i}, s:{s:i, s:i}, s:{s:i, s:i},"
	                 " s:{s:o, s:o}, s:{s:b, s:b}}",
	                 "cause", stall_cause_name(s->cause),
	                 "start_s", analysis_rel_s(an, s->start_ns),
	                 "end_s", s->open ? json_null() : json_real(analysis_rel_s(an, s->end_ns)),
	                 "duration_s", (double)(s->end_ns - s->start_ns) / 1e9,
	                 "open", s->open,
	                 "ended_by", s->open ? "capture_end" : s->ended_by_rst ? "rst" : "progress",
	                 "probes", "a_to_b", (json_int_t)s->dir[0].probes, "b_to_a", (json_int_t)s->dir[1].probes,
	                 "probes_answered", "a_to_b", (json_int_t)s->dir[0].answered,
	                 "b_to_a", (json_int_t)s->dir[1].answered,
	                 "retransmissions", "a_to_b", (json_int_t)s->dir[0].retrans,
	                 "b_to_a", (json_int_t)s->dir[1].retrans,
	                 "backoff_s", "a_to_b", backoff_json(&s->dir[0]), "b_to_a", backoff_json(&s->dir[1]),
	                 "zero_window", "a", s->dir[0].zero_window, "b", s->dir[1].zero_window);
}

static json_t *conn_json(const struct analysis *an, const struct tcpana_conn *c)
{
	const struct conn_state *cs = c->user;
	char a[80], b[80], w0[8], w1[8];
	json_t *stalls = json_array();

	for (size_t i = 0; i < cs->st.n; i++)
		json_array_append_new(stalls, stall_json(an, &cs->st.v[i]));
	return json_pack("{s:i, s:s, s:s, s:o, s:b, s:f, s:f, s:I, s:b, s:{s:s, s:s},"
	                 " s:{s:{s:I, s:I, s:o}, s:{s:I, s:I, s:o}}, s:o}",
	                 "id", (json_int_t)c->id,
	                 "a", tcpana_endpoint(c, 0, a, sizeof a),
	                 "b", tcpana_endpoint(c, 1, b, sizeof b),
	                 "client", c->syn_dir < 0 ? json_null() : json_string(c->syn_dir == 0 ? "a" : "b"),
	                 "syn_seen", c->syn_dir >= 0,
	                 "start_s", analysis_rel_s(an, c->first_t),
	                 "end_s", analysis_rel_s(an, c->last_t),
	                 "packets", (json_int_t)c->packets,
	                 "reset", c->reset,
	                 "window_scale", "a", analysis_ws_str(c->d[0].win_scale, w0, sizeof w0),
	                 "b", analysis_ws_str(c->d[1].win_scale, w1, sizeof w1),
	                 "directions",
	                 "a_to_b", "packets", (json_int_t)c->d[0].packets,
	                 "payload_bytes", (json_int_t)c->d[0].payload_bytes, "flags", flags_json(c->d[0].counts),
	                 "b_to_a", "packets", (json_int_t)c->d[1].packets,
	                 "payload_bytes", (json_int_t)c->d[1].payload_bytes, "flags", flags_json(c->d[1].counts),
	                 "stalls", stalls);
}

static json_t *frame_json(const struct aframe *f)
{
	json_t *a = json_array();

	for (int k = 0; k < TA_NFLAGS; k++)
		if (f->flags & TA_BIT(k))
			json_array_append_new(a, json_string(tcpana_flag_name((enum tcpana_flag)k)));
	return json_pack("{s:I, s:i, s:s, s:o}", "frame", (json_int_t)f->num,
	                 "connection", (json_int_t)f->conn, "direction", f->dir ? "b_to_a" : "a_to_b",
	                 "flags", a);
}

/* The members before "connections". */
static json_t *head_json(const struct analysis *an)
{
	json_t *skipped = json_object();
	uint64_t tot[TA_NFLAGS] = { 0 };

	for (size_t i = 0; i < tcpana_nconns(an->ta); i++) {
		const struct tcpana_conn *c = tcpana_conn(an->ta, i);

		for (int f = 0; f < TA_NFLAGS; f++)
			tot[f] += c->d[0].counts[f] + c->d[1].counts[f];
	}
	for (int k = 1; k < PCAPIN_NSKIP; k++)
		json_object_set_new(skipped, pcapin_skip_name((enum pcapin_skip)k),
		                    json_integer((json_int_t)an->skipped[k]));
	return json_pack("{s:o, s:s, s:i, s:I, s:I, s:o, s:o, s:f, s:f, s:o}",
	                 "file", text_json(an->path),
	                 "link_type", an->linktype,
	                 "snaplen", an->snaplen,
	                 "packets", (json_int_t)an->packets,
	                 "tcp_segments", (json_int_t)an->segments,
	                 "skipped", skipped,
	                 "read_error", an->read_error[0] ? text_json(an->read_error) : json_null(),
	                 "stall_threshold_s", (double)an->cfg.stall_threshold_ns / 1e9,
	                 "duration_s", an->segments ? analysis_rel_s(an, an->last_ns) : 0.0,
	                 "flags_total", flags_json(tot));
}

json_t *analysis_to_json(const struct analysis *an)
{
	json_t *doc = head_json(an), *conns = json_array();

	for (size_t i = 0; i < tcpana_nconns(an->ta); i++)
		json_array_append_new(conns, conn_json(an, tcpana_conn(an->ta, i)));
	json_object_set_new(doc, "connections", conns);
	if (doc && an->cfg.frames) {
		json_t *fr = json_array();

		for (size_t i = 0; i < an->nframes; i++)
			json_array_append_new(fr, frame_json(&an->frames[i]));
		json_object_set_new(doc, "frames", fr);
	}
	return doc;
}

/* ---- the same tree, dumped piece by piece ----
 * Each piece is dumped by jansson as a document of its own; the writer only
 * adds what sits between them (brackets, commas, the keys' place) and shifts
 * the piece right by its depth in the document: after each newline jansson
 * wrote (its indentation; a newline inside a string is dumped as "\\n"), two
 * spaces per level. */
struct dumper {
	FILE *f;
	char *buf;                 /* one piece, as jansson dumped it */
	size_t cap;
	int err;
};

static void indent(struct dumper *d, int depth)
{
	static const char spaces[] = "                                ";

	putc_unlocked('\n', d->f);
	for (int n = depth * 2; n > 0; n -= 32)
		fwrite_unlocked(spaces, 1, n < 32 ? (size_t)n : 32, d->f);
}

/* Dumps v (and releases it) at depth: jansson dumps it into d->buf, then it
 * is written with each newline's indentation shifted right by depth. A NULL
 * v (out of memory, or a string jansson refused) is an error. */
static void dump(struct dumper *d, json_t *v, int depth)
{
	size_t n = v ? json_dumpb(v, d->buf, d->cap, DUMP_FLAGS) : 0;
	const char *p, *end, *nl;

	if (n > d->cap) {
		char *b = realloc(d->buf, n * 2);

		if (b) {
			d->buf = b;
			d->cap = n * 2;
			n = json_dumpb(v, d->buf, d->cap, DUMP_FLAGS);
		} else {
			n = 0;
		}
	}
	json_decref(v);
	if (!n) {
		d->err = 1;
		return;
	}
	for (p = d->buf, end = d->buf + n; (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		fwrite_unlocked(p, 1, (size_t)(nl - p), d->f);
		indent(d, depth);
	}
	fwrite_unlocked(p, 1, (size_t)(end - p), d->f);
}

/* The n-th member's key at depth 1 (the document's). */
static void key(struct dumper *d, size_t n, const char *k)
{
	if (n)
		putc_unlocked(',', d->f);
	indent(d, 1);
	dump(d, json_string(k), 1);
	fputs_unlocked(": ", d->f);
}

/* A member of the document whose value is an array of count elements made
 * by elem, each dumped as it is made. */
static void array_member(struct dumper *d, size_t n, const char *k, size_t count,
                         json_t *(*elem)(const struct analysis *, size_t), const struct analysis *an)
{
	key(d, n, k);
	putc_unlocked('[', d->f);
	for (size_t i = 0; i < count; i++) {
		if (i)
			putc_unlocked(',', d->f);
		indent(d, 2);
		dump(d, elem(an, i), 2);
	}
	if (count)
		indent(d, 1);
	putc_unlocked(']', d->f);
}

static json_t *conn_elem(const struct analysis *an, size_t i)
{
	return conn_json(an, tcpana_conn(an->ta, i));
}

static json_t *frame_elem(const struct analysis *an, size_t i)
{
	return frame_json(&an->frames[i]);
}

int analysis_write_json(const struct analysis *an, FILE *out)
{
	struct dumper d = { .f = out };
	json_t *head = head_json(an), *v;
	const char *k;
	size_t n = 0;

	if (!head)
		return -1;
	putc_unlocked('{', out);
	json_object_foreach(head, k, v) {
		key(&d, n++, k);
		dump(&d, json_incref(v), 1);
	}
	json_decref(head);
	array_member(&d, n++, "connections", tcpana_nconns(an->ta), conn_elem, an);
	if (an->cfg.frames)
		array_member(&d, n++, "frames", an->nframes, frame_elem, an);
	fputs_unlocked("\n}", out);
	free(d.buf);
	return d.err || ferror(out) ? -1 : 0;
}
