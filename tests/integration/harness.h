/* harness.h: run a program natively and under dune, and compare what it did. */
#ifndef DUNE_TEST_HARNESS_H
#define DUNE_TEST_HARNESS_H

#include <stddef.h>

struct run_result {
	char *out;   /* everything written to stdout */
	size_t out_len;
	char *err;   /* everything written to stderr */
	size_t err_len;
	int status;  /* shell-style: the exit code, or 128 + the signal */
	int pid;     /* the process started, which keeps its pid across execs */
};

/* Run argv with extra environment entries ("NAME=value", NULL-terminated, may
 * be NULL), standard input from stdin_path (or /dev/null). Under dune when
 * under_dune is set (LD_PRELOAD=libdunepre.so from the build tree). */
struct run_result run_program(const char *const *argv, const char *const *env, int under_dune,
			      const char *stdin_path);
void run_result_free(struct run_result *r);

/* Fails the test loudly where dune cannot run (no usable /dev/kvm). */
void require_kvm(void);

/* Can this host run a program at ring 0? Not on a PVM host (kvm_pvm), whose
 * KVM emulates CPL0 code: told by the host, independently of dune's probe. */
int host_runs_ring0(void);
/* Where it cannot: dune refuses argv at ring 0 (env says so) before main,
 * with one dune: line that says why and that ring 3 works, and status 126. */
void expect_ring0_refused(const char *const *argv, const char *const *env);
/* At the top of a ring-0 test: on a host without ring 0, the test checks the
 * refusal of its own program instead, and ends. */
#define RING0_OR_REFUSED(argv, env)                      \
	do {                                             \
		if (!host_runs_ring0()) {                \
			expect_ring0_refused(argv, env); \
			return;                          \
		}                                        \
	} while (0)

/* Run argv natively and under dune; assert identical stdout and status. */
void expect_same_as_native(const char *const *argv, const char *const *env);

/* Write a policy file named name into the scratch dir; returns "DUNE_POLICY=path". */
char *policy_env(const char *name, const char *text);

/* A scratch directory for this test, made once per test process. */
const char *scratch_dir(void);
/* Write a deterministic text file of n lines under the scratch dir; returns its path. */
const char *make_text_file(const char *name, int lines);

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

#endif
