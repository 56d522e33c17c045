/* capture: live capture with libpcap to a pcap file, on an interface of this
 * or another network namespace, started and stopped by the program. */
#ifndef PROBELOCK_CAPTURE_H
#define PROBELOCK_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct capture_cfg {
	const char *iface;     /* "lo", a veth, a TAP */
	const char *path;      /* pcap file to write */
	const char *filter;    /* BPF, e.g. "tcp port 7"; NULL: everything */
	int snaplen;           /* bytes kept per packet (0: 262144) */
	const char *netns;     /* name under /run/netns, NULL: ours */
	int buffer_kib;        /* kernel buffer (0: 4096 KiB) */
};

struct capture_stats {
	uint64_t written;      /* packets written to the file */
	uint64_t received;     /* seen by the filter (libpcap ps_recv) */
	uint64_t dropped;      /* dropped by the kernel for lack of buffer (ps_drop) */
	uint64_t if_dropped;   /* dropped by the interface (ps_ifdrop) */
};

struct capture;

/* Opens the handle (inside the namespace when asked), applies the filter and
 * starts writing; returns once packets are being captured, so traffic started
 * afterwards is never missed. NULL with err on failure; without CAP_NET_RAW
 * the message says so. */
struct capture *capture_start(const struct capture_cfg *cfg, char *err, size_t errlen);

/* Stops, flushes and closes the file; fills st. Returns 0, or -1 with err
 * (a write error on the file). Frees c either way. */
int capture_stop(struct capture *c, struct capture_stats *st, char *err, size_t errlen);

#endif
