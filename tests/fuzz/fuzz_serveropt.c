/* fuzz_serveropt: echod's command line; the input's NUL bytes separate the arguments. */
#include <stdlib.h>

#include "fuzz.h"
#include "serveropt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *storage, *argv[33], err[600];
	const char *stats = NULL;
	struct server_cfg cfg;
	int argc;

	if (size > 4096)
		return 0;
	storage = malloc(size + 1);
	if (!storage)
		return 0;
	argc = fuzz_argv(data, size, "echod", storage, argv, 33);
	if (serveropt_parse(argc, argv, &cfg, &stats, err, sizeof err) == SERVEROPT_RUN &&
	    cfg.mode == SERVER_EVENT && cfg.out_cap < 2)
		abort();
	free(storage);
	return 0;
}
