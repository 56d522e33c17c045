/* pcapin_decode: one frame decoded down to its TCP header (Ethernet with
 * 802.1Q/802.1ad tags and MPLS, PPPoE, Cisco FabricPath, Linux SLL/SLL2, raw
 * IP, BSD loopback; IPv4, IPv6, and the tunnels IP in IP, IPv6 in IPv4, GRE,
 * GTP-U, GENEVE, L2TP), taking lengths as Wireshark 4.0's dissectors take
 * them. The file reading is lib/pcapin.c. */
#include "pcapin.h"

#include <pcap/pcap.h>
#include <string.h>
#include <sys/socket.h>

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Each layer below gets the bytes captured (cap) and the bytes the frame had
 * on the wire from there (rep, Wireshark's "reported length"): lengths come
 * from the headers as Wireshark's dissectors take them, so a capture cut by
 * its snaplen still gives every segment's length. */

/* The TCP options, read as Wireshark's tcp_dissect_options() reads them:
 * returns 1 when it got to their end (or to a bogus length, where it stops
 * quietly), 0 when it would have read past the bytes at hand (an exception
 * that ends the frame's dissection: no analysis flag is shown then). The
 * window scale found before that point is kept in *ws. */
static int tcp_options(const uint8_t *p, uint32_t hlen, uint32_t avail, int *ws)
{
	uint32_t off = 20, length = hlen - 20;
	int eol_seen = 0;

	while (length > 0) {
		uint8_t opt, optlen;

		if (off >= avail)
			return 0;
		opt = p[off];
		if (eol_seen && opt != 0)
			return 1; /* non-zero padding after EOL */
		length--;
		if (opt == 0 || opt == 1) {
			off++;
		} else {
			if (length == 0)
				return 1; /* length byte past the end of the options */
			if (off + 1 >= avail)
				return 0;
			optlen = p[off + 1];
			length--;
			if (optlen < 2 || (uint32_t)optlen - 2 > length)
				return 1; /* too short, or past the end of the options */
			if (opt == 3) {
				if (optlen == 3) { /* any other length: refused, nothing read */
					if (off + 2 >= avail)
						return 0;
					*ws = p[off + 2] > 14 ? 14 : p[off + 2]; /* RFC 7323: at most 14 */
				}
			} else if (off + optlen > avail) {
				return 0; /* the option's dissector reads its bytes */
			}
			off += optlen;
			length -= (uint32_t)optlen - 2;
		}
		if (opt == 0)
			eol_seen = 1;
	}
	return 1;
}

/* Parses TCP at p: cap bytes captured, rep on the wire (what the IP header
 * says the segment holds, or what the frame holds when that is less). */
static enum pcapin_skip decode_tcp(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s)
{
	uint32_t hlen;

	if (rep < 20)
		return PCAPIN_MALFORMED; /* the IP length leaves no room for the header */
	if (cap < 20)
		return PCAPIN_TRUNCATED;
	hlen = (uint32_t)(p[12] >> 4) * 4;
	s->sport = rd16(p);
	s->dport = rd16(p + 2);
	s->seq = rd32(p + 4);
	s->ack = rd32(p + 8);
	s->flags = (uint16_t)(((p[12] & 0x01) << 8) | p[13]);
	s->window = rd16(p + 14);
	s->wscale = -1;
	if (rep < hlen) {
		/* Wireshark: "Short segment": the connection is tracked, the
		 * segment not analysed. */
		s->no_seglen = 1;
		s->seglen = 0;
	} else {
		s->seglen = rep - hlen;
	}
	if (hlen < 20) {
		/* Wireshark analyses it with that length, then gives up. */
		s->bad_hlen = 1;
		s->opts_captured = 0;
		return PCAPIN_OK;
	}
	s->opts_captured = tcp_options(p, hlen, cap < rep ? cap : rep, &s->wscale);
	return PCAPIN_OK;
}

static enum pcapin_skip decode_ip(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                  int depth);

/* IP in IP, IPv6 in IPv4, GRE and GTP-U: Wireshark analyses the inner TCP. */
static enum pcapin_skip decode_gre(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                   int depth);
static enum pcapin_skip decode_udp(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                   int depth);

/* TCP, or a tunnel that may hold it whatever its ports: IP in IP, IPv6 in
 * IP, GRE. */
static int ipproto_tcp_or_tunnel(uint8_t proto)
{
	return proto == 6 || proto == 4 || proto == 41 || proto == 47;
}

static enum pcapin_skip decode_ipproto(uint8_t proto, const uint8_t *p, uint32_t cap, uint32_t rep,
                                       struct tcpseg *s, int depth)
{
	if (proto == 6)
		return decode_tcp(p, cap, rep, s);
	if (depth >= 4)
		return PCAPIN_NOT_TCP; /* tunnels nested deeper are not followed */
	switch (proto) {
	case 4:
	case 41:
		return decode_ip(p, cap, rep, s, depth + 1);
	case 47:
		return decode_gre(p, cap, rep, s, depth + 1);
	case 17:
		return decode_udp(p, cap, rep, s, depth + 1);
	default:
		return PCAPIN_NOT_TCP;
	}
}

static enum pcapin_skip decode_ipv4(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                    int depth)
{
	uint32_t ihl, total;

	if (cap < 20)
		return PCAPIN_TRUNCATED;
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	if (ihl < 20)
		return PCAPIN_MALFORMED;
	if (cap < ihl)
		return PCAPIN_TRUNCATED;
	total = rd16(p + 2);
	if (total < ihl) {
		/* A total length of 0 is TSO's (Wireshark's ip.tso_support, on
		 * by default): the frame's length stands for it. */
		if (total != 0)
			return PCAPIN_MALFORMED;
		total = rep;
	} else if (total > rep) {
		/* Longer than the frame: Wireshark keeps what the frame holds. */
		total = rep;
	}
	if (total < ihl)
		return PCAPIN_TRUNCATED;
	if (cap > total)
		cap = total;
	if (rd16(p + 6) & 0x1fff)
		return PCAPIN_FRAGMENT; /* not the first fragment: no TCP header here */
	if (rd16(p + 6) & 0x2000) {
		/* First fragment of a fragmented segment: its length is not the
		 * segment's; without reassembly the payload length is unknown. */
		return ipproto_tcp_or_tunnel(p[9]) ? PCAPIN_FRAGMENT : PCAPIN_NOT_TCP;
	}
	s->family = AF_INET;
	memset(s->src, 0, sizeof s->src);
	memset(s->dst, 0, sizeof s->dst);
	memcpy(s->src, p + 12, 4);
	memcpy(s->dst, p + 16, 4);
	return decode_ipproto(p[9], p + ihl, cap - ihl, total - ihl, s, depth);
}

static enum pcapin_skip decode_ipv6(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                    int depth)
{
	uint32_t off = 40, end;
	uint8_t next;

	if (cap < 40)
		return PCAPIN_TRUNCATED;
	/* The payload length bounds the datagram (no TSO for IPv6 in
	 * Wireshark 4.0 by default); a larger one than the frame is cut to it. */
	end = 40 + rd16(p + 4);
	if (end > rep)
		end = rep;
	if (cap > end)
		cap = end;
	next = p[6];
	s->family = AF_INET6;
	memcpy(s->src, p + 8, 16);
	memcpy(s->dst, p + 24, 16);
	/* Walk the extension headers: hop-by-hop, routing, destination options
	 * (length in 8-octet units after the first 8), fragment (8 octets). */
	for (;;) {
		uint32_t hl;

		if (ipproto_tcp_or_tunnel(next))
			break;
		if (next == 0 || next == 43 || next == 60) {
			if (cap < off + 2)
				return PCAPIN_TRUNCATED;
			hl = ((uint32_t)p[off + 1] + 1) * 8;
		} else if (next == 44) {
			if (cap < off + 8)
				return PCAPIN_TRUNCATED;
			if ((rd16(p + off + 2) & 0xfff9) != 0)
				return PCAPIN_FRAGMENT; /* offset != 0, or more fragments follow */
			hl = 8;
		} else if (next == 51) { /* AH: length in 4-octet units, plus 2 */
			if (cap < off + 2)
				return PCAPIN_TRUNCATED;
			hl = ((uint32_t)p[off + 1] + 2) * 4;
		} else {
			return PCAPIN_NOT_TCP;
		}
		if (off + hl > end)
			return PCAPIN_MALFORMED;
		next = p[off];
		off += hl;
		if (off > cap)
			return PCAPIN_TRUNCATED;
	}
	if (end < off)
		return PCAPIN_MALFORMED;
	return decode_ipproto(next, p + off, cap - off, end - off, s, depth);
}

static enum pcapin_skip decode_ip(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                  int depth)
{
	if (cap < 1)
		return PCAPIN_TRUNCATED;
	switch (p[0] >> 4) {
	case 4:
		return decode_ipv4(p, cap, rep, s, depth);
	case 6:
		return decode_ipv6(p, cap, rep, s, depth);
	default:
		return PCAPIN_NOT_IP;
	}
}

/* MPLS (RFC 3032): labels up to the bottom of the stack, then what
 * Wireshark's dissector guesses from the first nibble: 4 IPv4, 6 IPv6
 * (anything else, pseudowires included, is not decoded here). */
static enum pcapin_skip decode_mpls(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                    int depth)
{
	for (;;) {
		uint32_t label;
		int bos;

		if (rep < 4 || cap < 4)
			return PCAPIN_TRUNCATED;
		label = rd32(p) >> 12;
		bos = p[2] & 1;
		p += 4;
		cap -= 4;
		rep -= 4;
		if (bos) {
			if (label == 13) /* GAL: an associated channel, not IP */
				return PCAPIN_NOT_IP;
			break;
		}
	}
	return decode_ip(p, cap, rep, s, depth);
}

/* A PPP frame's protocol field (one byte when compressed: odd first byte),
 * then IPv4 (0x21) or IPv6 (0x57). */
static enum pcapin_skip decode_ppp(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                   int depth)
{
	uint32_t hl = 2, proto;

	if (cap < 1 || rep < 1)
		return PCAPIN_TRUNCATED;
	if (p[0] & 1) {
		hl = 1;
		proto = p[0];
	} else {
		if (cap < 2 || rep < 2)
			return PCAPIN_TRUNCATED;
		proto = rd16(p);
	}
	if (proto == 0x21)
		return decode_ipv4(p + hl, cap - hl, rep - hl, s, depth);
	if (proto == 0x57)
		return decode_ipv6(p + hl, cap - hl, rep - hl, s, depth);
	return PCAPIN_NOT_IP;
}

static enum pcapin_skip decode_ethertype(uint16_t type, const uint8_t *p, uint32_t cap,
                                         uint32_t rep, struct tcpseg *s, int depth)
{
	/* 802.1Q, 802.1ad and the old QinQ tags: 4 bytes each. */
	while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
		if (cap < 4 || rep < 4)
			return PCAPIN_TRUNCATED;
		type = rd16(p + 2);
		p += 4;
		cap -= 4;
		rep -= 4;
	}
	switch (type) {
	case 0x0800:
	case 0x86dd:
		/* Wireshark's IPv4 dissector hands a version 6 header to IPv6. */
		return decode_ip(p, cap, rep, s, depth);
	case 0x8847:
	case 0x8848:
		return decode_mpls(p, cap, rep, s, depth);
	case 0x8864: /* PPPoE session: the PPPoE length bounds the payload, then PPP */
		if (cap < 8 || rep < 8)
			return PCAPIN_TRUNCATED;
		if (p[1] != 0)
			return PCAPIN_NOT_IP; /* not session data */
		if ((uint32_t)rd16(p + 4) < rep - 6)
			rep = 6 + rd16(p + 4);
		if (rep < 8)
			return PCAPIN_MALFORMED;
		if (cap > rep)
			cap = rep;
		return decode_ppp(p + 6, cap - 6, rep - 6, s, depth);
	case 0x6558: /* transparent Ethernet bridging (GRE, GENEVE) */
		if (cap < 14 || rep < 14)
			return PCAPIN_TRUNCATED;
		if (depth >= 4)
			return PCAPIN_NOT_IP;
		return decode_ethertype(rd16(p + 12), p + 14, cap - 14, rep - 14, s, depth + 1);
	default:
		return PCAPIN_NOT_IP;
	}
}

/* GRE (RFC 2784/2890) version 0: flags, protocol type, then the checksum,
 * key and sequence words the flags announce. */
static enum pcapin_skip decode_gre(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                   int depth)
{
	uint32_t hl = 4;
	uint16_t fl;

	if (cap < 4)
		return PCAPIN_TRUNCATED;
	fl = rd16(p);
	if ((fl & 0x0007) != 0)
		return PCAPIN_NOT_TCP; /* PPTP's enhanced GRE and others */
	hl += (fl & 0x8000) ? 4 : 0;
	hl += (fl & 0x2000) ? 4 : 0;
	hl += (fl & 0x1000) ? 4 : 0;
	if (cap < hl || rep < hl)
		return PCAPIN_TRUNCATED;
	return decode_ethertype(rd16(p + 2), p + hl, cap - hl, rep - hl, s, depth);
}

/* GTPv1-U (3GPP TS 29.281) on UDP port 2152: a G-PDU's payload, IPv4 or
 * IPv6 by Wireshark's T-PDU heuristic (first byte 0x45-0x4e, or 0x6X). */
static enum pcapin_skip decode_gtpu(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                    int depth)
{
	uint32_t hl = 8;

	if (cap < 8 || rep < 8)
		return PCAPIN_TRUNCATED;
	if ((p[0] >> 5) != 1 || !(p[0] & 0x10) || p[1] != 0xff)
		return PCAPIN_NOT_TCP; /* not version 1 GTP, or not a G-PDU */
	if (p[0] & 0x07) {
		uint8_t next;

		hl = 12;
		if (cap < hl)
			return PCAPIN_TRUNCATED;
		next = (p[0] & 0x04) ? p[11] : 0;
		while (next) { /* extension headers: length in 4-octet units, next type last */
			uint32_t el;

			if (cap < hl + 1)
				return PCAPIN_TRUNCATED;
			el = (uint32_t)p[hl] * 4;
			if (el == 0)
				return PCAPIN_MALFORMED;
			if (cap < hl + el)
				return PCAPIN_TRUNCATED;
			next = p[hl + el - 1];
			hl += el;
		}
	}
	if (cap <= hl || rep <= hl)
		return PCAPIN_NOT_TCP;
	if (p[hl] >= 0x45 && p[hl] <= 0x4e)
		return decode_ipv4(p + hl, cap - hl, rep - hl, s, depth);
	if ((p[hl] & 0xf0) == 0x60)
		return decode_ipv6(p + hl, cap - hl, rep - hl, s, depth);
	return PCAPIN_NOT_TCP;
}

/* GENEVE (RFC 8926) on UDP port 6081: 8 bytes, options, then the protocol
 * its ethertype names. */
static enum pcapin_skip decode_geneve(const uint8_t *p, uint32_t cap, uint32_t rep,
                                      struct tcpseg *s, int depth)
{
	uint32_t hl;

	if (cap < 8 || rep < 8)
		return PCAPIN_TRUNCATED;
	if (p[0] >> 6)
		return PCAPIN_NOT_TCP; /* not version 0 */
	hl = 8 + (uint32_t)(p[0] & 0x3f) * 4;
	if (cap < hl || rep < hl)
		return PCAPIN_TRUNCATED;
	return decode_ethertype(rd16(p + 2), p + hl, cap - hl, rep - hl, s, depth);
}

/* L2TPv2 (RFC 2661) data messages on UDP port 1701: the header its flags
 * describe, then PPP in HDLC-like framing (address and control 0xff 0x03
 * optional). */
static enum pcapin_skip decode_l2tp(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                    int depth)
{
	uint32_t hl = 6;
	uint16_t fl;

	if (cap < 2 || rep < 2)
		return PCAPIN_TRUNCATED;
	fl = rd16(p);
	if ((fl & 0x8000) || (fl & 0x000f) != 2)
		return PCAPIN_NOT_TCP; /* a control message, or not version 2 */
	hl += (fl & 0x4000) ? 2 : 0;
	hl += (fl & 0x0800) ? 4 : 0;
	if (fl & 0x0200) {
		if (cap < hl + 2)
			return PCAPIN_TRUNCATED;
		hl += 2 + rd16(p + hl);
	}
	if (cap < hl + 1 || rep < hl + 1)
		return PCAPIN_NOT_TCP;
	if (p[hl] == 0x0f || p[hl] == 0x8f)
		return PCAPIN_NOT_TCP; /* Cisco HDLC */
	if (p[hl] == 0xff) {
		if (cap < hl + 2 || rep < hl + 2)
			return PCAPIN_TRUNCATED;
		hl += 2;
	}
	return decode_ppp(p + hl, cap - hl, rep - hl, s, depth);
}

/* Whether UDP between these ports goes to the tunnel on port t: Wireshark
 * tries the lower port's dissector first, so t is taken when it is the
 * lower port, or the higher one beside an ephemeral (unregistered) port. */
static int udp_port_is(uint16_t sport, uint16_t dport, uint16_t t)
{
	uint16_t lo = sport < dport ? sport : dport, hi = sport < dport ? dport : sport;

	return lo == t || (hi == t && lo >= 1024);
}

/* UDP: only what carries TCP (GTP-U, GENEVE, L2TP). */
static enum pcapin_skip decode_udp(const uint8_t *p, uint32_t cap, uint32_t rep, struct tcpseg *s,
                                   int depth)
{
	uint16_t sport, dport;
	uint32_t ulen;
	int gtp, geneve, l2tp;

	if (cap < 8)
		return PCAPIN_TRUNCATED;
	sport = rd16(p);
	dport = rd16(p + 2);
	gtp = udp_port_is(sport, dport, 2152);
	geneve = udp_port_is(sport, dport, 6081);
	l2tp = udp_port_is(sport, dport, 1701);
	if (!gtp && !geneve && !l2tp)
		return PCAPIN_NOT_TCP;
	ulen = rd16(p + 4);
	if (ulen < 8)
		return PCAPIN_NOT_TCP;
	if (ulen < rep)
		rep = ulen;
	if (cap > rep)
		cap = rep;
	if (gtp)
		return decode_gtpu(p + 8, cap - 8, rep - 8, s, depth);
	if (l2tp)
		return decode_l2tp(p + 8, cap - 8, rep - 8, s, depth);
	return decode_geneve(p + 8, cap - 8, rep - 8, s, depth);
}

enum pcapin_skip pcapin_decode_frame(int dlt, const uint8_t *p, uint32_t caplen, uint32_t len,
                                     struct tcpseg *s)
{
	uint32_t rep = len > caplen ? len : caplen;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return PCAPIN_TRUNCATED;
		/* Cisco FabricPath (Wireshark's heuristic, before the ethertype): a
		 * 16-byte header (20 with an 802.1Q/802.1ad tag before it), then an
		 * Ethernet frame and its 4-byte FCS. */
		{
			uint32_t fp = rd16(p + 12) == 0x8903 ? 16
			              : (rd16(p + 12) == 0x8100 || rd16(p + 12) == 0x88a8) && caplen >= 18 &&
			                        rd16(p + 16) == 0x8903
			                ? 20
			                : 0;

			if (fp) {
				if (rep < fp + 4 + 14 || caplen < fp + 14)
					return PCAPIN_TRUNCATED;
				rep -= fp + 4;
				caplen -= fp;
				if (caplen > rep)
					caplen = rep;
				p += fp;
			}
		}
		return decode_ethertype(rd16(p + 12), p + 14, caplen - 14, rep - 14, s, 0);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return PCAPIN_TRUNCATED;
		return decode_ethertype(rd16(p + 14), p + 16, caplen - 16, rep - 16, s, 0);
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return PCAPIN_TRUNCATED;
		return decode_ethertype(rd16(p), p + 20, caplen - 20, rep - 20, s, 0);
#endif
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return decode_ip(p, caplen, rep, s, 0);
	case DLT_NULL:
	case DLT_LOOP:
		/* 4-byte address family: host order for NULL, network order for
		 * LOOP; the IP version nibble tells the rest. */
		if (caplen < 4)
			return PCAPIN_TRUNCATED;
		return decode_ip(p + 4, caplen - 4, rep - 4, s, 0);
	default:
		return PCAPIN_NOT_IP;
	}
}

enum pcapin_skip pcapin_decode(int dlt, const uint8_t *p, uint32_t caplen, struct tcpseg *s)
{
	return pcapin_decode_frame(dlt, p, caplen, caplen, s);
}
