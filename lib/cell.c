/* cell: one cell's life: its target up (loopback, namespaces, TAP), echod or lwip-echod
 * started and ready, the capture, tcpecho, the wait (blackhole, timeout, signal), the
 * teardown, the capture's analysis and the record with its verdict. */
#include "cell.h"
#include "analysis.h"
#include "baseline.h"
#include "capture.h"
#include "client.h"
#include "fsutil.h"
#include "netenv.h"
#include "plot.h"
#include "proc.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

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
static void lwip_argv(struct cell_ctx *r, struct cell *k, char **argv, int *n, char *exe, size_t exelen)
{
	const struct cellcfg *c = &k->cfg;

	snprintf(exe, exelen, "%s/lwip-echod", r->bin_dir);
	argv_add(argv, n, "%s", exe);
	argv_add(argv, n, "--tap");
	argv_add(argv, n, "%s", k->env.veth_client);
	argv_add(argv, n, "--addr");
	argv_add(argv, n, NETENV_SERVER_ADDR);
	argv_add(argv, n, "--gateway");
	argv_add(argv, n, NETENV_CLIENT_ADDR);
	argv_add(argv, n, "--mode");
	argv_add(argv, n, "%s", c->server.mode == SERVER_STALL ? "stall" : "echo");
	argv_num(argv, n, "--app-buf", c->server.app_buf < 65535 ? c->server.app_buf : 65535, "");
	if (c->server.keepalive[0]) {
		argv_add(argv, n, "--keepalive");
		argv_add(argv, n, "%s", c->server.keepalive);
	}
}

static int start_echod(struct cell_ctx *r, struct cell *k)
{
	const struct cellcfg *c = &k->cfg;
	char *argv[40], exe[700], out[1200], errp[1200], line[256];
	int n = 0;
	long long deadline;

	if (c->target.kind == TARGET_LWIP) {
		lwip_argv(r, k, argv, &n, exe, sizeof exe);
		goto spawn;
	}
	snprintf(exe, sizeof exe, "%s/echod", r->bin_dir);
	argv_add(argv, &n, "%s", exe);
	argv_add(argv, &n, "--bind");
	argv_add(argv, &n, "%s", k->bind);
	argv_add(argv, &n, "--port");
	argv_add(argv, &n, "0");
	argv_add(argv, &n, "--mode");
	argv_add(argv, &n, "%s", server_mode_name((enum server_mode)c->server.mode));
	argv_add(argv, &n, "--stats");
	argv_add(argv, &n, "%s/server.json", k->dir);
	argv_add(argv, &n, "--monitor");
	argv_num(argv, &n, "--stall-threshold", c->detect.stall_threshold_us, "us");
	if (c->server.mode == SERVER_BLOCKING)
		argv_num(argv, &n, "--app-buf", c->server.app_buf, "");
	else
		argv_num(argv, &n, "--out-cap", c->server.out_cap, "");
	if (c->server.sndbuf)
		argv_num(argv, &n, "--sndbuf", c->server.sndbuf, "");
	if (c->server.rcvbuf)
		argv_num(argv, &n, "--rcvbuf", c->server.rcvbuf, "");
	if (c->server.mode == SERVER_SLOW)
		argv_num(argv, &n, "--rate", c->server.rate, "");
	if (c->server.mode == SERVER_STALL && c->server.stall_for_us)
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

static int start_tcpecho(struct cell_ctx *r, struct cell *k)
{
	const struct cellcfg *c = &k->cfg;
	char *argv[48], exe[700];
	int n = 0;

	snprintf(exe, sizeof exe, "%s/tcpecho", r->bin_dir);
	argv_add(argv, &n, "%s", exe);
	argv_add(argv, &n, "-p");
	argv_add(argv, &n, "%u", k->port);
	argv_num(argv, &n, "-a", c->client.alarm_us, "us");
	argv_num(argv, &n, "-n", c->client.times, "");
	argv_add(argv, &n, "--mode");
	argv_add(argv, &n, "%s", client_mode_name((enum client_mode)c->client.mode));
	argv_num(argv, &n, "--payload", c->client.payload, "");
	argv_add(argv, &n, "--json");
	argv_add(argv, &n, "--timeline");
	argv_add(argv, &n, "%s/timeline.csv", k->dir);
	argv_num(argv, &n, "--stall-threshold", c->detect.stall_threshold_us, "us");
	argv_num(argv, &n, "--sample-interval", c->detect.sample_interval_us, "us");
	if (c->client.mode == CLIENT_CHUNKED)
		argv_num(argv, &n, "--chunk", c->client.chunk, "");
	if (c->client.mode == CLIENT_NONBLOCKING && c->client.parallel > 1)
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
	if (c->client.mode == CLIENT_SPLIT && c->client.read_delay_us)
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

/* Stops a program of the cell (SIGTERM, then SIGKILL after grace_ms); its wait status. */
static int stop_pid(struct cell_ctx *r, pid_t *pid, const char *prog, int grace_ms)
{
	char exe[700];
	int status;

	if (*pid <= 0)
		return 0;
	status = proc_stop(*pid, grace_ms);
	snprintf(exe, sizeof exe, "%s/%s", r->bin_dir, prog);
	record_pid(*pid, exe, 0);
	*pid = 0;
	return status;
}

/* Everything a cell started or built, in reverse order. */
static void teardown(struct cell_ctx *r, struct cell *k)
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

/* The analysis of the cell's capture into *doc, and the set of its stalls' causes. A
 * capture that cannot be analysed gives a document {"error": why}. A cell with a stall
 * also keeps, while its capture still exists, the tcpdump-style excerpt around each onset
 * (excerpt.txt) and the time-sequence graphs (plots/conn-N.{gp,dat,png}), which the report
 * shows. Returns 0, or -1 with werr when one of those files cannot be written. */
static int analyse(struct cell *k, const char *pcap, stall_cause_set *causes, json_t **doc, char *werr,
                   size_t werrlen)
{
	struct analysis_cfg acfg = { .stall_threshold_ns = (int64_t)k->cfg.detect.stall_threshold_us * 1000,
	                             .excerpt = 1 };
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

/* Runs one cell. Returns 0 with *line set, -1 on an infrastructure error
 * (r->err), -2 when interrupted. */
int cell_run(struct cell_ctx *r, const struct scenario_cell *cell, json_t **line)
{
	struct cell k;
	char causes[256] = "", why[300] = "", pcap[1200], path[1200], detail[600] = "";
	const char *outcome = "error", *ended_by = "error";
	json_t *client = NULL, *analysis = NULL, *server = NULL;
	int failed = 0, applied, rc = 0, ecode = -1;
	stall_cause_set cause_set = 0;
	long long deadline, bh_at = 0;
	double elapsed;
	const char *verdict;

	memset(&k, 0, sizeof k);
	k.c = cell;
	scenario_cell_config(r->sc, cell, &k.cfg);
	/* The cell's folder under a temporary name until its record is whole. */
	if (space_left(r->dir, r->err, sizeof r->err) < 0 ||
	    results_cell_begin(r->res, cell->id, k.dir, sizeof k.dir, r->err, sizeof r->err) < 0)
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

		if (proc_wait(k.tcpecho, &k.status, next, r->stop)) {
			char exe[700];

			snprintf(exe, sizeof exe, "%s/tcpecho", r->bin_dir);
			record_pid(k.tcpecho, exe, 0);
			k.tcpecho = 0;
			break;
		}
		if (*r->stop) {
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
			k.status = stop_pid(r, &k.tcpecho, "tcpecho", 500); /* the record's exit_code: 130 */
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
	if (k.cfg.capture.enabled && analyse(&k, pcap, &cause_set, &analysis, r->err, sizeof r->err) < 0) {
		json_decref(client);
		json_decref(analysis);
		fs_rm_rf(k.dir);
		return -1;
	}
	snprintf(path, sizeof path, "%s/server.json", k.dir);
	server = json_load_file(path, 0, NULL);

	stall_cause_set_format(cause_set, causes, sizeof causes);
	applied = scenario_check(r->sc, cell, outcome, cause_set, ended_by ? ended_by : "", &failed, why, sizeof why);
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
