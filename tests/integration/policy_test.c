/* policy_test.c: policy files enforced on real programs under the real preload. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

/* Write a policy file into the scratch directory; returns "DUNE_POLICY=path". */

static char *scratch_path(const char *name)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", scratch_dir(), name) > 0);
	return p;
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define FAULT TEST_PROGRAM_DIR "/fault"

Test(policy, deny_makes_mkdir_fail_with_eperm)
{
	char *env = policy_env("deny.conf", "[syscalls]\ndeny = mkdir, mkdirat\n");
	char *dir = scratch_path("denied-dir");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("mkdir", dir), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "Operation not permitted"), "stderr: %s", r.err);
	cr_expect(!exists(dir), "%s was created", dir);
	run_result_free(&r);
}

Test(policy, deny_errno_makes_cat_fail_with_eacces)
{
	char *env = policy_env("eacces.conf", "[syscalls]\ndeny.EACCES = openat, open\n");
	const char *file = make_text_file("readable.txt", 3);
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("cat", file), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "Permission denied"), "stderr: %s", r.err);
	cr_expect_str_empty(r.out);
	run_result_free(&r);
}

Test(policy, kill_makes_uname_die_of_sigsys)
{
	char *env = policy_env("kill.conf", "[syscalls]\nkill = uname\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("uname"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 128 + 31, "status %d (expected 159, SIGSYS), stderr: %s", r.status,
		     r.err);
	cr_expect_str_empty(r.out);
	run_result_free(&r);
}

Test(policy, kill_status_from_a_shell_is_159)
{
	char *env = policy_env("kill-sh.conf", "[syscalls]\nkill = uname\n");
	char *cmd;
	struct run_result r;

	require_kvm();
	/* Only uname runs under dune: the shell reports how it died. */
	cr_assert(asprintf(&cmd, "%s LD_PRELOAD=%s uname; echo status $?", env, DUNE_PRELOAD_LIB) > 0);
	r = run_program(ARGV("sh", "-c", cmd), NULL, 0, NULL);
	cr_expect(strstr(r.out, "status 159"), "stdout: %s, stderr: %s", r.out, r.err);
	run_result_free(&r);
}

Test(policy, trace_logs_the_path_cat_opens)
{
	char *env = policy_env("trace.conf", "[syscalls]\ntrace = openat\n");
	const char *file = make_text_file("traced.txt", 2);
	char want[600];
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("cat", file), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	snprintf(want, sizeof(want), " openat(AT_FDCWD, \"%s\", O_RDONLY) = 3\n", file);
	cr_expect(strstr(r.err, want), "no line with %s in stderr: %s", want, r.err);
	run_result_free(&r);
}

Test(policy, trace_goes_to_the_log_file_with_pid_and_name)
{
	char text[700], want[600], log[600], buf[4096];
	char *env;
	const char *file = make_text_file("logged.txt", 2);
	struct run_result r;
	FILE *f;
	size_t n;

	require_kvm();
	snprintf(text, sizeof(text), "[dune]\nlog = %s/trace-%%e.log\n[syscalls]\n"
		 "trace = openat, read\ndeny.ENOENT = mkdir\ntrace = mkdir\n", scratch_dir());
	env = policy_env("tracelog.conf", text);
	r = run_program(ARGV("cat", file), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(!strstr(r.err, "openat("), "trace lines on stderr: %s", r.err);
	run_result_free(&r);
	snprintf(log, sizeof(log), "%s/trace-cat.log", scratch_dir());
	f = fopen(log, "r");
	cr_assert(f, "no log file %s", log);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	snprintf(want, sizeof(want), "openat(AT_FDCWD, \"%s\", O_RDONLY) = 3", file);
	cr_expect(strstr(buf, want), "log: %s", buf);
	cr_expect(strstr(buf, "read(3, \"") && strstr(buf, "line 0 of the"), "log: %s", buf);
	cr_expect(strstr(buf, "read(3, \"\", ") && strstr(buf, ") = 0\n"), "log: %s", buf);
}

Test(policy, trace_shows_errno_names_of_failures)
{
	char *env = policy_env("trace-err.conf", "[syscalls]\ntrace = openat\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("cat", "/nonexistent/file"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "openat(AT_FDCWD, \"/nonexistent/file\", O_RDONLY) = -1 ENOENT "
				"(No such file or directory)\n"), "stderr: %s", r.err);
	run_result_free(&r);
}

Test(policy, match_that_does_not_match_leaves_the_program_alone)
{
	char *env = policy_env("nomatch.conf", "[match]\nprogram = /nonexistent/*\n"
					   "[syscalls]\ndeny = mkdir, mkdirat\n");
	char *dir = scratch_path("allowed-dir");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("mkdir", dir), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(exists(dir), "%s was not created", dir);
	run_result_free(&r);
}

Test(policy, match_that_matches_applies)
{
	char *env = policy_env("match.conf", "[match]\nprogram = */mkdir\n[syscalls]\ndeny = mkdir, mkdirat\n");
	char *dir = scratch_path("matched-dir");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("mkdir", dir), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	cr_expect(!exists(dir));
	run_result_free(&r);
}

Test(policy, malformed_policy_exits_126_with_file_and_line)
{
	char *env = policy_env("bad.conf", "[syscalls]\ndeny = mkdir\nkill = opne\n");
	char want[600];
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "none"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	snprintf(want, sizeof(want), "dune: %s:3: unknown syscall 'opne' (did you mean 'open'?)",
		 env + strlen("DUNE_POLICY="));
	cr_expect(strstr(r.err, want), "stderr: %s", r.err);
	cr_expect_str_empty(r.out, "the program ran: %s", r.out);
	run_result_free(&r);
}

Test(policy, pagefault_trace_logs_address_rip_and_access)
{
	char *env = policy_env("pf-trace.conf", "[pagefault]\naction = trace\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "segv"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 128 + 11, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, " --- page fault: write to 0x10 (not mapped), rip 0x"), "stderr: %s",
		  r.err);
	run_result_free(&r);
}

Test(policy, pagefault_count_goes_to_the_report)
{
	char *env = policy_env("pf-count.conf", "[dune]\nreport = yes\n[pagefault]\naction = count\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "segv"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 128 + 11, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "dune: exit report"), "no report: %s", r.err);
	cr_expect(strstr(r.err, "page faults of the program 1\n"), "stderr: %s", r.err);
	run_result_free(&r);
}

Test(policy, count_lists_the_counted_syscalls_in_the_report)
{
	char *env = policy_env("count.conf", "[syscalls]\ncount = openat, close\n");
	const char *file = make_text_file("counted.txt", 2);
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("cat", file), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "counted by the policy:"), "stderr: %s", r.err);
	cr_expect(strstr(r.err, "dune:     openat "), "stderr: %s", r.err);
	cr_expect(!strstr(r.err, "dune:     read "), "uncounted read listed: %s", r.err);
	run_result_free(&r);
}

Test(policy, breakpoint_ignore_continues_after_int3)
{
	char *env = policy_env("bp.conf", "[exceptions]\nbreakpoint = ignore\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "int3"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 3, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "about to int3\nno fault\n");
	run_result_free(&r);
}

Test(policy, invalid_opcode_ignore_steps_over_ud2)
{
	char *env = policy_env("ud.conf", "[exceptions]\ninvalid-opcode = ignore\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "ud2"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 3, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "about to ud2\nno fault\n");
	run_result_free(&r);
}

Test(policy, exception_trace_logs_then_signals)
{
	char *env = policy_env("bp-trace.conf", "[exceptions]\nbreakpoint = trace\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "int3"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 128 + 5, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, " --- breakpoint at rip 0x"), "stderr: %s", r.err);
	run_result_free(&r);
}

/* Tracing a fault only logs it: the program's own SIGSEGV, SIGILL and SIGTRAP
 * handlers still run, with what they see natively (tests/programs/signals). */
Test(policy, traced_faults_still_reach_the_programs_handlers, .timeout = 600)
{
	char *env = policy_env("fault-trace.conf", "[exceptions]\ninvalid-opcode = trace\n"
					       "breakpoint = trace\n[pagefault]\naction = trace\n");
	struct run_result r;

	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/signals"), ENV(env));
	r = run_program(ARGV(TEST_PROGRAM_DIR "/signals"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, " --- page fault: write to 0x1000 (not mapped), rip 0x"),
		  "stderr: %s", r.err);
	cr_expect(strstr(r.err, " --- invalid-opcode at rip 0x"), "stderr: %s", r.err);
	cr_expect(strstr(r.err, " --- breakpoint at rip 0x"), "stderr: %s", r.err);
	run_result_free(&r);
}

Test(policy, hook_fixes_a_write_fault_in_the_guest_and_retries)
{
	char *env = policy_env("hook-fix.conf", "[pagefault]\naction = hook\nhook = " TEST_HOOK_FIXUP
					    ":make_writable\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "protected"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "about to protected\nwrote 42\n");
	run_result_free(&r);
}

Test(policy, hook_skips_an_invalid_opcode)
{
	char *env = policy_env("hook-ud.conf", "[exceptions]\ninvalid-opcode = hook:" TEST_HOOK_FIXUP
					   ":skip_ud2\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "ud2"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 3, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "about to ud2\nno fault\n");
	run_result_free(&r);
}

Test(policy, count_faults_example_hook_counts_then_signals)
{
	char *env = policy_env("hook-count.conf", "[pagefault]\naction = hook\nhook = " TEST_COUNT_FAULTS
					      ":count_fault\n");
	struct run_result r;

	require_kvm();
	/* The program's own SIGSEGV handler still runs after the hook. */
	r = run_program(ARGV(FAULT, "segv-caught"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_eq(r.out, "about to segv-caught\ncaught\n");
	cr_expect(strstr(r.err, "count_faults: 1 faults\n"), "stderr: %s", r.err);
	run_result_free(&r);
	/* Without a handler it dies of SIGSEGV as natively. */
	r = run_program(ARGV(FAULT, "segv"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 128 + 11, "status %d, stderr: %s", r.status, r.err);
	run_result_free(&r);
}

Test(policy, hook_plugin_without_version_is_a_policy_error)
{
	char *env = policy_env("hook-bad.conf", "[pagefault]\naction = hook\nhook = "
					    "/lib/x86_64-linux-gnu/libc.so.6:malloc\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "none"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "is not a dune hook plugin"), "stderr: %s", r.err);
	run_result_free(&r);
}

Test(policy, on_unavailable_native_runs_the_program_natively)
{
	char *env = policy_env("native.conf", "[dune]\non-unavailable = native\n[syscalls]\ndeny = mkdir, mkdirat\n");
	char *dir = scratch_path("native-dir");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("mkdir", dir), ENV(env, "DUNE_BACKEND=dev"), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(exists(dir), "the program did not run natively");
	cr_expect(strstr(r.err, "running the program natively"), "stderr: %s", r.err);
	cr_expect_eq(strchr(r.err, '\n'), r.err + r.err_len - 1, "more than one line: %s", r.err);
	run_result_free(&r);
}

Test(policy, on_unavailable_abort_exits_126)
{
	char *env = policy_env("abort.conf", "[dune]\non-unavailable = abort\n");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(FAULT, "none"), ENV(env, "DUNE_BACKEND=dev"), 1, NULL);
	cr_expect_eq(r.status, 126, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "dune: /dev/dune does not exist"), "stderr: %s", r.err);
	cr_expect_str_empty(r.out);
	run_result_free(&r);
}

Test(policy, ring_from_the_policy_and_the_environment_wins)
{
	char *env = policy_env("ring0.conf", "[dune]\nring = 0\n");
	struct run_result r;

	require_kvm();
	if (host_runs_ring0()) {
		r = run_program(ARGV(TEST_PROGRAM_DIR "/read_cr3"), ENV(env), 1, NULL);
		cr_expect_eq(r.status, 0, "ring = 0: status %d, stderr: %s", r.status, r.err);
		run_result_free(&r);
	} else {
		expect_ring0_refused(ARGV(TEST_PROGRAM_DIR "/read_cr3"), ENV(env));
	}
	r = run_program(ARGV(TEST_PROGRAM_DIR "/read_cr3"), ENV(env, "DUNE_RING=3"), 1, NULL);
	cr_expect_eq(r.status, 128 + 11, "DUNE_RING=3: status %d, stderr: %s", r.status, r.err);
	run_result_free(&r);
}

Test(policy, denied_calls_are_decided_in_the_guest_without_exits)
{
	char *env = policy_env("fast.conf", "[dune]\nreport = yes\n[syscalls]\ndeny.EACCES = getppid\n");
	struct run_result r;
	const char *exits;

	require_kvm();
	r = run_program(ARGV(TEST_PROGRAM_DIR "/syscall_loop", "110", "2000"), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.out, "last result -13\n"), "stdout: %s", r.out);
	exits = strstr(r.err, "dune:   exits ");
	cr_assert(exits, "no report: %s", r.err);
	cr_expect(atoi(exits + strlen("dune:   exits ")) < 2000, "2000 denied calls exited: %s", r.err);
	run_result_free(&r);
}

Test(policy, denied_calls_in_the_guest_return_the_flags_as_sysretq)
{
	char *env = policy_env("flags.conf", "[syscalls]\ndeny.EACCES = getppid\n");

	/* The filter's return at CPL3 (PVM) restores the flags without sysretq. */
	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/flags", "flags", "110"), ENV(env));
}

Test(policy, denied_calls_at_ring0_are_decided_on_the_host)
{
	char *env = policy_env("ring0-deny.conf", "[syscalls]\ndeny.EACCES = getppid\n");
	struct run_result r;

	RING0_OR_REFUSED(ARGV(TEST_PROGRAM_DIR "/syscall_loop", "110", "20"), ENV(env, "DUNE_RING=0"));
	require_kvm();
	/* At CPL0 the stub has no filter: the host decides. */
	r = run_program(ARGV(TEST_PROGRAM_DIR "/syscall_loop", "110", "20"), ENV(env, "DUNE_RING=0"), 1,
			NULL);
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.out, "last result -13\n"), "stdout: %s", r.out);
	run_result_free(&r);
}
