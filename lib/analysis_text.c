/* analysis_text: the text forms of the analysis (`probelock analyze`): the
 * summary, the flagged frames (--frames) and the excerpts (--excerpt). */
#include "analysis.h"
#include "pcapin.h"

#include <stdio.h>

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
		fprintf(out, "  window scale A %s, B %s%s\n", analysis_ws_str(c->d[0].win_scale, w0, sizeof w0),
		        analysis_ws_str(c->d[1].win_scale, w1, sizeof w1),
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
