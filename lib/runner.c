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
	if (json_is_string(json_object_get(b, "none")))
		emit(r, (struct run_event){ .kind = RUN_EV_BASELINE_NONE,
		                            .text = json_string_value(json_object_get(b, "none")) });
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

/* The cells this invocation runs into todo: a resumed folder's missing ones (the folder
 * opened, and locked unless dry), or a new run's selection. RUN_OK, or RUN_USAGE / RUN_INFRA
 * with err. */
static int plan_cells(struct runner *r, const struct results_sel *sel, unsigned *todo, unsigned *ntodo,
                      const char **ids, char *err, size_t errlen)
{
	const struct run_opts *o = r->o;
	int orc;

	if (!o->resume_dir)
		return runner_select(r->sc, sel, todo, ntodo, ids, err, errlen) < 0 ? RUN_USAGE : RUN_OK;
	orc = results_open(&r->res, o->resume_dir, r->sc, !o->dry_run, NULL, NULL, err, errlen);
	if (orc == -1)
		return RUN_INFRA;
	if (orc < 0 || runner_resume_select(r->sc, &r->res, sel, todo, ntodo, err, errlen) < 0)
		return RUN_USAGE;
	return RUN_OK;
}

/* A new run's folder, with its env.json. RUN_OK, or RUN_INFRA with err. */
static int make_folder(struct runner *r, const struct results_sel *sel, const char **ids, unsigned n, char *err,
                       size_t errlen)
{
	if (results_create(&r->res, r->o->results_root, r->sc, sel, ids, n, NULL, err, errlen) < 0)
		return RUN_INFRA;
	r->dir = r->res.dir;
	if (write_env(r) < 0) {
		snprintf(err, errlen, "%s", r->err);
		return RUN_INFRA;
	}
	return RUN_OK;
}

/* SIGINT and SIGTERM stop the run between (or in) cells; a reader gone is no signal. */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The cells in turn, each folder into place and then its record (a record never names a
 * folder that is not whole). RUN_OK (also when a signal stopped it), or RUN_INFRA with err. */
static int run_cells(struct runner *r, const unsigned *todo, unsigned ntodo, char *err, size_t errlen)
{
	struct cell_ctx cx = { .sc = r->sc, .res = &r->res, .dir = r->dir, .tag = r->tag, .bin_dir = r->o->bin_dir,
	                       .stop = &g_stop };

	r->total = ntodo;
	r->t0_ms = proc_now_ms();
	for (unsigned i = 0; i < ntodo && !g_stop; i++) {
		const struct scenario_cell *c = &r->sc->cells[todo[i]];
		long long c0 = proc_now_ms();
		json_t *line = NULL;
		int cr;

		emit(r, (struct run_event){ .kind = RUN_EV_CELL_START, .id = c->id, .done = r->done, .total = r->total,
		                            .elapsed_s = since_s(r->t0_ms) });
		cr = cell_run(&cx, c, &line);
		if (cr == -2)
			break;
		if (cr == -1)
			snprintf(r->err, sizeof r->err, "%s", cx.err);
		if (cr == -1 || results_cell_commit(&r->res, c->id, r->err, sizeof r->err) < 0 ||
		    results_append(&r->res, line, r->err, sizeof r->err) < 0) {
			snprintf(err, errlen, "%s", r->err);
			json_decref(line);
			return RUN_INFRA;
		}
		r->done++;
		r->cell_s_sum += (proc_now_ms() - c0) / 1000.0;
		progress(r, c, line);
		json_decref(line);
	}
	return RUN_OK;
}

/* The end of a run that started: its reports, and what it says. rc is run_cells' code. */
static int finish(struct runner *r, int rc, char *err, size_t errlen)
{
	if (rc == RUN_INFRA) {
		/* What ran is recorded; the reports say what is missing, when they can be written. */
		char e2[1200];

		if (finish_reports(r, e2, sizeof e2) == 0)
			emit(r, (struct run_event){ .kind = RUN_EV_PARTIAL, .dir = r->dir });
		return RUN_INFRA;
	}
	if (finish_reports(r, err, errlen) < 0)
		return RUN_INFRA;
	if (g_stop) {
		emit(r, (struct run_event){ .kind = RUN_EV_INTERRUPTED, .sig = (int)g_stop, .done = r->done,
		                            .total = r->total, .dir = r->dir, .text = r->sc->path });
		return RUN_INTERRUPTED;
	}
	emit(r, (struct run_event){ .kind = RUN_EV_FINISHED, .res = &r->res, .sc = r->sc, .dir = r->dir });
	return r->res.nfail || r->res.nerror || !results_complete(&r->res) ? RUN_FAILED : RUN_OK;
}

/* A run with its folder: the registry's tag, the baseline, the cells, the reports. */
static int run_folder(struct runner *r, const unsigned *todo, unsigned ntodo, char *err, size_t errlen)
{
	int rc;

	r->dir = r->res.dir;
	/* A tag no other run holds; without a registry (not root) the run goes on. */
	(void)envreg_begin(r->tag, sizeof r->tag, NULL, 0);
	catch_signals();
	emit(r, (struct run_event){ .kind = RUN_EV_START, .dir = r->dir, .total = ntodo, .sc = r->sc });
	if (ntodo && run_baseline(r, todo, ntodo, err, errlen) < 0) {
		envreg_end();
		return RUN_INFRA;
	}
	rc = run_cells(r, todo, ntodo, err, errlen);
	envreg_end();
	return finish(r, rc, err, errlen);
}

int runner_run(const struct scenario *sc, const struct run_opts *o, char *err, size_t errlen)
{
	struct runner r = { .sc = sc, .o = o, .res = { .lockfd = -1 } };
	struct results_sel sel = { o->only, o->shard_k, o->shard_n };
	const char **ids = calloc(sc->ncells ? sc->ncells : 1, sizeof *ids);
	unsigned *todo = calloc(sc->ncells ? sc->ncells : 1, sizeof *todo), ntodo = 0;
	int rc = RUN_INFRA;

	if (!todo || !ids) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = plan_cells(&r, &sel, todo, &ntodo, ids, err, errlen);
	if (rc != RUN_OK)
		goto out;
	if (!o->resume_dir && ntodo == 0) {
		/* Only a shard can be empty (a filter that selects nothing is refused): its cells
		 * are dealt by a hash of their ids, and the merge of the shards that hold cells
		 * checks that every cell of the matrix is there. */
		char shard[32];

		snprintf(shard, sizeof shard, "%u/%u", o->shard_k, o->shard_n);
		emit(&r, (struct run_event){ .kind = RUN_EV_EMPTY_SHARD, .text = shard, .sc = sc });
	} else if (o->dry_run) {
		for (unsigned i = 0; i < ntodo; i++)
			emit(&r, (struct run_event){ .kind = RUN_EV_DRY_CELL, .id = sc->cells[todo[i]].id });
		emit(&r, (struct run_event){ .kind = RUN_EV_DRY_DONE, .total = ntodo });
	} else if (o->resume_dir || (rc = make_folder(&r, &sel, ids, ntodo, err, errlen)) == RUN_OK) {
		rc = run_folder(&r, todo, ntodo, err, errlen);
	}
out:
	results_close(&r.res);
	free(todo);
	free(ids);
	return rc;
}
