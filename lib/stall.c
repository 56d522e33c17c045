/* stall: stall intervals of one connection from its analysed segments, each
 * with a cause (probe_deadlock, receiver_stall, silent_peer, abort, idle). */
#include "stall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const stall_cause_names[STALL_NCAUSES + 1] = {
	[STALL_PROBE_DEADLOCK] = "probe_deadlock", [STALL_RECEIVER] = "receiver_stall",
	[STALL_SILENT_PEER] = "silent_peer",       [STALL_ABORT] = "abort",
	[STALL_IDLE] = "idle", NULL,
};

const char *stall_cause_name(enum stall_cause c)
{
	return (unsigned)c < STALL_NCAUSES ? stall_cause_names[c] : "?";
}

/* The cause named by the n bytes at name, or STALL_NCAUSES when none is. */
static unsigned cause_lookup(const char *name, size_t n)
{
	unsigned i;

	for (i = 0; i < STALL_NCAUSES; i++)
		if (strlen(stall_cause_names[i]) == n && !strncmp(stall_cause_names[i], name, n))
			break;
	return i;
}

int stall_cause_parse(const char *name, enum stall_cause *out)
{
	unsigned i = cause_lookup(name, strlen(name));

	if (i == STALL_NCAUSES)
		return -1;
	*out = (enum stall_cause)i;
	return 0;
}

const char *stall_cause_set_format(stall_cause_set set, char *buf, size_t len)
{
	size_t o = 0;

	if (len)
		buf[0] = 0;
	for (unsigned i = 0; i < STALL_NCAUSES && o + 1 < len; i++) {
		int n;

		if (!(set & STALL_CAUSE_BIT(i)))
			continue;
		n = snprintf(buf + o, len - o, "%s%s", o ? "," : "", stall_cause_names[i]);
		if (n < 0)
			break;
		o = o + (size_t)n < len ? o + (size_t)n : len - 1;
	}
	return buf;
}

int stall_cause_set_parse(const char *s, stall_cause_set *set)
{
	int rc = 0;

	*set = 0;
	if (!s || !*s)
		return 0;
	for (;;) {
		size_t n = strcspn(s, ",");
		unsigned i = cause_lookup(s, n);

		if (i < STALL_NCAUSES)
			*set |= STALL_CAUSE_BIT(i);
		else
			rc = -1;
		if (!s[n])
			return rc;
		s += n + 1;
	}
}

void stall_init(struct stall_tracker *st, int64_t threshold_ns)
{
	memset(st, 0, sizeof *st);
	st->threshold_ns = threshold_ns;
}

void stall_free(struct stall_tracker *st)
{
	free(st->v);
	st->v = NULL;
	st->n = st->cap = 0;
}

int stall_is_progress(const struct stall_tracker *st, const struct tcpana_pkt *p)
{
	if (!(p->thflags & TH_ACK) || (p->thflags & TH_RST))
		return 0;
	return !st->have_ack[p->dir] || tcpana_seq_gt(p->ack_rel, st->max_ack[p->dir]);
}

static enum stall_cause classify(const struct stall_dir d[2], int rst)
{
	int answered0 = d[0].answered > 0, answered1 = d[1].answered > 0;

	if (d[0].zero_window && d[1].zero_window && answered0 && answered1)
		return STALL_PROBE_DEADLOCK;
	/* One side's window closed, the other's probes answered, and the prober
	 * itself not closed. */
	if ((d[1].zero_window && answered0 && !d[0].zero_window) ||
	    (d[0].zero_window && answered1 && !d[1].zero_window))
		return STALL_RECEIVER;
	if (d[0].unanswered || d[1].unanswered || d[0].pending || d[1].pending)
		return STALL_SILENT_PEER;
	if (rst)
		return STALL_ABORT;
	return STALL_IDLE;
}

static int emit(struct stall_tracker *st, int64_t end, int open, int rst, enum stall_cause *force)
{
	struct stall *s;

	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 4;
		struct stall *v = realloc(st->v, cap * sizeof *v);

		if (!v)
			return -1;
		st->v = v;
		st->cap = cap;
	}
	s = &st->v[st->n++];
	memset(s, 0, sizeof *s);
	s->start_ns = st->last_progress_ns;
	s->end_ns = end;
	s->open = open;
	s->ended_by_rst = rst;
	memcpy(s->dir, st->cur, sizeof s->dir);
	s->cause = force ? *force : classify(st->cur, rst);
	st->onset_of_last = s->start_ns;
	return 1;
}

static void reset_current(struct stall_tracker *st, int64_t t)
{
	memset(st->cur, 0, sizeof st->cur);
	st->last_progress_ns = t;
}

int stall_feed(struct stall_tracker *st, const struct tcpana_pkt *p)
{
	struct stall_dir *me = &st->cur[p->dir], *peer = &st->cur[!p->dir];
	int rc = 0;

	if (st->closed)
		return 0;
	if (!st->started) {
		st->started = 1;
		st->last_progress_ns = p->t_ns;
	}
	if (p->thflags & TH_RST) {
		enum stall_cause abort = STALL_ABORT;

		/* A long enough stall keeps the cause of its content; otherwise the
		 * RST itself is the event: abort, from the last progress. */
		if (p->t_ns - st->last_progress_ns >= st->threshold_ns)
			rc = emit(st, p->t_ns, 0, 1, NULL);
		else
			rc = emit(st, p->t_ns, 0, 1, &abort);
		st->closed = 1;
		return rc;
	}
	if (stall_is_progress(st, p)) {
		if (st->have_ack[p->dir] && p->t_ns - st->last_progress_ns >= st->threshold_ns) {
			/* What the ending segment says still belongs to the interval. */
			if (peer->pending) {
				peer->answered++;
				peer->pending = 0;
			}
			rc = emit(st, p->t_ns, 0, 0, NULL);
		}
		st->have_ack[p->dir] = 1;
		st->max_ack[p->dir] = p->ack_rel;
		reset_current(st, p->t_ns);
		return rc;
	}
	/* Inside a (possible) stall: any segment answers the peer's last probe. */
	if (peer->pending) {
		peer->answered++;
		peer->pending = 0;
	}
	if (p->win_scaled == 0 && !(p->thflags & (TH_SYN | TH_FIN)))
		me->zero_window = 1;
	if (p->analysed & (TA_BIT(TA_KEEP_ALIVE) | TA_BIT(TA_ZERO_WINDOW_PROBE))) {
		if (me->probes < STALL_MAX_PROBE_TIMES)
			me->probe_t[me->probes] = p->t_ns;
		me->probes++;
		if (me->pending)
			me->unanswered++;
		me->pending = 1;
	} else if (p->analysed & TA_BIT(TA_RETRANSMISSION)) {
		me->retrans++;
		if (me->pending)
			me->unanswered++;
		me->pending = 1;
	}
	return 0;
}

int stall_finish(struct stall_tracker *st, int64_t last_ns)
{
	if (st->closed || !st->started)
		return 0;
	if (last_ns - st->last_progress_ns < st->threshold_ns)
		return 0;
	return emit(st, last_ns, 1, 0, NULL);
}
