/* result: tcpecho's result document (JSON, jansson). */
#include "result.h"
#include "version.h"

json_t *result_tcpstat_json(const struct tcpstat *t)
{
	return json_pack("{s:s, s:i, s:i, s:i, s:f, s:i, s:i, s:I, s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
	                 "state", tcpstat_state_name(t->state),
	                 "snd_wnd", (json_int_t)t->snd_wnd,
	                 "rcv_wnd", (json_int_t)t->rcv_wnd,
	                 "notsent_bytes", (json_int_t)t->notsent_bytes,
	                 "rto_ms", t->rto_us / 1000.0,
	                 "backoff", (json_int_t)t->backoff,
	                 "probes", (json_int_t)t->probes,
	                 "bytes_acked", (json_int_t)t->bytes_acked,
	                 "bytes_received", (json_int_t)t->bytes_received,
	                 "unacked", (json_int_t)t->unacked,
	                 "total_retrans", (json_int_t)t->total_retrans,
	                 "snd_mss", (json_int_t)t->snd_mss,
	                 "rcv_mss", (json_int_t)t->rcv_mss,
	                 "snd_wscale", (json_int_t)t->snd_wscale,
	                 "inq", (json_int_t)t->inq,
	                 "outq", (json_int_t)t->outq);
}

static json_t *buf_json(int64_t requested, int effective, int have_eff)
{
	return json_pack("{s:o, s:o}",
	                 "requested", requested >= 0 ? json_integer(requested) : json_null(),
	                 "effective", have_eff ? json_integer(effective) : json_null());
}

static json_t *probes_json(const struct detect *d)
{
	return json_pack("{s:i, s:o}", "sent", (json_int_t)d->probes_sent,
	                 "received", d->probes_received >= 0 ? json_integer(d->probes_received) : json_null());
}

static const char *abort_by(int verdict)
{
	switch (verdict) {
	case SAMPLER_DEADLOCK:
		return "detector";
	case SAMPLER_ALARM:
		return "alarm";
	case SAMPLER_INTERRUPTED:
		return "interrupt";
	default:
		return NULL;
	}
}

json_t *result_to_json(const struct client_cfg *c, const struct client_result *r)
{
	const struct detect *d = &r->det;
	json_t *dl = json_null(), *ab = json_null(), *doc;

	/* aborted_s: when the verdict aborted the connection (RST); null when
	 * something else ended it. */
	if (d->deadlock)
		dl = json_pack("{s:f, s:f, s:o, s:i, s:o, s:b}",
		               "onset_s", (d->onset_us - d->start_us) / 1e6,
		               "detected_s", (d->detected_us - d->start_us) / 1e6,
		               "aborted_s", r->ab.done ? json_real((r->ab.t_us - d->start_us) / 1e6) : json_null(),
		               "backoff", (json_int_t)d->backoff,
		               "probes", probes_json(d),
		               "resolved", d->resolved);
	if (r->ab.done && abort_by(r->verdict))
		ab = json_pack("{s:s, s:f, s:s}", "by", abort_by(r->verdict),
		               "at_s", (r->ab.t_us - d->start_us) / 1e6,
		               "rst", r->ab.rst_sent ? "at once" : "at close");
	doc = json_pack("{s:s, s:s, s:s, s:{s:s, s:i, s:s}, s:I, s:I, s:I, s:I, s:o, s:o, s:o,"
	                " s:I, s:I, s:I, s:b, s:o, s:s, s:s, s:s, s:i, s:f, s:f,"
	                " s:{s:f, s:f, s:i}, s:o, s:o, s:f, s:o, s:I, s:I}",
	                "program", "tcpecho",
	                "version", PROBELOCK_VERSION,
	                "mode", client_mode_name(c->mode),
	                "target", "host", c->host, "port", (json_int_t)c->port, "address", r->peer,
	                "payload", (json_int_t)c->payload,
	                "times", (json_int_t)c->times,
	                "parallel", (json_int_t)c->parallel,
	                "chunk", (json_int_t)(c->mode == CLIENT_CHUNKED ? c->chunk : 0),
	                "sndbuf", buf_json(c->sock.sndbuf, r->eff.sndbuf, r->have_eff),
	                "rcvbuf", buf_json(c->sock.rcvbuf, r->eff.rcvbuf, r->have_eff),
	                "mss", r->have_last ? json_integer(r->last.snd_mss) : json_null(),
	                "bytes_expected", (json_int_t)r->expected,
	                "bytes_sent", (json_int_t)r->bytes_sent,
	                "bytes_received", (json_int_t)r->bytes_received,
	                "verified", r->verified,
	                "mismatch_offset", r->mismatch_offset >= 0 ? json_integer(r->mismatch_offset) : json_null(),
	                "outcome", client_outcome_name(r->outcome),
	                "ended_by", client_end_name(r->ended_by),
	                "detail", r->detail,
	                "exit_code", (json_int_t)client_outcome_exit(r->outcome),
	                "elapsed_s", r->elapsed_s,
	                "throughput_Bps", r->throughput_Bps,
	                "stall", "total_s", d->stall_total_us / 1e6, "longest_s", d->stall_longest_us / 1e6,
	                "count", (json_int_t)d->stalls,
	                "deadlock", dl,
	                "abort", ab,
	                "t0_unix", r->t0_unix_us / 1e6,
	                "tcp_info", r->have_last ? result_tcpstat_json(&r->last) : json_null(),
	                "samples", (json_int_t)r->samples,
	                "aware_wakeups", (json_int_t)r->aware_wakeups);
	if (doc)
		json_object_set_new(doc, "settings",
		                    json_pack("{s:f, s:f, s:f, s:b, s:i, s:f}",
		                              "alarm_s", c->alarm_us / 1e6,
		                              "stall_threshold_s", c->stall_threshold_us / 1e6,
		                              "sample_interval_s", c->sample_interval_us / 1e6,
		                              "abort_on_deadlock", c->abort_on_deadlock,
		                              "hold_probes", (json_int_t)c->hold_probes,
		                              "hold_s", c->hold_us / 1e6));
	return doc;
}
