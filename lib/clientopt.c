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

/* What the options say beside cfg, until the arguments are read. */
struct parse {
	struct client_cfg *cfg;
	uint64_t multiple, payload, seed;
	int have_multiple, have_payload, have_chunk, literal;
	char *err;
	size_t errlen;
};

/* Each group's handler: OPT_OK, OPT_BAD (err set) or OPT_NOT_MINE. */
enum { OPT_OK, OPT_BAD, OPT_NOT_MINE };

/* The draft's options: -n, -a, -m, -p, -t. */
static int opt_draft(struct parse *p, int c, const char *arg)
{
	struct client_cfg *cfg = p->cfg;

	switch (c) {
	case 'n':
		return optutil_uint("-n", arg, OPTLIM_TIMES_MIN, OPTLIM_TIMES_MAX, &cfg->times, p->err,
		                    p->errlen) < 0 ? OPT_BAD : OPT_OK;
	case 'a':
		return optutil_duration("-a", arg, SEC, 0, OPTLIM_ALARM_MAX, &cfg->alarm_us, p->err,
		                        p->errlen) < 0 ? OPT_BAD : OPT_OK;
	case 'm':
		if (optutil_uint("-m", arg, 1, OPTLIM_PAYLOAD_MAX, &p->multiple, p->err, p->errlen) < 0)
			return OPT_BAD;
		p->have_multiple = 1;
		return OPT_OK;
	case 'p':
		if (optutil_port("--port", arg, &cfg->port, p->err, p->errlen) < 0)
			return OPT_BAD;
		if (cfg->port == 0) {
			optutil_bad("--port", arg, "port 0 cannot be connected to", p->err, p->errlen);
			return OPT_BAD;
		}
		return OPT_OK;
	case 't':
		return OPT_OK;
	}
	return OPT_NOT_MINE;
}

static int opt_user_timeout(struct parse *p, const char *arg)
{
	uint64_t v;

	if (optutil_duration("--user-timeout", arg, SEC, 0, OPTLIM_USER_TIMEOUT_MAX, &v, p->err, p->errlen) < 0)
		return OPT_BAD;
	if (v && v < OPTLIM_USER_TIMEOUT_MIN) {
		optutil_bad("--user-timeout", arg,
		            "below 1ms: TCP_USER_TIMEOUT counts milliseconds (0 leaves it unset)", p->err, p->errlen);
		return OPT_BAD;
	}
	p->cfg->sock.user_timeout_ms = (int64_t)(v / 1000);
	return OPT_OK;
}

/* The connection's options: socket options and the connect timeout. */
static int opt_connection(struct parse *p, int c, const char *arg)
{
	struct client_cfg *cfg = p->cfg;
	char cause[128];
	uint64_t v;

	switch (c) {
	case OPT_SNDBUF:
	case OPT_RCVBUF:
		if (optutil_size(c == OPT_SNDBUF ? "--sndbuf" : "--rcvbuf", arg, OPTLIM_SOCKBUF_MIN,
		                 OPTLIM_SOCKBUF_MAX, &v, p->err, p->errlen) < 0)
			return OPT_BAD;
		*(c == OPT_SNDBUF ? &cfg->sock.sndbuf : &cfg->sock.rcvbuf) = (int64_t)v;
		return OPT_OK;
	case OPT_NODELAY:
		cfg->sock.nodelay = 1;
		return OPT_OK;
	case OPT_MAXSEG:
		if (optutil_uint("--maxseg", arg, OPTLIM_MAXSEG_MIN, OPTLIM_MAXSEG_MAX, &v, p->err, p->errlen) < 0)
			return OPT_BAD;
		cfg->sock.maxseg = (int)v;
		return OPT_OK;
	case OPT_USER_TIMEOUT:
		return opt_user_timeout(p, arg);
	case OPT_KEEPALIVE:
		if (sockopt_parse_keepalive(arg, &cfg->sock, cause, sizeof cause) < 0) {
			optutil_bad("--keepalive", arg, cause, p->err, p->errlen);
			return OPT_BAD;
		}
		return OPT_OK;
	case OPT_CONNECT_TIMEOUT:
		return optutil_duration("--connect-timeout", arg, SEC, OPTLIM_CONNECT_TIMEOUT_MIN,
		                        OPTLIM_CONNECT_TIMEOUT_MAX, &cfg->connect_timeout_us, p->err,
		                        p->errlen) < 0 ? OPT_BAD : OPT_OK;
	}
	return OPT_NOT_MINE;
}

/* The I/O options: mode, sizes, connections, the receiver's delay, the pattern. */
static int opt_io(struct parse *p, int c, const char *arg)
{
	struct client_cfg *cfg = p->cfg;
	uint64_t v;

	switch (c) {
	case OPT_MODE:
		if (client_mode_parse(arg, &cfg->mode) < 0) {
			optutil_bad("--mode", arg, "unknown mode (blocking, nonblocking, chunked, split, aware)",
			            p->err, p->errlen);
			return OPT_BAD;
		}
		return OPT_OK;
	case OPT_PAYLOAD:
		if (optutil_size("--payload", arg, OPTLIM_PAYLOAD_MIN, OPTLIM_PAYLOAD_MAX, &p->payload, p->err,
		                 p->errlen) < 0)
			return OPT_BAD;
		p->have_payload = 1;
		return OPT_OK;
	case OPT_CHUNK:
		if (optutil_size("--chunk", arg, OPTLIM_CHUNK_MIN, OPTLIM_CHUNK_MAX, &cfg->chunk, p->err,
		                 p->errlen) < 0)
			return OPT_BAD;
		p->have_chunk = 1;
		return OPT_OK;
	case OPT_PARALLEL:
		if (optutil_uint("--parallel", arg, OPTLIM_PARALLEL_MIN, OPTLIM_PARALLEL_MAX, &v, p->err,
		                 p->errlen) < 0)
			return OPT_BAD;
		cfg->parallel = (unsigned)v;
		return OPT_OK;
	case OPT_READ_DELAY:
		return optutil_duration("--read-delay", arg, SEC, 0, OPTLIM_READ_DELAY_MAX, &cfg->read_delay_us,
		                        p->err, p->errlen) < 0 ? OPT_BAD : OPT_OK;
	case OPT_LITERAL:
		p->literal = 1;
		return OPT_OK;
	case OPT_SEED:
		return optutil_uint("--seed", arg, 0, UINT64_MAX, &p->seed, p->err, p->errlen) < 0 ? OPT_BAD
		                                                                                     : OPT_OK;
	}
	return OPT_NOT_MINE;
}

/* Detection and output: the detector's periods, abort or hold, timeline, JSON. */
static int opt_detect_output(struct parse *p, int c, const char *arg)
{
	struct client_cfg *cfg = p->cfg;
	uint64_t v;

	switch (c) {
	case OPT_STALL:
		return optutil_duration("--stall-threshold", arg, SEC, OPTLIM_STALL_THRESHOLD_MIN,
		                        OPTLIM_STALL_THRESHOLD_MAX, &cfg->stall_threshold_us, p->err,
		                        p->errlen) < 0 ? OPT_BAD : OPT_OK;
	case OPT_SAMPLE:
		return optutil_duration("--sample-interval", arg, SEC, OPTLIM_SAMPLE_INTERVAL_MIN,
		                        OPTLIM_SAMPLE_INTERVAL_MAX, &cfg->sample_interval_us, p->err,
		                        p->errlen) < 0 ? OPT_BAD : OPT_OK;
	case OPT_NO_ABORT:
		cfg->abort_on_deadlock = 0;
		return OPT_OK;
	case OPT_HOLD:
		if (optutil_uint("--hold", arg, 0, OPTLIM_HOLD_PROBES_MAX, &v, p->err, p->errlen) < 0)
			return OPT_BAD;
		cfg->hold_probes = (unsigned)v;
		return OPT_OK;
	case OPT_HOLD_FOR:
		return optutil_duration("--hold-for", arg, SEC, 0, OPTLIM_HOLD_FOR_MAX, &cfg->hold_us, p->err,
		                        p->errlen) < 0 ? OPT_BAD : OPT_OK;
	case OPT_TIMELINE:
		if (!*arg) {
			optutil_bad("--timeline", arg, "empty file name", p->err, p->errlen);
			return OPT_BAD;
		}
		cfg->timeline_path = arg;
		return OPT_OK;
	case OPT_JSON:
		cfg->json = 1;
		return OPT_OK;
	}
	return OPT_NOT_MINE;
}

/* The option groups, each asked in turn until one knows the option. */
static int (*const opt_groups[])(struct parse *, int, const char *) = {
	opt_draft, opt_connection, opt_io, opt_detect_output,
};

/* The options, up to the first argument. RUN when they were all good. */
static enum clientopt_status parse_options(struct parse *p, int argc, char **argv)
{
	int c, rc;

	optind = 0; /* GNU: full re-initialisation, so tests may parse repeatedly */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:a:m:p:th", long_opts, NULL)) != -1) {
		if (c == 'h')
			return CLIENTOPT_HELP;
		if (c == OPT_VERSION)
			return CLIENTOPT_VERSION;
		rc = OPT_NOT_MINE;
		for (size_t i = 0; rc == OPT_NOT_MINE && i < sizeof opt_groups / sizeof opt_groups[0]; i++)
			rc = opt_groups[i](p, c, optarg);
		if (rc == OPT_BAD)
			return CLIENTOPT_USAGE;
		if (rc == OPT_NOT_MINE) {
			optutil_getopt_error(c, long_opts, argv, p->err, p->errlen);
			return CLIENTOPT_USAGE;
		}
	}
	return CLIENTOPT_RUN;
}

/* The arguments (host [string]), then the payload and the pattern from them
 * and the options; 0, or -1 with err. */
static int parse_arguments(struct parse *p, int argc, char **argv)
{
	struct client_cfg *cfg = p->cfg;
	const char *string = NULL;
	char *err = p->err;
	size_t errlen = p->errlen;

	if (optind >= argc) {
		snprintf(err, errlen, "missing host (usage: tcpecho [options] host [string])");
		return -1;
	}
	cfg->host = argv[optind++];
	if (!*cfg->host) {
		snprintf(err, errlen, "host '': empty host name");
		return -1;
	}
	if (optind < argc)
		string = argv[optind++];
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' after the string", argv[optind]);
		return -1;
	}
	if (string && !*string) {
		snprintf(err, errlen, "string '': empty payload string");
		return -1;
	}
	if (p->have_payload && p->have_multiple) {
		snprintf(err, errlen, "-m and --payload both set the payload size: give one");
		return -1;
	}
	if (p->have_payload) {
		cfg->payload = p->payload;
	} else if (string) {
		if (p->multiple > OPTLIM_PAYLOAD_MAX / strlen(string)) {
			snprintf(err, errlen, "-m '%llu': payload of %zu x %llu bytes is too large",
			         (unsigned long long)p->multiple, strlen(string), (unsigned long long)p->multiple);
			return -1;
		}
		cfg->payload = strlen(string) * p->multiple;
	} else {
		snprintf(err, errlen, "missing payload: give a string (and -m) or --payload SIZE");
		return -1;
	}
	if (p->literal && !string) {
		snprintf(err, errlen, "--literal needs the string argument");
		return -1;
	}
	if (p->literal)
		pattern_init_literal(&cfg->pattern, string, strlen(string));
	else
		pattern_init_mix(&cfg->pattern, p->seed);
	return 0;
}

/* The message of the first rule (clientopt_rules_broken) that cfg breaks;
 * 0 when it breaks none. */
static int rules_message(const struct client_cfg *cfg, unsigned broken, char *err, size_t errlen)
{
	char a[32], b[32];

	if (broken & CLIENTOPT_RULE_CHUNK_MODE)
		snprintf(err, errlen, "--chunk applies to --mode chunked only");
	else if (broken & CLIENTOPT_RULE_CHUNK_PAYLOAD)
		snprintf(err, errlen, "--chunk '%s': larger than the payload (%s bytes)",
		         units_format_size(cfg->chunk, a, sizeof a), units_format_size(cfg->payload, b, sizeof b));
	else if (broken & CLIENTOPT_RULE_READ_DELAY_MODE)
		snprintf(err, errlen, "--read-delay applies to --mode split only");
	else if (broken & CLIENTOPT_RULE_PARALLEL_MODE)
		snprintf(err, errlen, "--parallel '%u': needs --mode nonblocking", cfg->parallel);
	else if (broken & CLIENTOPT_RULE_SAMPLE_STALL)
		snprintf(err, errlen, "--sample-interval: %.3f s is longer than --stall-threshold %.3f s",
		         cfg->sample_interval_us / 1e6, cfg->stall_threshold_us / 1e6);
	else if (broken & CLIENTOPT_RULE_PAYLOAD_HELD)
		snprintf(err, errlen, "payload of %s: --mode %s sends from one buffer holding the whole payload: "
		         "at most %s (the other modes stream it)", units_format_size(cfg->payload, a, sizeof a),
		         client_mode_name(cfg->mode), units_format_size(OPTLIM_PAYLOAD_HELD_MAX, b, sizeof b));
	else if (broken & CLIENTOPT_RULE_TOTAL)
		snprintf(err, errlen, "payload x times x parallel (%llu x %llu x %u) is more than %s in one run",
		         (unsigned long long)cfg->payload, (unsigned long long)cfg->times, cfg->parallel,
		         units_format_size(OPTLIM_TOTAL_MAX, b, sizeof b));
	else
		return 0;
	return -1;
}

enum clientopt_status clientopt_parse(int argc, char **argv, struct client_cfg *cfg,
                                      char *err, size_t errlen)
{
	struct parse p = { .cfg = cfg, .multiple = 1, .seed = 1, .err = err, .errlen = errlen };
	enum clientopt_status st;

	client_cfg_init(cfg);
	st = parse_options(&p, argc, argv);
	if (st != CLIENTOPT_RUN)
		return st;
	if (parse_arguments(&p, argc, argv) < 0)
		return CLIENTOPT_USAGE;
	if (!p.have_chunk && cfg->chunk > cfg->payload)
		cfg->chunk = cfg->payload; /* the default chunk simply shrinks */
	if (rules_message(cfg, clientopt_rules_broken(cfg, p.have_chunk), err, errlen) < 0)
		return CLIENTOPT_USAGE;
	return CLIENTOPT_RUN;
}
