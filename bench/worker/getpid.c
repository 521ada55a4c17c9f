/* getpid.c: one syscall round trip, the cheapest there is to forward. */
#include <sys/syscall.h>
#include <unistd.h>

#include "worker.h"

int measure_getpid(long iterations, double *ns_per_op, char *why, size_t len)
{
	double t0;

	(void)why;
	(void)len;
	/* The first calls at a site are the dear ones under dune (the site gets
	 * rewritten): keep them out of the timed loop. */
	for (long i = 0; i < iterations / 10 + 10; i++)
		syscall(SYS_getpid);
	t0 = now_ns();
	for (long i = 0; i < iterations; i++)
		syscall(SYS_getpid);
	*ns_per_op = (now_ns() - t0) / iterations;
	return MEASURE_OK;
}
