/* analysis: a capture file in, per connection and direction the Wireshark
 * flags, the stall intervals with causes, and excerpts around stall onsets out. */
#ifndef PROBELOCK_ANALYSIS_H
#define PROBELOCK_ANALYSIS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "stall.h"
#include "tcpana.h"

struct analysis_cfg {
	int64_t stall_threshold_ns;
	int excerpt;               /* keep the segments around each stall onset */
	int frames;                /* keep the frames that carry analysis flags (--frames) */
	int series;                /* keep every segment as a point of its connection (the plots) */
};

/* One segment as the time-sequence graph draws it (cfg.series). */
struct apoint {
	int64_t t_ns;
	uint32_t seq_rel, seglen, ack_rel, win;
	uint8_t dir;               /* 0: a_to_b */
	uint8_t probe;             /* keep_alive or zero_window_probe */
	uint8_t zero_window, retransmission;
};

/* A frame with Wireshark analysis flags (tcp.analysis.*), for --frames. */
struct aframe {
	uint64_t num;              /* frame number, from 1, as Wireshark numbers them */
	uint32_t conn;             /* connection id */
	uint32_t flags;            /* TA_BIT(...) of TA_ANALYSIS_FLAGS */
	int dir;                   /* 0: a_to_b */
};

/* One segment as the excerpt shows it. */
struct exline {
	int64_t t_ns;
	uint64_t num;
	int dir;
	uint16_t thflags;
	uint32_t seq_rel, seglen, ack_rel, win;
	uint32_t aflags;
};

#define EXCERPT_PRE 8
#define EXCERPT_POST 16

struct excerpt {
	struct exline l[EXCERPT_PRE + EXCERPT_POST];
	unsigned n;
	unsigned onset;            /* index of the last progress segment */
};

/* Per connection, hung on tcpana_conn.user. */
struct conn_state {
	struct stall_tracker st;
	struct excerpt *ex;        /* one per stall, when excerpts are kept */
	/* excerpt capture since the last progress */
	struct exline ring[EXCERPT_PRE];
	unsigned ring_n;
	struct excerpt cur;
	int cur_started;
	struct apoint *pts;        /* cfg.series: every segment, in capture order */
	size_t npts, cappts;
};

struct analysis {
	struct analysis_cfg cfg;
	char path[512];
	char linktype[32];
	int snaplen;
	uint64_t packets, segments;
	uint64_t skipped[PCAPIN_NSKIP];
	int64_t first_ns, last_ns;
	char read_error[600];      /* empty when the whole file was read */
	struct tcpana *ta;
	struct aframe *frames;     /* cfg.frames: in frame order */
	size_t nframes, capframes;
};

/* Analyses the file. Returns the result (to free with analysis_free), or NULL
 * when nothing could be read (err: "PATH: offset N: cause"). A file that
 * fails part way gives a result with read_error set. */
struct analysis *analysis_run(const char *path, const struct analysis_cfg *cfg, char *err,
                              size_t errlen);
void analysis_free(struct analysis *an);
/* The causes of every stall of every connection; *nstalls (if not NULL) their number. */
stall_cause_set analysis_causes(const struct analysis *an, size_t *nstalls);

/* The analysis document (`probelock analyze --json`, README "Seeing it on the
 * wire"; new reference), lib/analysis_json.c. */
json_t *analysis_to_json(const struct analysis *an);
/* The same document written to out: the bytes of
 * json_dumps(analysis_to_json(an), JSON_INDENT(2) | JSON_PRESERVE_ORDER),
 * dumped by jansson a connection and a frame at a time, without building the
 * whole tree. A string that is not UTF-8 (the path) has its invalid bytes
 * replaced by U+FFFD, in both. Returns 0, or -1 on a write error or when out
 * of memory. */
int analysis_write_json(const struct analysis *an, FILE *out);
/* Text summary (lib/analysis_text.c), and the tcpdump-style excerpts around each stall onset. */
void analysis_print(const struct analysis *an, FILE *out);
void analysis_print_excerpts(const struct analysis *an, FILE *out);
/* --frames: one line per frame with analysis flags (README "Seeing it on the
 * wire"): "frame N conn C a_to_b|b_to_a flag[,flag...]". */
void analysis_print_frames(const struct analysis *an, FILE *out);

/* Seconds since the first packet of the capture. */
double analysis_rel_s(const struct analysis *an, int64_t t_ns);
/* A window scale as the documents give it: "unknown", "none" or the shift
 * (written into buf). */
const char *analysis_ws_str(int ws, char *buf, size_t len);

#endif
