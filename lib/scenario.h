/* scenario: a YAML scenario (libyaml) validated against one schema table,
 * expanded into a matrix of cells, each with its typed configuration. */
#ifndef PROBELOCK_SCENARIO_H
#define PROBELOCK_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stall.h"

enum target_kind { TARGET_LOOPBACK, TARGET_NETNS, TARGET_REMOTE, TARGET_LWIP };
/* A target kind's name, from the scenario's one table of them ("loopback", "netns", ...;
 * "?" for a value that is none). */
const char *scenario_target_name(enum target_kind kind);
enum capture_keep { KEEP_ALWAYS, KEEP_ON_FAILURE, KEEP_NEVER };

/* Everything one cell runs with; the schema fills it from the scenario. */
struct cellcfg {
	struct {
		unsigned kind;          /* enum target_kind */
		uint64_t rate;          /* bytes/s, 0: unlimited (netns, tbf) */
		uint64_t mtu;           /* 0: default (netns) */
		uint64_t loss;          /* percent of packets dropped each way (netns, nftables) */
		uint64_t blackhole_after_us; /* drop everything the client sends after this (netns) */
		char host[256];         /* remote */
		uint64_t port;          /* remote (default 7) */
		char iface[64];         /* remote: where to capture */
	} target;
	struct {
		unsigned mode;          /* enum server_mode */
		uint64_t app_buf, sndbuf, rcvbuf, out_cap, rate;
		uint64_t stall_for_us, idle_timeout_us;
		char keepalive[64];     /* lwip target: lwip-echod's SO_KEEPALIVE, "5,5,3" */
	} server;
	struct {
		unsigned mode;          /* enum client_mode */
		uint64_t payload, times, chunk, parallel, sndbuf, rcvbuf, maxseg;
		uint64_t alarm_us, user_timeout_us, read_delay_us;
		int nodelay, abort;
		char keepalive[64];
	} client;
	struct {
		int enabled;
		uint64_t snaplen;
		unsigned keep;          /* enum capture_keep */
	} capture;
	struct {
		uint64_t stall_threshold_us, sample_interval_us;
		uint64_t hold_probes, hold_for_us; /* tcpecho --hold, --hold-for */
	} detect;
	struct {
		int iperf3, iperf2;     /* measure the link with them before the cells */
		uint64_t iperf3_port, iperf2_port; /* remote: the DUT's iperf servers */
		uint64_t duration_us;
	} baseline;
	uint64_t timeout_us;        /* a cell running longer is stopped and recorded as error */
};

/* One problem found in a scenario, with its place. */
struct scenario_error {
	unsigned line, column;      /* 1-based; 0 when not tied to a place */
	char msg[400];
};

struct scenario_value {
	char *raw;                  /* as written */
	unsigned line, column;
};

struct scenario_param {
	int ent;                    /* index into the schema */
	struct scenario_value v;
	int set;
};

struct scenario_axis {
	int ent;
	unsigned line, column;      /* of the key */
	struct scenario_value *values;
	size_t n;
};

struct scenario_expect {
	struct { int ent; struct scenario_value v; } *when;
	size_t nwhen;
	int outcome;                /* enum client_outcome; -1 when not asked */
	int stall_cause;            /* enum stall_cause, or SCENARIO_NO_STALL; -1 when not asked */
	int ended_by;               /* enum client_end; -1 when not asked */
	unsigned line;
};

/* stall_cause: none, no stall at all (after the enum's causes). */
#define SCENARIO_NO_STALL STALL_NCAUSES

struct scenario_cell {
	char id[160];
	unsigned repeat;            /* 1.. */
	size_t *pick;               /* value index per axis */
};

/* At most this many cells, repeats included: a larger matrix is refused
 * before anything is allocated for it. */
#define SCENARIO_MAX_CELLS 100000u
/* At most this many errors are kept (and printed); errors_truncated says
 * that there were more. */
#define SCENARIO_MAX_ERRORS 100u

struct scenario {
	char path[512];
	char name[128];
	char description[512];
	unsigned repeat;
	unsigned matrix_line, matrix_column;  /* of the matrix key; 0 without one */
	struct scenario_param *params; /* one per schema entry: the base values */
	struct scenario_axis *axes;
	size_t naxes;
	struct scenario_expect *expects;
	size_t nexpects;
	struct scenario_cell *cells;
	size_t ncells;
	int has_server_section;       /* 1 when the scenario has a server section */
	unsigned server_line, server_column; /* of its key */
	struct scenario_error *errors;
	size_t nerrors;
	int errors_truncated;         /* more than SCENARIO_MAX_ERRORS: the rest were dropped */
	int oom;                      /* an allocation failed while loading (internal) */
};

/* Loads and validates path: YAML syntax, one document, no key given twice,
 * every key and value against the schema (the same limits and parsers as
 * the programs' options, optlimits.h), no value twice in a matrix list, at
 * most SCENARIO_MAX_CELLS cells, and then every cell's effective
 * configuration: the settings that do not apply to its target and the rules
 * between tcpecho's and echod's options. Returns the scenario; when
 * sc->nerrors > 0 it is invalid and only the errors mean anything. NULL only
 * when out of memory or the file cannot be read (err says which); it never
 * aborts. */
struct scenario *scenario_load(const char *path, char *err, size_t errlen);
void scenario_free(struct scenario *sc);

/* Prints every error as "path:line:column: message", in the order of the
 * file, and a last line when errors_truncated. */
void scenario_print_errors(const struct scenario *sc, FILE *out);

/* The typed configuration of a cell. */
void scenario_cell_config(const struct scenario *sc, const struct scenario_cell *cell,
                          struct cellcfg *cfg);

/* The value (as written) of dotted key for a cell: the matrix choice, or the
 * base value, or the default. */
const char *scenario_cell_value(const struct scenario *sc, const struct scenario_cell *cell,
                                const char *key);

/*
 * Filters (--only): "key=value[,key=value...]". The commas mean AND: a cell
 * matches when every term holds. Values compare after normalisation, as in
 * `when`: sizes, durations and rates by number (64K == 65536, 1s == 1000ms),
 * booleans by truth, enums and strings by name. A value may hold commas
 * itself (client.keepalive=5s,1s,3): a comma starts a new term only when
 * the text after it, up to the next comma, holds a '='. The same key twice
 * with values that differ matches no cell. Two filters are ANDed by joining
 * them with a comma (scenario_filter_join), never by letting the second
 * replace the first.
 */

/* Checks filter against sc before any cell is picked: refuses an empty
 * filter or term, a term without '=', an unknown key (with "did you mean"),
 * an empty value, a value that does not parse for the key's type, a value
 * no cell of sc has (listing those it has, with the nearest), the same key
 * given twice with different values, and a filter no cell matches. Returns
 * the number of cells that match (>= 1), or -1 with the reason in err. */
int scenario_filter_check(const struct scenario *sc, const char *filter, char *err, size_t errlen);

/* Whether a cell matches filter: 1 or 0; -1 with err when the filter does
 * not parse (scenario_filter_check says more). */
int scenario_cell_matches(const struct scenario *sc, const struct scenario_cell *cell,
                          const char *filter, char *err, size_t errlen);

/* ANDs filter add into dst (a string of dstlen bytes, "" for none yet):
 * "a=1" and "b=2" give "a=1,b=2". Returns 0, or -1 when dst cannot hold it. */
int scenario_filter_join(char *dst, size_t dstlen, const char *add);

/* The expectation rules that apply to a cell, checked against what happened.
 * outcome (enum client_outcome) and ended_by (enum client_end) describe the
 * cell, -1 when unknown; causes is the set of its stalls' causes. Returns the
 * number of rules that applied; *failed gets the failures, and why the first
 * of them, e.g. "expected outcome deadlock, got completed". */
int scenario_check(const struct scenario *sc, const struct scenario_cell *cell, int outcome,
                   stall_cause_set causes, int ended_by, int *failed, char *why, size_t whylen);

/* Whether a rule's stall_cause (enum stall_cause, or SCENARIO_NO_STALL) holds
 * for the causes found. */
int scenario_cause_matches(int want, stall_cause_set found);

/* The index of s in the NULL-terminated names (a program's name table), or
 * -1 (also for s NULL). */
int scenario_name_index(const char *const *names, const char *s);

/* The keys outside the sections (name, matrix, expect ...) and the fields of
 * an expectation rule, for `probelock keys`: the allowed words of a field are
 * values (a program's name table) then extra ("none" for stall_cause). */
struct scenario_word_doc {
	const char *key, *type, *help;
	const char *const *values;
	const char *extra;
};
size_t scenario_top_docs(const struct scenario_word_doc **docs);
size_t scenario_expect_docs(const struct scenario_word_doc **docs);
/* A rule's field ("outcome", "stall_cause", "ended_by") as its word, ""
 * when the rule does not ask it. */
const char *scenario_expect_word(const struct scenario_expect *x, const char *field);
/* The i-th allowed word of d, NULL after the last. */
const char *scenario_word(const struct scenario_word_doc *d, size_t i);
/* The allowed words of d as "a, b, c" into buf, cut to len. Returns buf. */
const char *scenario_word_list(const struct scenario_word_doc *d, char *buf, size_t len);

/* The schema, for documentation and tools: dotted key, type, default, what it is. */
struct scenario_key_doc {
	const char *key, *type, *def, *help;
};
size_t scenario_schema(const struct scenario_key_doc **docs);

/* The number a size, duration (us) or integer key's value stands for; -1
 * for other keys or a bad value. */
int scenario_value_number(const char *key, const char *raw, double *out);

/* The dotted key of matrix axis a. */
const char *scenario_axis_key(const struct scenario *sc, size_t a);

/* Stable shard of a cell id: 1..n. */
unsigned scenario_shard_of(const char *id, unsigned n);

#endif
