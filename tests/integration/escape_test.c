/* escape_test.c: a hostile program against the promise of dune's threat
 * model (README): it cannot get past its policy nor out of dune. Each attack
 * runs natively where that tells something, and under dune. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define ESCAPE TEST_PROGRAM_DIR "/escape"
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })


static char *fresh_dir(const char *name)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", scratch_dir(), name) > 0);
	rmdir(p);
	return p;
}

/* Natively the kernel reads only the low 32 bits: the call is mkdirat. */
Test(escape, upper_bits_of_the_number_do_not_hide_a_denied_call)
{
	char *env = policy_env("deny-mkdir.conf", "[syscalls]\ndeny = mkdir, mkdirat\n");
	char *dir = fresh_dir("high-native");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(ESCAPE, "highnr", dir), NULL, 0, NULL);
	cr_assert(strstr(r.out, "the directory exists"), "natively: %s", r.out);
	run_result_free(&r);
	dir = fresh_dir("high-dune");
	r = run_program(ARGV(ESCAPE, "highnr", dir), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "(Operation not permitted), no directory"), "under dune: %s",
		  r.out);
}

Test(escape, upper_bits_of_the_number_do_not_dodge_a_kill)
{
	char *env = policy_env("kill-mkdir.conf", "[syscalls]\nkill = mkdirat\n");
	char *dir = fresh_dir("high-kill");
	struct run_result r;
	struct stat st;

	require_kvm();
	r = run_program(ARGV(ESCAPE, "highnr", dir), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 128 + 31, "not killed by SIGSYS: status %d, %s", r.status, r.out);
	cr_expect_neq(stat(dir, &st), 0, "the directory was made");
}

/* int $0x80 runs i386 numbers, which the policy does not name: dune
 * answers ENOSYS (natively the kernel runs the i386 mkdir, where it has the
 * i386 entry), and the program goes on. */
Test(escape, the_i386_entry_answers_enosys)
{
	char *env = policy_env("deny-mkdir.conf", "[syscalls]\ndeny = mkdir, mkdirat\n");
	char *dir = fresh_dir("i386-dune");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(ESCAPE, "i386", dir), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "mkdir through int $0x80: -1 (Function not implemented), no directory\n",
			 "stderr: %s", r.err);
	run_result_free(&r);
	r = run_program(ARGV(ESCAPE, "i386", dir), NULL, 1, NULL);
	cr_expect_str_eq(r.out, "mkdir through int $0x80: -1 (Function not implemented), no directory\n",
			 "without a policy; stderr: %s", r.err);
	run_result_free(&r);
}

/* x32 numbers are refused as the kernel refuses them here (no x32 ABI). */
Test(escape, x32_numbers_fail_as_natively)
{
	char *env = policy_env("deny-mkdir-x32.conf", "[syscalls]\ndeny = mkdirat\n");
	char *dir = fresh_dir("x32");
	struct run_result native, dune;

	require_kvm();
	native = run_program(ARGV(ESCAPE, "x32", dir), NULL, 0, NULL);
	rmdir(dir);
	dune = run_program(ARGV(ESCAPE, "x32", dir), ENV(env), 1, NULL);
	cr_expect(strstr(dune.out, "no directory"), "under dune: %s", dune.out);
	if (strstr(native.out, "Function not implemented"))
		cr_expect_str_eq(dune.out, native.out);
}

/* execve by a number with its upper bits set is still dune's exec: the new
 * image comes back under dune. */
Test(escape, exec_by_an_odd_number_stays_under_dune)
{
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(ESCAPE, "execve-high"), NULL, 1, NULL);
	cr_expect_eq(r.status, 0, "stdout: %s stderr: %s", r.out, r.err);
	cr_expect_str_eq(r.out, "exec'd image: under dune\n");
	run_result_free(&r);
	r = run_program(ARGV(ESCAPE, "execve-high"), NULL, 0, NULL);
	cr_expect_str_eq(r.out, "exec'd image: native\n");
	run_result_free(&r);
}

/* io_uring would make the directory with IORING_OP_MKDIRAT, no mkdirat seen. */
Test(escape, io_uring_is_refused_under_a_policy_that_denies)
{
	char *deny = policy_env("deny-uring.conf", "[syscalls]\ndeny = mkdirat\n");
	char *allow = policy_env("allow-uring.conf", "[syscalls]\ndeny = mkdirat\n"
				     "allow = io_uring_setup, io_uring_enter, io_uring_register\n");
	struct run_result native, r;

	require_kvm();
	native = run_program(ARGV(ESCAPE, "io-uring"), NULL, 0, NULL);
	r = run_program(ARGV(ESCAPE, "io-uring"), ENV(deny), 1, NULL);
	cr_expect_str_eq(r.out, "io_uring_setup: -1 (Operation not permitted), \n");
	run_result_free(&r);
	r = run_program(ARGV(ESCAPE, "io-uring"), ENV(allow), 1, NULL);
	cr_expect_str_eq(r.out, native.out, "allowed by name: as natively");
	run_result_free(&r);
	run_result_free(&native);
}

/* ---- the kernel as the program's tool against the runtime (sysargs.c) ---- */

#define KERNEL TEST_PROGRAM_DIR "/escape_kernel"

/* Under dune the attack aims at the runtime's pages, natively at a page the
 * process does not have: every answer must be the same, and a policy that
 * denies mkdir still holds afterwards. */
static void same_as_native_with(const char *attack, const char *forward, const char *more)
{
	char *env = policy_env("deny-mkdir-kernel.conf", "[syscalls]\ndeny = mkdir, mkdirat\n");
	char *dir = fresh_dir("kernel-attack");
	struct run_result native, dune;

	require_kvm();
	native = run_program(ARGV(KERNEL, attack), NULL, 0, NULL);
	cr_assert_eq(native.status, 0, "natively: %s", native.err);
	dune = run_program(ARGV(KERNEL, attack, dir), ENV(env, forward, more), 1, NULL);
	cr_expect_eq(dune.status, 0, "under dune: status %d, %s", dune.status, dune.err);
	cr_expect(strncmp(dune.out, native.out, native.out_len) == 0,
		  "%s\nnatively:\n%s\nunder dune:\n%s", attack, native.out, dune.out);
	cr_expect(strstr(dune.out + native.out_len, "mkdir: Operation not permitted"),
		  "the policy no longer holds: %s", dune.out + native.out_len);
	run_result_free(&native);
	run_result_free(&dune);
}

static void same_as_native(const char *attack, const char *forward)
{
	same_as_native_with(attack, forward, NULL);
}

/* An attack whose answers differ from a native run by design: what dune
 * answers, exactly, and the program goes on. */
static void answers_under_dune(const char *attack, const char *expected)
{
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(KERNEL, attack), NULL, 1, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, expected);
	run_result_free(&r);
}

Test(escape, kernel_reads_and_writes_of_runtime_pages_fault)
{
	same_as_native("memory", "DUNE_FORWARD=exit");
}

Test(escape, kernel_reads_and_writes_of_runtime_pages_fault_exitless)
{
	same_as_native("memory", "DUNE_FORWARD=exitless");
}

/* Every call through the server: it copies and checks nested structures
 * (iovecs, msghdr) in scratch memory of its own. */
Test(escape, kernel_reads_and_writes_of_runtime_pages_fault_on_a_server)
{
	same_as_native_with("memory", "DUNE_FORWARD=exitless", "DUNE_FORWARD_HANDOFF=1");
}

/* The structure checked is the structure used, on the vCPU and on a server. */
Test(escape, a_swapped_iovec_never_reaches_the_runtime)
{
	same_as_native("iov-race", "DUNE_FORWARD=exit");
}

Test(escape, a_swapped_iovec_never_reaches_the_runtime_on_a_server)
{
	same_as_native_with("iov-race", "DUNE_FORWARD=exitless", "DUNE_FORWARD_HANDOFF=1");
}

Test(escape, a_message_batch_ends_at_a_runtime_page_as_at_a_bad_one)
{
	same_as_native("mmsg", "DUNE_FORWARD=exit");
	same_as_native_with("mmsg", "DUNE_FORWARD=exitless", "DUNE_FORWARD_HANDOFF=1");
}

Test(escape, runtime_descriptors_are_not_open_on_a_server)
{
	same_as_native_with("fds", "DUNE_FORWARD=exitless", "DUNE_FORWARD_HANDOFF=1");
}

Test(escape, memory_map_calls_over_runtime_pages_fail_as_for_no_memory)
{
	same_as_native("maps", "DUNE_FORWARD=exitless");
}

Test(escape, runtime_descriptors_are_not_open)
{
	same_as_native("fds", "DUNE_FORWARD=exit");
}

Test(escape, runtime_descriptors_are_not_open_exitless)
{
	same_as_native("fds", "DUNE_FORWARD=exitless");
}

/* Exitless servers are threads of the process: none may answer. */
Test(escape, runtime_threads_do_not_exist)
{
	same_as_native("threads", "DUNE_FORWARD=exitless");
}

/* The runtime's own libc and Zydis, scribbled over by the program: the
 * host side reads none of their data (preload/startup_only.S). Entered
 * through LD_AUDIT (ctest's escape_audit); through LD_PRELOAD the libc is
 * the program's, and left alone. */
Test(escape, the_runtimes_libc_data_is_not_the_hosts_to_read)
{
	same_as_native("libc-data", "DUNE_FORWARD=exit");
}

Test(escape, the_runtimes_libc_data_is_not_the_hosts_to_read_exitless)
{
	same_as_native("libc-data", "DUNE_FORWARD=exitless");
}

/* Zydis, which the host side runs, calls memcpy and the rest: the
 * runtime's own, not libc's, whose loops depend on libc's data. */
Test(escape, the_decoders_calls_into_libc_are_the_runtimes_own)
{
	answers_under_dune("zydis-imports", "Zydis's memcpy: dune\n"
					    "Zydis's memset: dune\n"
					    "Zydis's strlen: dune\n"
					    "Zydis's __stack_chk_fail: dune\n"
					    "Zydis's __assert_fail: dune\n");
}

Test(escape, the_runtimes_libc_data_zeroed_is_not_the_hosts_to_read)
{
	same_as_native("libc-data-zero", "DUNE_FORWARD=exit");
}

/* Natively MAP_FIXED over a free page succeeds; the runtime's page cannot
 * be given, so dune says there is no memory for it. */
Test(escape, map_fixed_over_the_runtime_fails)
{
	answers_under_dune("map-fixed", "mmap(MAP_FIXED) over it: Cannot allocate memory\n"
					   "mmap(MAP_FIXED_NOREPLACE) over it: File exists\n"
					   "getpid after: ok\n");
}

/* /proc/PID/mem would write any page of the runtime: refused, every spelling. */
Test(escape, proc_mem_is_refused)
{
	answers_under_dune("procmem", "/proc/self/mem: Permission denied\n"
					   "/proc/PID/mem: Permission denied\n"
					   "/proc/self/task/TID/mem: Permission denied\n"
					   "/proc/thread-self/mem: Permission denied\n"
					   "/proc//self/./mem: Permission denied\n"
					   "openat(/proc/self, mem): Permission denied\n"
					   "a symlink to it: Permission denied\n");
}

Test(escape, calls_that_reach_other_runtimes_are_refused)
{
	answers_under_dune("refused", "ptrace(TRACEME): Operation not permitted\n"
					   "pidfd_getfd: Operation not permitted\n"
					   "userfaultfd: Operation not permitted\n"
					   "seccomp filter: Invalid argument\n"
					   "prctl(PR_SET_SECCOMP): Invalid argument\n"
					   "io_setup: Operation not permitted\n"
					   "number 500: Function not implemented\n"
					   "number -2: Function not implemented\n");
}

/* The runtime runs libc's code on the host: a program that rewrote it would
 * run its own code there. It may read and run it, never change it. */
Test(escape, the_hosts_code_cannot_be_changed)
{
	answers_under_dune("host-code", "mprotect libc's code writable: Operation not permitted\n"
					   "mprotect libc's code to nothing: Operation not permitted\n"
					   "mmap(MAP_FIXED) over libc's code: Operation not permitted\n"
					   "mremap libc's code: Operation not permitted\n"
					   "munmap libc's code: Operation not permitted\n"
					   "mprotect Zydis's GOT writable: Operation not permitted\n"
					   "getpid after: ok\n");
}
