/* cell_int.h: what the two halves of a cell share: cell.c (its phases, the analysis, the
 * record) and cell_prog.c (its programs: their command lines, start, readiness, stop). */
#ifndef PROBELOCK_CELL_INT_H
#define PROBELOCK_CELL_INT_H

#include "capture.h"
#include "cell.h"
#include "client.h"
#include "netenv.h"

#include <sys/types.h>

struct cell {
	const struct scenario_cell *c;
	struct cellcfg cfg;
	char dir[1100];
	char host[64], bind[64];
	const char *netns_client, *netns_server;
	struct netenv env;
	pid_t echod, tcpecho;
	uint16_t port;
	struct capture *cap;
	struct capture_stats capst;
	int status;               /* tcpecho's wait status */
	int timed_out;
	long long started_ms;
	char infra[800];              /* why the cell broke (an error of the setup) */
	/* collect: what the programs wrote */
	char pcap[1200];
	enum client_outcome outcome;  /* CLIENT_ERROR unless the client's document says otherwise */
	enum client_end ended_by;     /* CLIENT_END_ERROR unless the client's document says otherwise */
	char detail[600];
	int ecode;                    /* tcpecho's exit code, -1 unknown */
	double elapsed;
	json_t *client, *analysis, *server;
	stall_cause_set causes;
	/* verdict */
	enum results_verdict verdict;
	int applied, failed;
	char why[300];
};

/* The server (echod, or lwip-echod for the lwip target) started in the cell's namespace and
 * ready (k->port); tcpecho started against it; the capture on the client's side into k->pcap.
 * Each 0, or -1 with k->infra naming the step. */
int cell_start_server(struct cell_ctx *r, struct cell *k);
int cell_start_tcpecho(struct cell_ctx *r, struct cell *k);
int cell_start_capture(struct cell *k);

/* Stops a program of the cell (SIGTERM, then SIGKILL after grace_ms); its wait status. */
int cell_stop_pid(struct cell_ctx *r, pid_t *pid, const char *prog, int grace_ms);
/* Records (add 1) or drops a program the run started in the run's registry. */
void cell_record_pid(pid_t pid, const char *exe, int add);
/* Everything a cell started or built, in reverse order. */
void cell_teardown(struct cell_ctx *r, struct cell *k);
/* The first line of the file name of the cell's folder, without its newline ("" when none). */
void cell_first_line(const struct cell *k, const char *name, char *line, size_t len);

#endif
