/* policy_test.c: the policy reader: every section and key, layers, loading from files, and its error messages. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "names.h"
#include "policy.h"

/* ---- helpers ---- */

/* Parse @text as t.conf into @p, which must succeed. */
static void parse_ok(struct dune_policy *p, const char *text)
{
	struct policy_error err;
	int r;

	policy_init_default(p);
	r = policy_parse_buffer(p, "t.conf", text, strlen(text), &err);
	cr_assert_eq(r, 0, "parse failed: %s", err.msg);
}

/* Parse @text as t.conf, which must fail; the message stays valid until the next call. */
static const char *parse_fails(const char *text)
{
	static struct policy_error err;
	struct dune_policy p;
	int r;

	policy_init_default(&p);
	r = policy_parse_buffer(&p, "t.conf", text, strlen(text), &err);
	policy_free(&p);
	cr_assert_eq(r, -EINVAL, "parse gave %d, expected -EINVAL, for:\n%s", r, text);
	return err.msg;
}

static void expect_error(const char *text, const char *msg)
{
	cr_expect_str_eq(parse_fails(text), msg);
}

static const struct policy_syscall *rule(const struct dune_policy *p, long nr)
{
	return policy_syscall(p, nr);
}

static void expect_rule(const struct dune_policy *p, long nr, int action, int err)
{
	const struct policy_syscall *r = rule(p, nr);

	cr_expect_eq(r->action, action, "syscall %ld: action %d, expected %d", nr, r->action, action);
	cr_expect_eq(r->err, err, "syscall %ld: errno %d, expected %d", nr, r->err, err);
}

/* A number past the kernel's table, which only "*" and default reach. */
#define UNNAMED_NR 100000

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/policy_test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	unsetenv("DUNE_POLICY");
	unsetenv("DUNE_POLICY_DIR");
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) < 0)
			rmdir(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static const char *in_dir(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(in_dir(name), "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void load_ok(struct dune_policy *p, const char *exe)
{
	struct policy_error err;
	int r;

	policy_init_default(p);
	r = policy_load_for(p, exe, &err);
	cr_assert_eq(r, 0, "load failed: %s", err.msg);
}

static const char *load_fails(int expect)
{
	static struct policy_error err;
	struct dune_policy p;
	int r;

	policy_init_default(&p);
	r = policy_load_for(&p, "/bin/true", &err);
	policy_free(&p);
	cr_assert_eq(r, expect, "load gave %d, expected %d", r, expect);
	return err.msg;
}

/* ---- the file format ---- */

Test(policy, default_allows_everything_at_ring_3)
{
	struct dune_policy p;

	policy_init_default(&p);
	cr_expect_eq(p.ring, 3);
	cr_expect_eq(p.on_unavailable, POLICY_UNAVAILABLE_ABORT);
	cr_expect_eq(p.forward, POLICY_FORWARD_EXIT);
	cr_expect_null(p.log);
	cr_expect_not(p.report);
	cr_expect_eq(p.fault_action, POLICY_FAULT_SIGNAL);
	expect_rule(&p, SYS_open, POLICY_SYS_ALLOW, 0);
	expect_rule(&p, UNNAMED_NR, POLICY_SYS_ALLOW, 0);
	cr_expect(policy_applies(&p, "/bin/ls"));
	policy_free(&p);
}

Test(policy, empty_file_is_the_default_policy)
{
	struct dune_policy p;

	parse_ok(&p, "");
	cr_expect_eq(p.ring, 3);
	expect_rule(&p, SYS_ptrace, POLICY_SYS_ALLOW, 0);
	cr_expect_not(rule(&p, SYS_read)->trace);
	cr_expect(policy_applies(&p, "/bin/ls"));
	policy_free(&p);
}

Test(policy, comments_fill_lines_and_end_them)
{
	struct dune_policy p;

	parse_ok(&p, "# a comment\n; another\n   # indented\n[dune]   # after a section\n"
		     "ring = 0   # after a value\nreport = yes ; the other kind\n");
	cr_expect_eq(p.ring, 0);
	cr_expect(p.report);
	policy_free(&p);
}

Test(policy, hash_inside_a_word_is_no_comment)
{
	struct dune_policy p;

	parse_ok(&p, "[dune]\nlog = /var/log/a#b;c.log # this is one\n");
	cr_expect_str_eq(p.log, "/var/log/a#b;c.log");
	policy_free(&p);
}

Test(policy, section_and_key_names_ignore_case)
{
	struct dune_policy p;

	parse_ok(&p, "[DUNE]\nRing = 0\nOn-Unavailable = Native\n[SysCalls]\nDENY = Open\n");
	cr_expect_eq(p.ring, 0);
	cr_expect_eq(p.on_unavailable, POLICY_UNAVAILABLE_NATIVE);
	expect_rule(&p, SYS_open, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

Test(policy, crlf_line_ends_are_read_as_lf)
{
	struct dune_policy p;

	parse_ok(&p, "[dune]\r\nring = 0\r\n[syscalls]\r\nkill = reboot\r\n");
	cr_expect_eq(p.ring, 0);
	expect_rule(&p, SYS_reboot, POLICY_SYS_KILL, 0);
	policy_free(&p);
}

Test(policy, last_line_needs_no_newline)
{
	struct dune_policy p;

	parse_ok(&p, "[dune]\nring = 0");
	cr_expect_eq(p.ring, 0);
	policy_free(&p);
}

Test(policy, utf8_byte_order_mark_is_skipped)
{
	struct dune_policy p;

	parse_ok(&p, "\xef\xbb\xbf[dune]\nring = 0\n");
	cr_expect_eq(p.ring, 0);
	policy_free(&p);
}

Test(policy, blanks_around_names_and_values_do_not_matter)
{
	struct dune_policy p;

	parse_ok(&p, "  [ syscalls ]  \n\tdeny\t=\topen ,  close\t,read  \n");
	expect_rule(&p, SYS_open, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_close, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_read, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

/* ---- [dune] ---- */

Test(policy, on_unavailable_takes_abort_and_native)
{
	struct dune_policy p;

	parse_ok(&p, "[dune]\non-unavailable = native\n");
	cr_expect_eq(p.on_unavailable, POLICY_UNAVAILABLE_NATIVE);
	policy_free(&p);
	parse_ok(&p, "[dune]\non-unavailable = abort\n");
	cr_expect_eq(p.on_unavailable, POLICY_UNAVAILABLE_ABORT);
	policy_free(&p);
}

Test(policy, ring_takes_0_and_3)
{
	struct dune_policy p;

	parse_ok(&p, "[dune]\nring = 0\n");
	cr_expect_eq(p.ring, 0);
	policy_free(&p);
	parse_ok(&p, "[dune]\nring = 3\n");
	cr_expect_eq(p.ring, 3);
	policy_free(&p);
}

Test(policy, bad_ring_says_what_is_expected)
{
	expect_error("[dune]\n\nring = 2\n", "t.conf:3: bad value '2' for ring (expected 3 or 0)");
}

Test(policy, forward_takes_exit_exitless_auto)
{
	static const char *const words[] = { "exit", "exitless", "auto" };
	static const enum policy_forward want[] = { POLICY_FORWARD_EXIT, POLICY_FORWARD_EXITLESS,
						    POLICY_FORWARD_AUTO };
	char text[64];
	struct dune_policy p;

	for (int i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "[dune]\nforward = %s\n", words[i]);
		parse_ok(&p, text);
		cr_expect_eq(p.forward, want[i], "forward = %s", words[i]);
		policy_free(&p);
	}
}

Test(policy, misspelled_value_suggests_nearest)
{
	expect_error("[dune]\nforward = exitles\n",
		     "t.conf:2: bad value 'exitles' for forward (did you mean 'exitless'?)");
}

Test(policy, unknown_value_lists_the_values)
{
	expect_error("[dune]\nforward = sometimes\n",
		     "t.conf:2: bad value 'sometimes' for forward (expected exit, exitless or auto)");
}

Test(policy, scalar_without_value_is_an_error)
{
	expect_error("[dune]\nring =\n", "t.conf:2: ring has no value");
}

Test(policy, log_stderr_means_no_file)
{
	struct dune_policy p;
	char buf[64];

	parse_ok(&p, "[dune]\nlog = stderr\n");
	cr_expect_null(p.log);
	cr_expect_eq(policy_log_path(&p, 1, "x", buf, sizeof(buf)), -ENODATA);
	policy_free(&p);
}

Test(policy, log_path_is_kept_as_written)
{
	struct dune_policy p;

	parse_ok(&p, "[dune]\nlog = /tmp/dune-%e-%p.log\n");
	cr_expect_str_eq(p.log, "/tmp/dune-%e-%p.log");
	policy_free(&p);
}

Test(policy, log_path_expands_pid_and_program_name)
{
	struct dune_policy p;
	char buf[64];

	parse_ok(&p, "[dune]\nlog = /tmp/%e.%p.100%%\n");
	cr_assert_eq(policy_log_path(&p, 4242, "ls", buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "/tmp/ls.4242.100%");
	policy_free(&p);
}

Test(policy, log_path_program_name_cannot_add_directories)
{
	struct dune_policy p;
	char buf[64];

	parse_ok(&p, "[dune]\nlog = /tmp/%e.log\n");
	cr_assert_eq(policy_log_path(&p, 1, "../etc/x", buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "/tmp/.._etc_x.log");
	policy_free(&p);
}

Test(policy, log_path_too_long_for_the_buffer_fails)
{
	struct dune_policy p;
	char buf[12];

	parse_ok(&p, "[dune]\nlog = /tmp/%p-%e\n");
	cr_expect_eq(policy_log_path(&p, 123456, "program", buf, sizeof(buf)), -ENAMETOOLONG);
	cr_expect_eq(policy_log_path(&p, 1, "a", buf, 0), -ENAMETOOLONG);
	policy_free(&p);
}

Test(policy, relative_log_path_is_an_error)
{
	expect_error("[dune]\nlog = dune.log\n",
		     "t.conf:2: bad log 'dune.log' (expected stderr or an absolute path)");
}

Test(policy, unknown_percent_in_log_is_an_error)
{
	expect_error("[dune]\nlog = /tmp/%t.log\n",
		     "t.conf:2: bad log '/tmp/%t.log' (expected %p, %e or %% after '%')");
}

Test(policy, report_takes_yes_and_no)
{
	struct dune_policy p;

	parse_ok(&p, "[dune]\nreport = yes\n");
	cr_expect(p.report);
	policy_free(&p);
	parse_ok(&p, "[dune]\nreport = no\n");
	cr_expect_not(p.report);
	policy_free(&p);
}

/* ---- [syscalls] ---- */

Test(policy, deny_fails_with_eperm)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndeny = ptrace, kexec_load\n");
	expect_rule(&p, SYS_ptrace, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_kexec_load, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_read, POLICY_SYS_ALLOW, 0);
	policy_free(&p);
}

Test(policy, deny_errno_fails_with_that_errno)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndeny.EACCES = open_by_handle_at\ndeny.enoent = openat\n");
	expect_rule(&p, SYS_open_by_handle_at, POLICY_SYS_DENY, EACCES);
	expect_rule(&p, SYS_openat, POLICY_SYS_DENY, ENOENT);
	policy_free(&p);
}

Test(policy, errno_aliases_are_one_key)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndeny.EWOULDBLOCK = read\ndeny.EAGAIN = write\n");
	expect_rule(&p, SYS_read, POLICY_SYS_DENY, EAGAIN);
	expect_rule(&p, SYS_write, POLICY_SYS_DENY, EAGAIN);
	policy_free(&p);
}

Test(policy, misspelled_errno_suggests_nearest)
{
	expect_error("[syscalls]\ndeny.EACESS = open\n",
		     "t.conf:2: unknown errno 'EACESS' in 'deny.EACESS' (did you mean 'EACCES'?)");
}

Test(policy, unknown_errno_says_what_is_expected)
{
	expect_error("[syscalls]\ndeny.NOPE_NOT_AN_ERRNO = open\n",
		     "t.conf:2: unknown errno 'NOPE_NOT_AN_ERRNO' in 'deny.NOPE_NOT_AN_ERRNO' "
		     "(expected a name such as EACCES)");
}

Test(policy, kill_makes_the_syscall_fatal)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\nkill = reboot\n");
	expect_rule(&p, SYS_reboot, POLICY_SYS_KILL, 0);
	policy_free(&p);
}

Test(policy, io_uring_is_refused_under_a_policy_that_restricts_unless_allowed_by_name)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ncount = openat\n");
	expect_rule(&p, SYS_io_uring_setup, POLICY_SYS_ALLOW, 0); /* restricts nothing */
	policy_free(&p);
	parse_ok(&p, "[syscalls]\ntrace = openat\n"); /* a ring's opens would go unlogged */
	expect_rule(&p, SYS_io_uring_setup, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
	parse_ok(&p, "[syscalls]\ndeny = mkdirat\n");
	expect_rule(&p, SYS_io_uring_setup, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_io_uring_enter, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_io_uring_register, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
	parse_ok(&p, "[syscalls]\nkill = reboot\nallow = io_uring_setup, io_uring_enter\n");
	expect_rule(&p, SYS_io_uring_setup, POLICY_SYS_ALLOW, 0);
	expect_rule(&p, SYS_io_uring_enter, POLICY_SYS_ALLOW, 0);
	expect_rule(&p, SYS_io_uring_register, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
	parse_ok(&p, "[syscalls]\ndeny = mkdirat\nallow = *\n"); /* "*" is not a name */
	expect_rule(&p, SYS_io_uring_setup, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

Test(policy, trace_and_count_set_their_flags_only)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ntrace = openat, execve\ncount = read\n");
	cr_expect(rule(&p, SYS_openat)->trace);
	cr_expect(rule(&p, SYS_execve)->trace);
	cr_expect_not(rule(&p, SYS_read)->trace);
	cr_expect(rule(&p, SYS_read)->count);
	cr_expect_not(rule(&p, SYS_openat)->count);
	expect_rule(&p, SYS_openat, POLICY_SYS_ALLOW, 0);
	policy_free(&p);
}

Test(policy, star_covers_every_syscall_and_unnamed_numbers)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ncount = *\n");
	for (int nr = 0; nr < p.nsyscalls; nr++)
		cr_assert(rule(&p, nr)->count, "syscall %d not counted", nr);
	cr_expect(rule(&p, UNNAMED_NR)->count);
	cr_expect(rule(&p, -1)->count);
	policy_free(&p);
}

Test(policy, named_syscall_beats_star)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndeny = *\nallow = read, write\n");
	expect_rule(&p, SYS_read, POLICY_SYS_ALLOW, 0);
	expect_rule(&p, SYS_open, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, UNNAMED_NR, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

Test(policy, kill_beats_deny_beats_allow_at_one_level)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\nallow = ptrace, open\ndeny = ptrace, open\nkill = ptrace\n");
	expect_rule(&p, SYS_ptrace, POLICY_SYS_KILL, 0);
	expect_rule(&p, SYS_open, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

Test(policy, default_deny_with_allow_list)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndefault = deny\nallow = read, exit_group\n");
	expect_rule(&p, SYS_read, POLICY_SYS_ALLOW, 0);
	expect_rule(&p, SYS_open, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, UNNAMED_NR, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

Test(policy, default_kill)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndefault = kill\nallow = write\n");
	expect_rule(&p, SYS_open, POLICY_SYS_KILL, 0);
	expect_rule(&p, SYS_write, POLICY_SYS_ALLOW, 0);
	policy_free(&p);
}

Test(policy, default_trace_traces_only_what_no_list_decides)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndefault = trace\nallow = read\ndeny = ptrace\n");
	expect_rule(&p, SYS_open, POLICY_SYS_ALLOW, 0);
	cr_expect(rule(&p, SYS_open)->trace);
	cr_expect(rule(&p, UNNAMED_NR)->trace);
	cr_expect_not(rule(&p, SYS_read)->trace);
	cr_expect_not(rule(&p, SYS_ptrace)->trace);
	expect_rule(&p, SYS_ptrace, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

Test(policy, two_errnos_for_one_syscall_is_an_error)
{
	expect_error("[syscalls]\ndeny = open\ndeny.EACCES = open\n",
		     "t.conf:3: syscall 'open' is denied with both EPERM and EACCES (the other at t.conf:2)");
}

Test(policy, deny_and_deny_eperm_agree)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndeny = open\ndeny.EPERM = open\n");
	expect_rule(&p, SYS_open, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

Test(policy, misspelled_syscall_suggests_nearest)
{
	struct dune_policy p;
	struct policy_error err;
	const char *text = "# line 1\n\n[syscalls]\n\n\ndefault = allow\ndeny = ptrace, opne\n";

	policy_init_default(&p);
	cr_assert_eq(policy_parse_buffer(&p, "/etc/dune/10-x.conf", text, strlen(text), &err), -EINVAL);
	cr_expect_str_eq(err.msg, "/etc/dune/10-x.conf:7: unknown syscall 'opne' (did you mean 'open'?)");
	policy_free(&p);
}

Test(policy, unknown_syscall_without_near_name_says_what_is_expected)
{
	expect_error("[syscalls]\ntrace = frobnicate_everything\n",
		     "t.conf:2: unknown syscall 'frobnicate_everything' (expected an x86_64 syscall name or *)");
}

Test(policy, syscall_names_ignore_case)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndeny = PTRACE, Open\n");
	expect_rule(&p, SYS_ptrace, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_open, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

Test(policy, empty_list_item_is_an_error)
{
	expect_error("[syscalls]\ndeny = open,,close\n",
		     "t.conf:2: empty name in the list of deny (expected NAME, NAME, ...)");
	expect_error("[syscalls]\ndeny = open,\n",
		     "t.conf:2: empty name in the list of deny (expected NAME, NAME, ...)");
}

Test(policy, list_with_nothing_is_the_empty_list)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndeny =\n");
	expect_rule(&p, SYS_open, POLICY_SYS_ALLOW, 0);
	policy_free(&p);
}

Test(policy, list_key_on_several_lines_adds_up)
{
	struct dune_policy p;

	parse_ok(&p, "[syscalls]\ndeny = open\ndeny = close\n");
	expect_rule(&p, SYS_open, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_close, POLICY_SYS_DENY, EPERM);
	policy_free(&p);
}

Test(policy, scalar_key_twice_in_a_file_is_an_error)
{
	expect_error("[dune]\nring = 0\nRing = 3\n", "t.conf:3: 'Ring' is set twice in [dune] (first at line 2)");
}

/* ---- [pagefault] ---- */

Test(policy, pagefault_action_takes_its_four_values)
{
	static const char *const words[] = { "signal", "trace", "count" };
	static const enum policy_fault_action want[] = { POLICY_FAULT_SIGNAL, POLICY_FAULT_TRACE,
							 POLICY_FAULT_COUNT };
	char text[64];
	struct dune_policy p;

	for (int i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "[pagefault]\naction = %s\n", words[i]);
		parse_ok(&p, text);
		cr_expect_eq(p.fault_action, want[i], "action = %s", words[i]);
		policy_free(&p);
	}
	parse_ok(&p, "[pagefault]\naction = hook\nhook = /usr/lib/dune/hooks/example.so:on_fault\n");
	cr_expect_eq(p.fault_action, POLICY_FAULT_HOOK);
	policy_free(&p);
}

Test(policy, pagefault_hook_is_library_and_symbol)
{
	struct dune_policy p;

	parse_ok(&p, "[pagefault]\naction = hook\nhook = /opt/a:b/x.so:on_fault\n");
	cr_expect_str_eq(p.fault_hook.lib, "/opt/a:b/x.so");
	cr_expect_str_eq(p.fault_hook.symbol, "on_fault");
	policy_free(&p);
}

Test(policy, pagefault_action_hook_needs_a_hook)
{
	expect_error("[pagefault]\naction = hook\n",
		     "t.conf:2: [pagefault] action is hook but no hook is set (expected hook = LIB.so:SYMBOL)");
}

Test(policy, bad_hook_says_what_is_expected)
{
	expect_error("[pagefault]\nhook = /usr/lib/x.so\n",
		     "t.conf:2: bad hook '/usr/lib/x.so' (expected LIB.so:SYMBOL)");
	expect_error("[pagefault]\nhook = /usr/lib/x.so:on-fault\n",
		     "t.conf:2: bad hook '/usr/lib/x.so:on-fault' (expected LIB.so:SYMBOL)");
	expect_error("[pagefault]\nhook = :on_fault\n", "t.conf:2: bad hook ':on_fault' (expected LIB.so:SYMBOL)");
}

/* ---- [exceptions] ---- */

Test(policy, exception_names_map_to_vectors)
{
	static const struct {
		const char *name;
		int vector;
	} want[] = {
		{ "divide-error", 0 },     { "debug", 1 },           { "breakpoint", 3 },
		{ "overflow", 4 },         { "bound-range", 5 },     { "invalid-opcode", 6 },
		{ "device-not-available", 7 }, { "general-protection", 13 }, { "alignment-check", 17 },
		{ "simd-error", 19 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char text[96];
		struct dune_policy p;

		cr_expect_eq(policy_exception_vector(want[i].name), want[i].vector, "%s", want[i].name);
		cr_expect_str_eq(policy_exception_name(want[i].vector), want[i].name);
		snprintf(text, sizeof(text), "[exceptions]\n%s = kill\n", want[i].name);
		parse_ok(&p, text);
		for (int v = 0; v < POLICY_VECTORS; v++)
			cr_expect_eq(p.exceptions[v].action, v == want[i].vector ? POLICY_EXC_KILL : POLICY_EXC_SIGNAL,
				     "%s: vector %d", want[i].name, v);
		policy_free(&p);
	}
	cr_expect_null(policy_exception_name(14));
	cr_expect_eq(policy_exception_vector("page-fault"), -ENOENT);
}

Test(policy, exception_actions)
{
	struct dune_policy p;

	parse_ok(&p, "[exceptions]\nbreakpoint = signal\ninvalid-opcode = trace\ndebug = ignore\n"
		     "overflow = kill\ngeneral-protection = hook:/lib/h.so:on_gp\n");
	cr_expect_eq(p.exceptions[3].action, POLICY_EXC_SIGNAL);
	cr_expect_eq(p.exceptions[6].action, POLICY_EXC_TRACE);
	cr_expect_eq(p.exceptions[1].action, POLICY_EXC_IGNORE);
	cr_expect_eq(p.exceptions[4].action, POLICY_EXC_KILL);
	cr_expect_eq(p.exceptions[13].action, POLICY_EXC_HOOK);
	cr_expect_str_eq(p.exceptions[13].hook.lib, "/lib/h.so");
	cr_expect_str_eq(p.exceptions[13].hook.symbol, "on_gp");
	policy_free(&p);
}

Test(policy, exception_hook_without_target_is_an_error)
{
	expect_error("[exceptions]\nbreakpoint = hook\n",
		     "t.conf:2: bad value 'hook' for breakpoint (expected hook:LIB.so:SYMBOL)");
	expect_error("[exceptions]\nbreakpoint = hook:nolib\n",
		     "t.conf:2: bad hook 'nolib' (expected LIB.so:SYMBOL)");
}

Test(policy, misspelled_exception_suggests_nearest)
{
	expect_error("[exceptions]\nbreakpiont = trace\n",
		     "t.conf:2: unknown exception 'breakpiont' (did you mean 'breakpoint'?)");
}

Test(policy, misspelled_exception_action_suggests_nearest)
{
	expect_error("[exceptions]\nbreakpoint = ingore\n",
		     "t.conf:2: bad value 'ingore' for breakpoint (did you mean 'ignore'?)");
}

Test(policy, page_fault_is_no_exception_name)
{
	expect_error("[exceptions]\npage-fault = trace\n",
		     "t.conf:2: unknown exception 'page-fault' (expected divide-error, debug, breakpoint, "
		     "overflow, bound-range, invalid-opcode, device-not-available, general-protection, "
		     "alignment-check or simd-error)");
}

/* ---- [match] ---- */

Test(policy, no_match_applies_to_every_program)
{
	struct dune_policy p;

	parse_ok(&p, "[dune]\nring = 0\n");
	cr_expect(policy_applies(&p, "/usr/bin/ls"));
	cr_expect(policy_applies(&p, "/anything"));
	policy_free(&p);
}

Test(policy, match_globs_on_the_program_path)
{
	struct dune_policy p;

	parse_ok(&p, "[match]\nprogram = /usr/bin/*, */python3*\nprogram = /opt/tool\n");
	cr_expect(policy_applies(&p, "/usr/bin/ls"));
	cr_expect(policy_applies(&p, "/usr/local/bin/python3.11"));
	cr_expect(policy_applies(&p, "/opt/tool"));
	cr_expect_not(policy_applies(&p, "/opt/tool2"));
	cr_expect_not(policy_applies(&p, "/bin/ls"));
	policy_free(&p);
}

/* What the runtime's exec handling asks (enforce_confines): was a file read? */
Test(policy, from_files_tells_a_read_file_from_the_default)
{
	struct dune_policy p;

	policy_init_default(&p);
	cr_expect_not(policy_from_files(&p));
	parse_ok(&p, "");
	cr_expect(policy_from_files(&p), "an empty file is a policy file");
	policy_free(&p);
	cr_expect_not(policy_from_files(&p), "policy_free gives the default back");
}

Test(policy, match_without_program_is_an_error)
{
	expect_error("[match]\n[dune]\nring = 0\n", "t.conf:1: [match] names no program (expected program = GLOB, ...)");
}

Test(policy, match_with_empty_program_is_an_error)
{
	expect_error("[match]\nprogram =\n",
		     "t.conf:2: program names no glob (expected program = GLOB, GLOB, ...)");
}

/* ---- structure errors ---- */

Test(policy, misspelled_section_suggests_nearest)
{
	expect_error("[sycalls]\n", "t.conf:1: unknown section [sycalls] (did you mean [syscalls]?)");
}

Test(policy, unknown_section_lists_the_sections)
{
	expect_error("\n[network]\n", "t.conf:2: unknown section [network] (expected [match], [dune], [syscalls], "
				      "[pagefault] or [exceptions])");
}

Test(policy, section_twice_in_a_file_is_an_error)
{
	expect_error("[dune]\nring = 0\n[syscalls]\n[Dune]\n",
		     "t.conf:4: section [dune] appears twice (first at line 1)");
}

Test(policy, unclosed_section_is_an_error)
{
	expect_error("[dune\n", "t.conf:1: expected ']' at the end of the section line");
}

Test(policy, key_before_any_section_is_an_error)
{
	expect_error("ring = 0\n", "t.conf:1: key 'ring' before any section (expected a [section] line first)");
}

Test(policy, line_without_equals_is_an_error)
{
	expect_error("[dune]\nring 0\n", "t.conf:2: expected 'key = value' or a [section] line");
}

Test(policy, missing_key_is_an_error)
{
	expect_error("[dune]\n= 0\n", "t.conf:2: missing key before '=' (expected 'key = value')");
}

Test(policy, misspelled_key_suggests_nearest)
{
	expect_error("[dune]\nrign = 3\n", "t.conf:2: unknown key 'rign' in [dune] (did you mean 'ring'?)");
	expect_error("[syscalls]\ndney.EACCES = open\n",
		     "t.conf:2: unknown key 'dney.EACCES' in [syscalls] (did you mean 'deny.EACCES'?)");
}

Test(policy, unknown_key_lists_the_keys)
{
	expect_error("[dune]\nbackend = kvm\n", "t.conf:2: unknown key 'backend' in [dune] "
						   "(expected on-unavailable, ring, forward, log, report)");
}

Test(policy, control_character_is_an_error)
{
	expect_error("[dune]\nring = \0330\n", "t.conf:2: control character 0x1b in column 8 (expected text)");
}

Test(policy, nul_byte_is_an_error)
{
	static const char text[] = "[dune]\nring = 0\nre\0port = yes\n";
	struct dune_policy p;
	struct policy_error err;

	policy_init_default(&p);
	cr_assert_eq(policy_parse_buffer(&p, "t.conf", text, sizeof(text) - 1, &err), -EINVAL);
	cr_expect_str_eq(err.msg, "t.conf:3: NUL byte (expected text)");
	policy_free(&p);
}

Test(policy, file_over_the_size_limit_is_an_error)
{
	size_t len = POLICY_MAX_FILE + 1;
	char *text = malloc(len);
	struct dune_policy p;
	struct policy_error err;

	cr_assert_not_null(text);
	memset(text, '\n', len);
	policy_init_default(&p);
	cr_expect_eq(policy_parse_buffer(&p, "big.conf", text, len, &err), -EINVAL);
	cr_expect_str_eq(err.msg, "big.conf: file is larger than 1048576 bytes (expected a policy file)");
	policy_free(&p);
	free(text);
}

Test(policy, very_long_line_is_read_whole)
{
	/* Every syscall name, 50 times over, then a long run of blanks, on one line: some 300 KB. */
	size_t cap = 1 << 20, n = 0;
	char *text = malloc(cap);
	struct dune_policy p;

	cr_assert_not_null(text);
	n += (size_t)snprintf(text, cap, "[syscalls]\ncount = read");
	for (int round = 0; round < 50; round++)
		for (int nr = 0; nr < dune_syscall_count; nr++)
			if (dune_syscall_names[nr])
				n += (size_t)snprintf(text + n, cap - n, ", %s", dune_syscall_names[nr]);
	memset(text + n, ' ', 100000);
	n += 100000;
	n += (size_t)snprintf(text + n, cap - n, "# and a comment\n");
	cr_assert_lt(n, cap);
	cr_assert_gt(n, 200000);
	parse_ok(&p, text);
	for (int nr = 0; nr < dune_syscall_count; nr++)
		cr_assert_eq(rule(&p, nr)->count, dune_syscall_names[nr] != NULL, "syscall %d", nr);
	cr_expect_not(rule(&p, UNNAMED_NR)->count);
	policy_free(&p);
	free(text);
}

Test(policy, very_long_unknown_name_is_cut_in_the_message)
{
	char text[8192] = "[syscalls]\ndeny = ";
	const char *msg;

	memset(text + strlen(text), 'x', 5000);
	msg = parse_fails(text);
	cr_expect_str_eq(msg, "t.conf:2: unknown syscall 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' "
			      "(expected an x86_64 syscall name or *)");
}

/* ---- layers ---- */

Test(policy, later_buffer_overrides_key_by_key)
{
	struct dune_policy p;
	struct policy_error err;
	const char *b = "[dune]\nring = 0\n[syscalls]\ndeny = close\n";

	parse_ok(&p, "[dune]\nring = 3\nreport = yes\n[syscalls]\ndeny = open\nkill = reboot\n");
	cr_assert_eq(policy_parse_buffer(&p, "b.conf", b, strlen(b), &err), 0, "%s", err.msg);
	cr_expect_eq(p.ring, 0);
	cr_expect(p.report);
	expect_rule(&p, SYS_open, POLICY_SYS_ALLOW, 0);
	expect_rule(&p, SYS_close, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_reboot, POLICY_SYS_KILL, 0);
	policy_free(&p);
}

Test(policy, hook_set_in_a_later_layer_completes_an_earlier_action)
{
	struct dune_policy p;
	struct policy_error err;
	const char *a = "[pagefault]\naction = hook\n", *b = "[pagefault]\nhook = /x.so:f\n";

	policy_init_default(&p);
	/* Read alone, a.conf lacks its hook; the loader resolves once, after both. */
	cr_assert_eq(policy_parse_buffer(&p, "a.conf", a, strlen(a), &err), -EINVAL);
	cr_assert_eq(policy_parse_buffer(&p, "b.conf", b, strlen(b), &err), 0, "%s", err.msg);
	cr_expect_eq(p.fault_action, POLICY_FAULT_HOOK);
	cr_expect_str_eq(p.fault_hook.symbol, "f");
	policy_free(&p);
}

/* ---- loading files ---- */

Test(policy_load, later_file_overrides_key_by_key, .init = make_dir, .fini = remove_dir)
{
	struct dune_policy p;

	write_file("10-base.conf", "[dune]\nring = 3\nreport = yes\n[syscalls]\ndeny = open, close\nkill = reboot\n");
	write_file("20-more.conf", "[dune]\nring = 0\n[syscalls]\ndeny = ptrace\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	load_ok(&p, "/bin/true");
	cr_expect_eq(p.ring, 0);
	cr_expect(p.report);
	/* The later deny list replaces the earlier one whole. */
	expect_rule(&p, SYS_ptrace, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_open, POLICY_SYS_ALLOW, 0);
	expect_rule(&p, SYS_reboot, POLICY_SYS_KILL, 0);
	policy_free(&p);
}

Test(policy_load, empty_list_in_later_file_clears_it, .init = make_dir, .fini = remove_dir)
{
	struct dune_policy p;

	write_file("10-a.conf", "[syscalls]\ntrace = *\n");
	write_file("20-b.conf", "[syscalls]\ntrace =\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	load_ok(&p, "/bin/true");
	cr_expect_not(rule(&p, SYS_read)->trace);
	policy_free(&p);
}

Test(policy_load, files_are_read_in_strcmp_order, .init = make_dir, .fini = remove_dir)
{
	struct dune_policy p;

	/* strcmp puts "10-" before "9-": 9-last.conf is read last and wins. */
	write_file("9-last.conf", "[dune]\nring = 0\n");
	write_file("10-first.conf", "[dune]\nring = 3\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	load_ok(&p, "/bin/true");
	cr_expect_eq(p.ring, 0);
	policy_free(&p);
}

Test(policy_load, only_conf_files_are_read, .init = make_dir, .fini = remove_dir)
{
	struct dune_policy p;

	write_file("README", "not a policy\n");
	write_file("10-x.conf~", "not a policy\n");
	write_file(".hidden.conf", "not a policy\n");
	write_file(".conf", "not a policy\n");
	write_file("20-y.conf", "[dune]\nring = 0\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	load_ok(&p, "/bin/true");
	cr_expect_eq(p.ring, 0);
	policy_free(&p);
}

Test(policy_load, empty_directory_is_the_default_policy, .init = make_dir, .fini = remove_dir)
{
	struct dune_policy p;

	setenv("DUNE_POLICY_DIR", dir, 1);
	load_ok(&p, "/bin/true");
	cr_expect_eq(p.ring, 3);
	cr_expect(policy_applies(&p, "/bin/true"));
	expect_rule(&p, SYS_ptrace, POLICY_SYS_ALLOW, 0);
	policy_free(&p);
}

Test(policy_load, dune_policy_names_one_file, .init = make_dir, .fini = remove_dir)
{
	struct dune_policy p;

	write_file("one.policy", "[dune]\nring = 0\n");
	write_file("10-x.conf", "[dune]\nreport = yes\n");
	setenv("DUNE_POLICY", in_dir("one.policy"), 1);
	setenv("DUNE_POLICY_DIR", dir, 1); /* DUNE_POLICY wins */
	load_ok(&p, "/bin/true");
	cr_expect_eq(p.ring, 0);
	cr_expect_not(p.report);
	policy_free(&p);
}

Test(policy_load, missing_dune_policy_file_is_an_error, .init = make_dir, .fini = remove_dir)
{
	char want[PATH_MAX + 64];

	setenv("DUNE_POLICY", in_dir("nope.conf"), 1);
	snprintf(want, sizeof(want), "%s: cannot open (No such file or directory)", in_dir("nope.conf"));
	cr_expect_str_eq(load_fails(-ENOENT), want);
}

Test(policy_load, missing_dune_policy_dir_is_an_error, .init = make_dir, .fini = remove_dir)
{
	char want[PATH_MAX + 64];

	setenv("DUNE_POLICY_DIR", in_dir("nope"), 1);
	snprintf(want, sizeof(want), "%s: cannot open the policy directory (No such file or directory)",
		 in_dir("nope"));
	cr_expect_str_eq(load_fails(-ENOENT), want);
}

Test(policy_load, error_names_the_file_and_line, .init = make_dir, .fini = remove_dir)
{
	char want[PATH_MAX + 128];

	write_file("10-good.conf", "[dune]\nring = 0\n");
	write_file("20-bad.conf", "# comment\n[syscalls]\ndeny = ptrace,\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	snprintf(want, sizeof(want), "%s: empty name in the list of deny (expected NAME, NAME, ...)",
		 in_dir("20-bad.conf:3"));
	cr_expect_str_eq(load_fails(-EINVAL), want);
}

Test(policy_load, conflict_between_files_names_both, .init = make_dir, .fini = remove_dir)
{
	char want[2 * PATH_MAX + 128], first[PATH_MAX];

	write_file("10-a.conf", "[syscalls]\ndeny.EACCES = open\n");
	write_file("20-b.conf", "[syscalls]\n\ndeny.ENOENT = open\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	snprintf(first, sizeof(first), "%s", in_dir("10-a.conf:2"));
	snprintf(want, sizeof(want), "%s: syscall 'open' is denied with both EACCES and ENOENT (the other at %s)",
		 in_dir("20-b.conf:3"), first);
	cr_expect_str_eq(load_fails(-EINVAL), want);
}

Test(policy_load, file_for_another_program_is_skipped, .init = make_dir, .fini = remove_dir)
{
	struct dune_policy p;

	write_file("10-all.conf", "[dune]\nreport = yes\n");
	write_file("20-python.conf", "[match]\nprogram = */python3*\n[dune]\nring = 0\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	load_ok(&p, "/usr/bin/ls");
	cr_expect_eq(p.ring, 3);
	cr_expect(p.report);
	cr_expect(policy_applies(&p, "/usr/bin/ls"));
	policy_free(&p);
	load_ok(&p, "/usr/bin/python3.11");
	cr_expect_eq(p.ring, 0);
	cr_expect(p.report);
	policy_free(&p);
}

Test(policy_load, file_for_another_program_is_still_checked, .init = make_dir, .fini = remove_dir)
{
	char want[PATH_MAX + 128];

	write_file("20-python.conf", "[match]\nprogram = */python3*\n[dune]\nring = 2\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	snprintf(want, sizeof(want), "%s: bad value '2' for ring (expected 3 or 0)", in_dir("20-python.conf:4"));
	cr_expect_str_eq(load_fails(-EINVAL), want);
}

Test(policy_load, policy_does_not_apply_when_no_file_matches, .init = make_dir, .fini = remove_dir)
{
	struct dune_policy p;

	write_file("20-python.conf", "[match]\nprogram = */python3*\n[dune]\nring = 0\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	load_ok(&p, "/usr/bin/ls");
	cr_expect_not(policy_applies(&p, "/usr/bin/ls"));
	cr_expect_eq(p.ring, 3);
	policy_free(&p);
	load_ok(&p, NULL);
	cr_expect_not(policy_applies(&p, "/usr/bin/ls"));
	policy_free(&p);
}

Test(policy_load, policy_load_matches_this_program, .init = make_dir, .fini = remove_dir)
{
	struct dune_policy p;
	struct policy_error err;

	write_file("10-me.conf", "[match]\nprogram = */policy_tests\n[dune]\nring = 0\n");
	setenv("DUNE_POLICY_DIR", dir, 1);
	policy_init_default(&p);
	cr_assert_eq(policy_load(&p, &err), 0, "%s", err.msg);
	cr_expect_eq(p.ring, 0);
	policy_free(&p);
}

/* ---- the example policies ---- */

static void load_example(struct dune_policy *p, const char *name, const char *exe)
{
	char path[PATH_MAX];
	struct policy_error err;

	snprintf(path, sizeof(path), "%s/%s", POLICY_EXAMPLES_DIR, name);
	setenv("DUNE_POLICY", path, 1);
	policy_init_default(p);
	cr_assert_eq(policy_load_for(p, exe, &err), 0, "%s", err.msg);
}

Test(policy_examples, sandbox_denies_all_but_a_few_syscalls)
{
	struct dune_policy p;

	load_example(&p, "10-sandbox.conf", "/opt/sandboxed/bin/tool");
	cr_expect_not(policy_applies(&p, "/usr/bin/ls"));
	cr_expect(policy_applies(&p, "/opt/sandboxed/bin/tool"));
	expect_rule(&p, SYS_read, POLICY_SYS_ALLOW, 0);
	expect_rule(&p, SYS_socket, POLICY_SYS_DENY, EPERM);
	expect_rule(&p, SYS_openat, POLICY_SYS_DENY, ENOENT);
	expect_rule(&p, SYS_ptrace, POLICY_SYS_KILL, 0);
	cr_expect(rule(&p, SYS_execve)->trace);
	cr_expect_eq(p.exceptions[3].action, POLICY_EXC_KILL);
	policy_free(&p);
}

Test(policy_examples, tracer_traces_and_counts)
{
	struct dune_policy p;

	load_example(&p, "20-tracer.conf", "/opt/traced/python3.11");
	cr_expect(policy_applies(&p, "/opt/traced/python3.11"));
	cr_expect(rule(&p, SYS_openat)->trace);
	cr_expect(rule(&p, SYS_read)->count);
	cr_expect(p.report);
	cr_expect_str_eq(p.log, "/tmp/dune-%e-%p.log");
	cr_expect_eq(p.on_unavailable, POLICY_UNAVAILABLE_NATIVE);
	policy_free(&p);
}

Test(policy_examples, fault_counter_hooks_faults)
{
	struct dune_policy p;

	load_example(&p, "30-fault-counter.conf", "/usr/local/bin/fault-demo");
	cr_expect_eq(p.fault_action, POLICY_FAULT_HOOK);
	cr_expect_str_eq(p.fault_hook.symbol, "count_fault");
	cr_expect_eq(p.exceptions[13].action, POLICY_EXC_HOOK);
	cr_expect_str_eq(p.exceptions[13].hook.symbol, "count_fault");
	policy_free(&p);
}

Test(policy_examples, all_examples_read_together)
{
	struct dune_policy p;
	struct policy_error err;

	setenv("DUNE_POLICY_DIR", POLICY_EXAMPLES_DIR, 1);
	unsetenv("DUNE_POLICY");
	policy_init_default(&p);
	cr_assert_eq(policy_load_for(&p, "/opt/traced/python3", &err), 0, "%s", err.msg);
	/* Only the tracer is for /opt/traced. */
	cr_expect(rule(&p, SYS_openat)->trace);
	expect_rule(&p, SYS_socket, POLICY_SYS_ALLOW, 0);
	cr_expect_eq(p.fault_action, POLICY_FAULT_TRACE);
	policy_free(&p);
}
