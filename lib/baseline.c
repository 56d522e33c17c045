/* baseline: what the link itself carries, measured with iperf3 (and iperf2,
 * which lwIP's lwiperf speaks) on each target a run uses, before its cells. */
#include "baseline.h"
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
	switch (c->target.kind) {
	case TARGET_LOOPBACK:
		snprintf(out, len, "loopback");
		break;
	case TARGET_NETNS:
	case TARGET_LWIP:
		snprintf(out, len, "%s rate=%llu mtu=%llu loss=%llu", c->target.kind == TARGET_LWIP ? "lwip" : "netns",
		         (unsigned long long)c->target.rate, (unsigned long long)c->target.mtu,
		         (unsigned long long)c->target.loss);
		break;
	default:
		snprintf(out, len, "remote %s", c->target.host);
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

int baseline_run(const char *rundir, const struct scenario *sc, const unsigned *cells, size_t n,
                 const char *tag, const char *bin_dir, char *err, size_t errlen)
{
	json_t *doc = json_pack("{s:[], s:[]}", "targets", "warnings");
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
		for (int t = 0; t < 2 && rc == 0; t++) {
			const char *tool = t ? "iperf2" : "iperf3";
			struct netenv env;
			const char *host = "127.0.0.1", *cns = NULL, *sns = NULL;
			unsigned port;
			char why[600] = "";
			double mbps;
			int local = c.target.kind != TARGET_REMOTE;

			if (!(t ? c.baseline.iperf2 : c.baseline.iperf3))
				continue;
			memset(&env, 0, sizeof env);
			if (c.target.kind == TARGET_LWIP && !t) {
				json_array_append_new(json_object_get(doc, "warnings"),
				                      json_sprintf("iperf3 on %s: lwIP has no iperf3 server (lwiperf speaks iperf2): "
				                                   "use baseline.iperf2", key));
				continue;
			}
			if (c.target.kind == TARGET_NETNS || c.target.kind == TARGET_LWIP) {
				int up = c.target.kind == TARGET_LWIP
				             ? netenv_up_tap(&env, tag, c.target.rate, c.target.mtu, c.target.loss, why, sizeof why)
				             : netenv_up(&env, tag, c.target.rate, c.target.mtu, c.target.loss, why, sizeof why);

				if (up < 0) {
					snprintf(err, errlen, "baseline %s on %s: %s", tool, key, why);
					rc = -1;
					break;
				}
				cns = env.ns_client;
				sns = env.ns_server;
				host = NETENV_SERVER_ADDR;
			} else if (!local) {
				host = c.target.host;
			}
			port = !local ? (unsigned)(t ? c.baseline.iperf2_port : c.baseline.iperf3_port)
			       : c.target.kind != TARGET_LOOPBACK ? (t ? 5001u : 5201u) : free_port();
			if (c.target.kind == TARGET_LWIP) {
				/* iperf2's client needs only a sink: lwip-echod in discard mode. */
				char exe[700];
				char *sink[] = { exe, "--tap", env.veth_client, "--addr", NETENV_SERVER_ADDR, "--port", "5001",
				                 "--mode", "discard", NULL };

				snprintf(exe, sizeof exe, "%s/lwip-echod", bin_dir);
				mbps = measure(tool, cns, sns, host, port, 1, sink, c.baseline.duration_us / 1e6, rundir, why,
				               sizeof why);
			} else {
				mbps = measure(tool, cns, sns, host, port, local, NULL, c.baseline.duration_us / 1e6, rundir, why,
				               sizeof why);
			}
			netenv_down(&env);
			if (mbps < 0) {
				if (local) {
					snprintf(err, errlen, "baseline %s on %s: %s", tool, key, why);
					rc = -1;
				} else {
					json_array_append_new(json_object_get(doc, "warnings"),
					                      json_sprintf("%s on the DUT %s:%u: %s (no baseline for it)", tool, host, port, why));
				}
				continue;
			}
			json_array_append_new(json_object_get(doc, "targets"),
			                      json_pack("{s:s, s:s, s:f, s:f}", "target", key, "tool", tool, "mbps", mbps,
			                                "duration_s", c.baseline.duration_us / 1e6));
		}
	}
	snprintf(path, sizeof path, "%s/baseline.json", rundir);
	if (json_array_size(json_object_get(doc, "targets")) || json_array_size(json_object_get(doc, "warnings")))
		json_dump_file(doc, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
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
