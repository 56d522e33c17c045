/* baseline: what the link itself carries, measured with iperf3 (and iperf2,
 * which lwIP's lwiperf speaks) on each target a run uses, before its cells. */
#ifndef PROBELOCK_BASELINE_H
#define PROBELOCK_BASELINE_H

#include <stddef.h>

#include "scenario.h"

/* A name for a cell's target configuration: "loopback", "netns rate=12500000
 * mtu=0 loss=0", "remote 198.18.0.2". Cells with the same name share a baseline. */
void baseline_target_key(const struct cellcfg *c, char *out, size_t len);

/* Measures every distinct target among cells[0..n) whose configuration asks
 * for a baseline; writes rundir/baseline.json
 *   {"targets": [{"target", "tool", "mbps", "duration_s"}], "warnings": [...],
 *    "none": why}   ("none" only when no measurement succeeded: the warnings, joined).
 * tag names the namespaces it creates. Missing iperf on a remote DUT is a
 * warning; a local measurement that fails is an error (-1, err says which). */
int baseline_run(const char *rundir, const struct scenario *sc, const unsigned *cells, size_t n,
                 const char *tag, const char *bin_dir, char *err, size_t errlen);

/* The iperf3 (else iperf2) Mbit/s measured for a cell's target, or 0. */
double baseline_mbps_for(const char *rundir, const struct cellcfg *c);

#endif
