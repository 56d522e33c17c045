/* merge: probelock merge: the run folders of one scenario's shards joined into one. */
#ifndef PROBELOCK_MERGE_H
#define PROBELOCK_MERGE_H

#include <stddef.h>

#include "scenario.h"

/* Joins run folders of one scenario (its identity checked, the same --only) into a new run
 * under results_root: run.json expecting every cell of the selection whatever shard ran it,
 * cells.jsonl, cells/<id>/, env.json with each shard's command, the reports. A cell present
 * twice is taken once (the first folder given). Returns 0 when every expected cell is there
 * and held, 1 when some failed, broke or are missing, -2 (err) when the folders are not of
 * one run, -1 (err) on a file error; out gets the new folder. */
int merge_runs(char *const dirs[], int n, const struct scenario *sc, const char *results_root,
               const char *cmdline, char *out, size_t outlen, char *err, size_t errlen);

/* The shards "K/N" that none of the folders ran ("" when all are there or unknown). */
void merge_missing_shards(char *const dirs[], int n, char *out, size_t len);

#endif
