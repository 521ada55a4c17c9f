/* pagetable.h: the guest's x86-64 4-level page tables, identity-mapped (VA = HVA).
 * Guest-physical addresses are host-virtual ones too, unless the backend
 * says otherwise (to_phys/to_virt: the module on CPUs whose physical
 * address width is below 47 bits). */
#ifndef DUNE_PAGETABLE_H
#define DUNE_PAGETABLE_H

#include <stdint.h>

#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define PTE_LEAF_FLAGS (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX)

#define PAGE_SIZE  4096ull
#define LARGE_SIZE (2ull << 20)

struct page_table {
	uint64_t *pml4;
	/* Returns a zeroed, 4 KiB-aligned page the guest can reach, or NULL. */
	void *(*alloc_page)(void *ctx);
	void *ctx;
	uint64_t tables; /* table pages in use, for the report */
	/* The guest-physical address of a host address, and back; NULL: the same.
	 * Set by the backend before pt_init; keeps 2 MiB alignment. */
	uint64_t (*to_phys)(uint64_t va);
	uint64_t (*to_virt)(uint64_t pa);
};

int pt_init(struct page_table *pt, void *(*alloc_page)(void *ctx), void *ctx);

/* Map [start, end) to itself with leaf flags (PTE_P ... PTE_NX), or unmap it
 * with flags 0. Uses 2 MiB pages where a whole aligned 2 MiB is given and no
 * 4 KiB table exists there yet. start and end are page-aligned. Returns 0 or -ENOMEM. */
int pt_set(struct page_table *pt, uint64_t start, uint64_t end, uint64_t flags);

/* The leaf entry that maps va (level 1 for 4 KiB, 2 for 2 MiB), or NULL. */
uint64_t *pt_lookup(const struct page_table *pt, uint64_t va, int *level);

/* Store a raw leaf entry for va at level 1 (4 KiB) or 2 (2 MiB, leaf has
 * PTE_PS), making the tables above it. Returns 0, -ENOMEM, or -EEXIST where
 * a larger page already maps va. */
int pt_install(struct page_table *pt, uint64_t va, uint64_t leaf, int level);

/* PTE flags for host protections (PROT_*); 0 for PROT_NONE. */
uint64_t pt_flags_for_prot(int prot, int user);

#endif
