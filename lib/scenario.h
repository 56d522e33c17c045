/* scenario: a YAML scenario (libyaml) validated against one schema table,
 * expanded into a matrix of cells, each with its typed configuration. */
#ifndef PROBELOCK_SCENARIO_H
#define PROBELOCK_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum target_kind { TARGET_LOOPBACK, TARGET_NETNS, TARGET_REMOTE, TARGET_LWIP };
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
	char outcome[32];           /* "" when not asked */
	char stall_cause[32];       /* "none" for no stall */
	char ended_by[32];
	unsigned line;
};

struct scenario_cell {
	char id[160];
	unsigned repeat;            /* 1.. */
	size_t *pick;               /* value index per axis */
};

struct scenario {
	char path[512];
	char name[128];
	char description[512];
	unsigned repeat;
	struct scenario_param *params; /* one per schema entry: the base values */
	struct scenario_axis *axes;
	size_t naxes;
	struct scenario_expect *expects;
	size_t nexpects;
	struct scenario_cell *cells;
	size_t ncells;
	int has_server_section;
	struct scenario_error *errors;
	size_t nerrors;
};

/* Loads and validates path. Returns the scenario; when sc->nerrors > 0 it
 * is invalid and only the errors mean anything. NULL only when out of memory
 * or the file cannot be read (err says which). */
struct scenario *scenario_load(const char *path, char *err, size_t errlen);
void scenario_free(struct scenario *sc);

/* Prints every error as "path:line:column: message". */
void scenario_print_errors(const struct scenario *sc, FILE *out);

/* The typed configuration of a cell. */
void scenario_cell_config(const struct scenario *sc, const struct scenario_cell *cell,
                          struct cellcfg *cfg);

/* The value (as written) of dotted key for a cell: the matrix choice, or the
 * base value, or the default. */
const char *scenario_cell_value(const struct scenario *sc, const struct scenario_cell *cell,
                                const char *key);

/* Whether a cell matches a filter "key=value[,key=value...]" (values compared
 * after normalisation: 60000 == 60000, 64K == 65536). -1 with err on a bad filter. */
int scenario_cell_matches(const struct scenario *sc, const struct scenario_cell *cell,
                          const char *filter, char *err, size_t errlen);

/* The expectation rules that apply to a cell, checked against what happened.
 * outcome/cause/ended_by describe the cell; causes is a comma list ("" none).
 * Returns the number of rules that applied; *failed gets the failures, and
 * why the first of them, e.g. "expected outcome deadlock, got completed". */
int scenario_check(const struct scenario *sc, const struct scenario_cell *cell,
                   const char *outcome, const char *causes, const char *ended_by,
                   int *failed, char *why, size_t whylen);

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
