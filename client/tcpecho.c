/* tcpecho: the draft's echo client with several I/O modes and live probe-deadlock detection. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	if (r->det.deadlock) {
		char rcvd[24] = "unknown";

		if (r->det.probes_received >= 0)
			snprintf(rcvd, sizeof rcvd, "%d", r->det.probes_received);
		printf("  deadlock onset %.3f s, detected %.3f s, backoff %u, probes sent %u, received %s%s\n",
		       (r->det.onset_us - r->det.start_us) / 1e6,
		       (r->det.detected_us - r->det.start_us) / 1e6, r->det.backoff, r->det.probes_sent, rcvd,
		       r->det.resolved ? " (resolved: bytes moved again)" : "");
	}
	if (r->ab.done)
		printf("  aborted at %.3f s, RST %s\n", (r->ab.t_us - r->det.start_us) / 1e6,
		       r->ab.rst_sent ? "at once" : "at close");
}

static void on_stop_signal(int sig)
{
	(void)sig;
	client_interrupt(); /* the run ends within a sample interval and says so */
}

/* SIGINT and SIGTERM end the run, which still writes its result document
 * (outcome interrupted, exit 130) and its timeline. */
static int catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked call in the thread that gets it returns */
	return sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ? -1 : 0;
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
	if (catch_stop_signals() < 0) {
		perror("tcpecho: sigaction");
		return 1;
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
