/* pattern: the position-dependent payload every echoed byte is checked against. */
#include "pattern.h"

#include <endian.h>
#include <string.h>

/* splitmix64's finaliser: cheap, and every input bit changes every output bit. */
static inline uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void pattern_init_mix(struct pattern *p, uint64_t seed)
{
	p->seed = seed;
	p->literal = NULL;
	p->literal_len = 0;
}

void pattern_init_literal(struct pattern *p, const char *s, size_t len)
{
	p->seed = 0;
	p->literal = (const unsigned char *)s;
	p->literal_len = len;
}

static inline unsigned char byte_at(const struct pattern *p, uint64_t o)
{
	if (p->literal)
		return p->literal[o % p->literal_len];
	return (unsigned char)(mix((o >> 3) ^ p->seed) >> ((o & 7) * 8));
}

void pattern_fill(const struct pattern *p, uint64_t off, void *buf, size_t len)
{
	unsigned char *b = buf;
	size_t i = 0;

	if (p->literal) {
		for (; i < len; i++)
			b[i] = byte_at(p, off + i);
		return;
	}
	/* Head up to an 8-byte stream boundary, whole words, then the tail. */
	for (; i < len && ((off + i) & 7); i++)
		b[i] = byte_at(p, off + i);
	for (; i + 8 <= len; i += 8) {
		uint64_t w = htole64(mix(((off + i) >> 3) ^ p->seed)); /* byte k is mix >> 8k */

		memcpy(b + i, &w, 8);
	}
	for (; i < len; i++)
		b[i] = byte_at(p, off + i);
}

size_t pattern_check(const struct pattern *p, uint64_t off, const void *buf, size_t len)
{
	const unsigned char *b = buf;
	size_t i = 0;

	if (p->literal) {
		for (; i < len; i++)
			if (b[i] != byte_at(p, off + i))
				return i;
		return len;
	}
	for (; i < len && ((off + i) & 7); i++)
		if (b[i] != byte_at(p, off + i))
			return i;
	for (; i + 8 <= len; i += 8) {
		uint64_t w = htole64(mix(((off + i) >> 3) ^ p->seed)), got;

		memcpy(&got, b + i, 8);
		if (got != w)
			break; /* the byte loop below finds which one */
	}
	for (; i < len; i++)
		if (b[i] != byte_at(p, off + i))
			return i;
	return len;
}
