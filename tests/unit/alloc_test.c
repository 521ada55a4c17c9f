/* alloc_test.c: the runtime's malloc (preload/alloc.c) gives blocks in its
 * arena, of the size asked, aligned, reused once freed, and keeps them
 * apart across threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "rawsys.h"

static void expect_in_arena(const void *p, size_t n)
{
	uint64_t start, end;

	cr_assert_eq(arena_range(&start, &end), 0, "no arena");
	cr_assert((uint64_t)p >= start && (uint64_t)p + n <= end, "%p+%zu outside the arena %#lx-%#lx",
		  p, n, (unsigned long)start, (unsigned long)end);
}

Test(alloc, blocks_come_from_the_arena_aligned)
{
	const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 4096, 65536, (2u << 20) - 16, 2u << 20,
				 5u << 20 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *p = dune_malloc(sizes[i]);

		cr_assert_not_null(p, "malloc(%zu)", sizes[i]);
		cr_assert_eq((uintptr_t)p % 16, 0, "malloc(%zu) = %p: not 16-aligned", sizes[i], p);
		expect_in_arena(p, sizes[i]);
		memset(p, 0xa5, sizes[i]);
		dune_free(p);
	}
}

Test(alloc, a_freed_block_is_used_again)
{
	void *a = dune_malloc(40), *b;

	dune_free(a);
	b = dune_malloc(48);
	cr_assert_eq(a, b, "the freed block of the same class was not reused");
	dune_free(b);
}

Test(alloc, calloc_zeroes_a_reused_block)
{
	unsigned char *p = dune_malloc(200);

	memset(p, 0xff, 200);
	dune_free(p);
	p = dune_calloc(20, 10);
	for (int i = 0; i < 200; i++)
		cr_assert_eq(p[i], 0, "byte %d", i);
	cr_assert_null(dune_calloc(SIZE_MAX / 2, 3), "an overflowing calloc succeeded");
}

Test(alloc, realloc_keeps_the_contents)
{
	char *p = dune_malloc(10);

	strcpy(p, "policy");
	for (size_t n = 16; n <= (4u << 20); n *= 2) {
		p = dune_realloc(p, n);
		cr_assert_not_null(p);
		cr_assert_str_eq(p, "policy", "after realloc to %zu", n);
		expect_in_arena(p, n);
	}
	cr_assert_null(dune_realloc(p, 0));
}

Test(alloc, strdup_and_strndup_copy_into_the_arena)
{
	char *a = dune_strdup("deny = mkdir"), *b = dune_strndup("libx.so:hook", 7);

	cr_assert_str_eq(a, "deny = mkdir");
	cr_assert_str_eq(b, "libx.so");
	expect_in_arena(a, 13);
	expect_in_arena(b, 8);
	dune_free(a);
	dune_free(b);
}

static void *churn(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	void *mine[64];

	for (int round = 0; round < 2000; round++) {
		for (int i = 0; i < 64; i++) {
			mine[i] = dune_malloc(16 + (size_t)(i * 7 + round) % 300);
			memset(mine[i], (int)id, 16);
		}
		for (int i = 0; i < 64; i++) {
			for (int k = 0; k < 16; k++)
				if (((unsigned char *)mine[i])[k] != (unsigned char)id)
					return (void *)1; /* another thread had the same block */
			dune_free(mine[i]);
		}
	}
	return NULL;
}

Test(alloc, threads_never_share_a_block)
{
	pthread_t t[4];
	void *bad;

	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn, (void *)(i + 1));
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &bad);
		cr_assert_null(bad, "thread %d found its block changed", i + 1);
	}
}
