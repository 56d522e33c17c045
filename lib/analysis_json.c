/* analysis_json: the analysis document (`probelock analyze --json`, README
 * "Seeing it on the wire"): analysis_to_json() builds it with jansson (the
 * scenario cell keeps the tree); analysis_write_json() writes the same bytes
 * as it goes, for the command on large captures (the reason is beside it). */
#include "analysis.h"
#include "pcapin.h"

#include <string.h>

static json_t *flags_json(const struct tcpana_dir *d)
{
	json_t *o = json_object();

	for (int i = 0; i < TA_NFLAGS; i++)
		json_object_set_new(o, tcpana_flag_name((enum tcpana_flag)i), json_integer((json_int_t)d->counts[i]));
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
	                 "payload_bytes", (json_int_t)c->d[0].payload_bytes, "flags", flags_json(&c->d[0]),
	                 "b_to_a", "packets", (json_int_t)c->d[1].packets,
	                 "payload_bytes", (json_int_t)c->d[1].payload_bytes, "flags", flags_json(&c->d[1]),
	                 "stalls", stalls);
}

static json_t *frame_flags_json(uint32_t flags)
{
	json_t *a = json_array();

	for (int f = 0; f < TA_NFLAGS; f++)
		if (flags & TA_BIT(f))
			json_array_append_new(a, json_string(tcpana_flag_name((enum tcpana_flag)f)));
	return a;
}

json_t *analysis_to_json(const struct analysis *an)
{
	json_t *conns = json_array(), *skipped = json_object(), *totals = json_object();
	uint64_t tot[TA_NFLAGS] = { 0 };

	for (size_t i = 0; i < tcpana_nconns(an->ta); i++) {
		const struct tcpana_conn *c = tcpana_conn(an->ta, i);

		json_array_append_new(conns, conn_json(an, c));
		for (int f = 0; f < TA_NFLAGS; f++)
			tot[f] += c->d[0].counts[f] + c->d[1].counts[f];
	}
	for (int f = 0; f < TA_NFLAGS; f++)
		json_object_set_new(totals, tcpana_flag_name((enum tcpana_flag)f), json_integer((json_int_t)tot[f]));
	for (int k = 1; k < PCAPIN_NSKIP; k++)
		json_object_set_new(skipped, pcapin_skip_name((enum pcapin_skip)k),
		                    json_integer((json_int_t)an->skipped[k]));
	json_t *doc = json_pack("{s:s, s:s, s:i, s:I, s:I, s:o, s:o, s:f, s:f, s:o, s:o}",
	                 "file", an->path,
	                 "link_type", an->linktype,
	                 "snaplen", an->snaplen,
	                 "packets", (json_int_t)an->packets,
	                 "tcp_segments", (json_int_t)an->segments,
	                 "skipped", skipped,
	                 "read_error", an->read_error[0] ? json_string(an->read_error) : json_null(),
	                 "stall_threshold_s", (double)an->cfg.stall_threshold_ns / 1e9,
	                 "duration_s", an->segments ? analysis_rel_s(an, an->last_ns) : 0.0,
	                 "flags_total", totals,
	                 "connections", conns);

	if (doc && an->cfg.frames) {
		json_t *fr = json_array();

		for (size_t i = 0; i < an->nframes; i++) {
			const struct aframe *f = &an->frames[i];

			json_array_append_new(fr, json_pack("{s:I, s:i, s:s, s:o}", "frame", (json_int_t)f->num,
			                                    "connection", (json_int_t)f->conn,
			                                    "direction", f->dir ? "b_to_a" : "a_to_b",
			                                    "flags", frame_flags_json(f->flags)));
		}
		json_object_set_new(doc, "frames", fr);
	}
	return doc;
}

/* ---- the same document, written as it is made ----
 * Why a second writer beside jansson (the project otherwise leaves JSON to
 * jansson): `probelock analyze --json` has to stay far faster than tshark on
 * large captures (bench/README.md: at least 30x on real traffic), and
 * jansson's dump costs about 45 us per connection. Measured 2026-11-22 on a
 * generated capture of 2,000 connections and 80,000 packets: 0.075 s with
 * this writer, 0.17 s when jansson dumps the same tree a connection and a
 * frame at a time (json_dumpb per piece, re-indented: bounded memory, the
 * same bytes), 0.05 s without JSON; on 40,000 connections and 1.6 million
 * packets 1.4 s against 2.7 s, the same peak RSS (213 MB, the connections'
 * state). Building the pieces is cheap; jansson's dump itself is what costs
 * (a loop check per container, printf per number). So this writer stays, and
 * it is held to jansson's bytes: it produces exactly
 * json_dumps(analysis_to_json(an), JSON_INDENT(2) | JSON_PRESERVE_ORDER)
 * (tests/unit/test_analysis.c compares them on every capture of the fuzz
 * corpus); jansson stays the one definition of the format. */
struct jw {
	FILE *f;
	int depth;
	int count[16];            /* members written so far, per open level */
};

static void jw_indent(struct jw *w, int depth)
{
	static const char spaces[] = "                                ";

	putc_unlocked('\n', w->f);
	for (int n = depth * 2; n > 0; n -= 32)
		fwrite_unlocked(spaces, 1, n < 32 ? (size_t)n : 32, w->f);
}

/* Before a value inside an array, or a key inside an object. */
static void jw_next(struct jw *w)
{
	if (w->depth == 0)
		return;
	if (w->count[w->depth]++)
		putc_unlocked(',', w->f);
	jw_indent(w, w->depth);
}

static void jw_string_raw(struct jw *w, const char *str)
{
	const unsigned char *p = (const unsigned char *)str, *run = p;

	putc_unlocked('"', w->f);
	for (;; p++) {
		unsigned char c = *p;
		char esc[8];

		if (c && c != '"' && c != '\\' && c >= 0x20)
			continue;
		fwrite_unlocked(run, 1, (size_t)(p - run), w->f);
		if (!c)
			break;
		switch (c) {
		case '"': fputs_unlocked("\\\"", w->f); break;
		case '\\': fputs_unlocked("\\\\", w->f); break;
		case '\b': fputs_unlocked("\\b", w->f); break;
		case '\f': fputs_unlocked("\\f", w->f); break;
		case '\n': fputs_unlocked("\\n", w->f); break;
		case '\r': fputs_unlocked("\\r", w->f); break;
		case '\t': fputs_unlocked("\\t", w->f); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", c);
			fputs_unlocked(esc, w->f);
		}
		run = p + 1;
	}
	putc_unlocked('"', w->f);
}

static void jw_key(struct jw *w, const char *k)
{
	jw_next(w);
	jw_string_raw(w, k);
	fputs_unlocked(": ", w->f);
}

static void jw_open(struct jw *w, char c)
{
	putc_unlocked(c, w->f);
	w->count[++w->depth] = 0;
}

static void jw_close(struct jw *w, char c)
{
	if (w->count[w->depth--])
		jw_indent(w, w->depth);
	putc_unlocked(c, w->f);
}

static void jw_int(struct jw *w, long long v)
{
	char buf[24], *p = buf + sizeof buf;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof buf - p), w->f);
}

/* jansson's jsonp_dtostr(): %.17g, a ".0" when it looks like an integer, no
 * '+' nor leading zeros in the exponent. */
static void jw_real(struct jw *w, double v)
{
	char buf[40], *start, *end;
	int len = snprintf(buf, sizeof buf - 3, "%.17g", v);

	if (len < 0)
		return;
	if (!strchr(buf, '.') && !strchr(buf, 'e')) {
		buf[len++] = '.';
		buf[len++] = '0';
		buf[len] = 0;
	}
	start = strchr(buf, 'e');
	if (start) {
		start++;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)(len - (end - buf)) + 1);
			len -= (int)(end - start);
		}
	}
	fwrite_unlocked(buf, 1, (size_t)len, w->f);
}

#define JW_KINT(w, k, v) (jw_key(w, k), jw_int(w, (long long)(v)))
#define JW_KREAL(w, k, v) (jw_key(w, k), jw_real(w, v))
#define JW_KSTR(w, k, v) (jw_key(w, k), jw_string_raw(w, v))
#define JW_KBOOL(w, k, v) (jw_key(w, k), fputs_unlocked((v) ? "true" : "false", (w)->f))
#define JW_KNULL(w, k) (jw_key(w, k), fputs_unlocked("null", (w)->f))

static void jw_flags(struct jw *w, const uint64_t *counts)
{
	jw_open(w, '{');
	for (int i = 0; i < TA_NFLAGS; i++)
		JW_KINT(w, tcpana_flag_name((enum tcpana_flag)i), counts[i]);
	jw_close(w, '}');
}

static void jw_pair_int(struct jw *w, const char *k, const char *k0, long long v0, const char *k1,
                        long long v1)
{
	jw_key(w, k);
	jw_open(w, '{');
	JW_KINT(w, k0, v0);
	JW_KINT(w, k1, v1);
	jw_close(w, '}');
}

static void jw_backoff(struct jw *w, const char *k, const struct stall_dir *d)
{
	unsigned n = d->probes < STALL_MAX_PROBE_TIMES ? d->probes : STALL_MAX_PROBE_TIMES;

	jw_key(w, k);
	jw_open(w, '[');
	for (unsigned i = 1; i < n; i++) {
		jw_next(w);
		jw_real(w, (double)(d->probe_t[i] - d->probe_t[i - 1]) / 1e9);
	}
	jw_close(w, ']');
}

static void jw_stall(struct jw *w, const struct analysis *an, const struct stall *s)
{
	jw_open(w, '{');
	JW_KSTR(w, "cause", stall_cause_name(s->cause));
	JW_KREAL(w, "start_s", analysis_rel_s(an, s->start_ns));
	if (s->open)
		JW_KNULL(w, "end_s");
	else
		JW_KREAL(w, "end_s", analysis_rel_s(an, s->end_ns));
	JW_KREAL(w, "duration_s", (double)(s->end_ns - s->start_ns) / 1e9);
	JW_KBOOL(w, "open", s->open);
	JW_KSTR(w, "ended_by", s->open ? "capture_end" : s->ended_by_rst ? "rst" : "progress");
	jw_pair_int(w, "probes", "a_to_b", s->dir[0].probes, "b_to_a", s->dir[1].probes);
	jw_pair_int(w, "probes_answered", "a_to_b", s->dir[0].answered, "b_to_a", s->dir[1].answered);
	jw_pair_int(w, "retransmissions", "a_to_b", s->dir[0].retrans, "b_to_a", s->dir[1].retrans);
	jw_key(w, "backoff_s");
	jw_open(w, '{');
	jw_backoff(w, "a_to_b", &s->dir[0]);
	jw_backoff(w, "b_to_a", &s->dir[1]);
	jw_close(w, '}');
	jw_key(w, "zero_window");
	jw_open(w, '{');
	JW_KBOOL(w, "a", s->dir[0].zero_window);
	JW_KBOOL(w, "b", s->dir[1].zero_window);
	jw_close(w, '}');
	jw_close(w, '}');
}

static void jw_conn(struct jw *w, const struct analysis *an, const struct tcpana_conn *c)
{
	const struct conn_state *cs = c->user;
	char a[80], b[80], ws[8];

	jw_open(w, '{');
	JW_KINT(w, "id", c->id);
	JW_KSTR(w, "a", tcpana_endpoint(c, 0, a, sizeof a));
	JW_KSTR(w, "b", tcpana_endpoint(c, 1, b, sizeof b));
	if (c->syn_dir < 0)
		JW_KNULL(w, "client");
	else
		JW_KSTR(w, "client", c->syn_dir == 0 ? "a" : "b");
	JW_KBOOL(w, "syn_seen", c->syn_dir >= 0);
	JW_KREAL(w, "start_s", analysis_rel_s(an, c->first_t));
	JW_KREAL(w, "end_s", analysis_rel_s(an, c->last_t));
	JW_KINT(w, "packets", c->packets);
	JW_KBOOL(w, "reset", c->reset);
	jw_key(w, "window_scale");
	jw_open(w, '{');
	JW_KSTR(w, "a", analysis_ws_str(c->d[0].win_scale, ws, sizeof ws));
	JW_KSTR(w, "b", analysis_ws_str(c->d[1].win_scale, ws, sizeof ws));
	jw_close(w, '}');
	jw_key(w, "directions");
	jw_open(w, '{');
	for (int d = 0; d < 2; d++) {
		jw_key(w, d ? "b_to_a" : "a_to_b");
		jw_open(w, '{');
		JW_KINT(w, "packets", c->d[d].packets);
		JW_KINT(w, "payload_bytes", c->d[d].payload_bytes);
		jw_key(w, "flags");
		jw_flags(w, c->d[d].counts);
		jw_close(w, '}');
	}
	jw_close(w, '}');
	jw_key(w, "stalls");
	jw_open(w, '[');
	for (size_t i = 0; i < cs->st.n; i++) {
		jw_next(w);
		jw_stall(w, an, &cs->st.v[i]);
	}
	jw_close(w, ']');
	jw_close(w, '}');
}

int analysis_write_json(const struct analysis *an, FILE *out)
{
	struct jw w = { .f = out };
	uint64_t tot[TA_NFLAGS] = { 0 };

	for (size_t i = 0; i < tcpana_nconns(an->ta); i++) {
		const struct tcpana_conn *c = tcpana_conn(an->ta, i);

		for (int f = 0; f < TA_NFLAGS; f++)
			tot[f] += c->d[0].counts[f] + c->d[1].counts[f];
	}
	jw_open(&w, '{');
	JW_KSTR(&w, "file", an->path);
	JW_KSTR(&w, "link_type", an->linktype);
	JW_KINT(&w, "snaplen", an->snaplen);
	JW_KINT(&w, "packets", an->packets);
	JW_KINT(&w, "tcp_segments", an->segments);
	jw_key(&w, "skipped");
	jw_open(&w, '{');
	for (int k = 1; k < PCAPIN_NSKIP; k++)
		JW_KINT(&w, pcapin_skip_name((enum pcapin_skip)k), an->skipped[k]);
	jw_close(&w, '}');
	if (an->read_error[0])
		JW_KSTR(&w, "read_error", an->read_error);
	else
		JW_KNULL(&w, "read_error");
	JW_KREAL(&w, "stall_threshold_s", (double)an->cfg.stall_threshold_ns / 1e9);
	JW_KREAL(&w, "duration_s", an->segments ? analysis_rel_s(an, an->last_ns) : 0.0);
	jw_key(&w, "flags_total");
	jw_flags(&w, tot);
	jw_key(&w, "connections");
	jw_open(&w, '[');
	for (size_t i = 0; i < tcpana_nconns(an->ta); i++) {
		jw_next(&w);
		jw_conn(&w, an, tcpana_conn(an->ta, i));
	}
	jw_close(&w, ']');
	if (an->cfg.frames) {
		jw_key(&w, "frames");
		jw_open(&w, '[');
		for (size_t i = 0; i < an->nframes; i++) {
			const struct aframe *f = &an->frames[i];

			jw_next(&w);
			jw_open(&w, '{');
			JW_KINT(&w, "frame", f->num);
			JW_KINT(&w, "connection", f->conn);
			JW_KSTR(&w, "direction", f->dir ? "b_to_a" : "a_to_b");
			jw_key(&w, "flags");
			jw_open(&w, '[');
			for (int k = 0; k < TA_NFLAGS; k++) {
				if (f->flags & TA_BIT(k)) {
					jw_next(&w);
					jw_string_raw(&w, tcpana_flag_name((enum tcpana_flag)k));
				}
			}
			jw_close(&w, ']');
			jw_close(&w, '}');
		}
		jw_close(&w, ']');
	}
	jw_close(&w, '}');
	return ferror(out) ? -1 : 0;
}
