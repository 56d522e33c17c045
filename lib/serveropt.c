/* serveropt: echod's command line into a server_cfg. */
#include "serveropt.h"
#include "optlimits.h"
#include "optutil.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_MODE = 256, OPT_SNDBUF, OPT_RCVBUF, OPT_APP_BUF, OPT_OUT_CAP, OPT_THREADS, OPT_MAX_CONNS,
	OPT_IDLE, OPT_RATE, OPT_STALL_FOR, OPT_MONITOR, OPT_STALL, OPT_SAMPLE, OPT_STATS,
	OPT_BACKLOG, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "bind", required_argument, NULL, 'b' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "sndbuf", required_argument, NULL, OPT_SNDBUF },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "app-buf", required_argument, NULL, OPT_APP_BUF },
	{ "out-cap", required_argument, NULL, OPT_OUT_CAP },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "stall-for", required_argument, NULL, OPT_STALL_FOR },
	{ "monitor", no_argument, NULL, OPT_MONITOR },
	{ "stall-threshold", required_argument, NULL, OPT_STALL },
	{ "sample-interval", required_argument, NULL, OPT_SAMPLE },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "backlog", required_argument, NULL, OPT_BACKLOG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

const char *serveropt_help(void)
{
	return
"usage: echod [options]\n"
"\n"
"An RFC 862 echo server with the modes of the TCP window probe deadlock experiment.\n"
"Prints 'listening on ADDR PORT' once ready; SIGUSR1 prints statistics (JSON),\n"
"SIGTERM/SIGINT stop it and print the final statistics.\n"
"\n"
"Listening:\n"
"  -b, --bind ADDR          address to listen on (default 127.0.0.1; :: or 0.0.0.0 for all)\n"
"  -p, --port PORT          port, 0 for an ephemeral one (default 7)\n"
"      --backlog N          listen backlog (default 4096)\n"
"      --sndbuf SIZE        SO_SNDBUF on the listening socket, inherited by connections\n"
"      --rcvbuf SIZE        SO_RCVBUF likewise, set before listen() so that window\n"
"                           scaling is negotiated for it (default: kernel)\n"
"\n"
"Behaviour:\n"
"      --mode MODE          event (default): libevent, bounded memory per connection;\n"
"                           blocking: thread per connection, recv --app-buf bytes then\n"
"                           a blocking send of them (the draft's inetd echo);\n"
"                           stall: accept and never read (see --stall-for);\n"
"                           slow: read at --rate bytes/s\n"
"      --app-buf SIZE       blocking mode recv size (default 8192, as inetd)\n"
"      --out-cap SIZE       event modes: hold at most SIZE of a connection's echo that\n"
"                           its socket did not take, and stop reading it meanwhile;\n"
"                           event mode reads up to SIZE at once (default 256K)\n"
"      --threads N          event mode: event loops, each in its own thread, that\n"
"                           accepted connections are dealt to in turn (default: one\n"
"                           per online CPU)\n"
"      --rate SIZE          slow mode: bytes per second (default 8K)\n"
"      --stall-for D        stall mode: start echoing after D (default: never)\n"
"      --max-conns N        refuse (RST) connections beyond N (default: no limit)\n"
"      --idle-timeout D     close a connection idle for D (default: never)\n"
"\n"
"Monitoring:\n"
"      --monitor            sample every connection (TCP_INFO) and report probe deadlocks\n"
"      --stall-threshold D  (default 500ms)    --sample-interval D  (default 50ms)\n"
"      --stats FILE         write statistics to FILE (replaced atomically) instead of stdout\n"
"  -h, --help               this text\n"
"      --version            print the version\n";
}

#define SEC OPTLIM_SEC

unsigned serveropt_rules_broken(const struct server_cfg *c, int stall_for_given, int rate_given)
{
	unsigned broken = 0;

	if (stall_for_given && c->mode != SERVER_STALL)
		broken |= SERVEROPT_RULE_STALL_FOR_MODE;
	if (rate_given && c->mode != SERVER_SLOW)
		broken |= SERVEROPT_RULE_RATE_MODE;
	if (c->sample_interval_us > c->stall_threshold_us)
		broken |= SERVEROPT_RULE_SAMPLE_STALL;
	return broken;
}

/* What the options say beside cfg. */
struct parse {
	struct server_cfg *cfg;
	const char **stats_path;
	int have_stall_for, have_rate;
	char *err;
	size_t errlen;
};

/* Each group's handler: OPT_OK, OPT_BAD (err set: "--opt 'value': cause") or
 * OPT_NOT_MINE. */
enum { OPT_OK, OPT_BAD, OPT_NOT_MINE };
#define CHECK(call) do { if ((call) < 0) return OPT_BAD; } while (0)

/* Listening: address, port, the listening socket's buffers, backlog, limit. */
static int opt_listen(struct parse *p, int c, const char *arg)
{
	struct server_cfg *cfg = p->cfg;
	uint64_t v;

	switch (c) {
	case 'p':
		CHECK(optutil_port("--port", arg, &cfg->port, p->err, p->errlen));
		return OPT_OK;
	case 'b':
		if (!*arg)
			CHECK(optutil_bad("--bind", arg, "empty address", p->err, p->errlen));
		cfg->bind_host = arg;
		return OPT_OK;
	case OPT_SNDBUF:
		CHECK(optutil_size("--sndbuf", arg, OPTLIM_SOCKBUF_MIN, OPTLIM_SOCKBUF_MAX, &v, p->err, p->errlen));
		cfg->sock.sndbuf = (int64_t)v;
		return OPT_OK;
	case OPT_RCVBUF:
		CHECK(optutil_size("--rcvbuf", arg, OPTLIM_SOCKBUF_MIN, OPTLIM_SOCKBUF_MAX, &v, p->err, p->errlen));
		cfg->sock.rcvbuf = (int64_t)v;
		return OPT_OK;
	case OPT_BACKLOG:
		CHECK(optutil_uint("--backlog", arg, 1, 65535, &v, p->err, p->errlen));
		cfg->backlog = (int)v;
		return OPT_OK;
	case OPT_MAX_CONNS:
		CHECK(optutil_uint("--max-conns", arg, 1, 10000000, &v, p->err, p->errlen));
		cfg->max_conns = (unsigned)v;
		return OPT_OK;
	}
	return OPT_NOT_MINE;
}

/* Behaviour: the mode and each mode's settings. */
static int opt_behaviour(struct parse *p, int c, const char *arg)
{
	struct server_cfg *cfg = p->cfg;
	uint64_t v;

	switch (c) {
	case OPT_MODE:
		if (server_mode_parse(arg, &cfg->mode) < 0)
			CHECK(optutil_bad("--mode", arg, "unknown mode (event, blocking, stall, slow)", p->err,
			                  p->errlen));
		return OPT_OK;
	case OPT_APP_BUF:
		CHECK(optutil_size("--app-buf", arg, OPTLIM_APP_BUF_MIN, OPTLIM_APP_BUF_MAX, &cfg->app_buf, p->err,
		                   p->errlen));
		return OPT_OK;
	case OPT_OUT_CAP:
		CHECK(optutil_size("--out-cap", arg, OPTLIM_OUT_CAP_MIN, OPTLIM_OUT_CAP_MAX, &cfg->out_cap, p->err,
		                   p->errlen));
		return OPT_OK;
	case OPT_THREADS:
		CHECK(optutil_uint("--threads", arg, 1, 256, &v, p->err, p->errlen));
		cfg->threads = (unsigned)v;
		return OPT_OK;
	case OPT_IDLE:
		CHECK(optutil_duration("--idle-timeout", arg, SEC, OPTLIM_IDLE_TIMEOUT_MIN, OPTLIM_IDLE_TIMEOUT_MAX,
		                       &cfg->idle_timeout_us, p->err, p->errlen));
		return OPT_OK;
	case OPT_RATE:
		CHECK(optutil_size("--rate", arg, OPTLIM_RATE_MIN, OPTLIM_RATE_MAX, &cfg->rate, p->err, p->errlen));
		p->have_rate = 1;
		return OPT_OK;
	case OPT_STALL_FOR:
		CHECK(optutil_duration("--stall-for", arg, SEC, OPTLIM_STALL_FOR_MIN, OPTLIM_STALL_FOR_MAX,
		                       &cfg->stall_for_us, p->err, p->errlen));
		p->have_stall_for = 1;
		return OPT_OK;
	}
	return OPT_NOT_MINE;
}

/* Monitoring: the detector's periods and where statistics go. */
static int opt_monitoring(struct parse *p, int c, const char *arg)
{
	struct server_cfg *cfg = p->cfg;

	switch (c) {
	case OPT_MONITOR:
		cfg->monitor = 1;
		return OPT_OK;
	case OPT_STALL:
		CHECK(optutil_duration("--stall-threshold", arg, SEC, OPTLIM_STALL_THRESHOLD_MIN,
		                       OPTLIM_STALL_THRESHOLD_MAX, &cfg->stall_threshold_us, p->err, p->errlen));
		return OPT_OK;
	case OPT_SAMPLE:
		CHECK(optutil_duration("--sample-interval", arg, SEC, OPTLIM_SAMPLE_INTERVAL_MIN,
		                       OPTLIM_SAMPLE_INTERVAL_MAX, &cfg->sample_interval_us, p->err, p->errlen));
		return OPT_OK;
	case OPT_STATS:
		if (!*arg)
			CHECK(optutil_bad("--stats", arg, "empty file name", p->err, p->errlen));
		*p->stats_path = arg;
		return OPT_OK;
	}
	return OPT_NOT_MINE;
}

/* The option groups, each asked in turn until one knows the option. */
static int (*const opt_groups[])(struct parse *, int, const char *) = {
	opt_listen, opt_behaviour, opt_monitoring,
};

/* The message of the first rule (serveropt_rules_broken) that cfg breaks;
 * 0 when it breaks none. */
static int rules_message(const struct server_cfg *cfg, unsigned broken, char *err, size_t errlen)
{
	if (broken & SERVEROPT_RULE_STALL_FOR_MODE)
		snprintf(err, errlen, "--stall-for applies to --mode stall only");
	else if (broken & SERVEROPT_RULE_RATE_MODE)
		snprintf(err, errlen, "--rate applies to --mode slow only");
	else if (broken & SERVEROPT_RULE_SAMPLE_STALL)
		snprintf(err, errlen, "--sample-interval: %.3f s is longer than --stall-threshold %.3f s",
		         cfg->sample_interval_us / 1e6, cfg->stall_threshold_us / 1e6);
	else
		return 0;
	return -1;
}

enum serveropt_status serveropt_parse(int argc, char **argv, struct server_cfg *cfg,
                                      const char **stats_path, char *err, size_t errlen)
{
	struct parse p = { .cfg = cfg, .stats_path = stats_path, .err = err, .errlen = errlen };
	int c, rc;

	server_cfg_init(cfg);
	*stats_path = NULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:b:h", long_opts, NULL)) != -1) {
		if (c == 'h')
			return SERVEROPT_HELP;
		if (c == OPT_VERSION)
			return SERVEROPT_VERSION;
		rc = OPT_NOT_MINE;
		for (size_t i = 0; rc == OPT_NOT_MINE && i < sizeof opt_groups / sizeof opt_groups[0]; i++)
			rc = opt_groups[i](&p, c, optarg);
		if (rc == OPT_BAD)
			return SERVEROPT_USAGE;
		if (rc == OPT_NOT_MINE) {
			optutil_getopt_error(c, long_opts, argv, err, errlen);
			return SERVEROPT_USAGE;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return SERVEROPT_USAGE;
	}
	if (rules_message(cfg, serveropt_rules_broken(cfg, p.have_stall_for, p.have_rate), err, errlen) < 0)
		return SERVEROPT_USAGE;
	return SERVEROPT_RUN;
}
