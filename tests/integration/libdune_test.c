/* libdune_test.c: libdune's API and its examples, in a real guest.
 *
 * libdune programs run only under dune (dune_init loads it when LD_PRELOAD
 * did not), so there is no native run to compare with: each check states
 * the output the program must give. */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

#define EXAMPLES TEST_EXAMPLE_DIR

static void expect_output(const char *const *argv, const char *const *env, int under_dune,
			  const char *out, int status)
{
	struct run_result r;

	require_kvm();
	r = run_program(argv, env, under_dune, NULL);
	cr_expect_eq(r.status, status, "%s: status %d, expected %d; stderr:\n%s", argv[0], r.status,
		     status, r.err);
	cr_expect_str_eq(r.out, out, "%s: stdout differs; stderr:\n%s", argv[0], r.err);
	run_result_free(&r);
}

Test(libdune, original_api_program_runs_unchanged)
{
	static const char out[] =
		"hello: entered dune\n"
		"read while read-only: 1\n"
		"write faulted 1 time(s) at page offset 1, protection, write yes; value now 42\n"
		"second write: 1 fault(s) in all\n";

	expect_output(ARGV(TEST_PROGRAM_DIR "/original_api"), NULL, 1, out, 0);
}

Test(libdune, dune_init_loads_the_runtime_without_preload)
{
	static const char out[] =
		"hello: entered dune\n"
		"read while read-only: 1\n"
		"write faulted 1 time(s) at page offset 1, protection, write yes; value now 42\n"
		"second write: 1 fault(s) in all\n";

	/* Without LD_PRELOAD; DUNE_PRELOAD points it at this build's runtime. */
	expect_output(ARGV(TEST_PROGRAM_DIR "/original_api"),
		      ARGV("DUNE_PRELOAD=" DUNE_PRELOAD_LIB), 0, out, 0);
}

Test(libdune, privileged_instructions_are_emulated)
{
	expect_output(ARGV(TEST_PROGRAM_DIR "/libdune_probe", "cr3"), NULL, 1,
		      "mov from cr3 gives pgroot: yes\n"
		      "cr0 has paging on: yes\n"
		      "mov to cr3 and invlpg: survived\n", 0);
}

Test(libdune, accessed_and_dirty_bits_are_set_by_the_mmu)
{
	expect_output(ARGV(TEST_PROGRAM_DIR "/libdune_probe", "accessed"), NULL, 1,
		      "read page: accessed 1 dirty 0\n"
		      "untouched page: accessed 0 dirty 0\n"
		      "written page: accessed 1 dirty 1\n", 0);
}

Test(libdune, exception_handlers_run_in_the_program)
{
	expect_output(ARGV(TEST_PROGRAM_DIR "/libdune_probe", "intr"), NULL, 1,
		      "register vector 14 as an interrupt: -22\n"
		      "#UD handler: cs 0x10\n"
		      "after ud2\n"
		      "#BP handler: rip is after int3: yes\n"
		      "after int3\n", 0);
}

Test(libdune, map_phys_aliases_and_unmap_removes)
{
	expect_output(ARGV(TEST_PROGRAM_DIR "/libdune_probe", "map-phys"), NULL, 1,
		      "write through the alias seen in the page: yes (faults 0)\n"
		      "alias after unmap: 0, faults 1\n"
		      "page keeps its value: feed\n"
		      "dune_vm_map_phys with 1 GiB pages: -22\n", 0);
}

Test(libdune, page_walk_sees_present_leaves)
{
	expect_output(ARGV(TEST_PROGRAM_DIR "/libdune_probe", "walk"), NULL, 1,
		      "present leaves over 16 pages: 16\n"
		      "after unmapping 4: 12\n", 0);
}

Test(libdune, forked_child_keeps_handlers_and_tables)
{
	expect_output(ARGV(TEST_PROGRAM_DIR "/libdune_probe", "fork"), NULL, 1,
		      "child: status 42\n"
		      "parent: faults 0\n", 0);
}

Test(libdune, threads_enter_and_take_their_own_faults)
{
	expect_output(ARGV(TEST_PROGRAM_DIR "/libdune_probe", "thread"), NULL, 1,
		      "thread: returned 0, faults 1\n", 0);
}

Test(libdune, program_code_runs_at_cpl3_virtual_ring0)
{
	expect_output(ARGV(TEST_PROGRAM_DIR "/libdune_probe", "cpl"), NULL, 1,
		      "cpl 3, xgetbv: x87 and SSE on: yes\n"
		      "rdtscp ran: yes\n", 0);
}

Test(libdune_examples, sandbox_filters_syscalls_and_stops_faults)
{
	static const char out[] =
		"run polite\n"
		"untrusted: hello from ring 3\n"
		"untrusted: getpid > 0: 1\n"
		"sandbox: syscall 2 denied\n"
		"untrusted: open /etc/passwd: -1\n"
		"run polite: ended with 7\n"
		"run leak\n"
		"sandbox: write from %#lx refused: not the plugin's memory\n"
		"untrusted: write(secret): -14\n"
		"run leak: ended with 3\n"
		"run escape\n"
		"sandbox: syscall 1146441292 denied\n"
		"untrusted: libdune request: -1\n"
		"sandbox: syscall 1146441285 denied\n"
		"untrusted: dune query: -1\n";
	struct run_result r;
	char *fault, *secret;

	require_kvm();
	r = run_program(ARGV(EXAMPLES "/sandbox", "polite", "snoop", "leak", "escape"), NULL, 1, NULL);
	cr_assert_eq(r.status, 0, "status %d; stderr:\n%s", r.status, r.err);
	/* Addresses vary from run to run: check the lines around them. */
	fault = strstr(r.out, "run snoop\nuntrusted: reading the secret\nsandbox: user mode read 0x");
	cr_expect(fault != NULL, "the snoop run did not stop at its fault:\n%s", r.out);
	cr_expect(strstr(r.out, "run snoop: ended with -14\n") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "sandbox: user mode ran a privileged instruction at rip 0x") != NULL,
		  "%s", r.out);
	cr_expect(strstr(r.out, "run escape: ended with -1\nsandbox: secret still 0x5ec7e7\n") != NULL,
		  "%s", r.out);
	cr_expect(strncmp(r.out, out, strstr(out, "run leak\n") - out) == 0, "polite run:\n%s", r.out);
	secret = strstr(r.out, "run leak\nsandbox: write from 0x");
	cr_expect(secret != NULL && strstr(secret, "refused: not the plugin's memory\n"
					   "untrusted: write(secret): -14\nrun leak: ended with 3\n"),
		  "leak run:\n%s", r.out);
	cr_expect(strstr(r.out, strstr(out, "run escape\n")) != NULL, "escape run:\n%s", r.out);
	run_result_free(&r);
}

Test(libdune_examples, dirty_bits_find_exactly_the_written_pages)
{
	expect_output(ARGV(EXAMPLES "/dirty-track", "--method", "dirty", "--rounds", "10"), NULL, 1,
		      "dirty: 10 rounds of 64 writes over 1024 pages: every written page found, no other\n",
		      0);
}

Test(libdune_examples, mprotect_tracking_agrees_natively_and_under_dune)
{
	expect_output(ARGV(EXAMPLES "/dirty-track", "--method", "mprotect", "--rounds", "5"), NULL, 0,
		      "mprotect: 5 rounds of 64 writes over 1024 pages: every written page found, no other\n",
		      0);
	expect_output(ARGV(EXAMPLES "/dirty-track", "--method", "mprotect", "--rounds", "5"), NULL, 1,
		      "mprotect: 5 rounds of 64 writes over 1024 pages: every written page found, no other\n",
		      0);
}

Test(libdune_examples, lazy_allocation_from_the_fault_handler)
{
	expect_output(ARGV(EXAMPLES "/lazy-alloc", "500"), NULL, 1,
		      "lazy-alloc: 500 pages written over 1 GiB: 500 faults, all read back\n"
		      "lazy-alloc: reading them again: 0 faults\n"
		      "lazy-alloc: 500 pages never written: 500 faults, 500 read zero\n", 0);
}

Test(libdune, api_works_at_ring0_too)
{
	static const char *const ring0[] = { "DUNE_RING=0", NULL };

	RING0_OR_REFUSED(ARGV(TEST_PROGRAM_DIR "/original_api"), ring0);

	expect_output(ARGV(TEST_PROGRAM_DIR "/original_api"), ring0, 1,
		      "hello: entered dune\n"
		      "read while read-only: 1\n"
		      "write faulted 1 time(s) at page offset 1, protection, write yes; value now 42\n"
		      "second write: 1 fault(s) in all\n", 0);
}

Test(libdune_examples, user_mode_is_refused_at_ring0)
{
	static const char *const ring0[] = { "DUNE_RING=0", NULL };

	RING0_OR_REFUSED(ARGV(EXAMPLES "/sandbox", "polite"), ring0);

	/* User mode would run at CPL0 as well: dune_jump_to_user says -ENOTSUP. */
	expect_output(ARGV(EXAMPLES "/sandbox", "polite"), ring0, 1,
		      "run polite\n"
		      "run polite: ended with -95\n"
		      "sandbox: secret still 0x5ec7e7\n", 0);
}
