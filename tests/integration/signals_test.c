/* signals_test.c: signals and time under dune, compared with native runs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"

Test(signals, c_program_checks_the_kernels_semantics, .timeout = 600)
{
	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/signals"), NULL);
}

/* The original Dune model: the program at CPL0, handlers too. */
Test(signals, c_program_at_ring0, .timeout = 600)
{
	static const char *const ring0[] = { "DUNE_RING=0", NULL };

	RING0_OR_REFUSED(ARGV(TEST_PROGRAM_DIR "/signals"), ring0);

	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/signals"), ring0);
}

Test(signals, python_signal_module)
{
	expect_same_as_native(ARGV("/usr/bin/python3", "-c",
				   "import os, signal, time\n"
				   "got = []\n"
				   "signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))\n"
				   "os.kill(os.getpid(), signal.SIGUSR1)\n"
				   "print('usr1', got)\n"
				   "ticks = []\n"
				   "signal.signal(signal.SIGALRM, lambda s, f: ticks.append(1))\n"
				   "signal.setitimer(signal.ITIMER_REAL, 0.01, 0.01)\n"
				   "while len(ticks) < 3: pass\n"
				   "signal.setitimer(signal.ITIMER_REAL, 0)\n"
				   "print('ticks', len(ticks) >= 3)\n"
				   "def boom(s, f): raise TimeoutError('alarm')\n"
				   "signal.signal(signal.SIGALRM, boom)\n"
				   "signal.alarm(1)\n"
				   "try:\n"
				   "    time.sleep(30)\n"
				   "except TimeoutError as e:\n"
				   "    print('interrupted by', e)\n"
				   "pid = os.fork()\n"
				   "if pid == 0:\n"
				   "    signal.pause()\n"
				   "    os._exit(0)\n"
				   "time.sleep(0.2)\n"
				   "os.kill(pid, signal.SIGTERM)\n"
				   "print('child', os.waitpid(pid, 0)[1] & 0x7f == signal.SIGTERM)"),
			      NULL);
}

/* The vDSO clock runs at the host's rate and sleeps take as long as asked. */
Test(time, clock_is_the_hosts_and_sleep_sleeps)
{
	struct run_result r;
	double dune_before, dune_after, dune_mono;
	time_t before = time(NULL), after;

	require_kvm();
	r = run_program(ARGV("/usr/bin/python3", "-c",
			     "import time\n"
			     "t0, m0 = time.time(), time.monotonic()\n"
			     "time.sleep(0.5)\n"
			     "print(t0, time.time(), time.monotonic() - m0)"),
			NULL, 1, NULL);
	after = time(NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(sscanf(r.out, "%lf %lf %lf", &dune_before, &dune_after, &dune_mono), 3,
		     "output: %s", r.out);
	cr_expect(dune_before >= (double)before - 1 && dune_after <= (double)after + 1,
		  "the guest's time() %.3f..%.3f is not within the host's %ld..%ld", dune_before,
		  dune_after, (long)before, (long)after);
	cr_expect(dune_after - dune_before >= 0.5 && dune_mono >= 0.5,
		  "sleep(0.5) took %.3f s by the wall clock and %.3f s by the monotonic one",
		  dune_after - dune_before, dune_mono);
	run_result_free(&r);
}
