/* forward_test.c: exitless syscalls (forward = exitless | auto), read off the
 * exit report's counters and compared with native runs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define LOOP TEST_PROGRAM_DIR "/syscall_loop"

/* A server thread needs a CPU of its own: on one, the stub exits at once. */
static void require_two_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		cr_assert_fail("this machine has %ld CPU: exitless syscalls need two "
			       "(tests/vm/kvm-run gives its machine DUNE_VM_SMP=2 CPUs)", n);
}

/* The exit report of the process the test started, up to the next report:
 * the helpers it runs print theirs too, and may print them first (python3
 * may be pyenv's shim, a shell script that runs some before exec). */
static char *own_report(const struct run_result *r)
{
	const char *at, *end;
	char head[64];

	snprintf(head, sizeof(head), "dune: exit report for pid %d ", r->pid);
	at = strstr(r->err, head);
	cr_assert(at, "no report for pid %d in: %s", r->pid, r->err);
	end = strstr(at + 1, "dune: exit report for pid ");
	return strndup(at, end ? (size_t)(end - at) : strlen(at));
}

/* The report's "forwarded without an exit N (mode M; ...)": N, and M in mode. */
static long forwarded(const struct run_result *r, char *mode, size_t len)
{
	char *report = own_report(r), m[32];
	const char *at = strstr(report, "forwarded without an exit ");
	long n;

	cr_assert(at, "no forwarding line in the report: %s", report);
	cr_assert(sscanf(at, "forwarded without an exit %ld (mode %31[a-z]", &n, m) == 2,
		  "cannot read: %.120s", at);
	snprintf(mode, len, "%s", m);
	free(report);
	return n;
}

static long counted(const struct run_result *r, const char *name)
{
	char key[64], *report = own_report(r);
	const char *at;
	long n;

	snprintf(key, sizeof(key), "dune:     %-26s ", name);
	at = strstr(report, key);
	n = at ? strtol(at + strlen(key), NULL, 10) : 0;
	free(report);
	return n;
}

/* The program prints under dune (env) what it prints natively, and a
 * server ran at least one of its calls. */
static void expect_native_output_with_servers(const char *const *argv, const char *const *env)
{
	struct run_result native = run_program(argv, NULL, 0, NULL);
	struct run_result dune = run_program(argv, env, 1, NULL);
	char mode[32];

	cr_assert_eq(native.status, 0, "native: %s", native.err);
	cr_expect_eq(dune.status, 0, "stderr: %s", dune.err);
	cr_expect_str_eq(dune.out, native.out);
	cr_expect_gt(forwarded(&dune, mode, sizeof(mode)), 0, "no server ran: %s", dune.err);
	run_result_free(&native);
	run_result_free(&dune);
}

Test(forward, exitless_getpid_takes_no_exit)
{
	static const char *const env[] = { "DUNE_FORWARD=exitless", "DUNE_REPORT=1", NULL };
	struct run_result r;
	char mode[32];
	long n;

	require_kvm();
	require_two_cpus();
	r = run_program(ARGV(LOOP, "39", "20000"), env, 1, NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	n = forwarded(&r, mode, sizeof(mode));
	cr_expect_str_eq(mode, "exitless");
	cr_expect_geq(counted(&r, "getpid"), 20000, "report: %s", r.err);
	/* A few exit while the server starts or is descheduled: most may not. */
	cr_expect_geq(n, 18000, "only %ld of 20000 getpids went without an exit: %s", n, r.err);
	run_result_free(&r);
}

Test(forward, thread_bound_calls_still_exit)
{
	static const char *const env[] = { "DUNE_FORWARD=exitless", "DUNE_REPORT=1", NULL };
	struct run_result r;
	char mode[32];

	require_kvm();
	require_two_cpus();
	/* gettid: a server would answer with its own tid. */
	r = run_program(ARGV(LOOP, "186", "5000"), env, 1, NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_lt(forwarded(&r, mode, sizeof(mode)), 100, "report: %s", r.err);
	cr_expect_geq(counted(&r, "gettid"), 5000, "report: %s", r.err);
	/* The last result is the program's own tid, which is its pid. */
	cr_expect(strstr(r.out, "last result "), "stdout: %s", r.out);
	run_result_free(&r);
}

/* os.read blocks on the server; SIGALRM for the program thread must
 * interrupt it (EINTR, and Python then runs the handler, which raises). */
#define BLOCKED_READ                                                                   \
	"import os, signal\n"                                                          \
	"def alarm(*a): raise TimeoutError\n"                                          \
	"signal.signal(signal.SIGALRM, alarm)\n"                                       \
	"r, w = os.pipe()\n"                                                           \
	"for i in range(3):\n"                                                         \
	"    signal.setitimer(signal.ITIMER_REAL, 0.2)\n"                              \
	"    try:\n"                                                                   \
	"        os.read(r, 1)\n"                                                      \
	"        print('read returned')\n"                                             \
	"    except TimeoutError:\n"                                                   \
	"        print('interrupted', i)\n"                                            \
	"os.write(w, b'x')\n"                                                          \
	"print(os.read(r, 1))\n"

Test(forward, blocking_call_on_server_is_interrupted_by_a_signal, .timeout = 300)
{
	static const char *const env[] = { "DUNE_FORWARD=exitless", "DUNE_REPORT=1", NULL };

	require_kvm();
	require_two_cpus();
	expect_native_output_with_servers(ARGV("python3", "-c", BLOCKED_READ), env);
}

/* DUNE_FORWARD_HANDOFF: the servers run every call they may, one CPU or two. */
Test(forward, handoff_sends_every_eligible_call_to_the_server)
{
	static const char *const env[] = { "DUNE_FORWARD=exitless", "DUNE_FORWARD_HANDOFF=1",
					   "DUNE_REPORT=1", NULL };
	struct run_result r;
	char mode[32];
	long n;

	require_kvm();
	r = run_program(ARGV(LOOP, "39", "3000"), env, 1, NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	n = forwarded(&r, mode, sizeof(mode));
	cr_expect_str_eq(mode, "exitless");
	cr_expect(strstr(r.err, "(mode exitless handoff;"), "report: %s", r.err);
	/* All but the first (which starts the server). */
	cr_expect_geq(n, 2999, "%ld of 3000 getpids went to the server: %s", n, r.err);
	run_result_free(&r);
}

/* A server is a thread of the process, but not one the program can see, nor
 * is a kernel worker KVM puts there: neither in /proc/self/task nor in the
 * Threads: count of /proc/self/status. */
Test(forward, servers_are_not_in_proc_self_task)
{
	static const char *const env[] = { "DUNE_FORWARD=exitless", "DUNE_FORWARD_HANDOFF=1",
					   "DUNE_REPORT=1", NULL };
	static const char *const argv[] = {
		"python3", "-c",
		"import os, threading\n"
		"os.getpid()\n"
		"go, up = threading.Event(), threading.Event()\n"
		"def waits():\n"
		"    os.getppid(); up.set(); go.wait()\n"
		"t = threading.Thread(target=waits)\n"
		"t.start(); up.wait()\n"
		/* Listed while the thread lives: one that has just ended may linger. */
		"tasks = os.listdir('/proc/self/task')\n"
		"print(len(tasks), str(os.getpid()) in tasks)\n"
		"print(sorted(os.listdir('/proc/%d/task' % os.getpid())) == sorted(tasks))\n"
		"for f in ('/proc/self/status', '/proc/%d/task/%d/status' % (os.getpid(), os.getpid())):\n"
		"    print([l for l in open(f).read().split('\\n') if l.startswith('Threads:')])\n"
		"go.set(); t.join()\n",
		NULL
	};

	require_kvm();
	expect_native_output_with_servers(argv, env);
}

Test(forward, auto_forwards_for_a_thread_that_calls_often)
{
	static const char *const env[] = { "DUNE_FORWARD=auto", "DUNE_REPORT=1", NULL };
	struct run_result r;
	char mode[32];

	require_kvm();
	require_two_cpus();
	r = run_program(ARGV(LOOP, "39", "20000"), env, 1, NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_geq(forwarded(&r, mode, sizeof(mode)), 10000, "report: %s", r.err);
	cr_expect_str_eq(mode, "auto");
	run_result_free(&r);
}

Test(forward, policy_chooses_and_environment_wins)
{
	char path[4096], pol[4200];
	const char *env_policy[] = { pol, "DUNE_REPORT=1", "DUNE_FORWARD=", NULL };
	const char *env_both[] = { pol, "DUNE_REPORT=1", "DUNE_FORWARD=exit", NULL };
	struct run_result r;
	char mode[32];
	FILE *f;

	require_kvm();
	snprintf(path, sizeof(path), "%s/exitless.conf", scratch_dir());
	f = fopen(path, "w");
	cr_assert(f);
	fputs("[dune]\nforward = exitless\n", f);
	fclose(f);
	snprintf(pol, sizeof(pol), "DUNE_POLICY=%s", path);
	r = run_program(ARGV("true"), env_policy, 1, NULL);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	forwarded(&r, mode, sizeof(mode));
	cr_expect_str_eq(mode, "exitless");
	run_result_free(&r);
	/* DUNE_FORWARD=exit wins: no forwarding line at all. */
	r = run_program(ARGV("true"), env_both, 1, NULL);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(!strstr(r.err, "forwarded without an exit"), "report: %s", r.err);
	run_result_free(&r);
}

Test(forward, bad_setting_is_refused_with_126)
{
	static const char *const bad[] = { "DUNE_FORWARD=fast", NULL };
	struct run_result r;

	r = run_program(ARGV("true"), bad, 1, NULL);
	cr_expect_eq(r.status, 126);
	cr_expect_str_eq(r.err, "dune: DUNE_FORWARD=fast: expected exit (the default), exitless or auto\n");
	run_result_free(&r);
}
