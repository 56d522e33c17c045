/* test_pattern: the position-dependent payload catches loss, shifts and duplicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pattern.h"

static void test_fill_is_split_invariant(void **st)
{
	struct pattern p;
	unsigned char whole[1000], parts[1000];

	(void)st;
	pattern_init_mix(&p, 7);
	pattern_fill(&p, 3, whole, sizeof whole);
	/* Any split into pieces at odd offsets gives the same bytes. */
	pattern_fill(&p, 3, parts, 5);
	pattern_fill(&p, 8, parts + 5, 333);
	pattern_fill(&p, 341, parts + 338, 662);
	assert_memory_equal(whole, parts, sizeof whole);
	assert_int_equal(pattern_check(&p, 3, whole, sizeof whole), sizeof whole);
	assert_int_equal(pattern_check(&p, 3 + 101, whole + 101, 777), 777);
}

static void test_detects_errors(void **st)
{
	struct pattern p;
	unsigned char buf[4096];

	(void)st;
	pattern_init_mix(&p, 1);
	pattern_fill(&p, 0, buf, sizeof buf);
	/* Shifted by one byte: caught at once. */
	assert_int_equal(pattern_check(&p, 1, buf, 100), 0);
	/* A whole block repeated (same data at a later offset): caught. */
	assert_true(pattern_check(&p, 2048, buf, 2048) < 8);
	/* One flipped byte deep inside: found at its index. */
	buf[2999] ^= 0x20;
	assert_int_equal(pattern_check(&p, 0, buf, sizeof buf), 2999);
	/* Not a constant: a run of equal bytes is rare. */
	pattern_fill(&p, 0, buf, sizeof buf);
	int same = 0;
	for (size_t i = 1; i < sizeof buf; i++)
		same += buf[i] == buf[i - 1];
	assert_true(same < 64);
}

/* The pattern is built from a 64 KiB table keyed per 64 KiB block of the
 * stream: across the block edge it must stay split-invariant, and data that
 * repeats exactly one or more blocks later (where the table repeats) must
 * still be caught. */
static void test_block_edges(void **st)
{
	enum { BLOCK = 65536, LEN = 3 * BLOCK + 100 };
	struct pattern p;
	unsigned char *whole = malloc(LEN), *parts = malloc(LEN);
	size_t cut[] = { 0, 7, BLOCK - 3, BLOCK + 5, 2 * BLOCK, 2 * BLOCK + 1, LEN };

	(void)st;
	assert_non_null(whole);
	assert_non_null(parts);
	pattern_init_mix(&p, 1);
	pattern_fill(&p, BLOCK - 1000, whole, LEN);
	for (size_t i = 0; i + 1 < sizeof cut / sizeof cut[0]; i++)
		pattern_fill(&p, BLOCK - 1000 + cut[i], parts + cut[i], cut[i + 1] - cut[i]);
	assert_memory_equal(whole, parts, LEN);
	assert_int_equal(pattern_check(&p, BLOCK - 1000, whole, LEN), LEN);
	/* The bytes of block 1 presented as block 2 (or 3): wrong from the first word. */
	assert_true(pattern_check(&p, 2 * BLOCK, whole + 1000, BLOCK) < 8);
	assert_true(pattern_check(&p, 3 * BLOCK, whole + 1000, BLOCK) < 8);
	/* Shifted by one word inside a block: caught at once. */
	assert_true(pattern_check(&p, BLOCK + 8, whole + 1000, 4096) < 8);
	/* A flipped byte just past the block edge is found at its index. */
	whole[1000 + BLOCK + 3] ^= 1;
	assert_int_equal(pattern_check(&p, BLOCK - 1000, whole, LEN), 1000 + BLOCK + 3);
	free(whole);
	free(parts);
}

static void test_seed_changes_content(void **st)
{
	struct pattern a, b;
	unsigned char x[64], y[64];

	(void)st;
	pattern_init_mix(&a, 1);
	pattern_init_mix(&b, 2);
	pattern_fill(&a, 0, x, sizeof x);
	pattern_fill(&b, 0, y, sizeof y);
	assert_memory_not_equal(x, y, sizeof x);
}

static void test_literal(void **st)
{
	struct pattern p;
	unsigned char buf[10];

	(void)st;
	pattern_init_literal(&p, "AB", 2);
	pattern_fill(&p, 1, buf, sizeof buf);
	assert_memory_equal(buf, "BABABABABA", 10);
	assert_int_equal(pattern_check(&p, 1, buf, 10), 10);
	assert_int_equal(pattern_check(&p, 0, buf, 10), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_is_split_invariant),
		cmocka_unit_test(test_detects_errors),
		cmocka_unit_test(test_block_edges),
		cmocka_unit_test(test_seed_changes_content),
		cmocka_unit_test(test_literal),
	};

	return cmocka_run_group_tests_name("pattern", tests, NULL, NULL);
}
