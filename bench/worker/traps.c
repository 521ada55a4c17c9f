/* traps.c: protection faults caught by a SIGSEGV handler, Appel and Li's
 * measurements ("Virtual memory primitives for user programs", 1991):
 *   trap   a write to a protected page, the handler skips the write;
 *   prot1  protect one page, write to it, the handler unprotects it;
 *   protn  protect 100 pages at once, write to each, the handler unprotects
 *          the page that faulted (time per page).
 * Under dune these need signal delivery inside the guest. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "worker.h"

#define PAGE 4096L
#define PROTN_PAGES 100

void bench_trap_store(volatile char *p);
extern const char bench_trap_resume[];

static enum { SKIP_STORE, UNPROTECT_PAGE } handler_mode;
static volatile long faults;

static void on_segv(int sig, siginfo_t *info, void *context)
{
	ucontext_t *uc = context;
	uintptr_t page = (uintptr_t)info->si_addr & ~(uintptr_t)(PAGE - 1);

	faults++;
	if (handler_mode == SKIP_STORE && uc->uc_mcontext.gregs[REG_RIP] == (greg_t)bench_trap_store) {
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)bench_trap_resume;
		return;
	}
	if (handler_mode == UNPROTECT_PAGE && mprotect((void *)page, PAGE, PROT_READ | PROT_WRITE) == 0)
		return;
	/* Not a fault we caused: die of it as if there were no handler. */
	signal(sig, SIG_DFL);
}

static char *setup(long pages, int prot, char *why, size_t len)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	char *p = mmap(NULL, pages * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return NULL;
	}
	for (long i = 0; prot & PROT_WRITE && i < pages; i++)
		p[i * PAGE] = 0; /* fault in now: page faults are another benchmark */
	faults = 0;
	if (sigaction(SIGSEGV, &sa, NULL)) {
		snprintf(why, len, "sigaction: %s", strerror(errno));
		return NULL;
	}
	return p;
}

static int check_faults(long expected, char *why, size_t len)
{
	if (faults == expected)
		return MEASURE_OK;
	snprintf(why, len, "the handler saw %ld faults, not %ld", faults, expected);
	return MEASURE_FAILED;
}

int measure_trap(long iterations, double *ns_per_op, char *why, size_t len)
{
	char *p = setup(1, PROT_READ, why, len);
	long warm = iterations / 10 + 2;
	double t0;

	if (!p)
		return MEASURE_FAILED;
	handler_mode = SKIP_STORE;
	for (long i = 0; i < warm; i++)
		bench_trap_store(p);
	t0 = now_ns();
	for (long i = 0; i < iterations; i++)
		bench_trap_store(p);
	*ns_per_op = (now_ns() - t0) / iterations;
	munmap(p, PAGE);
	return check_faults(warm + iterations, why, len);
}

int measure_prot1(long iterations, double *ns_per_op, char *why, size_t len)
{
	char *p = setup(1, PROT_READ | PROT_WRITE, why, len);
	long warm = iterations / 10 + 2;
	double t0 = 0;

	if (!p)
		return MEASURE_FAILED;
	handler_mode = UNPROTECT_PAGE;
	for (long i = 0; i < warm + iterations; i++) {
		if (i == warm)
			t0 = now_ns();
		mprotect(p, PAGE, PROT_READ);
		((volatile char *)p)[0] = 1;
	}
	*ns_per_op = (now_ns() - t0) / iterations;
	munmap(p, PAGE);
	return check_faults(warm + iterations, why, len);
}

/* iterations counts faults (pages), rounded up to whole rounds of 100. */
int measure_protn(long iterations, double *ns_per_op, char *why, size_t len)
{
	long rounds = (iterations + PROTN_PAGES - 1) / PROTN_PAGES, warm = 1;
	char *p = setup(PROTN_PAGES, PROT_READ | PROT_WRITE, why, len);
	double t0 = 0;

	if (!p)
		return MEASURE_FAILED;
	handler_mode = UNPROTECT_PAGE;
	for (long r = 0; r < warm + rounds; r++) {
		if (r == warm)
			t0 = now_ns();
		mprotect(p, PROTN_PAGES * PAGE, PROT_READ);
		for (long i = 0; i < PROTN_PAGES; i++)
			((volatile char *)p)[i * PAGE] = 1;
	}
	*ns_per_op = (now_ns() - t0) / (rounds * PROTN_PAGES);
	munmap(p, PROTN_PAGES * PAGE);
	return check_faults((warm + rounds) * PROTN_PAGES, why, len);
}
