/* scenario_load: the document's sections, matrix and top-level keys against the schema. */
#include "scenario_int.h"
#include "units.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {
	"name", "description", "target", "server", "client", "matrix", "repeat", "capture",
	"detect", "baseline", "expect", "timeout", NULL,
};
static const char *const sections[] = { "target", "server", "client", "capture", "detect", "baseline", NULL };

static const struct scenario_word_doc top_docs[] = {
	{ "name", "string", "required: names the results folder; letters, digits, '.', '_' and '-', at most 127 characters", NULL, NULL },
	{ "description", "string", "what the scenario is for, at most 511 characters (default: none)", NULL, NULL },
	{ "target", "section", "where the echo server runs: the target.* keys below", NULL, NULL },
	{ "server", "section", "echod (or lwip-echod): the server.* keys below", NULL, NULL },
	{ "client", "section", "tcpecho: the client.* keys below", NULL, NULL },
	{ "capture", "section", "the capture of each cell: the capture.* keys below", NULL, NULL },
	{ "detect", "section", "stall and deadlock detection: the detect.* keys below", NULL, NULL },
	{ "baseline", "section", "iperf measurements before the cells: the baseline.* keys below", NULL, NULL },
	{ "matrix", "mapping", "dotted keys to lists of values: one cell per combination, the first key varying slowest (default: one cell)", NULL, NULL },
	{ "repeat", "integer", "runs of each cell, 1 to 1000 (default 1); ids end in _r1, _r2 ...", NULL, NULL },
	{ "expect", "list", "expectation rules, each a mapping of the expect fields below", NULL, NULL },
	{ "timeout", "duration", "see the key timeout below", NULL, NULL },
};
_Static_assert(sizeof top_docs / sizeof top_docs[0] == sizeof top_keys / sizeof top_keys[0] - 1,
               "every top-level key is documented");

size_t scenario_top_docs(const struct scenario_word_doc **docs)
{
	*docs = top_docs;
	return sizeof top_docs / sizeof top_docs[0];
}

/* A scalar value for key path at node v: checked, stored in sc->params. */
static void set_param(struct scenario *sc, const char *path, const yaml_node_t *k, const yaml_node_t *v,
                      const char *const *siblings, size_t nsib)
{
	int ei = sc_find_ent(path);
	char sug[96];

	if (ei < 0) {
		const char *last = strrchr(path, '.');

		sc_error(sc, LINE(k), COL(k), "%s: unknown key%s", path,
		          sc_suggest(last ? last + 1 : path, siblings, nsib, sug));
		return;
	}
	if (sc->params[ei].set)
		return; /* a key given twice: sc_check_duplicate_keys says so */
	if (v->type != YAML_SCALAR_NODE || is_null_scalar(v)) {
		char exp[160];

		sc_error(sc, LINE(v), COL(v), "%s: expected %s, found %s", path,
		          sc_type_expect(&sc_schema[ei], exp, sizeof exp), is_null_scalar(v) ? "nothing" : node_kind(v));
		return;
	}
	if (sc_check_value(sc, &sc_schema[ei], path, scalar(v), LINE(v), COL(v)) < 0)
		return;
	sc->params[ei].v.raw = xstrdup(sc, scalar(v));
	if (!sc->params[ei].v.raw)
		return;
	sc->params[ei].set = 1;
	sc->params[ei].v.line = LINE(v);
	sc->params[ei].v.column = COL(v);
}

/* Whether some schema key lives below path ("baseline.iperf2" has ".port"). */
static int has_children(const char *path)
{
	size_t l = strlen(path);

	for (size_t i = 0; i < SC_NSCHEMA; i++)
		if (!strncmp(sc_schema[i].key, path, l) && sc_schema[i].key[l] == '.')
			return 1;
	return 0;
}

static void load_section(struct scenario *sc, yaml_document_t *doc, const char *sec, yaml_node_t *m)
{
	const char *sib[SC_NSCHEMA + 1];
	size_t nsib = 0, plen = strlen(sec);

	for (size_t i = 0; i < SC_NSCHEMA; i++)
		if (!strncmp(sc_schema[i].key, sec, plen) && sc_schema[i].key[plen] == '.' && !strchr(sc_schema[i].key + plen + 1, '.'))
			sib[nsib++] = sc_schema[i].key + plen + 1;
	sib[nsib] = NULL;
	if (m->type != YAML_MAPPING_NODE) {
		sc_error(sc, LINE(m), COL(m), "%s: expected a mapping of keys (%s: ...), found %s", sec,
		          sib[0], node_kind(m));
		return;
	}
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);
		char path[160];

		if (k->type != YAML_SCALAR_NODE) {
			sc_error(sc, LINE(k), COL(k), "%s: keys must be plain words", sec);
			continue;
		}
		if (is_merge_key(k))
			continue; /* sc_check_merge_keys says so */
		snprintf(path, sizeof path, "%s.%s", sec, scalar(k));
		if (v->type == YAML_MAPPING_NODE && has_children(path)) {
			/* "iperf2: { port: 5001 }": the switch is on, its settings below. */
			int ei = sc_find_ent(path);

			if (ei >= 0 && sc_schema[ei].type == T_BOOL && !sc->params[ei].set) {
				sc->params[ei].v.raw = xstrdup(sc, "true");
				if (!sc->params[ei].v.raw)
					continue;
				sc->params[ei].set = 1;
				sc->params[ei].v.line = LINE(v);
				sc->params[ei].v.column = COL(v);
			}
			load_section(sc, doc, path, v);
			continue;
		}
		set_param(sc, path, k, v, sib, nsib);
	}
}

/* One value of an axis, normalised, for finding the same value twice. */
struct axval {
	uint64_t num;
	const char *str;        /* T_STR and T_ENUM compare by name */
	size_t idx;
};

static int axval_cmp(const struct axval *x, const struct axval *y)
{
	return x->str ? strcmp(x->str, y->str) : (x->num > y->num) - (x->num < y->num);
}

/* By value, then by place in the list: the first of equal values comes first. */
static int by_axval(const void *a, const void *b)
{
	const struct axval *x = a, *y = b;
	int c = axval_cmp(x, y);

	if (c)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The same value twice in one matrix list (blocking twice, or 64K and
 * 65536) gives cells with one id that run the same thing: refused. */
static void check_axis_duplicates(struct scenario *sc, const struct scenario_axis *ax)
{
	const struct schema_ent *e = &sc_schema[ax->ent];
	struct axval *v;
	char cause[160];

	if (ax->n < 2)
		return;
	v = calloc(ax->n, sizeof *v);
	if (!v) {
		sc->oom = 1;
		return;
	}
	for (size_t i = 0; i < ax->n; i++) {
		v[i].idx = i;
		if (e->type == T_STR || e->type == T_ENUM)
			v[i].str = ax->values[i].raw;
		else if (sc_parse_value(e, ax->values[i].raw, &v[i].num, cause, sizeof cause) < 0)
			v[i].num = 0; /* cannot happen: checked when loaded */
	}
	qsort(v, ax->n, sizeof *v, by_axval);
	for (size_t a = 0, b; a < ax->n; a = b)
		for (b = a + 1; b < ax->n && !axval_cmp(&v[a], &v[b]); b++) {
			const struct scenario_value *first = &ax->values[v[a].idx], *again = &ax->values[v[b].idx];

			sc_error(sc, again->line, again->column,
			          "matrix: %s: value %s at %u:%u is the same as %s at %u:%u; give each value once "
			          "(the cells would repeat under one id)", e->key, again->raw, again->line, again->column,
			          first->raw, first->line, first->column);
		}
	free(v);
}

/* The values of list av for axis ax (key, entry ei): each checked; those
 * that pass are kept. Returns -1 when out of memory. */
static int load_axis_values(struct scenario *sc, yaml_document_t *doc, struct scenario_axis *ax, const char *key,
                            yaml_node_t *av)
{
	const struct schema_ent *e = &sc_schema[ax->ent];
	char path[200], exp[160];

	snprintf(path, sizeof path, "matrix: %s", key);
	for (yaml_node_item_t *it = av->data.sequence.items.start; it < av->data.sequence.items.top; it++) {
		yaml_node_t *val = yaml_document_get_node(doc, *it);
		struct scenario_value *vv = &ax->values[ax->n];

		if (val->type != YAML_SCALAR_NODE || is_null_scalar(val)) {
			sc_error(sc, LINE(val), COL(val), "%s: expected %s, found %s", path,
			         sc_type_expect(e, exp, sizeof exp), node_kind(val));
			continue;
		}
		if (sc_check_value(sc, e, path, scalar(val), LINE(val), COL(val)) < 0)
			continue;
		vv->raw = xstrdup(sc, scalar(val));
		if (!vv->raw)
			return -1;
		vv->line = LINE(val);
		vv->column = COL(val);
		ax->n++;
	}
	return 0;
}

/* The entry of matrix key ak, or -1 (with the error when it is not one). */
static int axis_entry(struct scenario *sc, const yaml_node_t *ak, const yaml_node_t *av)
{
	const char *key = scalar(ak);
	char sug[96];
	int ei = sc_find_ent(key);

	if (ei < 0) {
		sc_error(sc, LINE(ak), COL(ak), "matrix: %s: unknown key%s", key, sc_suggest_key(key, sug));
		return -1;
	}
	for (size_t i = 0; i < sc->naxes; i++)
		if (sc->axes[i].ent == ei)
			return -1; /* a key given twice: sc_check_duplicate_keys says so */
	if (av->type != YAML_SEQUENCE_NODE) {
		sc_error(sc, LINE(av), COL(av), "matrix: %s: expected a list of values ([a, b]), found %s",
		         key, node_kind(av));
		return -1;
	}
	if (av->data.sequence.items.start == av->data.sequence.items.top) {
		sc_error(sc, LINE(av), COL(av), "matrix: %s: empty list; give at least one value", key);
		return -1;
	}
	return ei;
}

/* One axis: key ak, list av. Returns -1 when out of memory. */
static int load_axis(struct scenario *sc, yaml_document_t *doc, yaml_node_t *ak, yaml_node_t *av)
{
	struct scenario_axis *ax, *v;
	size_t nitems;
	int ei;

	if (ak->type != YAML_SCALAR_NODE) {
		sc_error(sc, LINE(ak), COL(ak), "matrix: keys must be dotted names like client.payload");
		return 0;
	}
	if (is_merge_key(ak) || (ei = axis_entry(sc, ak, av)) < 0)
		return 0; /* merge keys: sc_check_merge_keys says so */
	nitems = (size_t)(av->data.sequence.items.top - av->data.sequence.items.start);
	v = sc_grow(sc, sc->axes, sc->naxes, sizeof *v);
	if (!v)
		return -1;
	sc->axes = v;
	ax = &v[sc->naxes];
	memset(ax, 0, sizeof *ax);
	ax->values = calloc(nitems, sizeof *ax->values);
	if (!ax->values)
		return -1;
	sc->naxes++;
	ax->ent = ei;
	ax->line = LINE(ak);
	ax->column = COL(ak);
	if (load_axis_values(sc, doc, ax, scalar(ak), av) < 0)
		return -1;
	check_axis_duplicates(sc, ax);
	return 0;
}

static void load_matrix(struct scenario *sc, yaml_document_t *doc, yaml_node_t *k, yaml_node_t *m)
{
	if (m->type != YAML_MAPPING_NODE) {
		sc_error(sc, LINE(m), COL(m), "matrix: expected a mapping of dotted keys to lists "
		         "(client.payload: [60000, 120000]), found %s", node_kind(m));
		return;
	}
	if (m->data.mapping.pairs.start == m->data.mapping.pairs.top) {
		sc_error(sc, LINE(k), COL(k), "matrix: empty; give at least one key with a list of values, or remove it");
		return;
	}
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (load_axis(sc, doc, yaml_document_get_node(doc, p->key), yaml_document_get_node(doc, p->value)) < 0) {
			sc->oom = 1;
			return;
		}
}

/* name or description: a string that fits; a name only of what a path may hold. */
static void load_text(struct scenario *sc, const char *kn, const yaml_node_t *v)
{
	char *dst = kn[0] == 'n' ? sc->name : sc->description;
	size_t len = kn[0] == 'n' ? sizeof sc->name : sizeof sc->description;

	if (v->type != YAML_SCALAR_NODE || is_null_scalar(v)) {
		sc_error(sc, LINE(v), COL(v), "%s: expected a string, found %s", kn,
		         is_null_scalar(v) ? "nothing" : node_kind(v));
		return;
	}
	if (strlen(scalar(v)) >= len) {
		sc_error(sc, LINE(v), COL(v), "%s: %zu characters, longer than the %zu allowed", kn, strlen(scalar(v)),
		         len - 1);
		return;
	}
	snprintf(dst, len, "%s", scalar(v));
	if (dst != sc->name)
		return;
	for (const char *c = dst; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._-", *c)) {
			sc_error(sc, LINE(v), COL(v), "name: '%s' is used in result paths: "
			         "use letters, digits, '.', '_' and '-' only", dst);
			return;
		}
}

static void load_repeat(struct scenario *sc, const yaml_node_t *v)
{
	uint64_t r;
	char cause[128];

	if (v->type != YAML_SCALAR_NODE || units_parse_uint(scalar(v), 1, 1000, &r, cause, sizeof cause) < 0) {
		sc_error(sc, LINE(v), COL(v), "repeat: expected a whole number from 1 to 1000, found %s%s%s",
		         v->type == YAML_SCALAR_NODE ? "'" : node_kind(v),
		         v->type == YAML_SCALAR_NODE ? scalar(v) : "", v->type == YAML_SCALAR_NODE ? "'" : "");
		return;
	}
	sc->repeat = (unsigned)r;
}

/* One top-level key k with its value v. */
static void load_top(struct scenario *sc, yaml_document_t *doc, yaml_node_t *k, yaml_node_t *v)
{
	const char *kn = scalar(k);
	char sug[96];

	if (!strcmp(kn, "name") || !strcmp(kn, "description")) {
		load_text(sc, kn, v);
	} else if (!strcmp(kn, "repeat")) {
		load_repeat(sc, v);
	} else if (!strcmp(kn, "timeout")) {
		set_param(sc, "timeout", k, v, top_keys, 99);
	} else if (!strcmp(kn, "matrix")) {
		if (!sc->matrix_line) {
			sc->matrix_line = LINE(k);
			sc->matrix_column = COL(k);
		}
		load_matrix(sc, doc, k, v);
	} else if (!strcmp(kn, "expect")) {
		sc_load_expect(sc, doc, v);
	} else if (sc_enum_index(sections, kn) >= 0) {
		if (!strcmp(kn, "server") && !sc->has_server_section) {
			sc->has_server_section = 1;
			sc->server_line = LINE(k);
			sc->server_column = COL(k);
		}
		load_section(sc, doc, kn, v);
	} else {
		sc_error(sc, LINE(k), COL(k), "%s: unknown key%s", kn, sc_suggest(kn, top_keys, 99, sug));
	}
}

void sc_load_root(struct scenario *sc, yaml_document_t *doc, yaml_node_t *root)
{
	int named = 0;

	if (!root) {
		sc_error(sc, 1, 1, "empty scenario: expected a mapping with name, target, server, client ...");
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		sc_error(sc, LINE(root), COL(root), "expected a mapping with name, target, server, client ..., found %s",
		         node_kind(root));
		return;
	}
	sc_check_duplicate_keys(sc, doc);
	sc_check_merge_keys(sc, doc);
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key), *v = yaml_document_get_node(doc, p->value);

		if (k->type != YAML_SCALAR_NODE) {
			sc_error(sc, LINE(k), COL(k), "keys must be plain words");
			continue;
		}
		if (is_merge_key(k))
			continue; /* sc_check_merge_keys says so */
		named |= !strcmp(scalar(k), "name");
		load_top(sc, doc, k, v);
		if (sc->oom)
			return;
	}
	/* A name given but refused has its error already. */
	if (!named)
		sc_error(sc, 1, 1, "name: missing; every scenario needs a name (it names the results folder)");
}
