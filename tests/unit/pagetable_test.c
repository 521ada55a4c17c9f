/* pagetable_test.c: the guest page tables mirror ranges with the right flags and sizes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pagetable.h"

static void *test_alloc(void *ctx)
{
	void *p = aligned_alloc(4096, 4096);

	(void)ctx;
	if (p)
		memset(p, 0, 4096);
	return p;
}

static struct page_table pt;

static void setup(void) { cr_assert_eq(pt_init(&pt, test_alloc, NULL), 0); }

TestSuite(pagetable, .init = setup);

Test(pagetable, maps_4k_pages_identity_with_flags)
{
	uint64_t rw = pt_flags_for_prot(PROT_READ | PROT_WRITE, 1);
	int level = 0;
	uint64_t *e;

	cr_assert_eq(pt_set(&pt, 0x7f0000001000, 0x7f0000003000, rw), 0);
	e = pt_lookup(&pt, 0x7f0000002abc, &level);
	cr_assert_not_null(e);
	cr_expect_eq(level, 1);
	cr_expect_eq(*e & PTE_ADDR, 0x7f0000002000);
	cr_expect(*e & PTE_W && *e & PTE_U && *e & PTE_NX);
	cr_expect_null(pt_lookup(&pt, 0x7f0000003000, NULL));
	cr_expect_null(pt_lookup(&pt, 0x7f0000000000, NULL));
}

Test(pagetable, whole_aligned_2m_becomes_a_large_page)
{
	uint64_t rx = pt_flags_for_prot(PROT_READ | PROT_EXEC, 1);
	int level = 0;
	uint64_t *e;

	cr_assert_eq(pt_set(&pt, 0x400000, 0x800000, rx), 0);
	e = pt_lookup(&pt, 0x5ff000, &level);
	cr_assert_not_null(e);
	cr_expect_eq(level, 2);
	cr_expect(*e & PTE_PS);
	cr_expect_not(*e & PTE_W);
	cr_expect_not(*e & PTE_NX);
}

Test(pagetable, changing_part_of_a_large_page_splits_it)
{
	uint64_t rw = pt_flags_for_prot(PROT_READ | PROT_WRITE, 1);
	uint64_t ro = pt_flags_for_prot(PROT_READ, 1);
	int level = 0;
	uint64_t *e;

	cr_assert_eq(pt_set(&pt, 0x200000, 0x400000, rw), 0);
	cr_assert_eq(pt_set(&pt, 0x201000, 0x202000, ro), 0);
	e = pt_lookup(&pt, 0x201000, &level);
	cr_assert_not_null(e);
	cr_expect_eq(level, 1);
	cr_expect_not(*e & PTE_W);
	e = pt_lookup(&pt, 0x3ff000, &level);
	cr_expect_eq(level, 1);
	cr_expect(*e & PTE_W, "the rest of the split page keeps its flags");
	cr_expect_eq(*e & PTE_ADDR, 0x3ff000);
}

Test(pagetable, unmapping_clears_entries)
{
	uint64_t rw = pt_flags_for_prot(PROT_READ | PROT_WRITE, 1);

	cr_assert_eq(pt_set(&pt, 0x10000, 0x20000, rw), 0);
	cr_assert_eq(pt_set(&pt, 0x14000, 0x16000, 0), 0);
	cr_expect_null(pt_lookup(&pt, 0x14000, NULL));
	cr_expect_null(pt_lookup(&pt, 0x15fff, NULL));
	cr_expect_not_null(pt_lookup(&pt, 0x16000, NULL));
	cr_expect_not_null(pt_lookup(&pt, 0x13000, NULL));
}

Test(pagetable, prot_none_is_not_present_and_supervisor_has_no_u)
{
	cr_expect_eq(pt_flags_for_prot(PROT_NONE, 1), 0);
	cr_expect_not(pt_flags_for_prot(PROT_READ, 0) & PTE_U);
	cr_expect(pt_flags_for_prot(PROT_WRITE, 1) & PTE_P, "write-only is present (x86 cannot say it)");
}

Test(pagetable, install_puts_a_raw_leaf_where_asked)
{
	uint64_t leaf = 0x123456000ull | PTE_P | PTE_W | 0x800 /* libdune's PTE_U */;
	int level = 0;
	uint64_t *e;

	cr_assert_eq(pt_install(&pt, 0x7f0000005000, leaf, 1), 0);
	e = pt_lookup(&pt, 0x7f0000005fff, &level);
	cr_assert_not_null(e);
	cr_expect_eq(level, 1);
	cr_expect_eq(*e, leaf, "the entry is stored as given: %#lx", (unsigned long)*e);
	cr_expect_null(pt_lookup(&pt, 0x7f0000006000, NULL));
	cr_expect_eq(pt_install(&pt, 0x40000000, 0x80000000ull | PTE_P | PTE_PS, 2), 0);
	e = pt_lookup(&pt, 0x401ff000, &level);
	cr_assert_not_null(e);
	cr_expect_eq(level, 2);
	cr_expect_eq(pt_install(&pt, 0x40001000, leaf, 1), -EEXIST, "under a 2 MiB page");
	cr_expect_eq(pt_install(&pt, 0x40001000, leaf, 3), -EINVAL);
}
