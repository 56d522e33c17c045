/* sockopt: apply socket options a test asks for and read back what the kernel made of them. */
#include "sockopt.h"
#include "units.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void sockopt_req_init(struct sockopt_req *r)
{
	memset(r, 0, sizeof *r);
	r->sndbuf = -1;
	r->rcvbuf = -1;
	r->nodelay = -1;
	r->maxseg = -1;
	r->user_timeout_ms = -1;
	r->keepalive = -1;
}

static int set_int(int fd, int level, int name, const char *what, long long v, char *err,
                   size_t errlen)
{
	int iv;
	unsigned uv;
	const void *p = &iv;
	socklen_t len = sizeof iv;

	if (level == IPPROTO_TCP && name == TCP_USER_TIMEOUT) {
		uv = (unsigned)v;
		p = &uv;
		len = sizeof uv;
	} else {
		if (v < 0 || v > 0x7fffffff) {
			snprintf(err, errlen, "setsockopt %s %lld: out of range", what, v);
			errno = ERANGE;
			return -1;
		}
		iv = (int)v;
	}
	if (setsockopt(fd, level, name, p, len) < 0) {
		int saved = errno;

		snprintf(err, errlen, "setsockopt %s %lld: %s", what, v, strerror(saved));
		errno = saved;
		return -1;
	}
	return 0;
}

int sockopt_apply(int fd, const struct sockopt_req *r, char *err, size_t errlen)
{
	if (r->sndbuf >= 0 && set_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", r->sndbuf, err, errlen) < 0)
		return -1;
	if (r->rcvbuf >= 0 && set_int(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", r->rcvbuf, err, errlen) < 0)
		return -1;
	if (r->nodelay >= 0 && set_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", r->nodelay, err, errlen) < 0)
		return -1;
	if (r->maxseg >= 0 && set_int(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", r->maxseg, err, errlen) < 0)
		return -1;
	if (r->user_timeout_ms >= 0 &&
	    set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", r->user_timeout_ms, err, errlen) < 0)
		return -1;
	if (r->keepalive >= 0 &&
	    set_int(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", r->keepalive, err, errlen) < 0)
		return -1;
	if (r->ka_idle_s > 0 && set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", r->ka_idle_s, err, errlen) < 0)
		return -1;
	if (r->ka_intvl_s > 0 &&
	    set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", r->ka_intvl_s, err, errlen) < 0)
		return -1;
	if (r->ka_cnt > 0 && set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", r->ka_cnt, err, errlen) < 0)
		return -1;
	return 0;
}

static int get_int(int fd, int level, int name, const char *what, int *out, char *err,
                   size_t errlen)
{
	socklen_t len = sizeof *out;

	if (getsockopt(fd, level, name, out, &len) < 0) {
		int saved = errno;

		snprintf(err, errlen, "getsockopt %s: %s", what, strerror(saved));
		errno = saved;
		return -1;
	}
	return 0;
}

int sockopt_read(int fd, struct sockopt_eff *e, char *err, size_t errlen)
{
	int ut = 0;

	memset(e, 0, sizeof *e);
	if (get_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", &e->sndbuf, err, errlen) < 0 ||
	    get_int(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", &e->rcvbuf, err, errlen) < 0 ||
	    get_int(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY", &e->nodelay, err, errlen) < 0 ||
	    get_int(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", &e->maxseg, err, errlen) < 0 ||
	    get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", &ut, err, errlen) < 0 ||
	    get_int(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", &e->keepalive, err, errlen) < 0 ||
	    get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", &e->ka_idle_s, err, errlen) < 0 ||
	    get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", &e->ka_intvl_s, err, errlen) < 0 ||
	    get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", &e->ka_cnt, err, errlen) < 0)
		return -1;
	e->user_timeout_ms = (unsigned)ut;
	return 0;
}

int sockopt_parse_keepalive(const char *s, struct sockopt_req *r, char *err, size_t errlen)
{
	char buf[128], *parts[3] = { NULL, NULL, NULL }, *save = NULL, *tok;
	uint64_t us, cnt;
	int n = 0;

	if (!s || strlen(s) >= sizeof buf) {
		snprintf(err, errlen, "expected IDLE[,INTVL[,CNT]]");
		return -1;
	}
	strcpy(buf, s);
	/* Every field counts: "5,,3" is not "5,3". */
	for (save = buf; (tok = strsep(&save, ",")) != NULL;) {
		if (n == 3) {
			snprintf(err, errlen, "expected IDLE[,INTVL[,CNT]], got more than 3 fields");
			return -1;
		}
		if (!*tok) {
			snprintf(err, errlen, "expected IDLE[,INTVL[,CNT]], found an empty field");
			return -1;
		}
		parts[n++] = tok;
	}
	/* TCP_KEEPIDLE/INTVL take whole seconds, 1..32767 in Linux. */
	if (units_parse_duration(parts[0], 1000000, 1000000, 32767000000ull, &us, err, errlen) < 0)
		return -1;
	if (us % 1000000) {
		snprintf(err, errlen, "keepalive idle must be whole seconds");
		return -1;
	}
	r->ka_idle_s = (int)(us / 1000000);
	if (parts[1]) {
		if (units_parse_duration(parts[1], 1000000, 1000000, 32767000000ull, &us, err, errlen) < 0)
			return -1;
		if (us % 1000000) {
			snprintf(err, errlen, "keepalive interval must be whole seconds");
			return -1;
		}
		r->ka_intvl_s = (int)(us / 1000000);
	}
	if (parts[2]) {
		if (units_parse_uint(parts[2], 1, 127, &cnt, err, errlen) < 0)
			return -1;
		r->ka_cnt = (int)cnt;
	}
	r->keepalive = 1;
	return 0;
}
