/* lwipmode: the modes of lwip-echod (dut/lwip-echod.c), one enum and one name table shared by
 * the program that parses --mode and the harness that builds its command lines. */
#ifndef PROBELOCK_LWIPMODE_H
#define PROBELOCK_LWIPMODE_H

enum lwip_mode {
	LWIP_ECHO,    /* receive, blocking write of it back */
	LWIP_STALL,   /* accept and never read */
	LWIP_DISCARD, /* read and drop (the iperf2 baseline's sink) */
	LWIP_NMODES
};

/* "echo", "stall", "discard". */
const char *lwip_mode_name(enum lwip_mode m);
/* 0 with *out, or -1 when s names no mode. */
int lwip_mode_parse(const char *s, enum lwip_mode *out);

#endif
