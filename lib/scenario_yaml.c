/* scenario_yaml: what is wrong with the YAML itself (libyaml): syntax errors with their
 * place and hints, a NUL byte, a second document, keys given twice, merge keys. */
#include "scenario_int.h"
#include "fsutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

/* Whether the ':' at buf[off] starts a value (after "key:", ",", "[", "{" or "- "),
 * rather than being a key's own colon (a mis-indented "key: value"). */
static int value_colon(const unsigned char *buf, size_t len, size_t off)
{
	size_t i = off;

	if (off >= len || buf[off] != ':')
		return 0;
	while (i > 0 && (buf[i - 1] == ' ' || buf[i - 1] == '\t'))
		i--;
	return i > 0 && strchr(":,[{-", buf[i - 1]) != NULL;
}

void sc_yaml_syntax_error(struct scenario *sc, yaml_parser_t *parser, const unsigned char *buf, size_t len)
{
	unsigned line = (unsigned)parser->problem_mark.line + 1, col = (unsigned)parser->problem_mark.column + 1;
	size_t off = parser->problem_mark.index;

	sc_error(sc, line, col, "YAML syntax: %s%s%s%s%s", parser->problem ? parser->problem : "error",
	         parser->context ? " (" : "", parser->context ? parser->context : "", parser->context ? ")" : "",
	         value_colon(buf, len, off) ? "; a value that starts with ':' must be quoted, e.g. host: \"::1\"" : "");
	if (off < len && buf[off] == '\t')
		sc_error(sc, line, col, "a tab character: YAML indents with spaces only");
}

/* libyaml stops reading at a NUL byte and reports the start of the input:
 * find the first one here. Returns 1 (and the error at its line:column,
 * columns counted in characters as libyaml counts them) or 0. */
int sc_yaml_nul_byte(struct scenario *sc, const unsigned char *buf, size_t len)
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
void sc_yaml_second_document(struct scenario *sc, yaml_parser_t *parser, const unsigned char *buf, size_t len)
{
	yaml_event_t ev;

	if (!yaml_parser_parse(parser, &ev)) {
		if (parser->error == YAML_MEMORY_ERROR)
			sc->oom = 1;
		else
			sc_yaml_syntax_error(sc, parser, buf, len);
		return;
	}
	if (ev.type == YAML_DOCUMENT_START_EVENT)
		sc_error(sc, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
		         "a scenario is one YAML document; a second starts at %u:%u",
		         (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1);
	yaml_event_delete(&ev);
}
