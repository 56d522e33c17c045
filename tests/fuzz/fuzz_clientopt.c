/* fuzz_clientopt: tcpecho's command line; the input's NUL bytes separate the
 * arguments. A parse that says "run" must give a usable configuration. */
#include <stdlib.h>

#include "clientopt.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *storage, *argv[33], err[600];
	struct client_cfg cfg;
	int argc;

	if (size > 4096)
		return 0;
	storage = malloc(size + 1);
	if (!storage)
		return 0;
	argc = fuzz_argv(data, size, "tcpecho", storage, argv, 33);
	if (clientopt_parse(argc, argv, &cfg, err, sizeof err) == CLIENTOPT_RUN && !cfg.host)
		abort();
	free(storage);
	return 0;
}
