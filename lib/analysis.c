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
	free(cs->pts);
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

static int keep_point(struct conn_state *cs, const struct tcpana_pkt *p)
{
	if (cs->npts == cs->cappts) {
		size_t cap = cs->cappts ? cs->cappts * 2 : 64;
		struct apoint *v = realloc(cs->pts, cap * sizeof *v);

		if (!v)
			return -1;
		cs->pts = v;
		cs->cappts = cap;
	}
	cs->pts[cs->npts++] = (struct apoint){
		.t_ns = p->t_ns, .seq_rel = p->seq_rel, .seglen = p->seglen, .ack_rel = p->ack_rel,
		.win = p->win_scaled, .dir = (uint8_t)p->dir,
		.probe = !!(p->analysed & (TA_BIT(TA_KEEP_ALIVE) | TA_BIT(TA_ZERO_WINDOW_PROBE))),
		.zero_window = !!(p->analysed & TA_BIT(TA_ZERO_WINDOW)),
		.retransmission = !!(p->analysed & TA_BIT(TA_RETRANSMISSION)),
	};
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
		if (cfg->series && keep_point(cs, &p) < 0)
			goto oom;
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

const char *analysis_ws_str(int ws, char *buf, size_t len)
{
	if (ws == TA_WS_UNKNOWN)
		return "unknown";
	if (ws == TA_WS_NONE)
		return "none";
	snprintf(buf, len, "%d", ws);
	return buf;
}
