/* fuzz_scenario: the scenario loader (libyaml, schema, matrix expansion) on
 * any bytes; a valid scenario's filters are checked, and its cells configured,
 * filtered and checked. */
#include <stdlib.h>
#include <unistd.h>

#include "client.h"
#include "fuzz.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[600], why[256];
	int fd = fuzz_memfile(data, size, path, sizeof path);
	struct scenario *sc;

	if (fd < 0)
		return 0;
	sc = scenario_load(path, err, sizeof err);
	if (sc && sc->nerrors == 0) {
		(void)scenario_filter_check(sc, "client.mode=blocking,client.payload=64K", err, sizeof err);
		(void)scenario_filter_check(sc, "client.keepalive=5s,1s,3,target.kind=lwip", err, sizeof err);
		for (size_t i = 0; i < sc->ncells && i < 64; i++) {
			struct cellcfg cfg;
			int failed = 0;

			scenario_cell_config(sc, &sc->cells[i], &cfg);
			(void)scenario_cell_value(sc, &sc->cells[i], "client.payload");
			(void)scenario_cell_matches(sc, &sc->cells[i], "client.mode=blocking,client.payload=64K",
			                            err, sizeof err);
			(void)scenario_check(sc, &sc->cells[i], CLIENT_DEADLOCK, STALL_CAUSE_BIT(STALL_PROBE_DEADLOCK),
			                     CLIENT_END_DETECTOR, &failed, why, sizeof why);
		}
	}
	scenario_free(sc);
	close(fd);
	return 0;
}
