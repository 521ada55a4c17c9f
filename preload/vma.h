/* vma.h: a sorted list of disjoint address ranges, each with a value.
 *
 * The runtime keeps three: the host's mappings (value: PROT_* bits), the ranges
 * backed by memory slots, and its own reserved ranges (value: guest PTE flags).
 * Storage comes from mmap, never malloc: the list is edited while the guest
 * may be inside malloc.
 */
#ifndef DUNE_VMA_H
#define DUNE_VMA_H

#include <stddef.h>
#include <stdint.h>

struct vma {
	uint64_t start, end;
	uint64_t value;
};

struct vma_list {
	struct vma *v;
	size_t n, cap;
};

/* Give [start, end) the value, replacing what was there. Returns 0 or -ENOMEM. */
int vma_set(struct vma_list *l, uint64_t start, uint64_t end, uint64_t value);
/* Remove [start, end). */
int vma_clear(struct vma_list *l, uint64_t start, uint64_t end);
/* The range holding addr, or NULL. */
const struct vma *vma_find(const struct vma_list *l, uint64_t addr);
/* Index of the first range that ends after addr (n if none). */
size_t vma_first_after(const struct vma_list *l, uint64_t addr);
void vma_free(struct vma_list *l);

/* Parse /proc/self/maps text into l (PROT_* values), skipping addresses at or
 * above limit (the vsyscall page). Returns 0, -ENOMEM or -EINVAL. */
int vma_parse_maps(struct vma_list *l, const char *text, size_t len, uint64_t limit,
		   uint64_t *stack_end);

#endif
