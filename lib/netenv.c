/* netenv: the netns target's topology: two namespaces joined by a veth pair, addresses from
 * 198.18.0.0/15, optional tbf rate, MTU and nftables loss or blackhole; the lwip target's TAP.
 * Everything is named with the plk prefix and recorded in the run's registry (envreg.c). */
#include "netenv.h"
#include "envreg.h"
#include "netns.h"
#include "proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run_ip(const char *what, char *err, size_t errlen, char *const argv[])
{
	return proc_run(argv, NULL, what, err, errlen) == 0 ? 0 : -1;
}

/* tbf rate and nftables loss on one device of a namespace. */
static int shape(const char *ns, const char *dev, uint64_t rate, uint64_t mtu, uint64_t loss, char *err,
                 size_t errlen)
{
	char rates[32], bursts[32], rule[256];

	if (rate) {
		/* tc's "bps" is bytes per second. The bucket holds at least two
		 * full frames and 20 ms of traffic; the queue at least 64 KiB and
		 * 100 ms of traffic, so that shaping delays rather than drops what a
		 * socket buffer sends at once. */
		uint64_t burst = rate / 50 > 2 * (mtu ? mtu : 1500) + 200 ? rate / 50 : 2 * (mtu ? mtu : 1500) + 200;
		uint64_t limit = rate / 10 > 65536 ? rate / 10 : 65536;
		char limits[32];
		char *a_tbf[] = { "tc", "-n", (char *)ns, "qdisc", "add", "dev", (char *)dev, "root", "tbf", "rate", rates,
		                  "burst", bursts, "limit", limits, NULL };

		snprintf(rates, sizeof rates, "%llubps", (unsigned long long)rate);
		snprintf(bursts, sizeof bursts, "%llu", (unsigned long long)burst);
		snprintf(limits, sizeof limits, "%llu", (unsigned long long)limit);
		if (run_ip("tc qdisc add tbf", err, errlen, a_tbf) < 0)
			return -1;
	}
	if (loss) {
		char *a_nft[] = { "nft", rule, NULL };

		snprintf(rule, sizeof rule,
		         "add table inet plk_loss; add chain inet plk_loss out "
		         "{ type filter hook output priority 0; policy accept; }; "
		         "add rule inet plk_loss out meta l4proto tcp numgen random mod 100 < %llu drop",
		         (unsigned long long)loss);
		if (proc_run(a_nft, ns, "nft add table inet plk_loss", err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* Every name carries the "plk" prefix and the run tag (see netenv_sweep). */
static void name_env(struct netenv *e, const char *tag, char ns_c, char ns_s, char veth_c, char veth_s)
{
	memset(e, 0, sizeof *e);
	snprintf(e->tag, sizeof e->tag, "%.10s", tag);
	snprintf(e->ns_client, sizeof e->ns_client, "plk-%s-%c", e->tag, ns_c);
	snprintf(e->ns_server, sizeof e->ns_server, "plk-%s-%c", e->tag, ns_s);
	snprintf(e->veth_client, sizeof e->veth_client, "plk%.10s%c", e->tag, veth_c);
	snprintf(e->veth_server, sizeof e->veth_server, "plk%.10s%c", e->tag, veth_s);
}

int netenv_up_tap(struct netenv *e, const char *tag, uint64_t rate, uint64_t mtu, uint64_t loss,
                  char *err, size_t errlen)
{
	char mtus[24];

	/* the lwIP target lives in one namespace; client and server names coincide */
	name_env(e, tag, 'd', 'd', 't', 't');
	if (!mtu)
		mtu = 576;
	snprintf(mtus, sizeof mtus, "%llu", (unsigned long long)mtu);
	{
		char *a_ns[] = { "ip", "netns", "add", e->ns_client, NULL };
		char *a_tap[] = { "ip", "-n", e->ns_client, "tuntap", "add", "dev", e->veth_client, "mode", "tap", NULL };
		char *a_mtu[] = { "ip", "-n", e->ns_client, "link", "set", e->veth_client, "mtu", mtus, NULL };
		char *a_addr[] = { "ip", "-n", e->ns_client, "addr", "add", NETENV_CLIENT_ADDR "/30", "dev", e->veth_client, NULL };
		char *a_lo[] = { "ip", "-n", e->ns_client, "link", "set", "lo", "up", NULL };
		char *a_up[] = { "ip", "-n", e->ns_client, "link", "set", e->veth_client, "up", NULL };

		envreg_add("netns", e->ns_client);
		if (run_ip("lwip: ip netns add", err, errlen, a_ns) < 0)
			goto fail;
		e->nss = 1;
		if (run_ip("lwip: ip tuntap add", err, errlen, a_tap) < 0 ||
		    run_ip("lwip: ip link set mtu", err, errlen, a_mtu) < 0 ||
		    run_ip("lwip: ip addr add", err, errlen, a_addr) < 0 ||
		    run_ip("lwip: ip link set lo up", err, errlen, a_lo) < 0 ||
		    run_ip("lwip: ip link set up", err, errlen, a_up) < 0)
			goto fail;
		if (shape(e->ns_client, e->veth_client, rate, mtu, loss, err, errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	netenv_down(e);
	return -1;
}

int netenv_up(struct netenv *e, const char *tag, uint64_t rate, uint64_t mtu, uint64_t loss,
              char *err, size_t errlen)
{
	char mtus[24];

	name_env(e, tag, 'c', 's', 'c', 's');
	{
		char *a1[] = { "ip", "netns", "add", e->ns_client, NULL };
		char *a2[] = { "ip", "netns", "add", e->ns_server, NULL };

		envreg_add("netns", e->ns_client);
		if (run_ip("netns: ip netns add", err, errlen, a1) < 0)
			goto fail;
		e->nss = 1;
		envreg_add("netns", e->ns_server);
		if (run_ip("netns: ip netns add", err, errlen, a2) < 0)
			goto fail;
		e->nss = 2;
	}
	{
		char *a[] = { "ip", "link", "add", e->veth_client, "netns", e->ns_client, "type", "veth",
		              "peer", "name", e->veth_server, "netns", e->ns_server, NULL };

		if (run_ip("netns: ip link add veth", err, errlen, a) < 0)
			goto fail;
	}
	for (int side = 0; side < 2; side++) {
		char *ns = side ? e->ns_server : e->ns_client, *dev = side ? e->veth_server : e->veth_client;
		char *addr = side ? NETENV_SERVER_ADDR "/30" : NETENV_CLIENT_ADDR "/30";
		char *a_addr[] = { "ip", "-n", ns, "addr", "add", addr, "dev", dev, NULL };
		char *a_up[] = { "ip", "-n", ns, "link", "set", dev, "up", NULL };
		char *a_lo[] = { "ip", "-n", ns, "link", "set", "lo", "up", NULL };

		if (run_ip("netns: ip addr add", err, errlen, a_addr) < 0 ||
		    run_ip("netns: ip link set lo up", err, errlen, a_lo) < 0)
			goto fail;
		if (mtu) {
			char *a_mtu[] = { "ip", "-n", ns, "link", "set", dev, "mtu", mtus, NULL };

			snprintf(mtus, sizeof mtus, "%llu", (unsigned long long)mtu);
			if (run_ip("netns: ip link set mtu", err, errlen, a_mtu) < 0)
				goto fail;
		}
		if (shape(ns, dev, rate, mtu, loss, err, errlen) < 0)
			goto fail;
		if (run_ip("netns: ip link set up", err, errlen, a_up) < 0)
			goto fail;
	}
	return 0;
fail:
	netenv_down(e);
	return -1;
}

int netenv_blackhole(struct netenv *e, char *err, size_t errlen)
{
	char rule[] = "add table inet plk_blackhole; add chain inet plk_blackhole out "
	              "{ type filter hook output priority 0; policy drop; }";
	char *a[] = { "nft", rule, NULL };

	if (proc_run(a, e->ns_client, "netns: nft add table inet plk_blackhole", err, errlen) != 0)
		return -1;
	e->blackholed = 1;
	return 0;
}

void netenv_down(struct netenv *e)
{
	char err[300];

	if (e->nss >= 2 && !strcmp(e->ns_client, e->ns_server))
		e->nss = 1; /* the lwip target: one namespace */
	/* The veth pair, its qdiscs and the nftables tables go with the namespaces. */
	if (e->nss >= 2) {
		netns_delete(e->ns_server, err, sizeof err);
		envreg_drop("netns", e->ns_server);
	}
	if (e->nss >= 1) {
		netns_delete(e->ns_client, err, sizeof err);
		envreg_drop("netns", e->ns_client);
	}
	e->nss = 0;
}
