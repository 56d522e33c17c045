/* scenario_yaml: the YAML document (libyaml) into a scenario: syntax
 * errors with their place, keys given twice, the errors list, load and free. */
#include "scenario_int.h"
#include "fsutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void sc_error(struct scenario *sc, unsigned line, unsigned col, const char *fmt, ...)
{
	struct scenario_error e, *v;
	va_list ap;

	e.line = line;
	e.column = col;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof e.msg, fmt, ap);
	va_end(ap);
	/* The same combination error can come from many cells: keep one. */
	for (size_t i = 0; i < sc->nerrors; i++)
		if (sc->errors[i].line == line && sc->errors[i].column == col && !strcmp(sc->errors[i].msg, e.msg))
			return;
	if (sc->nerrors >= SCENARIO_MAX_ERRORS) {
		sc->errors_truncated = 1;
		return;
	}
	v = realloc(sc->errors, (sc->nerrors + 1) * sizeof *v);
	if (!v) {
		sc->oom = 1;
		return;
	}
	sc->errors = v;
	v[sc->nerrors++] = e;
}

void scenario_print_errors(const struct scenario *sc, FILE *out)
{
	/* In the order of the file; errors at one place keep the order they were found in. */
	for (size_t i = 1; i < sc->nerrors; i++) {
		struct scenario_error e = sc->errors[i];
		size_t j = i;

		while (j > 0 && (sc->errors[j - 1].line > e.line ||
		                 (sc->errors[j - 1].line == e.line && sc->errors[j - 1].column > e.column))) {
			sc->errors[j] = sc->errors[j - 1];
			j--;
		}
		sc->errors[j] = e;
	}
	for (size_t i = 0; i < sc->nerrors; i++) {
		if (sc->errors[i].line)
			fprintf(out, "%s:%u:%u: %s\n", sc->path, sc->errors[i].line, sc->errors[i].column,
			        sc->errors[i].msg);
		else
			fprintf(out, "%s: %s\n", sc->path, sc->errors[i].msg);
	}
	if (sc->errors_truncated)
		fprintf(out, "%s: more errors than these %u; fix these first\n", sc->path, SCENARIO_MAX_ERRORS);
}

/* --- loading --- */

struct keyref {
	const char *key;
	unsigned line, column;
	size_t order;
};

static int by_key(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* How the keys of mapping node id are named in messages: "" at the top,
 * "client." in a section, "baseline.iperf2." below it, "matrix: " in the
 * matrix, "expect: " in a rule and "expect: when: " in its when. */
static void key_prefix(yaml_document_t *doc, const int *parent, const int *via, int id, char *buf, size_t len)
{
	const char *comp[16];
	size_t n = 0, o = 0;

	buf[0] = 0;
	for (int cur = id; parent[cur]; cur = parent[cur]) {
		if (n == 16)
			return; /* deeper than any scenario: an alias loop */
		if (via[cur]) {
			yaml_node_t *k = yaml_document_get_node(doc, via[cur]);

			comp[n++] = k && k->type == YAML_SCALAR_NODE ? scalar(k) : "?";
		}
	}
	for (size_t i = n; i-- > 0 && o < len;) {
		int top = i == n - 1;
		const char *sep = top && (!strcmp(comp[i], "matrix") || !strcmp(comp[i], "expect")) ? ": " :
		                  !strcmp(comp[n - 1], "expect") ? ": " : ".";

		o += (size_t)snprintf(buf + o, len - o, "%s%s", comp[i], sep);
	}
}

/* The first container that holds a node is its parent, via the key it is
 * the value of (for the names in messages); nodes are 1-based. */
static void find_parents(yaml_document_t *doc, size_t nn, int *parent, int *via)
{
	for (size_t i = 0; i < nn; i++) {
		yaml_node_t *n = &doc->nodes.start[i];

		if (n->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
				if (p->value > 0 && (size_t)p->value <= nn && !parent[p->value] && p->value != 1) {
					parent[p->value] = (int)i + 1;
					via[p->value] = p->key;
				}
		} else if (n->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
				if (*it > 0 && (size_t)*it <= nn && !parent[*it] && *it != 1)
					parent[*it] = (int)i + 1;
		}
	}
}

/* A key given twice in any mapping of the document (libyaml keeps both and
 * the loader would silently take one): an error at the second, naming the
 * first. Each node is visited once, so aliases cost nothing. */
void sc_check_duplicate_keys(struct scenario *sc, yaml_document_t *doc)
{
	size_t nn = (size_t)(doc->nodes.top - doc->nodes.start);
	int *parent = calloc(nn + 1, sizeof *parent), *via = calloc(nn + 1, sizeof *via);
	struct keyref *keys = NULL;
	size_t cap = 0;

	if (!parent || !via) {
		sc->oom = 1;
		goto out;
	}
	find_parents(doc, nn, parent, via);
	for (size_t i = 0; i < nn; i++) {
		yaml_node_t *n = &doc->nodes.start[i];
		size_t np = 0;
		char prefix[200];

		if (n->type != YAML_MAPPING_NODE)
			continue;
		np = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
		if (np < 2)
			continue;
		if (np > cap) {
			struct keyref *k2 = realloc(keys, np * sizeof *k2);

			if (!k2) {
				sc->oom = 1;
				goto out;
			}
			keys = k2;
			cap = np;
		}
		np = 0;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);

			if (!k || k->type != YAML_SCALAR_NODE)
				continue; /* reported by the loaders */
			keys[np].key = scalar(k);
			keys[np].line = LINE(k);
			keys[np].column = COL(k);
			keys[np].order = np;
			np++;
		}
		qsort(keys, np, sizeof *keys, by_key);
		prefix[0] = 0;
		for (size_t a = 0, b; a < np; a = b) {
			for (b = a + 1; b < np && !strcmp(keys[a].key, keys[b].key); b++) {
				if (!prefix[0])
					key_prefix(doc, parent, via, (int)i + 1, prefix, sizeof prefix);
				sc_error(sc, keys[b].line, keys[b].column, "%s%s: given twice (first at %u:%u)", prefix,
				          keys[b].key, keys[a].line, keys[a].column);
			}
		}
	}
out:
	free(parent);
	free(via);
	free(keys);
}

void sc_check_merge_keys(struct scenario *sc, yaml_document_t *doc)
{
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
		if (n->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);

			if (k && is_merge_key(k))
				sc_error(sc, LINE(k), COL(k), "YAML merge keys (<<) are not supported: write the keys out");
		}
	}
}

static void syntax_error(struct scenario *sc, yaml_parser_t *parser, const unsigned char *buf, size_t len)
{
	unsigned line = (unsigned)parser->problem_mark.line + 1, col = (unsigned)parser->problem_mark.column + 1;
	size_t off = parser->problem_mark.index;

	sc_error(sc, line, col, "YAML syntax: %s%s%s%s", parser->problem ? parser->problem : "error",
	          parser->context ? " (" : "", parser->context ? parser->context : "", parser->context ? ")" : "");
	if (off < len && buf[off] == '\t')
		sc_error(sc, line, col, "a tab character: YAML indents with spaces only");
	if (off < len && buf[off] == ':')
		sc_error(sc, line, col, "a value that starts with ':' must be quoted, e.g. host: \"::1\"");
}

/* libyaml stops reading at a NUL byte and reports the start of the input:
 * find the first one here. Returns 1 (and the error at its line:column,
 * columns counted in characters as libyaml counts them) or 0. */
static int nul_byte(struct scenario *sc, const unsigned char *buf, size_t len)
{
	unsigned line = 1, col = 1;

	for (size_t i = 0; i < len; i++) {
		if (!buf[i]) {
			sc_error(sc, line, col, "NUL byte at %u:%u: a scenario is text; remove it", line, col);
			return 1;
		}
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else if ((buf[i] & 0xC0) != 0x80) {
			col++; /* not a UTF-8 continuation byte: a new character */
		}
	}
	return 0;
}

/* A second document would be silently ignored: say where it starts. */
static void second_document(struct scenario *sc, yaml_parser_t *parser, const unsigned char *buf, size_t len)
{
	yaml_event_t ev;

	if (!yaml_parser_parse(parser, &ev)) {
		if (parser->error == YAML_MEMORY_ERROR)
			sc->oom = 1;
		else
			syntax_error(sc, parser, buf, len);
		return;
	}
	if (ev.type == YAML_DOCUMENT_START_EVENT)
		sc_error(sc, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
		         "a scenario is one YAML document; a second starts at %u:%u",
		         (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1);
	yaml_event_delete(&ev);
}

/* The cells of a scenario without errors so far, and each cell's checks. */
static void expand_and_check(struct scenario *sc)
{
	size_t n = 0;

	if (sc->oom || sc_bound_cells(sc, &n) < 0 || sc->nerrors || sc_expand(sc, n) < 0)
		return;
	sc_check_ids(sc);
	/* A cell's repeats share its configuration: check the first. */
	for (size_t i = 0; i < sc->ncells && !sc->oom; i++)
		if (sc->cells[i].repeat == 1)
			sc_check_cell(sc, &sc->cells[i]);
}

/* buf (len bytes) through libyaml into sc: the document, then the cells. */
static void parse_scenario(struct scenario *sc, const unsigned char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;

	if (!yaml_parser_initialize(&parser)) {
		sc->oom = 1;
		return;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.error == YAML_MEMORY_ERROR)
			sc->oom = 1;
		else
			syntax_error(sc, &parser, buf, len);
		yaml_parser_delete(&parser);
		return;
	}
	root = yaml_document_get_root_node(&doc);
	sc_load_root(sc, &doc, root);
	yaml_document_delete(&doc);
	if (root && !sc->oom)
		second_document(sc, &parser, buf, len);
	yaml_parser_delete(&parser);
	expand_and_check(sc);
}

static struct scenario *new_scenario(const char *path)
{
	struct scenario *sc = calloc(1, sizeof *sc);

	if (!sc || !(sc->params = calloc(SC_NSCHEMA, sizeof *sc->params))) {
		free(sc);
		return NULL;
	}
	for (size_t i = 0; i < SC_NSCHEMA; i++)
		sc->params[i].ent = (int)i;
	snprintf(sc->path, sizeof sc->path, "%s", path);
	sc->repeat = 1;
	return sc;
}

struct scenario *scenario_load(const char *path, char *err, size_t errlen)
{
	struct scenario *sc;
	unsigned char *buf;
	size_t len = 0;

	buf = (unsigned char *)fs_read_file(path, 16u << 20, &len);
	if (!buf) {
		if (errno == EFBIG)
			snprintf(err, errlen, "%s: larger than 16 MiB, not a scenario", path);
		else if (errno == ENOMEM)
			snprintf(err, errlen, "%s: out of memory", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	sc = new_scenario(path);
	if (sc && !nul_byte(sc, buf, len))
		parse_scenario(sc, buf, len);
	free(buf);
	if (!sc || sc->oom) {
		snprintf(err, errlen, "%s: out of memory while loading the scenario", path);
		scenario_free(sc);
		return NULL;
	}
	return sc;
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; sc->params && i < SC_NSCHEMA; i++)
		free(sc->params[i].v.raw);
	free(sc->params);
	for (size_t a = 0; a < sc->naxes; a++) {
		for (size_t v = 0; v < sc->axes[a].n; v++)
			free(sc->axes[a].values[v].raw);
		free(sc->axes[a].values);
	}
	free(sc->axes);
	for (size_t e = 0; e < sc->nexpects; e++) {
		for (size_t w = 0; w < sc->expects[e].nwhen; w++)
			free(sc->expects[e].when[w].v.raw);
		free(sc->expects[e].when);
	}
	free(sc->expects);
	if (sc->cells)
		free(sc->cells[0].pick); /* every cell's picks, in one block */
	free(sc->cells);
	free(sc->errors);
	free(sc);
}
