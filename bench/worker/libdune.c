/* libdune.c: the libdune measurements, each against Linux's own way.
 *
 * A garbage collector's write tracking, two ways (see
 * examples/dirty-track.c for the same with a correctness check per round).
 * One operation is one round: start tracking over HEAP_PAGES pages, let the
 * mutator write WRITES words at pseudo-random pages, find the pages written.
 *   track-mprotect  Appel and Li: mprotect the heap read-only, a SIGSEGV
 *                   handler records a page and unprotects it (Linux, or dune);
 *   track-dirty     libdune: clear PTE_D on every page, one TLB flush, read
 *                   PTE_D back (dune only: no fault while the mutator runs).
 * Also libdune's own prot1: dune_vm_mprotect one page, write, the page-fault
 * handler makes it writable again (Appel and Li's prot1 at "ring 0"), and
 * libdune's trap: the page-fault handler skips a store to a read-only page
 * (as "trap" does with a SIGSEGV handler). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dune/dune.h>

#include "worker.h"

#define HEAP_PAGES 1024
#define WRITES 64

static uint8_t *heap;
static uint8_t found[HEAP_PAGES], written[HEAP_PAGES];
static ptent_t *ptes[HEAP_PAGES];
static uint64_t seed = 42;
static volatile long faults;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	uint64_t page = ((uint64_t)si->si_addr - (uint64_t)heap) / PGSIZE;

	(void)ctx;
	if (page >= HEAP_PAGES || mprotect(heap + page * PGSIZE, PGSIZE, PROT_READ | PROT_WRITE)) {
		signal(sig, SIG_DFL);
		return;
	}
	found[page] = 1;
}

static void mutate(void)
{
	for (int w = 0; w < WRITES; w++) {
		long page;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		page = (long)((seed >> 33) % HEAP_PAGES);
		heap[page * PGSIZE + (seed >> 20) % PGSIZE]++;
		written[page] = 1;
	}
}

static int heap_setup(char *why, size_t len)
{
	if (heap)
		return 0;
	heap = mmap(NULL, HEAP_PAGES * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (heap == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		heap = NULL;
		return -1;
	}
	memset(heap, 1, HEAP_PAGES * PGSIZE);
	return 0;
}

static int round_checked(int ok, char *why, size_t len)
{
	if (ok)
		return 0;
	snprintf(why, len, "the tracker's pages differ from those the mutator wrote");
	return -1;
}

int measure_track_mprotect(long iterations, double *ns_per_op, char *why, size_t len)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	double t0 = 0;
	int ok = 1;

	if (heap_setup(why, len) || sigaction(SIGSEGV, &sa, NULL))
		return MEASURE_FAILED;
	for (long r = -1; r < iterations; r++) { /* round -1 is the warm-up */
		if (r == 0)
			t0 = now_ns();
		memset(found, 0, sizeof(found));
		memset(written, 0, sizeof(written));
		mprotect(heap, HEAP_PAGES * PGSIZE, PROT_READ);
		mutate();
		ok &= !memcmp(found, written, sizeof(found));
	}
	*ns_per_op = (now_ns() - t0) / iterations;
	return round_checked(ok, why, len) ? MEASURE_FAILED : MEASURE_OK;
}

static int libdune_setup(char *why, size_t len)
{
	static int ready;
	int r;

	if (ready)
		return 0;
	if ((r = dune_init_and_enter())) {
		snprintf(why, len, "dune_init_and_enter: %s", strerror(-r));
		return -1;
	}
	ready = 1;
	return 0;
}

int measure_track_dirty(long iterations, double *ns_per_op, char *why, size_t len)
{
	double t0 = 0;
	int ok = 1;

	if (libdune_setup(why, len) || heap_setup(why, len))
		return MEASURE_FAILED;
	for (int i = 0; i < HEAP_PAGES; i++)
		if (dune_vm_lookup(pgroot, heap + i * PGSIZE, 1, &ptes[i])) {
			snprintf(why, len, "dune_vm_lookup failed");
			return MEASURE_FAILED;
		}
	for (long r = -1; r < iterations; r++) {
		if (r == 0)
			t0 = now_ns();
		memset(written, 0, sizeof(written));
		for (int i = 0; i < HEAP_PAGES; i++)
			*ptes[i] &= ~PTE_D;
		dune_flush_tlb();
		mutate();
		for (int i = 0; i < HEAP_PAGES; i++)
			found[i] = (*ptes[i] & PTE_D) != 0;
		ok &= !memcmp(found, written, sizeof(found));
	}
	*ns_per_op = (now_ns() - t0) / iterations;
	return round_checked(ok, why, len) ? MEASURE_FAILED : MEASURE_OK;
}

static void unprotect(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	ptent_t *pte;

	(void)fec, (void)tf;
	faults++;
	if (dune_vm_lookup(pgroot, (void *)addr, 0, &pte) == 0)
		*pte |= PTE_W;
	dune_flush_tlb();
}

int measure_libdune_prot1(long iterations, double *ns_per_op, char *why, size_t len)
{
	long warm = iterations / 10 + 2;
	double t0 = 0;
	ptent_t *pte;

	if (libdune_setup(why, len) || heap_setup(why, len))
		return MEASURE_FAILED;
	if (dune_vm_lookup(pgroot, heap, 1, &pte)) {
		snprintf(why, len, "dune_vm_lookup failed");
		return MEASURE_FAILED;
	}
	dune_register_pgflt_handler(unprotect);
	faults = 0;
	for (long i = 0; i < warm + iterations; i++) {
		if (i == warm)
			t0 = now_ns();
		dune_vm_mprotect(pgroot, heap, PGSIZE, PERM_R);
		((volatile uint8_t *)heap)[0] = 1;
	}
	*ns_per_op = (now_ns() - t0) / iterations;
	dune_register_pgflt_handler(NULL);
	if (faults == warm + iterations)
		return MEASURE_OK;
	snprintf(why, len, "the handler saw %ld faults, not %ld", faults, warm + iterations);
	return MEASURE_FAILED;
}

void bench_trap_store(volatile char *p);
extern const char bench_trap_resume[];

static void skip_store(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	(void)addr, (void)fec;
	faults++;
	if (tf->rip == (uint64_t)(uintptr_t)bench_trap_store)
		tf->rip = (uint64_t)(uintptr_t)bench_trap_resume;
}

int measure_libdune_trap(long iterations, double *ns_per_op, char *why, size_t len)
{
	long warm = iterations / 10 + 2;
	char *p;
	double t0;

	if (libdune_setup(why, len))
		return MEASURE_FAILED;
	p = mmap(NULL, PGSIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return MEASURE_FAILED;
	}
	dune_register_pgflt_handler(skip_store);
	faults = 0;
	for (long i = 0; i < warm; i++)
		bench_trap_store(p);
	t0 = now_ns();
	for (long i = 0; i < iterations; i++)
		bench_trap_store(p);
	*ns_per_op = (now_ns() - t0) / iterations;
	dune_register_pgflt_handler(NULL);
	munmap(p, PGSIZE);
	if (faults == warm + iterations)
		return MEASURE_OK;
	snprintf(why, len, "the handler saw %ld faults, not %ld", faults, warm + iterations);
	return MEASURE_FAILED;
}
