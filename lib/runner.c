/* runner: probelock run: the cells a run selects (or a resumed folder lacks), the run folder,
 * the baseline, each cell in turn (cell.c), its record (results.c), the reports at the end
 * (summary.c, report.c), and what happens told to the caller as events. */
#include "runner.h"
#include "baseline.h"
#include "cell.h"
#include "netenv.h"
#include "proc.h"
#include "report.h"
#include "results.h"
#include "summary.h"
#include "version.h"

#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

static volatile sig_atomic_t g_stop;

static void on_stop_signal(int sig)
{
	g_stop = sig;
}

struct runner {
	const struct scenario *sc;
	const struct run_opts *o;
	struct results res;       /* the run folder, its records and lock */
	const char *dir;          /* res.dir */
	char tag[16];             /* names of what this run creates */
	char err[1024];
	unsigned total, done;           /* cells this invocation runs, and has run */
	long long t0_ms;
	double cell_s_sum;
};

static void emit(const struct runner *r, struct run_event ev)
{
	if (r->o->on_event)
		r->o->on_event(r->o->event_arg, &ev);
}

static double since_s(long long t0_ms)
{
	return (proc_now_ms() - t0_ms) / 1000.0;
}

/* ---------- small helpers ---------- */

static void read_sysctl(json_t *o, const char *name)
{
	char path[256], val[256] = "";
	FILE *f;

	snprintf(path, sizeof path, "/proc/sys/%s", name);
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	f = fopen(path, "r");
	if (f) {
		if (fgets(val, sizeof val, f))
			val[strcspn(val, "\n")] = 0;
		fclose(f);
	}
	for (char *p = val; *p; p++)
		if (*p == '\t')
			*p = ' ';
	json_object_set_new(o, name, f ? json_string(val) : json_null());
}

static int write_env(struct runner *r)
{
	struct utsname u;
	json_t *env = json_object(), *sys = json_object(), *ver = json_object();
	char host[256] = "";
	static const char *const sysctls[] = {
		"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.core.rmem_max", "net.core.wmem_max",
		"net.core.rmem_default", "net.core.wmem_default", "net.ipv4.tcp_adv_win_scale",
		"net.ipv4.tcp_retries2", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_congestion_control",
	};
	time_t now = time(NULL);
	char ts[64];
	int rc;

	uname(&u);
	gethostname(host, sizeof host - 1);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	for (size_t i = 0; i < sizeof sysctls / sizeof sysctls[0]; i++)
		read_sysctl(sys, sysctls[i]);
	json_object_set_new(ver, "probelock", json_string(PROBELOCK_VERSION));
	json_object_set_new(ver, "libpcap", json_string(pcap_lib_version()));
	json_object_set_new(ver, "libevent", json_string(event_get_version()));
	json_object_set_new(ver, "jansson", json_string(JANSSON_VERSION));
	json_object_set_new(ver, "libyaml", json_string(yaml_get_version_string()));
	json_object_set_new(env, "scenario", json_string(r->sc->name));
	json_object_set_new(env, "scenario_file", json_string(r->sc->path));
	json_object_set_new(env, "command", json_string(r->o->cmdline ? r->o->cmdline : ""));
	json_object_set_new(env, "started_at", json_string(ts));
	json_object_set_new(env, "host", json_string(host));
	json_object_set_new(env, "kernel", json_pack("{s:s, s:s, s:s}", "sysname", u.sysname, "release", u.release,
	                                             "machine", u.machine));
	json_object_set_new(env, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(env, "sysctl", sys);
	json_object_set_new(env, "versions", ver);
	json_object_set_new(env, "only", r->o->only ? json_string(r->o->only) : json_null());
	json_object_set_new(env, "shard", json_sprintf("%u/%u", r->o->shard_k, r->o->shard_n));
	rc = results_write_json(r->dir, "env.json", env, r->err, sizeof r->err);
	json_decref(env);
	return rc;
}

/* ---------- run ---------- */

static void progress(struct runner *r, const struct scenario_cell *cell, json_t *line)
{
	emit(r, (struct run_event){ .kind = RUN_EV_CELL_DONE, .id = cell->id, .rec = line, .done = r->done,
	                            .total = r->total, .elapsed_s = since_s(r->t0_ms),
	                            .eta_s = r->done ? r->cell_s_sum / r->done * (r->total - r->done) : 0 });
}

/* The cells a new run selects, as indexes into sc->cells, their ids and count. A filter
 * that selects nothing, or a shard without cells, is a usage error (-1 with err). */
static int select_cells(const struct scenario *sc, const struct results_sel *sel, unsigned *todo, unsigned *ntodo,
                        const char **ids, char *err, size_t errlen)
{
	*ntodo = 0;
	if (sel->only && scenario_filter_check(sc, sel->only, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sc->ncells; i++) {
		int m = results_selects(sc, i, sel, err, errlen);

		if (m < 0)
			return -1;
		if (m) {
			ids[*ntodo] = sc->cells[i].id;
			todo[(*ntodo)++] = (unsigned)i;
		}
	}
	return 0;
}

/* Resuming: the cells the folder expects that have no record yet. The selection given now,
 * if any, must be the folder's. */
static int resume_cells(struct runner *r, unsigned *todo, unsigned *ntodo, char *err, size_t errlen)
{
	const struct run_opts *o = r->o;
	char shard[32];

	if (o->only && strcmp(o->only, results_run_str(&r->res, "only")) != 0) {
		snprintf(err, errlen, "--only '%s': %s was run with %s%s%s; resume takes the folder's own selection "
		         "(give the same --only, or none)", o->only, r->res.dir,
		         *results_run_str(&r->res, "only") ? "--only '" : "no --only",
		         results_run_str(&r->res, "only"), *results_run_str(&r->res, "only") ? "'" : "");
		return -1;
	}
	snprintf(shard, sizeof shard, "%u/%u", o->shard_k, o->shard_n);
	if (strcmp(shard, "1/1") != 0 && strcmp(shard, results_run_str(&r->res, "shard")) != 0) {
		snprintf(err, errlen, "--shard %s: %s was run as shard %s; resume takes the folder's own shard", shard,
		         r->res.dir, results_run_str(&r->res, "shard"));
		return -1;
	}
	*ntodo = 0;
	for (size_t c = 0; c < r->res.ncells; c++) {
		if (r->res.cells[c].rec)
			continue;
		for (size_t i = 0; i < r->sc->ncells; i++)
			if (!strcmp(r->sc->cells[i].id, r->res.cells[c].id)) {
				todo[(*ntodo)++] = (unsigned)i;
				break;
			}
	}
	return 0;
}

/* The baseline of the links, measured once per run folder. */
static int run_baseline(struct runner *r, const unsigned *todo, unsigned ntodo, char *err, size_t errlen)
{
	char path[1200];
	json_t *b, *e;
	size_t bi;

	snprintf(path, sizeof path, "%s/baseline.json", r->dir);
	if (access(path, F_OK) == 0)
		return 0;
	if (baseline_run(r->dir, r->sc, todo, ntodo, r->tag, r->o->bin_dir, err, errlen) < 0)
		return -1;
	b = json_load_file(path, 0, NULL);
	json_array_foreach(json_object_get(b, "targets"), bi, e)
		emit(r, (struct run_event){ .kind = RUN_EV_BASELINE, .id = json_string_value(json_object_get(e, "target")),
		                            .text = json_string_value(json_object_get(e, "tool")),
		                            .value = json_number_value(json_object_get(e, "mbps")) });
	json_array_foreach(json_object_get(b, "warnings"), bi, e)
		emit(r, (struct run_event){ .kind = RUN_EV_BASELINE_WARNING, .text = json_string_value(e) });
	json_decref(b);
	return 0;
}

/* summary.csv, junit.xml, plots and report of the run folder. */
static int finish_reports(struct runner *r, char *err, size_t errlen)
{
	if (summary_write(&r->res, r->sc, err, errlen) < 0 || report_generate(&r->res, r->sc, err, errlen) < 0)
		return -1;
	return 0;
}

int runner_run(const struct scenario *sc, const struct run_opts *o, char *err, size_t errlen)
{
	struct runner r;
	struct cell_ctx cx;
	struct sigaction sa;
	struct results_sel sel = { o->only, o->shard_k, o->shard_n };
	const char **ids;
	int rc = RUN_OK;
	unsigned *todo, ntodo = 0;

	memset(&r, 0, sizeof r);
	memset(&cx, 0, sizeof cx);
	r.sc = sc;
	r.o = o;
	r.res.lockfd = -1;
	todo = calloc(sc->ncells ? sc->ncells : 1, sizeof *todo);
	ids = calloc(sc->ncells ? sc->ncells : 1, sizeof *ids);
	if (!todo || !ids) {
		free(todo);
		free(ids);
		snprintf(err, errlen, "out of memory");
		return RUN_INFRA;
	}
	if (o->resume_dir) {
		int orc = results_open(&r.res, o->resume_dir, sc, !o->dry_run, NULL, NULL, err, errlen);

		if (orc < 0 || resume_cells(&r, todo, &ntodo, err, errlen) < 0) {
			rc = orc == -1 ? RUN_INFRA : RUN_USAGE;
			goto out;
		}
	} else if (select_cells(sc, &sel, todo, &ntodo, ids, err, errlen) < 0) {
		rc = RUN_USAGE;
		goto out;
	} else if (ntodo == 0) {
		/* Only a shard can be empty (a filter that selects nothing is refused above): its
		 * cells are dealt by a hash of their ids, and the merge of the shards that hold
		 * cells checks that every cell of the matrix is there. */
		char shard[32];

		snprintf(shard, sizeof shard, "%u/%u", o->shard_k, o->shard_n);
		emit(&r, (struct run_event){ .kind = RUN_EV_EMPTY_SHARD, .text = shard, .sc = sc });
		goto out;
	}
	if (o->dry_run) {
		for (unsigned i = 0; i < ntodo; i++)
			emit(&r, (struct run_event){ .kind = RUN_EV_DRY_CELL, .id = sc->cells[todo[i]].id });
		emit(&r, (struct run_event){ .kind = RUN_EV_DRY_DONE, .total = ntodo });
		goto out;
	}
	if (!o->resume_dir) {
		if (results_create(&r.res, o->results_root, sc, &sel, ids, ntodo, NULL, err, errlen) < 0) {
			rc = RUN_INFRA;
			goto out;
		}
		r.dir = r.res.dir;
		if (write_env(&r) < 0) {
			snprintf(err, errlen, "%s", r.err);
			rc = RUN_INFRA;
			goto out;
		}
	}
	r.dir = r.res.dir;
	/* A tag no other run holds; without a registry (not root) the run goes on. */
	(void)envreg_begin(r.tag, sizeof r.tag, NULL, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	emit(&r, (struct run_event){ .kind = RUN_EV_START, .dir = r.dir, .total = ntodo, .sc = sc });
	if (ntodo && run_baseline(&r, todo, ntodo, err, errlen) < 0) {
		envreg_end();
		rc = RUN_INFRA;
		goto out;
	}
	cx.sc = sc;
	cx.res = &r.res;
	cx.dir = r.dir;
	cx.tag = r.tag;
	cx.bin_dir = o->bin_dir;
	cx.stop = &g_stop;
	r.total = ntodo;
	r.t0_ms = proc_now_ms();
	for (unsigned i = 0; i < ntodo && !g_stop; i++) {
		const struct scenario_cell *c = &sc->cells[todo[i]];
		long long c0 = proc_now_ms();
		json_t *line = NULL;
		int cr;

		emit(&r, (struct run_event){ .kind = RUN_EV_CELL_START, .id = c->id, .done = r.done, .total = r.total,
		                             .elapsed_s = since_s(r.t0_ms) });
		cr = cell_run(&cx, c, &line);
		if (cr == -1)
			snprintf(r.err, sizeof r.err, "%s", cx.err);
		if (cr == -2)
			break;
		/* The folder into place, then its record: a record never names a folder that is not whole. */
		if (cr == -1 || results_cell_commit(&r.res, c->id, r.err, sizeof r.err) < 0 ||
		    results_append(&r.res, line, r.err, sizeof r.err) < 0) {
			snprintf(err, errlen, "%s", r.err);
			json_decref(line);
			rc = RUN_INFRA;
			break;
		}
		r.done++;
		r.cell_s_sum += (proc_now_ms() - c0) / 1000.0;
		progress(&r, c, line);
		json_decref(line);
	}
	envreg_end();
	if (rc == RUN_INFRA) {
		/* What ran is recorded; the reports say what is missing, when they can be written. */
		char e2[1200];

		if (finish_reports(&r, e2, sizeof e2) == 0)
			emit(&r, (struct run_event){ .kind = RUN_EV_PARTIAL, .dir = r.dir });
		goto out;
	}
	if (finish_reports(&r, err, errlen) < 0) {
		rc = RUN_INFRA;
		goto out;
	}
	if (g_stop) {
		emit(&r, (struct run_event){ .kind = RUN_EV_INTERRUPTED, .sig = (int)g_stop, .done = r.done,
		                             .total = r.total, .dir = r.dir, .text = sc->path });
		rc = RUN_INTERRUPTED;
		goto out;
	}
	emit(&r, (struct run_event){ .kind = RUN_EV_FINISHED, .res = &r.res, .sc = sc, .dir = r.dir });
	rc = r.res.nfail || r.res.nerror || !results_complete(&r.res) ? RUN_FAILED : RUN_OK;
out:
	results_close(&r.res);
	free(todo);
	free(ids);
	return rc;
}
