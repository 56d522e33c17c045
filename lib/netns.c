/* netns: network namespaces by name (ip netns). */
#include "netns.h"
#include "proc.h"

#include <stdio.h>
#include <unistd.h>

int netns_exists(const char *name)
{
	char p[300];

	snprintf(p, sizeof p, "/run/netns/%s", name);
	return access(p, F_OK) == 0;
}

int netns_delete(const char *name, char *err, size_t errlen)
{
	char *argv[] = { "ip", "netns", "delete", (char *)name, NULL };

	if (!netns_exists(name))
		return 0;
	return proc_run(argv, NULL, "ip netns delete", err, errlen) == 0 ? 0 : -1;
}
