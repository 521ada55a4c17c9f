/* worker.h: the measurements dune-bench-worker can make, one per process run.
 *
 * dune-bench starts the worker once per repetition and side (natively, and
 * with libdunepre.so preloaded), so both sides run the very same code and
 * each repetition starts from a fresh process. */
#ifndef DUNE_BENCH_WORKER_H
#define DUNE_BENCH_WORKER_H

#include <stddef.h>

/* What a measurement returns. */
enum {
	MEASURE_OK = 0,          /* *ns_per_op holds the result */
	MEASURE_UNSUPPORTED = 1, /* this machine or kernel cannot do it; why says so */
	MEASURE_FAILED = -1,     /* it went wrong; why says how */
};

/* A measurement: run its own warm-up, then time `iterations` operations and
 * store the mean time of one in *ns_per_op. It may be called again in the
 * same process, and must then measure the same thing again. */
typedef int (*measure_fn)(long iterations, double *ns_per_op, char *why, size_t len);

/* The clock every measurement uses: CLOCK_MONOTONIC, read through the vDSO,
 * so reading it makes no syscall natively or under dune. */
double now_ns(void);

int measure_getpid(long iterations, double *ns_per_op, char *why, size_t len);
int measure_read(long iterations, double *ns_per_op, char *why, size_t len);
int measure_write(long iterations, double *ns_per_op, char *why, size_t len);
int measure_readv(long iterations, double *ns_per_op, char *why, size_t len);
int measure_writev(long iterations, double *ns_per_op, char *why, size_t len);
int measure_kvm_floor(long iterations, double *ns_per_op, char *why, size_t len);
int measure_page_fault(long iterations, double *ns_per_op, char *why, size_t len);
int measure_pt_walk(long iterations, double *ns_per_op, char *why, size_t len);
int measure_mmap_churn(long iterations, double *ns_per_op, char *why, size_t len);
int measure_trap(long iterations, double *ns_per_op, char *why, size_t len);
int measure_prot1(long iterations, double *ns_per_op, char *why, size_t len);
int measure_protn(long iterations, double *ns_per_op, char *why, size_t len);
int measure_fork_exec(long iterations, double *ns_per_op, char *why, size_t len);
int measure_ptrace(long iterations, double *ns_per_op, char *why, size_t len);
int measure_seccomp(long iterations, double *ns_per_op, char *why, size_t len);
int measure_sud(long iterations, double *ns_per_op, char *why, size_t len);
int measure_track_mprotect(long iterations, double *ns_per_op, char *why, size_t len);
int measure_track_dirty(long iterations, double *ns_per_op, char *why, size_t len);
int measure_libdune_prot1(long iterations, double *ns_per_op, char *why, size_t len);
int measure_libdune_trap(long iterations, double *ns_per_op, char *why, size_t len);

#endif
