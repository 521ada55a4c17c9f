/* process_test.c: threads, forked children and exec'd images stay under dune
 * and behave as natively. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

Test(process, shell_pipeline_subshell_and_substitution)
{
	expect_same_as_native(ARGV("sh", "-c",
				   "echo a b c | tr a-z A-Z; x=$(echo sub | rev); echo \"got $x\"; "
				   "for i in 1 2 3; do echo $i; done | sort -r | head -n 2; (exit 3)"),
			      NULL);
}

Test(process, bash_script_with_child_statuses)
{
	expect_same_as_native(ARGV("bash", "-c",
				   "false; echo \"false gave $?\"; ls /nonexistent 2>/dev/null; "
				   "echo \"ls gave $?\"; seq 1 200 | awk '{ s += $1 } END { print s }'; "
				   "cat <(echo process substitution)"),
			      NULL);
}

Test(process, python_subprocess_fork_and_system)
{
	expect_same_as_native(ARGV("/usr/bin/python3", "-c",
				   "import os, subprocess, sys\n"
				   "print(subprocess.run(['echo', 'x'], capture_output=True).stdout)\n"
				   "print(subprocess.run(['sh', '-c', 'exit 4']).returncode)\n"
				   "pid = os.fork()\n"
				   "if pid == 0:\n"
				   "    os._exit(5)\n"
				   "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
				   "sys.stdout.flush()\n"
				   "print(os.system('echo from system'))"),
			      NULL);
}

Test(process, tar_gzip_spawns_gzip)
{
	make_text_file("tgz-a.txt", 800);
	expect_same_as_native(ARGV("tar", "-C", scratch_dir(), "-czf", "-", "tgz-a.txt"), NULL);
}

Test(process, child_killed_by_signal_is_seen_by_parent)
{
	expect_same_as_native(ARGV("sh", "-c", TEST_PROGRAM_DIR "/fault segv; echo \"status $?\""),
			      NULL);
}

Test(process, exec_and_fork_stay_under_dune)
{
	struct run_result r;

	require_kvm();
	r = run_program(ARGV("sh", "-c", TEST_PROGRAM_DIR "/identify && exec " TEST_PROGRAM_DIR
			     "/identify"), NULL, 1, NULL);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, "magic 0x454e5544 version 1 cpl 3 backend kvm vcpu 0 exits>0 1\n"
				"magic 0x454e5544 version 1 cpl 3 backend kvm vcpu 0 exits>0 1\n");
	run_result_free(&r);
}

Test(process, pthreads_with_concurrent_memory_changes)
{
	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/threads"), NULL);
}

Test(process, python_threading)
{
	expect_same_as_native(ARGV("/usr/bin/python3", "-c",
				   "import threading\n"
				   "out = []\n"
				   "def f(i): out.append(sum(range(i * 10000)))\n"
				   "ts = [threading.Thread(target=f, args=(i,)) for i in range(6)]\n"
				   "[t.start() for t in ts]\n"
				   "[t.join() for t in ts]\n"
				   "print(sorted(out))"),
			      NULL);
}

Test(process, sort_large_input_uses_threads)
{
	expect_same_as_native(ARGV("sort", "--parallel=4", "-S", "1M", make_text_file("big.txt", 60000)),
			      NULL);
}

/* Threads come and go (their vCPUs are reused), forks on top. DUNE_STRESS_SECONDS
 * sets the length: short in CI, 60 for the full run. */
Test(process, stress_threads_and_forks, .timeout = 900)
{
	const char *len = getenv("DUNE_STRESS_SECONDS");

	expect_same_as_native(ARGV(TEST_PROGRAM_DIR "/stress", len ? len : "5"), NULL);
}

Test(process, exec_with_a_clean_environment_stays_under_dune)
{
	static const char *const ring0[] = { "DUNE_RING=0", NULL };
	struct run_result r;

	require_kvm();
	/* env -i drops LD_PRELOAD and DUNE_RING: dune puts both back. */
	r = run_program(ARGV("env", "-i", TEST_PROGRAM_DIR "/identify"), ring0, 1, NULL);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, "magic 0x454e5544 version 1 cpl 0 backend kvm vcpu 0 exits>0 1\n");
	run_result_free(&r);
}

Test(process, failed_exec_returns_the_error)
{
	expect_same_as_native(ARGV("/usr/bin/python3", "-c",
				   "import os\n"
				   "try:\n"
				   "    os.execv('/nonexistent/program', ['x'])\n"
				   "except OSError as e:\n"
				   "    print('exec failed:', e.errno)"),
			      NULL);
}
