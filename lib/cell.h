/* cell: one cell's life (see cell.c): target up, programs started, the wait, the collection
 * of what they wrote, the capture's analysis, the verdict, the record. */
#ifndef PROBELOCK_CELL_H
#define PROBELOCK_CELL_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

#include "results.h"
#include "scenario.h"

struct cell_ctx {
	const struct scenario *sc;
	struct results *res;          /* the run folder: the cell's folder is made in it */
	const char *dir;              /* res->dir */
	const char *tag;              /* names of what the run creates (namespaces, registry) */
	const char *bin_dir;          /* where echod, tcpecho and lwip-echod are */
	volatile sig_atomic_t *stop;  /* set by a signal: the cell stops and everything it made goes */
	char err[1024];               /* why, when cell_run returns -1 */
};

/* Runs one cell into its folder (cells/.ID.partial until results_cell_commit). Returns 0
 * with *line its record, -1 on an infrastructure error (r->err names the step and the file;
 * the half folder is removed), -2 when *r->stop was set (the half folder is removed too). */
int cell_run(struct cell_ctx *r, const struct scenario_cell *cell, json_t **line);

#endif
