/* lazy-alloc: memory that exists only once touched, from the program's own
 * page-fault handler.
 *
 *   lazy-alloc [PAGES]
 *
 * It reserves 1 GiB of address space with mmap(PROT_NONE), so the kernel
 * gives it no memory and dune's mirror leaves it unmapped. Each first touch
 * of a page there faults to on_fault, which maps a fresh zeroed page at the
 * address with dune_vm_map_pages and lets the access run again. The program
 * writes a pattern into PAGES pages spread over the whole range, reads it
 * back, and checks that untouched pages read as zero. Such memory lives in
 * the guest page tables only: syscalls cannot use it (the kernel sees
 * PROT_NONE there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <dune/dune.h>

#define ARENA (1ul << 30)

static uint8_t *arena;
static long faults;

static void on_fault(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	uintptr_t page = addr & ~(PGSIZE - 1);

	if (addr < (uintptr_t)arena || addr >= (uintptr_t)arena + ARENA || (fec & FEC_P)) {
		fprintf(stderr, "lazy-alloc: a real fault at %#lx (rip %#lx)\n", (unsigned long)addr,
			(unsigned long)tf->rip);
		_exit(3);
	}
	if (dune_vm_map_pages(pgroot, (void *)page, PGSIZE, PERM_R | PERM_W)) {
		fprintf(stderr, "lazy-alloc: out of memory at %#lx\n", (unsigned long)addr);
		_exit(4);
	}
	faults++;
}

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 1000;
	long stride = (long)(ARENA / PGSIZE) / (pages > 0 ? pages : 1);
	long bad = 0, zero_reads = 0, first, second;

	if (pages <= 0 || pages > (long)(ARENA / PGSIZE / 2)) {
		fprintf(stderr, "usage: lazy-alloc [PAGES], at most %lu\n", ARENA / PGSIZE / 2);
		return 2;
	}
	if (dune_init_and_enter()) {
		fprintf(stderr, "lazy-alloc: cannot enter dune\n");
		return 1;
	}
	arena = mmap(NULL, ARENA, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED)
		return 1;
	dune_register_pgflt_handler(on_fault);

	for (long i = 0; i < pages; i++) /* first touches: one fault each */
		*(uint64_t *)(arena + i * stride * PGSIZE + 8 * (i % 512)) = 0x1000 + i;
	first = faults;
	for (long i = 0; i < pages; i++) /* second touches: none */
		bad += *(uint64_t *)(arena + i * stride * PGSIZE + 8 * (i % 512)) != (uint64_t)(0x1000 + i);
	second = faults - first;
	for (long i = 0; i < pages; i++) /* a page never written reads as zero (and faults once) */
		zero_reads += *(volatile uint64_t *)(arena + (i * stride + stride / 2) * PGSIZE) == 0;
	printf("lazy-alloc: %ld pages written over 1 GiB: %ld faults, %s\n", pages, first,
	       bad ? "MISMATCH" : "all read back");
	printf("lazy-alloc: reading them again: %ld faults\n", second);
	printf("lazy-alloc: %ld pages never written: %ld faults, %ld read zero\n", pages,
	       faults - first - second, zero_reads);
	return bad != 0 || zero_reads != pages;
}
