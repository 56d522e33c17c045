/* scenario_int: what the scenario's files share (scenario.c loading a file through the
 * steps below it; scenario_yaml.c what is wrong with the YAML itself; scenario_load.c the
 * sections, the matrix and the top-level keys; scenario_expect.c the expectations;
 * scenario_cellcheck.c each cell's rules; scenario_expand.c the cells; scenario_filter.c
 * --only; scenario_schema.c the key table and its values; scenario_error.c the errors).
 * Calls go down that list, never up. Not for use outside lib/scenario*.c. */
#ifndef PROBELOCK_SCENARIO_INT_H
#define PROBELOCK_SCENARIO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "scenario.h"

/* T_KA: SO_KEEPALIVE as IDLE[,INTVL[,CNT]] (sockopt_parse_keepalive). */
enum vtype { T_STR, T_ENUM, T_SIZE, T_DUR, T_INT, T_BOOL, T_RATE, T_KA };

#define ZERO_OK 1u            /* 0 (not set) is allowed besides [min, max] */
#define WHOLE_SEC 2u          /* durations: whole seconds only */

struct schema_ent {
	const char *key;      /* dotted */
	enum vtype type;
	const char *def;      /* default, as written in a scenario */
	const char *help;
	const char *const *enums;
	uint64_t min, max;    /* sizes, durations (us), ints; strings: longest (0: the field's size) */
	size_t off, size;     /* where it lands in struct cellcfg */
	unsigned flags;
};

/* The schema: SC_NSCHEMA entries (scenario_schema.c asserts the count). */
#define SC_NSCHEMA 44
extern const struct schema_ent sc_schema[SC_NSCHEMA];
/* enum target_kind's names, in its order. */
extern const char *const sc_target_kinds[];

/* --- scenario_schema.c --- */
int sc_find_ent(const char *key);
size_t sc_edit_distance(const char *a, const char *b);
/* "; did you mean 'x'?" for the nearest of n candidates (or up to NULL), or "" (buf must hold 96). */
const char *sc_suggest(const char *word, const char *const *cands, size_t n, char *buf);
/* sc_suggest among the schema's keys. */
const char *sc_suggest_key(const char *word, char *buf);
/* What a value of e looks like, for "expected ...". */
const char *sc_type_expect(const struct schema_ent *e, char *buf, size_t len);
/* v as a scenario writes it: 100ms, 24h, 64K. */
const char *sc_format_value(const struct schema_ent *e, uint64_t v, char *buf, size_t len);
int sc_enum_index(const char *const *v, const char *s);
int sc_parse_value(const struct schema_ent *e, const char *s, uint64_t *out, char *cause, size_t len);
int sc_same_value(int ent, const char *a, const char *b);
/* Checks value s of e (written at line:col, named path in messages): 0, or
 * -1 with the error added to sc. */
int sc_check_value(struct scenario *sc, const struct schema_ent *e, const char *path,
                   const char *s, unsigned line, unsigned col);

/* --- scenario_error.c --- */
/* An error at line:col (0:0: not tied to a place); the same one twice is kept once. */
void sc_error(struct scenario *sc, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* --- scenario_yaml.c --- */
void sc_check_duplicate_keys(struct scenario *sc, yaml_document_t *doc);
/* libyaml's syntax error with its place, and a hint for a tab or an unquoted ':'. */
void sc_yaml_syntax_error(struct scenario *sc, yaml_parser_t *parser, const unsigned char *buf, size_t len);
/* The first NUL byte of buf as an error at its line:column: 1, or 0 when there is none. */
int sc_yaml_nul_byte(struct scenario *sc, const unsigned char *buf, size_t len);
/* After the first document: a second one is an error at its start. */
void sc_yaml_second_document(struct scenario *sc, yaml_parser_t *parser, const unsigned char *buf, size_t len);
/* YAML merge keys (<<: *base) anywhere: an error each (the loaders skip them). */
void sc_check_merge_keys(struct scenario *sc, yaml_document_t *doc);

/* --- scenario_load.c --- */
void sc_load_root(struct scenario *sc, yaml_document_t *doc, yaml_node_t *root);

/* --- scenario_expect.c --- */
void sc_load_expect(struct scenario *sc, yaml_document_t *doc, yaml_node_t *s);

/* --- scenario_expand.c --- */
const char *sc_value_of(const struct scenario *sc, const struct scenario_cell *cell, int ent);
void sc_place_of(const struct scenario *sc, const struct scenario_cell *cell, int ent,
                 unsigned *line, unsigned *col);
int sc_is_axis(const struct scenario *sc, int ent);
int sc_is_given(const struct scenario *sc, int ent);
int sc_bound_cells(struct scenario *sc, size_t *count);
int sc_expand(struct scenario *sc, size_t n);
void sc_check_ids(struct scenario *sc);

/* --- scenario_cellcheck.c --- */
void sc_check_cell(struct scenario *sc, const struct scenario_cell *c);

/* --- libyaml nodes --- */
#define LINE(n) ((unsigned)(n)->start_mark.line + 1)
#define COL(n) ((unsigned)(n)->start_mark.column + 1)

static inline const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static inline int is_null_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*scalar(n) || !strcmp(scalar(n), "~") || !strcmp(scalar(n), "null"));
}

static inline const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* A YAML merge key (<<), plain: libyaml does not merge it. */
static inline int is_merge_key(const yaml_node_t *k)
{
	return k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp(scalar(k), "<<");
}

/* strdup that records a failure in sc (scenario_load then returns NULL). */
static inline char *xstrdup(struct scenario *sc, const char *s)
{
	char *d = strdup(s);

	if (!d)
		sc->oom = 1;
	return d;
}

/* realloc of p (n elements of size bytes) to n + 1 that records a failure in sc
 * like xstrdup; NULL then, and p is left as it was. */
static inline void *sc_grow(struct scenario *sc, void *p, size_t n, size_t size)
{
	void *v = realloc(p, (n + 1) * size);

	if (!v)
		sc->oom = 1;
	return v;
}

#endif
