/* getpid: the cost of one syscall round trip, as the median of several runs.
 *   getpid [ITERATIONS] [RUNS]   prints "getpid median_ns min_ns max_ns" */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 20000;
	int runs = argc > 2 ? atoi(argv[2]) : 7;
	double per_call[64];

	if (runs < 1 || runs > 64 || iterations < 1)
		return 2;
	syscall(SYS_getpid); /* warm-up: the first call at a site is the slow one */
	for (int r = 0; r < runs; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iterations; i++)
			syscall(SYS_getpid);
		per_call[r] = (now_ns() - t0) / iterations;
	}
	qsort(per_call, runs, sizeof(double), cmp);
	printf("getpid %.1f %.1f %.1f\n", per_call[runs / 2], per_call[0], per_call[runs - 1]);
	return 0;
}
