/* results: a run folder's results in memory; the one reader and writer of run.json and
 * cells.jsonl (see results.h). */
#include "results.h"
#include "client.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* cells.jsonl lines longer than this are not records of ours (a record is a few KiB). */
#define RESULTS_MAX_LINE (4u << 20)

const char *const results_verdict_names[RESULTS_NVERDICTS + 1] = {
	[RESULTS_PASS] = "pass", [RESULTS_FAIL] = "fail", [RESULTS_ERROR] = "error", NULL,
};

/* ---------- a record's typed values ---------- */

static int name_index(const char *const *names, json_t *rec, const char *key)
{
	return scenario_name_index(names, json_string_value(json_object_get(rec, key)));
}

int results_outcome(json_t *rec)
{
	return name_index(client_outcome_names, rec, "outcome");
}

int results_ended_by(json_t *rec)
{
	return name_index(client_end_names, rec, "ended_by");
}

enum results_verdict results_verdict(json_t *rec)
{
	int v = name_index(results_verdict_names, rec, "verdict");

	return v < 0 ? RESULTS_ERROR : (enum results_verdict)v;
}

stall_cause_set results_causes(json_t *rec)
{
	stall_cause_set set;

	stall_cause_set_parse(json_string_value(json_object_get(json_object_get(rec, "analysis"), "stall_causes")), &set);
	return set;
}

/* ---------- identity ---------- */

/* A value as the identity sees it: numbers by what they stand for, anything else as written. */
static void canon_value(FILE *f, const char *key, const char *raw)
{
	double x;

	if (scenario_value_number(key, raw, &x) == 0)
		fprintf(f, "%.17g", x);
	else
		fprintf(f, "\"%s\"", raw);
}

int results_identity(const struct scenario *sc, char hex[65], char *err, size_t errlen)
{
	const struct scenario_key_doc *docs;
	size_t nk = scenario_schema(&docs), len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		snprintf(err, errlen, "scenario identity: %s", strerror(errno));
		return -1;
	}
	fprintf(f, "probelock-scenario/%d\nname \"%s\"\n", RESULTS_FORMAT, sc->name);
	for (size_t i = 0; i < sc->ncells; i++) {
		const struct scenario_cell *c = &sc->cells[i];

		fprintf(f, "cell \"%s\" %u", c->id, c->repeat);
		for (size_t k = 0; k < nk; k++) {
			fprintf(f, " %s=", docs[k].key);
			canon_value(f, docs[k].key, scenario_cell_value(sc, c, docs[k].key));
		}
		fputc('\n', f);
	}
	for (size_t e = 0; e < sc->nexpects; e++) {
		const struct scenario_expect *x = &sc->expects[e];

		fputs("expect when", f);
		for (size_t w = 0; w < x->nwhen; w++) {
			fprintf(f, " %s=", docs[x->when[w].ent].key);
			canon_value(f, docs[x->when[w].ent].key, x->when[w].v.raw);
		}
		fprintf(f, " outcome=\"%s\" stall_cause=\"%s\" ended_by=\"%s\"\n", scenario_expect_word(x, "outcome"),
		        scenario_expect_word(x, "stall_cause"), scenario_expect_word(x, "ended_by"));
	}
	if (fclose(f) != 0 || !buf) {
		free(buf);
		snprintf(err, errlen, "scenario identity: out of memory");
		return -1;
	}
	{
		struct sha256_ctx ctx;
		uint8_t d[SHA256_DIGEST_SIZE];

		sha256_init(&ctx);
		sha256_update(&ctx, len, (const uint8_t *)buf);
		sha256_digest(&ctx, sizeof d, d);
		for (size_t i = 0; i < sizeof d; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
	}
	free(buf);
	return 0;
}

int results_selects(const struct scenario *sc, size_t i, const struct results_sel *sel, char *err,
                    size_t errlen)
{
	const struct scenario_cell *c = &sc->cells[i];

	if (sel->only && *sel->only) {
		int m = scenario_cell_matches(sc, c, sel->only, err, errlen);

		if (m <= 0)
			return m;
	}
	return scenario_shard_of(c->id, sel->shard_n ? sel->shard_n : 1) == (sel->shard_k ? sel->shard_k : 1);
}

/* ---------- files ---------- */

int results_write_json(const char *dir, const char *name, json_t *doc, char *err, size_t errlen)
{
	char path[1300], tmp[1400];
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	FILE *f;
	int saved;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!s) {
		snprintf(err, errlen, "results: %s: out of memory", path);
		return -1;
	}
	f = fopen(tmp, "w");
	if (!f || fs_write_all(f, s, strlen(s)) < 0 || fputc('\n', f) == EOF || fclose(f) != 0) {
		saved = errno;
		if (f)
			fclose(f);
		unlink(tmp);
		free(s);
		snprintf(err, errlen, "results: write %s: %s", path, strerror(saved));
		return -1;
	}
	free(s);
	if (rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		snprintf(err, errlen, "results: rename %s to %s: %s", tmp, path, strerror(saved));
		return -1;
	}
	return 0;
}

json_t *results_parse_line(const char *line, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *l;

	if (len && line[len - 1] == '\n')
		len--;
	if (!len) {
		snprintf(err, errlen, "an empty line");
		return NULL;
	}
	l = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!l) {
		snprintf(err, errlen, "%s", je.text);
		return NULL;
	}
	if (!json_is_object(l) || !json_is_string(json_object_get(l, "id")) ||
	    !*json_string_value(json_object_get(l, "id")) || !json_is_string(json_object_get(l, "verdict"))) {
		snprintf(err, errlen, "not a cell record (an object with an id and a verdict)");
		json_decref(l);
		return NULL;
	}
	return l;
}

static int lock_dir(struct results *r, char *err, size_t errlen)
{
	char path[1100], pid[32] = "";
	ssize_t n;

	snprintf(path, sizeof path, "%s/.lock", r->dir);
	r->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (r->lockfd < 0) {
		snprintf(err, errlen, "results: %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(r->lockfd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(r->lockfd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		snprintf(err, errlen, "%s is being written by another probelock (pid %s): one run folder, one run at a time",
		         r->dir, pid[0] ? pid : "unknown");
		close(r->lockfd);
		r->lockfd = -1;
		return -2;
	}
	snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	if (ftruncate(r->lockfd, 0) < 0 || pwrite(r->lockfd, pid, strlen(pid), 0) < 0) {
		/* the PID in the lock file only makes the message above kinder */
	}
	return 0;
}

static void model_init(struct results *r)
{
	memset(r, 0, sizeof *r);
	r->lockfd = -1;
	r->foreign = json_array();
}

/* The expected cells from run.json's "cells". */
static int model_cells(struct results *r, char *err, size_t errlen)
{
	json_t *ids = json_object_get(r->run, "cells"), *v;
	size_t i;

	if (!json_is_array(ids)) {
		snprintf(err, errlen, "%s/run.json: no \"cells\" list", r->dir);
		return -1;
	}
	r->cells = calloc(json_array_size(ids) ? json_array_size(ids) : 1, sizeof *r->cells);
	if (!r->cells) {
		snprintf(err, errlen, "%s/run.json: out of memory", r->dir);
		return -1;
	}
	json_array_foreach(ids, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "%s/run.json: cells[%zu] is not a cell id", r->dir, i);
			return -1;
		}
		r->cells[r->ncells++].id = json_string_value(v);
	}
	return 0;
}

static struct results_cell *find_cell(struct results *r, const char *id)
{
	for (size_t i = 0; i < r->ncells; i++)
		if (!strcmp(r->cells[i].id, id))
			return &r->cells[i];
	return NULL;
}

/* Attaches a record (the model takes the reference). */
static void attach(struct results *r, json_t *rec)
{
	struct results_cell *c = find_cell(r, json_string_value(json_object_get(rec, "id")));

	if (!c || c->rec) {
		json_array_append_new(r->foreign, rec);
		return;
	}
	c->rec = rec;
	r->nran++;
	switch (results_verdict(rec)) {
	case RESULTS_PASS: r->npass++; break;
	case RESULTS_FAIL: r->nfail++; break;
	case RESULTS_ERROR: r->nerror++; break;
	}
}

/* ---------- create ---------- */

int results_create(struct results *r, const char *root, const struct scenario *sc,
                   const struct results_sel *sel, const char *const *ids, size_t nids,
                   const char *merged_from_json, char *err, size_t errlen)
{
	char hex[65], parent[1100], ts[32], rel[400], path[1300], link[1100], tmp[1200];
	time_t now = time(NULL);
	json_t *jids;
	int rc;

	model_init(r);
	if (results_identity(sc, hex, err, errlen) < 0)
		return -1;
	snprintf(parent, sizeof parent, "%s/%s", root, sc->name);
	if (fs_mkdir_p(parent, tmp, sizeof tmp) < 0) {
		snprintf(err, errlen, "results: mkdir %s: %s", tmp, strerror(errno));
		return -1;
	}
	strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", gmtime(&now));
	for (int i = 1;; i++) {
		if (i == 1)
			snprintf(rel, sizeof rel, "%s/%s", sc->name, ts);
		else
			snprintf(rel, sizeof rel, "%s/%s-%d", sc->name, ts, i);
		snprintf(r->dir, sizeof r->dir, "%s/%s", root, rel);
		if (mkdir(r->dir, 0755) == 0)
			break;
		if (errno != EEXIST || i >= 1000) {
			snprintf(err, errlen, "results: mkdir %s: %s", r->dir, strerror(errno));
			return -1;
		}
	}
	if (lock_dir(r, err, errlen) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/scenario.yaml", r->dir);
	if (fs_copy_file(sc->path, path) < 0) {
		snprintf(err, errlen, "results: copy %s to %s: %s", sc->path, path, strerror(errno));
		return -1;
	}
	jids = json_array();
	for (size_t i = 0; i < nids; i++)
		json_array_append_new(jids, json_string(ids[i]));
	r->run = json_pack("{s:i, s:s, s:s, s:s, s:I, s:o, s:s, s:o}", "format", RESULTS_FORMAT, "scenario", sc->name,
	                   "scenario_file", sc->path, "scenario_hash", hex, "scenario_cells", (json_int_t)sc->ncells,
	                   "only", sel->only && *sel->only ? json_string(sel->only) : json_null(), "shard", "",
	                   "cells", jids);
	if (!r->run) {
		snprintf(err, errlen, "results: out of memory");
		return -1;
	}
	json_object_set_new(r->run, "shard", json_sprintf("%u/%u", sel->shard_k ? sel->shard_k : 1,
	                                                  sel->shard_n ? sel->shard_n : 1));
	if (merged_from_json)
		json_object_set_new(r->run, "merged_from", json_loads(merged_from_json, 0, NULL));
	if (results_write_json(r->dir, "run.json", r->run, err, errlen) < 0 || model_cells(r, err, errlen) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/cells.jsonl", r->dir);
	r->jsonl = fopen(path, "a");
	if (!r->jsonl) {
		snprintf(err, errlen, "results: %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(link, sizeof link, "%s/latest", root);
	snprintf(tmp, sizeof tmp, "%s/.latest.%d", root, (int)getpid());
	unlink(tmp);
	rc = symlink(rel, tmp);
	if (rc == 0 && rename(tmp, link) != 0)
		unlink(tmp); /* latest is a convenience; the run's path is printed */
	return 0;
}

/* ---------- open ---------- */

/* A last line without its newline: a whole record gets its newline, a cut one (a run killed
 * while writing it) is dropped, so that appending starts on a line of its own. */
static int mend_tail(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char c, why[200], *tail;
	int fd = open(path, O_RDWR | O_CLOEXEC), rc = 0;
	off_t end;
	json_t *l;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0 || st.st_size == 0 || pread(fd, &c, 1, st.st_size - 1) != 1 || c == '\n') {
		close(fd);
		return 0;
	}
	for (end = st.st_size - 1; end > 0; end--)
		if (pread(fd, &c, 1, end - 1) == 1 && c == '\n')
			break;
	tail = st.st_size - end <= (off_t)RESULTS_MAX_LINE ? malloc((size_t)(st.st_size - end)) : NULL;
	l = tail && pread(fd, tail, (size_t)(st.st_size - end), end) == st.st_size - end
	    ? results_parse_line(tail, (size_t)(st.st_size - end), why, sizeof why) : NULL;
	free(tail);
	if (l ? pwrite(fd, "\n", 1, st.st_size) != 1 : ftruncate(fd, end) < 0) {
		snprintf(err, errlen, "results: mend the last line of %s: %s", path, strerror(errno));
		rc = -1;
	}
	json_decref(l);
	close(fd);
	return rc;
}

static int load_records(struct results *r, results_warn_fn warn, void *warn_arg, char *err, size_t errlen)
{
	char path[1100], *buf = NULL, why[300], msg[1700];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	FILE *f;

	snprintf(path, sizeof path, "%s/cells.jsonl", r->dir);
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0; /* a run stopped before its first cell */
		snprintf(err, errlen, "results: %s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&buf, &cap, f)) > 0) {
		json_t *l;

		lineno++;
		if ((size_t)len > RESULTS_MAX_LINE) {
			l = NULL;
			snprintf(why, sizeof why, "a line of %zd bytes", len);
		} else {
			l = results_parse_line(buf, (size_t)len, why, sizeof why);
		}
		if (!l) {
			r->ncut++;
			if (warn) {
				snprintf(msg, sizeof msg, "%s:%zu: not a whole cell record (%s%s): skipped; "
				         "`probelock run --resume %s` runs that cell again", path, lineno, why,
				         buf[len - 1] != '\n' ? ", the line is cut: the run was stopped while writing it" : "",
				         r->dir);
				warn(warn_arg, msg);
			}
			continue;
		}
		attach(r, l);
	}
	free(buf);
	if (ferror(f)) {
		snprintf(err, errlen, "results: read %s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

int results_open(struct results *r, const char *dir, const struct scenario *sc, int lock,
                 results_warn_fn warn, void *warn_arg, char *err, size_t errlen)
{
	char path[1100];
	json_error_t je;

	model_init(r);
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	while (strlen(r->dir) > 1 && r->dir[strlen(r->dir) - 1] == '/')
		r->dir[strlen(r->dir) - 1] = 0;
	snprintf(path, sizeof path, "%s/run.json", r->dir);
	if (access(path, F_OK) != 0) {
		snprintf(path, sizeof path, "%s/cells.jsonl", r->dir);
		snprintf(err, errlen, access(path, F_OK) == 0
		         ? "'%s' has no run.json: it was made by a probelock before run folders recorded their scenario's identity; run the scenario again"
		         : "'%s': not a run folder (no run.json)", dir);
		return -2;
	}
	r->run = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(r->run)) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, r->run ? "not an object" : je.text);
		return -1;
	}
	if (json_integer_value(json_object_get(r->run, "format")) != RESULTS_FORMAT) {
		snprintf(err, errlen, "%s: format %lld, this probelock reads format %d", path,
		         (long long)json_integer_value(json_object_get(r->run, "format")), RESULTS_FORMAT);
		return -2;
	}
	if (model_cells(r, err, errlen) < 0)
		return -1;
	if (sc) {
		char hex[65];

		if (results_identity(sc, hex, err, errlen) < 0)
			return -1;
		if (strcmp(hex, results_run_str(r, "scenario_hash")) != 0) {
			if (strcmp(sc->name, results_run_str(r, "scenario")) != 0)
				snprintf(err, errlen, "%s holds the results of scenario '%s', not of '%s' (%s)", r->dir,
				         results_run_str(r, "scenario"), sc->name, sc->path);
			else
				snprintf(err, errlen, "%s was run from another version of scenario '%s': %s now expands to "
				         "other cells, settings or expectations (identity %.12s, the folder's %.12s); run it "
				         "anew instead", r->dir, sc->name, sc->path, hex, results_run_str(r, "scenario_hash"));
			return -2;
		}
	}
	if (lock) {
		int rc = lock_dir(r, err, errlen);

		if (rc < 0)
			return rc;
		snprintf(path, sizeof path, "%s/cells.jsonl", r->dir);
		if (mend_tail(path, err, errlen) < 0)
			return -1;
	}
	if (load_records(r, warn, warn_arg, err, errlen) < 0)
		return -1;
	if (lock) {
		r->jsonl = fopen(path, "a");
		if (!r->jsonl) {
			snprintf(err, errlen, "results: %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void results_close(struct results *r)
{
	for (size_t i = 0; i < r->ncells; i++)
		json_decref(r->cells[i].rec);
	free(r->cells);
	r->cells = NULL;
	r->ncells = 0;
	json_decref(r->foreign);
	r->foreign = NULL;
	json_decref(r->run);
	r->run = NULL;
	if (r->jsonl)
		fclose(r->jsonl);
	r->jsonl = NULL;
	if (r->lockfd >= 0)
		close(r->lockfd);
	r->lockfd = -1;
}

/* ---------- write ---------- */

int results_append(struct results *r, json_t *rec, char *err, size_t errlen)
{
	char *s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t len;
	int saved;

	if (!s) {
		snprintf(err, errlen, "results: %s/cells.jsonl: out of memory", r->dir);
		return -1;
	}
	len = strlen(s);
	s[len] = 0;
	/* One whole line, synced to disk before the next cell. */
	if (fputs(s, r->jsonl) == EOF || fs_write_all(r->jsonl, "\n", 1) < 0) {
		saved = errno;
		free(s);
		snprintf(err, errlen, "results: write %s/cells.jsonl: %s", r->dir, strerror(saved));
		return -1;
	}
	free(s);
	attach(r, json_incref(rec));
	return 0;
}

int results_cell_begin(struct results *r, const char *id, char *path, size_t len, char *err, size_t errlen)
{
	char cells[1100];

	snprintf(cells, sizeof cells, "%s/cells", r->dir);
	if (mkdir(cells, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "results: mkdir %s: %s", cells, strerror(errno));
		return -1;
	}
	snprintf(path, len, "%s/.%s.partial", cells, id);
	if (fs_rm_rf(path) < 0 || mkdir(path, 0755) < 0) {
		snprintf(err, errlen, "results: mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int results_cell_commit(struct results *r, const char *id, char *err, size_t errlen)
{
	char from[1300], to[1300];

	snprintf(from, sizeof from, "%s/cells/.%s.partial", r->dir, id);
	snprintf(to, sizeof to, "%s/cells/%s", r->dir, id);
	if (fs_rm_rf(to) < 0 || rename(from, to) < 0) {
		snprintf(err, errlen, "results: rename %s to %s: %s", from, to, strerror(errno));
		return -1;
	}
	return 0;
}

size_t results_missing(const struct results *r)
{
	return r->ncells - r->nran;
}

int results_complete(const struct results *r)
{
	return r->nran == r->ncells && json_array_size(r->foreign) == 0;
}

const char *results_run_str(const struct results *r, const char *key)
{
	const char *s = json_string_value(json_object_get(r->run, key));

	return s ? s : "";
}
