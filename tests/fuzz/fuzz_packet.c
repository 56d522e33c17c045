/* fuzz_packet: one frame through the decoder (the first byte picks the link
 * type) and, when it is TCP, through the analyser twice (a duplicate). */
#include <pcap/dlt.h>
#include <string.h>

#include "fuzz.h"
#include "pcapin.h"
#include "tcpana.h"

static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                            DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcpseg seg;
	struct tcpana *ta;

	if (size < 1)
		return 0;
	memset(&seg, 0, sizeof seg);
	if (pcapin_decode(dlts[data[0] % (sizeof dlts / sizeof dlts[0])], data + 1, (uint32_t)(size - 1),
	                  &seg) != PCAPIN_OK)
		return 0;
	ta = tcpana_new();
	if (ta) {
		struct tcpana_pkt out;

		seg.num = 1;
		tcpana_feed(ta, &seg, &out);
		seg.num = 2;
		seg.t_ns += 1000;
		tcpana_feed(ta, &seg, &out);
		tcpana_free(ta, NULL);
	}
	return 0;
}
