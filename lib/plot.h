/* plot: time-sequence graphs (gnuplot) of the connections of an analysed capture. */
#ifndef PROBELOCK_PLOT_H
#define PROBELOCK_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "analysis.h"

#define PLOT_MAX_CONNS 32

/* Writes into dir (created if missing), for each connection (the ones with
 * stalls first, at most PLOT_MAX_CONNS): conn-N-a.dat and conn-N-b.dat (one
 * line per segment of each direction), conn-N.gp, and runs gnuplot to render
 * conn-N.png: per direction, data segments, the peer's ACK line and the edge
 * of its advertised window, probes marked, stalls shaded; beside the whole
 * connection, a zoom from just before the first stall's onset to its second
 * probe, when that window is at most half the connection. Draws the segments the
 * analysis kept (an->cfg.series must be set): the capture is read once. Returns the
 * number of graphs, or -1 with err. */
int plot_connections(const struct analysis *an, const char *dir, char *err, size_t errlen);

/* Runs gnuplot on script with dir as its working directory (and fmt='FMT' when fmt is
 * not NULL), through proc_spawn. Returns 0 or -1 with err. gnuplot's messages (its
 * warnings too) are appended to dir/gnuplot.log; the file is removed when it stays empty. */
int plot_run_gnuplot(const char *dir, const char *script, const char *fmt, char *err, size_t errlen);

/* Renders script to PNG and to SVG. */
int plot_render(const char *dir, const char *script, char *err, size_t errlen);

/* Writes the lines that make a script render BASE.png, or BASE.svg when run
 * with -e "fmt='svg'". */
void plot_terminal(FILE *f, const char *base, int width, int height);

#endif
