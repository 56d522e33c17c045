/* summary: the writers of a run folder's tables from its model: summary.csv and junit.xml
 * (a row or testcase per expected cell, in the scenario's order, missing ones included), and
 * the rows of the verdict table a main prints. */
#include "summary.h"
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static double jnum(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* The stall causes of a record: "-" without a capture analysis, "none" without a stall. */
static const char *causes_of(json_t *l)
{
	json_t *an = json_object_get(l, "analysis");

	if (!json_is_object(an))
		return "-";
	return *jstr(an, "stall_causes") ? jstr(an, "stall_causes") : "none";
}

int summary_id_width(const struct results *res)
{
	size_t w = strlen("cell");

	for (size_t i = 0; res && i < res->ncells; i++)
		if (strlen(res->cells[i].id) > w)
			w = strlen(res->cells[i].id);
	return (int)(w < SUMMARY_ID_MAX ? w : SUMMARY_ID_MAX);
}

/* id in at most w characters: cut in the middle with "..." when longer, so that both ends
 * (usually what tells cells apart) stay. */
static void fit_id(const char *id, int w, char *out, size_t len)
{
	size_t n = strlen(id), keep, head;

	if (w < 5 || n <= (size_t)w) {
		snprintf(out, len, "%s", id);
		return;
	}
	keep = (size_t)w - 3;
	head = (keep + 1) / 2;
	snprintf(out, len, "%.*s...%s", (int)head, id, id + n - (keep - head));
}

void summary_table_row(const struct results_cell *c, int idw, char *out, size_t len)
{
	json_t *l, *dl;
	char det[32] = "-", id[SUMMARY_ID_MAX + 1];
	const char *why;

	if (!c) {
		snprintf(out, len, "%-*s %-10s %-12s %-9s %-16s %s", idw, "cell", "outcome", "ended by", "detect",
		         "stall causes", "verdict");
		return;
	}
	fit_id(c->id, idw, id, sizeof id);
	l = c->rec;
	if (!l) {
		snprintf(out, len, "%-*s %-10s %-12s %-9s %-16s %s", idw, id, "-", "-", "-", "-", "MISSING: did not run");
		return;
	}
	dl = json_object_get(l, "deadlock");
	if (json_is_object(dl))
		snprintf(det, sizeof det, "%.2f s", jnum(dl, "detected_s") - jnum(dl, "onset_s"));
	why = jstr(json_object_get(l, "expect"), "why");
	if (!*why && results_verdict(l) != RESULTS_PASS)
		why = jstr(l, "detail");
	snprintf(out, len, "%-*s %-10s %-12s %-9s %-16s %s%s%s", idw, id, jstr(l, "outcome"), jstr(l, "ended_by"), det,
	         causes_of(l), jstr(l, "verdict"), *why ? ": " : "", why);
}

static void csv_field(FILE *f, const char *s, int last)
{
	int quote = strpbrk(s, ",\"\n") != NULL;

	if (quote) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc(' ', f);
			else
				fputc(*s, f);
		}
	}
}

/* One row of summary.csv: the record's figures, or the missing cell's id and "missing". */
static void csv_row(FILE *csv, const struct scenario *sc, const struct results_cell *c)
{
	const struct scenario_key_doc *docs;
	json_t *l = c->rec, *dl = json_object_get(l, "deadlock");
	const char *why = jstr(json_object_get(l, "expect"), "why");
	char num[64];

	scenario_schema(&docs);
	csv_field(csv, c->id, 0);
	if (!l) {
		/* The matrix position of a missing cell is in its id; its figures do not exist. */
		csv_field(csv, "", 0);
		for (size_t a = 0; a < sc->naxes; a++)
			csv_field(csv, "", 0);
		fputs("missing,,missing,,,,,,,,did not run\n", csv);
		return;
	}
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(l, "repeat")));
	csv_field(csv, num, 0);
	for (size_t a = 0; a < sc->naxes; a++)
		csv_field(csv, jstr(json_object_get(l, "params"), docs[sc->axes[a].ent].key), 0);
	csv_field(csv, jstr(l, "outcome"), 0);
	csv_field(csv, jstr(l, "ended_by"), 0);
	csv_field(csv, jstr(l, "verdict"), 0);
	snprintf(num, sizeof num, "%.3f", jnum(l, "duration_s"));
	csv_field(csv, num, 0);
	snprintf(num, sizeof num, "%.0f", jnum(l, "throughput_Bps"));
	csv_field(csv, num, 0);
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(l, "bytes_received")));
	csv_field(csv, num, 0);
	snprintf(num, sizeof num, "%.3f", jnum(json_object_get(l, "stall"), "total_s"));
	csv_field(csv, num, 0);
	num[0] = 0;
	if (json_is_object(dl))
		snprintf(num, sizeof num, "%.3f", jnum(dl, "detected_s") - jnum(dl, "onset_s"));
	csv_field(csv, num, 0);
	csv_field(csv, jstr(json_object_get(l, "analysis"), "stall_causes"), 0);
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(json_object_get(l, "expect"), "failed")));
	csv_field(csv, num, 0);
	csv_field(csv, *why ? why : jstr(l, "detail"), 1);
}

/* One testcase of junit.xml; a missing cell is an error of type "missing". */
static void junit_case(FILE *xml, const struct scenario *sc, const struct results_cell *c)
{
	json_t *l = c->rec;
	const char *why = jstr(json_object_get(l, "expect"), "why"), *elem;

	fputs("    <testcase classname=\"", xml);
	xml_text(xml, sc->name);
	fputs("\" name=\"", xml);
	xml_text(xml, c->id);
	fprintf(xml, "\" time=\"%.3f\"", jnum(l, "duration_s"));
	if (!l) {
		fputs(">\n      <error message=\"did not run: the cell is missing from this run's results\" type=\"missing\">"
		      "no record in cells.jsonl</error>\n    </testcase>\n", xml);
		return;
	}
	if (results_verdict(l) == RESULTS_PASS) {
		fputs("/>\n", xml);
		return;
	}
	elem = results_verdict(l) == RESULTS_FAIL ? "failure" : "error"; /* junit's elements */
	fprintf(xml, ">\n      <%s message=\"", elem);
	xml_text(xml, *why ? why : jstr(l, "detail"));
	fprintf(xml, "\" type=\"%s\">", jstr(l, "outcome"));
	xml_text(xml, jstr(l, "detail"));
	fprintf(xml, "</%s>\n    </testcase>\n", elem);
}

/* Closes f (a temporary file) and renames it to dir/name; -1 with err naming it. */
static int close_into_place(FILE *f, const char *tmp, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[1300];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return fs_replace(f, tmp, path, "results", err, errlen);
}

int summary_write(const struct results *res, const struct scenario *sc, char *err, size_t errlen)
{
	char tmpcsv[1300], tmpxml[1300];
	const struct scenario_key_doc *docs;
	double total_s = 0;
	FILE *csv, *xml;

	scenario_schema(&docs);
	snprintf(tmpcsv, sizeof tmpcsv, "%s/summary.csv.tmp", res->dir);
	snprintf(tmpxml, sizeof tmpxml, "%s/junit.xml.tmp", res->dir);
	csv = fopen(tmpcsv, "w");
	if (!csv) {
		snprintf(err, errlen, "results: %s: %s", tmpcsv, strerror(errno));
		return -1;
	}
	fputs("id,repeat,", csv);
	for (size_t a = 0; a < sc->naxes; a++)
		csv_field(csv, docs[sc->axes[a].ent].key, 0);
	fputs("outcome,ended_by,verdict,duration_s,throughput_Bps,bytes_received,stall_total_s,"
	      "detected_after_s,stall_causes,expect_failed,detail\n", csv);
	for (size_t i = 0; i < res->ncells; i++) {
		csv_row(csv, sc, &res->cells[i]);
		total_s += jnum(res->cells[i].rec, "duration_s");
	}
	if (close_into_place(csv, tmpcsv, res->dir, "summary.csv", err, errlen) < 0)
		return -1;
	xml = fopen(tmpxml, "w");
	if (!xml) {
		snprintf(err, errlen, "results: %s: %s", tmpxml, strerror(errno));
		return -1;
	}
	fprintf(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"");
	xml_text(xml, sc->name);
	fprintf(xml, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"%.3f\">\n", res->ncells,
	        res->nfail, res->nerror + results_missing(res), total_s);
	for (size_t i = 0; i < res->ncells; i++)
		junit_case(xml, sc, &res->cells[i]);
	fputs("  </testsuite>\n</testsuites>\n", xml);
	return close_into_place(xml, tmpxml, res->dir, "junit.xml", err, errlen);
}
