/* client_block: the client's four modes over one blocking socket: blocking,
 * chunked, split (a sender thread and a receiver thread) and aware. */
#include "client_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RBUF_SIZE (64 * 1024)
#define SPLIT_PIECE (16u << 20)

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
				run_fail(r, client_errno_outcome(errno), errno, "send after %llu bytes: %s",
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
		run_fail(r, client_errno_outcome(errno), errno, "recv after %llu echoed bytes: %s",
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

/* Aware mode, after a short send (B-4 holds): when B-1..B-3 hold too, reads
 * what has arrived without blocking. 0 to go on sending, -1 to stop. */
static int aware_look(struct run *r)
{
	const unsigned b123 = DETECT_SIG_PEER_WND0 | DETECT_SIG_UNSENT | DETECT_SIG_RCV_FULL;
	struct tcpstat t;
	int got;

	if (tcpstat_sample(r->fd, &t) != 0 || (detect_signals(&t, r->res->eff.rcvbuf) & b123) != b123)
		return 0;
	r->res->aware_wakeups++;
	while ((got = recv_some(r, RBUF_SIZE, MSG_DONTWAIT)) > 0)
		;
	return got < 0 ? -1 : 0;
}

/* Aware mode: sends one round (buf, the payload) until the socket accepted
 * all of it (condition A), looking after each short send. 0, or -1 to stop. */
static int aware_send(struct run *r, const unsigned char *buf)
{
	uint64_t base = r->tx, payload = r->cfg->payload;
	size_t off = 0, n;

	while (off < payload) {
		if (stopping(r))
			return -1;
		sampler_offer(&r->smp);
		if (sock_write(r->fd, buf + off, payload - off, &n) == SOCK_IO_ERROR) {
			if (!stopping(r))
				run_fail(r, client_errno_outcome(errno), errno, "send after %llu bytes: %s",
				         (unsigned long long)(base + off), strerror(errno));
			return -1;
		}
		off += n;
		r->tx = base + off;
		atomic_fetch_add(&r->smp.app_sent, n);
		if (stopping(r))
			return -1;
		if (off == payload)
			break; /* condition A: everything accepted */
		if (aware_look(r) < 0)
			return -1;
	}
	return 0;
}

/*
 * The draft's proposed TCP change, emulated above the socket: send with a
 * short SO_SNDTIMEO; when a send comes back short, look at the connection and
 * if B-1 (send buffer full), B-2 (peer window 0), B-3 (receive buffer full)
 * and B-4 (bytes still to send) all hold, read what has arrived before
 * sending more. Each round then reads its whole echo.
 */
static void mode_aware(struct run *r)
{
	const struct client_cfg *c = r->cfg;
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
		pattern_fill(&c->pattern, r->tx, buf, c->payload);
		if (aware_send(r, buf) < 0 || recv_until(r, r->tx) < 0)
			break;
	}
	free(buf);
}

static void run_mode(struct run *r)
{
	switch (r->cfg->mode) {
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
}

/* After the mode: the sampler's figures, the outcome, and the connection's
 * end (a half-close when completed, else RST). t0: when the mode started. */
static void run_finish(struct run *r, uint64_t t0)
{
	struct client_result *res = r->res;
	struct client_fail f = { 0 };

	/* The sampler must stop before the fd is closed: it could otherwise sample
	 * a reused descriptor. Elapsed time ends with its observation, so no
	 * stall it counts lies outside it. */
	sampler_stop(&r->smp);
	res->elapsed_s = (r->smp.end_us - t0) / 1e6;
	client_collect_sampler(res, &r->smp);
	if (atomic_load(&r->failed)) /* the I/O threads are joined: the record is settled */
		f = (struct client_fail){ 1, r->fail_outcome, r->fail_errno };
	client_decide(res, sampler_verdict(&r->smp), r->smp.cfg.alarm_us, &f);
	res->conns_completed = res->outcome == CLIENT_COMPLETED;
	if (res->outcome == CLIENT_COMPLETED) {
		shutdown(r->fd, SHUT_WR); /* like the draft: half-close, then close */
		close(r->fd);
	} else {
		sock_abort(r->fd); /* like the draft's close_comms(): RST */
	}
}

int client_run_blocking(const struct client_cfg *c, const struct sock_addr *a,
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
	if (client_connect_all(c, a, &r->fd, 1, err, errlen) < 0)
		goto out_mutex;
	if (sockopt_read(r->fd, &res->eff, err, errlen) < 0) {
		close(r->fd);
		goto out_mutex;
	}
	res->have_eff = 1;
	sampler_add_worker(&r->smp, pthread_self());
	rc = sampler_start(&r->smp, r->fd, client_sampler_cfg(c, res, tl, &r->fd, 1, &sc));
	if (rc != 0) {
		snprintf(err, errlen, "sampler thread: %s", strerror(rc));
		close(r->fd);
		rc = -1;
		goto out_mutex;
	}
	t0 = tcpstat_now_us();
	run_mode(r);
	run_finish(r, t0);
	rc = 0;
out_mutex:
	pthread_mutex_destroy(&r->fail_lock);
out:
	if (r)
		free(r->rbuf);
	free(r);
	return rc;
}
