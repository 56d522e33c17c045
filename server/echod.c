/* echod: the echo server of the probelock harness. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "server.h"
#include "serveropt.h"
#include "version.h"

struct out {
	const char *stats_path;
	int failed;
};

static void on_ready(const struct sock_addr *bound, void *arg)
{
	char host[64];

	(void)arg;
	printf("listening on %s %u\n", sock_addr_host(bound, host, sizeof host), sock_addr_port(bound));
	fflush(stdout);
}

/* Statistics go to stdout as one line, or replace --stats FILE atomically
 * (written beside it, then renamed), so a reader never sees half a file. */
static void on_stats(json_t *doc, int final, void *arg)
{
	struct out *o = arg;
	char tmp[4096];
	FILE *f;

	(void)final;
	if (!o->stats_path) {
		json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		fflush(stdout);
		json_decref(doc);
		return;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->stats_path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f || json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', f) == EOF ||
	    fclose(f) != 0 || rename(tmp, o->stats_path) < 0) {
		fprintf(stderr, "echod: stats %s: %s\n", o->stats_path, strerror(errno));
		o->failed = 1;
		unlink(tmp);
	}
	json_decref(doc);
}

static void on_log(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "echod: %s\n", msg);
}

int main(int argc, char **argv)
{
	struct server_cfg cfg;
	struct out o = { 0 };
	struct server_hooks hooks = { on_ready, on_stats, on_log, &o };
	struct rlimit rl;
	char err[512];

	switch (serveropt_parse(argc, argv, &cfg, &o.stats_path, err, sizeof err)) {
	case SERVEROPT_HELP:
		fputs(serveropt_help(), stdout);
		return 0;
	case SERVEROPT_VERSION:
		printf("echod %s\n", PROBELOCK_VERSION);
		return 0;
	case SERVEROPT_USAGE:
		fprintf(stderr, "echod: %s\nTry 'echod --help'.\n", err);
		return 2;
	case SERVEROPT_RUN:
		break;
	}
	/* Many connections need many descriptors: take what the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (server_run(&cfg, &hooks, err, sizeof err) < 0) {
		fprintf(stderr, "echod: %s\n", err);
		return 1;
	}
	return o.failed ? 1 : 0;
}
