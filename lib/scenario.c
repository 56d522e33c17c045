/* scenario: a YAML scenario (libyaml) validated against one schema table, expanded into a
 * matrix of cells, each with its typed configuration. This file: loading a file through
 * the steps, each in its own file below (scenario_int.h): the YAML (scenario_yaml.c), its
 * keys and values (scenario_load.c, scenario_schema.c, scenario_expect.c), the matrix
 * (scenario_expand.c) and each cell's checks (scenario_cellcheck.c). */
#include "scenario_int.h"
#include "fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
			sc_yaml_syntax_error(sc, &parser, buf, len);
		yaml_parser_delete(&parser);
		return;
	}
	root = yaml_document_get_root_node(&doc);
	sc_load_root(sc, &doc, root);
	yaml_document_delete(&doc);
	if (root && !sc->oom)
		sc_yaml_second_document(sc, &parser, buf, len);
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
	if (sc && !sc_yaml_nul_byte(sc, buf, len))
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
