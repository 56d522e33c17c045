/* baseline: what the link itself carries, measured with iperf3 (and iperf2,
 * which lwIP's lwiperf speaks) on each target a run uses, before its cells. */
#include "baseline.h"
#include "lwipmode.h"
#include "netenv.h"
#include "proc.h"
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void baseline_target_key(const struct cellcfg *c, char *out, size_t len)
{
	const char *name = scenario_target_name((enum target_kind)c->target.kind);

	switch (c->target.kind) {
	case TARGET_LOOPBACK:
		snprintf(out, len, "%s", name);
		break;
	case TARGET_NETNS:
	case TARGET_LWIP:
		snprintf(out, len, "%s rate=%llu mtu=%llu loss=%llu", name, (unsigned long long)c->target.rate,
		         (unsigned long long)c->target.mtu, (unsigned long long)c->target.loss);
		break;
	default:
		snprintf(out, len, "%s %s", name, c->target.host);
	}
}

/* A port free on 127.0.0.1 now (inside a fresh namespace every port is). */
static unsigned free_port(void)
{
	struct sock_addr a, b;
	char err[128];
	int fd;

	if (sock_resolve("127.0.0.1", 0, 1, &a, err, sizeof err) < 0)
		return 45201;
	fd = sock_listen(&a, 1, 0, NULL, NULL, &b, err, sizeof err);
	if (fd < 0)
		return 45201;
	close(fd);
	return sock_addr_port(&b);
}

/* Runs one client; its stdout lands in out (a file), stderr's first line in
 * why. Retries while the server is not listening yet (a refused connect), for
 * up to 5 s: readiness by the server's own answer, not by a sleep. */
static int run_client(char **argv, const char *netns, const char *out, char *why, size_t wlen)
{
	long long until = proc_now_ms() + 5000;

	for (;;) {
		char errf[] = "/tmp/probelock-iperf.XXXXXX", line[300] = "";
		int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), efd = mkstemp(errf), st = 0;
		pid_t pid;
		FILE *e;

		if (efd >= 0)
			unlink(errf);
		pid = proc_spawn(argv, netns, ofd, efd, why, wlen);
		if (ofd >= 0)
			close(ofd);
		if (pid < 0) {
			if (efd >= 0)
				close(efd);
			return -1;
		}
		if (!proc_wait(pid, &st, proc_now_ms() + 120000, NULL))
			st = proc_stop(pid, 500);
		e = efd >= 0 ? fdopen(efd, "r") : NULL;
		if (e) {
			rewind(e);
			if (!fgets(line, sizeof line, e))
				line[0] = 0;
			fclose(e);
		}
		line[strcspn(line, "\n")] = 0;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			return 0;
		if ((strstr(line, "refused") || strstr(line, "unable to connect") || !line[0]) && proc_now_ms() < until) {
			usleep(100000);
			continue;
		}
		snprintf(why, wlen, "%s", line[0] ? line : "failed");
		return -1;
	}
}

static double parse_iperf3(const char *path, char *why, size_t wlen)
{
	json_t *j = json_load_file(path, 0, NULL);
	double bps = json_number_value(json_object_get(json_object_get(json_object_get(j, "end"), "sum_received"),
	                                               "bits_per_second"));

	if (!bps && j)
		snprintf(why, wlen, "%s", json_string_value(json_object_get(j, "error")) ?: "no sum_received in its JSON");
	json_decref(j);
	return bps / 1e6;
}

static double parse_iperf2(const char *path)
{
	char line[512], last[512] = "";
	FILE *f = fopen(path, "r");
	char *comma;

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strchr(line, ','))
			snprintf(last, sizeof last, "%s", line);
	fclose(f);
	comma = strrchr(last, ',');
	return comma ? strtod(comma + 1, NULL) / 1e6 : 0;
}

/* One measurement: tool "iperf3" or "iperf2" against host:port; a local
 * server is started in server_ns when local (sink: an argv to start instead
 * of iperf's own server, lwip-echod's discard mode for the lwip target).
 * Returns Mbit/s, or -1 with why. */
static double measure(const char *tool, const char *client_ns, const char *server_ns, const char *host,
                      unsigned port, int local, char **sink, double secs, const char *tmpdir, char *why,
                      size_t wlen)
{
	char ports[16], dur[32], out[1200];
	pid_t srv = 0;
	double mbps;
	int rc;

	snprintf(ports, sizeof ports, "%u", port);
	snprintf(dur, sizeof dur, "%.1f", secs);
	snprintf(out, sizeof out, "%s/baseline-%s.out", tmpdir, tool);
	if (local) {
		char *s3[] = { "iperf3", "-s", "-1", "-B", (char *)host, "-p", ports, NULL };
		char *s2[] = { "iperf", "-s", "-B", (char *)host, "-p", ports, NULL };

		srv = proc_spawn(sink ? sink : !strcmp(tool, "iperf3") ? s3 : s2, server_ns, -1, -1, why, wlen);
		if (srv < 0)
			return -1;
	}
	if (!strcmp(tool, "iperf3")) {
		char *c3[] = { "iperf3", "-c", (char *)host, "-p", ports, "-t", dur, "-J", NULL };

		long long until = proc_now_ms() + 5000;

		/* iperf3 3.12 with -J exits 0 when the connect is refused and says
		 * so only in its JSON: the server may not listen yet, so retry. */
		for (;;) {
			rc = run_client(c3, client_ns, out, why, wlen);
			mbps = rc == 0 ? parse_iperf3(out, why, wlen) : -1;
			if (mbps == 0 && strstr(why, "unable to connect") && proc_now_ms() < until) {
				usleep(100000);
				continue;
			}
			break;
		}
		if (mbps == 0)
			mbps = -1; /* why says what its JSON lacked */
	} else {
		char *c2[] = { "iperf", "-c", (char *)host, "-p", ports, "-t", dur, "-y", "C", NULL };
		long long until = proc_now_ms() + 5000;

		/* iperf2 also exits 0 on a refused connect, with no CSV line. */
		for (;;) {
			rc = run_client(c2, client_ns, out, why, wlen);
			mbps = rc == 0 ? parse_iperf2(out) : -1;
			if (rc == 0 && mbps <= 0 && proc_now_ms() < until) {
				usleep(100000);
				continue;
			}
			break;
		}
		if (rc == 0 && mbps <= 0) {
			snprintf(why, wlen, "no rate in its CSV output (no server answered)");
			mbps = -1;
		}
	}
	if (srv > 0)
		proc_stop(srv, 1000);
	unlink(out);
	return mbps;
}

/* What a baseline run shares between its measurements. */
struct bl_run {
	const char *rundir, *tag, *bin_dir;
	json_t *doc; /* baseline.json: targets, warnings */
};

static void bl_warn(struct bl_run *b, json_t *msg)
{
	json_array_append_new(json_object_get(b->doc, "warnings"), msg);
}

/* The iperf server's side for a local target: namespaces for netns and lwip (env), the host
 * and port the client aims at, and for lwip a sink (lwip-echod in discard mode, iperf2's
 * client needs no more) in sink, its program path in exe. 0, or -1 with why. */
static int bl_side(struct bl_run *b, const struct cellcfg *c, int t, struct netenv *env, const char **host,
                   unsigned *port, char **sink, char *exe, size_t exelen, char *why, size_t wlen)
{
	int lwip = c->target.kind == TARGET_LWIP;

	if (c->target.kind == TARGET_REMOTE) {
		*host = c->target.host;
		*port = (unsigned)(t ? c->baseline.iperf2_port : c->baseline.iperf3_port);
		return 0;
	}
	*host = "127.0.0.1";
	*port = t ? 5001u : 5201u; /* iperf's own defaults, free in a fresh namespace */
	if (c->target.kind == TARGET_LOOPBACK) {
		*port = free_port();
		return 0;
	}
	if ((lwip ? netenv_up_tap : netenv_up)(env, b->tag, c->target.rate, c->target.mtu, c->target.loss, why, wlen) < 0)
		return -1;
	*host = NETENV_SERVER_ADDR;
	if (lwip) {
		snprintf(exe, exelen, "%s/lwip-echod", b->bin_dir);
		sink[0] = exe;
		sink[1] = "--tap";
		sink[2] = env->veth_client;
		sink[3] = "--addr";
		sink[4] = NETENV_SERVER_ADDR;
		sink[5] = "--port";
		sink[6] = "5001";
		sink[7] = "--mode";
		sink[8] = (char *)lwip_mode_name(LWIP_DISCARD);
		sink[9] = NULL;
	}
	return 0;
}

/* One tool (t: 0 iperf3, 1 iperf2) on one target (key). A local measurement that fails is an
 * error (-1, err); a remote DUT's is a warning. */
static int bl_measure(struct bl_run *b, const struct cellcfg *c, const char *key, int t, char *err, size_t errlen)
{
	const char *tool = t ? "iperf2" : "iperf3", *host;
	int local = c->target.kind != TARGET_REMOTE;
	char why[600] = "", exe[700];
	char *sink[10] = { NULL };
	struct netenv env;
	unsigned port;
	double mbps;

	memset(&env, 0, sizeof env);
	if (c->target.kind == TARGET_LWIP && !t) {
		bl_warn(b, json_sprintf("iperf3 on %s: lwIP has no iperf3 server (lwiperf speaks iperf2): "
		                        "use baseline.iperf2", key));
		return 0;
	}
	if (bl_side(b, c, t, &env, &host, &port, sink, exe, sizeof exe, why, sizeof why) < 0) {
		snprintf(err, errlen, "baseline %s on %s: %s", tool, key, why);
		return -1;
	}
	mbps = measure(tool, env.ns_client[0] ? env.ns_client : NULL, env.ns_server[0] ? env.ns_server : NULL, host,
	               port, local, sink[0] ? sink : NULL, c->baseline.duration_us / 1e6, b->rundir, why, sizeof why);
	netenv_down(&env);
	if (mbps < 0 && local) {
		snprintf(err, errlen, "baseline %s on %s: %s", tool, key, why);
		return -1;
	}
	if (mbps < 0)
		bl_warn(b, json_sprintf("%s on the DUT %s:%u: %s (no baseline for it)", tool, host, port, why));
	else
		json_array_append_new(json_object_get(b->doc, "targets"),
		                      json_pack("{s:s, s:s, s:f, s:f}", "target", key, "tool", tool, "mbps", mbps,
		                                "duration_s", c->baseline.duration_us / 1e6));
	return 0;
}

/* When baselines were asked for and none was measured, why, in the document: "none". */
static void bl_none(struct bl_run *b)
{
	json_t *w;
	size_t i;
	char *why = NULL;
	size_t wl = 0;
	FILE *f;

	if (json_array_size(json_object_get(b->doc, "targets")) || !json_array_size(json_object_get(b->doc, "warnings")))
		return;
	f = open_memstream(&why, &wl);
	if (!f)
		return;
	json_array_foreach(json_object_get(b->doc, "warnings"), i, w)
		fprintf(f, "%s%s", i ? "; " : "", json_string_value(w));
	fclose(f);
	json_object_set_new(b->doc, "none", json_string(why ? why : ""));
	free(why);
}

int baseline_run(const char *rundir, const struct scenario *sc, const unsigned *cells, size_t n,
                 const char *tag, const char *bin_dir, char *err, size_t errlen)
{
	struct bl_run b = { rundir, tag, bin_dir, json_pack("{s:[], s:[]}", "targets", "warnings") };
	char done[16][200], path[1200];
	size_t ndone = 0;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		struct cellcfg c;
		char key[200];
		int seen = 0;

		scenario_cell_config(sc, &sc->cells[cells[i]], &c);
		if (!c.baseline.iperf3 && !c.baseline.iperf2)
			continue;
		baseline_target_key(&c, key, sizeof key);
		for (size_t k = 0; k < ndone; k++)
			seen |= !strcmp(done[k], key);
		if (seen || ndone == 16)
			continue;
		snprintf(done[ndone++], sizeof done[0], "%s", key);
		for (int t = 0; t < 2 && rc == 0; t++)
			if (t ? c.baseline.iperf2 : c.baseline.iperf3)
				rc = bl_measure(&b, &c, key, t, err, errlen);
	}
	bl_none(&b);
	snprintf(path, sizeof path, "%s/baseline.json", rundir);
	if (json_array_size(json_object_get(b.doc, "targets")) || json_array_size(json_object_get(b.doc, "warnings")))
		json_dump_file(b.doc, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(b.doc);
	return rc;
}

double baseline_mbps_for(const char *rundir, const struct cellcfg *c)
{
	char path[1200], key[200];
	json_t *doc, *e;
	double v3 = 0, v2 = 0;
	size_t i;

	snprintf(path, sizeof path, "%s/baseline.json", rundir);
	doc = json_load_file(path, 0, NULL);
	baseline_target_key(c, key, sizeof key);
	json_array_foreach(json_object_get(doc, "targets"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "target")) ?: "", key))
			continue;
		if (!strcmp(json_string_value(json_object_get(e, "tool")) ?: "", "iperf3"))
			v3 = json_number_value(json_object_get(e, "mbps"));
		else
			v2 = json_number_value(json_object_get(e, "mbps"));
	}
	json_decref(doc);
	return v3 ? v3 : v2;
}
