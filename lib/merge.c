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

int merge_runs(char *const dirs[], int n, const struct scenario *sc, const char *results_root,
                 const char *cmdline, char *out, size_t outlen, char *err, size_t errlen)
{
	struct results *in = calloc((size_t)n, sizeof *in), m;
	struct results_sel sel = { NULL, 1, 1 };
	const char **ids = calloc(sc->ncells ? sc->ncells : 1, sizeof *ids);
	size_t nids = 0;
	json_t *env;
	int rc = 0;

	memset(&m, 0, sizeof m);
	m.lockfd = -1;
	out[0] = 0;
	if (!in || !ids) {
		free(in);
		free(ids);
		snprintf(err, errlen, "merge: out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++)
		in[i].lockfd = -1;
	/* Every folder of this scenario's identity and of one selection. */
	for (int i = 0; i < n && rc == 0; i++) {
		int orc = results_open(&in[i], dirs[i], sc, 0, NULL, NULL, err, errlen);

		if (orc < 0)
			rc = orc;
		else if (strcmp(results_run_str(&in[i], "only"), results_run_str(&in[0], "only")) != 0) {
			snprintf(err, errlen, "merge: %s was run with --only '%s', %s with --only '%s': not shards of one run",
			         in[0].dir, results_run_str(&in[0], "only"), in[i].dir, results_run_str(&in[i], "only"));
			rc = -2;
		}
		for (int j = 0; j < i && rc == 0; j++)
			if (!strcmp(in[i].dir, in[j].dir)) {
				snprintf(err, errlen, "merge: %s given twice", in[i].dir);
				rc = -2;
			}
	}
	if (rc < 0)
		goto out;
	/* Expected: every cell of the selection, whatever shard ran it. */
	if (*results_run_str(&in[0], "only"))
		sel.only = results_run_str(&in[0], "only");
	for (size_t i = 0; i < sc->ncells; i++)
		if (results_selects(sc, i, &sel, err, errlen) == 1)
			ids[nids++] = sc->cells[i].id;
	{
		json_t *from = json_array();
		char *fs;

		for (int i = 0; i < n; i++)
			json_array_append_new(from, json_string(in[i].dir));
		fs = json_dumps(from, JSON_COMPACT);
		json_decref(from);
		if (results_create(&m, results_root, sc, &sel, ids, nids, fs, err, errlen) < 0) {
			free(fs);
			rc = -1;
			goto out;
		}
		free(fs);
	}
	env = merged_env(in, n, cmdline);
	rc = results_write_json(m.dir, "env.json", env, err, errlen);
	json_decref(env);
	if (rc < 0)
		goto out;
	/* In the scenario's order; a cell two folders both ran: the first given wins. */
	for (size_t c = 0; c < m.ncells && rc == 0; c++) {
		for (int i = 0; i < n; i++) {
			struct results_cell *src = NULL;
			char from[1300], part[1300];

			for (size_t k = 0; k < in[i].ncells; k++)
				if (in[i].cells[k].rec && !strcmp(in[i].cells[k].id, m.cells[c].id))
					src = &in[i].cells[k];
			if (!src)
				continue;
			snprintf(from, sizeof from, "%s/cells/%s", in[i].dir, src->id);
			if (access(from, F_OK) == 0) {
				char *cp[] = { "cp", "-a", "-T", from, part, NULL };

				if (results_cell_begin(&m, src->id, part, sizeof part, err, errlen) < 0 ||
				    proc_run(cp, NULL, "merge: cp", err, errlen) != 0 ||
				    results_cell_commit(&m, src->id, err, errlen) < 0) {
					rc = -1;
					break;
				}
			}
			if (results_append(&m, src->rec, err, errlen) < 0)
				rc = -1;
			break;
		}
	}
	if (rc == 0 && (summary_write(&m, sc, err, errlen) < 0 || report_generate(&m, sc, err, errlen) < 0))
		rc = -1;
	snprintf(out, outlen, "%s", m.dir);
	if (rc == 0)
		rc = m.nfail || m.nerror || !results_complete(&m) ? 1 : 0;
out:
	results_close(&m);
	for (int i = 0; i < n; i++)
		results_close(&in[i]);
	free(in);
	free(ids);
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
