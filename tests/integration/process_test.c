/* process_test.c: threads, forked children and exec'd images stay under dune
 * and behave as natively. */
#include <criterion/criterion.h>
#include <stdio.h>
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

	RING0_OR_REFUSED(ARGV("env", "-i", TEST_PROGRAM_DIR "/identify"), ring0);
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

/* A multi-file C project built by make -j2 and gcc, then run. */
Test(process, make_j2_builds_a_c_project, .timeout = 600)
{
	static const char *const files[][2] = {
		{ "main.c", "#include <stdio.h>\nint add(int, int);\nint mul(int, int);\n"
			    "int main(void) { printf(\"%d %d\\n\", add(2, 3), mul(4, 5)); return 0; }\n" },
		{ "add.c", "int add(int a, int b) { return a + b; }\n" },
		{ "mul.c", "int mul(int a, int b) { return a * b; }\n" },
		{ "Makefile", "prog: main.o add.o mul.o\n\t$(CC) -o $@ $^\n"
			      "%.o: %.c\n\t$(CC) -O1 -c -o $@ $<\n"
			      "clean:\n\trm -f prog *.o\n" },
	};
	char dir[1024], path[1100], cmd[3600];

	snprintf(dir, sizeof(dir), "%s/make-project", scratch_dir());
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	cr_assert_eq(system(cmd), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
		f = fopen(path, "w");
		cr_assert(f);
		fputs(files[i][1], f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "make -s -C %s clean && make -s -j2 -C %s && %s/prog", dir, dir, dir);
	expect_same_as_native(ARGV("sh", "-c", cmd), NULL);
}

Test(process, git_init_add_commit_log, .timeout = 600)
{
	static const char *const env[] = {
		"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
		"GIT_AUTHOR_NAME=Dune Test", "GIT_AUTHOR_EMAIL=test@example.org",
		"GIT_COMMITTER_NAME=Dune Test", "GIT_COMMITTER_EMAIL=test@example.org",
		"GIT_CONFIG_NOSYSTEM=1", "HOME=/nonexistent", NULL,
	};
	char cmd[8192];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && rm -rf repo && git init -q -b main repo && cd repo && "
		 "seq 1 100 > numbers && echo hello > greeting && git add . && "
		 "git commit -q -m first && echo more >> greeting && git commit -q -am second && "
		 "git log --format='%%H %%s' && git status --short && git show --stat HEAD | tail -n 2",
		 scratch_dir());
	expect_same_as_native(ARGV("sh", "-c", cmd), env);
}

Test(process, sqlite3_runs_a_script, .timeout = 600)
{
	char script[4096], cmd[8400];
	FILE *f;

	snprintf(script, sizeof(script), "%s/script.sql", scratch_dir());
	f = fopen(script, "w");
	cr_assert(f);
	fputs("create table t(id integer primary key, name text, n integer);\n"
	      "with recursive c(x) as (select 1 union all select x + 1 from c where x < 2000)\n"
	      "  insert into t(name, n) select 'row' || x, x * 7 % 13 from c;\n"
	      "create index t_n on t(n);\n"
	      "select n, count(*), sum(id) from t group by n order by n;\n"
	      "select name from t where n = 5 order by id desc limit 3;\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -f %s/db.sqlite && sqlite3 %s/db.sqlite < %s", scratch_dir(),
		 scratch_dir(), script);
	expect_same_as_native(ARGV("sh", "-c", cmd), NULL);
}

/* What a program sees of itself: ids, /proc/self, limits, umask, cwd,
 * credentials and its open descriptors (dune's own stay out of sight). */
Test(process, what_a_program_observes_of_itself)
{
	expect_same_as_native(ARGV("/usr/bin/python3", "-c",
				   "import os, resource\n"
				   "stat = open('/proc/self/stat').read().split()\n"
				   "print('pid', os.getpid() == int(stat[0]), 'ppid', os.getppid() == int(stat[3]))\n"
				   "import threading\n"
				   "print('tid', os.getpid() == threading.get_native_id() == int(os.readlink('/proc/self')))\n"
				   "print('cwd', os.readlink('/proc/self/cwd') == os.getcwd())\n"
				   "print('exe', os.readlink('/proc/self/exe'))\n"
				   "print('umask', oct(os.umask(0o27)), oct(os.umask(0o22)))\n"
				   "for r in ('NOFILE', 'STACK', 'AS', 'CORE', 'NPROC'):\n"
				   "    print(r, resource.getrlimit(getattr(resource, 'RLIMIT_' + r)))\n"
				   "print('ids', os.getresuid(), os.getresgid(), os.getgroups())\n"
				   "print('fds', sorted(os.listdir('/proc/self/fd')))\n"
				   "print('fds', sorted(os.listdir('/proc/%d/fd' % os.getpid())))\n"
				   "fd = os.open('/dev/null', os.O_RDONLY)\n"
				   "print('new fd', fd)\n"
				   "print('maps', any('[stack]' in l for l in open('/proc/self/maps')))"),
			      NULL);
}

/* A forked child lists itself in /proc/self/task, and counts itself on the
 * Threads: line, as natively. */
Test(process, forked_child_sees_its_own_thread)
{
	expect_same_as_native(ARGV("/usr/bin/python3", "-c",
				   "import os\n"
				   "pid = os.fork()\n"
				   "if pid == 0:\n"
				   "    print(os.listdir('/proc/self/task') == [str(os.getpid())])\n"
				   "    print([l for l in open('/proc/self/status') if l.startswith('Threads:')])\n"
				   "    os._exit(0)\n"
				   "os.waitpid(pid, 0)\n"),
			      NULL);
}
