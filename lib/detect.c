/* detect: stall and probe-deadlock detection from a series of tcpstat samples. */
#include "detect.h"

#include <string.h>

void detect_init(struct detect *d, uint64_t threshold_us, uint64_t rcvbuf_eff, uint64_t start_us)
{
	memset(d, 0, sizeof *d);
	d->threshold_us = threshold_us;
	d->rcvbuf_eff = rcvbuf_eff;
	d->start_us = start_us;
	d->last_progress_us = start_us;
	d->armed = 1;
	d->probes_received = -1;
}

void detect_disarm(struct detect *d)
{
	d->armed = 0;
}

void detect_arm(struct detect *d, uint64_t t_us)
{
	if (d->armed)
		return;
	d->armed = 1;
	if (d->last_progress_us < t_us)
		d->last_progress_us = t_us;
}

unsigned detect_signals(const struct tcpstat *s, uint64_t rcvbuf_eff)
{
	unsigned sig = 0;

	if ((s->have & TCPSTAT_HAVE_SND_WND) && s->snd_wnd == 0)
		sig |= DETECT_SIG_PEER_WND0;
	if (((s->have & TCPSTAT_HAVE_NOTSENT) && s->notsent_bytes > 0) || s->outq > 0)
		sig |= DETECT_SIG_UNSENT;
	if (s->have & TCPSTAT_HAVE_RCV_WND) {
		if (s->rcv_wnd == 0)
			sig |= DETECT_SIG_RCV_FULL;
	} else if (rcvbuf_eff && s->inq > 0 && (uint64_t)s->inq * 2 >= rcvbuf_eff) {
		sig |= DETECT_SIG_RCV_FULL;
	}
	if (s->backoff > 0 || s->probes > 0)
		sig |= DETECT_SIG_BACKOFF;
	return sig;
}

/* The probe counters of detect.h from one more sample. */
static void count_probes(struct detect *d, const struct tcpstat *s)
{
	int persist = !(s->have & TCPSTAT_HAVE_SND_WND) || s->snd_wnd == 0;
	unsigned sent = 0;

	d->segs_known = (s->have & TCPSTAT_HAVE_BYTES) != 0;
	if (d->have_probe_prev) {
		/* The backoff rises by one per probe; it falls to 0 when the window
		 * opens, and a new episode rises from 0 again. */
		if (persist)
			sent = s->backoff >= d->prev_backoff ? s->backoff - d->prev_backoff : s->backoff;
		d->psent += sent;
		/* Every answer resets icsk_probes_out: fewer unanswered probes than
		 * the ones before plus the new ones means an answer came. */
		if (d->prev_probes_out + sent > 0 && s->probes < d->prev_probes_out + sent)
			d->panswered++;
		d->segs_in += (uint32_t)(s->segs_in - d->prev_segs_in);
		if (s->have & TCPSTAT_HAVE_DATA_SEGS)
			d->data_segs_in += (uint32_t)(s->data_segs_in - d->prev_data_segs_in);
	}
	d->have_probe_prev = 1;
	d->prev_backoff = s->backoff;
	d->prev_probes_out = s->probes;
	d->prev_segs_in = s->segs_in;
	d->prev_data_segs_in = s->data_segs_in;
}

static void mark_progress(struct detect *d)
{
	d->at_progress[0] = d->psent;
	d->at_progress[1] = d->panswered;
	d->at_progress[2] = d->segs_in;
	d->at_progress[3] = d->data_segs_in;
}

void detect_probes(const struct detect *d, unsigned *sent, int *received)
{
	uint64_t answered = d->panswered - d->at_progress[1];
	uint64_t in = d->segs_in - d->at_progress[2], din = d->data_segs_in - d->at_progress[3];
	uint64_t pure = in > din ? in - din : 0;

	*sent = (unsigned)(d->psent - d->at_progress[0]);
	/* A stack probes either with a byte of data (lwIP, BSD) or without
	 * (Linux): a peer whose probes carry data sends pure segments only to
	 * answer ours (lwIP's may lie beyond our window after its probe, so our
	 * stack does not take them as answers). */
	if (!d->segs_known)
		*received = -1;
	else if (din)
		*received = (int)din;
	else
		*received = (int)(pure > answered ? pure - answered : 0);
}

static void close_stall(struct detect *d, uint64_t end_us)
{
	uint64_t len = end_us > d->last_progress_us ? end_us - d->last_progress_us : 0;

	d->stalled = 0;
	d->stall_total_us += len;
	if (len > d->stall_longest_us)
		d->stall_longest_us = len;
}

enum detect_event detect_feed(struct detect *d, const struct tcpstat *s, uint64_t app_sent,
                              uint64_t app_recv)
{
	uint64_t cur[4] = { d->app_sent_counts ? app_sent : 0, app_recv, s->bytes_acked, s->bytes_received };

	int progress = 0;

	d->signals = detect_signals(s, d->rcvbuf_eff);
	count_probes(d, s);
	if (!d->primed) {
		memcpy(d->prev, cur, sizeof cur);
		d->primed = 1;
		/* Bytes moved between start and the first sample count as progress. */
		progress = cur[0] || app_recv || s->bytes_acked || s->bytes_received;
	} else {
		progress = memcmp(cur, d->prev, sizeof cur) != 0;
		memcpy(d->prev, cur, sizeof cur);
	}
	if (!d->armed) {
		/* Nothing offered yet: no stall can begin. */
		d->last_progress_us = s->t_us;
		mark_progress(d);
		return DETECT_NONE;
	}
	if (progress) {
		enum detect_event ev = DETECT_NONE;

		/* A probe deadlock never ends by itself: bytes moving after the
		 * verdict mean the state was transient (the client kept waiting and
		 * a reader woke up). */
		if (d->deadlock)
			d->resolved = 1;

		if (d->stalled) {
			close_stall(d, s->t_us);
			ev = DETECT_STALL_END;
		}
		d->last_progress_us = s->t_us;
		mark_progress(d);
		return ev;
	}
	if (d->deadlock && !d->resolved)
		detect_probes(d, &d->probes_sent, &d->probes_received);
	if (s->t_us - d->last_progress_us < d->threshold_us)
		return DETECT_NONE;
	if (!d->stalled) {
		d->stalled = 1;
		d->stalls++;
		if ((!d->deadlock || d->resolved) && d->signals == DETECT_SIG_ALL)
			goto deadlock;
		return DETECT_STALL_BEGIN;
	}
	if ((!d->deadlock || d->resolved) && d->signals == DETECT_SIG_ALL)
		goto deadlock;
	return DETECT_NONE;
deadlock:
	d->deadlock = 1;
	d->resolved = 0;
	d->detections++;
	d->onset_us = d->last_progress_us;
	d->detected_us = s->t_us;
	d->backoff = s->backoff;
	detect_probes(d, &d->probes_sent, &d->probes_received);
	return DETECT_DEADLOCK;
}

void detect_finish(struct detect *d, uint64_t now_us)
{
	if (d->stalled)
		close_stall(d, now_us);
}
