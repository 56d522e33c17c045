/* envreg: the registry of what each run creates, which lets `probelock env down` remove what
 * a killed run left and leave alone what a run still going holds. */
#ifndef PROBELOCK_ENVREG_H
#define PROBELOCK_ENVREG_H

#include <stddef.h>
#include <sys/types.h>

#define NETENV_REGISTRY "/run/probelock"

/* Registry: a file per run, NETENV_REGISTRY/<tag>.state, naming the run's
 * owner (its PID and that process's start time), the namespaces it creates
 * and the programs it starts, so that `probelock env down` can tell what a
 * killed run left from what a run still going holds. Lines, appended as the
 * run goes (each synced):
 *   run TAG
 *   owner PID START EPOCH   the run's process; START is field 22 of
 *                           /proc/PID/stat (clock ticks after boot: a reused
 *                           PID has another), EPOCH the second it began
 *   netns NAME              written before the namespace is created
 *   pid PID EXE             a program started (EXE its path) ...
 *   pidstart PID START      ... and its start time, as for the owner
 *   -netns NAME, -pid PID EXE   removed by the run itself
 * The first two lines are in the file from its first instant. */

/* Picks a tag no other run on this host holds (6 hex digits), claims it by
 * creating its state file atomically (another tag is tried while the file,
 * or a plk-TAG-* namespace, exists) and returns it in tag (len >= 7). On
 * failure (no /run/probelock: not root) returns -1 with err (may be NULL);
 * tag is set all the same and the run goes on without a registry. */
int envreg_begin(char *tag, size_t len, char *err, size_t errlen);
void envreg_add(const char *kind, const char *value);      /* "netns NAME", "pid PID EXE" */
void envreg_drop(const char *kind, const char *value);
void envreg_end(void);

/* The run owning a registry. */
struct envreg_owner {
	pid_t pid;                /* 0: none recorded (an older probelock's registry) */
	unsigned long long start; /* field 22 of /proc/PID/stat */
	long long started;        /* seconds since the epoch, 0 unknown */
	int alive;                /* that process (same PID, same start time) still runs */
};

enum envreg_what {
	ENVREG_RUN,      /* a run registry: tag, owner, name = its path */
	ENVREG_NETNS,    /* a plk-* network namespace: name, tag of its run */
	ENVREG_PROCESS,  /* a recorded program still running: pid, name = its path */
	ENVREG_REGISTRY, /* a run's state file: name = its path */
};

enum envreg_state {
	ENVREG_EXISTS,     /* status: it is there; down, for a run: what it left is removed next */
	ENVREG_LEFT_ALONE, /* down: its run is still going (or, for a registry, something of it stayed) */
	ENVREG_REMOVED,
	ENVREG_FAILED,     /* why says what went wrong */
};

struct envreg_item {
	enum envreg_what what;
	enum envreg_state state;
	const char *tag;                  /* the run it belongs to ("" none known) */
	const struct envreg_owner *owner; /* that run's owner; NULL when no registry names the run */
	const char *name;
	pid_t pid;
	const char *why;
};

typedef void (*envreg_report_fn)(const struct envreg_item *it, void *arg);

/* env down. Without force: for each registry whose owner is gone, stops the
 * recorded programs that still run (same executable and start time), deletes
 * its namespaces and its state file; then deletes the plk-* namespaces no
 * registry names, except those carrying the tag of a run still going. A run
 * whose owner is alive is left alone entirely. With force: everything, as if
 * every owner were gone (the owners themselves are not stopped). Each thing
 * found is reported through report; returns the number of programs stopped
 * and namespaces deleted, and sets *failed to the number of failures. */
int envreg_down(int force, envreg_report_fn report, void *arg, int *failed);
/* env status: each registry (ENVREG_RUN, owner->alive saying whether its run
 * still goes) with its recorded programs still running, then each plk-*
 * namespace with the run its tag names. Returns how many things. */
int envreg_status(envreg_report_fn report, void *arg);

#endif
