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
