/* catalog.c: every benchmark dune-bench knows, in the order it runs them. */
#include "dune-bench.h"

char **prepare_gcc(const char *dir, bool quick, char *why, size_t len);
char **prepare_python(const char *dir, bool quick, char *why, size_t len);
char **prepare_sqlite(const char *dir, bool quick, char *why, size_t len);
char **prepare_tar(const char *dir, bool quick, char *why, size_t len);

/* dune's interposition: its policy traces every getpid (bench/trace-getpid.conf). */
#define DUNE_TRACE "dune's policy trace of getpid, logged to /dev/null"
#define DUNE_TRACE_ENV "DUNE_POLICY=" DUNE_BENCH_TRACE_POLICY

const struct bench benches[] = {
	{ .name = "getpid", .title = "getpid, rewritten site", .kind = KIND_MICRO, .measure = "getpid",
	  .quick_iterations = 2000, .full_iterations = 50000, .unit = "ns" },
	{ .name = "getpid-norewrite", .title = "getpid, via the LSTAR stub", .kind = KIND_MICRO,
	  .measure = "getpid", .dune_env = "DUNE_REWRITE=0",
	  .quick_iterations = 2000, .full_iterations = 50000, .unit = "ns" },
	{ .name = "kvm-floor", .title = "KVM_RUN floor: bare guest `out` loop", .kind = KIND_FLOOR,
	  .measure = "kvm-floor", .quick_iterations = 2000, .full_iterations = 50000, .unit = "ns" },
	{ .name = "page-fault", .title = "first touch of a page", .kind = KIND_MICRO, .measure = "page-fault",
	  .quick_iterations = 1000, .full_iterations = 20000, .unit = "ns" },
	{ .name = "pt-walk", .title = "TLB miss: a word in each of many pages", .kind = KIND_MICRO,
	  .measure = "pt-walk", .quick_iterations = 16384, .full_iterations = 65536, .unit = "ns" },
	{ .name = "mmap-churn", .title = "mmap + touch + munmap of 64 KiB", .kind = KIND_MICRO,
	  .measure = "mmap-churn", .quick_iterations = 500, .full_iterations = 10000, .unit = "ns" },
	{ .name = "trap", .title = "trap: a SIGSEGV handler skips the store", .kind = KIND_MICRO,
	  .measure = "trap",
	  .quick_iterations = 500, .full_iterations = 20000, .unit = "ns" },
	{ .name = "prot1", .title = "prot1 + trap + unprot", .kind = KIND_MICRO, .measure = "prot1",
	  .quick_iterations = 500, .full_iterations = 20000, .unit = "ns" },
	{ .name = "protn", .title = "protN + trap + unprot, 100 pages (per page)", .kind = KIND_MICRO,
	  .measure = "protn",
	  .quick_iterations = 1000, .full_iterations = 20000, .unit = "ns" },
	/* libdune: the dune side is the same job done with the page tables. */
	{ .name = "gc-track", .title = "GC write tracking, 64 writes over 1024 pages (per round)",
	  .kind = KIND_MICRO, .measure = "track-mprotect", .dune_measure = "track-dirty",
	  .dune_note = "libdune: dirty bits cleared, one TLB flush, read back",
	  .quick_iterations = 20, .full_iterations = 500, .unit = "ns" },
	{ .name = "libdune-trap", .title = "trap: libdune's page-fault handler skips the store",
	  .kind = KIND_MICRO, .measure = "trap", .dune_measure = "libdune-trap",
	  .dune_note = "libdune: a pgflt handler moves tf->rip past the store",
	  .quick_iterations = 500, .full_iterations = 20000, .unit = "ns" },
	{ .name = "libdune-prot1", .title = "prot1 + trap + unprot, libdune's page-fault handler",
	  .kind = KIND_MICRO, .measure = "prot1", .dune_measure = "libdune-prot1",
	  .dune_note = "libdune: dune_vm_mprotect, a pgflt handler sets PTE_W",
	  .quick_iterations = 500, .full_iterations = 20000, .unit = "ns" },
	{ .name = "fork-exec", .title = "fork + exec /bin/true + wait", .kind = KIND_MICRO,
	  .measure = "fork-exec", .quick_iterations = 4, .full_iterations = 100, .unit = "ns" },
	{ .name = "ptrace", .title = "getpid traced by PTRACE_SYSCALL", .kind = KIND_INTERPOSE,
	  .measure = "ptrace", .dune_measure = "getpid", .dune_note = DUNE_TRACE,
	  .dune_env = DUNE_TRACE_ENV,
	  .quick_iterations = 500, .full_iterations = 20000, .unit = "ns" },
	{ .name = "seccomp-notify", .title = "getpid via a seccomp USER_NOTIF supervisor",
	  .kind = KIND_INTERPOSE, .measure = "seccomp", .dune_measure = "getpid", .dune_note = DUNE_TRACE,
	  .dune_env = DUNE_TRACE_ENV,
	  .quick_iterations = 500, .full_iterations = 20000, .unit = "ns" },
	{ .name = "sud", .title = "getpid via Syscall User Dispatch (SIGSYS)", .kind = KIND_INTERPOSE,
	  .measure = "sud", .dune_measure = "getpid", .dune_note = DUNE_TRACE,
	  .dune_env = DUNE_TRACE_ENV,
	  .quick_iterations = 500, .full_iterations = 20000, .unit = "ns" },
	{ .name = "gcc", .title = "gcc -O2 -c of a generated C file", .kind = KIND_PROGRAM, .unit = "ms",
	  .prepare = prepare_gcc },
	{ .name = "python3", .title = "python3 start-up + small script", .kind = KIND_PROGRAM, .unit = "ms",
	  .prepare = prepare_python },
	{ .name = "sqlite3", .title = "sqlite3 running a script", .kind = KIND_PROGRAM, .unit = "ms",
	  .prepare = prepare_sqlite },
	{ .name = "tar-gzip", .title = "tar -czf of a tree", .kind = KIND_PROGRAM, .unit = "ms",
	  .prepare = prepare_tar },
};

const size_t n_benches = sizeof(benches) / sizeof(benches[0]);
