/* scenario_expect: the expectation rules (expect:), loaded and checked. */
#include "scenario_int.h"
#include "client.h"
#include "stall.h"

#include <stdlib.h>
#include <string.h>

static const char *const expect_keys[] = { "when", "outcome", "stall_cause", "ended_by", NULL };

/* The fields of a rule and their words: the programs' name tables; for
 * stall_cause "none" after them (no stall at all: SCENARIO_NO_STALL). */
static const struct scenario_word_doc expect_docs[] = {
	{ "when", "mapping", "the cells the rule applies to: dotted keys to one value each, all must hold (no when: every cell)", NULL, NULL },
	{ "outcome", "one of", "the client's outcome", client_outcome_names, NULL },
	{ "stall_cause", "one of", "a cause the capture's analysis found (none: no stall at all)", stall_cause_names, "none" },
	{ "ended_by", "one of", "what ended the client's run", client_end_names, NULL },
};
#define D_OUTCOME (&expect_docs[1])
#define D_CAUSE (&expect_docs[2])
#define D_ENDED (&expect_docs[3])

const char *scenario_word(const struct scenario_word_doc *d, size_t i)
{
	size_t n = 0;

	while (d->values && d->values[n])
		n++;
	if (i < n)
		return d->values[i];
	return i == n ? d->extra : NULL;
}

const char *scenario_expect_word(const struct scenario_expect *x, const char *field)
{
	const char *w = NULL;

	if (!strcmp(field, "outcome") && x->outcome >= 0)
		w = scenario_word(D_OUTCOME, (size_t)x->outcome);
	else if (!strcmp(field, "stall_cause") && x->stall_cause >= 0)
		w = scenario_word(D_CAUSE, (size_t)x->stall_cause);
	else if (!strcmp(field, "ended_by") && x->ended_by >= 0)
		w = scenario_word(D_ENDED, (size_t)x->ended_by);
	return w ? w : "";
}

static int expect_index(const struct scenario_word_doc *d, const char *s)
{
	const char *w;

	for (size_t i = 0; (w = scenario_word(d, i)); i++)
		if (!strcmp(w, s))
			return (int)i;
	return -1;
}

size_t scenario_expect_docs(const struct scenario_word_doc **docs)
{
	*docs = expect_docs;
	return sizeof expect_docs / sizeof expect_docs[0];
}

const char *scenario_word_list(const struct scenario_word_doc *d, char *buf, size_t len)
{
	const char *w;
	size_t o = 0;

	if (!len)
		return buf;
	buf[0] = 0;
	for (size_t i = 0; (w = scenario_word(d, i)) && o + 1 < len; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", w);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

/* One word of field d at v into *dst (its index). */
static void load_word(struct scenario *sc, int *dst, const struct scenario_word_doc *d, const yaml_node_t *v)
{
	const char *cands[32];
	char sug[96], all[256];
	size_t n = 0;

	if (v->type != YAML_SCALAR_NODE) {
		sc_error(sc, LINE(v), COL(v), "expect: %s: expected one of %s, found %s", d->key,
		         scenario_word_list(d, all, sizeof all), node_kind(v));
		return;
	}
	*dst = expect_index(d, scalar(v));
	if (*dst >= 0)
		return;
	for (; n < 31 && scenario_word(d, n); n++)
		cands[n] = scenario_word(d, n);
	cands[n] = NULL;
	sc_error(sc, LINE(v), COL(v), "expect: %s: unknown value '%s'%s (one of %s)", d->key, scalar(v),
	         sc_suggest(scalar(v), cands, n, sug), scenario_word_list(d, all, sizeof all));
}

static void load_when(struct scenario *sc, yaml_document_t *doc, struct scenario_expect *e, yaml_node_t *val)
{
	char sug[96];

	if (val->type != YAML_MAPPING_NODE) {
		sc_error(sc, LINE(val), COL(val), "expect: when: expected a mapping of dotted keys to values, found %s",
		          node_kind(val));
		return;
	}
	for (yaml_node_pair_t *w = val->data.mapping.pairs.start; w < val->data.mapping.pairs.top; w++) {
		yaml_node_t *wk = yaml_document_get_node(doc, w->key), *wv = yaml_document_get_node(doc, w->value);
		const char *wn = wk->type == YAML_SCALAR_NODE ? scalar(wk) : "?";
		int ei = sc_find_ent(wn);
		char path[200];
		void *nw;

		if (is_merge_key(wk))
			continue; /* sc_check_merge_keys says so */
		if (ei < 0) {
			sc_error(sc, LINE(wk), COL(wk), "expect: when: %s: unknown key%s", wn, sc_suggest_key(wn, sug));
			continue;
		}
		snprintf(path, sizeof path, "expect: when: %s", wn);
		if (wv->type != YAML_SCALAR_NODE) {
			sc_error(sc, LINE(wv), COL(wv), "%s: expected one value, found %s", path, node_kind(wv));
			continue;
		}
		if (sc_check_value(sc, &sc_schema[ei], path, scalar(wv), LINE(wv), COL(wv)) < 0)
			continue;
		nw = sc_grow(sc, e->when, e->nwhen, sizeof *e->when);
		if (!nw)
			return;
		e->when = nw;
		e->when[e->nwhen].ent = ei;
		e->when[e->nwhen].v.raw = xstrdup(sc, scalar(wv));
		if (!e->when[e->nwhen].v.raw)
			return;
		e->when[e->nwhen].v.line = LINE(wv);
		e->when[e->nwhen].v.column = COL(wv);
		e->nwhen++;
	}
}

/* The fields of rule r into e; a rule that asks nothing is an error (one
 * whose words are all wrong has its errors already). */
static void load_rule(struct scenario *sc, yaml_document_t *doc, struct scenario_expect *e, yaml_node_t *r)
{
	char sug[96];
	int asked = 0;

	memset(e, 0, sizeof *e);
	e->outcome = e->stall_cause = e->ended_by = -1;
	e->line = LINE(r);
	for (yaml_node_pair_t *p = r->data.mapping.pairs.start; p < r->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key), *val = yaml_document_get_node(doc, p->value);
		const char *kn = k->type == YAML_SCALAR_NODE ? scalar(k) : "?";

		if (is_merge_key(k))
			continue; /* sc_check_merge_keys says so */
		if (!strcmp(kn, "outcome")) {
			load_word(sc, &e->outcome, D_OUTCOME, val);
			asked++;
		} else if (!strcmp(kn, "stall_cause")) {
			load_word(sc, &e->stall_cause, D_CAUSE, val);
			asked++;
		} else if (!strcmp(kn, "ended_by")) {
			load_word(sc, &e->ended_by, D_ENDED, val);
			asked++;
		} else if (!strcmp(kn, "when")) {
			load_when(sc, doc, e, val);
		} else {
			sc_error(sc, LINE(k), COL(k), "expect: %s: unknown key%s", kn, sc_suggest(kn, expect_keys, 99, sug));
		}
	}
	if (!asked)
		sc_error(sc, LINE(r), COL(r), "expect: a rule needs at least one of outcome, stall_cause, ended_by");
}

void sc_load_expect(struct scenario *sc, yaml_document_t *doc, yaml_node_t *s)
{
	if (s->type != YAML_SEQUENCE_NODE) {
		sc_error(sc, LINE(s), COL(s), "expect: expected a list of rules (- when: {...}\\n  outcome: ...), found %s",
		          node_kind(s));
		return;
	}
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		yaml_node_t *r = yaml_document_get_node(doc, *it);
		struct scenario_expect *v;

		if (r->type != YAML_MAPPING_NODE) {
			sc_error(sc, LINE(r), COL(r), "expect: each rule is a mapping (when, outcome, stall_cause, ended_by), found %s",
			          node_kind(r));
			continue;
		}
		v = sc_grow(sc, sc->expects, sc->nexpects, sizeof *v);
		if (!v)
			return;
		sc->expects = v;
		load_rule(sc, doc, &v[sc->nexpects++], r);
	}
}

/* Whether rule e applies to cell: every term of its when holds. */
static int rule_applies(const struct scenario *sc, const struct scenario_cell *cell, const struct scenario_expect *e)
{
	for (size_t w = 0; w < e->nwhen; w++)
		if (!sc_same_value(e->when[w].ent, sc_value_of(sc, cell, e->when[w].ent), e->when[w].v.raw))
			return 0;
	return 1;
}

static const char *name_or(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : "unknown";
}

/* Whether the causes found satisfy the rule's stall_cause: "none" wants
 * the empty set, a cause wants to be in it. */
int scenario_cause_matches(int want, stall_cause_set found)
{
	if (want == SCENARIO_NO_STALL)
		return !found;
	return want >= 0 && want < STALL_NCAUSES && (found & STALL_CAUSE_BIT(want));
}

/* Checks one applying rule: 1 when it holds, 0 with why in msg. */
static int rule_holds(const struct scenario_expect *e, int outcome, stall_cause_set found, int ended_by,
                      char *msg, size_t len)
{
	char got[128];

	if (e->outcome >= 0 && e->outcome != outcome) {
		snprintf(msg, len, "expected outcome %s, got %s (rule at line %u)", client_outcome_names[e->outcome],
		         name_or(client_outcome_names, CLIENT_NOUTCOMES, outcome), e->line);
		return 0;
	}
	if (e->stall_cause >= 0 && !scenario_cause_matches(e->stall_cause, found)) {
		stall_cause_set_format(found, got, sizeof got);
		snprintf(msg, len, "expected stall cause %s, the analysis found %s (rule at line %u)",
		         scenario_word(D_CAUSE, (size_t)e->stall_cause), found ? got : "none", e->line);
		return 0;
	}
	if (e->ended_by >= 0 && e->ended_by != ended_by) {
		snprintf(msg, len, "expected the run to end by %s, it ended by %s (rule at line %u)",
		         client_end_names[e->ended_by], name_or(client_end_names, CLIENT_NENDS, ended_by), e->line);
		return 0;
	}
	return 1;
}

int scenario_check(const struct scenario *sc, const struct scenario_cell *cell, int outcome,
                   stall_cause_set found_causes, int ended_by, int *failed, char *why, size_t whylen)
{
	int applied = 0;

	*failed = 0;
	why[0] = 0;
	for (size_t i = 0; i < sc->nexpects; i++) {
		const struct scenario_expect *e = &sc->expects[i];
		char msg[200];

		if (!rule_applies(sc, cell, e))
			continue;
		applied++;
		if (!rule_holds(e, outcome, found_causes, ended_by, msg, sizeof msg)) {
			if (!*failed)
				snprintf(why, whylen, "%s", msg);
			(*failed)++;
		}
	}
	return applied;
}

int scenario_name_index(const char *const *names, const char *s)
{
	for (int i = 0; s && names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}
