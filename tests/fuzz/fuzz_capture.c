/* fuzz_capture: the capture analysis on whole files (libpcap reads pcap and
 * pcapng; ours decodes, analyses, tracks stalls, keeps excerpts), then the
 * JSON document and the text report of whatever was read. */
#include <stdio.h>
#include <unistd.h>

#include "analysis.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[600];
	int fd = fuzz_memfile(data, size, path, sizeof path);
	struct analysis_cfg cfg = { .stall_threshold_ns = 200000000, .excerpt = 1 };
	struct analysis *an;

	if (fd < 0)
		return 0;
	an = analysis_run(path, &cfg, err, sizeof err);
	if (an) {
		FILE *devnull = fopen("/dev/null", "w");
		json_t *doc = analysis_to_json(an);

		json_decref(doc);
		if (devnull) {
			analysis_print(an, devnull);
			analysis_print_excerpts(an, devnull);
			fclose(devnull);
		}
		analysis_free(an);
	}
	close(fd);
	return 0;
}
