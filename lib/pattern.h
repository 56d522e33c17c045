/* pattern: the position-dependent payload every echoed byte is checked against. */
#ifndef PROBELOCK_PATTERN_H
#define PROBELOCK_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/*
 * The byte at stream offset o depends on o itself (a 64-bit mix of o/8), so a
 * lost, duplicated, reordered or shifted byte anywhere in a stream of any
 * length is caught, unlike the draft's constant 'A' payload. A literal
 * pattern repeats a user's string instead (the draft's exact bytes), which
 * still catches loss but not every shift.
 */
struct pattern {
	uint64_t seed;
	const unsigned char *literal; /* NULL: mixed pattern */
	size_t literal_len;
};

void pattern_init_mix(struct pattern *p, uint64_t seed);
void pattern_init_literal(struct pattern *p, const char *s, size_t len);

/* Writes the pattern bytes [off, off + len) into buf. */
void pattern_fill(const struct pattern *p, uint64_t off, void *buf, size_t len);

/* Compares buf with the pattern at [off, off + len). Returns len when equal,
 * else the index of the first differing byte. */
size_t pattern_check(const struct pattern *p, uint64_t off, const void *buf, size_t len);

#endif
