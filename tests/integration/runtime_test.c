/* runtime_test.c: what only dune does: identification, ring 0, the report, errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

Test(runtime, identification_fails_natively)
{
	struct run_result r = run_program(ARGV(TEST_PROGRAM_DIR "/identify"), NULL, 0, NULL);

	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.out, "native: Function not implemented\n");
	run_result_free(&r);
}

static void expect_identity(const char *const *env, const char *expected)
{
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(TEST_PROGRAM_DIR "/identify"), env, 1, NULL);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, expected);
	run_result_free(&r);
}

Test(runtime, identification_under_dune_says_cpl3_kvm)
{
	expect_identity(NULL, "magic 0x454e5544 version 1 cpl 3 backend kvm vcpu 0 exits>0 1\n");
}

Test(runtime, ring0_program_reads_cr3)
{
	static const char *const ring0[] = { "DUNE_RING=0", NULL };
	struct run_result native, dune;
	unsigned long long cr3 = 0;
	RING0_OR_REFUSED(ARGV(TEST_PROGRAM_DIR "/read_cr3"), ring0);

	require_kvm();
	native = run_program(ARGV(TEST_PROGRAM_DIR "/read_cr3"), NULL, 0, NULL);
	cr_expect_eq(native.status, 128 + 11, "reading CR3 natively should die of SIGSEGV");
	dune = run_program(ARGV(TEST_PROGRAM_DIR "/read_cr3"), ring0, 1, NULL);
	cr_expect_eq(dune.status, 0, "stderr: %s", dune.err);
	cr_expect_eq(sscanf(dune.out, "cr3 0x%llx", &cr3), 1, "output: %s", dune.out);
	cr_expect(cr3 != 0 && cr3 % 4096 == 0, "CR3 %#llx is not a page-table address", cr3);
	run_result_free(&native);
	run_result_free(&dune);
}

Test(runtime, ring0_identification_says_cpl0)
{
	static const char *const ring0[] = { "DUNE_RING=0", NULL };

	RING0_OR_REFUSED(ARGV(TEST_PROGRAM_DIR "/identify"), ring0);

	expect_identity(ring0, "magic 0x454e5544 version 1 cpl 0 backend kvm vcpu 0 exits>0 1\n");
}

Test(runtime, report_lists_exits_and_syscalls)
{
	static const char *const report[] = { "DUNE_REPORT=1", NULL };
	struct run_result r;

	require_kvm();
	/* cat closes its stderr before exiting: the report must still appear. */
	r = run_program(ARGV("cat", "/etc/hostname"), report, 1, NULL);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "dune: exit report for pid"), "no report in: %s", r.err);
	cr_expect(strstr(r.err, "time in guest"), "no guest time in: %s", r.err);
	cr_expect(strstr(r.err, "syscall via"), "no exits by reason in: %s", r.err);
	cr_expect(strstr(r.err, " openat "), "no syscalls by name in: %s", r.err);
	cr_expect(strstr(r.err, "page faults"), "no faults in: %s", r.err);
	run_result_free(&r);
}

Test(runtime, missing_kvm_is_one_clear_line_and_126)
{
	struct run_result r;

	require_kvm();
	/* A private mount namespace whose /dev has no kvm node. */
	r = run_program(ARGV("unshare", "-m", "sh", "-c",
			     "mount -t tmpfs none /dev && LD_PRELOAD=" DUNE_PRELOAD_LIB " exec /bin/true"),
			NULL, 0, NULL);
	if (r.status != 126 && strstr(r.err, "unshare"))
		cr_skip_test("cannot make a mount namespace here: %s", r.err);
	cr_expect_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	cr_expect(!strncmp(r.err, "dune: /dev/kvm does not exist", 29), "stderr: %s", r.err);
	cr_expect(strchr(r.err, '\n') == r.err + r.err_len - 1, "more than one line: %s", r.err);
	run_result_free(&r);
}

Test(runtime, bad_setting_is_refused_with_126)
{
	static const char *const bad[] = { "DUNE_RING=2", NULL };
	struct run_result r;

	r = run_program(ARGV("true"), bad, 1, NULL);
	cr_expect_eq(r.status, 126);
	cr_expect_str_eq(r.err, "dune: DUNE_RING=2: expected 3 (the default) or 0\n");
	run_result_free(&r);
}

Test(runtime, unhandled_exit_reports_registers_and_backtrace)
{
	static const char *const ring0[] = { "DUNE_RING=0", NULL };
	struct run_result r;

	RING0_OR_REFUSED(ARGV(TEST_PROGRAM_DIR "/fault", "hlt"), ring0);
	require_kvm();
	/* hlt at CPL0 halts the vCPU: nothing a program should do under dune. */
	r = run_program(ARGV(TEST_PROGRAM_DIR "/fault", "hlt"), ring0, 1, NULL);
	cr_expect_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "about to hlt\n");
	cr_expect(!strncmp(r.err, "dune: ", 6), "stderr: %s", r.err);
	cr_expect(strstr(r.err, "rip "), "no registers in: %s", r.err);
	cr_expect(strstr(r.err, "guest backtrace"), "no backtrace in: %s", r.err);
	/* From the frame pointers (fault is built with -O0): the caller's frame. */
	cr_expect(strstr(r.err, "    #1 "), "the backtrace stops at the fault: %s", r.err);
	run_result_free(&r);
}

Test(runtime, syscalls_return_the_flags_as_sysretq)
{
	/* getppid exits; getpid goes to a server in the exitless suites. */
	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/flags", "flags", "110"), NULL);
	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/flags", "flags", "39"), NULL);
}

Test(runtime, out_to_dunes_ports_faults_as_natively)
{
	/* Where the stubs run at CPL3 their ports are open to CPL3: an exit on
	 * one from anywhere but the stub's own out is the program's #GP. */
	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/flags", "ports"), NULL);
}
