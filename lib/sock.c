/* sock: addresses, connect with timeout, listening sockets and one I/O result type. */
#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int sock_resolve(const char *host, uint16_t port, int passive, struct sock_addr *out,
                 char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	snprintf(portstr, sizeof portstr, "%u", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "resolve %s: %s", host ? host : "(any)",
		         rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

const char *sock_addr_host(const struct sock_addr *a, char *buf, size_t len)
{
	const void *src;

	if (a->ss.ss_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	else
		src = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	if (!inet_ntop(a->ss.ss_family, src, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

uint16_t sock_addr_port(const struct sock_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

const char *sock_addr_str(const struct sock_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	sock_addr_host(a, host, sizeof host);
	if (a->ss.ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, sock_addr_port(a));
	else
		snprintf(buf, len, "%s:%u", host, sock_addr_port(a));
	return buf;
}

int sock_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sock_connect(const struct sock_addr *a, int timeout_ms,
                 int (*pre_connect)(int fd, void *arg, char *err, size_t errlen), void *arg,
                 char *err, size_t errlen)
{
	char as[INET6_ADDRSTRLEN + 8];
	int fd, saved, soerr = 0;
	socklen_t sl = sizeof soerr;
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;

	sock_addr_str(a, as, sizeof as);
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		saved = errno;
		snprintf(err, errlen, "socket: %s", strerror(saved));
		errno = saved;
		return -1;
	}
	if (pre_connect && pre_connect(fd, arg, err, errlen) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int wait = -1, rc;

			if (deadline) {
				int64_t left = deadline - now_ms();
				if (left <= 0) {
					errno = ETIMEDOUT;
					goto fail;
				}
				wait = (int)left;
			}
			rc = poll(&p, 1, wait);
			if (rc < 0 && errno == EINTR)
				continue;
			if (rc < 0)
				goto fail;
			if (rc == 0) {
				errno = ETIMEDOUT;
				goto fail;
			}
			break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			goto fail;
		if (soerr) {
			errno = soerr;
			goto fail;
		}
	}
	if (sock_set_nonblock(fd, 0) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	snprintf(err, errlen, "connect %s: %s", as, strerror(saved));
	close(fd);
	errno = saved;
	return -1;
}

int sock_listen(const struct sock_addr *a, int backlog, int nonblock,
                int (*pre_listen)(int fd, void *arg, char *err, size_t errlen), void *arg,
                struct sock_addr *bound, char *err, size_t errlen)
{
	char as[INET6_ADDRSTRLEN + 8];
	const char *step;
	int fd, one = 1, saved;

	sock_addr_str(a, as, sizeof as);
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0) {
		step = "socket";
		goto fail_nofd;
	}
	step = "setsockopt SO_REUSEADDR";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		goto fail;
	if (pre_listen && pre_listen(fd, arg, err, errlen) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	step = "bind";
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
		goto fail;
	step = "listen";
	if (listen(fd, backlog) < 0)
		goto fail;
	if (bound) {
		bound->len = sizeof bound->ss;
		step = "getsockname";
		if (getsockname(fd, (struct sockaddr *)&bound->ss, &bound->len) < 0)
			goto fail;
	}
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
fail_nofd:
	saved = errno;
	snprintf(err, errlen, "%s %s: %s", step, as, strerror(saved));
	errno = saved;
	return -1;
}

enum sock_io sock_read(int fd, void *buf, size_t len, size_t *done)
{
	ssize_t n = recv(fd, buf, len, 0);

	*done = 0;
	if (n > 0) {
		*done = (size_t)n;
		return SOCK_IO_OK;
	}
	if (n == 0)
		return SOCK_IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return SOCK_IO_RETRY;
	return SOCK_IO_ERROR;
}

enum sock_io sock_write(int fd, const void *buf, size_t len, size_t *done)
{
	/* MSG_NOSIGNAL: a peer's reset must come back as EPIPE, not kill us. */
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

	*done = 0;
	if (n >= 0) {
		*done = (size_t)n;
		return n > 0 || len == 0 ? SOCK_IO_OK : SOCK_IO_RETRY;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return SOCK_IO_RETRY;
	return SOCK_IO_ERROR;
}

void sock_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	/* Best effort: if SO_LINGER fails, close() still ends the connection. */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}
