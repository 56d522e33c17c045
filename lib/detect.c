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

static void close_stall(struct detect *d, uint64_t end_us)
{
	uint64_t len = end_us - d->last_progress_us;

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
	if (!d->primed) {
		memcpy(d->prev, cur, sizeof cur);
		d->primed = 1;
		/* Bytes moved between start and the first sample count as progress. */
		progress = cur[0] || app_recv || s->bytes_acked || s->bytes_received;
	} else {
		progress = memcmp(cur, d->prev, sizeof cur) != 0;
		memcpy(d->prev, cur, sizeof cur);
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
		return ev;
	}
	if (s->t_us - d->last_progress_us < d->threshold_us)
		return DETECT_NONE;
	if (!d->stalled) {
		d->stalled = 1;
		d->stalls++;
		if (!(d->deadlock) && d->signals == DETECT_SIG_ALL)
			goto deadlock;
		return DETECT_STALL_BEGIN;
	}
	if (!d->deadlock && d->signals == DETECT_SIG_ALL)
		goto deadlock;
	return DETECT_NONE;
deadlock:
	d->deadlock = 1;
	d->onset_us = d->last_progress_us;
	d->detected_us = s->t_us;
	d->backoff = s->backoff;
	d->probes = s->probes;
	return DETECT_DEADLOCK;
}

void detect_finish(struct detect *d, uint64_t now_us)
{
	if (d->stalled)
		close_stall(d, now_us);
}
