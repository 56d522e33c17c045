/* lwip-echod: the emulated embedded target: an RFC 862 echo server on lwIP
 * (Debian's liblwip, unix TAP port), attached to an existing TAP device. It
 * behaves like lwIP's contrib tcpecho: receive, then a blocking write of what
 * was received (in pieces of at most --app-buf bytes). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lwip/api.h>
#include <lwip/init.h>
#include <lwip/ip4_addr.h>
#include <lwip/netif.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/tcpip.h>
#include <netif/tapif.h>

#include "lwipmode.h"
#include "optlimits.h"
#include "optutil.h"
#include "sockopt.h"
#include "version.h"

struct opts {
	const char *tap;
	const char *addr, *netmask, *gateway;
	uint16_t port;
	uint64_t app_buf;
	enum lwip_mode mode;
	int ka_idle_s, ka_intvl_s, ka_cnt; /* 0: lwIP's defaults (idle 0: keepalive off) */
};

static struct {
	_Atomic uint64_t accepted, active, bytes_in, bytes_out, errors;
} st;

static const struct opts *g_opts;

static const char help[] =
"usage: lwip-echod --tap NAME [options]\n"
"\n"
"An echo server running on the lwIP TCP/IP stack (the embedded stack of many DUT\n"
"boards), attached to an existing TAP device: the Linux side of the TAP carries the\n"
"client and the capture. Prints 'listening on ADDR PORT' once up; SIGTERM stops it\n"
"and prints its statistics (JSON).\n"
"\n"
"  --tap NAME            the TAP device to attach to (default: $PRECONFIGURED_TAPIF)\n"
"  --addr A              lwIP's IPv4 address (default 198.18.0.2)\n"
"  --netmask M           (default 255.255.255.252)\n"
"  --gateway G           (default 198.18.0.1)\n"
"  --port P              echo port (default 7)\n"
"  --mode MODE           echo (default): receive, blocking write of it;\n"
"                        stall: accept and never read; discard: read and drop\n"
"                        (a sink for iperf2-style baselines)\n"
"  --app-buf SIZE        largest write of the echo loop (default 8192)\n"
"  --keepalive I[,V[,C]] SO_KEEPALIVE with idle I, interval V (seconds: 5 or 5s),\n"
"                        count C; the parts left out keep lwIP's defaults\n"
"  --build-info          print the TCP constants of this lwIP build (JSON) and exit\n"
"  --version, --help\n"
"\n"
"Its TCP is the library's build: MSS 1460, TCP_WND and TCP_SND_BUF 65535, window\n"
"scaling; 1-byte zero window probes. Use a TAP MTU of 576 (its buffers assume it).\n";

/* The constants of the TCP this program runs, read from lwIP's own headers
 * (its build for Debian), and the persist backoff of its tcp.c (2.1.3). */
static json_t *build_info(void)
{
	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:s}",
	                 "lwip_version", LWIP_VERSION_STRING,
	                 "tcp_mss", TCP_MSS, "tcp_wnd", TCP_WND, "tcp_snd_buf", TCP_SND_BUF,
	                 "tcp_rcv_scale", TCP_RCV_SCALE, "tcp_snd_queuelen", (int)TCP_SND_QUEUELEN,
	                 "tcp_maxrtx", TCP_MAXRTX, "tcp_synmaxrtx", TCP_SYNMAXRTX,
	                 "tcp_slow_interval_ms", TCP_SLOW_INTERVAL,
	                 "keepidle_default_ms", (int)TCP_KEEPIDLE_DEFAULT,
	                 "keepintvl_default_ms", (int)TCP_KEEPINTVL_DEFAULT,
	                 "keepcnt_default", (int)TCP_KEEPCNT_DEFAULT,
	                 "persist_backoff_s", "1.5 3 6 12 24 48 60 (tcp_persist_backoff[] x 0.5 s, the last repeated)",
	                 "zero_window_probe", "1 byte of new data");
}

static void print_stats(int final)
{
	json_t *doc = json_pack("{s:s, s:s, s:b, s:{s:I, s:I}, s:{s:I, s:I}, s:I, s:o}",
	                        "program", "lwip-echod", "version", PROBELOCK_VERSION, "final", final,
	                        "connections", "accepted", (json_int_t)atomic_load(&st.accepted),
	                        "active", (json_int_t)atomic_load(&st.active),
	                        "bytes", "in", (json_int_t)atomic_load(&st.bytes_in),
	                        "out", (json_int_t)atomic_load(&st.bytes_out),
	                        "errors", (json_int_t)atomic_load(&st.errors),
	                        "lwip", build_info());

	if (doc) {
		json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		fflush(stdout);
		json_decref(doc);
	}
}

/* One accepted connection, served by its own thread like contrib tcpecho's
 * single loop, so a blocked write stalls only its connection. */
static void *serve(void *arg)
{
	struct netconn *c = arg;
	struct netbuf *buf;
	err_t e;

	atomic_fetch_add(&st.active, 1);
	if (g_opts->ka_idle_s) {
		/* The pcb belongs to the tcpip thread: change it under the core lock. */
		LOCK_TCPIP_CORE();
		ip_set_option(c->pcb.tcp, SOF_KEEPALIVE);
		c->pcb.tcp->keep_idle = (u32_t)g_opts->ka_idle_s * 1000;
		if (g_opts->ka_intvl_s)
			c->pcb.tcp->keep_intvl = (u32_t)g_opts->ka_intvl_s * 1000;
		if (g_opts->ka_cnt)
			c->pcb.tcp->keep_cnt = (u32_t)g_opts->ka_cnt;
		UNLOCK_TCPIP_CORE();
	}
	if (g_opts->mode == LWIP_STALL) {
		/* Never read: the window closes; the peer's probes are answered by
		 * the stack. The connection lives until the process ends. */
		for (;;)
			pause();
	}
	while ((e = netconn_recv(c, &buf)) == ERR_OK) {
		do {
			void *data;
			u16_t len;

			netbuf_data(buf, &data, &len);
			atomic_fetch_add(&st.bytes_in, len);
			if (g_opts->mode == LWIP_DISCARD)
				continue;
			for (u16_t off = 0; off < len && e == ERR_OK;) {
				size_t rest = (size_t)(len - off);
				size_t piece = rest < g_opts->app_buf ? rest : (size_t)g_opts->app_buf;

				/* Blocks while the peer's window and lwIP's send buffer are full. */
				e = netconn_write(c, (char *)data + off, piece, NETCONN_COPY);
				if (e == ERR_OK) {
					off += (u16_t)piece;
					atomic_fetch_add(&st.bytes_out, piece);
				}
			}
		} while (e == ERR_OK && netbuf_next(buf) >= 0);
		netbuf_delete(buf);
		if (e != ERR_OK)
			break;
	}
	if (e != ERR_OK && e != ERR_CLSD)
		atomic_fetch_add(&st.errors, 1);
	netconn_close(c);
	netconn_delete(c);
	atomic_fetch_sub(&st.active, 1);
	return NULL;
}

static void *accept_loop(void *arg)
{
	struct netconn *listener = arg, *c;

	while (netconn_accept(listener, &c) == ERR_OK) {
		pthread_t t;

		atomic_fetch_add(&st.accepted, 1);
		if (pthread_create(&t, NULL, serve, c) != 0) {
			atomic_fetch_add(&st.errors, 1);
			netconn_close(c);
			netconn_delete(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static void init_done(void *arg)
{
	sys_sem_signal((sys_sem_t *)arg);
}

/* lwIP's unix TAP driver exits the process when it cannot open the device:
 * check first, and say what is missing and what to do. */
static int preflight(const char *tap)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "lwip-echod: /dev/net/tun does not exist: load the tun module (modprobe tun) "
			                "or, in a container, pass the device through (--device /dev/net/tun)\n");
		else if (errno == EACCES || errno == EPERM)
			fprintf(stderr, "lwip-echod: /dev/net/tun: %s: attaching to TAP %s needs root "
			                "(CAP_NET_ADMIN); run it as root, as probelock does\n", strerror(errno), tap);
		else
			fprintf(stderr, "lwip-echod: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	close(fd);
	if (geteuid() != 0) {
		fprintf(stderr, "lwip-echod: attaching to TAP %s needs root (CAP_NET_ADMIN); run it as root\n", tap);
		return -1;
	}
	/* if_nametoindex asks the current network namespace; /sys would show
	 * the namespace sysfs was mounted in. */
	{
		if (if_nametoindex(tap) == 0) {
			fprintf(stderr, "lwip-echod: TAP device %s does not exist (in this network namespace): "
			                "create it first: ip tuntap add dev %s mode tap\n", tap, tap);
			return -1;
		}
	}
	return 0;
}

enum { O_TAP = 256, O_ADDR, O_MASK, O_GW, O_PORT, O_MODE, O_APPBUF, O_KA, O_VERSION, O_BUILD };
static const struct option long_opts[] = {
	{ "tap", required_argument, NULL, O_TAP }, { "addr", required_argument, NULL, O_ADDR },
	{ "netmask", required_argument, NULL, O_MASK }, { "gateway", required_argument, NULL, O_GW },
	{ "port", required_argument, NULL, O_PORT }, { "mode", required_argument, NULL, O_MODE },
	{ "app-buf", required_argument, NULL, O_APPBUF }, { "keepalive", required_argument, NULL, O_KA },
	{ "version", no_argument, NULL, O_VERSION }, { "build-info", no_argument, NULL, O_BUILD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* --keepalive: the same syntax and limits as tcpecho's --keepalive and the
 * scenario's server.keepalive: one parser for the three. */
static int parse_keepalive(struct opts *o, const char *arg, char *err, size_t errlen)
{
	struct sockopt_req ka;
	char cause[160];

	sockopt_req_init(&ka);
	if (sockopt_parse_keepalive(arg, &ka, cause, sizeof cause) < 0) {
		optutil_bad("--keepalive", arg, cause, err, errlen);
		return -1;
	}
	o->ka_idle_s = ka.ka_idle_s;
	o->ka_intvl_s = ka.ka_intvl_s;
	o->ka_cnt = ka.ka_cnt;
	return 0;
}

/* An option with a value: 0, -1 with err, 1 when c is none of them. */
static int parse_value(struct opts *o, int c, const char *arg, char *err, size_t errlen)
{
	switch (c) {
	case O_TAP: o->tap = arg; return 0;
	case O_ADDR: o->addr = arg; return 0;
	case O_MASK: o->netmask = arg; return 0;
	case O_GW: o->gateway = arg; return 0;
	case O_PORT:
		if (optutil_port("--port", arg, &o->port, err, errlen) < 0)
			return -1;
		if (!o->port)
			return optutil_bad("--port", arg, "port 0 cannot be listened on", err, errlen), -1;
		return 0;
	case O_MODE:
		if (lwip_mode_parse(arg, &o->mode) < 0)
			return optutil_bad("--mode", arg, "unknown mode (echo, stall, discard)", err, errlen), -1;
		return 0;
	case O_APPBUF:
		return optutil_size("--app-buf", arg, 1, OPTLIM_LWIP_APP_BUF_MAX, &o->app_buf, err, errlen) < 0 ? -1 : 0;
	case O_KA:
		return parse_keepalive(o, arg, err, errlen);
	}
	return 1;
}

/* --version, --build-info, --help: print and exit 0. Returns when c is none. */
static void parse_info(int c)
{
	json_t *b;

	switch (c) {
	case O_VERSION:
		printf("lwip-echod %s (lwIP %s)\n", PROBELOCK_VERSION, LWIP_VERSION_STRING);
		exit(0);
	case O_BUILD:
		b = build_info();
		json_dumpf(b, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(b);
		exit(0);
	case 'h':
		fputs(help, stdout);
		exit(0);
	}
}

static int parse(int argc, char **argv, struct opts *o)
{
	char err[256];
	int c, rc;

	memset(o, 0, sizeof *o);
	o->tap = getenv("PRECONFIGURED_TAPIF");
	o->addr = "198.18.0.2";
	o->netmask = "255.255.255.252";
	o->gateway = "198.18.0.1";
	o->port = 7;
	o->app_buf = 8192;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		parse_info(c);
		rc = parse_value(o, c, optarg, err, sizeof err);
		if (rc > 0)
			optutil_getopt_error(c, long_opts, argv, err, sizeof err);
		if (rc != 0)
			goto bad;
	}
	if (optind < argc) {
		snprintf(err, sizeof err, "unexpected argument '%s'", argv[optind]);
		goto bad;
	}
	if (!o->tap || !*o->tap) {
		snprintf(err, sizeof err, "no TAP device: give --tap NAME (or set PRECONFIGURED_TAPIF)");
		goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "lwip-echod: %s\nTry 'lwip-echod --help'.\n", err);
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct netif netif;
	ip4_addr_t ip, mask, gw;
	sys_sem_t sem;
	struct netconn *listener;
	pthread_t acceptor;
	sigset_t set;
	int sig;

	if (parse(argc, argv, &o) < 0)
		return 2;
	g_opts = &o;
	if (!ip4addr_aton(o.addr, &ip) || !ip4addr_aton(o.netmask, &mask) || !ip4addr_aton(o.gateway, &gw)) {
		fprintf(stderr, "lwip-echod: --addr/--netmask/--gateway: not IPv4 addresses (%s, %s, %s)\n", o.addr,
		        o.netmask, o.gateway);
		return 2;
	}
	if (preflight(o.tap) < 0)
		return 1;
	/* Signals are taken by the main thread only: block them before lwIP
	 * starts its threads, which inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	setenv("PRECONFIGURED_TAPIF", o.tap, 1);
	if (sys_sem_new(&sem, 0) != ERR_OK) {
		fprintf(stderr, "lwip-echod: sys_sem_new failed\n");
		return 1;
	}
	tcpip_init(init_done, &sem);
	sys_sem_wait(&sem);
	LOCK_TCPIP_CORE();
	if (!netif_add(&netif, &ip, &mask, &gw, NULL, tapif_init, tcpip_input)) {
		UNLOCK_TCPIP_CORE();
		fprintf(stderr, "lwip-echod: attaching to TAP %s failed\n", o.tap);
		return 1;
	}
	netif_set_default(&netif);
	netif_set_up(&netif);
	netif_set_link_up(&netif);
	UNLOCK_TCPIP_CORE();
	listener = netconn_new(NETCONN_TCP);
	if (!listener || netconn_bind(listener, IP4_ADDR_ANY, o.port) != ERR_OK || netconn_listen(listener) != ERR_OK) {
		fprintf(stderr, "lwip-echod: listen on port %u failed\n", o.port);
		return 1;
	}
	if (pthread_create(&acceptor, NULL, accept_loop, listener) != 0) {
		fprintf(stderr, "lwip-echod: cannot start the accept thread\n");
		return 1;
	}
	printf("listening on %s %u\n", o.addr, o.port);
	fflush(stdout);
	sigwait(&set, &sig);
	/* The TAP and every connection go with the process; nothing to drain. */
	print_stats(1);
	return 0;
}
