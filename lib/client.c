/* client: the tcpecho engine: connect, send the payload in one of five I/O modes,
 * verify every echoed byte, watch for probe deadlocks. */
#include "client.h"
#include "optutil.h"
#include "sampler.h"
#include "sock.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RBUF_SIZE (64 * 1024)
/* nonblocking mode: one receive buffer for all connections; large reads cost
 * fewer system calls per byte (bench/README.md) */
#define NB_RBUF_SIZE (256 * 1024)
#define TXBUF_SIZE (64 * 1024)
#define SPLIT_PIECE (16u << 20)

const char *const client_mode_names[] = {
	[CLIENT_BLOCKING] = "blocking", [CLIENT_NONBLOCKING] = "nonblocking",
	[CLIENT_CHUNKED] = "chunked",   [CLIENT_SPLIT] = "split",
	[CLIENT_AWARE] = "aware",       NULL,
};

const char *const client_outcome_names[] = {
	[CLIENT_COMPLETED] = "completed", [CLIENT_DEADLOCK] = "deadlock", [CLIENT_ALARM] = "alarm",
	[CLIENT_RESET] = "reset",         [CLIENT_ERROR] = "error",       [CLIENT_CORRUPT] = "corrupt",
	[CLIENT_INTERRUPTED] = "interrupted", NULL,
};

const char *const client_end_names[] = {
	[CLIENT_END_COMPLETION] = "completion", [CLIENT_END_DETECTOR] = "detector",
	[CLIENT_END_ALARM] = "alarm",           [CLIENT_END_INTERRUPT] = "interrupt",
	[CLIENT_END_PEER] = "peer",             [CLIENT_END_STACK] = "stack",
	[CLIENT_END_VERIFICATION] = "verification", [CLIENT_END_ERROR] = "error", NULL,
};

/* tcpecho's exit code of each outcome (README "Exit codes of tcpecho"). */
static const int outcome_exit[] = {
	[CLIENT_COMPLETED] = 0, [CLIENT_DEADLOCK] = 3, [CLIENT_ALARM] = 4, [CLIENT_RESET] = 5,
	[CLIENT_ERROR] = 1,     [CLIENT_CORRUPT] = 6,  [CLIENT_INTERRUPTED] = 130,
};

_Static_assert(sizeof client_outcome_names / sizeof client_outcome_names[0] == CLIENT_NOUTCOMES + 1,
               "client_outcome_names[] follows enum client_outcome");
_Static_assert(sizeof client_end_names / sizeof client_end_names[0] == CLIENT_NENDS + 1,
               "client_end_names[] follows enum client_end");

#define NMODES (sizeof client_mode_names / sizeof client_mode_names[0] - 1)

const char *client_mode_name(enum client_mode m)
{
	return optutil_name(client_mode_names, NMODES, (unsigned)m);
}

int client_mode_parse(const char *s, enum client_mode *out)
{
	int i = optutil_lookup(client_mode_names, NMODES, s);

	if (i < 0)
		return -1;
	*out = (enum client_mode)i;
	return 0;
}

const char *client_outcome_name(enum client_outcome o)
{
	return optutil_name(client_outcome_names, CLIENT_NOUTCOMES, (unsigned)o);
}

const char *client_end_name(enum client_end e)
{
	return optutil_name(client_end_names, CLIENT_NENDS, (unsigned)e);
}

int client_outcome_exit(enum client_outcome o)
{
	return (unsigned)o < CLIENT_NOUTCOMES ? outcome_exit[o] : 1;
}

void client_interrupt(void)
{
	sampler_interrupt();
}

void client_cfg_init(struct client_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->port = 7;
	c->mode = CLIENT_BLOCKING;
	c->times = 1;
	c->chunk = 8192;
	c->parallel = 1;
	c->alarm_us = 20 * 1000000ull; /* the draft's default */
	c->connect_timeout_us = 5 * 1000000ull;
	c->stall_threshold_us = 500 * 1000ull;
	c->sample_interval_us = 50 * 1000ull;
	c->abort_on_deadlock = 1;
	sockopt_req_init(&c->sock);
	pattern_init_mix(&c->pattern, 1);
}

/* State of one run over one blocking connection (every mode but nonblocking). */
struct run {
	const struct client_cfg *cfg;
	struct client_result *res;
	struct sampler smp;
	int fd;
	uint64_t total;          /* bytes to send (and get back) */
	uint64_t tx, rx;         /* stream offsets sent and received */
	unsigned char *rbuf;

	/* First failure wins; later ones are consequences. Split mode's two
	 * threads both fail and ask stopping(): fail_lock guards the record
	 * (fail_outcome, fail_errno, res->detail, failed's store); failed is
	 * atomic so that stopping() reads it without the lock. The rest of the
	 * record is read only after the I/O threads are joined. */
	pthread_mutex_t fail_lock;
	atomic_int failed;
	enum client_outcome fail_outcome;
	int fail_errno;
	int eof;                 /* receiving thread only */
};

static void run_fail(struct run *r, enum client_outcome o, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records the first failure: its outcome, its errno (0: none) and a message. */
static void run_fail(struct run *r, enum client_outcome o, int e, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->fail_lock);
	if (!atomic_load(&r->failed)) {
		r->fail_outcome = o;
		r->fail_errno = e;
		va_start(ap, fmt);
		vsnprintf(r->res->detail, sizeof r->res->detail, fmt, ap);
		va_end(ap);
		atomic_store(&r->failed, 1);
	}
	pthread_mutex_unlock(&r->fail_lock);
}

static enum client_outcome errno_outcome(int e)
{
	switch (e) {
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
	case ETIMEDOUT: /* TCP_USER_TIMEOUT or keepalive: the stack gave up */
		return CLIENT_RESET;
	default:
		return CLIENT_ERROR;
	}
}

/*
 * Whether the run must stop. Every I/O thread asks before each send() and
 * recv() and issues none once it says yes: from a verdict (deadlock, alarm,
 * interrupt) on, the client reads and sends nothing. The sampler aborts the
 * connection itself at the verdict (sampler.c), so a call already under way
 * returns an error, never bytes; a partial send that returns its count is
 * not followed by another.
 */
static int stopping(struct run *r)
{
	int e = errno; /* callers report the errno of the call before */

	if (sampler_interrupted() && sampler_verdict(&r->smp) == SAMPLER_RUNNING)
		sampler_abort(&r->smp, SAMPLER_INTERRUPTED); /* this thread saw it first */
	errno = e;
	return atomic_load(&r->failed) || sampler_verdict(&r->smp) != SAMPLER_RUNNING;
}

/* Sends len bytes of buf (blocking socket); returns 0 when all went out, -1
 * when the run must stop (failure or verdict). */
static int send_all(struct run *r, const unsigned char *buf, size_t len)
{
	size_t off = 0, n;

	while (off < len) {
		if (stopping(r))
			return -1;
		sampler_offer(&r->smp);
		switch (sock_write(r->fd, buf + off, len - off, &n)) {
		case SOCK_IO_OK:
			off += n;
			atomic_fetch_add(&r->smp.app_sent, n);
			break;
		case SOCK_IO_RETRY:
			break;
		case SOCK_IO_EOF:
		case SOCK_IO_ERROR:
			if (!stopping(r))
				run_fail(r, errno_outcome(errno), errno, "send after %llu bytes: %s",
				         (unsigned long long)(r->tx + off), strerror(errno));
			return -1;
		}
	}
	r->tx += len;
	return 0;
}

/* One read of at most want bytes, verified. Returns 1 on bytes, 0 on retry,
 * -1 when the run must stop. flags: MSG_DONTWAIT or 0. */
static int recv_some(struct run *r, size_t want, int flags)
{
	ssize_t n;
	size_t at;

	if (want > RBUF_SIZE)
		want = RBUF_SIZE;
	if (stopping(r))
		return -1;
	n = recv(r->fd, r->rbuf, want, flags);
	if (n > 0) {
		at = pattern_check(&r->cfg->pattern, r->rx, r->rbuf, (size_t)n);
		if (at != (size_t)n) {
			r->res->mismatch_offset = (int64_t)(r->rx + at);
			run_fail(r, CLIENT_CORRUPT, 0, "echoed byte %llu differs from what was sent",
			         (unsigned long long)(r->rx + at));
			r->rx += at;
			return -1;
		}
		r->rx += (uint64_t)n;
		atomic_fetch_add(&r->smp.app_recv, (uint64_t)n);
		return 1;
	}
	if (n == 0) {
		r->eof = 1;
		if (!stopping(r))
			run_fail(r, CLIENT_RESET, 0, "peer closed the connection after %llu of %llu echoed bytes",
			         (unsigned long long)r->rx, (unsigned long long)r->total);
		return -1;
	}
	if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
		return stopping(r) ? -1 : 0;
	if (!stopping(r))
		run_fail(r, errno_outcome(errno), errno, "recv after %llu echoed bytes: %s",
		         (unsigned long long)r->rx, strerror(errno));
	return -1;
}

/* Reads (blocking) until rx reaches upto. */
static int recv_until(struct run *r, uint64_t upto)
{
	while (r->rx < upto) {
		uint64_t left = upto - r->rx;

		if (recv_some(r, left > RBUF_SIZE ? RBUF_SIZE : (size_t)left, 0) < 0)
			return -1;
	}
	return 0;
}

static unsigned char *round_buffer(struct run *r, size_t len)
{
	unsigned char *buf = malloc(len ? len : 1);

	if (!buf)
		run_fail(r, CLIENT_ERROR, ENOMEM, "cannot allocate a %zu-byte send buffer", len);
	return buf;
}

/* The draft's algorithm: each round, one blocking send of the whole payload,
 * then recv until all of it is echoed. */
static void mode_blocking(struct run *r)
{
	const struct client_cfg *c = r->cfg;
	unsigned char *buf = round_buffer(r, c->payload);

	if (!buf)
		return;
	for (uint64_t i = 0; i < c->times; i++) {
		pattern_fill(&c->pattern, r->tx, buf, c->payload);
		if (send_all(r, buf, c->payload) < 0 || recv_until(r, r->tx) < 0)
			break;
	}
	free(buf);
}

/* The draft's pseudo-code: send a chunk, read its echo, next chunk. */
static void mode_chunked(struct run *r)
{
	const struct client_cfg *c = r->cfg;
	unsigned char *buf = round_buffer(r, c->chunk);

	if (!buf)
		return;
	while (r->tx < r->total) {
		size_t len = (size_t)(r->total - r->tx < c->chunk ? r->total - r->tx : c->chunk);

		pattern_fill(&c->pattern, r->tx, buf, len);
		if (send_all(r, buf, len) < 0 || recv_until(r, r->tx) < 0)
			break;
	}
	free(buf);
}

static void *split_sender(void *arg)
{
	struct run *r = arg;
	const struct client_cfg *c = r->cfg;
	size_t piece = c->payload < SPLIT_PIECE ? (size_t)c->payload : SPLIT_PIECE;
	unsigned char *buf = round_buffer(r, piece);

	if (!buf) {
		shutdown(r->fd, SHUT_RDWR); /* wake the receiver */
		return NULL;
	}
	while (r->tx < r->total) {
		size_t len = (size_t)(r->total - r->tx < piece ? r->total - r->tx : piece);

		pattern_fill(&c->pattern, r->tx, buf, len);
		if (send_all(r, buf, len) < 0)
			break;
	}
	free(buf);
	return NULL;
}

/* One thread sends, this one receives, both on the same blocking socket. */
static void mode_split(struct run *r)
{
	pthread_t sender;
	int rc = pthread_create(&sender, NULL, split_sender, r);

	if (rc != 0) {
		run_fail(r, CLIENT_ERROR, rc, "pthread_create: %s", strerror(rc));
		return;
	}
	sampler_add_worker(&r->smp, sender);
	/* --read-delay: a receiver that does not read yet: its window closes and
	 * the peer probes it; then it reads, and the window opens again. */
	for (uint64_t t0 = tcpstat_now_us(); r->cfg->read_delay_us && !stopping(r) &&
	                                     tcpstat_now_us() - t0 < r->cfg->read_delay_us;)
		usleep(20000);
	/* The sender may be blocked: wake it. After a verdict the sampler has
	 * aborted the connection and wakes it itself: no FIN then. */
	if (recv_until(r, r->total) < 0 && !r->eof && sampler_verdict(&r->smp) == SAMPLER_RUNNING)
		shutdown(r->fd, SHUT_RDWR);
	pthread_join(sender, NULL);
}

/*
 * The draft's proposed TCP change, emulated above the socket: send with a
 * short SO_SNDTIMEO; when a send comes back short, look at the connection and
 * if B-1 (send buffer full), B-2 (peer window 0), B-3 (receive buffer full)
 * and B-4 (bytes still to send) all hold, read what has arrived before
 * sending more.
 */
static void mode_aware(struct run *r)
{
	const struct client_cfg *c = r->cfg;
	const unsigned b123 = DETECT_SIG_PEER_WND0 | DETECT_SIG_UNSENT | DETECT_SIG_RCV_FULL;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 10000 };
	unsigned char *buf = round_buffer(r, c->payload);

	if (!buf)
		return;
	if (setsockopt(r->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
		run_fail(r, CLIENT_ERROR, errno, "setsockopt SO_SNDTIMEO: %s", strerror(errno));
		free(buf);
		return;
	}
	for (uint64_t i = 0; i < c->times && !stopping(r); i++) {
		uint64_t base = r->tx;
		size_t off = 0;

		pattern_fill(&c->pattern, base, buf, c->payload);
		while (off < c->payload) {
			size_t n;
			enum sock_io st;
			struct tcpstat t;

			if (stopping(r))
				goto out;
			sampler_offer(&r->smp);
			st = sock_write(r->fd, buf + off, c->payload - off, &n);
			if (st == SOCK_IO_ERROR) {
				if (!stopping(r))
					run_fail(r, errno_outcome(errno), errno, "send after %llu bytes: %s",
					         (unsigned long long)(base + off), strerror(errno));
				goto out;
			}
			off += n;
			r->tx = base + off;
			atomic_fetch_add(&r->smp.app_sent, n);
			if (stopping(r))
				goto out;
			if (off == c->payload)
				break; /* condition A: everything accepted */
			/* A short send: B-4 holds; look at B-1..B-3. */
			if (tcpstat_sample(r->fd, &t) == 0 &&
			    (detect_signals(&t, r->res->eff.rcvbuf) & b123) == b123) {
				int got;

				r->res->aware_wakeups++;
				while ((got = recv_some(r, RBUF_SIZE, MSG_DONTWAIT)) > 0)
					;
				if (got < 0)
					goto out;
			}
		}
		if (recv_until(r, r->tx) < 0)
			break;
	}
out:
	free(buf);
}

/* ---- nonblocking: libevent, any number of connections ---- */

struct nbconn {
	struct nbrun *nb;
	int fd;
	struct event *rev, *wev;
	uint64_t tx, rx;
	unsigned char *txbuf;
	size_t tx_off, tx_len;
	int done;
};

struct nbrun {
	const struct client_cfg *cfg;
	struct client_result *res;
	struct sampler *smp;
	struct event_base *base;
	struct nbconn *conns;
	unsigned n, done;
	uint64_t per_conn;
	unsigned char rbuf[NB_RBUF_SIZE];
	int failed;
	enum client_outcome fail_outcome;
	int fail_errno;
};

static void nb_fail(struct nbrun *nb, struct nbconn *cn, enum client_outcome o, const char *what,
                    int e)
{
	if (!nb->failed) {
		nb->failed = 1;
		nb->fail_outcome = o;
		nb->fail_errno = e;
		snprintf(nb->res->detail, sizeof nb->res->detail, "connection %u: %s%s%s",
		         (unsigned)(cn - nb->conns), what, e ? ": " : "", e ? strerror(e) : "");
	}
	event_base_loopbreak(nb->base);
}

/* As stopping(): no send() or recv() after a verdict; the loop ends. */
static int nb_stopping(struct nbrun *nb)
{
	if (sampler_interrupted() && sampler_verdict(nb->smp) == SAMPLER_RUNNING)
		sampler_abort(nb->smp, SAMPLER_INTERRUPTED);
	if (sampler_verdict(nb->smp) == SAMPLER_RUNNING)
		return 0;
	event_base_loopbreak(nb->base);
	return 1;
}

static void nb_write(evutil_socket_t fd, short what, void *arg)
{
	struct nbconn *cn = arg;
	struct nbrun *nb = cn->nb;
	size_t n;

	(void)what;
	for (;;) {
		if (nb_stopping(nb))
			return;
		if (cn->tx_off == cn->tx_len) {
			uint64_t left = nb->per_conn - cn->tx;

			if (left == 0) {
				event_del(cn->wev);
				free(cn->txbuf);
				cn->txbuf = NULL;
				return;
			}
			cn->tx_len = left < TXBUF_SIZE ? (size_t)left : TXBUF_SIZE;
			cn->tx_off = 0;
			pattern_fill(&nb->cfg->pattern, cn->tx, cn->txbuf, cn->tx_len);
		}
		sampler_offer(nb->smp);
		switch (sock_write(fd, cn->txbuf + cn->tx_off, cn->tx_len - cn->tx_off, &n)) {
		case SOCK_IO_OK:
			cn->tx_off += n;
			cn->tx += n;
			atomic_fetch_add(&nb->smp->app_sent, n);
			continue;
		case SOCK_IO_RETRY:
			return;
		default:
			nb_fail(nb, cn, errno_outcome(errno), "send", errno);
			return;
		}
	}
}

static void nb_read(evutil_socket_t fd, short what, void *arg)
{
	struct nbconn *cn = arg;
	struct nbrun *nb = cn->nb;
	size_t n, at;

	(void)what;
	if (nb_stopping(nb))
		return;
	switch (sock_read(fd, nb->rbuf, sizeof nb->rbuf, &n)) {
	case SOCK_IO_OK:
		if (cn->rx + n > nb->per_conn) {
			nb_fail(nb, cn, CLIENT_CORRUPT, "more bytes echoed than sent", 0);
			return;
		}
		at = pattern_check(&nb->cfg->pattern, cn->rx, nb->rbuf, n);
		if (at != n) {
			if (nb->res->mismatch_offset < 0)
				nb->res->mismatch_offset = (int64_t)(cn->rx + at);
			nb_fail(nb, cn, CLIENT_CORRUPT, "echoed byte differs from what was sent", 0);
			return;
		}
		cn->rx += n;
		atomic_fetch_add(&nb->smp->app_recv, n);
		if (cn->rx == nb->per_conn) {
			cn->done = 1;
			event_del(cn->rev);
			shutdown(fd, SHUT_WR);
			if (++nb->done == nb->n)
				event_base_loopbreak(nb->base);
		}
		return;
	case SOCK_IO_RETRY:
		return;
	case SOCK_IO_EOF:
		nb_fail(nb, cn, CLIENT_RESET, "peer closed the connection before all was echoed", 0);
		return;
	case SOCK_IO_ERROR:
		nb_fail(nb, cn, errno_outcome(errno), "recv", errno);
		return;
	}
}

static void nb_tick(evutil_socket_t fd, short what, void *arg)
{
	struct nbrun *nb = arg;

	(void)fd;
	(void)what;
	nb_stopping(nb);
}

static int apply_opts(int fd, void *arg, char *err, size_t errlen)
{
	return sockopt_apply(fd, arg, err, errlen);
}

/* Connects every connection; 0 or -1 with err. */
static int connect_all(const struct client_cfg *c, const struct sock_addr *a, int *fds,
                       unsigned n, char *err, size_t errlen)
{
	int timeout_ms = (int)(c->connect_timeout_us / 1000);

	for (unsigned i = 0; i < n; i++) {
		fds[i] = sock_connect(a, timeout_ms, apply_opts, (void *)&c->sock, err, errlen);
		if (fds[i] < 0) {
			for (unsigned j = 0; j < i; j++)
				close(fds[j]);
			return -1;
		}
	}
	return 0;
}

static const struct sampler_cfg *make_sampler_cfg(const struct client_cfg *c,
                                                  const struct client_result *res, FILE *tl,
                                                  const int *fds, unsigned nfds,
                                                  struct sampler_cfg *sc)
{
	memset(sc, 0, sizeof *sc);
	sc->interval_us = c->sample_interval_us;
	sc->stall_threshold_us = c->stall_threshold_us;
	sc->rcvbuf_eff = (uint64_t)res->eff.rcvbuf;
	sc->alarm_us = c->alarm_us;
	sc->abort_on_deadlock = c->abort_on_deadlock;
	sc->hold_probes = c->hold_probes;
	sc->hold_us = c->hold_us;
	sc->fds = fds;
	sc->nfds = nfds;
	sc->nonblocking_sends = c->mode == CLIENT_NONBLOCKING;
	sc->timeline = tl;
	return sc;
}

static void collect_sampler(struct client_result *res, struct sampler *smp)
{
	res->det = smp->det;
	res->t0_unix_us = sampler_unix_us(smp, smp->start_us);
	res->verdict = sampler_verdict(smp);
	res->ab = smp->ab;
	res->holds_resolved = smp->holds_resolved;
	res->last = smp->last;
	res->have_last = smp->have_last;
	res->samples = smp->samples;
	res->bytes_sent = atomic_load(&smp->app_sent);
	res->bytes_received = atomic_load(&smp->app_recv);
}

/* Who ended a run that failed with errno e (0: a protocol-level failure). */
static enum client_end failure_source(enum client_outcome o, int e)
{
	if (o == CLIENT_CORRUPT)
		return CLIENT_END_VERIFICATION;
	if (e == ETIMEDOUT)
		return CLIENT_END_STACK; /* TCP_USER_TIMEOUT or the keepalive limit */
	return o == CLIENT_RESET ? CLIENT_END_PEER : CLIENT_END_ERROR;
}

/*
 * Final outcome. It rests on what was verified: every byte echoed and checked
 * is completed, whatever a verdict said (a verdict the bytes contradict was no
 * deadlock: it is marked resolved). Otherwise a corrupt echo, then an
 * interruption, then the deadlock verdict outranks what ended the run (the
 * detector's abort, the alarm, the local stack's timeout or the peer).
 */
static void decide(struct client_result *res, struct sampler *smp, int failed,
                   enum client_outcome fail_outcome, int fail_errno)
{
	enum sampler_verdict v = sampler_verdict(smp);
	char why[sizeof res->detail], dl[160] = "";

	if (!(failed && fail_outcome == CLIENT_CORRUPT) && res->bytes_received == res->expected) {
		res->outcome = CLIENT_COMPLETED;
		res->ended_by = CLIENT_END_COMPLETION;
		res->verified = 1;
		res->detail[0] = 0;
		if (res->det.deadlock)
			res->det.resolved = 1;
		return;
	}
	if (res->det.deadlock && !res->det.resolved)
		snprintf(dl, sizeof dl, "probe deadlock: no progress since %.3f s, detected at %.3f s",
		         (res->det.onset_us - res->det.start_us) / 1e6,
		         (res->det.detected_us - res->det.start_us) / 1e6);
	if (failed && fail_outcome == CLIENT_CORRUPT) {
		res->outcome = CLIENT_CORRUPT;
		res->ended_by = CLIENT_END_VERIFICATION;
	} else if (v == SAMPLER_INTERRUPTED) {
		res->outcome = CLIENT_INTERRUPTED;
		res->ended_by = CLIENT_END_INTERRUPT;
		snprintf(res->detail, sizeof res->detail, "interrupted after %.3f s with %llu of %llu bytes echoed%s%s",
		         res->elapsed_s, (unsigned long long)res->bytes_received, (unsigned long long)res->expected,
		         dl[0] ? "; " : "", dl);
	} else if (dl[0]) {
		res->outcome = CLIENT_DEADLOCK;
		if (v == SAMPLER_ALARM)
			res->ended_by = CLIENT_END_ALARM;
		else if (v == SAMPLER_DEADLOCK)
			res->ended_by = CLIENT_END_DETECTOR;
		else
			res->ended_by = failure_source(fail_outcome, fail_errno);
		/* Keep what ended it ("send ...: Connection timed out") after the verdict. */
		snprintf(why, sizeof why, "%s", failed && v == SAMPLER_RUNNING ? res->detail : "");
		snprintf(res->detail, sizeof res->detail, "%s%s%.120s", dl, why[0] ? "; then " : "", why);
	} else if (v == SAMPLER_ALARM) {
		res->outcome = CLIENT_ALARM;
		res->ended_by = CLIENT_END_ALARM;
		snprintf(res->detail, sizeof res->detail, "alarm expired after %.3f s with %llu of %llu bytes echoed",
		         smp->cfg.alarm_us / 1e6, (unsigned long long)res->bytes_received,
		         (unsigned long long)res->expected);
	} else if (failed) {
		res->outcome = fail_outcome;
		res->ended_by = failure_source(fail_outcome, fail_errno);
	} else {
		res->outcome = CLIENT_ERROR;
		res->ended_by = CLIENT_END_ERROR;
		snprintf(res->detail, sizeof res->detail, "run ended with %llu of %llu bytes echoed",
		         (unsigned long long)res->bytes_received, (unsigned long long)res->expected);
	}
}

static int run_nonblocking(const struct client_cfg *c, const struct sock_addr *a,
                           struct client_result *res, FILE *tl, char *err, size_t errlen)
{
	struct nbrun *nb = calloc(1, sizeof *nb);
	int *fds = calloc(c->parallel, sizeof *fds);
	struct sampler *smp = calloc(1, sizeof *smp);
	struct sampler_cfg sc;
	struct event *tick = NULL;
	struct timeval tv;
	uint64_t t0;
	int rc = -1;

	if (!nb || !fds || !smp) {
		snprintf(err, errlen, "out of memory for %u connections", c->parallel);
		goto out_free;
	}
	nb->conns = calloc(c->parallel, sizeof *nb->conns);
	nb->base = event_base_new();
	if (!nb->conns || !nb->base) {
		snprintf(err, errlen, "out of memory for %u connections", c->parallel);
		goto out_free;
	}
	if (connect_all(c, a, fds, c->parallel, err, errlen) < 0)
		goto out_free;
	if (sockopt_read(fds[0], &res->eff, err, errlen) < 0)
		goto out_close;
	res->have_eff = 1;
	nb->cfg = c;
	nb->res = res;
	nb->smp = smp;
	nb->n = c->parallel;
	nb->per_conn = c->payload * c->times;
	for (unsigned i = 0; i < nb->n; i++) {
		struct nbconn *cn = &nb->conns[i];

		cn->nb = nb;
		cn->fd = fds[i];
		cn->txbuf = malloc(TXBUF_SIZE);
		if (sock_set_nonblock(cn->fd, 1) < 0 || !cn->txbuf) {
			snprintf(err, errlen, "connection %u: setup failed", i);
			goto out_close;
		}
		cn->rev = event_new(nb->base, cn->fd, EV_READ | EV_PERSIST, nb_read, cn);
		cn->wev = event_new(nb->base, cn->fd, EV_WRITE | EV_PERSIST, nb_write, cn);
		if (!cn->rev || !cn->wev || event_add(cn->rev, NULL) < 0 || event_add(cn->wev, NULL) < 0) {
			snprintf(err, errlen, "connection %u: event setup failed", i);
			goto out_close;
		}
	}
	tick = event_new(nb->base, -1, EV_PERSIST, nb_tick, nb);
	tv.tv_sec = (time_t)(c->sample_interval_us / 1000000);
	tv.tv_usec = (suseconds_t)(c->sample_interval_us % 1000000);
	if (!tick || event_add(tick, &tv) < 0) {
		snprintf(err, errlen, "timer setup failed");
		goto out_close;
	}
	rc = sampler_start(smp, fds[0], make_sampler_cfg(c, res, tl, fds, c->parallel, &sc));
	if (rc != 0) {
		snprintf(err, errlen, "sampler thread: %s", strerror(rc));
		rc = -1;
		goto out_close;
	}
	t0 = tcpstat_now_us();
	event_base_dispatch(nb->base);
	sampler_stop(smp);
	res->elapsed_s = (smp->end_us - t0) / 1e6;
	collect_sampler(res, smp);
	res->conns_completed = nb->done;
	decide(res, smp, nb->failed, nb->fail_outcome, nb->fail_errno);
	rc = 0;
out_close:
	for (unsigned i = 0; i < c->parallel; i++) {
		struct nbconn *cn = &nb->conns[i];

		if (cn->rev)
			event_free(cn->rev);
		if (cn->wev)
			event_free(cn->wev);
		free(cn->txbuf);
		if (fds[i] > 0) {
			if (rc == 0 && res->outcome != CLIENT_COMPLETED)
				sock_abort(fds[i]);
			else
				close(fds[i]);
		}
	}
out_free:
	if (tick)
		event_free(tick);
	if (nb && nb->base)
		event_base_free(nb->base);
	if (nb)
		free(nb->conns);
	free(nb);
	free(fds);
	free(smp);
	return rc;
}

static int run_blocking(const struct client_cfg *c, const struct sock_addr *a,
                        struct client_result *res, FILE *tl, char *err, size_t errlen)
{
	struct run *r = calloc(1, sizeof *r);
	struct sampler_cfg sc;
	uint64_t t0;
	int rc = -1;

	if (!r || !(r->rbuf = malloc(RBUF_SIZE))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r->cfg = c;
	r->res = res;
	r->total = c->payload * c->times;
	pthread_mutex_init(&r->fail_lock, NULL);
	atomic_init(&r->failed, 0);
	if (connect_all(c, a, &r->fd, 1, err, errlen) < 0)
		goto out_mutex;
	if (sockopt_read(r->fd, &res->eff, err, errlen) < 0) {
		close(r->fd);
		goto out_mutex;
	}
	res->have_eff = 1;
	sampler_add_worker(&r->smp, pthread_self());
	rc = sampler_start(&r->smp, r->fd, make_sampler_cfg(c, res, tl, &r->fd, 1, &sc));
	if (rc != 0) {
		snprintf(err, errlen, "sampler thread: %s", strerror(rc));
		close(r->fd);
		rc = -1;
		goto out_mutex;
	}
	t0 = tcpstat_now_us();
	switch (c->mode) {
	case CLIENT_BLOCKING:
		mode_blocking(r);
		break;
	case CLIENT_CHUNKED:
		mode_chunked(r);
		break;
	case CLIENT_SPLIT:
		mode_split(r);
		break;
	case CLIENT_AWARE:
		mode_aware(r);
		break;
	case CLIENT_NONBLOCKING:
		break;
	}
	/* The sampler must stop before the fd is closed: it could otherwise sample
	 * a reused descriptor. Elapsed time ends with its observation, so no
	 * stall it counts lies outside it. */
	sampler_stop(&r->smp);
	res->elapsed_s = (r->smp.end_us - t0) / 1e6;
	collect_sampler(res, &r->smp);
	decide(res, &r->smp, atomic_load(&r->failed), r->fail_outcome, r->fail_errno);
	res->conns_completed = res->outcome == CLIENT_COMPLETED;
	if (res->outcome == CLIENT_COMPLETED) {
		shutdown(r->fd, SHUT_WR); /* like the draft: half-close, then close */
		close(r->fd);
	} else {
		sock_abort(r->fd); /* like the draft's close_comms(): RST */
	}
	rc = 0;
out_mutex:
	pthread_mutex_destroy(&r->fail_lock);
out:
	if (r)
		free(r->rbuf);
	free(r);
	return rc;
}

int client_run(const struct client_cfg *c, struct client_result *res, char *err, size_t errlen)
{
	struct sock_addr a;
	FILE *tl = NULL;
	int rc;

	memset(res, 0, sizeof *res);
	res->mismatch_offset = -1;
	res->outcome = CLIENT_ERROR;
	res->ended_by = CLIENT_END_ERROR;
	res->expected = c->payload * c->times * c->parallel;
	if (sock_resolve(c->host, c->port, 0, &a, err, errlen) < 0)
		return -1;
	sock_addr_str(&a, res->peer, sizeof res->peer);
	if (sampler_install_signal() < 0) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -1;
	}
	if (c->timeline_path) {
		tl = fopen(c->timeline_path, "w");
		if (!tl) {
			snprintf(err, errlen, "timeline %s: %s", c->timeline_path, strerror(errno));
			return -1;
		}
	}
	if (c->mode == CLIENT_NONBLOCKING)
		rc = run_nonblocking(c, &a, res, tl, err, errlen);
	else
		rc = run_blocking(c, &a, res, tl, err, errlen);
	if (tl && fclose(tl) != 0 && rc == 0) {
		snprintf(err, errlen, "timeline %s: %s", c->timeline_path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && res->elapsed_s > 0)
		res->throughput_Bps = (double)res->bytes_received / res->elapsed_s;
	return rc;
}
