/* pcapin: reads pcap/pcapng files with libpcap, packet by packet, and hands
 * each frame to the decoders (lib/pcapin_decode.c: down to the TCP header);
 * counts what was skipped and why, and where reading stopped. */
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
	long off0;         /* where the first record starts (after the file's header
	                    * blocks, for pcapng) */
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
	FILE *fp;

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
	fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(in);
		return NULL;
	}
	/* A large buffer: fewer reads. */
	setvbuf(fp, NULL, _IOFBF, 256 * 1024);
	in->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!in->p) {
		/* libpcap's words for a file that is not a capture: "unknown file
		 * format"; for a cut header: "truncated dump file". */
		snprintf(err, errlen, "%s: offset 0: %s", path, perr);
		fclose(fp);
		free(in);
		return NULL;
	}
	in->off0 = ftell(fp);
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

static uint32_t get32(const unsigned char *b, int swap)
{
	return swap ? (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0]
	            : (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Where reading stopped: the end of the n-th packet record (pcap) or packet
 * block (pcapng), found by walking the file again, so that no packet pays
 * for an ftell (a system call). start: where the first record starts. */
static long stop_offset(const char *path, uint64_t n, long start)
{
	unsigned char b[24];
	long off = start;
	uint64_t k = 0;
	FILE *f;
	int swap, ng;

	if (n == 0 || !(f = fopen(path, "rb")))
		return start;
	if (fread(b, 1, 4, f) != 4)
		goto out;
	ng = get32(b, 0) == 0x0a0d0d0a;
	swap = get32(b, 0) == 0xd4c3b2a1 || get32(b, 0) == 0x4d3cb2a1 || get32(b, 0) == 0x34cdb2a1;
	if (!ng) {
		unsigned hdr = get32(b, swap) == 0xa1b2cd34 ? 24 : 16, major, minor;

		/* Files of libpcap before 2.3 have caplen and len swapped, 2.3
		 * maybe (libpcap's lengths_swapped). */
		if (fread(b, 1, 4, f) != 4)
			goto out;
		major = swap ? (unsigned)(b[1] << 8 | b[0]) : (unsigned)(b[0] << 8 | b[1]);
		minor = swap ? (unsigned)(b[3] << 8 | b[2]) : (unsigned)(b[2] << 8 | b[3]);
		for (off = 24; k < n; k++) {
			uint32_t caplen, len;

			if (fseek(f, off, SEEK_SET) != 0 || fread(b, 1, 16, f) != 16)
				break;
			caplen = get32(b + 8, swap);
			len = get32(b + 12, swap);
			if (major == 2 && (minor < 3 || (minor == 3 && caplen > len)))
				caplen = len;
			off += (long)hdr + (long)caplen;
		}
	} else {
		for (off = 0; k < n;) {
			uint32_t type, len;

			if (fseek(f, off, SEEK_SET) != 0 || fread(b, 1, 12, f) != 12)
				break;
			if (get32(b, 0) == 0x0a0d0d0a) /* a section header says its byte order */
				swap = get32(b + 8, 0) == 0x4d3c2b1a;
			type = get32(b, swap);
			len = get32(b + 4, swap);
			if (len < 12)
				break;
			off += (long)len;
			if (type == 6 || type == 3 || type == 2) /* enhanced, simple, obsolete packet */
				k++;
		}
	}
out:
	fclose(f);
	return off;
}

int pcapin_next(struct pcapin *in, struct tcpseg *seg, char *err, size_t errlen)
{
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		enum pcapin_skip why;
		int rc = pcap_next_ex(in->p, &h, &data);

		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc < 0) {
			const char *msg = pcap_geterr(in->p);

			/* libpcap reads a pcapng whose interfaces share one link type and
			 * snaplen; for others, say what to do. */
			snprintf(err, errlen, "%s: offset %ld: %s%s", in->path,
			         stop_offset(in->path, in->packets, in->off0), msg,
			         strstr(msg, "different from the") && strstr(msg, "first interface")
			                 ? " (libpcap reads one link type and snaplen per file: split the "
			                   "capture per interface first, e.g. tshark -r FILE -Y "
			                   "'frame.interface_id == 0' -w if0.pcapng)"
			                 : "");
			return -1;
		}
		in->packets++;
		memset(seg, 0, sizeof *seg);
		why = pcapin_decode_frame(in->dlt, data, h->caplen, h->len, seg);
		if (why != PCAPIN_OK) {
			in->skipped[why]++;
			continue;
		}
		seg->num = in->packets;
		/* Nanosecond precision. Seconds are kept within [0, 4.6e9] (up to the
		 * year 2115), so that every time and every difference of two fits in
		 * an int64_t (a fuzzed pcapng can say anything). */
		{
			int64_t sec = (int64_t)h->ts.tv_sec;

			sec = sec < 0 ? 0 : sec > 4600000000 ? 4600000000 : sec;
			seg->t_ns = sec * 1000000000 + (int64_t)(h->ts.tv_usec % 1000000000);
		}
		return 1;
	}
}
