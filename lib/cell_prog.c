/* cell_prog: a cell's programs: the command lines of echod, lwip-echod and tcpecho built
 * from the cell's settings with the programs' own name tables (server_mode_name,
 * client_mode_name, lwip_mode_name), their start with stdout and stderr in the cell's folder,
 * the server's readiness, the capture, and their stop. */
#include "cell_int.h"
#include "client.h"
#include "fsutil.h"
#include "lwipmode.h"
#include "optlimits.h"
#include "proc.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

void cell_record_pid(pid_t pid, const char *exe, int add)
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
	cell_record_pid(pid, exe, 1);
	return pid;
}

/* The program serving the cell: echod, or lwip-echod for the lwip target. */
static const char *server_prog(const struct cell *k)
{
	return k->cfg.target.kind == TARGET_LWIP ? "lwip-echod" : "echod";
}

/* lwip-echod's arguments for a cell of the lwip target: its modes are echod's stall (accept,
 * never read) or echo. */
static void lwip_argv(const struct cell *k, char **argv, int *n)
{
	const struct cellcfg *c = &k->cfg;

	argv_add(argv, n, "--tap");
	argv_add(argv, n, "%s", k->env.veth_client);
	argv_add(argv, n, "--addr");
	argv_add(argv, n, NETENV_SERVER_ADDR);
	argv_add(argv, n, "--gateway");
	argv_add(argv, n, NETENV_CLIENT_ADDR);
	argv_add(argv, n, "--mode");
	argv_add(argv, n, "%s", lwip_mode_name(c->server.mode == SERVER_STALL ? LWIP_STALL : LWIP_ECHO));
	argv_num(argv, n, "--app-buf", c->server.app_buf < OPTLIM_LWIP_APP_BUF_MAX ? c->server.app_buf
	                                                                        : OPTLIM_LWIP_APP_BUF_MAX, "");
	if (c->server.keepalive[0]) {
		argv_add(argv, n, "--keepalive");
		argv_add(argv, n, "%s", c->server.keepalive);
	}
}

/* echod's arguments, from the cell's server settings. */
static void echod_argv(const struct cell *k, char **argv, int *n)
{
	const struct cellcfg *c = &k->cfg;

	argv_add(argv, n, "--bind");
	argv_add(argv, n, "%s", k->bind);
	argv_add(argv, n, "--port");
	argv_add(argv, n, "0");
	argv_add(argv, n, "--mode");
	argv_add(argv, n, "%s", server_mode_name((enum server_mode)c->server.mode));
	argv_add(argv, n, "--stats");
	argv_add(argv, n, "%s/server.json", k->dir);
	argv_add(argv, n, "--monitor");
	argv_num(argv, n, "--stall-threshold", c->detect.stall_threshold_us, "us");
	if (c->server.mode == SERVER_BLOCKING)
		argv_num(argv, n, "--app-buf", c->server.app_buf, "");
	else
		argv_num(argv, n, "--out-cap", c->server.out_cap, "");
	if (c->server.sndbuf)
		argv_num(argv, n, "--sndbuf", c->server.sndbuf, "");
	if (c->server.rcvbuf)
		argv_num(argv, n, "--rcvbuf", c->server.rcvbuf, "");
	if (c->server.mode == SERVER_SLOW)
		argv_num(argv, n, "--rate", c->server.rate, "");
	if (c->server.mode == SERVER_STALL && c->server.stall_for_us)
		argv_num(argv, n, "--stall-for", c->server.stall_for_us, "us");
	if (c->server.idle_timeout_us)
		argv_num(argv, n, "--idle-timeout", c->server.idle_timeout_us, "us");
}

/* The first line of a file of the cell's folder, without its newline ("" when none). */
void cell_first_line(const struct cell *k, const char *name, char *line, size_t len)
{
	char path[1200];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", k->dir, name);
	line[0] = 0;
	f = fopen(path, "r");
	if (f) {
		if (!fgets(line, (int)len, f))
			line[0] = 0;
		fclose(f);
	}
	line[strcspn(line, "\n")] = 0;
}

/* The server's readiness line ("listening on ADDR PORT"), never a sleep: 0 with k->port, or
 * -1 with k->infra when it exits first or says nothing within 5 s. */
static int wait_ready(struct cell *k, const char *exe)
{
	long long deadline = proc_now_ms() + 5000;
	char line[256];

	while (proc_now_ms() < deadline) {
		unsigned port = 0;

		cell_first_line(k, "server.out", line, sizeof line);
		if (sscanf(line, "listening on %*s %u", &port) == 1 && port) {
			k->port = (uint16_t)port;
			return 0;
		}
		if (waitpid(k->echod, &k->status, WNOHANG) == k->echod) {
			cell_first_line(k, "server.err", line, sizeof line);
			snprintf(k->infra, sizeof k->infra, "start %s: it exited: %s", server_prog(k),
			         line[0] ? line : "no message");
			cell_record_pid(k->echod, exe, 0);
			k->echod = 0;
			return -1;
		}
		usleep(10000);
	}
	snprintf(k->infra, sizeof k->infra, "start %s: no readiness line within 5 s", server_prog(k));
	return -1;
}

int cell_start_server(struct cell_ctx *r, struct cell *k)
{
	char *argv[40], exe[700];
	int n = 0;

	snprintf(exe, sizeof exe, "%s/%s", r->bin_dir, server_prog(k));
	argv_add(argv, &n, "%s", exe);
	if (k->cfg.target.kind == TARGET_LWIP)
		lwip_argv(k, argv, &n);
	else
		echod_argv(k, argv, &n);
	k->echod = spawn_in_cell(k, argv, exe, server_prog(k), k->netns_server, "server.out", "server.err");
	if (k->echod < 0) {
		k->echod = 0;
		return -1;
	}
	return wait_ready(k, exe);
}

/* tcpecho's arguments, from the cell's client and detection settings. */
static void tcpecho_argv(const struct cell *k, char **argv, int *n)
{
	const struct cellcfg *c = &k->cfg;

	argv_add(argv, n, "-p");
	argv_add(argv, n, "%u", k->port);
	argv_num(argv, n, "-a", c->client.alarm_us, "us");
	argv_num(argv, n, "-n", c->client.times, "");
	argv_add(argv, n, "--mode");
	argv_add(argv, n, "%s", client_mode_name((enum client_mode)c->client.mode));
	argv_num(argv, n, "--payload", c->client.payload, "");
	argv_add(argv, n, "--json");
	argv_add(argv, n, "--timeline");
	argv_add(argv, n, "%s/timeline.csv", k->dir);
	argv_num(argv, n, "--stall-threshold", c->detect.stall_threshold_us, "us");
	argv_num(argv, n, "--sample-interval", c->detect.sample_interval_us, "us");
	if (c->client.mode == CLIENT_CHUNKED)
		argv_num(argv, n, "--chunk", c->client.chunk, "");
	if (c->client.mode == CLIENT_NONBLOCKING && c->client.parallel > 1)
		argv_num(argv, n, "--parallel", c->client.parallel, "");
	if (c->client.sndbuf)
		argv_num(argv, n, "--sndbuf", c->client.sndbuf, "");
	if (c->client.rcvbuf)
		argv_num(argv, n, "--rcvbuf", c->client.rcvbuf, "");
	if (c->client.maxseg)
		argv_num(argv, n, "--maxseg", c->client.maxseg, "");
	if (c->client.user_timeout_us)
		argv_num(argv, n, "--user-timeout", (c->client.user_timeout_us / 1000), "ms");
	if (c->client.keepalive[0]) {
		argv_add(argv, n, "--keepalive");
		argv_add(argv, n, "%s", c->client.keepalive);
	}
	if (c->client.mode == CLIENT_SPLIT && c->client.read_delay_us)
		argv_num(argv, n, "--read-delay", c->client.read_delay_us, "us");
	if (c->client.nodelay)
		argv_add(argv, n, "--nodelay");
	if (!c->client.abort)
		argv_add(argv, n, "--no-abort");
	if (c->detect.hold_probes)
		argv_num(argv, n, "--hold", c->detect.hold_probes, "");
	if (c->detect.hold_for_us)
		argv_num(argv, n, "--hold-for", c->detect.hold_for_us, "us");
	argv_add(argv, n, "%s", k->host);
}

int cell_start_tcpecho(struct cell_ctx *r, struct cell *k)
{
	char *argv[48], exe[700];
	int n = 0;

	snprintf(exe, sizeof exe, "%s/tcpecho", r->bin_dir);
	argv_add(argv, &n, "%s", exe);
	tcpecho_argv(k, argv, &n);
	k->tcpecho = spawn_in_cell(k, argv, exe, "tcpecho", k->netns_client, "client.json", "client.err");
	if (k->tcpecho < 0) {
		k->tcpecho = 0;
		return -1;
	}
	return 0;
}

/* The capture of the cell's traffic on the client's side, into k->pcap. */
int cell_start_capture(struct cell *k)
{
	struct capture_cfg cc = { 0 };
	char filter[128], tmp[sizeof k->infra];

	snprintf(filter, sizeof filter, "tcp port %u", k->port);
	cc.iface = k->cfg.target.kind == TARGET_LOOPBACK ? "lo"
	           : k->cfg.target.kind == TARGET_REMOTE ? k->cfg.target.iface : k->env.veth_client;
	cc.netns = k->netns_client;
	cc.path = k->pcap;
	cc.filter = filter;
	cc.snaplen = (int)k->cfg.capture.snaplen;
	k->cap = capture_start(&cc, k->infra, sizeof k->infra);
	if (!k->cap) {
		snprintf(tmp, sizeof tmp, "%s", k->infra);
		snprintf(k->infra, sizeof k->infra, "capture: %s", tmp);
		return -1;
	}
	return 0;
}

/* Stops a program of the cell (SIGTERM, then SIGKILL after grace_ms); its wait status. */
int cell_stop_pid(struct cell_ctx *r, pid_t *pid, const char *prog, int grace_ms)
{
	char exe[700];
	int status;

	if (*pid <= 0)
		return 0;
	status = proc_stop(*pid, grace_ms);
	snprintf(exe, sizeof exe, "%s/%s", r->bin_dir, prog);
	cell_record_pid(*pid, exe, 0);
	*pid = 0;
	return status;
}

/* Everything a cell started or built, in reverse order. */
void cell_teardown(struct cell_ctx *r, struct cell *k)
{
	char err[256];

	cell_stop_pid(r, &k->tcpecho, "tcpecho", 1000);
	if (k->cap) {
		capture_stop(k->cap, &k->capst, err, sizeof err);
		k->cap = NULL;
	}
	cell_stop_pid(r, &k->echod, k->cfg.target.kind == TARGET_LWIP ? "lwip-echod" : "echod", 3000);
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
