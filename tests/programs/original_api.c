/* original_api: a program written for the original Dune's libdune, kept as
 * it would be there (only the include path differs): it enters dune, makes a
 * page read-only in its own page tables, catches its write fault and makes
 * the page writable again from the handler. Prints what happened. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dune/dune.h>

static volatile int faults;
static volatile uintptr_t fault_addr;
static volatile uint64_t fault_fec;

static void pgflt_handler(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	ptent_t *pte;
	int ret;

	(void)tf;
	faults++;
	fault_addr = addr;
	fault_fec = fec;
	ret = dune_vm_lookup(pgroot, (void *)addr, 0, &pte);
	if (ret) {
		printf("lookup failed in the handler: %d\n", ret);
		exit(2);
	}
	*pte |= PTE_P | PTE_W;
	dune_flush_tlb();
}

int main(void)
{
	volatile char *page;
	int ret;

	ret = dune_init_and_enter();
	if (ret) {
		printf("failed to initialize dune: %d\n", ret);
		return 1;
	}
	printf("hello: entered dune\n");

	page = mmap(NULL, PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	page[0] = 1;

	dune_register_pgflt_handler(pgflt_handler);
	if (dune_vm_mprotect(pgroot, (void *)page, PGSIZE, PERM_R)) {
		printf("dune_vm_mprotect failed\n");
		return 1;
	}
	printf("read while read-only: %d\n", page[0]);
	page[1] = 42;
	printf("write faulted %d time(s) at page offset %ld, %s, write %s; value now %d\n", faults,
	       (long)(fault_addr - (uintptr_t)page), fault_fec & FEC_P ? "protection" : "not present",
	       fault_fec & FEC_W ? "yes" : "no", page[1]);
	page[2] = 43; /* writable again: no fault */
	printf("second write: %d fault(s) in all\n", faults);
	return 0;
}
