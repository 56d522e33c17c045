/* runner: runs a scenario's cells (probelock run): targets, echod, capture,
 * tcpecho, analysis, expectations, and the results folder. */
#include "runner.h"
#include "analysis.h"
#include "baseline.h"
#include "capture.h"
#include "fsutil.h"
#include "netenv.h"
#include "plot.h"
#include "proc.h"
#include "report.h"
#include "results.h"
#include "version.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
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

/* ---------- one cell ---------- */

struct cell {
	const struct scenario_cell *c;
	struct cellcfg cfg;
	char dir[1100];
	char host[64], bind[64];
	const char *netns_client, *netns_server;
	struct netenv env;
	pid_t echod, tcpecho;
	uint16_t port;
	struct capture *cap;
	struct capture_stats capst;
	int status;               /* tcpecho's wait status */
	int timed_out;
	long long started_ms;
	char infra[800];
};

static void argv_add(char **argv, int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Stands for an argument that could not be allocated: spawn_in_cell refuses such an argv. */
static char argv_oom[] = "";

/* Appends one formatted argument (freed by argv_free). */
static void argv_add(char **argv, int *n, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = argv_oom;
	va_end(ap);
	argv[(*n)++] = s;
	argv[*n] = NULL;
}

static void argv_free(char **argv)
{
	for (int i = 0; argv[i]; i++)
		if (argv[i] != argv_oom)
			free(argv[i]);
}

/* Appends "opt VALUE", VALUE a number with an optional unit suffix ("us"). */
static void argv_num(char **argv, int *n, const char *opt, uint64_t v, const char *unit)
{
	argv_add(argv, n, "%s", opt);
	argv_add(argv, n, "%llu%s", (unsigned long long)v, unit);
}

static void record_pid(pid_t pid, const char *exe, int add)
{
	char v[700];

	snprintf(v, sizeof v, "%d %s", (int)pid, exe);
	if (add)
		envreg_add("pid", v);
	else
		envreg_drop("pid", v);
}

static const char *const server_modes[] = { "event", "blocking", "stall", "slow" };
static const char *const client_modes[] = { "blocking", "nonblocking", "chunked", "split", "aware" };

/* Starts one of the cell's programs with its stdout and stderr in the cell's
 * folder (out_name, err_name) and records its PID for env down. Returns the
 * PID, or -1 with k->infra saying "start PROG: cause". */
static pid_t spawn_in_cell(struct cell *k, char **argv, const char *exe, const char *prog, const char *netns,
                           const char *out_name, const char *err_name)
{
	char out[1200], errp[1200], cause[sizeof k->infra];
	int ofd, efd;
	pid_t pid;

	snprintf(out, sizeof out, "%s/%s", k->dir, out_name);
	snprintf(errp, sizeof errp, "%s/%s", k->dir, err_name);
	for (int i = 0; argv[i]; i++)
		if (argv[i] == argv_oom) {
			snprintf(k->infra, sizeof k->infra, "start %s: out of memory building its arguments", prog);
			argv_free(argv);
			return -1;
		}
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	efd = ofd < 0 ? -1 : open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ofd < 0 || efd < 0) {
		snprintf(k->infra, sizeof k->infra, "start %s: results: %s: %s", prog, ofd < 0 ? out : errp, strerror(errno));
		if (ofd >= 0)
			close(ofd);
		argv_free(argv);
		return -1;
	}
	pid = proc_spawn(argv, netns, ofd, efd, cause, sizeof cause);
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	argv_free(argv);
	if (pid < 0) {
		snprintf(k->infra, sizeof k->infra, "start %s: %s", prog, cause);
		return -1;
	}
	record_pid(pid, exe, 1);
	return pid;
}

/* lwip-echod's arguments for a cell of the lwip target. */
static void lwip_argv(struct runner *r, struct cell *k, char **argv, int *n, char *exe, size_t exelen)
{
	const struct cellcfg *c = &k->cfg;

	snprintf(exe, exelen, "%s/lwip-echod", r->o->bin_dir);
	argv_add(argv, n, "%s", exe);
	argv_add(argv, n, "--tap");
	argv_add(argv, n, "%s", k->env.veth_client);
	argv_add(argv, n, "--addr");
	argv_add(argv, n, NETENV_SERVER_ADDR);
	argv_add(argv, n, "--gateway");
	argv_add(argv, n, NETENV_CLIENT_ADDR);
	argv_add(argv, n, "--mode");
	argv_add(argv, n, "%s", c->server.mode == 2 ? "stall" : "echo");
	argv_num(argv, n, "--app-buf", c->server.app_buf < 65535 ? c->server.app_buf : 65535, "");
	if (c->server.keepalive[0]) {
		argv_add(argv, n, "--keepalive");
		argv_add(argv, n, "%s", c->server.keepalive);
	}
}

static int start_echod(struct runner *r, struct cell *k)
{
	const struct cellcfg *c = &k->cfg;
	char *argv[40], exe[700], out[1200], errp[1200], line[256];
	int n = 0;
	long long deadline;

	if (c->target.kind == TARGET_LWIP) {
		lwip_argv(r, k, argv, &n, exe, sizeof exe);
		goto spawn;
	}
	snprintf(exe, sizeof exe, "%s/echod", r->o->bin_dir);
	argv_add(argv, &n, "%s", exe);
	argv_add(argv, &n, "--bind");
	argv_add(argv, &n, "%s", k->bind);
	argv_add(argv, &n, "--port");
	argv_add(argv, &n, "0");
	argv_add(argv, &n, "--mode");
	argv_add(argv, &n, "%s", server_modes[c->server.mode]);
	argv_add(argv, &n, "--stats");
	argv_add(argv, &n, "%s/server.json", k->dir);
	argv_add(argv, &n, "--monitor");
	argv_num(argv, &n, "--stall-threshold", c->detect.stall_threshold_us, "us");
	if (c->server.mode == 1)
		argv_num(argv, &n, "--app-buf", c->server.app_buf, "");
	else
		argv_num(argv, &n, "--out-cap", c->server.out_cap, "");
	if (c->server.sndbuf)
		argv_num(argv, &n, "--sndbuf", c->server.sndbuf, "");
	if (c->server.rcvbuf)
		argv_num(argv, &n, "--rcvbuf", c->server.rcvbuf, "");
	if (c->server.mode == 3)
		argv_num(argv, &n, "--rate", c->server.rate, "");
	if (c->server.mode == 2 && c->server.stall_for_us)
		argv_num(argv, &n, "--stall-for", c->server.stall_for_us, "us");
	if (c->server.idle_timeout_us)
		argv_num(argv, &n, "--idle-timeout", c->server.idle_timeout_us, "us");
spawn:
	k->echod = spawn_in_cell(k, argv, exe, c->target.kind == TARGET_LWIP ? "lwip-echod" : "echod", k->netns_server,
	                         "server.out", "server.err");
	if (k->echod < 0) {
		k->echod = 0;
		return -1;
	}
	snprintf(out, sizeof out, "%s/server.out", k->dir);
	snprintf(errp, sizeof errp, "%s/server.err", k->dir);
	/* The readiness line, never a sleep. */
	deadline = proc_now_ms() + 5000;
	while (proc_now_ms() < deadline) {
		FILE *f = fopen(out, "r");
		unsigned port = 0;

		if (f) {
			if (fgets(line, sizeof line, f) && sscanf(line, "listening on %*s %u", &port) == 1 && port) {
				fclose(f);
				k->port = (uint16_t)port;
				return 0;
			}
			fclose(f);
		}
		if (waitpid(k->echod, &k->status, WNOHANG) == k->echod) {
			FILE *e = fopen(errp, "r");

			line[0] = 0;
			if (e) {
				if (!fgets(line, sizeof line, e))
					line[0] = 0;
				fclose(e);
			}
			line[strcspn(line, "\n")] = 0;
			snprintf(k->infra, sizeof k->infra, "start %s: it exited: %s",
			         c->target.kind == TARGET_LWIP ? "lwip-echod" : "echod", line[0] ? line : "no message");
			record_pid(k->echod, exe, 0);
			k->echod = 0;
			return -1;
		}
		usleep(10000);
	}
	snprintf(k->infra, sizeof k->infra, "start %s: no readiness line within 5 s",
	         c->target.kind == TARGET_LWIP ? "lwip-echod" : "echod");
	return -1;
}

static int start_tcpecho(struct runner *r, struct cell *k)
{
	const struct cellcfg *c = &k->cfg;
	char *argv[48], exe[700];
	int n = 0;

	snprintf(exe, sizeof exe, "%s/tcpecho", r->o->bin_dir);
	argv_add(argv, &n, "%s", exe);
	argv_add(argv, &n, "-p");
	argv_add(argv, &n, "%u", k->port);
	argv_num(argv, &n, "-a", c->client.alarm_us, "us");
	argv_num(argv, &n, "-n", c->client.times, "");
	argv_add(argv, &n, "--mode");
	argv_add(argv, &n, "%s", client_modes[c->client.mode]);
	argv_num(argv, &n, "--payload", c->client.payload, "");
	argv_add(argv, &n, "--json");
	argv_add(argv, &n, "--timeline");
	argv_add(argv, &n, "%s/timeline.csv", k->dir);
	argv_num(argv, &n, "--stall-threshold", c->detect.stall_threshold_us, "us");
	argv_num(argv, &n, "--sample-interval", c->detect.sample_interval_us, "us");
	if (c->client.mode == 2)
		argv_num(argv, &n, "--chunk", c->client.chunk, "");
	if (c->client.mode == 1 && c->client.parallel > 1)
		argv_num(argv, &n, "--parallel", c->client.parallel, "");
	if (c->client.sndbuf)
		argv_num(argv, &n, "--sndbuf", c->client.sndbuf, "");
	if (c->client.rcvbuf)
		argv_num(argv, &n, "--rcvbuf", c->client.rcvbuf, "");
	if (c->client.maxseg)
		argv_num(argv, &n, "--maxseg", c->client.maxseg, "");
	if (c->client.user_timeout_us)
		argv_num(argv, &n, "--user-timeout", (c->client.user_timeout_us / 1000), "ms");
	if (c->client.keepalive[0]) {
		argv_add(argv, &n, "--keepalive");
		argv_add(argv, &n, "%s", c->client.keepalive);
	}
	if (c->client.mode == 3 && c->client.read_delay_us)
		argv_num(argv, &n, "--read-delay", c->client.read_delay_us, "us");
	if (c->client.nodelay)
		argv_add(argv, &n, "--nodelay");
	if (!c->client.abort)
		argv_add(argv, &n, "--no-abort");
	if (c->detect.hold_probes)
		argv_num(argv, &n, "--hold", c->detect.hold_probes, "");
	if (c->detect.hold_for_us)
		argv_num(argv, &n, "--hold-for", c->detect.hold_for_us, "us");
	argv_add(argv, &n, "%s", k->host);
	k->tcpecho = spawn_in_cell(k, argv, exe, "tcpecho", k->netns_client, "client.json", "client.err");
	if (k->tcpecho < 0) {
		k->tcpecho = 0;
		return -1;
	}
	return 0;
}

static void stop_pid(struct runner *r, pid_t *pid, const char *prog, int grace_ms)
{
	char exe[700];

	if (*pid <= 0)
		return;
	proc_stop(*pid, grace_ms);
	snprintf(exe, sizeof exe, "%s/%s", r->o->bin_dir, prog);
	record_pid(*pid, exe, 0);
	*pid = 0;
}

/* Everything a cell started or built, in reverse order. */
static void teardown(struct runner *r, struct cell *k)
{
	char err[256];

	stop_pid(r, &k->tcpecho, "tcpecho", 1000);
	if (k->cap) {
		capture_stop(k->cap, &k->capst, err, sizeof err);
		k->cap = NULL;
	}
	stop_pid(r, &k->echod, k->cfg.target.kind == TARGET_LWIP ? "lwip-echod" : "echod", 3000);
	if (k->cfg.target.kind == TARGET_LWIP) {
		/* lwip-echod prints its final statistics as the last line of its
		 * output: that line is the cell's server.json. */
		char out[1200], js[1200], line[2048] = "", cur[2048];
		FILE *f;

		snprintf(out, sizeof out, "%s/server.out", k->dir);
		f = fopen(out, "r");
		while (f && fgets(cur, sizeof cur, f))
			if (cur[0] == '{')
				snprintf(line, sizeof line, "%s", cur);
		if (f)
			fclose(f);
		snprintf(js, sizeof js, "%s/server.json", k->dir);
		if (line[0] && (f = fopen(js, "w"))) {
			/* A server.json that cannot be written is a missing one: the record says so
			 * (server_deadlocks_detected null), and the disk check of the next cell names it. */
			int bad = fputs(line, f) == EOF;

			if (fs_close(f) < 0 || bad)
				unlink(js);
		}
	}
	netenv_down(&k->env);
}

/* Adds cause to the comma list causes unless it is there already (as a whole item). */
static void add_cause(char *causes, size_t len, const char *cause)
{
	size_t n = strlen(cause), o = strlen(causes);

	for (const char *p = causes; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && !strncmp(p, cause, n))
			return;
		p += l + (e != NULL);
	}
	if (o + (o ? 1 : 0) + n < len)
		snprintf(causes + o, len - o, "%s%s", o ? "," : "", cause);
}

/* The analysis of the cell's capture into *doc, and the causes of its stalls as "a,b". A
 * capture that cannot be analysed gives a document {"error": why}. A cell with a stall
 * also keeps, while its capture still exists, the tcpdump-style excerpt around each onset
 * (excerpt.txt) and the time-sequence graphs (plots/conn-N.{gp,dat,png}), which the report
 * shows. Returns 0, or -1 with werr when one of those files cannot be written. */
static int analyse(struct cell *k, const char *pcap, char *causes, size_t len, json_t **doc, char *werr,
                   size_t werrlen)
{
	struct analysis_cfg acfg = { .stall_threshold_ns = (int64_t)k->cfg.detect.stall_threshold_us * 1000,
	                             .excerpt = 1 };
	char err[600], path[1200];
	struct analysis *an;
	json_t *c, *st;
	size_t i, j, nstalls = 0;

	causes[0] = 0;
	an = analysis_run(pcap, &acfg, err, sizeof err);
	if (!an) {
		*doc = json_pack("{s:s}", "error", err);
		return 0;
	}
	*doc = analysis_to_json(an);
	json_array_foreach(json_object_get(*doc, "connections"), i, c)
		nstalls += json_array_size(json_object_get(c, "stalls"));
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
	if (results_write_json(k->dir, "analysis.json", *doc, werr, werrlen) < 0)
		return -1;
	json_array_foreach(json_object_get(*doc, "connections"), i, c) {
		json_array_foreach(json_object_get(c, "stalls"), j, st) {
			const char *cause = json_string_value(json_object_get(st, "cause"));

			if (cause)
				add_cause(causes, len, cause);
		}
	}
	return 0;
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

/* Runs one cell. Returns 0 with *line set, -1 on an infrastructure error
 * (r->err), -2 when interrupted. */
static int run_cell(struct runner *r, const struct scenario_cell *cell, json_t **line)
{
	struct cell k;
	char causes[256] = "", why[300] = "", pcap[1200], path[1200], detail[600] = "";
	const char *outcome = "error", *ended_by = "error";
	json_t *client = NULL, *analysis = NULL, *server = NULL;
	int failed = 0, applied, rc = 0, ecode = -1;
	long long deadline, bh_at = 0;
	double elapsed;
	const char *verdict;

	memset(&k, 0, sizeof k);
	k.c = cell;
	scenario_cell_config(r->sc, cell, &k.cfg);
	/* The cell's folder under a temporary name until its record is whole. */
	if (space_left(r->dir, r->err, sizeof r->err) < 0 ||
	    results_cell_begin(&r->res, cell->id, k.dir, sizeof k.dir, r->err, sizeof r->err) < 0)
		return -1;
	k.started_ms = proc_now_ms();
	switch (k.cfg.target.kind) {
	case TARGET_LOOPBACK:
		snprintf(k.host, sizeof k.host, "127.0.0.1");
		snprintf(k.bind, sizeof k.bind, "127.0.0.1");
		break;
	case TARGET_NETNS:
	case TARGET_LWIP: {
		const struct cellcfg *c = &k.cfg;
		int lwip = c->target.kind == TARGET_LWIP;
		int up = (lwip ? netenv_up_tap : netenv_up)(&k.env, r->tag, c->target.rate, c->target.mtu,
		                                             c->target.loss, k.infra, sizeof k.infra);

		if (up < 0)
			goto infra;
		k.netns_client = k.env.ns_client;
		k.netns_server = k.env.ns_server;
		snprintf(k.host, sizeof k.host, NETENV_SERVER_ADDR);
		if (!lwip) /* the lwIP stack binds its own address */
			snprintf(k.bind, sizeof k.bind, NETENV_SERVER_ADDR);
		break;
	}
	case TARGET_REMOTE:
		snprintf(k.host, sizeof k.host, "%s", k.cfg.target.host);
		k.port = (uint16_t)k.cfg.target.port;
		break;
	}
	if (k.cfg.target.kind != TARGET_REMOTE && start_echod(r, &k) < 0)
		goto infra;
	snprintf(pcap, sizeof pcap, "%s/capture.pcap", k.dir);
	if (k.cfg.capture.enabled) {
		struct capture_cfg cc = { 0 };
		char filter[128];

		snprintf(filter, sizeof filter, "tcp port %u", k.port);
		cc.iface = k.cfg.target.kind == TARGET_LOOPBACK ? "lo"
		           : k.cfg.target.kind == TARGET_REMOTE ? k.cfg.target.iface : k.env.veth_client;
		cc.netns = k.netns_client;
		cc.path = pcap;
		cc.filter = filter;
		cc.snaplen = (int)k.cfg.capture.snaplen;
		k.cap = capture_start(&cc, k.infra, sizeof k.infra);
		if (!k.cap) {
			char tmp[sizeof k.infra];

			snprintf(tmp, sizeof tmp, "%s", k.infra);
			snprintf(k.infra, sizeof k.infra, "capture: %s", tmp);
			goto infra;
		}
	}
	if (start_tcpecho(r, &k) < 0)
		goto infra;
	deadline = proc_now_ms() + (long long)(k.cfg.timeout_us / 1000);
	if (k.cfg.target.blackhole_after_us)
		bh_at = proc_now_ms() + (long long)(k.cfg.target.blackhole_after_us / 1000);
	for (;;) {
		long long next = bh_at && !k.env.blackholed && bh_at < deadline ? bh_at : deadline;

		if (proc_wait(k.tcpecho, &k.status, next, &g_stop)) {
			char exe[700];

			snprintf(exe, sizeof exe, "%s/tcpecho", r->o->bin_dir);
			record_pid(k.tcpecho, exe, 0);
			k.tcpecho = 0;
			break;
		}
		if (g_stop) {
			teardown(r, &k);
			fs_rm_rf(k.dir); /* the cell did not finish: no half of it stays */
			return -2;
		}
		if (bh_at && !k.env.blackholed && proc_now_ms() >= bh_at) {
			if (netenv_blackhole(&k.env, k.infra, sizeof k.infra) < 0)
				goto infra;
			continue;
		}
		if (proc_now_ms() >= deadline) {
			k.timed_out = 1;
			stop_pid(r, &k.tcpecho, "tcpecho", 500);
			break;
		}
	}
	elapsed = (proc_now_ms() - k.started_ms) / 1000.0;
	usleep(150000); /* the last ACKs and the RST reach the capture */
	teardown(r, &k);

	/* What happened, from the client's own document. */
	snprintf(path, sizeof path, "%s/client.json", k.dir);
	client = json_load_file(path, 0, NULL);
	if (!k.timed_out && WIFEXITED(k.status) && WEXITSTATUS(k.status) <= 6 && WEXITSTATUS(k.status) != 2 &&
	    json_is_object(client) && json_string_value(json_object_get(client, "outcome"))) {
		outcome = json_string_value(json_object_get(client, "outcome"));
		ended_by = json_string_value(json_object_get(client, "ended_by"));
		snprintf(detail, sizeof detail, "%s", json_string_value(json_object_get(client, "detail")) ?: "");
		ecode = WEXITSTATUS(k.status);
	} else {
		char e[300] = "";
		FILE *f;

		snprintf(path, sizeof path, "%s/client.err", k.dir);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(e, sizeof e, f))
				e[0] = 0;
			fclose(f);
		}
		e[strcspn(e, "\n")] = 0;
		/* A stopped tcpecho still writes what it measured (outcome
		 * interrupted): the record keeps it, and says so. */
		if (k.timed_out)
			snprintf(detail, sizeof detail, "cell timeout: tcpecho still running after %.1f s, stopped%s%.300s",
			         k.cfg.timeout_us / 1e6, json_is_string(json_object_get(client, "detail")) ? "; tcpecho: " : "",
			         json_string_value(json_object_get(client, "detail")) ?: "");
		else if (WIFSIGNALED(k.status))
			snprintf(detail, sizeof detail, "tcpecho killed by signal %d%s%s", WTERMSIG(k.status), e[0] ? ": " : "", e);
		else
			snprintf(detail, sizeof detail, "tcpecho exited %d%s%s", WIFEXITED(k.status) ? WEXITSTATUS(k.status) : -1,
			         e[0] ? ": " : "", e);
		ecode = WIFEXITED(k.status) ? WEXITSTATUS(k.status) : -1;
		ended_by = "error";
	}
	if (k.cfg.capture.enabled && analyse(&k, pcap, causes, sizeof causes, &analysis, r->err, sizeof r->err) < 0) {
		json_decref(client);
		json_decref(analysis);
		fs_rm_rf(k.dir);
		return -1;
	}
	snprintf(path, sizeof path, "%s/server.json", k.dir);
	server = json_load_file(path, 0, NULL);

	applied = scenario_check(r->sc, cell, outcome, causes, ended_by ? ended_by : "", &failed, why, sizeof why);
	/* A cell that broke (its client could not run, or connect: a refused board too) is an
	 * error of the setup whatever its expectations say; so is a capture that cannot be
	 * analysed, since the causes the expectations check would be missing. */
	if (json_is_string(json_object_get(analysis, "error"))) {
		char tmp[sizeof detail];

		snprintf(tmp, sizeof tmp, "%s", detail);
		snprintf(detail, sizeof detail, "capture analysis: %s%s%s", json_string_value(json_object_get(analysis, "error")),
		         tmp[0] ? "; " : "", tmp);
		verdict = "error";
	} else if (!strcmp(outcome, "error")) {
		verdict = "error";
	} else {
		verdict = failed ? "fail" : "pass";
	}
	if (k.cfg.capture.enabled &&
	    (k.cfg.capture.keep == KEEP_NEVER || (k.cfg.capture.keep == KEEP_ON_FAILURE && !strcmp(verdict, "pass"))))
		unlink(pcap);
	*line = json_pack("{s:s, s:i, s:o, s:s, s:s, s:s, s:s, s:i, s:f}",
	                  "id", cell->id, "repeat", (json_int_t)cell->repeat,
	                  "params", params_json(r->sc, cell, 0),
	                  "outcome", outcome, "ended_by", ended_by ? ended_by : "error",
	                  "verdict", verdict, "detail", detail,
	                  "exit_code", (json_int_t)ecode, "duration_s", elapsed);
	json_object_set_new(*line, "expect", json_pack("{s:i, s:i, s:s}", "applied", (json_int_t)applied,
	                                               "failed", (json_int_t)failed, "why", why));
	if (json_is_object(client)) {
		static const char *const keep_keys[] = { "elapsed_s", "throughput_Bps", "bytes_sent", "bytes_received",
		                                         "verified", "stall", "deadlock", "sndbuf", "rcvbuf", "mss" };

		for (size_t i = 0; i < sizeof keep_keys / sizeof keep_keys[0]; i++) {
			json_t *v = json_object_get(client, keep_keys[i]);

			if (v)
				json_object_set(*line, keep_keys[i], v);
		}
	}
	json_object_set_new(*line, "analysis",
	                    !analysis || json_object_get(analysis, "error") ? json_null()
	                    : json_pack("{s:s, s:O, s:o, s:I}", "stall_causes", causes,
	                                "flags_total", json_object_get(analysis, "flags_total") ?: json_null(),
	                                "capture", access(pcap, F_OK) == 0 ? json_sprintf("cells/%s/capture.pcap", cell->id) : json_null(),
	                                "capture_dropped", (json_int_t)k.capst.dropped));
	json_object_set_new(*line, "server_deadlocks_detected",
	                    json_is_object(server) ? json_incref(json_object_get(server, "deadlocks_detected") ?: json_null())
	                                           : json_null());
	{
		double base = baseline_mbps_for(r->dir, &k.cfg);
		double tp = json_number_value(json_object_get(*line, "throughput_Bps")) * 8 / 1e6;

		json_object_set_new(*line, "baseline_mbps", base > 0 ? json_real(base) : json_null());
		json_object_set_new(*line, "pct_of_baseline",
		                    base > 0 && !strcmp(outcome, "completed") ? json_real(tp * 100 / base) : json_null());
	}
	json_object_set_new(*line, "config", params_json(r->sc, cell, 1));
	json_decref(client);
	json_decref(analysis);
	json_decref(server);
	if (!*line) {
		snprintf(r->err, sizeof r->err, "cell %s: out of memory", cell->id);
		fs_rm_rf(k.dir);
		return -1;
	}
	return rc;
infra:
	teardown(r, &k);
	snprintf(r->err, sizeof r->err, "cell %s: %s", cell->id, k.infra);
	{
		/* Said when the results' disk is what failed the cell's start. */
		char sp[400];
		size_t o = strlen(r->err);

		if (space_left(r->dir, sp, sizeof sp) < 0)
			snprintf(r->err + o, sizeof r->err - o, "; %s", sp);
	}
	fs_rm_rf(k.dir);
	return -1;
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
	if (runner_write_reports(&r->res, r->sc, err, errlen) < 0 || report_generate(&r->res, r->sc, err, errlen) < 0)
		return -1;
	return 0;
}

int runner_run(const struct scenario *sc, const struct run_opts *o, char *err, size_t errlen)
{
	struct runner r;
	struct sigaction sa;
	struct results_sel sel = { o->only, o->shard_k, o->shard_n };
	const char **ids;
	int rc = RUN_OK;
	unsigned *todo, ntodo = 0;

	memset(&r, 0, sizeof r);
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
	r.total = ntodo;
	r.t0_ms = proc_now_ms();
	for (unsigned i = 0; i < ntodo && !g_stop; i++) {
		const struct scenario_cell *c = &sc->cells[todo[i]];
		long long c0 = proc_now_ms();
		json_t *line = NULL;
		int cr;

		emit(&r, (struct run_event){ .kind = RUN_EV_CELL_START, .id = c->id, .done = r.done, .total = r.total,
		                             .elapsed_s = since_s(r.t0_ms) });
		cr = run_cell(&r, c, &line);
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

/* ---------- reports ---------- */

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static double jnum(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* The stall causes of a record: "-" without a capture analysis, "none" without a stall. */
static const char *causes_of(json_t *l)
{
	json_t *an = json_object_get(l, "analysis");

	if (!json_is_object(an))
		return "-";
	return *jstr(an, "stall_causes") ? jstr(an, "stall_causes") : "none";
}

void runner_table_row(const struct results_cell *c, char *out, size_t len)
{
	json_t *l, *dl;
	char det[32] = "-";
	const char *why;

	if (!c) {
		snprintf(out, len, "%-44s %-10s %-12s %-9s %-16s %s", "cell", "outcome", "ended by", "detect",
		         "stall causes", "verdict");
		return;
	}
	l = c->rec;
	if (!l) {
		snprintf(out, len, "%-44s %-10s %-12s %-9s %-16s %s", c->id, "-", "-", "-", "-", "MISSING: did not run");
		return;
	}
	dl = json_object_get(l, "deadlock");
	if (json_is_object(dl))
		snprintf(det, sizeof det, "%.2f s", jnum(dl, "detected_s") - jnum(dl, "onset_s"));
	why = jstr(json_object_get(l, "expect"), "why");
	if (!*why && strcmp(jstr(l, "verdict"), "pass") != 0)
		why = jstr(l, "detail");
	snprintf(out, len, "%-44s %-10s %-12s %-9s %-16s %s%s%s", jstr(l, "id"), jstr(l, "outcome"), jstr(l, "ended_by"),
	         det, causes_of(l), jstr(l, "verdict"), *why ? ": " : "", why);
}

static void csv_field(FILE *f, const char *s, int last)
{
	int quote = strpbrk(s, ",\"\n") != NULL;

	if (quote) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc(' ', f);
			else
				fputc(*s, f);
		}
	}
}

/* One row of summary.csv: the record's figures, or the missing cell's id and "missing". */
static void csv_row(FILE *csv, const struct scenario *sc, const struct results_cell *c)
{
	const struct scenario_key_doc *docs;
	json_t *l = c->rec, *dl = json_object_get(l, "deadlock");
	const char *why = jstr(json_object_get(l, "expect"), "why");
	char num[64];

	scenario_schema(&docs);
	csv_field(csv, c->id, 0);
	if (!l) {
		/* The matrix position of a missing cell is in its id; its figures do not exist. */
		csv_field(csv, "", 0);
		for (size_t a = 0; a < sc->naxes; a++)
			csv_field(csv, "", 0);
		fputs("missing,,missing,,,,,,,,did not run\n", csv);
		return;
	}
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(l, "repeat")));
	csv_field(csv, num, 0);
	for (size_t a = 0; a < sc->naxes; a++)
		csv_field(csv, jstr(json_object_get(l, "params"), docs[sc->axes[a].ent].key), 0);
	csv_field(csv, jstr(l, "outcome"), 0);
	csv_field(csv, jstr(l, "ended_by"), 0);
	csv_field(csv, jstr(l, "verdict"), 0);
	snprintf(num, sizeof num, "%.3f", jnum(l, "duration_s"));
	csv_field(csv, num, 0);
	snprintf(num, sizeof num, "%.0f", jnum(l, "throughput_Bps"));
	csv_field(csv, num, 0);
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(l, "bytes_received")));
	csv_field(csv, num, 0);
	snprintf(num, sizeof num, "%.3f", jnum(json_object_get(l, "stall"), "total_s"));
	csv_field(csv, num, 0);
	num[0] = 0;
	if (json_is_object(dl))
		snprintf(num, sizeof num, "%.3f", jnum(dl, "detected_s") - jnum(dl, "onset_s"));
	csv_field(csv, num, 0);
	csv_field(csv, jstr(json_object_get(l, "analysis"), "stall_causes"), 0);
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(json_object_get(l, "expect"), "failed")));
	csv_field(csv, num, 0);
	csv_field(csv, *why ? why : jstr(l, "detail"), 1);
}

/* One testcase of junit.xml; a missing cell is an error of type "missing". */
static void junit_case(FILE *xml, const struct scenario *sc, const struct results_cell *c)
{
	json_t *l = c->rec;
	const char *v = jstr(l, "verdict"), *why = jstr(json_object_get(l, "expect"), "why");

	fputs("    <testcase classname=\"", xml);
	xml_text(xml, sc->name);
	fputs("\" name=\"", xml);
	xml_text(xml, c->id);
	fprintf(xml, "\" time=\"%.3f\"", jnum(l, "duration_s"));
	if (!l) {
		fputs(">\n      <error message=\"did not run: the cell is missing from this run's results\" type=\"missing\">"
		      "no record in cells.jsonl</error>\n    </testcase>\n", xml);
		return;
	}
	if (!strcmp(v, "pass")) {
		fputs("/>\n", xml);
		return;
	}
	fprintf(xml, ">\n      <%s message=\"", strcmp(v, "fail") ? "error" : "failure");
	xml_text(xml, *why ? why : jstr(l, "detail"));
	fprintf(xml, "\" type=\"%s\">", jstr(l, "outcome"));
	xml_text(xml, jstr(l, "detail"));
	fprintf(xml, "</%s>\n    </testcase>\n", strcmp(v, "fail") ? "error" : "failure");
}

/* Closes f (a temporary file) and renames it to dir/name; -1 with err naming it. */
static int close_into_place(FILE *f, const char *tmp, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[1300];

	if (fs_close(f) < 0) {
		snprintf(err, errlen, "results: write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "results: rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int runner_write_reports(const struct results *res, const struct scenario *sc, char *err, size_t errlen)
{
	char tmpcsv[1300], tmpxml[1300];
	const struct scenario_key_doc *docs;
	double total_s = 0;
	FILE *csv, *xml;

	scenario_schema(&docs);
	snprintf(tmpcsv, sizeof tmpcsv, "%s/summary.csv.tmp", res->dir);
	snprintf(tmpxml, sizeof tmpxml, "%s/junit.xml.tmp", res->dir);
	csv = fopen(tmpcsv, "w");
	if (!csv) {
		snprintf(err, errlen, "results: %s: %s", tmpcsv, strerror(errno));
		return -1;
	}
	fputs("id,repeat,", csv);
	for (size_t a = 0; a < sc->naxes; a++)
		csv_field(csv, docs[sc->axes[a].ent].key, 0);
	fputs("outcome,ended_by,verdict,duration_s,throughput_Bps,bytes_received,stall_total_s,"
	      "detected_after_s,stall_causes,expect_failed,detail\n", csv);
	for (size_t i = 0; i < res->ncells; i++) {
		csv_row(csv, sc, &res->cells[i]);
		total_s += jnum(res->cells[i].rec, "duration_s");
	}
	if (close_into_place(csv, tmpcsv, res->dir, "summary.csv", err, errlen) < 0)
		return -1;
	xml = fopen(tmpxml, "w");
	if (!xml) {
		snprintf(err, errlen, "results: %s: %s", tmpxml, strerror(errno));
		return -1;
	}
	fprintf(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"");
	xml_text(xml, sc->name);
	fprintf(xml, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.3f\">\n", res->ncells,
	        res->nfail, res->nerror + results_missing(res), total_s);
	for (size_t i = 0; i < res->ncells; i++)
		junit_case(xml, sc, &res->cells[i]);
	fputs("  </testsuite>\n</testsuites>\n", xml);
	return close_into_place(xml, tmpxml, res->dir, "junit.xml", err, errlen);
}

/* ---------- merge ---------- */

/* The reproduction of a merged run: each shard's command, then the merge. */
static json_t *merged_env(struct results *in, int n, const char *cmdline)
{
	char path[1200];
	json_t *env, *from = json_array();
	char *cmd = NULL;
	size_t cl = 0;
	FILE *f = open_memstream(&cmd, &cl);

	snprintf(path, sizeof path, "%s/env.json", in[0].dir);
	env = json_load_file(path, 0, NULL);
	if (!json_is_object(env)) {
		json_decref(env);
		env = json_object();
	}
	for (int i = 0; i < n; i++) {
		json_t *e;

		snprintf(path, sizeof path, "%s/env.json", in[i].dir);
		e = json_load_file(path, 0, NULL);
		json_array_append_new(from, json_pack("{s:s, s:s, s:s}", "dir", in[i].dir, "shard",
		                                      results_run_str(&in[i], "shard"), "command",
		                                      json_string_value(json_object_get(e, "command")) ?: ""));
		if (f)
			fprintf(f, "%s\n", json_string_value(json_object_get(e, "command")) ?: "(unknown command)");
		json_decref(e);
	}
	if (f) {
		fprintf(f, "%s", cmdline && *cmdline ? cmdline : "probelock merge ...");
		fclose(f);
		json_object_set_new(env, "command", json_string(cmd ? cmd : ""));
	}
	free(cmd);
	json_object_set_new(env, "merged_from", from);
	return env;
}

int runner_merge(char *const dirs[], int n, const struct scenario *sc, const char *results_root,
                 const char *cmdline, char *out, size_t outlen, char *err, size_t errlen)
{
	struct results *in = calloc((size_t)n, sizeof *in), m;
	struct results_sel sel = { NULL, 1, 1 };
	const char **ids = calloc(sc->ncells ? sc->ncells : 1, sizeof *ids);
	size_t nids = 0;
	json_t *env;
	int rc = 0;

	memset(&m, 0, sizeof m);
	m.lockfd = -1;
	out[0] = 0;
	if (!in || !ids) {
		free(in);
		free(ids);
		snprintf(err, errlen, "merge: out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++)
		in[i].lockfd = -1;
	/* Every folder of this scenario's identity and of one selection. */
	for (int i = 0; i < n && rc == 0; i++) {
		int orc = results_open(&in[i], dirs[i], sc, 0, NULL, NULL, err, errlen);

		if (orc < 0)
			rc = orc;
		else if (strcmp(results_run_str(&in[i], "only"), results_run_str(&in[0], "only")) != 0) {
			snprintf(err, errlen, "merge: %s was run with --only '%s', %s with --only '%s': not shards of one run",
			         in[0].dir, results_run_str(&in[0], "only"), in[i].dir, results_run_str(&in[i], "only"));
			rc = -2;
		}
		for (int j = 0; j < i && rc == 0; j++)
			if (!strcmp(in[i].dir, in[j].dir)) {
				snprintf(err, errlen, "merge: %s given twice", in[i].dir);
				rc = -2;
			}
	}
	if (rc < 0)
		goto out;
	/* Expected: every cell of the selection, whatever shard ran it. */
	if (*results_run_str(&in[0], "only"))
		sel.only = results_run_str(&in[0], "only");
	for (size_t i = 0; i < sc->ncells; i++)
		if (results_selects(sc, i, &sel, err, errlen) == 1)
			ids[nids++] = sc->cells[i].id;
	{
		json_t *from = json_array();
		char *fs;

		for (int i = 0; i < n; i++)
			json_array_append_new(from, json_string(in[i].dir));
		fs = json_dumps(from, JSON_COMPACT);
		json_decref(from);
		if (results_create(&m, results_root, sc, &sel, ids, nids, fs, err, errlen) < 0) {
			free(fs);
			rc = -1;
			goto out;
		}
		free(fs);
	}
	env = merged_env(in, n, cmdline);
	rc = results_write_json(m.dir, "env.json", env, err, errlen);
	json_decref(env);
	if (rc < 0)
		goto out;
	/* In the scenario's order; a cell two folders both ran: the first given wins. */
	for (size_t c = 0; c < m.ncells && rc == 0; c++) {
		for (int i = 0; i < n; i++) {
			struct results_cell *src = NULL;
			char from[1300], part[1300];

			for (size_t k = 0; k < in[i].ncells; k++)
				if (in[i].cells[k].rec && !strcmp(in[i].cells[k].id, m.cells[c].id))
					src = &in[i].cells[k];
			if (!src)
				continue;
			snprintf(from, sizeof from, "%s/cells/%s", in[i].dir, src->id);
			if (access(from, F_OK) == 0) {
				char *cp[] = { "cp", "-a", "-T", from, part, NULL };

				if (results_cell_begin(&m, src->id, part, sizeof part, err, errlen) < 0 ||
				    proc_run(cp, NULL, "merge: cp", err, errlen) != 0 ||
				    results_cell_commit(&m, src->id, err, errlen) < 0) {
					rc = -1;
					break;
				}
			}
			if (results_append(&m, src->rec, err, errlen) < 0)
				rc = -1;
			break;
		}
	}
	if (rc == 0 && (runner_write_reports(&m, sc, err, errlen) < 0 || report_generate(&m, sc, err, errlen) < 0))
		rc = -1;
	snprintf(out, outlen, "%s", m.dir);
	if (rc == 0)
		rc = m.nfail || m.nerror || !results_complete(&m) ? 1 : 0;
out:
	results_close(&m);
	for (int i = 0; i < n; i++)
		results_close(&in[i]);
	free(in);
	free(ids);
	return rc;
}

/* The shards a merge lacks, "2/3, 3/3", from the shards of the folders given ("" when none
 * or when they were not shards of one count). */
void runner_missing_shards(char *const dirs[], int n, char *out, size_t len)
{
	unsigned count = 0, have[256] = { 0 };
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; i < n; i++) {
		char path[1200];
		json_t *run;
		unsigned k = 0, c = 0;

		snprintf(path, sizeof path, "%s/run.json", dirs[i]);
		run = json_load_file(path, 0, NULL);
		if (sscanf(json_string_value(json_object_get(run, "shard")) ?: "", "%u/%u", &k, &c) == 2 && c <= 256 &&
		    k >= 1 && k <= c && (!count || count == c)) {
			count = c;
			have[k - 1] = 1;
		}
		json_decref(run);
	}
	for (unsigned k = 1; k <= count && o + 16 < len; k++)
		if (!have[k - 1])
			o += (size_t)snprintf(out + o, len - o, "%s%u/%u", o ? ", " : "", k, count);
}
