/* faults_test.c: a program that faults ends exactly as natively: same signal,
 * same status, and what it printed before is not lost. */
#include <criterion/criterion.h>

#include "harness.h"

Test(faults, segv_null_write) { expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/fault", "segv"), NULL); }

Test(faults, segv_write_to_rodata)
{
	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/fault", "write-rodata"), NULL);
}

Test(faults, invalid_opcode_sigill) { expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/fault", "ud2"), NULL); }

Test(faults, breakpoint_sigtrap) { expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/fault", "int3"), NULL); }

Test(faults, divide_error_sigfpe) { expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/fault", "div0"), NULL); }

Test(faults, hlt_at_cpl3_is_sigsegv) { expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/fault", "hlt"), NULL); }

Test(faults, stack_overflow_after_growth)
{
	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/fault", "stack"), NULL);
}

Test(faults, ring0_program_faults_too)
{
	static const char *const ring0[] = { "DUNE_RING=0", NULL };
	struct run_result r;

	RING0_OR_REFUSED(ARGV(TEST_PROGRAM_DIR "/fault", "segv"), ring0);
	require_kvm();
	r = run_program(ARGV(TEST_PROGRAM_DIR "/fault", "segv"), ring0, 1, NULL);
	cr_expect_eq(r.status, 128 + 11, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "about to segv\n");
	run_result_free(&r);
}
