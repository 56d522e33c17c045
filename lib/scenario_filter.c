/* scenario_filter: --only filters. */
#include "scenario_int.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* --- filters (--only) --- */

#define FILTER_MAX 4096
#define FILTER_TERMS 64

struct fterm {
	const char *key, *val;  /* into the caller's copy of the filter */
	const char *text;       /* the term as given, for messages */
	int ent;
};

/* A term's key and value: a known key, a value that parses for it. */
static int check_term(struct fterm *t, char *err, size_t errlen)
{
	char sug[96], cause[160], exp[160];
	uint64_t v;

	t->ent = sc_find_ent(t->key);
	if (t->ent < 0) {
		snprintf(err, errlen, "--only '%s': unknown key '%s'%s", t->text, t->key, sc_suggest_key(t->key, sug));
		return -1;
	}
	if (!*t->val) {
		snprintf(err, errlen, "--only '%s': empty value; give %s=VALUE", t->text, t->key);
		return -1;
	}
	/* A name no enum has is a value no cell has: scenario_filter_check
	 * lists those this scenario has. */
	if (sc_schema[t->ent].type != T_ENUM &&
	    sc_parse_value(&sc_schema[t->ent], t->val, &v, cause, sizeof cause) < 0) {
		snprintf(err, errlen, "--only '%s': %s: expected %s, found '%s': %s", t->text, t->key,
		         sc_type_expect(&sc_schema[t->ent], exp, sizeof exp), t->val, cause);
		return -1;
	}
	return 0;
}

/* Splits filter into terms, in buf (FILTER_MAX bytes) and text (as many):
 * a comma starts a term when the text after it, up to the next comma, has
 * a '='; otherwise it belongs to the value before it ("5s,1s,3"). Then
 * checks each key and value. Returns the number of terms, or -1 with err. */
static int filter_parse(const char *filter, char *buf, char *text, struct fterm *t, char *err, size_t errlen)
{
	size_t n = 0, len;
	char *p, *q;

	if (!filter || !*filter) {
		snprintf(err, errlen, "--only: empty filter; give KEY=VALUE, e.g. client.mode=blocking");
		return -1;
	}
	len = strlen(filter);
	if (len >= FILTER_MAX) {
		snprintf(err, errlen, "--only: the filter is longer than %d characters", FILTER_MAX - 1);
		return -1;
	}
	memcpy(buf, filter, len + 1);
	memcpy(text, filter, len + 1);
	for (p = buf, q = text;;) {
		char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		char *eq = memchr(p, '=', (size_t)(end - p));

		if (end == p) {
			snprintf(err, errlen, "--only '%s': an empty term (a comma at an end, or two together); "
			         "give KEY=VALUE[,KEY=VALUE...]", filter);
			return -1;
		}
		if (!eq && !n) {
			snprintf(err, errlen, "--only '%.*s': expected KEY=VALUE, e.g. client.mode=blocking",
			         (int)(end - p), p);
			return -1;
		}
		if (eq) {
			if (n == FILTER_TERMS) {
				snprintf(err, errlen, "--only: more than %d terms", FILTER_TERMS);
				return -1;
			}
			if (n) {
				p[-1] = 0; /* ends the term before */
				q[-1] = 0;
			}
			*eq = 0;
			t[n].key = p;
			t[n].val = eq + 1;
			t[n].text = q;
			n++;
		}
		if (!comma)
			break;
		q += comma + 1 - p;
		p = comma + 1;
	}
	for (size_t i = 0; i < n; i++)
		if (check_term(&t[i], err, errlen) < 0)
			return -1;
	return (int)n;
}

static int terms_match(const struct scenario *sc, const struct scenario_cell *cell, const struct fterm *t, int n)
{
	for (int i = 0; i < n; i++)
		if (!sc_same_value(t[i].ent, sc_value_of(sc, cell, t[i].ent), t[i].val))
			return 0;
	return 1;
}

int scenario_cell_matches(const struct scenario *sc, const struct scenario_cell *cell,
                          const char *filter, char *err, size_t errlen)
{
	char buf[FILTER_MAX], text[FILTER_MAX];
	struct fterm t[FILTER_TERMS];
	int n = filter_parse(filter, buf, text, t, err, errlen);

	return n < 0 ? -1 : terms_match(sc, cell, t, n);
}

/* The values of ent the cells of sc have, as written: "a, b, c". */
static void list_values(const struct scenario *sc, int ent, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t a = 0; a < sc->naxes; a++) {
		if (sc->axes[a].ent != ent)
			continue;
		for (size_t v = 0; v < sc->axes[a].n && o < len; v++) {
			if (v == 20 && sc->axes[a].n > 21) {
				snprintf(buf + o, len - o, " ... (%zu in all)", sc->axes[a].n);
				return;
			}
			o += (size_t)snprintf(buf + o, len - o, "%s%s", v ? ", " : "", sc->axes[a].values[v].raw);
		}
		return;
	}
	{
		const char *base = sc->params[ent].set ? sc->params[ent].v.raw : sc_schema[ent].def;

		snprintf(buf, len, "%s", *base ? base : "\"\" (none)");
	}
}

/* "; did you mean X?" with the value of ent in sc nearest to val: by
 * number for numbers, by spelling for names (when close enough). */
static void nearest_value(const struct scenario *sc, int ent, const char *val, char *buf, size_t len)
{
	const struct schema_ent *e = &sc_schema[ent];
	const struct scenario_axis *ax = NULL;
	const char *best = NULL;
	char cause[160];
	uint64_t x, y, bestd = UINT64_MAX;
	size_t bested = 99;

	buf[0] = 0;
	for (size_t a = 0; a < sc->naxes; a++)
		if (sc->axes[a].ent == ent)
			ax = &sc->axes[a];
	if (!ax)
		return; /* one value: it is in the list already */
	for (size_t v = 0; v < ax->n; v++) {
		const char *cand = ax->values[v].raw;

		if (e->type == T_STR || e->type == T_ENUM || e->type == T_KA || e->type == T_BOOL) {
			size_t d = sc_edit_distance(val, cand);

			if (d < bested) {
				bested = d;
				best = cand;
			}
		} else if (sc_parse_value(e, val, &x, cause, sizeof cause) == 0 &&
		           sc_parse_value(e, cand, &y, cause, sizeof cause) == 0) {
			uint64_t d = x > y ? x - y : y - x;

			if (d < bestd) {
				bestd = d;
				best = cand;
			}
		}
	}
	if (best && (bestd != UINT64_MAX || bested <= 2 || (bested <= 3 && strlen(val) >= 8)))
		snprintf(buf, len, "; did you mean %s?", best);
}

int scenario_filter_check(const struct scenario *sc, const char *filter, char *err, size_t errlen)
{
	char buf[FILTER_MAX], text[FILTER_MAX];
	struct fterm t[FILTER_TERMS];
	int n = filter_parse(filter, buf, text, t, err, errlen), matches = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int found = 0;

		for (int j = 0; j < i; j++)
			if (t[j].ent == t[i].ent && !sc_same_value(t[i].ent, t[j].val, t[i].val)) {
				snprintf(err, errlen, "--only '%s': %s is given twice with different values (%s and %s), so "
				         "no cell matches: the terms of a filter must all hold (commas mean AND, and so do "
				         "repeated --only)", filter, t[i].key, t[j].val, t[i].val);
				return -1;
			}
		if (sc_is_axis(sc, t[i].ent)) {
			for (size_t a = 0; a < sc->naxes && !found; a++)
				if (sc->axes[a].ent == t[i].ent)
					for (size_t v = 0; v < sc->axes[a].n && !found; v++)
						found = sc_same_value(t[i].ent, sc->axes[a].values[v].raw, t[i].val);
		} else {
			found = sc_same_value(t[i].ent, sc->params[t[i].ent].set ? sc->params[t[i].ent].v.raw :
			                   sc_schema[t[i].ent].def, t[i].val);
		}
		if (!found) {
			char vals[600], near[120];

			list_values(sc, t[i].ent, vals, sizeof vals);
			nearest_value(sc, t[i].ent, t[i].val, near, sizeof near);
			if (sc_is_axis(sc, t[i].ent))
				snprintf(err, errlen, "--only '%s': no cell has %s %s; this scenario has %s%s", t[i].text,
				         t[i].key, t[i].val, vals, near);
			else
				snprintf(err, errlen, "--only '%s': no cell has %s %s; every cell of this scenario has %s "
				         "(it is not in the matrix)", t[i].text, t[i].key, t[i].val, vals);
			return -1;
		}
	}
	for (size_t c = 0; c < sc->ncells; c++)
		matches += terms_match(sc, &sc->cells[c], t, n);
	if (!matches) {
		snprintf(err, errlen, "--only '%s': no cell matches all of its terms", filter);
		return -1;
	}
	return matches;
}

int scenario_filter_join(char *dst, size_t dstlen, const char *add)
{
	size_t l = strlen(dst), al = strlen(add);

	if (l + (l ? 1 : 0) + al + 1 > dstlen)
		return -1;
	if (l)
		dst[l++] = ',';
	memcpy(dst + l, add, al + 1);
	return 0;
}
