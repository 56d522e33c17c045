/* merge: the run folders of one scenario's shards joined into one run folder. */
#include "merge.h"
#include "fsutil.h"
#include "proc.h"
#include "report.h"
#include "summary.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The reproduction of a merged run: each shard's command, then the merge. */
static json_t *merged_env(struct results *in, int n, const char *cmdline)
{
	char path[1200];
	json_t *env, *from = json_array();
	char *cmd = NULL;
	size_t cl = 0;
	FILE *f = open_memstream(&cmd, &cl);

	snprintf(path, sizeof path, "%s/env.json", in[0].dir);
	env = json_load_file(path, 0, NULL);
	if (!json_is_object(env)) {
		json_decref(env);
		env = json_object();
	}
	for (int i = 0; i < n; i++) {
		json_t *e;

		snprintf(path, sizeof path, "%s/env.json", in[i].dir);
		e = json_load_file(path, 0, NULL);
		json_array_append_new(from, json_pack("{s:s, s:s, s:s}", "dir", in[i].dir, "shard",
		                                      results_run_str(&in[i], "shard"), "command",
		                                      json_string_value(json_object_get(e, "command")) ?: ""));
		if (f)
			fprintf(f, "%s\n", json_string_value(json_object_get(e, "command")) ?: "(unknown command)");
		json_decref(e);
	}
	if (f) {
		fprintf(f, "%s", cmdline && *cmdline ? cmdline : "probelock merge ...");
		fclose(f);
		json_object_set_new(env, "command", json_string(cmd ? cmd : ""));
	}
	free(cmd);
	json_object_set_new(env, "merged_from", from);
	return env;
}

/* Opens the folders given: every one of this scenario's identity (sc is the first folder's)
 * and of one selection, none given twice. 0, -2 (err) when they are not of one run, -1 (err)
 * when a file cannot be read. */
static int open_inputs(struct results *in, char *const dirs[], int n, const struct scenario *sc, char *err,
                       size_t errlen)
{
	for (int i = 0; i < n; i++) {
		int orc = results_open(&in[i], dirs[i], sc, 0, NULL, NULL, err, errlen);

		if (orc == -2 && json_is_object(in[i].run) && strcmp(results_run_str(&in[i], "scenario"), sc->name) != 0) {
			snprintf(err, errlen, "%s holds the results of scenario '%s', %s those of scenario '%s': only the "
			         "shards of one scenario's run can be merged", in[0].dir, sc->name, in[i].dir,
			         results_run_str(&in[i], "scenario"));
			return -2;
		}
		if (orc < 0)
			return orc;
		if (strcmp(results_run_str(&in[i], "only"), results_run_str(&in[0], "only")) != 0) {
			snprintf(err, errlen, "%s was run with --only '%s', %s with --only '%s': not shards of one run",
			         in[0].dir, results_run_str(&in[0], "only"), in[i].dir, results_run_str(&in[i], "only"));
			return -2;
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(in[i].dir, in[j].dir)) {
				snprintf(err, errlen, "%s given twice", in[i].dir);
				return -2;
			}
	}
	return 0;
}

/* The merged folder m: expecting every cell of the selection, whatever shard ran it, with an
 * env.json that reproduces it. 0, or -1 with err. */
static int create_merged(struct results *m, struct results *in, int n, const struct scenario *sc,
                         const char *results_root, const char *cmdline, char *err, size_t errlen)
{
	struct results_sel sel = { NULL, 1, 1 };
	const char **ids = calloc(sc->ncells ? sc->ncells : 1, sizeof *ids);
	json_t *from = json_array(), *env;
	size_t nids = 0;
	char *fs;
	int rc;

	if (!ids) {
		json_decref(from);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (*results_run_str(&in[0], "only"))
		sel.only = results_run_str(&in[0], "only");
	for (size_t i = 0; i < sc->ncells; i++)
		if (results_selects(sc, i, &sel, err, errlen) == 1)
			ids[nids++] = sc->cells[i].id;
	for (int i = 0; i < n; i++)
		json_array_append_new(from, json_string(in[i].dir));
	fs = json_dumps(from, JSON_COMPACT);
	json_decref(from);
	rc = results_create(m, results_root, sc, &sel, ids, nids, fs, err, errlen);
	free(fs);
	free(ids);
	if (rc < 0)
		return -1;
	env = merged_env(in, n, cmdline);
	rc = results_write_json(m->dir, "env.json", env, err, errlen);
	json_decref(env);
	return rc;
}

/* Each expected cell's folder and record from the first folder given that ran it, in the
 * scenario's order. 0, or -1 with err. */
static int copy_cells(struct results *m, struct results *in, int n, char *err, size_t errlen)
{
	for (size_t c = 0; c < m->ncells; c++) {
		for (int i = 0; i < n; i++) {
			struct results_cell *src = NULL;
			char from[1300], part[1300];

			for (size_t k = 0; k < in[i].ncells; k++)
				if (in[i].cells[k].rec && !strcmp(in[i].cells[k].id, m->cells[c].id))
					src = &in[i].cells[k];
			if (!src)
				continue;
			snprintf(from, sizeof from, "%s/cells/%s", in[i].dir, src->id);
			if (access(from, F_OK) == 0) {
				char *cp[] = { "cp", "-a", "-T", from, part, NULL };

				if (results_cell_begin(m, src->id, part, sizeof part, err, errlen) < 0 ||
				    proc_run(cp, NULL, "cp", err, errlen) != 0 || results_cell_commit(m, src->id, err, errlen) < 0)
					return -1;
			}
			if (results_append(m, src->rec, err, errlen) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

int merge_runs(char *const dirs[], int n, const struct scenario *sc, const char *results_root,
                 const char *cmdline, char *out, size_t outlen, char *err, size_t errlen)
{
	struct results *in = calloc((size_t)n, sizeof *in), m = { .lockfd = -1 };
	int rc;

	out[0] = 0;
	if (!in) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++)
		in[i].lockfd = -1;
	rc = open_inputs(in, dirs, n, sc, err, errlen);
	if (rc == 0 && create_merged(&m, in, n, sc, results_root, cmdline, err, errlen) < 0)
		rc = -1;
	if (rc == 0) {
		if (copy_cells(&m, in, n, err, errlen) < 0 || summary_write(&m, sc, err, errlen) < 0 ||
		    report_generate(&m, sc, err, errlen) < 0)
			rc = -1;
		snprintf(out, outlen, "%s", m.dir);
	}
	if (rc == 0)
		rc = m.nfail || m.nerror || !results_complete(&m) ? 1 : 0;
	results_close(&m);
	for (int i = 0; i < n; i++)
		results_close(&in[i]);
	free(in);
	return rc;
}

/* The shards a merge lacks, "2/3, 3/3", from the shards of the folders given ("" when none
 * or when they were not shards of one count). */
void merge_missing_shards(char *const dirs[], int n, char *out, size_t len)
{
	unsigned count = 0, have[256] = { 0 };
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; i < n; i++) {
		char path[1200];
		json_t *run;
		unsigned k = 0, c = 0;

		snprintf(path, sizeof path, "%s/run.json", dirs[i]);
		run = json_load_file(path, 0, NULL);
		if (sscanf(json_string_value(json_object_get(run, "shard")) ?: "", "%u/%u", &k, &c) == 2 && c <= 256 &&
		    k >= 1 && k <= c && (!count || count == c)) {
			count = c;
			have[k - 1] = 1;
		}
		json_decref(run);
	}
	for (unsigned k = 1; k <= count && o + 16 < len; k++)
		if (!have[k - 1])
			o += (size_t)snprintf(out + o, len - o, "%s%u/%u", o ? ", " : "", k, count);
}
