/* pagetable.c: build and edit the guest's page tables from the host side.
 *
 * Why editing from the host is enough on hardware KVM: every change we make
 * follows a host munmap/mprotect/mremap of the same range, and KVM's MMU
 * notifier zaps and flushes the guest's translations for it first; upgrades
 * (not-present to present, read-only to writable) never need a flush.
 */
#include "pagetable.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>

#define TABLE_FLAGS (PTE_P | PTE_W | PTE_U)

static uint64_t phys(const struct page_table *pt, uint64_t va)
{
	return pt->to_phys ? pt->to_phys(va) : va;
}

static uint64_t *table_of(const struct page_table *pt, uint64_t entry)
{
	uint64_t pa = entry & PTE_ADDR;

	return (uint64_t *)(uintptr_t)(pt->to_virt ? pt->to_virt(pa) : pa);
}

static uint64_t *new_table(struct page_table *pt)
{
	uint64_t *t = pt->alloc_page(pt->ctx);

	if (t)
		pt->tables++;
	return t;
}

int pt_init(struct page_table *pt, void *(*alloc_page)(void *ctx), void *ctx)
{
	pt->alloc_page = alloc_page;
	pt->ctx = ctx;
	pt->tables = 0;
	pt->pml4 = new_table(pt);
	return pt->pml4 ? 0 : -ENOMEM;
}

/* Replace a 2 MiB leaf with a table of 512 equivalent 4 KiB leaves. */
static uint64_t *split_large(struct page_table *pt, uint64_t *entry)
{
	uint64_t *t = new_table(pt);
	uint64_t base = *entry & PTE_ADDR & ~(LARGE_SIZE - 1);
	uint64_t flags = *entry & PTE_LEAF_FLAGS;

	if (!t)
		return NULL;
	for (int i = 0; i < 512; i++)
		t[i] = (base + i * PAGE_SIZE) | flags;
	*entry = phys(pt, (uint64_t)(uintptr_t)t) | TABLE_FLAGS;
	return t;
}

static int set_level(struct page_table *pt, uint64_t *table, int level,
		     uint64_t start, uint64_t end, uint64_t flags)
{
	unsigned shift = 12 + 9 * (level - 1);
	uint64_t size = 1ull << shift;

	for (uint64_t va = start, next; va < end; va = next) {
		uint64_t *e = &table[(va >> shift) & 511];
		uint64_t *sub;

		next = (va & ~(size - 1)) + size;
		if (next > end || next == 0)
			next = end;

		if (level == 1) {
			*e = flags ? (phys(pt, va) | flags) : 0;
			continue;
		}
		if (level == 2 && va % size == 0 && next - va == size &&
		    !((*e & PTE_P) && !(*e & PTE_PS))) {
			*e = flags ? (phys(pt, va) | flags | PTE_PS) : 0;
			continue;
		}
		if (!(*e & PTE_P)) {
			if (!flags)
				continue;
			sub = new_table(pt);
			if (!sub)
				return -ENOMEM;
			*e = phys(pt, (uint64_t)(uintptr_t)sub) | TABLE_FLAGS;
		} else if (*e & PTE_PS) {
			sub = split_large(pt, e);
			if (!sub)
				return -ENOMEM;
		} else {
			sub = table_of(pt, *e);
		}
		int r = set_level(pt, sub, level - 1, va, next, flags);
		if (r)
			return r;
	}
	return 0;
}

int pt_set(struct page_table *pt, uint64_t start, uint64_t end, uint64_t flags)
{
	if (start >= end)
		return 0;
	return set_level(pt, pt->pml4, 4, start, end, flags);
}

uint64_t *pt_lookup(const struct page_table *pt, uint64_t va, int *level)
{
	uint64_t *table = pt->pml4;

	for (int l = 4; l >= 1; l--) {
		uint64_t *e = &table[(va >> (12 + 9 * (l - 1))) & 511];

		if (!(*e & PTE_P))
			return NULL;
		if (l == 1 || (l == 2 && (*e & PTE_PS))) {
			if (level)
				*level = l;
			return e;
		}
		table = table_of(pt, *e);
	}
	return NULL;
}

uint64_t pt_flags_for_prot(int prot, int user)
{
	uint64_t f;

	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return 0;
	/* Accessed and dirty preset: the CPU need not write them back on first use. */
	f = PTE_P | PTE_A | PTE_D;
	if (prot & PROT_WRITE)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= PTE_NX;
	if (user)
		f |= PTE_U;
	return f;
}

int pt_install(struct page_table *pt, uint64_t va, uint64_t leaf, int level)
{
	uint64_t *table = pt->pml4;

	if (level != 1 && level != 2)
		return -EINVAL;
	for (int l = 4; l > level; l--) {
		uint64_t *e = &table[(va >> (12 + 9 * (l - 1))) & 511];

		if (!(*e & PTE_P)) {
			uint64_t *sub = new_table(pt);

			if (!sub)
				return -ENOMEM;
			*e = phys(pt, (uint64_t)(uintptr_t)sub) | TABLE_FLAGS;
		} else if (*e & PTE_PS) {
			return -EEXIST;
		}
		table = table_of(pt, *e);
	}
	table[(va >> (12 + 9 * (level - 1))) & 511] = leaf;
	return 0;
}
