/* test_decode: pcapin_decode on crafted frames: link types, IPv4/IPv6,
 * extension headers, fragments, and every kind of cut or contradictory length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "pcapin.h"

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* A TCP header (with a window scale option when ws >= 0) at p; returns its length. */
static size_t tcp(uint8_t *p, int ws)
{
	size_t hl = ws >= 0 ? 24 : 20;

	memset(p, 0, hl);
	put16(p, 40000);
	put16(p + 2, 7);
	put32(p + 4, 1000);
	put32(p + 8, 5000);
	p[12] = (uint8_t)((hl / 4) << 4);
	p[13] = 0x12; /* SYN|ACK */
	put16(p + 14, 29200);
	if (ws >= 0) {
		p[20] = 3;
		p[21] = 3;
		p[22] = (uint8_t)ws;
		p[23] = 0;
	}
	return hl;
}

/* IPv4 header + TCP (+ payload bytes) at p; returns bytes written. */
static size_t ipv4(uint8_t *p, uint8_t proto, uint16_t frag, size_t payload)
{
	size_t t;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[8] = 64;
	p[9] = proto;
	put16(p + 6, frag);
	p[12] = 198; p[13] = 18; p[14] = 0; p[15] = 1;
	p[16] = 198; p[17] = 18; p[18] = 0; p[19] = 2;
	t = tcp(p + 20, 7);
	memset(p + 20 + t, 0xab, payload);
	put16(p + 2, (uint16_t)(20 + t + payload));
	return 20 + t + payload;
}

static size_t eth(uint8_t *p, uint16_t type)
{
	memset(p, 0, 12);
	put16(p + 12, type);
	return 14;
}

static void test_ethernet_ipv4(void **st)
{
	uint8_t f[200];
	struct tcpseg s;
	size_t n;

	(void)st;
	n = eth(f, 0x0800);
	n += ipv4(f + n, 6, 0x4000, 100);
	memset(&s, 0, sizeof s);
	assert_int_equal(pcapin_decode(DLT_EN10MB, f, (uint32_t)n, &s), PCAPIN_OK);
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.sport, 40000);
	assert_int_equal(s.dport, 7);
	assert_int_equal(s.seq, 1000);
	assert_int_equal(s.ack, 5000);
	assert_int_equal(s.flags, TH_SYN | TH_ACK);
	assert_int_equal(s.window, 29200);
	assert_int_equal(s.seglen, 100);
	assert_int_equal(s.wscale, 7);
	assert_true(s.opts_captured);
	/* Cut by a small snaplen inside the payload: the length still comes from IP. */
	assert_int_equal(pcapin_decode_frame(DLT_EN10MB, f, 14 + 20 + 24 + 10, (uint32_t)n, &s), PCAPIN_OK);
	assert_int_equal(s.seglen, 100);
	/* Cut inside the TCP options: decoded, options unknown. */
	assert_int_equal(pcapin_decode_frame(DLT_EN10MB, f, 14 + 20 + 22, (uint32_t)n, &s), PCAPIN_OK);
	assert_false(s.opts_captured);
	/* A frame shorter than its IP total length: the payload is what the
	 * frame holds (Wireshark); a total length of 0 is TSO's: the same. */
	put16(f + 14 + 2, 1400);
	assert_int_equal(pcapin_decode(DLT_EN10MB, f, (uint32_t)n, &s), PCAPIN_OK);
	assert_int_equal(s.seglen, 100);
	put16(f + 14 + 2, 0);
	assert_int_equal(pcapin_decode_frame(DLT_EN10MB, f, 14 + 20 + 24 + 10, (uint32_t)n, &s), PCAPIN_OK);
	assert_int_equal(s.seglen, 100);
	/* Cut inside the fixed TCP header: that one is truncated. */
	assert_int_equal(pcapin_decode_frame(DLT_EN10MB, f, 14 + 20 + 19, (uint32_t)n, &s), PCAPIN_TRUNCATED);
	assert_int_equal(pcapin_decode_frame(DLT_EN10MB, f, 14 + 19, (uint32_t)n, &s), PCAPIN_TRUNCATED);
	assert_int_equal(pcapin_decode_frame(DLT_EN10MB, f, 13, (uint32_t)n, &s), PCAPIN_TRUNCATED);
}

static void test_other_link_types(void **st)
{
	uint8_t f[200], ip[120];
	struct tcpseg s;
	size_t n = ipv4(ip, 6, 0, 0);

	(void)st;
	/* VLAN tagged Ethernet */
	eth(f, 0x8100);
	put16(f + 14, 5);
	put16(f + 16, 0x0800);
	memcpy(f + 18, ip, n);
	assert_int_equal(pcapin_decode(DLT_EN10MB, f, (uint32_t)(18 + n), &s), PCAPIN_OK);
	/* Linux cooked v1: protocol at 14 */
	memset(f, 0, 16);
	put16(f + 14, 0x0800);
	memcpy(f + 16, ip, n);
	assert_int_equal(pcapin_decode(DLT_LINUX_SLL, f, (uint32_t)(16 + n), &s), PCAPIN_OK);
	/* Linux cooked v2: protocol first, 20-byte header */
	memset(f, 0, 20);
	put16(f, 0x0800);
	memcpy(f + 20, ip, n);
	assert_int_equal(pcapin_decode(DLT_LINUX_SLL2, f, (uint32_t)(20 + n), &s), PCAPIN_OK);
	/* BSD loopback: 4-byte family, then IP */
	memset(f, 0, 4);
	f[0] = 2;
	memcpy(f + 4, ip, n);
	assert_int_equal(pcapin_decode(DLT_NULL, f, (uint32_t)(4 + n), &s), PCAPIN_OK);
	/* Raw IP */
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_OK);
	/* ARP, and an unknown link type */
	eth(f, 0x0806);
	assert_int_equal(pcapin_decode(DLT_EN10MB, f, 60, &s), PCAPIN_NOT_IP);
	assert_int_equal(pcapin_decode(DLT_IEEE802_11, ip, (uint32_t)n, &s), PCAPIN_NOT_IP);
}

static void test_ipv4_oddities(void **st)
{
	uint8_t ip[120];
	struct tcpseg s;
	size_t n;

	(void)st;
	n = ipv4(ip, 17, 0, 0);
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_NOT_TCP);
	n = ipv4(ip, 6, 0x0010, 0); /* fragment offset 16*8 */
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_FRAGMENT);
	n = ipv4(ip, 6, 0x2000, 0); /* first fragment, more to come */
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_FRAGMENT);
	n = ipv4(ip, 6, 0, 0);
	ip[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_MALFORMED);
	n = ipv4(ip, 6, 0, 0);
	put16(ip + 2, 18); /* total length below the header length */
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_MALFORMED);
	n = ipv4(ip, 6, 0, 0);
	put16(ip + 2, 30); /* not even the fixed TCP header within the IP length */
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_MALFORMED);
	put16(ip + 2, 42); /* TCP header longer than what IP says: tracked, length unknown */
	memset(&s, 0, sizeof s);
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_OK);
	assert_true(s.no_seglen);
	assert_false(s.opts_captured);
	n = ipv4(ip, 6, 0, 0);
	ip[20 + 12] = 0x40; /* TCP header length 16: analysed with 24 - 16 bytes, then Wireshark stops */
	memset(&s, 0, sizeof s);
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_OK);
	assert_true(s.bad_hlen);
	assert_int_equal(s.seglen, 8);
	n = ipv4(ip, 6, 0, 0);
	ip[20 + 22] = 200; /* window scale 200: clamped to 14 (RFC 7323) */
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_OK);
	assert_int_equal(s.wscale, 14);
	n = ipv4(ip, 6, 0, 0);
	ip[20 + 21] = 40; /* option length past the header: options ignored */
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_OK);
	assert_int_equal(s.wscale, -1);
	ip[0] = 0x55; /* IP version 5 */
	assert_int_equal(pcapin_decode(DLT_RAW, ip, (uint32_t)n, &s), PCAPIN_NOT_IP);
	assert_int_equal(pcapin_decode(DLT_RAW, ip, 0, &s), PCAPIN_TRUNCATED);
}

/* IPv6 header with ext extension-header bytes (next header chain given) before TCP. */
static size_t ipv6(uint8_t *p, uint8_t first_next, const uint8_t *ext, size_t extlen)
{
	size_t t;

	memset(p, 0, 40);
	p[0] = 0x60;
	p[6] = first_next;
	p[7] = 64;
	p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 1;
	p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8; p[39] = 2;
	if (extlen)
		memcpy(p + 40, ext, extlen);
	t = tcp(p + 40 + extlen, -1);
	put16(p + 4, (uint16_t)(extlen + t));
	return 40 + extlen + t;
}

static void test_ipv6(void **st)
{
	static const uint8_t hbh[8] = { 6, 0, 1, 4, 0, 0, 0, 0 };
	static const uint8_t frag_first[8] = { 6, 0, 0, 0, 0, 0, 0, 1 };  /* offset 0, M=0 */
	static const uint8_t frag_later[8] = { 6, 0, 0x01, 0x00, 0, 0, 0, 1 };
	static const uint8_t hbh_long[8] = { 6, 9, 1, 4, 0, 0, 0, 0 };      /* 80 bytes claimed */
	uint8_t p[200];
	struct tcpseg s;
	size_t n;

	(void)st;
	n = ipv6(p, 6, NULL, 0);
	assert_int_equal(pcapin_decode(DLT_RAW, p, (uint32_t)n, &s), PCAPIN_OK);
	assert_int_equal(s.family, AF_INET6);
	assert_int_equal(s.src[15], 1);
	assert_int_equal(s.dst[15], 2);
	assert_int_equal(s.seglen, 0);
	n = ipv6(p, 0, hbh, sizeof hbh);
	assert_int_equal(pcapin_decode(DLT_RAW, p, (uint32_t)n, &s), PCAPIN_OK);
	assert_int_equal(s.sport, 40000);
	n = ipv6(p, 44, frag_first, sizeof frag_first);
	assert_int_equal(pcapin_decode(DLT_RAW, p, (uint32_t)n, &s), PCAPIN_OK);
	n = ipv6(p, 44, frag_later, sizeof frag_later);
	assert_int_equal(pcapin_decode(DLT_RAW, p, (uint32_t)n, &s), PCAPIN_FRAGMENT);
	n = ipv6(p, 0, hbh_long, sizeof hbh_long);
	assert_int_equal(pcapin_decode(DLT_RAW, p, (uint32_t)n, &s), PCAPIN_MALFORMED);
	n = ipv6(p, 17, NULL, 0);
	assert_int_equal(pcapin_decode(DLT_RAW, p, (uint32_t)n, &s), PCAPIN_NOT_TCP);
	n = ipv6(p, 0, hbh, sizeof hbh);
	assert_int_equal(pcapin_decode_frame(DLT_RAW, p, 44, (uint32_t)n, &s), PCAPIN_TRUNCATED);
	assert_int_equal(pcapin_decode_frame(DLT_RAW, p, 39, (uint32_t)n, &s), PCAPIN_TRUNCATED);
	/* A frame that ends inside the extension header it announces. */
	assert_int_equal(pcapin_decode(DLT_RAW, p, 44, &s), PCAPIN_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4),
		cmocka_unit_test(test_other_link_types),
		cmocka_unit_test(test_ipv4_oddities),
		cmocka_unit_test(test_ipv6),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
