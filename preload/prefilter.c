/* prefilter.c: see prefilter.h. */
#include "prefilter.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

#include "rawsys.h"
#include "runtime.h"

#define X32_BIT 0x40000000u

/* The mark: a number no kernel implements, with this first argument,
 * answers EBADSLT where our filter is on. An x32 number, since the unused
 * ones of the 64-bit table are not all unused: on a PVM host 335 raises
 * SIGILL and 336 answers ENXIO. */
#define MARK_NR    (X32_BIT | 1000)
#define MARK_ARG   0x64756e65L /* "dune" */
#define MARK_ERRNO EBADSLT

/* What ld.so, libc's start-up, the runtime and libunwind call on their own
 * behalf, before and after entry. Not what the runtime makes only for the
 * program (execve, wait4...): where the policy refuses those, so may the
 * filter. */
static const short exempt[] = {
	SYS_read, SYS_write, SYS_open, SYS_openat, SYS_close, SYS_stat, SYS_fstat, SYS_lstat,
	SYS_newfstatat, SYS_statx, SYS_lseek, SYS_mmap, SYS_mprotect, SYS_munmap, SYS_brk,
	SYS_madvise, SYS_mincore, SYS_msync, SYS_rt_sigaction, SYS_rt_sigprocmask,
	SYS_rt_sigreturn, SYS_rt_sigpending, SYS_rt_sigtimedwait, SYS_rt_tgsigqueueinfo,
	SYS_sigaltstack, SYS_ioctl, SYS_pread64, SYS_pwrite64, SYS_access, SYS_faccessat,
	SYS_faccessat2, SYS_dup, SYS_dup2, SYS_dup3, SYS_fcntl, SYS_close_range, SYS_getpid,
	SYS_gettid, SYS_clone, SYS_clone3, SYS_exit, SYS_exit_group,
	SYS_tgkill, SYS_futex, SYS_arch_prctl, SYS_prctl, SYS_set_tid_address,
	SYS_set_robust_list, SYS_rseq, SYS_prlimit64, SYS_getrlimit, SYS_getrandom,
	SYS_clock_gettime, SYS_sched_yield, SYS_sched_getaffinity, SYS_readlink,
	SYS_readlinkat, SYS_getdents64, SYS_uname, SYS_process_vm_readv, SYS_process_vm_writev,
	SYS_shmctl, SYS_fgetxattr, SYS_fstatfs, SYS_getuid, SYS_geteuid, SYS_getgid,
	SYS_getegid, SYS_getcwd, SYS_pipe, SYS_pipe2,
};

bool prefilter_exempt(long nr)
{
	return syscall_listed(exempt, sizeof(exempt) / sizeof(exempt[0]), nr);
}

/* The filter's answer to nr: SECCOMP_RET_ALLOW, or what refuses it. */
static uint32_t answer(const struct dune_policy *p, long nr)
{
	const struct policy_syscall *rule;

	if (prefilter_exempt(nr))
		return SECCOMP_RET_ALLOW;
	if (nr >= dune_syscall_count || !dune_syscall_names[nr])
		return SECCOMP_RET_ERRNO | ENOSYS; /* as sysargs.c answers it */
	rule = policy_syscall(p, nr);
	if (rule->action == POLICY_SYS_KILL)
		return SECCOMP_RET_KILL_PROCESS;
	if (rule->action == POLICY_SYS_DENY)
		return SECCOMP_RET_ERRNO | (rule->err ? rule->err & SECCOMP_RET_DATA : EPERM);
	return SECCOMP_RET_ALLOW;
}

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(v)      BPF_STMT(BPF_RET | BPF_K, (v))
/* if A == k: the next instruction, else the one after it */
#define IF_EQ(k)    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), 0, 1)
#define IF_GE(k)    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), 0, 1)

int prefilter_build(const struct dune_policy *p, struct sock_filter *out, int max)
{
	int n = 0;

#define EMIT(...)                                              \
	do {                                                   \
		struct sock_filter ins_[] = { __VA_ARGS__ };   \
		if (n + (int)(sizeof(ins_) / sizeof(ins_[0])) > max) \
			return -E2BIG;                         \
		for (size_t i_ = 0; i_ < sizeof(ins_) / sizeof(ins_[0]); i_++) \
			out[n++] = ins_[i_];                   \
	} while (0)

	EMIT(LOAD(arch), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	     RET(SECCOMP_RET_ERRNO | ENOSYS)); /* int 0x80: the i386 table */
	EMIT(LOAD(nr), IF_EQ(MARK_NR), BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0)); /* the mark, below */
	EMIT(IF_GE(X32_BIT), RET(SECCOMP_RET_ERRNO | ENOSYS));
	/* Every number up to the table's end that is not simply allowed. */
	for (long nr = 0; nr < dune_syscall_count; nr++) {
		uint32_t a = answer(p, nr);

		if (a != SECCOMP_RET_ALLOW)
			EMIT(IF_EQ((uint32_t)nr), RET(a));
	}
	EMIT(IF_GE((uint32_t)dune_syscall_count), RET(SECCOMP_RET_ERRNO | ENOSYS),
	     RET(SECCOMP_RET_ALLOW));
	/* The mark: MARK_NR answers MARK_ERRNO for MARK_ARG, ENOSYS otherwise. */
	out[5].k = (uint32_t)(n - 6); /* the JA after IF_EQ(MARK_NR) lands here */
	EMIT(LOAD(args[0]), IF_EQ((uint32_t)MARK_ARG), RET(SECCOMP_RET_ERRNO | MARK_ERRNO),
	     RET(SECCOMP_RET_ERRNO | ENOSYS));
	return n;
#undef EMIT
}

bool prefilter_present(void)
{
	return raw_syscall1(MARK_NR, MARK_ARG) == -MARK_ERRNO;
}

/* The calls every restricting policy refuses unless it allows them by name
 * (policy/resolve.c): a policy that refuses only those traces or counts. */
static bool deferred_work(long nr)
{
	return nr == SYS_io_setup || nr == SYS_io_submit || nr == SYS_io_uring_setup ||
	       nr == SYS_io_uring_enter || nr == SYS_io_uring_register;
}

bool prefilter_needed(const struct dune_policy *p)
{
	for (long nr = 0; nr < dune_syscall_count; nr++)
		if (dune_syscall_names[nr] && !prefilter_exempt(nr) && !deferred_work(nr) &&
		    policy_syscall(p, nr)->action != POLICY_SYS_ALLOW)
			return true;
	return false;
}

int prefilter_install(const struct dune_policy *p)
{
	static struct sock_filter insns[PREFILTER_MAX];
	struct sock_fprog prog;
	int n;
	long r;

	if (!prefilter_needed(p) || prefilter_present())
		return 0;
	n = prefilter_build(p, insns, PREFILTER_MAX);
	if (n < 0)
		return n;
	prog.len = (unsigned short)n;
	prog.filter = insns;
	if ((r = raw_syscall6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0)))
		return (int)r;
	return (int)raw_syscall3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
