/* plot: time-sequence graphs (gnuplot) of the connections of an analysed capture. */
#include "plot.h"
#include "fsutil.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdint.h>
#include <unistd.h>

struct pconn {
	const struct tcpana_conn *c;
	FILE *f[2];
};

void plot_terminal(FILE *f, const char *base, int width, int height)
{
	fprintf(f, "# Renders %s.png by default; gnuplot -e \"fmt='svg'\" renders %s.svg.\n"
	           "if (!exists(\"fmt\")) fmt = 'png'\n"
	           "if (fmt eq 'svg') {\n"
	           "    set terminal svg size %d,%d dynamic noenhanced font 'sans,10' background rgb 'white'\n"
	           "    set output '%s.svg'\n"
	           "} else {\n"
	           "    set terminal pngcairo size %d,%d noenhanced font 'sans,10'\n"
	           "    set output '%s.png'\n"
	           "}\n",
	        base, base, width, height, base, width, height, base);
}

int plot_render(const char *dir, const char *script, char *err, size_t errlen)
{
	if (plot_run_gnuplot(dir, script, NULL, err, errlen) < 0)
		return -1;
	return plot_run_gnuplot(dir, script, "svg", err, errlen);
}

/* Runs "gnuplot -e \"cd 'DIR'[; fmt='FMT']\" script" through proc_spawn: gnuplot's own cd
 * makes the script's relative data paths resolve in dir. Its messages are appended to
 * dir/gnuplot.log, which is removed when it stays empty; a failure leaves it for reading. */
int plot_run_gnuplot(const char *dir, const char *script, const char *fmt, char *err, size_t errlen)
{
	char log[1200], expr[2400], spawn_err[300];
	char *argv[] = { "gnuplot", "-e", expr, (char *)script, NULL };
	size_t o = 0;
	struct stat sb;
	pid_t pid;
	int st = 0, fd;

	o += (size_t)snprintf(expr, sizeof expr, "cd '");
	for (const char *s = dir; *s && o + 3 < sizeof expr; s++) {
		if (*s == '\'')
			expr[o++] = '\''; /* a quote in a single-quoted gnuplot string is doubled */
		expr[o++] = *s;
	}
	snprintf(expr + o, sizeof expr - o, "'%s%s%s", fmt ? "; fmt='" : "", fmt ? fmt : "", fmt ? "'" : "");
	snprintf(log, sizeof log, "%s/gnuplot.log", dir);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", log, strerror(errno));
		return -1;
	}
	pid = proc_spawn(argv, NULL, fd, fd, spawn_err, sizeof spawn_err);
	if (pid < 0) {
		close(fd);
		snprintf(err, errlen, "gnuplot not found or not started (install gnuplot-nox): %s", spawn_err);
		return -1;
	}
	proc_wait(pid, &st, 0, NULL);
	if (fstat(fd, &sb) == 0 && sb.st_size == 0)
		unlink(log);
	close(fd);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errlen, "gnuplot %s failed: see %s", script, log);
		return -1;
	}
	return 0;
}

/* Connections to draw: stalled ones first, then by packet count. */
static int by_interest(const void *x, const void *y)
{
	const struct tcpana_conn *a = *(const struct tcpana_conn *const *)x;
	const struct tcpana_conn *b = *(const struct tcpana_conn *const *)y;
	const struct conn_state *sa = a->user, *sb = b->user;

	if ((sa->st.n > 0) != (sb->st.n > 0))
		return sb->st.n > 0 ? 1 : -1;
	if (a->packets != b->packets)
		return a->packets < b->packets ? 1 : -1;
	return a->id < b->id ? -1 : 1;
}

static const char *cause_color(enum stall_cause c)
{
	switch (c) {
	case STALL_PROBE_DEADLOCK: return "#f4a6a6";
	case STALL_RECEIVER: return "#f9d98c";
	case STALL_SILENT_PEER: return "#b8c7f0";
	case STALL_ABORT: return "#d0d0d0";
	default: return "#e8e8e8";
	}
}

/* The plot commands of one panel: row 0/1 the time-sequence of direction
 * A->B / B->A, row 2 the windows both sides advertise. */
static void panel(FILE *f, unsigned id, int row)
{
	if (row == 2) {
		fprintf(f, "set key top right\nset ylabel 'advertised window (bytes)'\n"
		           "plot 'conn-%u-a.dat' using 1:5 with steps lw 2 lc rgb '#1f5fbf' title 'window advertised by A', \\\n"
		           "     'conn-%u-b.dat' using 1:5 with steps lw 2 lc rgb '#e07b00' title 'window advertised by B', \\\n"
		           "     'conn-%u-a.dat' using 1:($6 != 0 ? 0 : 1/0) with points pt 7 ps 1.2 lc rgb '#1f5fbf' title 'probes A->B', \\\n"
		           "     'conn-%u-b.dat' using 1:($6 != 0 ? 0 : 1/0) with points pt 5 ps 1 lc rgb '#e07b00' title 'probes B->A'\n",
		        id, id, id, id);
		return;
	}
	char me = row ? 'b' : 'a', peer = row ? 'a' : 'b';
	const char *src = row ? "B" : "A", *dst = row ? "A" : "B";

	fprintf(f, "set key bottom right\nset ylabel 'relative sequence number %s->%s (bytes)'\n", src,
	        dst);
	fprintf(f, "plot 'conn-%u-%c.dat' using 1:($3>0 ? $2 : 1/0):(0):3 with vectors nohead lw 2 "
	           "lc rgb '#1f5fbf' title 'data %s->%s', \\\n"
	           "     'conn-%u-%c.dat' using 1:4 with steps lw 1.5 lc rgb '#2a9d2a' title 'ACK from %s', \\\n"
	           "     'conn-%u-%c.dat' using 1:($4+$5) with steps lw 1.5 dt 2 lc rgb '#d62728' "
	           "title 'window edge advertised by %s', \\\n"
	           "     'conn-%u-%c.dat' using 1:($6 != 0 ? $2 : 1/0) with points pt 7 ps 1.2 lc rgb '#000000' "
	           "title 'probes %s->%s', \\\n"
	           "     'conn-%u-%c.dat' using 1:($8 != 0 ? $2 : 1/0) with points pt 2 ps 1.2 lc rgb '#9400d3' "
	           "title 'retransmissions'\n",
	        id, me, src, dst, id, peer, dst, id, peer, dst, id, me, src, dst, id, me);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

/* The zoom window around the first stall's onset (its last progress): from a quarter of the
 * window before it to half a probe interval after the second probe either side sent (the
 * first, or a quarter of the stall, when there are fewer). Returns 1 with [*z0, *z1] in
 * seconds, or 0 when that window would not be narrower than half the connection or would
 * leave a panel with nothing to draw. */
/* Whether each time-sequence panel of the window [z0, z1] has a point gnuplot can draw (it
 * refuses a plot where none is): row A->B needs A's data, probes or retransmissions, or any
 * segment of B (its ACK and window lines); row B->A the same the other way round. Times
 * compared as the data files write them (microseconds). */
static int window_drawable(const struct analysis *an, const struct tcpana_conn *c, double z0, double z1)
{
	const struct conn_state *cs = c->user;
	int row[2] = { 0, 0 };
	long long lo = (long long)(z0 * 1e6 + 0.5), hi = (long long)(z1 * 1e6 + 0.5);

	for (size_t j = 0; j < cs->npts && !(row[0] && row[1]); j++) {
		const struct apoint *q = &cs->pts[j];
		long long t = (long long)(analysis_rel_s(an, q->t_ns) * 1e6 + 0.5);

		if (t < lo || t > hi)
			continue;
		row[!q->dir] = 1; /* its ACK and window lines in the other row */
		if (q->seglen || q->probe || q->retransmission)
			row[q->dir] = 1;
	}
	return row[0] && row[1];
}

static int zoom_window(const struct analysis *an, const struct tcpana_conn *c, double *z0, double *z1)
{
	const struct stall *s;
	int64_t t[2 * STALL_MAX_PROBE_TIMES], end;
	size_t n = 0, k;
	double on, span = (double)(c->last_t - c->first_t) / 1e9;

	/* Nothing to zoom into without a stall, or without data (a refused connection: SYN and
	 * RST only). */
	if (!((const struct conn_state *)c->user)->st.n || !(c->d[0].payload_bytes + c->d[1].payload_bytes))
		return 0;
	s = &((const struct conn_state *)c->user)->st.v[0];
	for (int d = 0; d < 2; d++)
		for (unsigned i = 0; i < s->dir[d].probes && i < STALL_MAX_PROBE_TIMES; i++)
			t[n++] = s->dir[d].probe_t[i];
	qsort(t, n, sizeof *t, cmp_i64);
	if (n) {
		k = n < 2 ? n : 2;
		end = t[k - 1] + (t[k - 1] - s->start_ns) / (int64_t)(2 * k);
	} else {
		end = s->start_ns + (s->end_ns - s->start_ns) / 4;
	}
	if (end > s->end_ns)
		end = s->end_ns;
	on = analysis_rel_s(an, s->start_ns);
	*z1 = analysis_rel_s(an, end);
	*z0 = on - (*z1 - on) / 4;
	if (*z0 < analysis_rel_s(an, c->first_t))
		*z0 = analysis_rel_s(an, c->first_t);
	return *z1 > *z0 && *z1 - *z0 <= span / 2 && window_drawable(an, c, *z0, *z1);
}

/* The script's head: what the data files hold, the terminal, the stalls shaded. */
static void script_head(FILE *f, const struct analysis *an, const struct tcpana_conn *c, int zoom)
{
	const struct conn_state *cs = c->user;
	char base[32];

	fprintf(f, "# Time-sequence graph of connection %u of %s (probelock analyze --plot).\n"
	           "# Columns of conn-%u-a.dat / -b.dat (one line per segment of A->B / B->A):\n"
	           "# 1 time s, 2 relative seq, 3 payload bytes, 4 relative ack, 5 window bytes,\n"
	           "# 6 probe (keep_alive or zero_window_probe), 7 zero_window, 8 retransmission\n",
	        c->id, an->path, c->id);
	snprintf(base, sizeof base, "conn-%u", c->id);
	plot_terminal(f, base, zoom ? 1800 : 1100, 1200);
	fprintf(f, "set grid\nset key top left opaque box font ',9'\n"
	           "set xlabel 'time since capture start (s)'\n"
	           "set format y '%%.0f'\n");
	for (size_t k = 0; k < cs->st.n; k++) {
		const struct stall *s = &cs->st.v[k];

		fprintf(f, "set object %zu rect from %.6f, graph 0 to %.6f, graph 1 behind "
		           "fillcolor rgb '%s' fillstyle solid 0.5 noborder\n",
		        k + 1, analysis_rel_s(an, s->start_ns), analysis_rel_s(an, s->end_ns),
		        cause_color(s->cause));
		fprintf(f, "set label %zu '%s' at %.6f, graph 0.5 front font ',9' rotate by 90\n", k + 1,
		        stall_cause_name(s->cause), analysis_rel_s(an, s->start_ns));
	}
}

/* conn-N.gp: three rows (A->B, B->A, the windows); with a zoom, the zoom on the left and
 * the whole connection on the right. */
static int write_script(const struct analysis *an, const struct tcpana_conn *c, const char *dir,
                        char *err, size_t errlen)
{
	double z0 = 0, z1 = 0;
	int zoom = zoom_window(an, c, &z0, &z1);
	char path[1200], ep[2][80], what[160] = "";
	FILE *f;

	snprintf(path, sizeof path, "%s/conn-%u.gp", dir, c->id);
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	tcpana_endpoint(c, 0, ep[0], sizeof ep[0]);
	tcpana_endpoint(c, 1, ep[1], sizeof ep[1]);
	script_head(f, an, c, zoom);
	if (zoom)
		snprintf(what, sizeof what, "; left: %.3f-%.3f s around the first stall onset, right: whole connection",
		         z0, z1);
	fprintf(f, "set multiplot layout 3,%d title 'connection %u: A %s, B %s; stalls shaded%s'\n", zoom ? 2 : 1,
	        c->id, ep[0], ep[1], what);
	for (int row = 0; row < 3; row++) {
		if (zoom) {
			fprintf(f, "set xrange [%.6f:%.6f]\n", z0, z1);
			panel(f, c->id, row);
			fprintf(f, "set xrange [*:*]\n");
		}
		panel(f, c->id, row);
	}
	fprintf(f, "unset multiplot\n");
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The connections to draw into order (seen both ways: every panel needs one side's segments
 * and the other's ACKs or windows, gnuplot refuses a panel with no point), most interesting
 * first. Returns how many. */
static size_t pick_conns(const struct analysis *an, const struct tcpana_conn **order)
{
	size_t n = 0;

	for (size_t i = 0; i < tcpana_nconns(an->ta); i++) {
		const struct tcpana_conn *c = tcpana_conn(an->ta, i);

		if (c->d[0].packets && c->d[1].packets)
			order[n++] = c;
	}
	qsort(order, n, sizeof *order, by_interest);
	return n;
}

/* conn-N-a.dat and conn-N-b.dat of the k chosen connections, opened with their header. */
static int open_data(struct pconn *pc, size_t k, const char *dir, char *err, size_t errlen)
{
	char path[1200];

	for (size_t i = 0; i < k; i++)
		for (int d = 0; d < 2; d++) {
			snprintf(path, sizeof path, "%s/conn-%u-%c.dat", dir, pc[i].c->id, d ? 'b' : 'a');
			pc[i].f[d] = fopen(path, "w");
			if (!pc[i].f[d]) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				return -1;
			}
			fprintf(pc[i].f[d], "# t_s seq_rel len ack_rel win probe zero_window retransmission\n");
		}
	return 0;
}

/* The segments of the chosen connections, kept by the analysis (cfg.series), a line each
 * in their direction's file; the data files closed at the end. */
static int write_data(const struct analysis *an, struct pconn *pc, size_t k, const char *dir, char *err,
                      size_t errlen)
{
	int r = 0;

	for (size_t i = 0; i < k; i++) {
		const struct conn_state *cs = pc[i].c->user;

		for (size_t j = 0; j < cs->npts; j++) {
			const struct apoint *q = &cs->pts[j];

			fprintf(pc[i].f[q->dir], "%.6f %u %u %u %u %d %d %d\n", analysis_rel_s(an, q->t_ns), q->seq_rel,
			        q->seglen, q->ack_rel, q->win, q->probe, q->zero_window, q->retransmission);
		}
	}
	for (size_t i = 0; i < k; i++)
		for (int d = 0; d < 2; d++) {
			int bad = fclose(pc[i].f[d]) != 0;

			pc[i].f[d] = NULL;
			if (bad && r == 0) {
				snprintf(err, errlen, "%s: write error", dir);
				r = -1;
			}
		}
	return r;
}

int plot_connections(const struct analysis *an, const char *dir, char *err, size_t errlen)
{
	size_t n = tcpana_nconns(an->ta), k;
	const struct tcpana_conn **order = calloc(n ? n : 1, sizeof *order);
	struct pconn *pc = calloc(PLOT_MAX_CONNS, sizeof *pc);
	char path[1200], script[64];
	int rc = -1;

	if (!order || !pc) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!an->cfg.series) {
		snprintf(err, errlen, "the analysis kept no segments to plot (analysis_cfg.series)");
		goto out;
	}
	n = pick_conns(an, order);
	if (n == 0) {
		rc = 0; /* nothing to plot: no directory either */
		goto out;
	}
	if (fs_mkdir_p(dir, path, sizeof path) < 0) {
		snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
		goto out;
	}
	k = n < PLOT_MAX_CONNS ? n : PLOT_MAX_CONNS;
	for (size_t i = 0; i < k; i++)
		pc[i].c = order[i];
	if (open_data(pc, k, dir, err, errlen) < 0 || write_data(an, pc, k, dir, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < k; i++) {
		if (write_script(an, pc[i].c, dir, err, errlen) < 0)
			goto out;
		snprintf(script, sizeof script, "conn-%u.gp", pc[i].c->id);
		if (plot_render(dir, script, err, errlen) < 0)
			goto out;
	}
	rc = (int)k;
out:
	for (size_t i = 0; pc && i < PLOT_MAX_CONNS; i++)
		for (int d = 0; d < 2; d++)
			if (pc[i].f[d])
				fclose(pc[i].f[d]);
	free(order);
	free(pc);
	return rc;
}
