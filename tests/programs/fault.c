/* fault: end by the exception its argument names, as a native run would. */
#include <stdio.h>
#include <string.h>

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
	else if (!strcmp(what, "stack"))
		for (volatile char buf[64 << 10];; buf[0] = 1)
			return main(argc, argv) + buf[0];
	printf("no fault\n");
	return 3;
}
