/* optlimits: the limits of every setting the programs take, in one place:
 * tcpecho's and echod's option parsers (clientopt.c, serveropt.c), lwip-echod,
 * probelock capture and the scenario schema (scenario.c) all use these, so a
 * scenario that validates passes the programs' own checks when it runs.
 * Durations are in microseconds. A setting whose 0 means "not set" (socket
 * buffers, MSS, timeouts) allows 0 besides its range. */
#ifndef PROBELOCK_OPTLIMITS_H
#define PROBELOCK_OPTLIMITS_H

#define OPTLIM_SEC 1000000ull
#define OPTLIM_DAY (86400ull * OPTLIM_SEC)

/* Socket buffers: SO_SNDBUF/SO_RCVBUF take an int (Linux doubles the request). */
#define OPTLIM_SOCKBUF_MIN 1ull
#define OPTLIM_SOCKBUF_MAX (1ull << 30)

/* tcpecho */
#define OPTLIM_PAYLOAD_MIN 1ull
#define OPTLIM_PAYLOAD_MAX (1ull << 40)        /* modes that stream the payload */
/* The blocking and aware modes send from one buffer holding the whole
 * payload: more than this is not allocated. */
#define OPTLIM_PAYLOAD_HELD_MAX (1ull << 30)
/* payload x times x parallel: the bytes a run moves (and counts in 64 bits). */
#define OPTLIM_TOTAL_MAX (1ull << 50)
#define OPTLIM_CHUNK_MIN 1ull
#define OPTLIM_CHUNK_MAX (1ull << 30)
#define OPTLIM_TIMES_MIN 1ull
#define OPTLIM_TIMES_MAX 1000000000ull
#define OPTLIM_PARALLEL_MIN 1ull
#define OPTLIM_PARALLEL_MAX 100000ull
#define OPTLIM_MAXSEG_MIN 88ull                 /* TCP_MAXSEG: Linux refuses less */
#define OPTLIM_MAXSEG_MAX 65535ull
#define OPTLIM_ALARM_MAX (100000ull * OPTLIM_SEC)
/* TCP_USER_TIMEOUT counts milliseconds (0: not set). */
#define OPTLIM_USER_TIMEOUT_MIN 1000ull
#define OPTLIM_USER_TIMEOUT_MAX (0x7fffffffull * 1000)
#define OPTLIM_READ_DELAY_MAX (3600ull * OPTLIM_SEC)
#define OPTLIM_CONNECT_TIMEOUT_MIN 1000ull
#define OPTLIM_CONNECT_TIMEOUT_MAX (3600ull * OPTLIM_SEC)
/* --hold: probes each way; Linux counts its own through the persist backoff,
 * which stops at net.ipv4.tcp_retries2 (15). --hold-for: a duration. */
#define OPTLIM_HOLD_PROBES_MAX 15ull
#define OPTLIM_HOLD_FOR_MAX OPTLIM_ALARM_MAX

/* Both detectors (tcpecho's, echod's --monitor) and the capture analysis. */
#define OPTLIM_STALL_THRESHOLD_MIN 1000ull
#define OPTLIM_STALL_THRESHOLD_MAX (3600ull * OPTLIM_SEC)
#define OPTLIM_SAMPLE_INTERVAL_MIN 1000ull
#define OPTLIM_SAMPLE_INTERVAL_MAX (60ull * OPTLIM_SEC)

/* echod */
#define OPTLIM_APP_BUF_MIN 1ull
#define OPTLIM_APP_BUF_MAX (1ull << 30)
#define OPTLIM_OUT_CAP_MIN 2ull
#define OPTLIM_OUT_CAP_MAX (1ull << 30)
#define OPTLIM_RATE_MIN 1ull                     /* slow mode, bytes per second */
#define OPTLIM_RATE_MAX (1ull << 40)
#define OPTLIM_STALL_FOR_MIN 1000ull             /* 0: never (not passed) */
#define OPTLIM_STALL_FOR_MAX (365ull * OPTLIM_DAY)
#define OPTLIM_IDLE_TIMEOUT_MIN 1000ull          /* 0: never (not passed) */
#define OPTLIM_IDLE_TIMEOUT_MAX (365ull * OPTLIM_DAY)

/* lwip-echod: netconn_write lengths are 16 bits; lwIP's pbufs hold the
 * frames of a 576-byte MTU (larger ones corrupt its heap). */
#define OPTLIM_LWIP_APP_BUF_MAX 65535ull
#define OPTLIM_LWIP_MTU_MAX 576ull

/* Links (veth, TAP): Linux's minimum MTU (ETH_MIN_MTU) and maximum. */
#define OPTLIM_MTU_MIN 68ull
#define OPTLIM_MTU_MAX 65535ull

/* Captures (probelock capture --snaplen, capture.snaplen). */
#define OPTLIM_SNAPLEN_MIN 64ull
#define OPTLIM_SNAPLEN_MAX 262144ull

#endif
