/* lwipmode: lwip-echod's modes and their names (see lwipmode.h). */
#include "lwipmode.h"
#include "optutil.h"

static const char *const names[LWIP_NMODES] = { "echo", "stall", "discard" };

const char *lwip_mode_name(enum lwip_mode m)
{
	return optutil_name(names, LWIP_NMODES, (unsigned)m);
}

int lwip_mode_parse(const char *s, enum lwip_mode *out)
{
	int i = optutil_lookup(names, LWIP_NMODES, s);

	if (i < 0)
		return -1;
	*out = (enum lwip_mode)i;
	return 0;
}
