/* pcapin: reads pcap/pcapng files with libpcap and decodes each packet down to
 * its TCP header (Ethernet with 802.1Q/802.1ad tags, MPLS, PPPoE, Cisco
 * FabricPath; Linux SLL/SLL2, raw IP, BSD loopback; IPv4, IPv6, and the
 * tunnels IP in IP, IPv6 in IPv4, GRE, GTP-U, GENEVE, L2TP). */
#ifndef PROBELOCK_PCAPIN_H
#define PROBELOCK_PCAPIN_H

#include <stddef.h>
#include <stdint.h>

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PUSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

struct tcpseg {
	uint64_t num;            /* frame number, from 1 */
	int64_t t_ns;            /* capture time, ns since the epoch */
	int family;              /* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags;          /* TH_* */
	uint32_t window;         /* raw, unscaled */
	uint32_t seglen;         /* from the IP length: right even when the capture cut the payload */
	int wscale;              /* window scale option, -1 if absent or not captured */
	int opts_captured;       /* the options were read to their end within the captured bytes
	                          * (Wireshark's dissection did not stop inside them) */
	int no_seglen;           /* the segment's length is unknown (the IP length ends inside the
	                          * TCP header): Wireshark tracks the connection, analyses nothing */
	int bad_hlen;            /* TCP header length below 20: Wireshark analyses the segment with
	                          * the length it computes, then stops (no flag shown) */
};

/* Why a packet was not a decodable TCP segment. */
enum pcapin_skip {
	PCAPIN_OK,
	PCAPIN_NOT_IP,       /* ARP, LLDP, ... */
	PCAPIN_NOT_TCP,      /* UDP, ICMP ... */
	PCAPIN_FRAGMENT,     /* a non-first IP fragment, or a first one without the TCP header */
	PCAPIN_TRUNCATED,    /* the TCP header itself was cut by the snaplen */
	PCAPIN_MALFORMED,    /* lengths that contradict each other */
	PCAPIN_NSKIP,
};

struct pcapin;

/* Opens path. Returns NULL with "PATH: cause" in err (not a capture, empty,
 * unreadable, unsupported link type). */
struct pcapin *pcapin_open(const char *path, char *err, size_t errlen);
void pcapin_close(struct pcapin *in);

/* Next TCP segment. Returns 1 with *seg filled, 0 at a clean end of file,
 * -1 on a read error (err: "PATH: offset N: cause"; what was read so far
 * stays valid). Packets that are not TCP are counted and skipped. */
int pcapin_next(struct pcapin *in, struct tcpseg *seg, char *err, size_t errlen);

/* Counters: packets read, and skipped per reason. */
uint64_t pcapin_packets(const struct pcapin *in);
uint64_t pcapin_skipped(const struct pcapin *in, enum pcapin_skip why);
const char *pcapin_skip_name(enum pcapin_skip why);
/* The link type's name ("EN10MB", "LINUX_SLL2" ...) and the file's snaplen. */
const char *pcapin_linktype(const struct pcapin *in);
int pcapin_snaplen(const struct pcapin *in);

/* Decodes one frame (exposed for tests and fuzzing). dlt is the libpcap link
 * type; caplen the captured bytes, len the frame's length on the wire (what
 * lengths are taken from when an IP header says more, or 0 for TSO).
 * Returns PCAPIN_OK with seg filled. */
enum pcapin_skip pcapin_decode_frame(int dlt, const uint8_t *p, uint32_t caplen, uint32_t len,
                                     struct tcpseg *seg);
/* The same for a frame captured whole (len = caplen). */
enum pcapin_skip pcapin_decode(int dlt, const uint8_t *p, uint32_t caplen, struct tcpseg *seg);

#endif
