/* vma_test.c: the sorted range list that mirrors the host's mappings. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vma.h"

static void expect_ranges(const struct vma_list *l, const struct vma *want, size_t n)
{
	cr_assert_eq(l->n, n, "%zu ranges, expected %zu", l->n, n);
	for (size_t i = 0; i < n; i++)
		cr_expect(l->v[i].start == want[i].start && l->v[i].end == want[i].end &&
			  l->v[i].value == want[i].value,
			  "range %zu is %#llx-%#llx=%llu, expected %#llx-%#llx=%llu", i,
			  (unsigned long long)l->v[i].start, (unsigned long long)l->v[i].end,
			  (unsigned long long)l->v[i].value, (unsigned long long)want[i].start,
			  (unsigned long long)want[i].end, (unsigned long long)want[i].value);
}

Test(vma, set_splits_what_it_overlaps)
{
	struct vma_list l = { 0 };

	vma_set(&l, 0x1000, 0x9000, 1);
	vma_set(&l, 0x3000, 0x5000, 2);
	expect_ranges(&l, (struct vma[]){ { 0x1000, 0x3000, 1 }, { 0x3000, 0x5000, 2 },
					  { 0x5000, 0x9000, 1 } }, 3);
	vma_free(&l);
}

Test(vma, set_replaces_several_ranges)
{
	struct vma_list l = { 0 };

	vma_set(&l, 0x1000, 0x2000, 1);
	vma_set(&l, 0x3000, 0x4000, 2);
	vma_set(&l, 0x5000, 0x6000, 3);
	vma_set(&l, 0x1800, 0x5800, 4);
	expect_ranges(&l, (struct vma[]){ { 0x1000, 0x1800, 1 }, { 0x1800, 0x5800, 4 },
					  { 0x5800, 0x6000, 3 } }, 3);
	vma_free(&l);
}

Test(vma, clear_punches_a_hole)
{
	struct vma_list l = { 0 };

	vma_set(&l, 0x1000, 0x9000, 7);
	vma_clear(&l, 0x2000, 0x3000);
	expect_ranges(&l, (struct vma[]){ { 0x1000, 0x2000, 7 }, { 0x3000, 0x9000, 7 } }, 2);
	cr_expect_null(vma_find(&l, 0x2800));
	cr_expect_eq(vma_find(&l, 0x3000)->value, 7);
	cr_expect_null(vma_find(&l, 0x9000));
	vma_free(&l);
}

Test(vma, grows_past_its_first_capacity)
{
	struct vma_list l = { 0 };

	for (uint64_t i = 0; i < 5000; i++)
		cr_assert_eq(vma_set(&l, (2 * i + 1) << 12, (2 * i + 2) << 12, i), 0);
	cr_expect_eq(l.n, 5000);
	cr_expect_eq(vma_find(&l, (2 * 4321 + 1) << 12)->value, 4321);
	vma_free(&l);
}

Test(vma, parses_proc_maps)
{
	static const char maps[] =
		"55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 123 /usr/bin/cat\n"
		"55d0c0a02000-55d0c0a07000 r-xp 00002000 08:01 123 /usr/bin/cat\n"
		"7ffd1e5f0000-7ffd1e611000 rw-p 00000000 00:00 0                          [stack]\n"
		"7ffd1e7c0000-7ffd1e7c4000 ---p 00000000 00:00 0\n"
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
	struct vma_list l = { 0 };
	uint64_t stack_end = 0;

	cr_assert_eq(vma_parse_maps(&l, maps, strlen(maps), 1ull << 47, &stack_end), 0);
	expect_ranges(&l, (struct vma[]){
		{ 0x55d0c0a00000, 0x55d0c0a02000, PROT_READ },
		{ 0x55d0c0a02000, 0x55d0c0a07000, PROT_READ | PROT_EXEC },
		{ 0x7ffd1e5f0000, 0x7ffd1e611000, PROT_READ | PROT_WRITE },
		{ 0x7ffd1e7c0000, 0x7ffd1e7c4000, 0 } }, 4);
	cr_expect_eq(stack_end, 0x7ffd1e611000);
	vma_free(&l);
}

Test(vma, rejects_garbage)
{
	struct vma_list l = { 0 };

	cr_expect_eq(vma_parse_maps(&l, "not a map\n", 10, 1ull << 47, NULL), -EINVAL);
	vma_free(&l);
}
