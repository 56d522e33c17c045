/* scenario_error: a scenario's errors, each with its place, kept in the file's order. */
#include "scenario_int.h"

#include <stdarg.h>
#include <stdio.h>

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
	v = sc_grow(sc, sc->errors, sc->nerrors, sizeof *v);
	if (!v)
		return;
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
