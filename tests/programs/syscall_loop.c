/* syscall_loop NR N: make syscall NR (no arguments) N times from one site and
 * print the time per call and the last result: the cost of a denied call
 * decided in the guest against one that exits to the host. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long raw0(long nr)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

int main(int argc, char **argv)
{
	long nr = argc > 1 ? strtol(argv[1], NULL, 0) : 39;
	long n = argc > 2 ? strtol(argv[2], NULL, 0) : 10000, ret = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		ret = raw0(nr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("syscall %ld x %ld: %.0f ns per call, last result %ld\n", nr, n,
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n, ret);
	return 0;
}
