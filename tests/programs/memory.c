/* memory.c: changes of the memory map that a program can observe, one line
 * per check: anonymous and file-backed mappings, mprotect (down to PROT_NONE
 * and back, with the fault caught in between), partial munmap, mremap,
 * MAP_FIXED over a live mapping. Natively and under dune the output must be
 * byte-for-byte the same; the exit status is the number of failed checks. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static int failures;

static void check(const char *what, int ok)
{
	printf("%-52s %s\n", what, ok ? "ok" : "FAILED");
	fflush(stdout);
	failures += !ok;
}

/* A SIGSEGV of a probe comes back here with the faulting address. */
static sigjmp_buf jump;
static void *volatile fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jump, 1);
}

/* Does reading (or writing) p fault? */
static int faults(volatile char *p, int write)
{
	fault_addr = NULL;
	if (sigsetjmp(jump, 1))
		return fault_addr == p;
	if (write)
		*p = 1;
	else
		(void)*p;
	return 0;
}

/* Every byte of n pages at p is the page's index plus seed. */
static void fill(char *p, int n, int seed)
{
	for (int i = 0; i < n; i++)
		memset(p + i * PAGE, i + seed, PAGE);
}

static int filled(const char *p, int n, int seed)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < PAGE; j++)
			if (p[i * PAGE + j] != (char)(i + seed))
				return 0;
	return 1;
}

static int zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static void anonymous(void)
{
	char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check("anonymous mmap succeeds", p != MAP_FAILED);
	check("anonymous memory starts zeroed", zero(p, 8 * PAGE));
	fill(p, 8, 1);
	check("anonymous memory keeps what was written", filled(p, 8, 1));

	check("mprotect PROT_READ", mprotect(p, 8 * PAGE, PROT_READ) == 0);
	check("PROT_READ: reads work", filled(p, 8, 1));
	check("PROT_READ: a write faults at its address", faults(p + 3 * PAGE + 5, 1));
	check("the fault is SEGV_ACCERR", fault_code == SEGV_ACCERR);

	check("mprotect PROT_NONE", mprotect(p + 2 * PAGE, 2 * PAGE, PROT_NONE) == 0);
	check("PROT_NONE: a read faults at its address", faults(p + 2 * PAGE + 100, 0));
	check("PROT_NONE: the next page faults too", faults(p + 3 * PAGE, 0));
	check("the pages around it are still readable", filled(p, 2, 1) && filled(p + 4 * PAGE, 4, 5));
	check("mprotect back to PROT_READ|PROT_WRITE",
	      mprotect(p, 8 * PAGE, PROT_READ | PROT_WRITE) == 0);
	check("the contents survived PROT_NONE", filled(p, 8, 1));
	check("writes work again", !faults(p + 2 * PAGE, 1) && p[2 * PAGE] == 1);
	p[2 * PAGE] = 3;

	check("munmap of the middle pages", munmap(p + 3 * PAGE, 2 * PAGE) == 0);
	check("the unmapped middle faults (SEGV_MAPERR)",
	      faults(p + 4 * PAGE + 8, 0) && fault_code == SEGV_MAPERR);
	check("both sides keep their contents",
	      filled(p, 2, 1) && filled(p + 5 * PAGE, 3, 6));
	check("munmap of a range with a hole in it", munmap(p, 8 * PAGE) == 0);
	check("the whole range faults now", faults(p, 0) && faults(p + 7 * PAGE, 1));
}

static void remapping(void)
{
	char *p = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *guard = p + 4 * PAGE, *q;

	/* A different mapping right after it: growing in place is impossible. */
	mprotect(guard, PAGE, PROT_NONE);
	fill(p, 4, 20);
	q = mremap(p, 4 * PAGE, 16 * PAGE, 0);
	check("mremap cannot grow a blocked range in place", q == MAP_FAILED);
	q = mremap(p, 4 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
	check("mremap MREMAP_MAYMOVE grows it", q != MAP_FAILED);
	check("the old contents moved along", filled(q, 4, 20));
	check("the new part is zeroed", zero(q + 4 * PAGE, 12 * PAGE));
	fill(q, 16, 40);
	check("the whole grown range is writable", filled(q, 16, 40));
	check("it moved, and the old address faults", q != p && faults(p, 0));
	q = mremap(q, 16 * PAGE, 2 * PAGE, 0);
	check("mremap shrinks it", q != MAP_FAILED && filled(q, 2, 40));
	check("the cut-off tail faults", faults(q + 2 * PAGE, 0));
	munmap(q, 2 * PAGE);
	munmap(guard, PAGE);
}

static void fixed(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q;

	fill(p, 4, 60);
	q = mmap(p + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	check("MAP_FIXED over a live mapping", q == p + PAGE);
	check("the replaced pages read as zero", zero(q, 2 * PAGE));
	check("the pages around it are untouched", filled(p, 1, 60) && filled(p + 3 * PAGE, 1, 63));
	q = mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	check("MAP_FIXED with PROT_READ: zero and read-only",
	      q == p && zero(p, PAGE) && faults(p + 10, 1));
	check("MAP_FIXED_NOREPLACE refuses a live range",
	      mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) ==
	      MAP_FAILED);
	munmap(p, 4 * PAGE);
}

static void file_backed(void)
{
	char path[] = "/tmp/dune-memory-XXXXXX", buf[64];
	int fd = mkstemp(path);
	char *shared, *private;

	unlink(path);
	check("a temporary file", fd >= 0 && ftruncate(fd, 4 * PAGE) == 0);
	pwrite(fd, "written with pwrite", 19, PAGE);

	shared = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check("a MAP_SHARED file mapping", shared != MAP_FAILED);
	check("it shows what pwrite wrote", memcmp(shared + PAGE, "written with pwrite", 19) == 0);
	memcpy(shared + 2 * PAGE, "stored through the mapping", 26);
	check("pread sees a store through the mapping",
	      pread(fd, buf, 26, 2 * PAGE) == 26 && memcmp(buf, "stored through the mapping", 26) == 0);
	pwrite(fd, "changed", 7, PAGE);
	check("the mapping sees a later pwrite", memcmp(shared + PAGE, "changed with pwrite", 19) == 0);
	check("msync", msync(shared, 4 * PAGE, MS_SYNC) == 0);

	private = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check("a MAP_PRIVATE mapping of the same file", private != MAP_FAILED &&
	      memcmp(private + 2 * PAGE, "stored through the mapping", 26) == 0);
	memcpy(private + 2 * PAGE, "private copy", 12);
	check("a private store stays private",
	      memcmp(shared + 2 * PAGE, "stored through the mapping", 26) == 0 &&
	      pread(fd, buf, 12, 2 * PAGE) == 12 && memcmp(buf, "stored throu", 12) == 0);
	check("and the private mapping keeps it", memcmp(private + 2 * PAGE, "private copy", 12) == 0);
	check("mprotect of a shared mapping to PROT_READ", mprotect(shared, 4 * PAGE, PROT_READ) == 0);
	check("a store faults, the file is unchanged",
	      faults(shared + 3 * PAGE, 1) && pread(fd, buf, 1, 3 * PAGE) == 1 && buf[0] == 0);
	check("mprotect back to PROT_READ|PROT_WRITE",
	      mprotect(shared, 4 * PAGE, PROT_READ | PROT_WRITE) == 0);
	shared[3 * PAGE] = 'z';
	check("a store reaches the file again", pread(fd, buf, 1, 3 * PAGE) == 1 && buf[0] == 'z');
	check("munmap of the file mappings",
	      munmap(shared, 4 * PAGE) == 0 && munmap(private, 4 * PAGE) == 0);
	check("the data outlives the mapping", pread(fd, buf, 1, 3 * PAGE) == 1 && buf[0] == 'z');
	close(fd);
}

/* Memory the process gets back where it just freed some must not show old data. */
static void reuse(void)
{
	int ok = 1;

	for (int i = 0; i < 16 && ok; i++) {
		char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		ok = p != MAP_FAILED && zero(p, 3 * PAGE);
		memset(p, 0x5a, 3 * PAGE);
		munmap(p, 3 * PAGE);
	}
	check("mmap after munmap, 16 times: always zeroed", ok);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	anonymous();
	remapping();
	fixed();
	file_backed();
	reuse();
	printf("%d failed\n", failures);
	return failures;
}
