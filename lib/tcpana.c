/* tcpana: per-connection, per-direction TCP analysis with the rules, names and
 * evaluation order of Wireshark's tcp_analyze_sequence_number(); streaming:
 * state grows with connections, never with packets.
 *
 * The rules are those of Wireshark 4.0.17 (epan/dissectors/packet-tcp.c of
 * Debian 12's source package), the tshark the tests use as their oracle;
 * tests/oracle compares them frame by frame on public captures. Besides
 * tcp_analyze_sequence_number() itself, the parts of dissect_tcp() around it
 * that change its state are followed: a SYN on a known tuple (new
 * connection, or its nextseq restored), the SYN's is_first_ack and
 * ts_mru_syn, the first RTT, the window scale option of any segment and
 * verify_tcp_window_scaling() after the SYN's options; and a frame whose
 * dissection stops in the options shows no analysis flag. */
#include "tcpana.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const flag_names[TA_NFLAGS] = {
	[TA_ZERO_WINDOW] = "zero_window",
	[TA_ZERO_WINDOW_PROBE] = "zero_window_probe",
	[TA_ZERO_WINDOW_PROBE_ACK] = "zero_window_probe_ack",
	[TA_LOST_SEGMENT] = "lost_segment",
	[TA_KEEP_ALIVE] = "keep_alive",
	[TA_WINDOW_UPDATE] = "window_update",
	[TA_WINDOW_FULL] = "window_full",
	[TA_KEEP_ALIVE_ACK] = "keep_alive_ack",
	[TA_DUPLICATE_ACK] = "duplicate_ack",
	[TA_ACK_LOST_SEGMENT] = "ack_lost_segment",
	[TA_RETRANSMISSION] = "retransmission",
	[TA_FAST_RETRANSMISSION] = "fast_retransmission",
	[TA_SPURIOUS_RETRANSMISSION] = "spurious_retransmission",
	[TA_OUT_OF_ORDER] = "out_of_order",
	[TA_REUSED_PORTS] = "reused_ports",
	[TA_RST] = "rst",
	[TA_SYN] = "syn",
	[TA_FIN] = "fin",
};

const char *tcpana_flag_name(enum tcpana_flag f)
{
	return (unsigned)f < TA_NFLAGS ? flag_names[f] : "?";
}

struct tcpana {
	struct tcpana_conn **buckets;
	size_t nbuckets;
	struct tcpana_conn **conns;
	size_t n, cap;
};

struct tcpana *tcpana_new(void)
{
	struct tcpana *a = calloc(1, sizeof *a);

	if (!a)
		return NULL;
	a->nbuckets = 1024;
	a->buckets = calloc(a->nbuckets, sizeof *a->buckets);
	if (!a->buckets) {
		free(a);
		return NULL;
	}
	return a;
}

void tcpana_free(struct tcpana *a, void (*free_user)(void *))
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		if (free_user && a->conns[i]->user)
			free_user(a->conns[i]->user);
		free(a->conns[i]->d[0].unacked);
		free(a->conns[i]->d[1].unacked);
		free(a->conns[i]);
	}
	free(a->conns);
	free(a->buckets);
	free(a);
}

size_t tcpana_nconns(const struct tcpana *a)
{
	return a->n;
}

struct tcpana_conn *tcpana_conn(const struct tcpana *a, size_t i)
{
	return i < a->n ? a->conns[i] : NULL;
}

const char *tcpana_endpoint(const struct tcpana_conn *c, int e, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(c->family, c->addr[e], host, sizeof host);
	if (c->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, c->port[e]);
	else
		snprintf(buf, len, "%s:%u", host, c->port[e]);
	return buf;
}

/* Direction-independent hash of the 4-tuple. */
static size_t hash_tuple(const struct tcpseg *s, size_t nb)
{
	uint64_t h = 1469598103934665603ull, x = 0, y = 0;
	size_t alen = s->family == AF_INET6 ? 16 : 4;

	for (size_t i = 0; i < alen; i++) {
		x = x * 131 + s->src[i];
		y = y * 131 + s->dst[i];
	}
	x = x * 65599 + s->sport;
	y = y * 65599 + s->dport;
	h ^= x + y; /* symmetric */
	h *= 1099511628211ull;
	h ^= h >> 29;
	return (size_t)(h & (nb - 1));
}

/* Which direction s travels in c, or -1 if s is not c's. */
static int match_dir(const struct tcpana_conn *c, const struct tcpseg *s)
{
	size_t alen = s->family == AF_INET6 ? 16 : 4;

	if (c->family != s->family)
		return -1;
	if (c->port[0] == s->sport && c->port[1] == s->dport && !memcmp(c->addr[0], s->src, alen) &&
	    !memcmp(c->addr[1], s->dst, alen))
		return 0;
	if (c->port[1] == s->sport && c->port[0] == s->dport && !memcmp(c->addr[1], s->src, alen) &&
	    !memcmp(c->addr[0], s->dst, alen))
		return 1;
	return -1;
}

static int grow(struct tcpana *a)
{
	size_t nb = a->nbuckets * 2;
	struct tcpana_conn **b = calloc(nb, sizeof *b);

	if (!b)
		return -1;
	/* Only the newest connection of a tuple is in the table. */
	for (size_t i = 0; i < a->nbuckets; i++) {
		struct tcpana_conn *c = a->buckets[i], *next;

		for (; c; c = next) {
			struct tcpseg key;
			size_t h;

			next = c->hnext;
			memset(&key, 0, sizeof key);
			key.family = c->family;
			memcpy(key.src, c->addr[0], 16);
			memcpy(key.dst, c->addr[1], 16);
			key.sport = c->port[0];
			key.dport = c->port[1];
			h = hash_tuple(&key, nb);
			c->hnext = b[h];
			b[h] = c;
		}
	}
	free(a->buckets);
	a->buckets = b;
	a->nbuckets = nb;
	return 0;
}

static struct tcpana_conn *new_conn(struct tcpana *a, const struct tcpseg *s)
{
	struct tcpana_conn *c;
	size_t h;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct tcpana_conn **v = realloc(a->conns, cap * sizeof *v);

		if (!v)
			return NULL;
		a->conns = v;
		a->cap = cap;
	}
	if (a->n >= a->nbuckets && grow(a) < 0)
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->id = (unsigned)a->n;
	c->family = s->family;
	memcpy(c->addr[0], s->src, 16);
	memcpy(c->addr[1], s->dst, 16);
	c->port[0] = s->sport;
	c->port[1] = s->dport;
	c->first_t = s->t_ns;
	c->syn_dir = -1;
	for (int i = 0; i < 2; i++) {
		c->d[i].win_scale = TA_WS_UNKNOWN;
		c->d[i].window = UINT32_MAX; /* G_MAXUINT32 in init_tcp_conversation_data() */
	}
	h = hash_tuple(s, a->nbuckets);
	c->hnext = a->buckets[h];
	a->buckets[h] = c;
	a->conns[a->n++] = c;
	return c;
}

/* Takes the connection of the newest tuple out of the table (port reuse). */
static void unlink_conn(struct tcpana *a, struct tcpana_conn *c, const struct tcpseg *s)
{
	struct tcpana_conn **pp = &a->buckets[hash_tuple(s, a->nbuckets)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			return;
		}
	}
}

static struct tcpana_conn *lookup(struct tcpana *a, const struct tcpseg *s, int *dir)
{
	for (struct tcpana_conn *c = a->buckets[hash_tuple(s, a->nbuckets)]; c; c = c->hnext) {
		int d = match_dir(c, s);

		if (d >= 0) {
			*dir = d;
			return c;
		}
	}
	return NULL;
}

/* Wireshark's verify_tcp_window_scaling(), after the SYN's options. */
static void verify_window_scaling(struct tcpana_dir *fwd, struct tcpana_dir *rev, int is_synack)
{
	if (fwd->win_scale == TA_WS_UNKNOWN) {
		fwd->win_scale = TA_WS_NONE;
		rev->win_scale = TA_WS_NONE;
	} else if (is_synack && rev->win_scale == TA_WS_NONE) {
		fwd->win_scale = TA_WS_NONE;
	}
}

/* The peer's window as window_full uses it: not shifted while the peer has
 * sent nothing but its SYN (is_first_ack), nor without scaling. */
static uint32_t shifted_window(const struct tcpana_dir *d)
{
	if (d->is_first_ack || d->win_scale < 0)
		return d->window;
	return d->window << d->win_scale;
}

/* The unacknowledged list's first size (entries). */
#define TA_UNACKED_FIRST 16

/* Lists a segment as unacknowledged (Wireshark's ual list). Returns 0, or -1
 * when out of memory. */
static int unacked_add(struct tcpana_dir *d, uint32_t nextseq)
{
	if (d->nunacked == d->capunacked) {
		uint32_t cap = d->capunacked ? d->capunacked * 2 : TA_UNACKED_FIRST;
		uint32_t *v;

		if (cap > TA_MAX_UNACKED)
			cap = TA_MAX_UNACKED;
		v = realloc(d->unacked, cap * sizeof *v);
		if (!v)
			return -1;
		d->unacked = v;
		d->capunacked = cap;
	}
	d->unacked[d->nunacked++] = nextseq;
	d->unacked_dirty = 1;
	return 0;
}

/* The peer's ack removes every listed segment that ends at or before it. */
static void unacked_remove(struct tcpana_dir *d, uint32_t ack)
{
	uint32_t k = 0;

	if (!d->nunacked || (!d->unacked_dirty && d->unacked_ack == ack))
		return;
	for (uint32_t i = 0; i < d->nunacked; i++)
		if (tcpana_seq_gt(d->unacked[i], ack))
			d->unacked[k++] = d->unacked[i];
	d->nunacked = k;
	d->unacked_dirty = 0;
	d->unacked_ack = ack;
	/* Emptied: a list that grew past its first size is given back (state
	 * grows with connections, not with a burst long gone); the first size is
	 * kept, so that a segment and its ACK do not cost a malloc and a free. */
	if (k == 0 && d->capunacked > TA_UNACKED_FIRST) {
		free(d->unacked);
		d->unacked = NULL;
		d->capunacked = 0;
	}
}

/* The first segment each way sets the base of the relative sequence numbers. */
static void set_base_seqs(struct tcpana_dir *fwd, struct tcpana_dir *rev, const struct tcpseg *s)
{
	if (!fwd->base_set) {
		if (s->flags & TH_SYN) {
			fwd->base_seq = s->seq;
			fwd->saw_syn = 1;
		} else {
			fwd->base_seq = s->seq - 1;
		}
		fwd->base_set = 1;
	}
	if (!rev->base_set && (s->flags & TH_ACK)) {
		rev->base_seq = s->ack - 1;
		rev->base_set = 1;
	}
}

/* Neither SYN, FIN nor RST: what most rules ask first. */
static int plain(const struct tcpseg *s)
{
	return !(s->flags & (TH_RST | TH_FIN | TH_SYN));
}

/* No data, at the next expected seq, the same ack as the last: the segment
 * only acknowledges (window update, keep-alive ACK, zero window probe ACK,
 * duplicate ACK). */
static int pure_ack_again(const struct tcpana_dir *fwd, const struct tcpseg *s)
{
	return s->seglen == 0 && s->seq == fwd->nextseq && s->ack == fwd->lastack && plain(s);
}

/* ZERO WINDOW PROBE: 1 byte at the next expected seq into a zero window. */
static int zero_window_probe(const struct tcpana_dir *fwd, const struct tcpana_dir *rev,
                             const struct tcpseg *s)
{
	return s->seglen == 1 && s->seq == fwd->nextseq && rev->window == 0;
}

/* The rules on the segment itself: ZERO WINDOW, LOST SEGMENT (beyond the
 * highest nextseq seen), KEEP ALIVE (0 or 1 byte, one before the next
 * expected seq), WINDOW UPDATE (no data, same seq/ack, a new non-zero
 * window), WINDOW FULL (data up to the edge of the peer's window, scaling
 * known). */
static uint32_t segment_rules(const struct tcpana_dir *fwd, const struct tcpana_dir *rev,
                              const struct tcpseg *s)
{
	uint32_t f = 0;

	if (s->window == 0 && plain(s))
		f |= TA_BIT(TA_ZERO_WINDOW);
	if (fwd->nextseq && tcpana_seq_gt(s->seq, fwd->nextseq) && !(s->flags & TH_RST))
		f |= TA_BIT(TA_LOST_SEGMENT);
	if ((s->seglen == 0 || s->seglen == 1) && s->seq == fwd->nextseq - 1 && plain(s))
		f |= TA_BIT(TA_KEEP_ALIVE);
	if (s->window && s->window != fwd->window && pure_ack_again(fwd, s))
		f |= TA_BIT(TA_WINDOW_UPDATE);
	if (s->seglen > 0 && rev->win_scale != TA_WS_UNKNOWN &&
	    s->seq + s->seglen == rev->lastack + shifted_window(rev) && plain(s))
		f |= TA_BIT(TA_WINDOW_FULL);
	return f;
}

/* The rules on a pure ACK, the first that holds: KEEP ALIVE ACK, ZERO WINDOW
 * PROBE ACK (both answer the peer's last segment), DUPLICATE ACK (after an
 * ACKed unseen segment it counts as the first). */
static uint32_t ack_rules(struct tcpana_dir *fwd, const struct tcpana_dir *rev, const struct tcpseg *s)
{
	if (!pure_ack_again(fwd, s) || s->window != fwd->window)
		return 0;
	if (s->window && (rev->lastsegflags & TA_BIT(TA_KEEP_ALIVE)))
		return TA_BIT(TA_KEEP_ALIVE_ACK);
	if (s->window == 0 && (rev->lastsegflags & TA_BIT(TA_ZERO_WINDOW_PROBE)))
		return TA_BIT(TA_ZERO_WINDOW_PROBE_ACK);
	if (s->window) {
		fwd->dupacknum = fwd->dupacknum == TA_DUPACK_HOLE ? 1 : fwd->dupacknum + 1;
		return TA_BIT(TA_DUPLICATE_ACK);
	}
	return 0;
}

/* ACKED LOST SEGMENT: acks beyond what the other direction was seen sending.
 * Once per hole: the mark moves to the other direction's nextseq; when it is
 * there already, the other direction's dupacknum (TA_DUPACK_HOLE) remembers
 * that this hole was reported, until its ack moves. */
static uint32_t ack_lost_segment(struct tcpana_dir *rev, const struct tcpseg *s)
{
	uint32_t f = 0;

	if (!rev->maxseqtobeacked || !tcpana_seq_gt(s->ack, rev->maxseqtobeacked) ||
	    !(s->flags & TH_ACK))
		return 0;
	if (tcpana_seq_lt(rev->maxseqtobeacked, rev->nextseq)) {
		rev->maxseqtobeacked = rev->nextseq;
		f = TA_BIT(TA_ACK_LOST_SEGMENT);
	} else {
		if (rev->dupacknum == 0)
			f = TA_BIT(TA_ACK_LOST_SEGMENT);
		rev->dupacknum = TA_DUPACK_HOLE;
	}
	return f;
}

/* RETRANSMISSION / SPURIOUS / FAST RETRANSMISSION / OUT-OF-ORDER, the first
 * that holds, for a segment with data, SYN or FIN that is not a keep-alive
 * (f: its flags so far). Times are compared unsigned, as Wireshark's
 * guint64: a time that went backwards is never "within" a threshold. */
static uint32_t retransmission_rules(const struct tcpana_conn *c, const struct tcpana_dir *fwd,
                                     const struct tcpana_dir *rev, const struct tcpseg *s,
                                     uint32_t f)
{
	const uint32_t seq = s->seq, seglen = s->seglen;
	int seq_not_advanced = fwd->nextseq && tcpana_seq_lt(seq, fwd->nextseq);
	int synfin = (s->flags & (TH_SYN | TH_FIN)) != 0;
	uint64_t t, ooo_thres;

	if ((seglen == 0 && !synfin) || (f & TA_BIT(TA_KEEP_ALIVE)))
		return 0;
	/* New data right after a (1-byte) zero window probe is not a retransmission. */
	if (seglen > 1 && fwd->nextseq - 1 == seq)
		seq_not_advanced = 0;
	/* Spurious: all of it was already acknowledged (checked before fast
	 * retransmission and out-of-order). */
	if (seglen > 0 && rev->lastack && tcpana_seq_le(seq + seglen, rev->lastack))
		return TA_BIT(TA_SPURIOUS_RETRANSMISSION) | TA_BIT(TA_RETRANSMISSION);
	/* Fast retransmission: >= 2 duplicate ACKs asked for this seq within
	 * 20 ms (or the peer acked an unseen segment: TA_DUPACK_HOLE). */
	t = (uint64_t)(s->t_ns - rev->lastack_t);
	if (seq_not_advanced && rev->dupacknum >= 2 && rev->lastack == seq && t < 20000000)
		return TA_BIT(TA_FAST_RETRANSMISSION) | TA_BIT(TA_RETRANSMISSION);
	/* Out of order: soon after the highest segment, within the first RTT,
	 * and not ending where it does (a SYN or FIN counts as one byte). */
	t = (uint64_t)(s->t_ns - fwd->nextseq_t);
	ooo_thres = c->first_rtt_ns ? (uint64_t)c->first_rtt_ns : 3000000;
	if (seq_not_advanced && t < ooo_thres && fwd->nextseq != seq + seglen + (synfin ? 1 : 0))
		return TA_BIT(TA_OUT_OF_ORDER);
	return seq_not_advanced ? TA_BIT(TA_RETRANSMISSION) : 0;
}

/* After the rules: the segment is listed as unacknowledged while the list
 * has room (only then does a SYN or FIN count as one byte), the highest
 * nextseq moves (zero window probes do not move it), and the direction
 * remembers its window, ack and flags. Returns 0, or -1 when out of memory. */
static int update_dir(struct tcpana_dir *fwd, struct tcpana_dir *rev, const struct tcpseg *s,
                      uint32_t f)
{
	uint32_t nextseq = s->seq + s->seglen;
	int synfin = (s->flags & (TH_SYN | TH_FIN)) != 0, rc = 0;

	if ((s->seglen || synfin) && fwd->nunacked < TA_MAX_UNACKED) {
		if (synfin)
			nextseq += 1;
		rc = unacked_add(fwd, nextseq);
	}
	if ((tcpana_seq_gt(nextseq, fwd->nextseq) || !fwd->nextseq) && !(f & TA_BIT(TA_ZERO_WINDOW_PROBE))) {
		fwd->nextseq = nextseq;
		fwd->nextseq_t = s->t_ns;
	}
	if ((s->seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked) &&
	    !(f & TA_BIT(TA_ZERO_WINDOW_PROBE)))
		fwd->maxseqtobeacked = fwd->nextseq;
	fwd->window = s->window;
	fwd->lastack = s->ack;
	fwd->lastack_t = s->t_ns;
	fwd->lastsegflags = f;
	unacked_remove(rev, s->ack);
	return rc;
}

/* The rules of tcp_analyze_sequence_number(), in its order. f holds the
 * flags the frame already has (reused_ports). Returns them with the
 * analysis's; 1 in *oom when out of memory. */
static uint32_t analyze(struct tcpana_conn *c, int dir, const struct tcpseg *s, uint32_t f,
                        int *oom)
{
	struct tcpana_dir *fwd = &c->d[dir], *rev = &c->d[!dir];

	set_base_seqs(fwd, rev, s);
	if (zero_window_probe(fwd, rev, s)) {
		f |= TA_BIT(TA_ZERO_WINDOW_PROBE);
	} else {
		f |= segment_rules(fwd, rev, s);
		f |= ack_rules(fwd, rev, s);
	}
	if (s->ack != fwd->lastack) {
		fwd->lastnondupack = s->num;
		fwd->dupacknum = 0;
	}
	f |= ack_lost_segment(rev, s);
	f |= retransmission_rules(c, fwd, rev, s, f);
	if (update_dir(fwd, rev, s, f) < 0)
		*oom = 1;
	return f;
}

/* The connection of s, and its direction in *dir; NULL for a new one. A SYN
 * on a known tuple (dissect_tcp()): another ISN is a new connection on
 * REUSED PORTS; the same ISN (a copy of the SYN) restores nextseq to the
 * highest acknowledgeable seq (Wireshark issue 17616). A SYN+ACK with another
 * ISN: Wireshark renumbers from it and flags it. The flag goes to *f. */
static struct tcpana_conn *find_conn(struct tcpana *a, const struct tcpseg *s, int *dir, uint32_t *f)
{
	struct tcpana_conn *c = lookup(a, s, dir);
	uint16_t synack = s->flags & (TH_SYN | TH_ACK);

	if (!c || !c->d[*dir].base_set)
		return c;
	if (synack == TH_SYN) {
		if (c->d[*dir].base_seq != s->seq) {
			unlink_conn(a, c, s);
			*f |= TA_BIT(TA_REUSED_PORTS);
			return NULL;
		}
		c->d[*dir].nextseq = c->d[*dir].maxseqtobeacked;
	} else if (synack == (TH_SYN | TH_ACK) && c->d[*dir].base_seq != s->seq) {
		c->d[*dir].base_seq = s->seq;
		*f |= TA_BIT(TA_REUSED_PORTS);
	}
	return c;
}

/* What follows the analysis in dissect_tcp(): the handshake's state (who
 * sent the SYN, the first RTT: from the latest SYN to the first ACK without
 * SYN, either way), then the options: a window scale option is stored
 * whatever the segment; the SYN's scaling is checked after them, unless the
 * dissection stopped inside them (then no analysis flag is shown either).
 * Returns f with the flags shown. */
static uint32_t after_analysis(struct tcpana_conn *c, int dir, const struct tcpseg *s, uint32_t f)
{
	struct tcpana_dir *fwd = &c->d[dir];

	if (s->flags & TH_SYN) {
		fwd->is_first_ack = 1;
		if (!(s->flags & TH_ACK)) {
			c->syn_dir = dir;
			c->syn_t = s->t_ns;
		}
	}
	if ((s->flags & (TH_SYN | TH_ACK)) == TH_ACK) {
		if (c->syn_t && !c->first_rtt_ns)
			c->first_rtt_ns = s->t_ns - c->syn_t;
		fwd->is_first_ack = 0;
	}
	if (s->wscale >= 0)
		fwd->win_scale = s->wscale;
	if (!s->opts_captured)
		f &= ~TA_ANALYSIS_FLAGS;
	else if (s->flags & TH_SYN)
		verify_window_scaling(fwd, &c->d[!dir], (s->flags & TH_ACK) != 0);
	if (s->flags & TH_RST) {
		f |= TA_BIT(TA_RST);
		c->reset = 1;
	}
	if (s->flags & TH_SYN)
		f |= TA_BIT(TA_SYN);
	if (s->flags & TH_FIN)
		f |= TA_BIT(TA_FIN);
	return f;
}

static void fill_out(struct tcpana_pkt *out, struct tcpana_conn *c, int dir, const struct tcpseg *s,
                     uint32_t f, uint32_t analysed)
{
	const struct tcpana_dir *fwd = &c->d[dir];

	out->conn = c;
	out->dir = dir;
	out->aflags = f;
	out->analysed = analysed;
	out->seq_rel = s->seq - fwd->base_seq;
	out->ack_rel = (s->flags & TH_ACK) ? s->ack - c->d[!dir].base_seq : 0;
	out->seglen = s->seglen;
	out->thflags = s->flags;
	out->win_known = fwd->win_scale != TA_WS_UNKNOWN || (s->flags & TH_SYN);
	out->win_scaled = (s->flags & TH_SYN) || fwd->win_scale < 0 ? s->window
	                                                            : s->window << fwd->win_scale;
	out->t_ns = s->t_ns;
	out->num = s->num;
}

int tcpana_feed(struct tcpana *a, const struct tcpseg *s, struct tcpana_pkt *out)
{
	struct tcpana_conn *c;
	struct tcpana_dir *fwd;
	int dir = 0, oom = 0;
	uint32_t f = 0, analysed;

	c = find_conn(a, s, &dir, &f);
	if (!c) {
		c = new_conn(a, s);
		if (!c)
			return -1;
		dir = 0;
	}
	fwd = &c->d[dir];
	if (!s->no_seglen)
		f = analyze(c, dir, s, f, &oom);
	if (oom)
		return -1;
	analysed = f;
	if (s->bad_hlen) {
		/* Wireshark gives up on the header here: nothing shown, nothing more. */
		f = 0;
	} else {
		f = after_analysis(c, dir, s, f);
		analysed |= f & ~TA_ANALYSIS_FLAGS;
	}
	for (int i = 0; i < TA_NFLAGS; i++)
		if (f & TA_BIT(i))
			fwd->counts[i]++;
	fwd->packets++;
	fwd->payload_bytes += s->seglen;
	c->packets++;
	c->last_t = s->t_ns;
	fill_out(out, c, dir, s, f, analysed);
	return 0;
}
