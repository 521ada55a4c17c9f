/* arena_test.c: the runtime's memory (preload/arena.c) comes from its one
 * reserved range, never from its first or last page (guards), and never
 * from anywhere else, even when the range is full. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <sys/mman.h>

#include "rawsys.h"

#define GUARD 4096u

Test(arena, the_guard_pages_are_never_handed_out)
{
	uint64_t start, end;
	uint8_t *p = raw_mmap(4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	cr_assert_not_null(p);
	cr_assert_eq(arena_range(&start, &end), 0);
	cr_assert_geq((uint64_t)p, start + GUARD, "%p is in the first page of the arena at %#lx",
		      (void *)p, (unsigned long)start);
}

Test(arena, a_full_arena_fails_rather_than_map_elsewhere)
{
	const unsigned long chunk = 64ul << 20;
	uint64_t start, end, last = 0;
	uint8_t *p;
	int n = 0;

	while ((p = raw_mmap(chunk, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1))) {
		cr_assert_eq(arena_range(&start, &end), 0);
		cr_assert((uint64_t)p >= start + GUARD && (uint64_t)p + chunk <= end - GUARD,
			  "%p+%#lx is outside the arena's %#lx-%#lx, guards aside", (void *)p, chunk,
			  (unsigned long)start, (unsigned long)end);
		last = (uint64_t)p + chunk;
		cr_assert_lt(++n, 1 << 20, "the arena never fills");
	}
	cr_assert_gt(n, 0);
	/* What is left is less than a chunk; a page still fits, and the last page never. */
	while ((p = raw_mmap(4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1)))
		last = (uint64_t)p + 4096;
	cr_assert_eq(last, end - GUARD, "the arena stopped at %#lx, its guard starts at %#lx",
		     (unsigned long)last, (unsigned long)(end - GUARD));
}
