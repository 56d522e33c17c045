/* pattern: the position-dependent payload every echoed byte is checked against. */
#include "pattern.h"

#include <endian.h>
#include <pthread.h>
#include <string.h>

/* splitmix64's finaliser: cheap, and every input bit changes every output bit. */
static inline uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The mixed pattern's 64-bit word w (stream bytes 8w .. 8w+7, little-endian)
 * is table[w mod TABLE_WORDS] ^ mix(w / TABLE_WORDS ^ seed): a random table
 * of 64 KiB, made different for every 64 KiB block of the stream by the
 * block's own key. Every word still depends on its position (a shift by any
 * amount, within a block or by whole blocks, changes it), and filling or
 * checking costs one XOR per word instead of a mix: the load client, not the
 * server under test, must not be what bounds an echo benchmark. */
#define TABLE_BITS 13
#define TABLE_WORDS (1u << TABLE_BITS)
static uint64_t table[TABLE_WORDS];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
	for (uint64_t i = 0; i < TABLE_WORDS; i++)
		table[i] = mix(i ^ 0x5bd1e9955bd1e995ull);
}

void pattern_init_mix(struct pattern *p, uint64_t seed)
{
	pthread_once(&table_once, table_init);
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

static inline uint64_t block_key(const struct pattern *p, uint64_t w)
{
	return mix((w >> TABLE_BITS) ^ p->seed);
}

static inline uint64_t word_at(const struct pattern *p, uint64_t w)
{
	return table[w & (TABLE_WORDS - 1)] ^ block_key(p, w);
}

static inline unsigned char byte_at(const struct pattern *p, uint64_t o)
{
	if (p->literal)
		return p->literal[o % p->literal_len];
	return (unsigned char)(word_at(p, o >> 3) >> ((o & 7) * 8));
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
	/* Head up to an 8-byte stream boundary, whole words a block at a time, then the tail. */
	for (; i < len && ((off + i) & 7); i++)
		b[i] = byte_at(p, off + i);
	while (i + 8 <= len) {
		uint64_t w = (off + i) >> 3, key = block_key(p, w);
		size_t j = w & (TABLE_WORDS - 1), n = (len - i) / 8;

		if (n > TABLE_WORDS - j)
			n = TABLE_WORDS - j;
		for (size_t k = 0; k < n; k++) {
			uint64_t v = htole64(table[j + k] ^ key);

			memcpy(b + i + 8 * k, &v, 8);
		}
		i += 8 * n;
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
	while (i + 8 <= len) {
		uint64_t w = (off + i) >> 3, key = block_key(p, w), diff = 0;
		size_t j = w & (TABLE_WORDS - 1), n = (len - i) / 8;

		if (n > TABLE_WORDS - j)
			n = TABLE_WORDS - j;
		/* No early exit inside the run: OR of the differences, vectorised. */
		for (size_t k = 0; k < n; k++) {
			uint64_t got;

			memcpy(&got, b + i + 8 * k, 8);
			diff |= got ^ htole64(table[j + k] ^ key);
		}
		if (diff)
			break; /* the byte loop below finds which one */
		i += 8 * n;
	}
	for (; i < len; i++)
		if (b[i] != byte_at(p, off + i))
			return i;
	return len;
}
