/* tcpecho: the draft's echo client with several I/O modes and live probe-deadlock detection. */
#include <stdio.h>
#include <stdlib.h>

#include "client.h"
#include "clientopt.h"
#include "result.h"
#include "version.h"

static void print_summary(const struct client_cfg *c, const struct client_result *r)
{
	printf("tcpecho: %s %s, %llu bytes x %llu%s: %s%s%s\n", r->peer, client_mode_name(c->mode),
	       (unsigned long long)c->payload, (unsigned long long)c->times,
	       c->parallel > 1 ? " per connection" : "", client_outcome_name(r->outcome),
	       r->detail[0] ? " - " : "", r->detail);
	printf("  sent %llu, echoed %llu of %llu%s, %.3f s, %.1f KiB/s echoed\n",
	       (unsigned long long)r->bytes_sent, (unsigned long long)r->bytes_received,
	       (unsigned long long)r->expected, r->verified ? " (verified)" : "", r->elapsed_s,
	       r->throughput_Bps / 1024);
	if (r->have_eff) {
		char sb[24] = "default", rb[24] = "default";

		if (c->sock.sndbuf >= 0)
			snprintf(sb, sizeof sb, "%lld", (long long)c->sock.sndbuf);
		if (c->sock.rcvbuf >= 0)
			snprintf(rb, sizeof rb, "%lld", (long long)c->sock.rcvbuf);
		printf("  sndbuf %s -> %d, rcvbuf %s -> %d, mss %u\n", sb, r->eff.sndbuf, rb,
		       r->eff.rcvbuf, r->last.snd_mss);
	}
	printf("  stalls %u, %.3f s in all, longest %.3f s\n", r->det.stalls,
	       r->det.stall_total_us / 1e6, r->det.stall_longest_us / 1e6);
	if (r->det.deadlock)
		printf("  deadlock onset %.3f s, detected %.3f s, backoff %u, probes %u\n",
		       (r->det.onset_us - r->det.start_us) / 1e6,
		       (r->det.detected_us - r->det.start_us) / 1e6, r->det.backoff, r->det.probes);
}

int main(int argc, char **argv)
{
	struct client_cfg cfg;
	struct client_result res;
	char err[512];
	json_t *doc;

	switch (clientopt_parse(argc, argv, &cfg, err, sizeof err)) {
	case CLIENTOPT_HELP:
		fputs(clientopt_help(), stdout);
		return 0;
	case CLIENTOPT_VERSION:
		printf("tcpecho %s\n", PROBELOCK_VERSION);
		return 0;
	case CLIENTOPT_USAGE:
		fprintf(stderr, "tcpecho: %s\n", err);
		fprintf(stderr, "Try 'tcpecho --help'.\n");
		return 2;
	case CLIENTOPT_RUN:
		break;
	}
	if (client_run(&cfg, &res, err, sizeof err) < 0) {
		fprintf(stderr, "tcpecho: %s\n", err);
		return 1;
	}
	if (cfg.json) {
		doc = result_to_json(&cfg, &res);
		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
			fprintf(stderr, "tcpecho: cannot write the result document\n");
			json_decref(doc);
			return 1;
		}
		json_decref(doc);
		putchar('\n');
	} else {
		print_summary(&cfg, &res);
	}
	if (fflush(stdout) != 0) {
		perror("tcpecho: stdout");
		return 1;
	}
	return client_outcome_exit(res.outcome);
}
