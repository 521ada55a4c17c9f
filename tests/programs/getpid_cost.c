/* getpid_cost: the cost of one forwarded getpid, in TSC ticks per call.
 *
 * Under Bochs (tests/vm/vtx-run) the TSC advances once per emulated
 * instruction, so the figure is an instruction count, not a time. The first
 * calls are left out: they rewrite the syscall site and fault pages in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

int main(int argc, char **argv)
{
	int calls = argc > 1 ? atoi(argv[1]) : 2000;
	unsigned long long best = ~0ull, t0, t1;
	long pid = 0;

	for (int i = 0; i < 50; i++)
		pid += syscall(SYS_getpid);
	for (int round = 0; round < 5; round++) {
		t0 = __rdtsc();
		for (int i = 0; i < calls; i++)
			pid += syscall(SYS_getpid);
		t1 = __rdtsc();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	printf("getpid: %llu ticks per call (best of 5 rounds of %d)\n", best / calls, calls);
	return pid > 0 ? 0 : 1;
}
