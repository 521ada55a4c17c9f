/* vm.c: the guest page tables, edited by the program itself.
 *
 * The tables are the runtime's (it mirrors the process's mappings into
 * them), mapped into the guest for the program to read and write: a write
 * from guest code is seen by every MMU, shadow-paging ones included. New
 * table pages come from the runtime; the pages dune_vm_map_pages hands out
 * come from memory of the process that libdune reserves, so that they are
 * guest-physical memory the backend already covers.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "local.h"

#define TABLE_FLAGS (PTE_P | PTE_W | PTE_HW_U)
#define LARGE (1ull << 21)
#define USER_END 0x7fffffffffffull /* the last address of the lower half */

/* How a walk treats what it meets: WALK_SPLIT and CREATE_NORMAL split the
 * 2 MiB pages the range covers only in part; the CREATE_* modes make the
 * missing tables, and CREATE_NORMAL calls back for empty 4 KiB entries too. */
enum create { CREATE_NONE, WALK_SPLIT, CREATE_NORMAL, CREATE_BIG };

static ptent_t *table_of(ptent_t e)
{
	return libdune_pa_to_va(PTE_ADDR(e));
}

static int new_table(ptent_t *e)
{
	long va = libdune_request(LIBDUNE_ALLOC_TABLE, 0);

	if (va < 0)
		return (int)va;
	*e = dune_va_to_pa((void *)va) | TABLE_FLAGS;
	return 0;
}

/* Replace a 2 MiB leaf by a table of the 512 4 KiB leaves it stood for. */
static int split(ptent_t *e)
{
	ptent_t old = *e, t = 0;
	ptent_t *table;
	int r;

	if ((r = new_table(&t)))
		return r;
	table = table_of(t);
	for (int i = 0; i < 512; i++)
		table[i] = (PTE_ADDR(old) + i * PGSIZE) | (PTE_FLAGS(old) & ~PTE_PS);
	*e = t;
	return 0;
}

/* Call cb on the leaf entries over [start, last] below table (of level 4 to 1). */
static int walk(ptent_t *table, int level, uint64_t start, uint64_t last, enum create create,
		page_walk_cb cb, const void *arg)
{
	unsigned shift = 12 + 9 * (level - 1);
	uint64_t size = 1ull << shift;

	for (uint64_t va = start;;) {
		ptent_t *e = &table[(va >> shift) & 511];
		uint64_t base = va & ~(size - 1), end = base + size - 1;
		uint64_t to = end < last ? end : last;
		int r = 0;

		if (level == 1) {
			if (create == CREATE_NORMAL || *e)
				r = cb(arg, e, (void *)base);
		} else if (level == 2 && (create == CREATE_BIG || ((*e & PTE_P) && (*e & PTE_PS)))) {
			if ((*e & PTE_PS) && (create == WALK_SPLIT || create == CREATE_NORMAL) &&
			    (va != base || to != end))
				r = split(e);
			if (!r && (*e & PTE_PS || create == CREATE_BIG))
				r = cb(arg, e, (void *)base);
			else if (!r)
				r = walk(table_of(*e), level - 1, va, to, create, cb, arg);
		} else {
			if (!(*e & PTE_P) && (create == CREATE_NORMAL || create == CREATE_BIG))
				r = new_table(e);
			if (!r && (*e & PTE_P))
				r = walk(table_of(*e), level - 1, va, to, create, cb, arg);
		}
		if (r)
			return r;
		if (to >= last)
			return 0;
		va = to + 1;
	}
}

static int walk_range(ptent_t *root, uint64_t start, uint64_t last, enum create create,
		      page_walk_cb cb, const void *arg)
{
	if (last > USER_END)
		last = USER_END;
	if (start > last)
		return 0;
	return walk(root, 4, start, last, create, cb, arg);
}

int dune_vm_page_walk(ptent_t *root, void *start_va, void *end_va, page_walk_cb cb,
		      const void *arg)
{
	return walk_range(root, (uint64_t)start_va, (uint64_t)end_va, CREATE_NONE, cb, arg);
}

static ptent_t pte_bits(int perm)
{
	ptent_t p = PTE_HW_U; /* the program's code runs at CPL3 */

	if (perm & PERM_R)
		p |= PTE_P;
	if (perm & PERM_W)
		p |= PTE_W;
	if (!(perm & PERM_X))
		p |= PTE_NX;
	if (perm & PERM_U)
		p |= PTE_U;
	if (perm & PERM_UC)
		p |= PTE_PCD;
	if (perm & PERM_COW)
		p |= PTE_COW;
	if (perm & PERM_USR1)
		p |= PTE_USR1;
	if (perm & PERM_USR2)
		p |= PTE_USR2;
	if (perm & PERM_USR3)
		p |= PTE_USR3;
	return p;
}

struct change {
	ptent_t bits;
	uint64_t va, pa;     /* map_phys: where the range starts */
	bool replaced;       /* a present entry changed: the TLB must be flushed */
};

static int set_protection(const void *arg, ptent_t *pte, void *va)
{
	struct change *c = (struct change *)arg;

	(void)va;
	if (*pte & PTE_P)
		c->replaced = true;
	*pte = PTE_ADDR(*pte) | (*pte & PTE_PS) | c->bits;
	return 0;
}

int dune_vm_mprotect(ptent_t *root, void *va, size_t len, int perm)
{
	struct change c = { 0 };
	int r;

	if (!(perm & PERM_R)) {
		if (perm & PERM_W)
			return -EINVAL;
		perm = PERM_NONE;
	}
	if (!len)
		return 0;
	c.bits = perm == PERM_NONE ? 0 : pte_bits(perm);
	r = walk_range(root, (uint64_t)va, (uint64_t)va + len - 1, WALK_SPLIT, set_protection, &c);
	dune_flush_tlb();
	return r;
}

static int set_mapping(const void *arg, ptent_t *pte, void *va)
{
	struct change *c = (struct change *)arg;
	ptent_t big = (*pte & PTE_PS) || c->bits & PTE_PS ? PTE_PS : 0;

	if (*pte & PTE_P)
		c->replaced = true;
	*pte = PTE_ADDR((uint64_t)va - c->va + c->pa) | c->bits | big;
	return 0;
}

int dune_vm_map_phys(ptent_t *root, void *va, size_t len, void *pa, int perm)
{
	struct change c = { .bits = pte_bits(perm), .va = (uint64_t)va, .pa = (uint64_t)pa };
	enum create create = perm & PERM_BIG ? CREATE_BIG : CREATE_NORMAL;
	int r;

	if (perm & PERM_BIG_1GB)
		return -EINVAL;
	if (create == CREATE_BIG && (((uint64_t)va | (uint64_t)pa | len) & (LARGE - 1)))
		return -EINVAL;
	if (!len)
		return 0;
	if (create == CREATE_BIG)
		c.bits |= PTE_PS;
	r = walk_range(root, (uint64_t)va, (uint64_t)va + len - 1, create, set_mapping, &c);
	if (c.replaced)
		dune_flush_tlb();
	return r;
}

/* dune_vm_map_pages' memory: chunks of anonymous memory of the process
 * (so the backend covers them), and a list of pages given back. */
#define CHUNK (16ull << 20)
#define MAX_CHUNKS 256

static struct {
	uint64_t start[MAX_CHUNKS];
	int n;
	uint64_t next, end;  /* the unused part of the last chunk */
	uint64_t free;       /* a list through the pages' first word */
} pages;

static bool page_is_ours(uint64_t va)
{
	for (int i = 0; i < pages.n; i++)
		if (va >= pages.start[i] && va < pages.start[i] + CHUNK)
			return true;
	return false;
}

static uint64_t page_alloc(void)
{
	uint64_t p = pages.free;

	if (p) {
		pages.free = *(uint64_t *)p;
		memset((void *)p, 0, PGSIZE);
		return p;
	}
	if (pages.next == pages.end) {
		void *m;

		if (pages.n == MAX_CHUNKS)
			return 0;
		m = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			return 0;
		pages.start[pages.n++] = (uint64_t)m;
		pages.next = (uint64_t)m;
		pages.end = pages.next + CHUNK;
	}
	p = pages.next;
	pages.next += PGSIZE;
	return p;
}

static void page_free(uint64_t p)
{
	*(uint64_t *)p = pages.free;
	pages.free = p;
}

static int map_page(const void *arg, ptent_t *pte, void *va)
{
	const struct change *c = arg;
	uint64_t p;

	(void)va;
	if (*pte & PTE_P)
		return -EEXIST;
	p = page_alloc();
	if (!p)
		return -ENOMEM;
	*pte = dune_va_to_pa((void *)p) | c->bits;
	return 0;
}

int dune_vm_map_pages(ptent_t *root, void *va, size_t len, int perm)
{
	struct change c = { .bits = pte_bits(perm) };

	if (!(perm & PERM_R) && (perm & ~PERM_R))
		return -EINVAL;
	if (!len)
		return 0;
	return walk_range(root, (uint64_t)va, (uint64_t)va + len - 1, CREATE_NORMAL, map_page, &c);
}

static int unmap(const void *arg, ptent_t *pte, void *va)
{
	uint64_t p = (uint64_t)libdune_pa_to_va(PTE_ADDR(*pte));

	(void)arg, (void)va;
	if ((*pte & PTE_P) && !(*pte & PTE_PS) && page_is_ours(p))
		page_free(p);
	*pte = 0;
	return 0;
}

void dune_vm_unmap(ptent_t *root, void *va, size_t len)
{
	if (!len)
		return;
	walk_range(root, (uint64_t)va, (uint64_t)va + len - 1, WALK_SPLIT, unmap, NULL);
	dune_flush_tlb();
}

static int found(const void *arg, ptent_t *pte, void *va)
{
	(void)va;
	*(ptent_t **)arg = pte;
	return 1;
}

int dune_vm_lookup(ptent_t *root, void *va, int create, ptent_t **pte_out)
{
	ptent_t *pte = NULL;
	uint64_t a = (uint64_t)va & ~(PGSIZE - 1);
	int r = walk_range(root, a, a, create ? CREATE_NORMAL : CREATE_NONE, found, &pte);

	if (r < 0)
		return r;
	if (!pte || (!create && !*pte))
		return -ENOENT;
	*pte_out = pte;
	return 0;
}
