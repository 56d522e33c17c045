/* netenv: the netns target's topology: two namespaces joined by a veth pair,
 * addresses from 198.18.0.0/15, optional tbf rate, MTU and nftables loss or
 * blackhole, or the lwip target's TAP. Everything is named with the plk prefix
 * and recorded in the run's registry (envreg.h). */
#ifndef PROBELOCK_NETENV_H
#define PROBELOCK_NETENV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "envreg.h"

#define NETENV_CLIENT_ADDR "198.18.0.1"
#define NETENV_SERVER_ADDR "198.18.0.2"

struct netenv {
	char tag[16];
	char ns_client[40], ns_server[40];
	char veth_client[16], veth_server[16];
	int nss;                  /* namespaces created so far (0..2) */
	int blackholed;
};

/* Builds the topology for tag (at most 10 characters of [a-z0-9]); rate in
 * bytes/s (0 none), mtu (0 default), loss percent (0 none). On failure what
 * was built is removed and err names the step: "netns: tc qdisc add ...: cause". */
int netenv_up(struct netenv *e, const char *tag, uint64_t rate, uint64_t mtu, uint64_t loss,
              char *err, size_t errlen);
/* The lwip target: one namespace plk-<tag>-d holding a TAP plk<tag>t (MTU
 * mtu, 576 when 0) with NETENV_CLIENT_ADDR/30 on its Linux side; lwip-echod
 * attaches to the TAP as NETENV_SERVER_ADDR. Client, lwip-echod and capture
 * all live in that namespace (ns_client == ns_server, veth_client = the TAP). */
int netenv_up_tap(struct netenv *e, const char *tag, uint64_t rate, uint64_t mtu, uint64_t loss,
                  char *err, size_t errlen);
/* From now on drop everything the client namespace sends (nftables). */
int netenv_blackhole(struct netenv *e, char *err, size_t errlen);
void netenv_down(struct netenv *e);


#endif
