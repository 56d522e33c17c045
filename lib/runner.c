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
	char dir[1024];           /* the run folder */
	char tag[16];             /* names of what this run creates */
	FILE *jsonl;
	char err[1024];
	unsigned total, done, pass, fail, errors;
	long long t0_ms;
	double cell_s_sum;
};

/* ---------- small helpers ---------- */

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;
	int rc = 0;

	if (!in)
		return -1;
	out = fopen(to, "wb");
	if (!out) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (ferror(in))
		rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}

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

static int write_json_file(const char *path, json_t *doc)
{
	char tmp[1100];

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		return -1;
	return rename(tmp, path);
}

static int write_env(struct runner *r)
{
	struct utsname u;
	json_t *env = json_object(), *sys = json_object(), *ver = json_object();
	char path[1100], host[256] = "";
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
	snprintf(path, sizeof path, "%s/env.json", r->dir);
	rc = write_json_file(path, env);
	json_decref(env);
	return rc;
}

/* results/<name>/<UTC time>/, results/latest pointing at it. */
static int make_run_dir(struct runner *r)
{
	time_t now = time(NULL);
	char ts[32], rel[300], link[1100], tmp[1200], scen[1100];

	strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", gmtime(&now));
	for (int i = 1; i < 100; i++) {
		if (i == 1)
			snprintf(rel, sizeof rel, "%s/%s", r->sc->name, ts);
		else
			snprintf(rel, sizeof rel, "%s/%s-%d", r->sc->name, ts, i);
		snprintf(r->dir, sizeof r->dir, "%s/%s", r->o->results_root, rel);
		if (access(r->dir, F_OK) != 0)
			break;
	}
	if (fs_mkdir_p(r->dir, NULL, 0) < 0) {
		snprintf(r->err, sizeof r->err, "results: mkdir %s: %s", r->dir, strerror(errno));
		return -1;
	}
	snprintf(scen, sizeof scen, "%s/scenario.yaml", r->dir);
	if (copy_file(r->sc->path, scen) < 0) {
		snprintf(r->err, sizeof r->err, "results: copy %s to %s: %s", r->sc->path, scen, strerror(errno));
		return -1;
	}
	snprintf(link, sizeof link, "%s/latest", r->o->results_root);
	snprintf(tmp, sizeof tmp, "%s/.latest.%d", r->o->results_root, (int)getpid());
	unlink(tmp);
	if (symlink(rel, tmp) == 0 && rename(tmp, link) != 0)
		unlink(tmp);
	return 0;
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

/* Appends one formatted argument (the strings live until the process exits). */
static void argv_add(char **argv, int *n, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	argv[(*n)++] = s;
	argv[*n] = NULL;
}

static void argv_free(char **argv)
{
	for (int i = 0; argv[i]; i++)
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
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	efd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
			fputs(line, f);
			fclose(f);
		}
	}
	netenv_down(&k->env);
}

/* The causes of the capture's stalls as "a,b" and the analysis document.
 * A cell with a stall also keeps, while its capture still exists, the
 * tcpdump-style excerpt around each onset (excerpt.txt) and the
 * time-sequence graphs (plots/conn-N.{gp,dat,png}), which the report shows. */
static json_t *analyse(struct cell *k, const char *pcap, char *causes, size_t len)
{
	struct analysis_cfg acfg = { .stall_threshold_ns = (int64_t)k->cfg.detect.stall_threshold_us * 1000,
	                             .excerpt = 1 };
	char err[600], path[1200];
	struct analysis *an;
	json_t *doc, *conns, *c, *stalls, *s;
	size_t i, j, o = 0, nstalls = 0;

	causes[0] = 0;
	an = analysis_run(pcap, &acfg, err, sizeof err);
	if (!an)
		return json_pack("{s:s}", "error", err);
	doc = analysis_to_json(an);
	json_array_foreach(json_object_get(doc, "connections"), i, c)
		nstalls += json_array_size(json_object_get(c, "stalls"));
	if (nstalls) {
		FILE *f;

		snprintf(path, sizeof path, "%s/excerpt.txt", k->dir);
		f = fopen(path, "w");
		if (f) {
			analysis_print_excerpts(an, f);
			fclose(f);
		}
		snprintf(path, sizeof path, "%s/plots", k->dir);
		if (plot_connections(an, path, err, sizeof err) < 0)
			json_object_set_new(doc, "plot_error", json_string(err));
	}
	analysis_free(an);
	snprintf(path, sizeof path, "%s/analysis.json", k->dir);
	write_json_file(path, doc);
	conns = json_object_get(doc, "connections");
	json_array_foreach(conns, i, c) {
		stalls = json_object_get(c, "stalls");
		json_array_foreach(stalls, j, s) {
			const char *cause = json_string_value(json_object_get(s, "cause"));

			if (cause && !strstr(causes, cause))
				o += (size_t)snprintf(causes + o, len > o ? len - o : 0, "%s%s", o ? "," : "", cause);
		}
	}
	return doc;
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
	snprintf(k.dir, sizeof k.dir, "%s/cells/%s", r->dir, cell->id);
	if (fs_mkdir_p(k.dir, NULL, 0) < 0) {
		snprintf(r->err, sizeof r->err, "results: mkdir %s: %s", k.dir, strerror(errno));
		return -1;
	}
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
		if (k.timed_out)
			snprintf(detail, sizeof detail, "cell timeout: tcpecho still running after %.1f s, stopped",
			         k.cfg.timeout_us / 1e6);
		else if (WIFSIGNALED(k.status))
			snprintf(detail, sizeof detail, "tcpecho killed by signal %d%s%s", WTERMSIG(k.status), e[0] ? ": " : "", e);
		else
			snprintf(detail, sizeof detail, "tcpecho exited %d%s%s", WIFEXITED(k.status) ? WEXITSTATUS(k.status) : -1,
			         e[0] ? ": " : "", e);
		ecode = WIFEXITED(k.status) ? WEXITSTATUS(k.status) : -1;
		ended_by = "error";
	}
	if (k.cfg.capture.enabled)
		analysis = analyse(&k, pcap, causes, sizeof causes);
	snprintf(path, sizeof path, "%s/server.json", k.dir);
	server = json_load_file(path, 0, NULL);

	applied = scenario_check(r->sc, cell, outcome, causes, ended_by ? ended_by : "", &failed, why, sizeof why);
	if (!strcmp(outcome, "error") && !failed)
		verdict = "error";
	else
		verdict = failed ? "fail" : "pass";
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
	                    !analysis ? json_null()
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
	return rc;
infra:
	teardown(r, &k);
	snprintf(r->err, sizeof r->err, "cell %s: %s", cell->id, k.infra);
	return -1;
}

/* ---------- run ---------- */

static void progress(struct runner *r, const struct scenario_cell *cell, json_t *line)
{
	double el = (proc_now_ms() - r->t0_ms) / 1000.0;
	double eta = r->done ? r->cell_s_sum / r->done * (r->total - r->done) : 0;
	const char *verdict = json_string_value(json_object_get(line, "verdict"));
	const char *outcome = json_string_value(json_object_get(line, "outcome"));

	if (r->o->progress_tty)
		printf("\r\033[K[%u/%u] %02d:%02d elapsed, ETA %02d:%02d | %s: %s (%s)", r->done, r->total,
		       (int)el / 60, (int)el % 60, (int)eta / 60, (int)eta % 60, cell->id, outcome, verdict);
	else
		printf("[%u/%u] %s: %s, %.2f s, %s%s%s\n", r->done, r->total, cell->id, outcome,
		       json_real_value(json_object_get(line, "duration_s")), verdict,
		       strcmp(verdict, "pass") ? ": " : "",
		       strcmp(verdict, "pass") ? (*json_string_value(json_object_get(json_object_get(line, "expect"), "why"))
		                                      ? json_string_value(json_object_get(json_object_get(line, "expect"), "why"))
		                                      : json_string_value(json_object_get(line, "detail")))
		                               : "");
	fflush(stdout);
}

static int contains_id(char **ids, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return 1;
	return 0;
}

int runner_done_ids(const char *jsonl, char ***ids, size_t *n)
{
	FILE *f = fopen(jsonl, "r");
	char *buf = NULL;
	size_t cap = 0;

	*ids = NULL;
	*n = 0;
	if (!f)
		return -1;
	while (getline(&buf, &cap, f) > 0) {
		json_t *l = json_loads(buf, 0, NULL);
		const char *id = json_string_value(json_object_get(l, "id"));

		if (id) {
			char **v = realloc(*ids, (*n + 1) * sizeof *v);

			if (v) {
				*ids = v;
				v[(*n)++] = strdup(id);
			}
		}
		json_decref(l);
	}
	free(buf);
	fclose(f);
	return (int)*n;
}

/* A cut last line (a killed run) is dropped so that appending starts clean. */
static void drop_cut_tail(const char *jsonl)
{
	FILE *f = fopen(jsonl, "r+");
	char *buf = NULL;
	size_t cap = 0;
	long good = 0;

	if (!f)
		return;
	for (;;) {
		long at = ftell(f);
		ssize_t len = getline(&buf, &cap, f);
		json_t *l;

		if (len <= 0)
			break;
		l = json_loads(buf, 0, NULL);
		if (!l || buf[len - 1] != '\n') {
			json_decref(l);
			good = at;
			if (ftruncate(fileno(f), good) < 0)
				break;
			break;
		}
		json_decref(l);
		good = ftell(f);
	}
	free(buf);
	fclose(f);
}

int runner_run(const struct scenario *sc, const struct run_opts *o, char *err, size_t errlen)
{
	struct runner r;
	struct sigaction sa;
	char path[1200], **done_ids = NULL;
	size_t ndone = 0;
	int rc = RUN_OK;
	unsigned *todo;
	unsigned ntodo = 0;

	memset(&r, 0, sizeof r);
	r.sc = sc;
	r.o = o;
	todo = calloc(sc->ncells ? sc->ncells : 1, sizeof *todo);
	if (!todo) {
		snprintf(err, errlen, "out of memory");
		return RUN_INFRA;
	}
	if (o->resume_dir) {
		snprintf(r.dir, sizeof r.dir, "%s", o->resume_dir);
		snprintf(path, sizeof path, "%s/cells.jsonl", r.dir);
		drop_cut_tail(path);
		runner_done_ids(path, &done_ids, &ndone);
	}
	for (size_t i = 0; i < sc->ncells; i++) {
		const struct scenario_cell *c = &sc->cells[i];

		if (o->only) {
			int m = scenario_cell_matches(sc, c, o->only, err, errlen);

			if (m < 0) {
				free(todo);
				return RUN_USAGE;
			}
			if (!m)
				continue;
		}
		if (scenario_shard_of(c->id, o->shard_n) != o->shard_k)
			continue;
		if (contains_id(done_ids, ndone, c->id))
			continue;
		todo[ntodo++] = (unsigned)i;
	}
	for (size_t i = 0; i < ndone; i++)
		free(done_ids[i]);
	free(done_ids);
	if (o->dry_run) {
		for (unsigned i = 0; i < ntodo; i++)
			printf("would run %s\n", sc->cells[todo[i]].id);
		printf("%u cell%s would run (dry run: nothing was started)\n", ntodo, ntodo == 1 ? "" : "s");
		free(todo);
		return RUN_OK;
	}
	if (!o->resume_dir && make_run_dir(&r) < 0) {
		snprintf(err, errlen, "%s", r.err);
		free(todo);
		return RUN_INFRA;
	}
	if (!o->resume_dir && write_env(&r) < 0) {
		snprintf(err, errlen, "results: write %s/env.json: %s", r.dir, strerror(errno));
		free(todo);
		return RUN_INFRA;
	}
	snprintf(path, sizeof path, "%s/cells.jsonl", r.dir);
	r.jsonl = fopen(path, "a");
	if (!r.jsonl) {
		snprintf(err, errlen, "results: %s: %s", path, strerror(errno));
		free(todo);
		return RUN_INFRA;
	}
	/* A tag no other run holds; without a registry (not root) the run goes on. */
	(void)envreg_begin(r.tag, sizeof r.tag, NULL, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("run %s: %u cell%s -> %s\n", sc->name, ntodo, ntodo == 1 ? "" : "s", r.dir);
	fflush(stdout);
	snprintf(path, sizeof path, "%s/baseline.json", r.dir);
	if (access(path, F_OK) != 0) {
		json_t *b, *e;
		size_t bi;

		if (baseline_run(r.dir, sc, todo, ntodo, r.tag, o->bin_dir, err, errlen) < 0) {
			fclose(r.jsonl);
			envreg_end();
			free(todo);
			return RUN_INFRA;
		}
		b = json_load_file(path, 0, NULL);
		json_array_foreach(json_object_get(b, "targets"), bi, e)
			printf("baseline: %s, %s: %.1f Mbit/s\n", json_string_value(json_object_get(e, "target")),
			       json_string_value(json_object_get(e, "tool")), json_number_value(json_object_get(e, "mbps")));
		json_array_foreach(json_object_get(b, "warnings"), bi, e)
			printf("baseline: warning: %s\n", json_string_value(e));
		json_decref(b);
		snprintf(path, sizeof path, "%s/cells.jsonl", r.dir);
	}
	r.total = ntodo;
	r.t0_ms = proc_now_ms();
	for (unsigned i = 0; i < ntodo && !g_stop; i++) {
		const struct scenario_cell *c = &sc->cells[todo[i]];
		long long c0 = proc_now_ms();
		json_t *line = NULL;
		char *s;
		int cr;

		if (o->progress_tty) {
			double el = (c0 - r.t0_ms) / 1000.0;

			printf("\r\033[K[%u/%u] %02d:%02d elapsed | running %s ...", r.done + 1, r.total, (int)el / 60,
			       (int)el % 60, c->id);
			fflush(stdout);
		}
		cr = run_cell(&r, c, &line);

		if (cr == -2)
			break;
		if (cr == -1) {
			snprintf(err, errlen, "%s", r.err);
			rc = RUN_INFRA;
			break;
		}
		/* One complete line, flushed to disk before the next cell. */
		s = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!s || fprintf(r.jsonl, "%s\n", s) < 0 || fflush(r.jsonl) != 0) {
			snprintf(err, errlen, "results: %s: write failed", path);
			free(s);
			json_decref(line);
			rc = RUN_INFRA;
			break;
		}
		fsync(fileno(r.jsonl));
		free(s);
		r.done++;
		r.cell_s_sum += (proc_now_ms() - c0) / 1000.0;
		if (!strcmp(json_string_value(json_object_get(line, "verdict")), "pass"))
			r.pass++;
		else if (!strcmp(json_string_value(json_object_get(line, "verdict")), "fail"))
			r.fail++;
		else
			r.errors++;
		progress(&r, c, line);
		json_decref(line);
	}
	if (o->progress_tty)
		putchar('\n');
	fclose(r.jsonl);
	envreg_end();
	free(todo);
	if ((runner_write_reports(r.dir, sc, r.err, sizeof r.err) < 0 ||
	     report_generate(r.dir, sc, r.err, sizeof r.err) < 0) && rc == RUN_OK) {
		snprintf(err, errlen, "%s", r.err);
		rc = RUN_INFRA;
	}
	if (g_stop) {
		printf("interrupted by signal %d after %u of %u cells; complete it with: probelock run %s --resume %s\n",
		       (int)g_stop, r.done, r.total, sc->path, r.dir);
		return RUN_INTERRUPTED;
	}
	runner_print_table(r.dir, stdout);
	{
		char verdict[1200];

		if (report_verdict(r.dir, sc, verdict, sizeof verdict) == 0)
			printf("%s\n", verdict);
	}
	printf("%u passed, %u failed, %u errors (of %u cells run)\nresults: %s\nreport: %s/report.html\n", r.pass,
	       r.fail, r.errors, r.done, r.dir, r.dir);
	if (rc != RUN_OK)
		return rc;
	return r.fail || r.errors ? RUN_FAILED : RUN_OK;
}

/* ---------- reports ---------- */

void runner_print_table(const char *rundir, FILE *out)
{
	char err[1300];
	json_t **lines;
	size_t n;

	if (report_cells_load(rundir, &lines, &n, NULL, err, sizeof err) < 0)
		return;
	fprintf(out, "\n%-44s %-10s %-12s %-9s %-16s %s\n", "cell", "outcome", "ended by", "detect", "stall causes",
	        "verdict");
	for (size_t i = 0; i < n; i++) {
		json_t *l = lines[i], *dl;
		char det[32] = "-";
		const char *why;

		dl = json_object_get(l, "deadlock");
		if (json_is_object(dl))
			snprintf(det, sizeof det, "%.2f s", json_number_value(json_object_get(dl, "detected_s")) -
			                                        json_number_value(json_object_get(dl, "onset_s")));
		why = json_string_value(json_object_get(json_object_get(l, "expect"), "why"));
		fprintf(out, "%-44s %-10s %-12s %-9s %-16s %s%s%s\n", json_string_value(json_object_get(l, "id")),
		        json_string_value(json_object_get(l, "outcome")), json_string_value(json_object_get(l, "ended_by")),
		        det, json_is_object(json_object_get(l, "analysis"))
		                 ? (*json_string_value(json_object_get(json_object_get(l, "analysis"), "stall_causes"))
		                        ? json_string_value(json_object_get(json_object_get(l, "analysis"), "stall_causes"))
		                        : "none")
		                 : "-",
		        json_string_value(json_object_get(l, "verdict")), why && *why ? ": " : "", why ? why : "");
	}
	report_cells_free(lines, n);
	fputc('\n', out);
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

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static double jnum(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

int runner_write_reports(const char *rundir, const struct scenario *sc, char *err, size_t errlen)
{
	char path[1200], tmpcsv[1300], tmpxml[1300], num[64];
	const struct scenario_key_doc *docs;
	size_t n = 0, nfail = 0, nerr = 0;
	double total_s = 0;
	json_t **lines = NULL;
	FILE *csv, *xml;

	scenario_schema(&docs);
	if (report_cells_load(rundir, &lines, &n, NULL, path, sizeof path) < 0) {
		snprintf(err, errlen, "results: %s", path);
		return -1;
	}
	snprintf(tmpcsv, sizeof tmpcsv, "%s/summary.csv.tmp", rundir);
	snprintf(tmpxml, sizeof tmpxml, "%s/junit.xml.tmp", rundir);
	csv = fopen(tmpcsv, "w");
	xml = fopen(tmpxml, "w");
	if (!csv || !xml) {
		snprintf(err, errlen, "results: cannot write reports in %s: %s", rundir, strerror(errno));
		if (csv)
			fclose(csv);
		if (xml)
			fclose(xml);
		for (size_t i = 0; i < n; i++)
			json_decref(lines[i]);
		free(lines);
		return -1;
	}
	fputs("id,repeat,", csv);
	for (size_t a = 0; a < sc->naxes; a++)
		csv_field(csv, docs[sc->axes[a].ent].key, 0);
	fputs("outcome,ended_by,verdict,duration_s,throughput_Bps,bytes_received,stall_total_s,"
	      "detected_after_s,stall_causes,expect_failed,detail\n", csv);
	for (size_t i = 0; i < n; i++) {
		json_t *l = lines[i], *dl = json_object_get(l, "deadlock"), *an = json_object_get(l, "analysis");
		const char *why = jstr(json_object_get(l, "expect"), "why");

		csv_field(csv, jstr(l, "id"), 0);
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
		if (json_is_object(dl))
			snprintf(num, sizeof num, "%.3f", jnum(dl, "detected_s") - jnum(dl, "onset_s"));
		else
			num[0] = 0;
		csv_field(csv, num, 0);
		csv_field(csv, jstr(an, "stall_causes"), 0);
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(json_object_get(l, "expect"), "failed")));
		csv_field(csv, num, 0);
		csv_field(csv, *why ? why : jstr(l, "detail"), 1);
		if (!strcmp(jstr(l, "verdict"), "fail"))
			nfail++;
		else if (!strcmp(jstr(l, "verdict"), "error"))
			nerr++;
		total_s += jnum(l, "duration_s");
	}
	fprintf(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"");
	xml_text(xml, sc->name);
	fprintf(xml, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.3f\">\n", n, nfail, nerr, total_s);
	for (size_t i = 0; i < n; i++) {
		json_t *l = lines[i];
		const char *v = jstr(l, "verdict"), *why = jstr(json_object_get(l, "expect"), "why");

		fputs("    <testcase classname=\"", xml);
		xml_text(xml, sc->name);
		fputs("\" name=\"", xml);
		xml_text(xml, jstr(l, "id"));
		fprintf(xml, "\" time=\"%.3f\"", jnum(l, "duration_s"));
		if (!strcmp(v, "pass")) {
			fputs("/>\n", xml);
			continue;
		}
		fprintf(xml, ">\n      <%s message=\"", strcmp(v, "fail") ? "error" : "failure");
		xml_text(xml, *why ? why : jstr(l, "detail"));
		fprintf(xml, "\" type=\"%s\">", jstr(l, "outcome"));
		xml_text(xml, jstr(l, "detail"));
		fprintf(xml, "</%s>\n    </testcase>\n", strcmp(v, "fail") ? "error" : "failure");
	}
	fputs("  </testsuite>\n</testsuites>\n", xml);
	for (size_t i = 0; i < n; i++)
		json_decref(lines[i]);
	free(lines);
	if (fclose(csv) != 0 || fclose(xml) != 0) {
		snprintf(err, errlen, "results: write reports in %s: %s", rundir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/summary.csv", rundir);
	rename(tmpcsv, path);
	snprintf(path, sizeof path, "%s/junit.xml", rundir);
	rename(tmpxml, path);
	return 0;
}

/* ---------- merge ---------- */

static int same_file(const char *a, const char *b)
{
	FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
	int same = x && y, cx, cy;

	while (same) {
		cx = fgetc(x);
		cy = fgetc(y);
		if (cx != cy)
			same = 0;
		if (cx == EOF || cy == EOF)
			break;
	}
	if (x)
		fclose(x);
	if (y)
		fclose(y);
	return same;
}

int runner_merge(char *const dirs[], int n, const struct scenario *sc, const char *results_root,
                 char *out, size_t outlen, char *err, size_t errlen)
{
	struct runner r;
	struct run_opts o = { .results_root = results_root };
	char path[1200], first_scen[1200], **seen = NULL;
	size_t nseen = 0;
	FILE *jl;
	int rc = 0;

	memset(&r, 0, sizeof r);
	r.sc = sc;
	r.o = &o;
	snprintf(first_scen, sizeof first_scen, "%s/scenario.yaml", dirs[0]);
	for (int i = 1; i < n; i++) {
		snprintf(path, sizeof path, "%s/scenario.yaml", dirs[i]);
		if (!same_file(first_scen, path)) {
			snprintf(err, errlen, "merge: %s and %s were not run from the same scenario", dirs[0], dirs[i]);
			return -1;
		}
	}
	if (make_run_dir(&r) < 0) {
		snprintf(err, errlen, "%s", r.err);
		return -1;
	}
	snprintf(path, sizeof path, "%s/env.json", dirs[0]);
	{
		json_t *env = json_load_file(path, 0, NULL), *from = json_array();
		char dst[1200];

		if (!env)
			env = json_object();
		for (int i = 0; i < n; i++)
			json_array_append_new(from, json_string(dirs[i]));
		json_object_set_new(env, "merged_from", from);
		snprintf(dst, sizeof dst, "%s/env.json", r.dir);
		write_json_file(dst, env);
		json_decref(env);
	}
	snprintf(path, sizeof path, "%s/cells.jsonl", r.dir);
	jl = fopen(path, "w");
	if (!jl) {
		snprintf(err, errlen, "merge: %s: %s", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		char src[1200], *buf = NULL;
		size_t cap = 0;
		FILE *in;

		snprintf(src, sizeof src, "%s/cells.jsonl", dirs[i]);
		in = fopen(src, "r");
		if (!in) {
			snprintf(err, errlen, "merge: %s: %s", src, strerror(errno));
			rc = -1;
			break;
		}
		while (getline(&buf, &cap, in) > 0) {
			json_t *l = json_loads(buf, 0, NULL);
			const char *id = json_string_value(json_object_get(l, "id"));
			char from[1300], to[1300];

			if (!id || contains_id(seen, nseen, id)) {
				json_decref(l);
				continue; /* a cut line, or a cell two shards both ran: the first wins */
			}
			seen = realloc(seen, (nseen + 1) * sizeof *seen);
			seen[nseen++] = strdup(id);
			fputs(buf, jl);
			snprintf(from, sizeof from, "%s/cells/%s", dirs[i], id);
			snprintf(to, sizeof to, "%s/cells/", r.dir);
			fs_mkdir_p(to, NULL, 0);
			if (access(from, F_OK) == 0) {
				char *cp[] = { "cp", "-a", from, to, NULL };

				if (proc_run(cp, NULL, "merge: cp", err, errlen) != 0)
					rc = -1;
			}
			json_decref(l);
		}
		free(buf);
		fclose(in);
	}
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	if (fclose(jl) != 0 && rc == 0) {
		snprintf(err, errlen, "merge: %s: write error", path);
		rc = -1;
	}
	if (rc == 0 && (runner_write_reports(r.dir, sc, err, errlen) < 0 || report_generate(r.dir, sc, err, errlen) < 0))
		rc = -1;
	snprintf(out, outlen, "%s", r.dir);
	return rc;
}
