/* dirty-track: GC-style write tracking, the way a garbage collector's write
 * barrier would find the pages the mutator changed between two collections.
 *
 *   dirty-track [--method dirty|mprotect] [--pages N] [--rounds R] [--writes W] [--time 1]
 *
 * dirty: the page tables' dirty bits (libdune). Each round clears PTE_D on
 *   every page of the heap, flushes the TLB once, lets the mutator run, and
 *   reads PTE_D back: no fault, no exit while the mutator runs.
 * mprotect: Appel and Li's way, which works natively too: each round makes
 *   the heap read-only; the first write to a page faults, the SIGSEGV
 *   handler records it and makes the page writable again.
 * Each round the pages found must be exactly those written. Prints one line
 * with the verdict, and with --time 1 one with the time per round.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <dune/dune.h>

static uint8_t *heap;
static long npages;
static uint8_t *written;  /* the truth: pages the mutator wrote this round */
static uint8_t *found;    /* what the tracker says */
static ptent_t **ptes;    /* dirty: each page's entry, found once */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	uint64_t page = ((uint64_t)si->si_addr - (uint64_t)heap) / PGSIZE;

	(void)sig, (void)ctx;
	if ((uint64_t)si->si_addr < (uint64_t)heap || page >= (uint64_t)npages)
		abort();
	found[page] = 1;
	mprotect(heap + page * PGSIZE, PGSIZE, PROT_READ | PROT_WRITE);
}

static int dirty_setup(void)
{
	if (dune_init_and_enter())
		return -1;
	ptes = calloc(npages, sizeof(*ptes));
	for (long i = 0; i < npages; i++)
		if (dune_vm_lookup(pgroot, heap + i * PGSIZE, 1, &ptes[i])) /* 4 KiB entries */
			return -1;
	return 0;
}

static void dirty_start(void)
{
	for (long i = 0; i < npages; i++)
		*ptes[i] &= ~PTE_D;
	dune_flush_tlb();
}

static void dirty_end(void)
{
	for (long i = 0; i < npages; i++)
		found[i] = (*ptes[i] & PTE_D) != 0;
}

static int mprotect_setup(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };

	return sigaction(SIGSEGV, &sa, NULL);
}

static void mprotect_start(void)
{
	memset(found, 0, npages);
	mprotect(heap, npages * PGSIZE, PROT_READ);
}

static void mprotect_end(void)
{
}

int main(int argc, char **argv)
{
	const char *method = "dirty";
	long rounds = 20, writes = 64, bad = 0, total = 0;
	uint64_t seed = 42;
	double t0, spent = 0;
	bool dirty, timed = false;

	npages = 1024;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--method"))
			method = argv[i + 1];
		else if (!strcmp(argv[i], "--pages"))
			npages = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--writes"))
			writes = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--time"))
			timed = atoi(argv[i + 1]) != 0;
	}
	dirty = !strcmp(method, "dirty");
	if ((!dirty && strcmp(method, "mprotect")) || npages <= 0 || rounds <= 0 || writes < 0) {
		fprintf(stderr, "usage: dirty-track [--method dirty|mprotect] [--pages N] [--rounds R] "
			"[--writes W] [--time 1]\n");
		return 2;
	}
	heap = mmap(NULL, npages * PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	written = calloc(npages, 1);
	found = calloc(npages, 1);
	if (heap == MAP_FAILED || !written || !found)
		return 1;
	memset(heap, 1, npages * PGSIZE); /* every page faulted in before the rounds */
	if (dirty ? dirty_setup() : mprotect_setup()) {
		fprintf(stderr, "dirty-track: cannot set up the %s method\n", method);
		return 1;
	}
	for (long r = 0; r < rounds; r++) {
		memset(written, 0, npages);
		t0 = now();
		if (dirty)
			dirty_start();
		else
			mprotect_start();
		for (long w = 0; w < writes; w++) { /* the mutator */
			long page;

			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			page = (long)((seed >> 33) % (uint64_t)npages);
			heap[page * PGSIZE + (seed >> 20) % PGSIZE]++;
			written[page] = 1;
		}
		if (dirty)
			dirty_end();
		else
			mprotect_end();
		spent += now() - t0;
		for (long i = 0; i < npages; i++)
			total += written[i];
		bad += memcmp(written, found, npages) != 0;
	}
	printf("%s: %ld rounds of %ld writes over %ld pages: %s\n", method, rounds, writes, npages,
	       bad ? "MISMATCH" : "every written page found, no other");
	if (timed)
		printf("%s: %.0f ns per round, %.0f ns per written page\n", method, spent / rounds,
		       total ? spent / total : 0);
	return bad != 0;
}
