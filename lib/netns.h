/* netns: network namespaces by name (ip netns), below netenv (which makes them) and
 * envreg (which removes what a run left). */
#ifndef PROBELOCK_NETNS_H
#define PROBELOCK_NETNS_H

#include <stddef.h>

/* Whether the network namespace name exists. */
int netns_exists(const char *name);
/* Deletes it: 0 (also when it does not exist), or -1 with err naming the command. */
int netns_delete(const char *name, char *err, size_t errlen);

#endif
