/* results: a run folder's results in memory, and the one module that reads and writes its
 * record files. run.json holds the run's identity (the hash of the scenario's canonical
 * expanded form, the --only filter, the shard) and the cells the folder expects; cells.jsonl
 * one record per finished cell, in the order they finished. The model lists the expected
 * cells in the scenario's order with their record, or none (missing), so that every writer
 * (summary.csv, junit.xml, the verdict, the report) says the same about completeness.
 * Resume, merge and report open a folder through here; a folder is written by one process
 * at a time (flock on its .lock). Cell folders are written under a temporary name and
 * renamed into place when complete. */
#ifndef PROBELOCK_RESULTS_H
#define PROBELOCK_RESULTS_H

#include <jansson.h>
#include <stddef.h>

#include "scenario.h"

#define RESULTS_FORMAT 1

/* A cell's verdict (its record's "verdict"): its expectations held, one failed, or the cell
 * broke (its client could not run, its capture could not be analysed). */
enum results_verdict { RESULTS_PASS, RESULTS_FAIL, RESULTS_ERROR };
#define RESULTS_NVERDICTS 3
/* The one name table of enum results_verdict, in its order, NULL after the last. */
extern const char *const results_verdict_names[];

struct results_cell {
	const char *id;    /* an expected cell, in the scenario's order */
	json_t *rec;       /* its record, or NULL: missing */
};

struct results {
	char dir[1024];
	json_t *run;                /* run.json */
	struct results_cell *cells; /* the expected cells */
	size_t ncells;
	size_t nran, npass, nfail, nerror;
	json_t *foreign;            /* records of cells this folder does not expect, or repeated */
	size_t ncut;                /* lines of cells.jsonl that are not whole records */
	int lockfd;                 /* -1 when not writing */
	FILE *jsonl;                /* open for appending while writing */
};

/* What a run selects: the --only filter (NULL: all) and the shard k of n (1/1: all). */
struct results_sel {
	const char *only;
	unsigned shard_k, shard_n;
};

/* The hash (64 hex digits) of the scenario's canonical expanded form: its name, every cell
 * with the normalised value of every key, and the expectations. Two files that expand to the
 * same cells (other comments, 64K written 65536) have the same identity. 0, or -1 with err. */
int results_identity(const struct scenario *sc, char hex[65], char *err, size_t errlen);

/* Whether cell i of sc belongs to the selection: 1 yes, 0 no, -1 with err on a bad filter. */
int results_selects(const struct scenario *sc, size_t i, const struct results_sel *sel, char *err,
                    size_t errlen);

/* Makes a new run folder root/<name>/<UTC time>[-N]/ (the name is taken atomically with
 * mkdir, so two runs started in the same second get two folders), locks it, copies the
 * scenario file into it, writes run.json with the cells given (ids, in the scenario's
 * order) and points root/latest at it. Returns 0, or -1 with err naming the file and cause. */
int results_create(struct results *r, const char *root, const struct scenario *sc,
                   const struct results_sel *sel, const char *const *ids, size_t nids,
                   const char *merged_from_json, char *err, size_t errlen);

/* Opens an existing run folder. With sc, checks that it is the folder of that scenario
 * (its identity, and the filter when sel_only is given) and returns -2 with err saying what
 * differs; with lock, takes the folder's lock for writing (-2 when another process holds
 * it) and opens cells.jsonl for appending after dropping a cut last line. Records of cells
 * the folder does not expect are kept apart (foreign). -1 with err when a file cannot be
 * read. warn, when not NULL, is called once per cut or unreadable line of cells.jsonl. */
typedef void (*results_warn_fn)(void *arg, const char *msg);
int results_open(struct results *r, const char *dir, const struct scenario *sc, int lock,
                 results_warn_fn warn, void *warn_arg, char *err, size_t errlen);

/* Releases everything (and the lock). */
void results_close(struct results *r);

/* Appends a cell's record as one line, flushed and synced, and attaches it to the model.
 * 0, or -1 with err naming cells.jsonl and the cause (ENOSPC: "No space left on device"). */
int results_append(struct results *r, json_t *rec, char *err, size_t errlen);

/* The cell folder's temporary path (cells/.ID.partial, emptied first) and its commit
 * (renamed to cells/ID, replacing an older one). 0, or -1 with err. */
int results_cell_begin(struct results *r, const char *id, char *path, size_t len, char *err,
                       size_t errlen);
int results_cell_commit(struct results *r, const char *id, char *err, size_t errlen);

/* Missing cells: expected, without a record. */
size_t results_missing(const struct results *r);

/* Whether the folder is whole: every expected cell ran, no foreign record. */
int results_complete(const struct results *r);

/* A JSON string value of run.json ("" when absent). */
const char *results_run_str(const struct results *r, const char *key);

/* Writes doc as dir/name atomically (a temporary file, checked, renamed). 0, or -1 with err. */
int results_write_json(const char *dir, const char *name, json_t *doc, char *err, size_t errlen);

/* One line per cell, for a reader that does not need the model: parses one cells.jsonl line
 * into a record (an object with a string "id"). NULL with err when it is not one. */
json_t *results_parse_line(const char *line, size_t len, char *err, size_t errlen);

/* A record's typed values, each read from its name with that name's one table:
 * its outcome (enum client_outcome) and what ended it (enum client_end), -1 when absent or not
 * a name of the table; its verdict, RESULTS_ERROR unless it says pass or fail; the causes of
 * its capture's stalls (analysis.stall_causes), 0 without a capture, words that name no cause
 * left out. */
int results_outcome(json_t *rec);
int results_ended_by(json_t *rec);
enum results_verdict results_verdict(json_t *rec);
stall_cause_set results_causes(json_t *rec);

#endif
