/* fuzz_units: the size, duration, rate, integer and port parsers on any text;
 * what a parser accepts must be inside the bounds it was given. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128], err[256];
	uint64_t v;
	uint16_t port;

	if (size >= sizeof s)
		size = sizeof s - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (units_parse_size(s, 1, 1ull << 40, &v, err, sizeof err) == 0 && (v < 1 || v > 1ull << 40))
		abort();
	if (units_parse_duration(s, 1000000, 1000, 86400000000ull, &v, err, sizeof err) == 0 &&
	    (v < 1000 || v > 86400000000ull))
		abort();
	if (units_parse_duration(s, 1000, 0, UINT64_MAX, &v, err, sizeof err) == 0)
		(void)v;
	if (units_parse_uint(s, 2, 1000, &v, err, sizeof err) == 0 && (v < 2 || v > 1000))
		abort();
	if (units_parse_rate(s, 1ull << 40, &v, err, sizeof err) == 0 && v > 1ull << 40)
		abort();
	(void)units_parse_port(s, &port, err, sizeof err);
	return 0;
}
