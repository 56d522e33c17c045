/* clientopt: tcpecho's command line (the draft's plus long options) into a client_cfg. */
#include "clientopt.h"
#include "optlimits.h"
#include "optutil.h"
#include "units.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_MODE = 256, OPT_PAYLOAD, OPT_CHUNK, OPT_SNDBUF, OPT_RCVBUF, OPT_NODELAY, OPT_MAXSEG,
	OPT_USER_TIMEOUT, OPT_KEEPALIVE, OPT_STALL, OPT_SAMPLE, OPT_NO_ABORT, OPT_TIMELINE,
	OPT_JSON, OPT_PARALLEL, OPT_CONNECT_TIMEOUT, OPT_LITERAL, OPT_SEED, OPT_VERSION, OPT_READ_DELAY,
	OPT_HOLD, OPT_HOLD_FOR,
};

static const struct option long_opts[] = {
	{ "times", required_argument, NULL, 'n' },
	{ "alarm", required_argument, NULL, 'a' },
	{ "multiple", required_argument, NULL, 'm' },
	{ "port", required_argument, NULL, 'p' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "payload", required_argument, NULL, OPT_PAYLOAD },
	{ "chunk", required_argument, NULL, OPT_CHUNK },
	{ "sndbuf", required_argument, NULL, OPT_SNDBUF },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "nodelay", no_argument, NULL, OPT_NODELAY },
	{ "maxseg", required_argument, NULL, OPT_MAXSEG },
	{ "user-timeout", required_argument, NULL, OPT_USER_TIMEOUT },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "stall-threshold", required_argument, NULL, OPT_STALL },
	{ "sample-interval", required_argument, NULL, OPT_SAMPLE },
	{ "no-abort", no_argument, NULL, OPT_NO_ABORT },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "hold-for", required_argument, NULL, OPT_HOLD_FOR },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "literal", no_argument, NULL, OPT_LITERAL },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "read-delay", required_argument, NULL, OPT_READ_DELAY },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

const char *clientopt_help(void)
{
	return
"usage: tcpecho [-n times] [-a alarm] [-m multiple] [options] host [string]\n"
"\n"
"The client of the 1998 draft \"TCP Window Probe Deadlock\": sends a payload to an\n"
"RFC 862 echo server, checks every echoed byte, and detects probe deadlocks live.\n"
"Payload size: --payload SIZE, or strlen(string) x multiple as in the draft.\n"
"\n"
"Draft options:\n"
"  -n, --times N            send the payload N times, reading each echo (default 1)\n"
"  -a, --alarm DURATION     give up after this long, exit 4; '120' means 120 s,\n"
"                           0 disables (default 20s)\n"
"  -m, --multiple N         payload = string repeated N times (default 1)\n"
"  -t                       accepted and ignored (TCP is the only transport)\n"
"\n"
"Connection:\n"
"  -p, --port PORT          echo server port (default 7)\n"
"      --connect-timeout D  (default 5s)\n"
"      --sndbuf SIZE        SO_SNDBUF before connect (Linux doubles it; default: kernel)\n"
"      --rcvbuf SIZE        SO_RCVBUF before connect (default: kernel)\n"
"      --nodelay            set TCP_NODELAY\n"
"      --maxseg BYTES       set TCP_MAXSEG before connect\n"
"      --user-timeout D     set TCP_USER_TIMEOUT (e.g. 30s; 1ms at least)\n"
"      --keepalive I[,V[,C]] SO_KEEPALIVE with idle I, interval V, count C (e.g. 5s,1s,3)\n"
"\n"
"I/O:\n"
"      --mode MODE          blocking (default, the draft's: one send, then recv),\n"
"                           nonblocking, chunked, split, aware\n"
"      --payload SIZE       bytes per round: 60000, 64K, 1MiB ... (blocking and\n"
"                           aware send from one buffer of it: 1 GiB at most)\n"
"      --chunk SIZE         chunked mode: bytes per send/echo step (default 8192)\n"
"      --parallel N         nonblocking mode: N connections at once (default 1)\n"
"      --read-delay D       split mode: the receiver starts reading only after D\n"
"                           (a peer that stops reading, then resumes)\n"
"      --literal            send the string itself (the draft's bytes) instead of\n"
"                           the position-dependent pattern\n"
"      --seed N             pattern seed (default 1)\n"
"\n"
"Detection:\n"
"      --stall-threshold D  no byte progress for D is a stall (default 500ms)\n"
"      --sample-interval D  TCP_INFO sampling period (default 50ms)\n"
"      --no-abort           on a detected deadlock keep waiting for the alarm\n"
"                           (default: abort with RST at once, exit 3)\n"
"      --hold N             evidence first: keep a detected deadlock until each\n"
"                           side sent N probes (TCP_INFO), then abort (0..15)\n"
"      --hold-for D         ... or for D (with --hold: at most D); the alarm\n"
"                           still ends it\n"
"\n"
"Output:\n"
"      --json               print the result document (JSON) instead of the summary\n"
"      --timeline FILE      write the samples as CSV\n"
"  -h, --help               this text\n"
"      --version            print the version\n"
"\n"
"Exit: 0 completed and verified, 1 error, 2 usage, 3 deadlock detected,\n"
"      4 alarm expired, 5 connection reset or aborted, 6 corrupt echo,\n"
"      130 interrupted (SIGINT, SIGTERM: the result is still written).\n";
}

#define SEC OPTLIM_SEC

unsigned clientopt_rules_broken(const struct client_cfg *c, int chunk_given)
{
	unsigned broken = 0;

	if (chunk_given && c->mode != CLIENT_CHUNKED)
		broken |= CLIENTOPT_RULE_CHUNK_MODE;
	if (chunk_given && c->chunk > c->payload)
		broken |= CLIENTOPT_RULE_CHUNK_PAYLOAD;
	if (c->read_delay_us && c->mode != CLIENT_SPLIT)
		broken |= CLIENTOPT_RULE_READ_DELAY_MODE;
	if (c->parallel > 1 && c->mode != CLIENT_NONBLOCKING)
		broken |= CLIENTOPT_RULE_PARALLEL_MODE;
	if (c->sample_interval_us > c->stall_threshold_us)
		broken |= CLIENTOPT_RULE_SAMPLE_STALL;
	if ((c->mode == CLIENT_BLOCKING || c->mode == CLIENT_AWARE) && c->payload > OPTLIM_PAYLOAD_HELD_MAX)
		broken |= CLIENTOPT_RULE_PAYLOAD_HELD;
	if (c->payload && c->times &&
	    (c->times > OPTLIM_TOTAL_MAX / c->payload ||
	     (c->parallel > 1 && c->payload * c->times > OPTLIM_TOTAL_MAX / c->parallel)))
		broken |= CLIENTOPT_RULE_TOTAL;
	return broken;
}

enum clientopt_status clientopt_parse(int argc, char **argv, struct client_cfg *cfg,
                                      char *err, size_t errlen)
{
	uint64_t v, multiple = 1, payload = 0;
	int have_multiple = 0, have_payload = 0, have_chunk = 0, literal = 0, c;
	uint64_t seed = 1;
	unsigned broken;
	const char *string = NULL;
	char cause[128];

	client_cfg_init(cfg);
	optind = 0; /* GNU: full re-initialisation, so tests may parse repeatedly */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:a:m:p:th", long_opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (optutil_uint("-n", optarg, OPTLIM_TIMES_MIN, OPTLIM_TIMES_MAX, &cfg->times, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			break;
		case 'a':
			if (optutil_duration("-a", optarg, SEC, 0, OPTLIM_ALARM_MAX, &cfg->alarm_us, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			break;
		case 'm':
			if (optutil_uint("-m", optarg, 1, OPTLIM_PAYLOAD_MAX, &multiple, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			have_multiple = 1;
			break;
		case 'p':
			if (optutil_port("--port", optarg, &cfg->port, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			if (cfg->port == 0) {
				optutil_bad("--port", optarg, "port 0 cannot be connected to", err, errlen);
				return CLIENTOPT_USAGE;
			}
			break;
		case 't':
			break;
		case 'h':
			return CLIENTOPT_HELP;
		case OPT_VERSION:
			return CLIENTOPT_VERSION;
		case OPT_MODE:
			if (client_mode_parse(optarg, &cfg->mode) < 0) {
				optutil_bad("--mode", optarg,
				            "unknown mode (blocking, nonblocking, chunked, split, aware)", err, errlen);
				return CLIENTOPT_USAGE;
			}
			break;
		case OPT_PAYLOAD:
			if (optutil_size("--payload", optarg, OPTLIM_PAYLOAD_MIN, OPTLIM_PAYLOAD_MAX, &payload, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			have_payload = 1;
			break;
		case OPT_CHUNK:
			if (optutil_size("--chunk", optarg, OPTLIM_CHUNK_MIN, OPTLIM_CHUNK_MAX, &cfg->chunk, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			have_chunk = 1;
			break;
		case OPT_SNDBUF:
			if (optutil_size("--sndbuf", optarg, OPTLIM_SOCKBUF_MIN, OPTLIM_SOCKBUF_MAX, &v, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			cfg->sock.sndbuf = (int64_t)v;
			break;
		case OPT_RCVBUF:
			if (optutil_size("--rcvbuf", optarg, OPTLIM_SOCKBUF_MIN, OPTLIM_SOCKBUF_MAX, &v, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			cfg->sock.rcvbuf = (int64_t)v;
			break;
		case OPT_NODELAY:
			cfg->sock.nodelay = 1;
			break;
		case OPT_MAXSEG:
			if (optutil_uint("--maxseg", optarg, OPTLIM_MAXSEG_MIN, OPTLIM_MAXSEG_MAX, &v, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			cfg->sock.maxseg = (int)v;
			break;
		case OPT_USER_TIMEOUT:
			if (optutil_duration("--user-timeout", optarg, SEC, 0, OPTLIM_USER_TIMEOUT_MAX, &v, err,
			                     errlen) < 0)
				return CLIENTOPT_USAGE;
			if (v && v < OPTLIM_USER_TIMEOUT_MIN) {
				optutil_bad("--user-timeout", optarg,
				            "below 1ms: TCP_USER_TIMEOUT counts milliseconds (0 leaves it unset)", err, errlen);
				return CLIENTOPT_USAGE;
			}
			cfg->sock.user_timeout_ms = (int64_t)(v / 1000);
			break;
		case OPT_KEEPALIVE:
			if (sockopt_parse_keepalive(optarg, &cfg->sock, cause, sizeof cause) < 0) {
				optutil_bad("--keepalive", optarg, cause, err, errlen);
				return CLIENTOPT_USAGE;
			}
			break;
		case OPT_STALL:
			if (optutil_duration("--stall-threshold", optarg, SEC, OPTLIM_STALL_THRESHOLD_MIN,
			                     OPTLIM_STALL_THRESHOLD_MAX,
			                     &cfg->stall_threshold_us, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			break;
		case OPT_SAMPLE:
			if (optutil_duration("--sample-interval", optarg, SEC, OPTLIM_SAMPLE_INTERVAL_MIN,
			                     OPTLIM_SAMPLE_INTERVAL_MAX,
			                     &cfg->sample_interval_us, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			break;
		case OPT_NO_ABORT:
			cfg->abort_on_deadlock = 0;
			break;
		case OPT_HOLD:
			if (optutil_uint("--hold", optarg, 0, OPTLIM_HOLD_PROBES_MAX, &v, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			cfg->hold_probes = (unsigned)v;
			break;
		case OPT_HOLD_FOR:
			if (optutil_duration("--hold-for", optarg, SEC, 0, OPTLIM_HOLD_FOR_MAX, &cfg->hold_us, err,
			                     errlen) < 0)
				return CLIENTOPT_USAGE;
			break;
		case OPT_TIMELINE:
			if (!*optarg) {
				optutil_bad("--timeline", optarg, "empty file name", err, errlen);
				return CLIENTOPT_USAGE;
			}
			cfg->timeline_path = optarg;
			break;
		case OPT_JSON:
			cfg->json = 1;
			break;
		case OPT_PARALLEL:
			if (optutil_uint("--parallel", optarg, OPTLIM_PARALLEL_MIN, OPTLIM_PARALLEL_MAX, &v, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			cfg->parallel = (unsigned)v;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (optutil_duration("--connect-timeout", optarg, SEC, OPTLIM_CONNECT_TIMEOUT_MIN,
			                     OPTLIM_CONNECT_TIMEOUT_MAX,
			                     &cfg->connect_timeout_us, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			break;
		case OPT_LITERAL:
			literal = 1;
			break;
		case OPT_READ_DELAY:
			if (optutil_duration("--read-delay", optarg, SEC, 0, OPTLIM_READ_DELAY_MAX, &cfg->read_delay_us, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			break;
		case OPT_SEED:
			if (optutil_uint("--seed", optarg, 0, UINT64_MAX, &seed, err, errlen) < 0)
				return CLIENTOPT_USAGE;
			break;
		default:
			optutil_getopt_error(c, long_opts, argv, err, errlen);
			return CLIENTOPT_USAGE;
		}
	}
	if (optind >= argc) {
		snprintf(err, errlen, "missing host (usage: tcpecho [options] host [string])");
		return CLIENTOPT_USAGE;
	}
	cfg->host = argv[optind++];
	if (!*cfg->host) {
		snprintf(err, errlen, "host '': empty host name");
		return CLIENTOPT_USAGE;
	}
	if (optind < argc)
		string = argv[optind++];
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' after the string", argv[optind]);
		return CLIENTOPT_USAGE;
	}
	if (string && !*string) {
		snprintf(err, errlen, "string '': empty payload string");
		return CLIENTOPT_USAGE;
	}
	if (have_payload && have_multiple) {
		snprintf(err, errlen, "-m and --payload both set the payload size: give one");
		return CLIENTOPT_USAGE;
	}
	if (have_payload) {
		cfg->payload = payload;
	} else if (string) {
		if (multiple > OPTLIM_PAYLOAD_MAX / strlen(string)) {
			snprintf(err, errlen, "-m '%llu': payload of %zu x %llu bytes is too large",
			         (unsigned long long)multiple, strlen(string), (unsigned long long)multiple);
			return CLIENTOPT_USAGE;
		}
		cfg->payload = strlen(string) * multiple;
	} else {
		snprintf(err, errlen, "missing payload: give a string (and -m) or --payload SIZE");
		return CLIENTOPT_USAGE;
	}
	if (literal) {
		if (!string) {
			snprintf(err, errlen, "--literal needs the string argument");
			return CLIENTOPT_USAGE;
		}
		pattern_init_literal(&cfg->pattern, string, strlen(string));
	} else {
		pattern_init_mix(&cfg->pattern, seed);
	}
	if (!have_chunk && cfg->chunk > cfg->payload)
		cfg->chunk = cfg->payload; /* the default chunk simply shrinks */
	broken = clientopt_rules_broken(cfg, have_chunk);
	if (broken & CLIENTOPT_RULE_CHUNK_MODE) {
		snprintf(err, errlen, "--chunk applies to --mode chunked only");
		return CLIENTOPT_USAGE;
	}
	if (broken & CLIENTOPT_RULE_CHUNK_PAYLOAD) {
		char a[32], b[32];

		snprintf(err, errlen, "--chunk '%s': larger than the payload (%s bytes)",
		         units_format_size(cfg->chunk, a, sizeof a),
		         units_format_size(cfg->payload, b, sizeof b));
		return CLIENTOPT_USAGE;
	}
	if (broken & CLIENTOPT_RULE_READ_DELAY_MODE) {
		snprintf(err, errlen, "--read-delay applies to --mode split only");
		return CLIENTOPT_USAGE;
	}
	if (broken & CLIENTOPT_RULE_PARALLEL_MODE) {
		snprintf(err, errlen, "--parallel '%u': needs --mode nonblocking", cfg->parallel);
		return CLIENTOPT_USAGE;
	}
	if (broken & CLIENTOPT_RULE_SAMPLE_STALL) {
		snprintf(err, errlen, "--sample-interval: %.3f s is longer than --stall-threshold %.3f s",
		         cfg->sample_interval_us / 1e6, cfg->stall_threshold_us / 1e6);
		return CLIENTOPT_USAGE;
	}
	if (broken & CLIENTOPT_RULE_PAYLOAD_HELD) {
		char a[32], b[32];

		snprintf(err, errlen, "payload of %s: --mode %s sends from one buffer holding the whole payload: "
		         "at most %s (the other modes stream it)", units_format_size(cfg->payload, a, sizeof a),
		         client_mode_name(cfg->mode), units_format_size(OPTLIM_PAYLOAD_HELD_MAX, b, sizeof b));
		return CLIENTOPT_USAGE;
	}
	if (broken & CLIENTOPT_RULE_TOTAL) {
		char b[32];

		snprintf(err, errlen, "payload x times x parallel (%llu x %llu x %u) is more than %s in one run",
		         (unsigned long long)cfg->payload, (unsigned long long)cfg->times, cfg->parallel,
		         units_format_size(OPTLIM_TOTAL_MAX, b, sizeof b));
		return CLIENTOPT_USAGE;
	}
	return CLIENTOPT_RUN;
}
