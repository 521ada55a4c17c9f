/* escape_signals_test.c: floods of queued signals reach the program as
 * natively (each one, in order, siginfo intact), and a forged claim in the
 * exitless slot cannot hang the thread (tests/programs/escape_signals.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define SIGNALS TEST_PROGRAM_DIR "/escape_signals"
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Where a syscall stays at CPL3 (PVM), the exitless stub and its data page
 * are the program's to read and write (platform.h). */
static int slot_writable(void)
{
	return !host_runs_ring0();
}

/* ---- Real-time signals queue; a standard one does not ---- */

Test(escape_signals, two_hundred_queued_while_blocked_all_arrive_in_order)
{
	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "queue", "200", "one"), NULL);
}

Test(escape_signals, a_thousand_queued_while_blocked_all_arrive_in_order)
{
	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "queue", "1000", "one"), NULL);
}

/* Natively the lower number comes first and the higher one nests in its
 * handler: every SIGRTMIN+1 runs before the first SIGRTMIN's handler. */
Test(escape_signals, two_real_time_signals_interleaved_nest_as_natively)
{
	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "queue", "200", "two"), NULL);
	expect_same_as_native(ARGV(SIGNALS, "queue", "1000", "two"), NULL);
}

/* Queued to the thread, not the process: the kernel keeps them apart. */
Test(escape_signals, signals_queued_to_the_thread_arrive_in_order)
{
	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "queue", "1000", "thread"), NULL);
}

/* The first handler takes the rest with sigtimedwait: they are pending in
 * the kernel, in order, not held somewhere it cannot see. */
Test(escape_signals, a_handler_drains_the_rest_with_sigtimedwait)
{
	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "drain", "1000"), NULL);
}

Test(escape_signals, sigwaitinfo_takes_every_queued_signal)
{
	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "wait", "1000"), NULL);
}

Test(escape_signals, a_standard_signal_sent_three_times_while_blocked_comes_once)
{
	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "standard"), NULL);
}

/* ---- Sent by another thread while the program runs ---- */

Test(escape_signals, a_flood_to_a_running_thread_arrives_whole, .timeout = 300)
{
	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "running", "1000", "spin"), NULL);
	expect_same_as_native(ARGV(SIGNALS, "running", "1000", "calls"), NULL);
}

Test(escape_signals, a_flood_ends_sigsuspend_and_a_blocked_read, .timeout = 300)
{
	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "running", "1000", "suspend"), NULL);
	/* The handler writes to the pipe after the last signal: a read that
	 * ran while a caught signal waited for delivery would never end. */
	expect_same_as_native(ARGV(SIGNALS, "running", "1000", "read"), NULL);
}

/* With exitless forwarding the thread's calls run on a server thread, which
 * gives signals it catches back to the thread. */
Test(escape_signals, floods_with_exitless_forwarding, .timeout = 300)
{
	const char *const *env = ENV("DUNE_FORWARD=exitless");

	require_kvm();
	expect_same_as_native(ARGV(SIGNALS, "queue", "1000", "two"), env);
	expect_same_as_native(ARGV(SIGNALS, "drain", "1000"), env);
	expect_same_as_native(ARGV(SIGNALS, "running", "1000", "calls"), env);
	expect_same_as_native(ARGV(SIGNALS, "running", "1000", "suspend"), env);
}

/* ---- A forged claim in the exitless slot ---- */

/* Natively there is no slot to find. */
Test(escape_signals, natively_there_is_no_exitless_slot)
{
	struct run_result r = run_program(ARGV(SIGNALS, "forge"), NULL, 0, NULL);

	cr_expect_str_eq(r.out, "no exitless slot\n");
	cr_expect_eq(r.status, 0);
	run_result_free(&r);
}

/* The program writes a state of its own into its slot and runs the stub's
 * take-over out. No call of ours is in flight: its own out, which natively
 * raises SIGSEGV. Before, the thread waited for ever for a server that had
 * claimed nothing (the program's 20 s watchdog then kills it: 137). On
 * hardware the slot is supervisor-only: the program cannot even read it. */
static void forge_dies(const char *const *env, const char *state)
{
	const char *forward = env[1] ? "exitless handoff" : env[0];
	struct run_result r;

	r = run_program(ARGV(SIGNALS, "forge", "die", state), env, 1, NULL);
	if (slot_writable()) {
		cr_expect_str_eq(r.out, "found the slot\nforging a claim\n", "%s, state %s",
				 forward, state);
		cr_expect_eq(r.status, 128 + 11, "%s, state %s: status %d, stderr: %s", forward,
			     state, r.status, r.err);
	} else {
		cr_expect_str_eq(r.out, "no exitless slot\n", "%s: the slot is readable", forward);
		cr_expect_eq(r.status, 0, "%s: status %d, stderr: %s", forward, r.status, r.err);
	}
	run_result_free(&r);
}

Test(escape_signals, a_forged_claim_is_the_programs_own_out, .timeout = 300)
{
	require_kvm();
	forge_dies(ENV("DUNE_FORWARD=exitless"), "5"); /* claimed */
	forge_dies(ENV("DUNE_FORWARD=exitless"), "3"); /* done, with a signal */
	forge_dies(ENV("DUNE_FORWARD=exitless"), "0"); /* idle */
	forge_dies(ENV("DUNE_FORWARD=exitless"), "9"); /* no state at all */
	forge_dies(ENV("DUNE_FORWARD=auto"), "5");
	/* Handoff: the host wakes the server for a call still posted, and
	 * waits for its claim; a claim the program wrote is none. */
	forge_dies(ENV("DUNE_FORWARD=exitless", "DUNE_FORWARD_HANDOFF=1"), "5");
}

/* Its SIGSEGV handler returns from the fault, and a SIGUSR1 that comes
 * 200 ms later reaches its handler: the thread never waits for a server. */
Test(escape_signals, after_a_forged_claim_handlers_still_run, .timeout = 300)
{
	const char *const *env = ENV("DUNE_FORWARD=exitless");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(SIGNALS, "forge", "catch"), env, 1, NULL);
	if (slot_writable())
		cr_expect_str_eq(r.out, "found the slot\nforging a claim\nSIGSEGV: caught\n"
					"SIGUSR1 handled\n");
	else
		cr_expect_str_eq(r.out, "no exitless slot\n");
	cr_expect_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
	run_result_free(&r);
}
