/* sockopt: apply socket options a test asks for and read back what the kernel made of them. */
#ifndef PROBELOCK_SOCKOPT_H
#define PROBELOCK_SOCKOPT_H

#include <stddef.h>
#include <stdint.h>

/* What a test asks for. A field at its "unset" value (-1 or 0 as noted) is
 * left at the kernel's default. */
struct sockopt_req {
	int64_t sndbuf;          /* SO_SNDBUF bytes, -1 unset */
	int64_t rcvbuf;          /* SO_RCVBUF bytes, -1 unset */
	int nodelay;             /* TCP_NODELAY 0/1, -1 unset */
	int maxseg;              /* TCP_MAXSEG bytes, -1 unset */
	int64_t user_timeout_ms; /* TCP_USER_TIMEOUT, -1 unset */
	int keepalive;           /* SO_KEEPALIVE 0/1, -1 unset */
	int ka_idle_s, ka_intvl_s, ka_cnt; /* TCP_KEEPIDLE/KEEPINTVL/KEEPCNT, 0 unset */
};

/* What the kernel actually uses. Linux doubles SO_SNDBUF/SO_RCVBUF requests
 * (the extra half is bookkeeping overhead) and clamps them to
 * net.core.{w,r}mem_max, so effective values are always read back. */
struct sockopt_eff {
	int sndbuf, rcvbuf;
	int nodelay;
	int maxseg;
	unsigned user_timeout_ms;
	int keepalive, ka_idle_s, ka_intvl_s, ka_cnt;
};

void sockopt_req_init(struct sockopt_req *r);

/* Applies every set field; on failure returns -1 with "setsockopt NAME VALUE:
 * cause" in err. */
int sockopt_apply(int fd, const struct sockopt_req *r, char *err, size_t errlen);

/* Reads the effective values; returns -1 with err on failure. */
int sockopt_read(int fd, struct sockopt_eff *e, char *err, size_t errlen);

/* Parses "IDLE[,INTVL[,CNT]]" with durations in seconds ("5s,1s,3", "10"),
 * into r's keepalive fields (and sets keepalive = 1). */
int sockopt_parse_keepalive(const char *s, struct sockopt_req *r, char *err, size_t errlen);

#endif
