/* scenario_cellcheck: each cell's effective configuration against its
 * target and the rules of tcpecho's and echod's option parsers. */
#include "scenario_int.h"
#include "client.h"
#include "clientopt.h"
#include "optlimits.h"
#include "server.h"
#include "serveropt.h"
#include "units.h"

#include <string.h>

/* "matrix target.kind, 6:18", "target.kind, 3:17" or "the default target.kind". */
static const char *origin(const struct scenario *sc, const struct scenario_cell *c, int ent, char *buf, size_t len)
{
	unsigned l, col;

	sc_place_of(sc, c, ent, &l, &col);
	if (!l)
		snprintf(buf, len, "the default %s", sc_schema[ent].key);
	else
		snprintf(buf, len, "%s%s, %u:%u", sc_is_axis(sc, ent) ? "matrix " : "", sc_schema[ent].key, l, col);
	return buf;
}

/* A setting a cell's target does not use: an error at the setting, naming
 * the target and where the cell's target comes from. */
static void not_for_target(struct scenario *sc, const struct scenario_cell *c, int ent, unsigned kind,
                           const char *verb, const char *why)
{
	unsigned l, col;
	char org[96];

	sc_place_of(sc, c, ent, &l, &col);
	sc_error(sc, l, col, "%s %s (%u:%u) %s target %s (%s): %s", sc_schema[ent].key, sc_value_of(sc, c, ent), l, col,
	          verb, sc_target_kinds[kind], origin(sc, c, sc_find_ent("target.kind"), org, sizeof org), why);
}

/* The place of the value a cell uses for key (for an error there). */
static void place(const struct scenario *sc, const struct scenario_cell *c, const char *key, unsigned *l, unsigned *col)
{
	sc_place_of(sc, c, sc_find_ent(key), l, col);
}

static const char *val(const struct scenario *sc, const struct scenario_cell *c, const char *key)
{
	return sc_value_of(sc, c, sc_find_ent(key));
}

/* The settings of the target that a cell's target kind does not use. */
static void check_target_settings(struct scenario *sc, const struct scenario_cell *c, const struct cellcfg *cfg)
{
	static const struct { const char *key, *why; } shaped[] = {
		{ "target.rate", "only netns and lwip cells are shaped" },
		{ "target.mtu", "only netns and lwip cells have a link of their own to set the MTU of" },
		{ "target.loss", "only netns and lwip cells drop packets (nftables)" },
		{ "target.blackhole_after", "only netns and lwip cells can blackhole the client (nftables)" },
	};
	static const struct { const char *key, *why; } remote_only[] = {
		{ "target.host", "only remote cells connect to a host of their own" },
		{ "target.port", "only remote cells connect to a port of their own" },
		{ "target.iface", "only remote cells capture on an interface of their own" },
		{ "baseline.iperf3.port", "only remote cells use a DUT's iperf3 server" },
		{ "baseline.iperf2.port", "only remote cells use a DUT's iperf2 server" },
	};
	unsigned kind = cfg->target.kind, l, col;
	char org[96];

	for (size_t k = 0; k < sizeof shaped / sizeof shaped[0]; k++) {
		int e = sc_find_ent(shaped[k].key);
		uint64_t v = 0;
		char cause[160];

		if (kind != TARGET_NETNS && kind != TARGET_LWIP &&
		    sc_parse_value(&sc_schema[e], sc_value_of(sc, c, e), &v, cause, sizeof cause) == 0 && v)
			not_for_target(sc, c, e, kind, "does not apply to", shaped[k].why);
	}
	if (kind != TARGET_REMOTE)
		for (size_t k = 0; k < sizeof remote_only / sizeof remote_only[0]; k++) {
			int e = sc_find_ent(remote_only[k].key);

			if (sc_schema[e].type == T_STR ? *sc_value_of(sc, c, e) != 0 : sc_is_given(sc, e))
				not_for_target(sc, c, e, kind, "does not apply to", remote_only[k].why);
		}
	if (kind == TARGET_REMOTE) {
		if (sc->has_server_section)
			sc_error(sc, sc->server_line, sc->server_column,
			         "server section (%u:%u) does not apply to target remote (%s): a remote target runs its own "
			         "echo server; remove the server section", sc->server_line, sc->server_column,
			         origin(sc, c, sc_find_ent("target.kind"), org, sizeof org));
		if (!cfg->target.host[0] || !cfg->target.iface[0]) {
			place(sc, c, "target.kind", &l, &col);
			sc_error(sc, l, col, "target: kind remote needs target.host and target.iface");
		}
	}
	if (kind != TARGET_LWIP && cfg->server.keepalive[0])
		not_for_target(sc, c, sc_find_ent("server.keepalive"), kind, "does not apply to",
		               "only lwip cells run lwip-echod, which takes it (echod has no keepalive)");
}

/* What lwip-echod cannot do or take. */
static void check_lwip(struct scenario *sc, const struct scenario_cell *c, const struct cellcfg *cfg)
{
	unsigned kind = TARGET_LWIP;

	if (cfg->target.mtu > OPTLIM_LWIP_MTU_MAX)
		not_for_target(sc, c, sc_find_ent("target.mtu"), kind, "is too large for",
		               "lwIP's buffers hold the frames of a 576-byte MTU at most");
	if (cfg->server.mode == SERVER_SLOW)
		not_for_target(sc, c, sc_find_ent("server.mode"), kind, "does not apply to",
		               "lwip-echod echoes (event, blocking) or stalls (stall)");
	if (cfg->server.stall_for_us)
		not_for_target(sc, c, sc_find_ent("server.stall_for"), kind, "does not apply to",
		               "lwip-echod's stall never ends");
	if (cfg->server.idle_timeout_us)
		not_for_target(sc, c, sc_find_ent("server.idle_timeout"), kind, "does not apply to",
		               "lwip-echod does not close idle connections");
	if (cfg->server.app_buf > OPTLIM_LWIP_APP_BUF_MAX)
		not_for_target(sc, c, sc_find_ent("server.app_buf"), kind, "is too large for",
		               "lwip-echod writes at most 65535 bytes at once");
}

/* echod's rules, on the options the runner gives it (--stall-threshold,
 * not --sample-interval: echod samples at its default). */
static void check_echod(struct scenario *sc, const struct scenario_cell *c, const struct cellcfg *cfg)
{
	struct server_cfg so;
	unsigned l, col, broken;
	char org[96], a[32];

	server_cfg_init(&so);
	so.mode = (enum server_mode)cfg->server.mode;
	so.stall_threshold_us = cfg->detect.stall_threshold_us;
	broken = serveropt_rules_broken(&so, cfg->server.stall_for_us != 0, 0);
	if (broken & SERVEROPT_RULE_STALL_FOR_MODE) {
		place(sc, c, "server.stall_for", &l, &col);
		sc_error(sc, l, col, "server.stall_for: applies to server.mode stall only, not %s (echod refuses "
		         "--stall-for in other modes)", val(sc, c, "server.mode"));
	}
	if (broken & SERVEROPT_RULE_SAMPLE_STALL) {
		place(sc, c, "detect.stall_threshold", &l, &col);
		snprintf(a, sizeof a, "%llums", (unsigned long long)(so.sample_interval_us / 1000));
		sc_error(sc, l, col, "detect.stall_threshold: %s is shorter than echod's sampling interval (%s) on "
		         "target %s (%s): echod refuses it", val(sc, c, "detect.stall_threshold"), a,
		         sc_target_kinds[cfg->target.kind], origin(sc, c, sc_find_ent("target.kind"), org, sizeof org));
	}
}

/* tcpecho's rules that concern its mode, on the options the runner gives it. */
static void check_tcpecho_modes(struct scenario *sc, const struct scenario_cell *c, unsigned broken)
{
	unsigned l, col;

	if (broken & CLIENTOPT_RULE_CHUNK_PAYLOAD) {
		place(sc, c, "client.chunk", &l, &col);
		if (!l)
			place(sc, c, "client.payload", &l, &col);
		sc_error(sc, l, col, "client.chunk: %s%s is larger than client.payload %s (cell %s)",
		         sc_is_given(sc, sc_find_ent("client.chunk")) ? "" : "the default ",
		         val(sc, c, "client.chunk"), val(sc, c, "client.payload"), c->id);
	}
	if (broken & CLIENTOPT_RULE_PARALLEL_MODE) {
		place(sc, c, "client.parallel", &l, &col);
		sc_error(sc, l, col, "client.parallel: %s connections need client.mode nonblocking, not %s (cell %s)",
		         val(sc, c, "client.parallel"), val(sc, c, "client.mode"), c->id);
	}
	if (broken & CLIENTOPT_RULE_READ_DELAY_MODE) {
		place(sc, c, "client.read_delay", &l, &col);
		sc_error(sc, l, col, "client.read_delay: needs client.mode split, not %s (cell %s)",
		         val(sc, c, "client.mode"), c->id);
	}
}

/* tcpecho's other rules: sampling, what a mode holds, the total, buffers. */
static void check_tcpecho(struct scenario *sc, const struct scenario_cell *c, const struct cellcfg *cfg)
{
	struct client_cfg cc;
	unsigned l, col, broken;
	char a[32];

	client_cfg_init(&cc);
	cc.mode = (enum client_mode)cfg->client.mode;
	cc.payload = cfg->client.payload;
	cc.times = cfg->client.times;
	cc.chunk = cfg->client.chunk;
	cc.parallel = (unsigned)cfg->client.parallel;
	cc.read_delay_us = cfg->client.read_delay_us;
	cc.stall_threshold_us = cfg->detect.stall_threshold_us;
	cc.sample_interval_us = cfg->detect.sample_interval_us;
	broken = clientopt_rules_broken(&cc, cc.mode == CLIENT_CHUNKED);
	check_tcpecho_modes(sc, c, broken);
	if (broken & CLIENTOPT_RULE_SAMPLE_STALL) {
		place(sc, c, "detect.sample_interval", &l, &col);
		if (!l)
			place(sc, c, "detect.stall_threshold", &l, &col);
		sc_error(sc, l, col, "detect.sample_interval: %s is longer than detect.stall_threshold %s: tcpecho "
		         "refuses it", val(sc, c, "detect.sample_interval"), val(sc, c, "detect.stall_threshold"));
	}
	if (broken & CLIENTOPT_RULE_PAYLOAD_HELD) {
		place(sc, c, "client.payload", &l, &col);
		sc_error(sc, l, col, "client.payload: %s is more than client.mode %s can hold (%s): it sends from one "
		         "buffer of the whole payload; use a mode that streams it (nonblocking, chunked, split) or "
		         "a smaller payload", val(sc, c, "client.payload"), client_mode_name(cc.mode),
		         units_format_size(OPTLIM_PAYLOAD_HELD_MAX, a, sizeof a));
	}
	if (broken & CLIENTOPT_RULE_TOTAL) {
		place(sc, c, "client.payload", &l, &col);
		sc_error(sc, l, col, "client.payload: %s x client.times %s x client.parallel %s is more than %s in one cell",
		         val(sc, c, "client.payload"), val(sc, c, "client.times"), val(sc, c, "client.parallel"),
		         units_format_size(OPTLIM_TOTAL_MAX, a, sizeof a));
	}
	if (cfg->client.sndbuf && cfg->client.sndbuf < 1024) {
		place(sc, c, "client.sndbuf", &l, &col);
		sc_error(sc, l, col, "client.sndbuf: %s is below the kernel's minimum (1024 bytes after doubling)",
		         val(sc, c, "client.sndbuf"));
	}
}

/* What a cell cannot be, checked on its effective configuration (base,
 * matrix and defaults together): the settings that do not apply to its
 * target, and the rules of the programs it runs, as their option parsers
 * check them (clientopt_rules_broken, serveropt_rules_broken). */
void sc_check_cell(struct scenario *sc, const struct scenario_cell *c)
{
	struct cellcfg cfg;

	scenario_cell_config(sc, c, &cfg);
	check_target_settings(sc, c, &cfg);
	if (cfg.target.kind == TARGET_LWIP)
		check_lwip(sc, c, &cfg);
	if (cfg.target.kind == TARGET_LOOPBACK || cfg.target.kind == TARGET_NETNS)
		check_echod(sc, c, &cfg);
	check_tcpecho(sc, c, &cfg);
}
