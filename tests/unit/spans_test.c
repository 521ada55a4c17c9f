/* spans_test.c: the runtime's ranges as the argument checks see them. */
#include <criterion/criterion.h>

#include "spans.h"

/* One process-wide table: the ranges are added once, for every test. */
static void setup(void)
{
	static int done;

	if (!done) {
		cr_assert_eq(spans_add(0x10000, 0x20000), 0);
		cr_assert_eq(spans_add(0x40000, 0x41000), 0);
		cr_assert_eq(spans_add(0x5000, 0x5000), 0); /* empty: ignored */
		done = 1;
	}
}

TestSuite(spans, .init = setup);

Test(spans, edges_are_exact)
{
	cr_expect(!spans_overlap(0xf000, 0x1000), "ends where the range starts");
	cr_expect(spans_overlap(0xf000, 0x1001), "one byte into it");
	cr_expect(spans_overlap(0x1ffff, 1));
	cr_expect(!spans_overlap(0x20000, 0x10000), "starts where it ends");
	cr_expect(!spans_overlap(0x5000, 1), "the empty range holds nothing");
}

Test(spans, a_buffer_across_a_range_touches_it)
{
	cr_expect(spans_overlap(0x30000, 0x20000), "from below the second range to above it");
	cr_expect(spans_overlap(0x0, 0x100000));
}

Test(spans, zero_length_counts_as_its_first_byte)
{
	cr_expect(spans_overlap(0x10000, 0));
	cr_expect(!spans_overlap(0x30000, 0));
}

/* A length that wraps (a hostile one) reaches everything above the start. */
Test(spans, a_wrapping_length_reaches_everything_above)
{
	cr_expect(spans_overlap(0x30000, UINT64_MAX));
	cr_expect(spans_overlap(0x30000, UINT64_MAX - 0x1000));
	cr_expect(!spans_overlap(0x50000, UINT64_MAX), "nothing above 0x50000");
}

Test(spans, next_finds_the_first_range_in_order)
{
	uint64_t s, e;

	cr_assert(spans_next(0x0, 0x100000, &s, &e));
	cr_expect_eq(s, 0x10000);
	cr_expect_eq(e, 0x20000);
	cr_assert(spans_next(0x18000, 0x40800, &s, &e), "clipped at both ends");
	cr_expect_eq(s, 0x18000);
	cr_expect_eq(e, 0x20000);
	cr_assert(spans_next(0x20000, 0x40800, &s, &e));
	cr_expect_eq(s, 0x40000);
	cr_expect_eq(e, 0x40800);
	cr_expect(!spans_next(0x20000, 0x40000, &s, &e), "a gap between ranges");
}
