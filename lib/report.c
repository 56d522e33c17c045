/* report: a run folder's documents: report.md and report.html (rendered with cmark-gfm,
 * images inlined, one self-contained file); the plots are report_plot.c's, the
 * sentence report_verdict.c's. */
#include "report.h"
#include "report_int.h"
#include "report_plot.h"
#include "fsutil.h"
#include "plot.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <errno.h>
#include <jansson.h>
#include <nettle/base64.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * What the client saw (its deadlock verdict, abort and probe counts) and what
 * the wire shows (the capture analysis's stall: its cause and the probes each
 * way), and whether they agree: a bug ticket puts the two side by side.
 */
static void client_vs_wire(FILE *f, const char *rundir, json_t *l)
{
	json_t *dl = json_object_get(l, "deadlock"), *an, *conn, *st = NULL, *s, *pr;
	const char *cdir, *sdir, *cause;
	char path[1200], rcvd[32] = "unknown";
	long long wc = -1, ws = -1;
	size_t i;

	if (json_is_object(dl)) {
		pr = json_object_get(dl, "probes");
		if (json_is_integer(json_object_get(pr, "received")))
			snprintf(rcvd, sizeof rcvd, "%lld", (long long)json_integer_value(json_object_get(pr, "received")));
		fprintf(f, "The client saw a probe deadlock: no progress from %.3f s, detected at %.3f s", num(dl, "onset_s"),
		        num(dl, "detected_s"));
		if (json_is_number(json_object_get(dl, "aborted_s")))
			fprintf(f, ", aborted with RST at %.3f s", num(dl, "aborted_s"));
		else
			fprintf(f, ", ended by %s", str(l, "ended_by"));
		if (json_is_object(pr))
			fprintf(f, "; its TCP_INFO counted the probes: %lld sent, %s received",
			        (long long)json_integer_value(json_object_get(pr, "sent")), rcvd);
		fprintf(f, "%s.", json_is_true(json_object_get(dl, "resolved")) ? " (resolved: bytes moved again)" : "");
	} else {
		fprintf(f, "The client saw no probe deadlock (outcome %s, ended by %s).", str(l, "outcome"), str(l, "ended_by"));
	}
	snprintf(path, sizeof path, "%s/cells/%s/analysis.json", rundir, str(l, "id"));
	an = json_load_file(path, 0, NULL);
	conn = json_array_get(json_object_get(an, "connections"), 0);
	if (!conn) {
		fprintf(f, " The wire: no capture analysis for this cell.\n\n");
		json_decref(an);
		return;
	}
	json_array_foreach(json_object_get(conn, "stalls"), i, s) {
		st = s;
		if (stall_cause_of(s) == STALL_PROBE_DEADLOCK)
			break;
	}
	cdir = !strcmp(str(conn, "client"), "b") ? "b_to_a" : "a_to_b";
	sdir = !strcmp(cdir, "a_to_b") ? "b_to_a" : "a_to_b";
	cause = st ? str(st, "cause") : "no stall";
	if (st) {
		wc = (long long)json_integer_value(json_object_get(json_object_get(st, "probes"), cdir));
		ws = (long long)json_integer_value(json_object_get(json_object_get(st, "probes"), sdir));
		fprintf(f, " The wire shows %s from %.3f s into the capture for %.3f s%s; probes: %lld from the client, "
		        "%lld from the server.", cause, num(st, "start_s"), num(st, "duration_s"),
		        !strcmp(str(st, "ended_by"), "rst") ? ", ended by RST" : "", wc, ws);
	} else {
		fprintf(f, " The wire shows no stall.");
	}
	if (is_deadlock(l) && stall_cause_of(st) != STALL_PROBE_DEADLOCK)
		fprintf(f, " **The client and the wire disagree:** the client reports a probe deadlock, the capture's "
		           "analysis finds %s (stall causes: %s).", cause,
		        *str(json_object_get(l, "analysis"), "stall_causes") ? str(json_object_get(l, "analysis"), "stall_causes") : "none");
	else if (!is_deadlock(l) && stall_cause_of(st) == STALL_PROBE_DEADLOCK)
		fprintf(f, " **The client and the wire disagree:** the capture shows a probe deadlock the client did not "
		           "report (outcome %s).", str(l, "outcome"));
	else if (json_is_object(dl) && json_is_object(json_object_get(dl, "probes")) &&
	         ((long long)json_integer_value(json_object_get(json_object_get(dl, "probes"), "sent")) != wc ||
	          (strcmp(rcvd, "unknown") && atoll(rcvd) != ws)))
		fprintf(f, " **The client and the wire disagree on the probes:** the client counted %lld sent, %s "
		           "received; the capture shows %lld from the client, %lld from the server.",
		        (long long)json_integer_value(json_object_get(json_object_get(dl, "probes"), "sent")), rcvd, wc, ws);
	else
		fprintf(f, " The client and the wire agree.");
	fprintf(f, "\n\n");
	json_decref(an);
}

/* ---------- report.md ---------- */

static void md_cell(FILE *f, const char *s)
{
	fputc(' ', f);
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
	fputs(" |", f);
}

/* env.json's table (env: NULL when the folder has none). */
static void write_env(FILE *f, json_t *env)
{
	json_t *v;
	const char *k;

	if (!env) {
		fprintf(f, "No env.json in this folder.\n\n");
		return;
	}
	fprintf(f, "| setting | value |\n|---|---|\n");
	fprintf(f, "| host |");
	md_cell(f, str(env, "host"));
	fprintf(f, "\n| kernel |");
	md_cell(f, str(json_object_get(env, "kernel"), "release"));
	fprintf(f, "\n| started |");
	md_cell(f, str(env, "started_at"));
	fprintf(f, "\n| CPUs | %lld |\n", (long long)json_integer_value(json_object_get(env, "cpus")));
	json_object_foreach(json_object_get(env, "sysctl"), k, v) {
		fprintf(f, "| %s |", k);
		md_cell(f, json_is_string(v) ? json_string_value(v) : "(absent)");
		fputc('\n', f);
	}
	json_object_foreach(json_object_get(env, "versions"), k, v) {
		fprintf(f, "| %s |", k);
		md_cell(f, json_string_value(v) ? json_string_value(v) : "");
		fputc('\n', f);
	}
	fputc('\n', f);
}

static int exists_in(const char *rundir, const char *rel)
{
	char p[1400];

	snprintf(p, sizeof p, "%s/%s", rundir, rel);
	return access(p, F_OK) == 0;
}

/* Expected, ran, missing: before anything else a reader looks at. */
static void write_completeness(FILE *f, const struct results *res)
{
	size_t miss = results_missing(res), foreign = json_array_size(res->foreign);

	fprintf(f, "Cells: %zu expected, %zu ran, %zu missing.", res->ncells, res->nran, miss);
	if (miss) {
		fprintf(f, " Missing:");
		for (size_t i = 0; i < res->ncells; i++)
			if (!res->cells[i].rec)
				fprintf(f, " `%s`", res->cells[i].id);
		fprintf(f, ". `probelock run --resume %s` runs them (or merge the missing shards).", res->dir);
	}
	if (foreign)
		fprintf(f, " cells.jsonl also holds %zu record%s of cells this run does not expect (repeated or from "
		           "another selection): not counted.", foreign, foreign == 1 ? "" : "s");
	if (res->ncut)
		fprintf(f, " %zu line%s of cells.jsonl %s not whole records.", res->ncut, res->ncut == 1 ? "" : "s",
		        res->ncut == 1 ? "is" : "are");
	fprintf(f, "\n\n");
}

/* The verdict, the description, completeness, how to reproduce the run, its environment. */
static void write_head(FILE *f, const char *rundir, const struct scenario *sc, const struct results *res)
{
	char path[1200], verdict[1200];
	json_t *env;

	report_verdict(res, sc, verdict, sizeof verdict);
	fprintf(f, "# probelock report: %s\n\n**%s**\n\n", sc->name, verdict);
	if (sc->description[0])
		fprintf(f, "%s\n\n", sc->description);
	write_completeness(f, res);
	snprintf(path, sizeof path, "%s/env.json", rundir);
	env = json_load_file(path, 0, NULL);
	fprintf(f, "## Reproduce\n\n```\n%s\n```\n\nThe scenario is in this folder (`scenario.yaml`); "
	           "`probelock run scenario.yaml` runs it again, `probelock report .` rebuilds this report.\n\n",
	        *str(env, "command") ? str(env, "command") : "probelock run scenario.yaml");
	fprintf(f, "## Environment\n\n");
	write_env(f, env);
	json_decref(env);
}

/* baseline.json's measurements and warnings (bl: NULL when the run has none), then the plots. */
static void write_baseline_plots(FILE *f, json_t *bl, int have_map, int have_targets)
{
	size_t bi;
	json_t *e;

	if (bl) {
		fprintf(f, "## Baseline\n\nWhat the link itself carries, measured before the cells:\n\n");
		if (json_array_size(json_object_get(bl, "targets")))
			fprintf(f, "| target | tool | Mbit/s |\n|---|---|---|\n");
		else
			fprintf(f, "No measurement succeeded, so no cell is compared with a baseline.\n");
		json_array_foreach(json_object_get(bl, "targets"), bi, e)
			fprintf(f, "| %s | %s | %.1f |\n", str(e, "target"), str(e, "tool"), num(e, "mbps"));
		json_array_foreach(json_object_get(bl, "warnings"), bi, e)
			fprintf(f, "\nWarning: %s\n", json_string_value(e));
		fputc('\n', f);
	}
	fprintf(f, "## Plots\n\n![Echoed throughput over the matrix (its title names the x axis and the series)](plots/throughput.png)\n\n");
	if (have_map)
		fprintf(f, "![Stall time over the matrix](plots/stallmap.png)\n\n");
	if (have_targets)
		fprintf(f, "![The targets side by side](plots/targets.png)\n\n");
	fprintf(f, "The plots' gnuplot scripts and data are in `plots/` (PNG and SVG).\n\n");
}

/* One row of the cells' table: a record that ran (base: the % of baseline column is shown). */
static void write_cell_row(FILE *f, const struct scenario *sc, json_t *l, int base)
{
	json_t *dl = json_object_get(l, "deadlock"), *ex = json_object_get(l, "expect"), *an = json_object_get(l, "analysis");
	char buf[300];

	fputc('|', f);
	md_cell(f, str(l, "id"));
	for (size_t a = 0; a < sc->naxes; a++)
		md_cell(f, cfg(l, scenario_axis_key(sc, a)));
	md_cell(f, str(l, "outcome"));
	md_cell(f, str(l, "ended_by"));
	snprintf(buf, sizeof buf, "%s", "");
	if (json_is_object(dl))
		snprintf(buf, sizeof buf, "%.2f", num(dl, "detected_s") - num(dl, "onset_s"));
	md_cell(f, buf);
	md_cell(f, json_is_object(an) ? (*str(an, "stall_causes") ? str(an, "stall_causes") : "none") : "(no capture)");
	snprintf(buf, sizeof buf, "%.1f", is_completed(l) ? mbps(l) : 0.0);
	md_cell(f, buf);
	if (base) {
		if (json_is_number(json_object_get(l, "pct_of_baseline")))
			snprintf(buf, sizeof buf, "%.1f", num(l, "pct_of_baseline"));
		else
			snprintf(buf, sizeof buf, "%s", json_is_number(json_object_get(l, "baseline_mbps")) ? "0" : "");
		md_cell(f, buf);
	}
	if (!json_integer_value(json_object_get(ex, "applied")))
		snprintf(buf, sizeof buf, "none");
	else if (json_integer_value(json_object_get(ex, "failed")))
		snprintf(buf, sizeof buf, "FAILED: %s", str(ex, "why"));
	else
		snprintf(buf, sizeof buf, "%lld held", (long long)json_integer_value(json_object_get(ex, "applied")));
	md_cell(f, buf);
	switch (results_verdict(l)) {
	case RESULTS_PASS: md_cell(f, results_verdict_names[RESULTS_PASS]); break;
	case RESULTS_FAIL: md_cell(f, "**FAIL**"); break;
	case RESULTS_ERROR: md_cell(f, "**ERROR**"); break;
	}
	fputc('\n', f);
}

/* The table of cells: a row per record that ran, then a MISSING row per expected cell without one. */
static void write_cells(FILE *f, const struct scenario *sc, const struct cells *c, int base)
{
	fprintf(f, "## Cells\n\n| cell |");
	for (size_t a = 0; a < sc->naxes; a++)
		fprintf(f, " %s |", scenario_axis_key(sc, a));
	fprintf(f, " outcome | ended by | detected after (s) | stall causes | throughput (Mbit/s) |%s expectation | verdict |\n|---|",
	        base > 0 ? " % of baseline |" : "");
	for (size_t a = 0; a < sc->naxes; a++)
		fprintf(f, "---|");
	fprintf(f, "---|---|---|---|---|%s---|---|\n", base > 0 ? "---|" : "");
	for (size_t i = 0; i < c->n; i++)
		write_cell_row(f, sc, c->v[i], base);
	for (size_t i = 0; i < c->res->ncells; i++) {
		if (c->res->cells[i].rec)
			continue;
		fputc('|', f);
		md_cell(f, c->res->cells[i].id);
		for (size_t a = 0; a < sc->naxes; a++)
			md_cell(f, "");
		for (int k = 0; k < 6 + (base > 0); k++)
			md_cell(f, k == 0 ? "did not run" : "");
		md_cell(f, "**MISSING**");
		fputc('\n', f);
	}
	fprintf(f, "\n");
}

/* One deadlocked cell's section: its detail, client against wire, the excerpt around the
 * onset (40 lines at most), its time-sequence graph and where its capture is. */
static void write_deadlock(FILE *f, const char *rundir, json_t *l)
{
	const char *id = str(l, "id");
	char ex[1200], rel[600];
	FILE *ef;

	fprintf(f, "### %s\n\n", id);
	if (*str(l, "detail"))
		fprintf(f, "%s\n\n", str(l, "detail"));
	client_vs_wire(f, rundir, l);
	snprintf(ex, sizeof ex, "%s/cells/%s/excerpt.txt", rundir, id);
	ef = fopen(ex, "r");
	if (ef) {
		char line[512];
		int n = 0;

		fprintf(f, "The segments around the onset (relative seq/ack, `>` marks the last progress):\n\n```\n");
		while (fgets(line, sizeof line, ef) && n++ < 40)
			if (line[0] != '\n')
				fputs(line, f);
		fprintf(f, "```\n\n");
		fclose(ef);
	}
	snprintf(rel, sizeof rel, "cells/%s/plots/conn-0.png", id);
	if (exists_in(rundir, rel))
		fprintf(f, "![Time-sequence graph of %s](%s)\n\n", id, rel);
	snprintf(rel, sizeof rel, "cells/%s/capture.pcap", id);
	if (exists_in(rundir, rel))
		fprintf(f, "Capture: `%s`\n\n", rel);
	else
		fprintf(f, "Capture: not kept (capture.keep: the cell passed); `cells/%s/analysis.json` holds the "
		           "analysis and `cells/%s/plots/` the graph's data.\n\n", id, id);
}

/* report.md, written as report.md.tmp and renamed: the head, baseline and plots, the cells,
 * and a Deadlocks section for the cells the client or the wire saw deadlocked. */
static int write_markdown(const char *rundir, const struct scenario *sc, struct cells *c, json_t *bl, int have_map,
                          int have_targets, char *err, size_t errlen)
{
	char tmp[1200], path[1200];
	int base = json_array_size(json_object_get(bl, "targets")) > 0, any = 0;
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s/report.md.tmp", rundir);
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "report: %s: %s", tmp, strerror(errno));
		return -1;
	}
	write_head(f, rundir, sc, c->res);
	write_baseline_plots(f, bl, have_map, have_targets);
	write_cells(f, sc, c, base);
	for (size_t i = 0; i < c->n; i++)
		if (is_deadlock(c->v[i]) || wire_deadlock(c->v[i])) {
			if (!any++)
				fprintf(f, "## Deadlocks\n\n");
			write_deadlock(f, rundir, c->v[i]);
		}
	snprintf(path, sizeof path, "%s/report.md", rundir);
	return fs_replace(f, tmp, path, "report", err, errlen);
}

/* ---------- report.html ---------- */

static char *base64_file(const char *path, size_t *outlen)
{
	unsigned char *in;
	size_t n;
	char *out;

	in = (unsigned char *)fs_read_file(path, 64u << 20, &n);
	if (!in)
		return NULL;
	*outlen = BASE64_ENCODE_RAW_LENGTH(n);
	out = malloc(*outlen + 1);
	if (out) {
		base64_encode_raw(out, n, in);
		out[*outlen] = 0;
	}
	free(in);
	return out;
}

static const char css[] =
	"body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
	"table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:3px 8px}"
	"th{background:#f0f0f0}tr:nth-child(even){background:#fafafa}"
	"pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:85%}img{max-width:100%}"
	"h1{border-bottom:2px solid #444}code{background:#f0f0f0}";

static int write_html(const char *rundir, char *err, size_t errlen)
{
	char path[1200], *md = NULL, *html;
	size_t len = 0;
	cmark_parser *p;
	cmark_node *doc, *node;
	cmark_iter *it;
	cmark_event_type ev;
	FILE *f;
	int opts = CMARK_OPT_DEFAULT;

	snprintf(path, sizeof path, "%s/report.md", rundir);
	md = fs_read_file(path, 64u << 20, &len);
	if (!md) {
		snprintf(err, errlen, "report: %s: %s", path, strerror(errno));
		return -1;
	}
	cmark_gfm_core_extensions_ensure_registered();
	p = cmark_parser_new(opts);
	cmark_parser_attach_syntax_extension(p, cmark_find_syntax_extension("table"));
	cmark_parser_feed(p, md, len);
	doc = cmark_parser_finish(p);
	free(md);
	/* Every image becomes a data: URI: the report is one file, readable
	 * without the folder and without a network. */
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(node) == CMARK_NODE_IMAGE) {
			char img[1400], *b64, *uri;
			size_t blen;

			snprintf(img, sizeof img, "%s/%s", rundir, cmark_node_get_url(node));
			b64 = base64_file(img, &blen);
			if (!b64)
				continue;
			uri = malloc(blen + 32);
			if (uri) {
				snprintf(uri, blen + 32, "data:image/png;base64,%s", b64);
				cmark_node_set_url(node, uri);
				free(uri);
			}
			free(b64);
		}
	}
	cmark_iter_free(it);
	html = cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(p));
	snprintf(path, sizeof path, "%s/report.html.tmp", rundir);
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "report: %s: %s", path, strerror(errno));
		free(html);
		cmark_node_free(doc);
		cmark_parser_free(p);
		return -1;
	}
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>probelock report</title>"
	           "<style>%s</style></head><body>\n%s</body></html>\n", css, html);
	free(html);
	cmark_node_free(doc);
	cmark_parser_free(p);
	{
		char final[1200];

		snprintf(final, sizeof final, "%s/report.html", rundir);
		return fs_replace(f, path, final, "report", err, errlen);
	}
}

int report_generate(const struct results *res, const struct scenario *sc, char *err, size_t errlen)
{
	const char *rundir = res->dir;
	char pdir[1100], blpath[1100];
	struct cells c;
	json_t *bl;
	int map, targets;

	if (load_cells(res, sc, &c, err, errlen) < 0)
		return -1;
	snprintf(blpath, sizeof blpath, "%s/baseline.json", rundir);
	bl = json_load_file(blpath, 0, NULL); /* its measurements (a new reference), or NULL */
	snprintf(pdir, sizeof pdir, "%s/plots", rundir);
	if (mkdir(pdir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "report: mkdir %s: %s", pdir, strerror(errno));
		goto fail;
	}
	/* The cells' time-sequence graphs from their kept scripts and data. */
	for (size_t i = 0; i < c.n; i++) {
		char cdir[1300], script[1400];

		snprintf(cdir, sizeof cdir, "%s/cells/%s/plots", rundir, str(c.v[i], "id"));
		for (int k = 0; k < 8; k++) {
			snprintf(script, sizeof script, "%s/conn-%d.gp", cdir, k);
			if (access(script, F_OK) != 0)
				break;
			snprintf(script, sizeof script, "conn-%d.gp", k);
			if (plot_render(cdir, script, err, errlen) < 0)
				goto fail;
		}
	}
	if (report_plots(bl, pdir, sc, &c, &map, &targets, err, errlen) < 0)
		goto fail;
	if (write_markdown(rundir, sc, &c, bl, map, targets, err, errlen) < 0 || write_html(rundir, err, errlen) < 0)
		goto fail;
	json_decref(bl);
	free_cells(&c);
	return 0;
fail:
	json_decref(bl);
	free_cells(&c);
	return -1;
}
