/* cell: one cell's life in phases sharing a struct cell (cell_int.h): target up (loopback,
 * namespaces, TAP), start (echod or lwip-echod ready, the capture, tcpecho: cell_prog.c),
 * wait (blackhole, timeout, signal), collect (teardown, the client's document, the capture's
 * analysis) and verdict (the expectations, the record). */
#include "cell.h"
#include "cell_int.h"
#include "client.h"
#include "analysis.h"
#include "baseline.h"
#include "fsutil.h"
#include "plot.h"
#include "proc.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* The analysis of the cell's capture into *doc, and the set of its stalls' causes. A
 * capture that cannot be analysed gives a document {"error": why}. A cell with a stall
 * also keeps, while its capture still exists, the tcpdump-style excerpt around each onset
 * (excerpt.txt) and the time-sequence graphs (plots/conn-N.{gp,dat,png}), which the report
 * shows. Returns 0, or -1 with werr when one of those files cannot be written. */
static int analyse(struct cell *k, const char *pcap, stall_cause_set *causes, json_t **doc, char *werr,
                   size_t werrlen)
{
	struct analysis_cfg acfg = { .stall_threshold_ns = (int64_t)k->cfg.detect.stall_threshold_us * 1000,
	                             .excerpt = 1, .series = 1 };
	char err[600], path[1200];
	struct analysis *an;
	size_t nstalls;

	*causes = 0;
	an = analysis_run(pcap, &acfg, err, sizeof err);
	if (!an) {
		*doc = json_pack("{s:s}", "error", err);
		return 0;
	}
	*doc = analysis_to_json(an);
	*causes = analysis_causes(an, &nstalls);
	if (nstalls) {
		FILE *f;

		snprintf(path, sizeof path, "%s/excerpt.txt", k->dir);
		f = fopen(path, "w");
		if (f)
			analysis_print_excerpts(an, f);
		if (!f || fs_close(f) < 0) {
			snprintf(werr, werrlen, "results: write %s: %s", path, strerror(errno));
			analysis_free(an);
			return -1;
		}
		snprintf(path, sizeof path, "%s/plots", k->dir);
		if (plot_connections(an, path, err, sizeof err) < 0)
			json_object_set_new(*doc, "plot_error", json_string(err));
	}
	analysis_free(an);
	return results_write_json(k->dir, "analysis.json", *doc, werr, werrlen);
}

static json_t *params_json(const struct scenario *sc, const struct scenario_cell *cell, int all)
{
	const struct scenario_key_doc *docs;
	size_t n = scenario_schema(&docs);
	json_t *o = json_object();

	if (all) {
		for (size_t i = 0; i < n; i++)
			json_object_set_new(o, docs[i].key, json_string(scenario_cell_value(sc, cell, docs[i].key)));
	} else {
		for (size_t a = 0; a < sc->naxes; a++)
			json_object_set_new(o, docs[sc->axes[a].ent].key,
			                    json_string(sc->axes[a].values[cell->pick[a]].raw));
	}
	return o;
}

/* A cell writes its programs' output, a capture and plots: below 1 MiB free on the results'
 * file system, say so (ENOSPC with the folder) rather than fail later with a cut file.
 * Returns 0, or -1 with err. */
static int space_left(const char *dir, char *err, size_t errlen)
{
	struct statvfs v;
	unsigned long long avail;

	if (statvfs(dir, &v) < 0)
		return 0;
	avail = (unsigned long long)v.f_bavail * v.f_frsize;
	if (avail >= (1ull << 20))
		return 0;
	snprintf(err, errlen, "results: %s: %s (%llu KiB free, a cell needs at least 1 MiB)", dir, strerror(ENOSPC),
	         avail / 1024);
	return -1;
}

/* ---------- a cell's phases: target up, start, wait, collect, verdict ---------- */

/* Target up: where tcpecho connects and echod binds, and the namespaces or the TAP of the
 * netns and lwip targets. 0, or -1 with k->infra. */
static int cell_target_up(struct cell_ctx *r, struct cell *k)
{
	const struct cellcfg *c = &k->cfg;

	switch (c->target.kind) {
	case TARGET_LOOPBACK:
		snprintf(k->host, sizeof k->host, "127.0.0.1");
		snprintf(k->bind, sizeof k->bind, "127.0.0.1");
		break;
	case TARGET_NETNS:
	case TARGET_LWIP: {
		int lwip = c->target.kind == TARGET_LWIP;
		int up = (lwip ? netenv_up_tap : netenv_up)(&k->env, r->tag, c->target.rate, c->target.mtu,
		                                             c->target.loss, k->infra, sizeof k->infra);

		if (up < 0)
			return -1;
		k->netns_client = k->env.ns_client;
		k->netns_server = k->env.ns_server;
		snprintf(k->host, sizeof k->host, NETENV_SERVER_ADDR);
		if (!lwip) /* the lwIP stack binds its own address */
			snprintf(k->bind, sizeof k->bind, NETENV_SERVER_ADDR);
		break;
	}
	case TARGET_REMOTE:
		snprintf(k->host, sizeof k->host, "%s", c->target.host);
		k->port = (uint16_t)c->target.port;
		break;
	}
	return 0;
}

/* Start: the server (none for a remote DUT) up and ready, the capture, tcpecho. 0, or -1
 * with k->infra. */
static int cell_start(struct cell_ctx *r, struct cell *k)
{
	if (k->cfg.target.kind != TARGET_REMOTE && cell_start_server(r, k) < 0)
		return -1;
	if (k->cfg.capture.enabled && cell_start_capture(k) < 0)
		return -1;
	return cell_start_tcpecho(r, k);
}

/* Wait: until tcpecho ends or the cell's timeout (tcpecho stopped, k->timed_out), blackholing
 * the link when the target says so on the way. 0, -1 with k->infra, -2 when *r->stop was set. */
static int cell_wait(struct cell_ctx *r, struct cell *k)
{
	long long deadline = proc_now_ms() + (long long)(k->cfg.timeout_us / 1000), bh_at = 0;

	if (k->cfg.target.blackhole_after_us)
		bh_at = proc_now_ms() + (long long)(k->cfg.target.blackhole_after_us / 1000);
	for (;;) {
		long long next = bh_at && !k->env.blackholed && bh_at < deadline ? bh_at : deadline;

		if (proc_wait(k->tcpecho, &k->status, next, r->stop)) {
			char exe[700];

			snprintf(exe, sizeof exe, "%s/tcpecho", r->bin_dir);
			cell_record_pid(k->tcpecho, exe, 0);
			k->tcpecho = 0;
			return 0;
		}
		if (*r->stop)
			return -2;
		if (bh_at && !k->env.blackholed && proc_now_ms() >= bh_at) {
			if (netenv_blackhole(&k->env, k->infra, sizeof k->infra) < 0)
				return -1;
			continue;
		}
		if (proc_now_ms() >= deadline) {
			k->timed_out = 1;
			k->status = cell_stop_pid(r, &k->tcpecho, "tcpecho", 500); /* the record's exit_code: 130 */
			return 0;
		}
	}
}

/* What happened, from the client's own document (client.json) when tcpecho ended by itself
 * with one (its names read once, with the client's tables: what ended it CLIENT_END_ERROR when
 * it names nothing known); otherwise why not: the timeout, a signal, its exit code and first
 * error line, or an outcome that is none of the client's. */
static void read_client(struct cell *k)
{
	const char *cdetail, *outcome;
	char e[300];
	int st = k->status, o, end, ended_itself;

	snprintf(e, sizeof e, "%s/client.json", k->dir);
	k->client = json_load_file(e, 0, NULL);
	cdetail = json_string_value(json_object_get(k->client, "detail"));
	outcome = json_string_value(json_object_get(k->client, "outcome"));
	o = scenario_name_index(client_outcome_names, outcome);
	ended_itself = !k->timed_out && WIFEXITED(st) && WEXITSTATUS(st) <= 6 && WEXITSTATUS(st) != 2;
	if (ended_itself && o >= 0) {
		end = scenario_name_index(client_end_names, json_string_value(json_object_get(k->client, "ended_by")));
		k->outcome = (enum client_outcome)o;
		k->ended_by = end < 0 ? CLIENT_END_ERROR : (enum client_end)end;
		snprintf(k->detail, sizeof k->detail, "%s", cdetail ?: "");
		k->ecode = WEXITSTATUS(st);
		return;
	}
	cell_first_line(k, "client.err", e, sizeof e);
	/* A stopped tcpecho still writes what it measured (outcome interrupted): the record
	 * keeps it, and says so. */
	if (k->timed_out)
		snprintf(k->detail, sizeof k->detail, "cell timeout: tcpecho still running after %.1f s, stopped%s%.300s",
		         k->cfg.timeout_us / 1e6, cdetail ? "; tcpecho: " : "", cdetail ?: "");
	else if (ended_itself && outcome)
		snprintf(k->detail, sizeof k->detail, "client.json: outcome '%.100s' is none of tcpecho's", outcome);
	else if (WIFSIGNALED(st))
		snprintf(k->detail, sizeof k->detail, "tcpecho killed by signal %d%s%s", WTERMSIG(st), e[0] ? ": " : "", e);
	else
		snprintf(k->detail, sizeof k->detail, "tcpecho exited %d%s%s", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		         e[0] ? ": " : "", e);
	k->ecode = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	k->ended_by = CLIENT_END_ERROR;
}

/* Collect: everything down (after the last ACKs and the RST reach the capture), then the
 * client's document, the capture's analysis and the server's statistics. 0, or -1 with r->err
 * when a file of the analysis cannot be written. */
static int cell_collect(struct cell_ctx *r, struct cell *k)
{
	char path[1200];

	k->elapsed = (proc_now_ms() - k->started_ms) / 1000.0;
	usleep(150000); /* the last ACKs and the RST reach the capture */
	cell_teardown(r, k);
	read_client(k);
	if (k->cfg.capture.enabled && analyse(k, k->pcap, &k->causes, &k->analysis, r->err, sizeof r->err) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/server.json", k->dir);
	k->server = json_load_file(path, 0, NULL);
	return 0;
}

/* Verdict: the expectations checked against what happened. A cell that broke (its client
 * could not run, or connect: a refused board too) is an error of the setup whatever its
 * expectations say; so is a capture that cannot be analysed, since the causes the
 * expectations check would be missing. The capture is kept or removed as the cell says. */
static void cell_verdict(struct cell_ctx *r, struct cell *k)
{
	const struct scenario_cell *cell = k->c;
	char why[sizeof k->why] = "";
	int failed = 0, applied;
	const char *aerr = json_string_value(json_object_get(k->analysis, "error"));

	applied = scenario_check(r->sc, cell, (int)k->outcome, k->causes, (int)k->ended_by, &failed, why, sizeof why);
	k->applied = applied;
	k->failed = failed;
	snprintf(k->why, sizeof k->why, "%s", why);
	if (aerr) {
		char tmp[sizeof k->detail];

		snprintf(tmp, sizeof tmp, "%s", k->detail);
		snprintf(k->detail, sizeof k->detail, "capture analysis: %s%s%s", aerr, tmp[0] ? "; " : "", tmp);
		k->verdict = RESULTS_ERROR;
	} else if (k->outcome == CLIENT_ERROR) {
		k->verdict = RESULTS_ERROR;
	} else {
		k->verdict = failed ? RESULTS_FAIL : RESULTS_PASS;
	}
	if (k->cfg.capture.enabled &&
	    (k->cfg.capture.keep == KEEP_NEVER || (k->cfg.capture.keep == KEEP_ON_FAILURE && k->verdict == RESULTS_PASS)))
		unlink(k->pcap);
}

/* The record's figures taken from other documents: the client's measurements, the capture's
 * stall causes, the server's detections, the share of the link's baseline. */
static void record_figures(struct cell_ctx *r, struct cell *k, json_t *line)
{
	static const char *const keep_keys[] = { "elapsed_s", "throughput_Bps", "bytes_sent", "bytes_received",
	                                         "verified", "stall", "deadlock", "sndbuf", "rcvbuf", "mss" };
	char causes[256];
	double base, tp;

	for (size_t i = 0; json_is_object(k->client) && i < sizeof keep_keys / sizeof keep_keys[0]; i++) {
		json_t *v = json_object_get(k->client, keep_keys[i]);

		if (v)
			json_object_set(line, keep_keys[i], v);
	}
	stall_cause_set_format(k->causes, causes, sizeof causes);
	json_object_set_new(line, "analysis",
	                    !k->analysis || json_object_get(k->analysis, "error") ? json_null()
	                    : json_pack("{s:s, s:O, s:o, s:I}", "stall_causes", causes,
	                                "flags_total", json_object_get(k->analysis, "flags_total") ?: json_null(),
	                                "capture", access(k->pcap, F_OK) == 0
	                                           ? json_sprintf("cells/%s/capture.pcap", k->c->id) : json_null(),
	                                "capture_dropped", (json_int_t)k->capst.dropped));
	json_object_set_new(line, "server_deadlocks_detected",
	                    json_is_object(k->server)
	                        ? json_incref(json_object_get(k->server, "deadlocks_detected") ?: json_null())
	                        : json_null());
	base = baseline_mbps_for(r->dir, &k->cfg);
	tp = json_number_value(json_object_get(line, "throughput_Bps")) * 8 / 1e6;
	json_object_set_new(line, "baseline_mbps", base > 0 ? json_real(base) : json_null());
	json_object_set_new(line, "pct_of_baseline",
	                    base > 0 && k->outcome == CLIENT_COMPLETED ? json_real(tp * 100 / base) : json_null());
}

/* The cell's record (NULL when out of memory): the typed values by their names. */
static json_t *cell_record(struct cell_ctx *r, struct cell *k)
{
	const struct scenario_cell *cell = k->c;
	json_t *line = json_pack("{s:s, s:i, s:o, s:s, s:s, s:s, s:s, s:i, s:f}",
	                         "id", cell->id, "repeat", (json_int_t)cell->repeat,
	                         "params", params_json(r->sc, cell, 0),
	                         "outcome", client_outcome_names[k->outcome], "ended_by", client_end_names[k->ended_by],
	                         "verdict", results_verdict_names[k->verdict], "detail", k->detail,
	                         "exit_code", (json_int_t)k->ecode, "duration_s", k->elapsed);

	if (!line)
		return NULL;
	json_object_set_new(line, "expect", json_pack("{s:i, s:i, s:s}", "applied", (json_int_t)k->applied,
	                                              "failed", (json_int_t)k->failed, "why", k->why));
	record_figures(r, k, line);
	json_object_set_new(line, "config", params_json(r->sc, cell, 1));
	return line;
}

static void cell_release(struct cell *k)
{
	json_decref(k->client);
	json_decref(k->analysis);
	json_decref(k->server);
	k->client = k->analysis = k->server = NULL;
}

/* A cell that broke on an error of the setup: everything it made goes, r->err says why (and
 * whether the results' disk is what failed it). */
static int cell_broke(struct cell_ctx *r, struct cell *k)
{
	char sp[400];
	size_t o;

	cell_teardown(r, k);
	snprintf(r->err, sizeof r->err, "cell %s: %s", k->c->id, k->infra);
	o = strlen(r->err);
	if (space_left(r->dir, sp, sizeof sp) < 0)
		snprintf(r->err + o, sizeof r->err - o, "; %s", sp);
	fs_rm_rf(k->dir);
	return -1;
}

int cell_run(struct cell_ctx *r, const struct scenario_cell *cell, json_t **line)
{
	struct cell k;
	int rc;

	memset(&k, 0, sizeof k);
	k.c = cell;
	k.outcome = CLIENT_ERROR;
	k.ended_by = CLIENT_END_ERROR;
	k.verdict = RESULTS_ERROR;
	k.ecode = -1;
	*line = NULL;
	scenario_cell_config(r->sc, cell, &k.cfg);
	/* The cell's folder under a temporary name until its record is whole. */
	if (space_left(r->dir, r->err, sizeof r->err) < 0 ||
	    results_cell_begin(r->res, cell->id, k.dir, sizeof k.dir, r->err, sizeof r->err) < 0)
		return -1;
	k.started_ms = proc_now_ms();
	snprintf(k.pcap, sizeof k.pcap, "%s/capture.pcap", k.dir);
	if (cell_target_up(r, &k) < 0 || cell_start(r, &k) < 0)
		return cell_broke(r, &k);
	rc = cell_wait(r, &k);
	if (rc == -2) {
		cell_teardown(r, &k);
		fs_rm_rf(k.dir); /* the cell did not finish: no half of it stays */
		return -2;
	}
	if (rc < 0)
		return cell_broke(r, &k);
	if (cell_collect(r, &k) < 0) {
		cell_release(&k);
		fs_rm_rf(k.dir);
		return -1;
	}
	cell_verdict(r, &k);
	*line = cell_record(r, &k);
	cell_release(&k);
	if (!*line) {
		snprintf(r->err, sizeof r->err, "cell %s: out of memory", cell->id);
		fs_rm_rf(k.dir);
		return -1;
	}
	return 0;
}
