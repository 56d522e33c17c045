/* pcapin: reads pcap/pcapng files with libpcap and decodes each packet down to
 * its TCP header (Ethernet, Linux SLL/SLL2, raw IP, BSD loopback; IPv4, IPv6). */
#include "pcapin.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

struct pcapin {
	pcap_t *p;
	char path[512];
	int dlt;
	uint64_t packets;
	uint64_t skipped[PCAPIN_NSKIP];
};

static const char *const skip_names[PCAPIN_NSKIP] = {
	[PCAPIN_OK] = "ok", [PCAPIN_NOT_IP] = "not_ip", [PCAPIN_NOT_TCP] = "not_tcp",
	[PCAPIN_FRAGMENT] = "fragment", [PCAPIN_TRUNCATED] = "truncated",
	[PCAPIN_MALFORMED] = "malformed",
};

const char *pcapin_skip_name(enum pcapin_skip why)
{
	return (unsigned)why < PCAPIN_NSKIP ? skip_names[why] : "?";
}

/* Link types whose frames this reader decodes. */
static int supported_dlt(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
#endif
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

struct pcapin *pcapin_open(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct pcapin *in;
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a capture file", path);
		return NULL;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "%s: empty file, not a capture (no pcap or pcapng header)", path);
		return NULL;
	}
	in = calloc(1, sizeof *in);
	if (!in) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	snprintf(in->path, sizeof in->path, "%s", path);
	in->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!in->p) {
		/* libpcap's words for a file that is not a capture: "unknown file
		 * format"; for a cut header: "truncated dump file". */
		snprintf(err, errlen, "%s: offset 0: %s", path, perr);
		free(in);
		return NULL;
	}
	in->dlt = pcap_datalink(in->p);
	if (!supported_dlt(in->dlt)) {
		const char *name = pcap_datalink_val_to_name(in->dlt);

		snprintf(err, errlen, "%s: link type %s (%d) is not supported (Ethernet, Linux SLL/SLL2, "
		         "raw IP and BSD loopback are)", path, name ? name : "?", in->dlt);
		pcap_close(in->p);
		free(in);
		return NULL;
	}
	return in;
}

void pcapin_close(struct pcapin *in)
{
	if (!in)
		return;
	pcap_close(in->p);
	free(in);
}

uint64_t pcapin_packets(const struct pcapin *in)
{
	return in->packets;
}

uint64_t pcapin_skipped(const struct pcapin *in, enum pcapin_skip why)
{
	return (unsigned)why < PCAPIN_NSKIP ? in->skipped[why] : 0;
}

const char *pcapin_linktype(const struct pcapin *in)
{
	const char *n = pcap_datalink_val_to_name(in->dlt);

	return n ? n : "?";
}

int pcapin_snaplen(const struct pcapin *in)
{
	return pcap_snapshot(in->p);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parses TCP at p (len captured bytes, seglen_total = TCP header + payload
 * as the IP header says). */
static enum pcapin_skip decode_tcp(const uint8_t *p, uint32_t len, uint32_t tcp_total,
                                   struct tcpseg *s)
{
	uint32_t hlen;

	if (len < 20)
		return PCAPIN_TRUNCATED;
	hlen = (uint32_t)(p[12] >> 4) * 4;
	if (hlen < 20 || hlen > tcp_total)
		return PCAPIN_MALFORMED;
	s->sport = rd16(p);
	s->dport = rd16(p + 2);
	s->seq = rd32(p + 4);
	s->ack = rd32(p + 8);
	s->flags = (uint16_t)(((p[12] & 0x01) << 8) | p[13]);
	s->window = rd16(p + 14);
	s->seglen = tcp_total - hlen;
	s->wscale = -1;
	s->opts_captured = len >= hlen;
	if (!s->opts_captured)
		return PCAPIN_OK; /* options cut by the snaplen: unknown, not an error */
	for (uint32_t i = 20; i < hlen;) {
		uint8_t kind = p[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen)
			break;
		olen = p[i + 1];
		if (olen < 2 || i + olen > hlen)
			break;
		if (kind == 3 && olen == 3)
			s->wscale = p[i + 2] > 14 ? 14 : p[i + 2]; /* RFC 7323: at most 14 */
		i += olen;
	}
	return PCAPIN_OK;
}

static enum pcapin_skip decode_ip(const uint8_t *p, uint32_t len, struct tcpseg *s);

static enum pcapin_skip decode_ipv4(const uint8_t *p, uint32_t len, struct tcpseg *s)
{
	uint32_t ihl, total;

	if (len < 20)
		return PCAPIN_TRUNCATED;
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	total = rd16(p + 2);
	if (ihl < 20 || total < ihl)
		return PCAPIN_MALFORMED;
	if (len < ihl)
		return PCAPIN_TRUNCATED;
	if (rd16(p + 6) & 0x1fff)
		return PCAPIN_FRAGMENT; /* not the first fragment: no TCP header here */
	if (p[9] != 6)
		return PCAPIN_NOT_TCP;
	if (rd16(p + 6) & 0x2000) {
		/* First fragment of a fragmented segment: its length is not the
		 * segment's; without reassembly the payload length is unknown. */
		return PCAPIN_FRAGMENT;
	}
	s->family = AF_INET;
	memset(s->src, 0, sizeof s->src);
	memset(s->dst, 0, sizeof s->dst);
	memcpy(s->src, p + 12, 4);
	memcpy(s->dst, p + 16, 4);
	return decode_tcp(p + ihl, len - ihl, total - ihl, s);
}

static enum pcapin_skip decode_ipv6(const uint8_t *p, uint32_t len, struct tcpseg *s)
{
	uint32_t off = 40, payload;
	uint8_t next;

	if (len < 40)
		return PCAPIN_TRUNCATED;
	payload = rd16(p + 4);
	next = p[6];
	s->family = AF_INET6;
	memcpy(s->src, p + 8, 16);
	memcpy(s->dst, p + 24, 16);
	/* Walk the extension headers: hop-by-hop, routing, destination options
	 * (length in 8-octet units after the first 8), fragment (8 octets). */
	for (;;) {
		uint32_t hl;

		if (next == 6)
			break;
		if (next == 0 || next == 43 || next == 60) {
			if (len < off + 2)
				return PCAPIN_TRUNCATED;
			hl = ((uint32_t)p[off + 1] + 1) * 8;
		} else if (next == 44) {
			if (len < off + 8)
				return PCAPIN_TRUNCATED;
			if ((rd16(p + off + 2) & 0xfff9) != 0)
				return PCAPIN_FRAGMENT; /* offset != 0, or more fragments follow */
			hl = 8;
		} else if (next == 51) { /* AH: length in 4-octet units, plus 2 */
			if (len < off + 2)
				return PCAPIN_TRUNCATED;
			hl = ((uint32_t)p[off + 1] + 2) * 4;
		} else {
			return PCAPIN_NOT_TCP;
		}
		if (off + hl > 40 + payload)
			return PCAPIN_MALFORMED;
		next = p[off];
		off += hl;
		if (off > len)
			return PCAPIN_TRUNCATED;
	}
	if (40 + payload < off)
		return PCAPIN_MALFORMED;
	return decode_tcp(p + off, len - off, 40 + payload - off, s);
}

static enum pcapin_skip decode_ip(const uint8_t *p, uint32_t len, struct tcpseg *s)
{
	if (len < 1)
		return PCAPIN_TRUNCATED;
	switch (p[0] >> 4) {
	case 4:
		return decode_ipv4(p, len, s);
	case 6:
		return decode_ipv6(p, len, s);
	default:
		return PCAPIN_NOT_IP;
	}
}

static enum pcapin_skip decode_ethertype(uint16_t type, const uint8_t *p, uint32_t len,
                                         struct tcpseg *s)
{
	/* 802.1Q / QinQ tags: skip 4 bytes each. */
	while (type == 0x8100 || type == 0x88a8) {
		if (len < 4)
			return PCAPIN_TRUNCATED;
		type = rd16(p + 2);
		p += 4;
		len -= 4;
	}
	if (type == 0x0800 || type == 0x86dd)
		return decode_ip(p, len, s);
	return PCAPIN_NOT_IP;
}

enum pcapin_skip pcapin_decode(int dlt, const uint8_t *p, uint32_t caplen, struct tcpseg *s)
{
	uint32_t af;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return PCAPIN_TRUNCATED;
		return decode_ethertype(rd16(p + 12), p + 14, caplen - 14, s);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return PCAPIN_TRUNCATED;
		return decode_ethertype(rd16(p + 14), p + 16, caplen - 16, s);
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return PCAPIN_TRUNCATED;
		return decode_ethertype(rd16(p), p + 20, caplen - 20, s);
#endif
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return decode_ip(p, caplen, s);
	case DLT_NULL:
	case DLT_LOOP:
		/* 4-byte address family: host order for NULL, network order for
		 * LOOP; the IP version nibble tells the rest. */
		if (caplen < 4)
			return PCAPIN_TRUNCATED;
		memcpy(&af, p, 4);
		(void)af;
		return decode_ip(p + 4, caplen - 4, s);
	default:
		return PCAPIN_NOT_IP;
	}
}

int pcapin_next(struct pcapin *in, struct tcpseg *seg, char *err, size_t errlen)
{
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		enum pcapin_skip why;
		long off = ftell(pcap_file(in->p));
		int rc = pcap_next_ex(in->p, &h, &data);

		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc < 0) {
			const char *msg = pcap_geterr(in->p);

			/* libpcap reads a pcapng whose interfaces share one link type and
			 * snaplen; for others, say what to do. */
			snprintf(err, errlen, "%s: offset %ld: %s%s", in->path, off, msg,
			         strstr(msg, "different from the") && strstr(msg, "first interface")
			                 ? " (libpcap reads one link type and snaplen per file: split the "
			                   "capture per interface first, e.g. tshark -r FILE -Y "
			                   "'frame.interface_id == 0' -w if0.pcapng)"
			                 : "");
			return -1;
		}
		in->packets++;
		memset(seg, 0, sizeof *seg);
		why = pcapin_decode(in->dlt, data, h->caplen, seg);
		if (why != PCAPIN_OK) {
			in->skipped[why]++;
			continue;
		}
		seg->num = in->packets;
		seg->t_ns = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec; /* nano precision */
		return 1;
	}
}
