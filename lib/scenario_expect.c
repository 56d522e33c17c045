/* scenario_expect: the expectation rules (expect:), loaded and checked. */
#include "scenario_int.h"
#include <stdlib.h>
#include <string.h>

static const char *const expect_keys[] = { "when", "outcome", "stall_cause", "ended_by", NULL };
static const char *const outcomes[] = { "completed", "deadlock", "alarm", "reset", "error", "corrupt", NULL };
static const char *const causes[] = { "probe_deadlock", "receiver_stall", "silent_peer", "abort", "idle", "none", NULL };
static const char *const enders[] = { "completion", "detector", "alarm", "peer", "stack", "verification", "error", NULL };

static void copy_enum(struct scenario *sc, char *dst, size_t len, const char *const *allowed,
                      const char *what, const yaml_node_t *v)
{
	char sug[96];

	if (v->type != YAML_SCALAR_NODE) {
		sc_error(sc, LINE(v), COL(v), "expect: %s: expected a word, found %s", what, node_kind(v));
		return;
	}
	if (sc_enum_index(allowed, scalar(v)) < 0) {
		sc_error(sc, LINE(v), COL(v), "expect: %s: unknown value '%s'%s", what, scalar(v),
		          sc_suggest(scalar(v), allowed, 99, sug));
		return;
	}
	snprintf(dst, len, "%s", scalar(v));
}

static void load_when(struct scenario *sc, yaml_document_t *doc, struct scenario_expect *e, yaml_node_t *val)
{
	const char *keys[SC_NSCHEMA + 1];
	char sug[96];

	for (size_t i = 0; i < SC_NSCHEMA; i++)
		keys[i] = sc_schema[i].key;
	keys[SC_NSCHEMA] = NULL;
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

		if (ei < 0) {
			sc_error(sc, LINE(wk), COL(wk), "expect: when: %s: unknown key%s", wn,
			          sc_suggest(wn, keys, SC_NSCHEMA, sug));
			continue;
		}
		snprintf(path, sizeof path, "expect: when: %s", wn);
		if (wv->type != YAML_SCALAR_NODE) {
			sc_error(sc, LINE(wv), COL(wv), "%s: expected one value, found %s", path, node_kind(wv));
			continue;
		}
		if (sc_check_value(sc, &sc_schema[ei], path, scalar(wv), LINE(wv), COL(wv)) < 0)
			continue;
		nw = realloc(e->when, (e->nwhen + 1) * sizeof *e->when);
		if (!nw) {
			sc->oom = 1;
			return;
		}
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

void sc_load_expect(struct scenario *sc, yaml_document_t *doc, yaml_node_t *s)
{
	char sug[96];

	if (s->type != YAML_SEQUENCE_NODE) {
		sc_error(sc, LINE(s), COL(s), "expect: expected a list of rules (- when: {...}\\n  outcome: ...), found %s",
		          node_kind(s));
		return;
	}
	for (yaml_node_item_t *it = s->data.sequence.items.start; it < s->data.sequence.items.top; it++) {
		yaml_node_t *r = yaml_document_get_node(doc, *it);
		struct scenario_expect *e, *v;

		if (r->type != YAML_MAPPING_NODE) {
			sc_error(sc, LINE(r), COL(r), "expect: each rule is a mapping (when, outcome, stall_cause, ended_by), found %s",
			          node_kind(r));
			continue;
		}
		v = realloc(sc->expects, (sc->nexpects + 1) * sizeof *v);
		if (!v) {
			sc->oom = 1;
			return;
		}
		sc->expects = v;
		e = &v[sc->nexpects++];
		memset(e, 0, sizeof *e);
		e->line = LINE(r);
		for (yaml_node_pair_t *p = r->data.mapping.pairs.start; p < r->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key), *val = yaml_document_get_node(doc, p->value);
			const char *kn = k->type == YAML_SCALAR_NODE ? scalar(k) : "?";

			if (!strcmp(kn, "outcome")) {
				copy_enum(sc, e->outcome, sizeof e->outcome, outcomes, "outcome", val);
			} else if (!strcmp(kn, "stall_cause")) {
				copy_enum(sc, e->stall_cause, sizeof e->stall_cause, causes, "stall_cause", val);
			} else if (!strcmp(kn, "ended_by")) {
				copy_enum(sc, e->ended_by, sizeof e->ended_by, enders, "ended_by", val);
			} else if (!strcmp(kn, "when")) {
				load_when(sc, doc, e, val);
			} else {
				sc_error(sc, LINE(k), COL(k), "expect: %s: unknown key%s", kn,
				          sc_suggest(kn, expect_keys, 99, sug));
			}
		}
		if (!e->outcome[0] && !e->stall_cause[0] && !e->ended_by[0])
			sc_error(sc, LINE(r), COL(r), "expect: a rule needs at least one of outcome, stall_cause, ended_by");
	}
}

int scenario_check(const struct scenario *sc, const struct scenario_cell *cell,
                   const char *outcome, stall_cause_set found_causes, const char *ended_by,
                   int *failed, char *why, size_t whylen)
{
	int applied = 0;

	*failed = 0;
	why[0] = 0;
	for (size_t i = 0; i < sc->nexpects; i++) {
		const struct scenario_expect *e = &sc->expects[i];
		char msg[200] = "";
		int ok = 1;

		for (size_t w = 0; w < e->nwhen; w++)
			if (!sc_same_value(e->when[w].ent, sc_value_of(sc, cell, e->when[w].ent), e->when[w].v.raw))
				goto next;
		applied++;
		if (e->outcome[0] && strcmp(e->outcome, outcome)) {
			snprintf(msg, sizeof msg, "expected outcome %s, got %s (rule at line %u)", e->outcome, outcome, e->line);
			ok = 0;
		} else if (e->stall_cause[0]) {
			enum stall_cause want;
			int found = !strcmp(e->stall_cause, "none") ? !found_causes
			            : stall_cause_parse(e->stall_cause, &want) == 0 && (found_causes & STALL_CAUSE_BIT(want));

			if (!found) {
				char got[128];

				stall_cause_set_format(found_causes, got, sizeof got);
				snprintf(msg, sizeof msg, "expected stall cause %s, the analysis found %s (rule at line %u)",
				         e->stall_cause, found_causes ? got : "none", e->line);
				ok = 0;
			}
		}
		if (ok && e->ended_by[0] && strcmp(e->ended_by, ended_by)) {
			snprintf(msg, sizeof msg, "expected the run to end by %s, it ended by %s (rule at line %u)",
			         e->ended_by, ended_by, e->line);
			ok = 0;
		}
		if (!ok) {
			if (!*failed)
				snprintf(why, whylen, "%s", msg);
			(*failed)++;
		}
next:;
	}
	return applied;
}
