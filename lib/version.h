/* version: the one version string of every probelock program. */
#ifndef PROBELOCK_VERSION_H
#define PROBELOCK_VERSION_H

#define PROBELOCK_VERSION "0.1.0"

#endif
