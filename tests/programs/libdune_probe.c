/* libdune_probe: one libdune feature per mode, one line per check.
 *
 *   libdune_probe cr3|accessed|intr|map-phys|walk|fork|thread|cpl
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dune/dune.h>

static volatile int faults;
static volatile uint64_t last_fec;

static void count_fault(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	ptent_t *pte;

	(void)tf;
	faults++;
	last_fec = fec;
	/* make the page present and writable, so the access can go on */
	if (dune_vm_lookup(pgroot, (void *)addr, 0, &pte) == 0 && PTE_ADDR(*pte))
		*pte |= PTE_P | PTE_W;
	else
		dune_vm_map_pages(pgroot, (void *)(addr & ~(PGSIZE - 1)), PGSIZE, PERM_R | PERM_W);
	dune_flush_tlb();
}

static void *page_new(void)
{
	void *p = mmap(NULL, PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(1);
	memset(p, 0, PGSIZE);
	return p;
}

static int cr3(void)
{
	uint64_t v, cr0;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	printf("mov from cr3 gives pgroot: %s\n", PTE_ADDR(v) == dune_va_to_pa(pgroot) ? "yes" : "no");
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	printf("cr0 has paging on: %s\n", cr0 & 0x80000000u ? "yes" : "no");
	/* the original's inline dune_flush_tlb, and invlpg */
	__asm__ volatile("mov %%cr3, %%rax\n\tmov %%rax, %%cr3" ::: "rax", "memory");
	__asm__ volatile("invlpg (%0)" : : "r"(&v) : "memory");
	printf("mov to cr3 and invlpg: survived\n");
	return 0;
}

static int accessed(void)
{
	volatile uint8_t *read = page_new(), *untouched = page_new(), *wrote = page_new();
	ptent_t *a, *b, *c;

	if (dune_vm_lookup(pgroot, (void *)read, 1, &a) || dune_vm_lookup(pgroot, (void *)untouched, 1, &b) ||
	    dune_vm_lookup(pgroot, (void *)wrote, 1, &c))
		return 1;
	*a &= ~(PTE_A | PTE_D);
	*b &= ~(PTE_A | PTE_D);
	*c &= ~(PTE_A | PTE_D);
	dune_flush_tlb();
	(void)read[100];
	wrote[200] = 1;
	printf("read page: accessed %d dirty %d\n", !!(*a & PTE_A), !!(*a & PTE_D));
	printf("untouched page: accessed %d dirty %d\n", !!(*b & PTE_A), !!(*b & PTE_D));
	printf("written page: accessed %d dirty %d\n", !!(*c & PTE_A), !!(*c & PTE_D));
	return 0;
}

static void skip_ud2(struct dune_tf *tf)
{
	printf("#UD handler: cs %#x\n", tf->cs);
	tf->rip += 2;
}

static void on_breakpoint(struct dune_tf *tf)
{
	(void)tf;
	printf("#BP handler: rip is after int3: %s\n",
	       ((uint8_t *)tf->rip)[-1] == 0xcc ? "yes" : "no");
}

static int intr(void)
{
	if (dune_register_intr_handler(6, skip_ud2) || dune_register_intr_handler(3, on_breakpoint))
		return 1;
	printf("register vector 14 as an interrupt: %d\n", dune_register_intr_handler(14, skip_ud2));
	__asm__ volatile("ud2");
	printf("after ud2\n");
	__asm__ volatile("int3");
	printf("after int3\n");
	return 0;
}

static int map_phys(void)
{
	volatile uint64_t *page = page_new();
	uint8_t *hole = mmap(NULL, 4 * PGSIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile uint64_t *alias = (uint64_t *)(hole + PGSIZE);
	uint64_t v;

	dune_register_pgflt_handler(count_fault);
	if (dune_vm_map_phys(pgroot, (void *)alias, PGSIZE, (void *)dune_va_to_pa((void *)page),
			     PERM_R | PERM_W))
		return 1;
	alias[3] = 0xfeed;
	printf("write through the alias seen in the page: %s (faults %d)\n",
	       page[3] == 0xfeed ? "yes" : "no", faults);
	dune_vm_unmap(pgroot, (void *)alias, PGSIZE);
	v = alias[3]; /* faults: the handler maps a fresh page there */
	printf("alias after unmap: %lx, faults %d\n", (unsigned long)v, faults);
	printf("page keeps its value: %lx\n", (unsigned long)page[3]);
	printf("dune_vm_map_phys with 1 GiB pages: %d\n",
	       dune_vm_map_phys(pgroot, hole, PGSIZE, (void *)0, PERM_R | PERM_BIG_1GB));
	return 0;
}

static int count_leaf(const void *arg, ptent_t *pte, void *va)
{
	(void)va;
	if (*pte & PTE_P)
		(*(long *)arg)++;
	return 0;
}

static int walk(void)
{
	uint8_t *r = mmap(NULL, 16 * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long n = 0;

	memset(r, 1, 16 * PGSIZE);
	dune_vm_mprotect(pgroot, r, 16 * PGSIZE, PERM_R | PERM_W); /* 4 KiB entries */
	dune_vm_page_walk(pgroot, r, r + 16 * PGSIZE - 1, count_leaf, &n);
	printf("present leaves over 16 pages: %ld\n", n);
	dune_vm_unmap(pgroot, r + 4 * PGSIZE, 4 * PGSIZE);
	n = 0;
	dune_vm_page_walk(pgroot, r, r + 16 * PGSIZE - 1, count_leaf, &n);
	printf("after unmapping 4: %ld\n", n);
	return 0;
}

static int fork_mode(void)
{
	volatile uint8_t *page = page_new();
	int status;
	pid_t pid;

	dune_register_pgflt_handler(count_fault);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (dune_enter())
			_exit(100);
		dune_vm_mprotect(pgroot, (void *)page, PGSIZE, PERM_R);
		page[0] = 5;
		_exit(faults == 1 && page[0] == 5 ? 42 : 1);
	}
	waitpid(pid, &status, 0);
	printf("child: status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	page[0] = 6;
	printf("parent: faults %d\n", faults);
	return 0;
}

static void *thread_main(void *arg)
{
	volatile uint8_t *page = arg;

	if (dune_enter())
		return (void *)1;
	dune_vm_mprotect(pgroot, (void *)page, PGSIZE, PERM_R);
	page[0] = 9; /* the handler runs on this thread's vCPU */
	return (void *)(uintptr_t)(page[0] == 9 ? 0 : 2);
}

static int thread_mode(void)
{
	volatile uint8_t *page = page_new();
	pthread_t t;
	void *ret;

	dune_register_pgflt_handler(count_fault);
	if (pthread_create(&t, NULL, thread_main, (void *)page) || pthread_join(t, &ret))
		return 1;
	printf("thread: returned %ld, faults %d\n", (long)(uintptr_t)ret, faults);
	return 0;
}

/* Virtual ring 0: the program's code is at CPL3, where instructions a PVM
 * host cannot emulate at CPL0 (xgetbv, rdtscp) run natively. */
static int cpl(void)
{
	struct dune_info info;
	uint32_t lo, hi, aux;

	if (dune_query(&info))
		return 1;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	printf("cpl %u, xgetbv: x87 and SSE on: %s\n", info.cpl, (lo & 3) == 3 ? "yes" : "no");
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	printf("rdtscp ran: %s\n", lo | hi ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} modes[] = { { "cr3", cr3 }, { "accessed", accessed }, { "intr", intr },
		      { "map-phys", map_phys }, { "walk", walk }, { "fork", fork_mode },
		      { "thread", thread_mode }, { "cpl", cpl } };

	if (argc != 2)
		return 2;
	if (dune_init_and_enter()) {
		printf("cannot enter dune\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].fn();
	return 2;
}
