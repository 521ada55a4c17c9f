/* dune-bench-worker: make one measurement and print it, for dune-bench.
 *
 *   dune-bench-worker NAME ITERATIONS [MIN_MS]
 *
 * It repeats the measurement until MIN_MS have passed (default 0: once) and
 * reports the median: a cheap operation timed over a millisecond or two is
 * at the mercy of one preemption on a shared machine, and the median of many
 * short runs is not.
 * Prints one line on stdout: "ok NS_PER_OP UNDER_DUNE" (exit 0), "unsupported WHY"
 * (exit 3) or "failed WHY" (exit 1). dune-bench runs it natively and under
 * dune and compares; it is no tool for people, hence the terse protocol. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

static const struct {
	const char *name;
	measure_fn fn;
} measures[] = {
	{ "getpid", measure_getpid },
	{ "read", measure_read },
	{ "write", measure_write },
	{ "readv", measure_readv },
	{ "writev", measure_writev },
	{ "kvm-floor", measure_kvm_floor },
	{ "page-fault", measure_page_fault },
	{ "pt-walk", measure_pt_walk },
	{ "mmap-churn", measure_mmap_churn },
	{ "trap", measure_trap },
	{ "prot1", measure_prot1 },
	{ "protn", measure_protn },
	{ "fork-exec", measure_fork_exec },
	{ "ptrace", measure_ptrace },
	{ "seccomp", measure_seccomp },
	{ "sud", measure_sud },
	{ "track-mprotect", measure_track_mprotect },
	{ "track-dirty", measure_track_dirty },
	{ "libdune-prot1", measure_libdune_prot1 },
	{ "libdune-trap", measure_libdune_trap },
};

/* 1 when dune runs us: its identification syscall fails with ENOSYS natively.
 * dune-bench checks it, so a wrong --preload cannot pass for dune. */
static int under_dune(void)
{
	uint64_t info[8] = { 0 };

	return syscall(0x44554e45, info) == 0 && (uint32_t)info[0] == 0x454e5544;
}

double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define MAX_RUNS 101

static int measure_repeated(measure_fn fn, long iterations, double min_ns, double *ns, char *why,
			    size_t len)
{
	double runs[MAX_RUNS], start = now_ns();
	int n = 0, r;

	do {
		if ((r = fn(iterations, &runs[n], why, len)))
			return r;
		n++;
	} while (n < MAX_RUNS && now_ns() - start < min_ns);
	qsort(runs, n, sizeof(runs[0]), by_value);
	*ns = n % 2 ? runs[n / 2] : (runs[n / 2 - 1] + runs[n / 2]) / 2;
	return MEASURE_OK;
}

int main(int argc, char **argv)
{
	char why[256] = "";
	double ns = 0, min_ms = 0;
	long iterations;
	char *end;
	int r;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: dune-bench-worker NAME ITERATIONS [MIN_MS] (run by dune-bench)\n");
		return 2;
	}
	iterations = strtol(argv[2], &end, 10);
	if (*end || iterations < 1) {
		fprintf(stderr, "dune-bench-worker: bad iteration count %s\n", argv[2]);
		return 2;
	}
	if (argc == 4 && ((min_ms = strtod(argv[3], &end)) < 0 || *end)) {
		fprintf(stderr, "dune-bench-worker: bad time %s\n", argv[3]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(measures) / sizeof(measures[0]); i++) {
		if (strcmp(measures[i].name, argv[1]))
			continue;
		r = measure_repeated(measures[i].fn, iterations, min_ms * 1e6, &ns, why, sizeof(why));
		if (r == MEASURE_OK && ns > 0) {
			printf("ok %.9g %d\n", ns, under_dune());
			return 0;
		}
		if (r == MEASURE_OK)
			snprintf(why, sizeof(why), "measured a time of %g ns, not positive", ns);
		printf("%s %s\n", r == MEASURE_UNSUPPORTED ? "unsupported" : "failed", why);
		return r == MEASURE_UNSUPPORTED ? 3 : 1;
	}
	fprintf(stderr, "dune-bench-worker: no measurement named %s\n", argv[1]);
	return 2;
}
