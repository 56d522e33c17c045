/* analysis: a capture file in, per connection and direction the Wireshark
 * flags, the stall intervals with causes, and excerpts around stall onsets out. */
#include "analysis.h"
#include "pcapin.h"

#include <stdlib.h>
#include <string.h>

double analysis_rel_s(const struct analysis *an, int64_t t_ns)
{
	return (double)(t_ns - an->first_ns) / 1e9;
}

static void free_conn_state(void *p)
{
	struct conn_state *cs = p;

	stall_free(&cs->st);
	free(cs->ex);
	free(cs);
}

static void exline_from(struct exline *l, const struct tcpana_pkt *p)
{
	l->t_ns = p->t_ns;
	l->num = p->num;
	l->dir = p->dir;
	l->thflags = p->thflags;
	l->seq_rel = p->seq_rel;
	l->seglen = p->seglen;
	l->ack_rel = p->ack_rel;
	l->win = p->win_scaled;
	l->aflags = p->aflags;
}

/* Keeps the segments before the last progress (ring) and after it (cur). */
static void excerpt_track(struct conn_state *cs, const struct tcpana_pkt *p, int progress)
{
	struct exline l;

	exline_from(&l, p);
	if (progress) {
		cs->cur_started = 0;
	} else if (!cs->cur_started) {
		/* First segment after the last progress: the pre-onset part is the
		 * ring as it stands. */
		unsigned k = cs->ring_n < EXCERPT_PRE ? cs->ring_n : EXCERPT_PRE;

		cs->cur.n = 0;
		for (unsigned i = 0; i < k; i++)
			cs->cur.l[cs->cur.n++] = cs->ring[(cs->ring_n - k + i) % EXCERPT_PRE];
		cs->cur.onset = k ? k - 1 : 0;
		cs->cur_started = 1;
	}
	if (cs->cur_started && cs->cur.n < EXCERPT_PRE + EXCERPT_POST)
		cs->cur.l[cs->cur.n++] = l;
	cs->ring[cs->ring_n++ % EXCERPT_PRE] = l;
}

static int keep_frame(struct analysis *an, const struct tcpana_pkt *p)
{
	if (an->nframes == an->capframes) {
		size_t cap = an->capframes ? an->capframes * 2 : 256;
		struct aframe *v = realloc(an->frames, cap * sizeof *v);

		if (!v)
			return -1;
		an->frames = v;
		an->capframes = cap;
	}
	an->frames[an->nframes++] = (struct aframe){ .num = p->num, .conn = p->conn->id,
	                                             .flags = p->aflags & TA_ANALYSIS_FLAGS,
	                                             .dir = p->dir };
	return 0;
}

static int keep_excerpt(struct conn_state *cs)
{
	struct excerpt *v = realloc(cs->ex, cs->st.n * sizeof *v);

	if (!v)
		return -1;
	cs->ex = v;
	v[cs->st.n - 1] = cs->cur;
	if (!cs->cur_started)
		v[cs->st.n - 1].n = 0;
	return 0;
}

struct analysis *analysis_run(const char *path, const struct analysis_cfg *cfg, char *err,
                              size_t errlen)
{
	struct pcapin *in = pcapin_open(path, err, errlen);
	struct analysis *an;
	struct tcpseg s;
	int rc;

	if (!in)
		return NULL;
	an = calloc(1, sizeof *an);
	if (!an || !(an->ta = tcpana_new())) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(an);
		pcapin_close(in);
		return NULL;
	}
	an->cfg = *cfg;
	snprintf(an->path, sizeof an->path, "%s", path);
	snprintf(an->linktype, sizeof an->linktype, "%s", pcapin_linktype(in));
	an->snaplen = pcapin_snaplen(in);
	while ((rc = pcapin_next(in, &s, an->read_error, sizeof an->read_error)) == 1) {
		struct tcpana_pkt p;
		struct conn_state *cs;
		int progress, closed;

		if (!an->segments)
			an->first_ns = s.t_ns;
		an->last_ns = s.t_ns;
		an->segments++;
		if (tcpana_feed(an->ta, &s, &p) < 0)
			goto oom;
		if (cfg->frames && (p.aflags & TA_ANALYSIS_FLAGS) && keep_frame(an, &p) < 0)
			goto oom;
		cs = p.conn->user;
		if (!cs) {
			cs = calloc(1, sizeof *cs);
			if (!cs)
				goto oom;
			stall_init(&cs->st, cfg->stall_threshold_ns);
			p.conn->user = cs;
		}
		progress = stall_is_progress(&cs->st, &p) && !(p.thflags & TH_RST);
		/* A segment inside a stall joins its excerpt before the stall may
		 * close (an RST ends it and belongs to it); progress starts the
		 * next excerpt only after the stall it closes was kept. */
		if (cfg->excerpt && !progress)
			excerpt_track(cs, &p, 0);
		closed = stall_feed(&cs->st, &p);
		if (closed < 0)
			goto oom;
		if (closed && cfg->excerpt && keep_excerpt(cs) < 0)
			goto oom;
		if (cfg->excerpt && progress)
			excerpt_track(cs, &p, 1);
	}
	an->packets = pcapin_packets(in);
	for (int i = 0; i < PCAPIN_NSKIP; i++)
		an->skipped[i] = pcapin_skipped(in, (enum pcapin_skip)i);
	for (size_t i = 0; i < tcpana_nconns(an->ta); i++) {
		struct tcpana_conn *c = tcpana_conn(an->ta, i);
		struct conn_state *cs = c->user;

		if (stall_finish(&cs->st, an->last_ns) > 0 && cfg->excerpt && keep_excerpt(cs) < 0)
			goto oom;
	}
	pcapin_close(in);
	if (rc < 0 && an->packets == 0) {
		snprintf(err, errlen, "%s", an->read_error);
		analysis_free(an);
		return NULL;
	}
	return an;
oom:
	snprintf(err, errlen, "%s: out of memory after %llu packets", path,
	         (unsigned long long)pcapin_packets(in));
	pcapin_close(in);
	analysis_free(an);
	return NULL;
}

stall_cause_set analysis_causes(const struct analysis *an, size_t *nstalls)
{
	stall_cause_set set = 0;
	size_t n = 0;

	for (size_t i = 0; i < tcpana_nconns(an->ta); i++) {
		const struct conn_state *cs = tcpana_conn(an->ta, i)->user;

		for (size_t j = 0; j < cs->st.n; j++)
			set |= STALL_CAUSE_BIT(cs->st.v[j].cause);
		n += cs->st.n;
	}
	if (nstalls)
		*nstalls = n;
	return set;
}

void analysis_free(struct analysis *an)
{
	if (!an)
		return;
	tcpana_free(an->ta, free_conn_state);
	free(an->frames);
	free(an);
}

static const char *ws_str(int ws, char *buf, size_t len)
{
	if (ws == TA_WS_UNKNOWN)
		return "unknown";
	if (ws == TA_WS_NONE)
		return "none";
	snprintf(buf, len, "%d", ws);
	return buf;
}

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
	                 "window_scale", "a", ws_str(c->d[0].win_scale, w0, sizeof w0),
	                 "b", ws_str(c->d[1].win_scale, w1, sizeof w1),
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
 * analysis_to_json() builds a jansson tree (the runner keeps it); for
 * `probelock analyze --json` on a large capture, building and dumping that
 * tree took as long as the analysis. This writer produces the same bytes as
 * json_dumps(analysis_to_json(an), JSON_INDENT(2) | JSON_PRESERVE_ORDER)
 * (tests/unit/test_analysis.c compares them). */
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
	JW_KSTR(w, "a", ws_str(c->d[0].win_scale, ws, sizeof ws));
	JW_KSTR(w, "b", ws_str(c->d[1].win_scale, ws, sizeof ws));
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

void analysis_print(const struct analysis *an, FILE *out)
{
	fprintf(out, "%s: %llu packets, %llu TCP segments, %zu connections, link %s, snaplen %d, %.3f s\n",
	        an->path, (unsigned long long)an->packets, (unsigned long long)an->segments,
	        tcpana_nconns(an->ta), an->linktype, an->snaplen,
	        an->segments ? analysis_rel_s(an, an->last_ns) : 0.0);
	if (an->read_error[0])
		fprintf(out, "  warning: read stopped early: %s\n", an->read_error);
	for (int k = 1; k < PCAPIN_NSKIP; k++)
		if (an->skipped[k])
			fprintf(out, "  skipped %llu packets: %s\n", (unsigned long long)an->skipped[k],
			        pcapin_skip_name((enum pcapin_skip)k));
	for (size_t i = 0; i < tcpana_nconns(an->ta); i++) {
		const struct tcpana_conn *c = tcpana_conn(an->ta, i);
		const struct conn_state *cs = c->user;
		char a[80], b[80], w0[8], w1[8];

		fprintf(out, "\nconnection %u: A %s%s <-> B %s%s, %llu packets, %.3f..%.3f s%s\n", c->id,
		        tcpana_endpoint(c, 0, a, sizeof a), c->syn_dir == 0 ? " (client)" : "",
		        tcpana_endpoint(c, 1, b, sizeof b), c->syn_dir == 1 ? " (client)" : "",
		        (unsigned long long)c->packets, analysis_rel_s(an, c->first_t),
		        analysis_rel_s(an, c->last_t), c->reset ? ", reset" : "");
		fprintf(out, "  window scale A %s, B %s%s\n", ws_str(c->d[0].win_scale, w0, sizeof w0),
		        ws_str(c->d[1].win_scale, w1, sizeof w1),
		        c->syn_dir < 0 ? " (no SYN captured: window_full is not evaluated)" : "");
		fprintf(out, "  %-26s %8s %8s\n", "flag", "A->B", "B->A");
		for (int f = 0; f < TA_NFLAGS; f++)
			if (c->d[0].counts[f] || c->d[1].counts[f])
				fprintf(out, "  %-26s %8llu %8llu\n", tcpana_flag_name((enum tcpana_flag)f),
				        (unsigned long long)c->d[0].counts[f], (unsigned long long)c->d[1].counts[f]);
		if (cs->st.n == 0)
			fprintf(out, "  no stalls of %.3f s or more\n", (double)an->cfg.stall_threshold_ns / 1e9);
		for (size_t k = 0; k < cs->st.n; k++) {
			const struct stall *s = &cs->st.v[k];

			fprintf(out, "  stall %zu: %s from %.3f s, %s%.3f s%s; probes A->B %u (answered %u), "
			        "B->A %u (answered %u); retransmissions A->B %u, B->A %u\n",
			        k + 1, stall_cause_name(s->cause), analysis_rel_s(an, s->start_ns),
			        s->open ? "open, at least " : "", (double)(s->end_ns - s->start_ns) / 1e9,
			        s->ended_by_rst ? ", ended by RST" : "", s->dir[0].probes, s->dir[0].answered,
			        s->dir[1].probes, s->dir[1].answered, s->dir[0].retrans, s->dir[1].retrans);
			for (int d = 0; d < 2; d++) {
				unsigned n = s->dir[d].probes < STALL_MAX_PROBE_TIMES ? s->dir[d].probes
				                                                      : STALL_MAX_PROBE_TIMES;

				if (n < 2)
					continue;
				fprintf(out, "    probe intervals %s:", d ? "B->A" : "A->B");
				for (unsigned j = 1; j < n; j++)
					fprintf(out, " %.3f", (double)(s->dir[d].probe_t[j] - s->dir[d].probe_t[j - 1]) / 1e9);
				fputs(" s\n", out);
			}
		}
	}
}

void analysis_print_frames(const struct analysis *an, FILE *out)
{
	fprintf(out, "\nframes with analysis flags: %zu\n", an->nframes);
	for (size_t i = 0; i < an->nframes; i++) {
		const struct aframe *f = &an->frames[i];
		const char *sep = " ";

		fprintf(out, "frame %llu conn %u %s", (unsigned long long)f->num, f->conn,
		        f->dir ? "b_to_a" : "a_to_b");
		for (int k = 0; k < TA_NFLAGS; k++) {
			if (f->flags & TA_BIT(k)) {
				fprintf(out, "%s%s", sep, tcpana_flag_name((enum tcpana_flag)k));
				sep = ",";
			}
		}
		fputc('\n', out);
	}
}

static void flags_str(uint16_t f, char *buf)
{
	char *p = buf;

	if (f & TH_SYN)
		*p++ = 'S';
	if (f & TH_FIN)
		*p++ = 'F';
	if (f & TH_RST)
		*p++ = 'R';
	if (f & TH_PUSH)
		*p++ = 'P';
	if (p == buf)
		*p++ = '.';
	*p = 0;
}

static void print_exline(const struct analysis *an, FILE *out, const struct exline *l, int mark)
{
	char fl[8];
	int first = 1;

	flags_str(l->thflags, fl);
	fprintf(out, "%s %10.6f %s: %s %u:%u(%u)", mark ? ">" : " ", analysis_rel_s(an, l->t_ns),
	        l->dir ? "B > A" : "A > B", fl, l->seq_rel, l->seq_rel + l->seglen, l->seglen);
	if (l->thflags & TH_ACK)
		fprintf(out, " ack %u", l->ack_rel);
	fprintf(out, " win %u", l->win);
	for (int f = 0; f < TA_NFLAGS; f++) {
		if (f == TA_SYN || f == TA_FIN || f == TA_RST || !(l->aflags & TA_BIT(f)))
			continue;
		fprintf(out, "%s%s", first ? "  [" : ", ", tcpana_flag_name((enum tcpana_flag)f));
		first = 0;
	}
	fputs(first ? "\n" : "]\n", out);
}

void analysis_print_excerpts(const struct analysis *an, FILE *out)
{
	for (size_t i = 0; i < tcpana_nconns(an->ta); i++) {
		const struct tcpana_conn *c = tcpana_conn(an->ta, i);
		const struct conn_state *cs = c->user;
		char a[80], b[80];

		for (size_t k = 0; cs->ex && k < cs->st.n; k++) {
			const struct excerpt *e = &cs->ex[k];
			const struct stall *s = &cs->st.v[k];

			fprintf(out, "\nconnection %u, stall %zu (%s, from %.3f s); A = %s, B = %s;"
			        " relative seq/ack, '>' marks the last progress:\n",
			        c->id, k + 1, stall_cause_name(s->cause), analysis_rel_s(an, s->start_ns),
			        tcpana_endpoint(c, 0, a, sizeof a), tcpana_endpoint(c, 1, b, sizeof b));
			for (unsigned j = 0; j < e->n; j++)
				print_exline(an, out, &e->l[j], j == e->onset);
		}
	}
}
