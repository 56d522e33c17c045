/* sock: addresses, connect with timeout, listening sockets and one I/O result type. */
#ifndef PROBELOCK_SOCK_H
#define PROBELOCK_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Outcome of one read or write on a socket, blocking or not. */
enum sock_io {
	SOCK_IO_OK,    /* *done bytes moved (> 0) */
	SOCK_IO_RETRY, /* EAGAIN/EWOULDBLOCK or EINTR: nothing moved, try again */
	SOCK_IO_EOF,   /* peer closed its sending side (reads only) */
	SOCK_IO_ERROR, /* errno holds the cause (ECONNRESET, EPIPE ...) */
};

struct sock_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Resolves host (numeric or name, IPv4 or IPv6) and port. Returns 0, or -1
 * with the resolver's message in err. */
int sock_resolve(const char *host, uint16_t port, int passive, struct sock_addr *out,
                 char *err, size_t errlen);

/* "127.0.0.1:7" or "[::1]:7" */
const char *sock_addr_str(const struct sock_addr *a, char *buf, size_t len);
/* Numeric host alone ("127.0.0.1", "::1"). */
const char *sock_addr_host(const struct sock_addr *a, char *buf, size_t len);
uint16_t sock_addr_port(const struct sock_addr *a);

/*
 * Opens a TCP socket and connects within timeout_ms (0 = no limit), the way
 * OpenBSD nc does it: non-blocking connect, poll for POLLOUT, read SO_ERROR.
 * pre_connect, when not NULL, is called on the fresh socket before connect
 * (socket buffers must be set then so that window scaling is negotiated for
 * them); it returns -1 with err filled to abort. The returned fd is blocking.
 * Returns the fd, or -1 with errno set and "connect HOST:PORT: cause" in err.
 */
int sock_connect(const struct sock_addr *a, int timeout_ms,
                 int (*pre_connect)(int fd, void *arg, char *err, size_t errlen), void *arg,
                 char *err, size_t errlen);

/* Opens a listening TCP socket bound to a (port 0 picks one), with
 * SO_REUSEADDR; pre_listen as above runs before listen(). Returns the fd
 * (non-blocking if nonblock) and the bound address in bound, or -1 with err. */
int sock_listen(const struct sock_addr *a, int backlog, int nonblock,
                int (*pre_listen)(int fd, void *arg, char *err, size_t errlen), void *arg,
                struct sock_addr *bound, char *err, size_t errlen);

int sock_set_nonblock(int fd, int on);

/* One recv()/send() with the result classified; *done gets the byte count. */
enum sock_io sock_read(int fd, void *buf, size_t len, size_t *done);
enum sock_io sock_write(int fd, const void *buf, size_t len, size_t *done);

/* Aborts the connection with RST: SO_LINGER {1, 0} then close(), like the
 * draft's close_comms(). */
void sock_abort(int fd);

#endif
