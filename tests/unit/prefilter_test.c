/* prefilter_test.c: the seccomp filter built from a policy, run on recorded
 * syscalls by a small classic-BPF interpreter (the instructions it emits). */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "prefilter.h"

static struct sock_filter prog[PREFILTER_MAX];
static int prog_len;

static void build(const char *text)
{
	struct dune_policy p;
	struct policy_error err;

	policy_init_default(&p);
	cr_assert_eq(policy_parse_buffer(&p, "test.conf", text, strlen(text), &err), 0, "%s", err.msg);
	prog_len = prefilter_build(&p, prog, PREFILTER_MAX);
	cr_assert_gt(prog_len, 0);
	policy_free(&p);
}

/* What the kernel would answer: the filter's return value. */
static uint32_t run(uint32_t arch, uint32_t nr, uint64_t arg0)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch, .args = { arg0 } };
	uint32_t a = 0;

	for (int pc = 0; pc < prog_len; pc++) {
		const struct sock_filter *i = &prog[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert_leq(i->k + 4, sizeof(d));
			memcpy(&a, (const char *)&d + i->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JA:
			pc += (int)i->k;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			cr_assert_fail("instruction %#x at %d", i->code, pc);
		}
	}
	cr_assert_fail("ran off the end");
	return 0;
}

#define X64 AUDIT_ARCH_X86_64

Test(prefilter, denied_and_killed_numbers_answer_as_the_policy)
{
	build("[syscalls]\ndeny = mkdir, mkdirat\ndeny.EACCES = unlink\nkill = ptrace\n");
	cr_expect_eq(run(X64, SYS_mkdir, 0), SECCOMP_RET_ERRNO | EPERM);
	cr_expect_eq(run(X64, SYS_mkdirat, 0), SECCOMP_RET_ERRNO | EPERM);
	cr_expect_eq(run(X64, SYS_unlink, 0), SECCOMP_RET_ERRNO | EACCES);
	cr_expect_eq(run(X64, SYS_ptrace, 0), SECCOMP_RET_KILL_PROCESS);
	cr_expect_eq(run(X64, SYS_getppid, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(run(X64, SYS_rmdir, 0), SECCOMP_RET_ALLOW);
}

Test(prefilter, the_runtimes_own_calls_stay_allowed)
{
	build("[syscalls]\ndefault = deny\nallow = getpid\n");
	cr_expect_eq(run(X64, SYS_ioctl, 0), SECCOMP_RET_ALLOW, "KVM_RUN");
	cr_expect_eq(run(X64, SYS_mmap, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(run(X64, SYS_openat, 0), SECCOMP_RET_ALLOW, "ld.so");
	cr_expect_eq(run(X64, SYS_futex, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(run(X64, SYS_socket, 0), SECCOMP_RET_ERRNO | EPERM);
	cr_expect_eq(run(X64, SYS_getpid, 0), SECCOMP_RET_ALLOW);
	cr_expect(prefilter_exempt(SYS_ioctl) && !prefilter_exempt(SYS_mkdir));
	cr_expect_eq(run(X64, SYS_execve, 0), SECCOMP_RET_ERRNO | EPERM,
		     "the runtime execs only for the program");
}

/* The other tables, and numbers no header names, are ENOSYS, as under dune. */
Test(prefilter, other_entry_points_and_unknown_numbers_are_enosys)
{
	build("[syscalls]\ndeny = mkdir\n");
	cr_expect_eq(run(AUDIT_ARCH_I386, 39 /* i386 mkdir */, 0), SECCOMP_RET_ERRNO | ENOSYS);
	cr_expect_eq(run(X64, 0x40000000u | SYS_mkdir, 0), SECCOMP_RET_ERRNO | ENOSYS, "x32");
	cr_expect_eq(run(X64, 0xffffffffu, 0), SECCOMP_RET_ERRNO | ENOSYS);
	cr_expect_eq(run(X64, 335, 0), SECCOMP_RET_ERRNO | ENOSYS, "a gap in the table");
	cr_expect_eq(run(X64, 5000, 0), SECCOMP_RET_ERRNO | ENOSYS);
}

/* An inherited filter is known by its mark, which answers nothing else. */
Test(prefilter, the_mark_answers_only_its_argument)
{
	build("[syscalls]\ndeny = mkdir\n");
	cr_expect_eq(run(X64, 0x40000000u | 1000, 0x64756e65), SECCOMP_RET_ERRNO | EBADSLT);
	cr_expect_eq(run(X64, 0x40000000u | 1000, 1), SECCOMP_RET_ERRNO | ENOSYS);
	cr_expect(!prefilter_present(), "no filter of ours on the test process");
}

Test(prefilter, a_policy_that_denies_everything_fits)
{
	build("[syscalls]\ndefault = kill\n");
	cr_expect_lt(prog_len, PREFILTER_MAX);
	cr_expect_eq(run(X64, SYS_mkdir, 0), SECCOMP_RET_KILL_PROCESS);
	cr_expect_eq(run(X64, SYS_read, 0), SECCOMP_RET_ALLOW);
}

Test(prefilter, a_policy_that_refuses_nothing_needs_none)
{
	struct dune_policy p;
	struct policy_error err;
	const char *trace = "[syscalls]\ndefault = trace\n", *deny = "[syscalls]\ndeny = mkdir\n";

	policy_init_default(&p);
	cr_assert_eq(policy_parse_buffer(&p, "t.conf", trace, strlen(trace), &err), 0, "%s", err.msg);
	cr_expect(!prefilter_needed(&p));
	policy_free(&p);
	policy_init_default(&p);
	cr_assert_eq(policy_parse_buffer(&p, "d.conf", deny, strlen(deny), &err), 0, "%s", err.msg);
	cr_expect(prefilter_needed(&p));
	policy_free(&p);
}
