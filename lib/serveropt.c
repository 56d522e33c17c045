/* serveropt: echod's command line into a server_cfg. */
#include "serveropt.h"
#include "units.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_MODE = 256, OPT_SNDBUF, OPT_RCVBUF, OPT_APP_BUF, OPT_OUT_CAP, OPT_MAX_CONNS,
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
"      --out-cap SIZE       event modes: stop reading a connection whose pending echo\n"
"                           passes SIZE, resume at half (default 64K)\n"
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

static int bad(char *err, size_t errlen, const char *opt, const char *val, const char *cause)
{
	snprintf(err, errlen, "%s '%s': %s", opt, val, cause);
	return SERVEROPT_USAGE;
}

#define SEC 1000000ull

enum serveropt_status serveropt_parse(int argc, char **argv, struct server_cfg *cfg,
                                      const char **stats_path, char *err, size_t errlen)
{
	char cause[128];
	uint64_t v;
	int c, have_stall_for = 0, have_rate = 0;

	server_cfg_init(cfg);
	*stats_path = NULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:b:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (units_parse_port(optarg, &cfg->port, cause, sizeof cause) < 0)
				return bad(err, errlen, "--port", optarg, cause);
			break;
		case 'b':
			if (!*optarg)
				return bad(err, errlen, "--bind", optarg, "empty address");
			cfg->bind_host = optarg;
			break;
		case 'h':
			return SERVEROPT_HELP;
		case OPT_VERSION:
			return SERVEROPT_VERSION;
		case OPT_MODE:
			if (server_mode_parse(optarg, &cfg->mode) < 0)
				return bad(err, errlen, "--mode", optarg,
				           "unknown mode (event, blocking, stall, slow)");
			break;
		case OPT_SNDBUF:
		case OPT_RCVBUF:
			if (units_parse_size(optarg, 1, 1u << 30, &v, cause, sizeof cause) < 0)
				return bad(err, errlen, c == OPT_SNDBUF ? "--sndbuf" : "--rcvbuf", optarg, cause);
			if (c == OPT_SNDBUF)
				cfg->sock.sndbuf = (int64_t)v;
			else
				cfg->sock.rcvbuf = (int64_t)v;
			break;
		case OPT_APP_BUF:
			if (units_parse_size(optarg, 1, 1u << 30, &cfg->app_buf, cause, sizeof cause) < 0)
				return bad(err, errlen, "--app-buf", optarg, cause);
			break;
		case OPT_OUT_CAP:
			if (units_parse_size(optarg, 2, 1u << 30, &cfg->out_cap, cause, sizeof cause) < 0)
				return bad(err, errlen, "--out-cap", optarg, cause);
			break;
		case OPT_MAX_CONNS:
			if (units_parse_uint(optarg, 1, 10000000, &v, cause, sizeof cause) < 0)
				return bad(err, errlen, "--max-conns", optarg, cause);
			cfg->max_conns = (unsigned)v;
			break;
		case OPT_IDLE:
			if (units_parse_duration(optarg, SEC, 1000, 365 * 86400 * SEC, &cfg->idle_timeout_us,
			                         cause, sizeof cause) < 0)
				return bad(err, errlen, "--idle-timeout", optarg, cause);
			break;
		case OPT_RATE:
			if (units_parse_size(optarg, 1, 1ull << 40, &cfg->rate, cause, sizeof cause) < 0)
				return bad(err, errlen, "--rate", optarg, cause);
			have_rate = 1;
			break;
		case OPT_STALL_FOR:
			if (units_parse_duration(optarg, SEC, 1000, 365 * 86400 * SEC, &cfg->stall_for_us,
			                         cause, sizeof cause) < 0)
				return bad(err, errlen, "--stall-for", optarg, cause);
			have_stall_for = 1;
			break;
		case OPT_MONITOR:
			cfg->monitor = 1;
			break;
		case OPT_STALL:
			if (units_parse_duration(optarg, SEC, 1000, 3600 * SEC, &cfg->stall_threshold_us,
			                         cause, sizeof cause) < 0)
				return bad(err, errlen, "--stall-threshold", optarg, cause);
			break;
		case OPT_SAMPLE:
			if (units_parse_duration(optarg, SEC, 1000, 60 * SEC, &cfg->sample_interval_us,
			                         cause, sizeof cause) < 0)
				return bad(err, errlen, "--sample-interval", optarg, cause);
			break;
		case OPT_STATS:
			if (!*optarg)
				return bad(err, errlen, "--stats", optarg, "empty file name");
			*stats_path = optarg;
			break;
		case OPT_BACKLOG:
			if (units_parse_uint(optarg, 1, 65535, &v, cause, sizeof cause) < 0)
				return bad(err, errlen, "--backlog", optarg, cause);
			cfg->backlog = (int)v;
			break;
		case ':':
			if (optopt > 0 && optopt < 256) {
				snprintf(err, errlen, "option -%c needs a value", optopt);
			} else {
				const char *name = "?";

				for (const struct option *o = long_opts; o->name; o++)
					if (o->val == optopt)
						name = o->name;
				snprintf(err, errlen, "option --%s needs a value", name);
			}
			return SERVEROPT_USAGE;
		default:
			if (optopt > 0 && optopt < 256)
				snprintf(err, errlen, "unknown option -%c", optopt);
			else
				snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return SERVEROPT_USAGE;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return SERVEROPT_USAGE;
	}
	if (have_stall_for && cfg->mode != SERVER_STALL) {
		snprintf(err, errlen, "--stall-for applies to --mode stall only");
		return SERVEROPT_USAGE;
	}
	if (have_rate && cfg->mode != SERVER_SLOW) {
		snprintf(err, errlen, "--rate applies to --mode slow only");
		return SERVEROPT_USAGE;
	}
	if (cfg->sample_interval_us > cfg->stall_threshold_us) {
		snprintf(err, errlen, "--sample-interval: %.3f s is longer than --stall-threshold %.3f s",
		         cfg->sample_interval_us / 1e6, cfg->stall_threshold_us / 1e6);
		return SERVEROPT_USAGE;
	}
	return SERVEROPT_RUN;
}
