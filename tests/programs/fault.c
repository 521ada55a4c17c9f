/* fault: end by the exception its argument names, as a native run would. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf caught;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(caught, 1);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	printf("about to %s\n", what);
	fflush(stdout);
	if (!strcmp(what, "segv"))
		*(volatile int *)16 = 1;
	else if (!strcmp(what, "write-rodata"))
		*(volatile char *)what = 'x', *(volatile char *)"constant" = 'x';
	else if (!strcmp(what, "ud2"))
		__asm__ volatile("ud2");
	else if (!strcmp(what, "int3"))
		__asm__ volatile("int3");
	else if (!strcmp(what, "div0"))
		__asm__ volatile("xorl %%ecx, %%ecx; divl %%ecx" ::: "eax", "ecx", "edx");
	else if (!strcmp(what, "hlt")) /* #GP at CPL3; at CPL0 an exit dune does not expect */
		__asm__ volatile("hlt");
	else if (!strcmp(what, "protected")) { /* a write to a read-only page: a hook may fix it */
		volatile int *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		*p = 42;
		printf("wrote %d\n", *p);
		return 0;
	} else if (!strcmp(what, "segv-caught")) { /* SIGSEGV caught; main returns, exit handlers run */
		signal(SIGSEGV, on_segv);
		if (!sigsetjmp(caught, 1))
			*(volatile int *)16 = 1;
		printf("caught\n");
		return 0;
	} else if (!strcmp(what, "stack"))
		for (volatile char buf[64 << 10];; buf[0] = 1)
			return main(argc, argv) + buf[0];
	printf("no fault\n");
	return 3;
}
