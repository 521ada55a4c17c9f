/* memory.h: the guest's memory: slots, page tables, and the mirror of the host's mappings. */
#ifndef DUNE_MEMORY_H
#define DUNE_MEMORY_H

#include <stdint.h>

#include "runtime.h"

/* Read the host's mappings, create the page tables and slots for them. */
int mem_init(struct guest *g);
/* Allocate size bytes (page multiple) of runtime memory that the guest sees
 * with the given PTE flags (0: not at all). Returns NULL on failure. */
void *mem_alloc_reserved(struct guest *g, uint64_t size, uint64_t pte_flags);
/* Give part of it other flags, before the guest has touched it (a shadow-
 * paging host would not see an edit of an entry the guest has used). */
int mem_reserved_flags(struct guest *g, void *p, uint64_t size, uint64_t pte_flags);

/* A host stack for v: HOST_STACK_SIZE bytes, aligned to its size, invisible
 * to the guest, with v recorded at its base (see struct host_stack_base). */
void *mem_alloc_host_stack(struct guest *g, struct vcpu *v);
/* The same for v's server thread (forward.c), with SERVER_STACK_MAGIC. */
void *mem_alloc_server_stack(struct guest *g, struct vcpu *v);

/* May the runtime access [addr, addr + len) of the program's memory with prot
 * on its behalf? Grows the stack and picks up new mappings as a fault would.
 * Returns 1 if so, 0 where the kernel would answer EFAULT. Takes g->lock. */
int mem_user_access(struct guest *g, uint64_t addr, uint64_t len, int prot);

/* The range page-table pages come from (libdune maps it for the program). */
void mem_pool_range(uint64_t *start, uint64_t *end);

/* Mirror a change the host just made (after the syscall succeeded). */
int mem_mapped(struct guest *g, uint64_t start, uint64_t len, int prot);
int mem_unmapped(struct guest *g, uint64_t start, uint64_t len);
int mem_protected(struct guest *g, uint64_t start, uint64_t len, int prot);
int mem_remapped(struct guest *g, uint64_t old, uint64_t old_len, uint64_t new_addr,
		 uint64_t new_len);
int mem_brk_moved(struct guest *g, uint64_t new_end);
/* Re-read /proc/self/maps and mirror whatever changed in [start, end). */
int mem_reload(struct guest *g, uint64_t start, uint64_t end);
/* Mirror every executable mapping again (the loader phase ended: loader.h). Under lock. */
int mem_resync_exec(struct guest *g);
/* The guest-physical address of pt's root (the guest's g->pt, or another
 * table in the pool), for CR3. */
uint64_t mem_root(const struct guest *g, const struct page_table *pt);

/* A page fault at addr with the x86 error code: returns 1 when the runtime
 * resolved it (stack growth, a mapping it had not seen yet), 0 when it is the
 * program's own fault. */
int mem_fault(struct guest *g, uint64_t addr, uint64_t error);

#endif
