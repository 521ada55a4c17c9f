// SPDX-License-Identifier: GPL-2.0
/*
 * syscall.c: the fast path, a guest syscall executed here on the thread's behalf.
 *
 * The kernel exports no way to call a syscall by number, so the dispatcher is
 * found once at load through kallsyms, whose lookup function is found through
 * a kprobe on it (no System.map, and it works with KASLR). Without it, every
 * syscall goes back to the runtime, which still works, only slower.
 *
 * The runtime names the calls it lets the module run (DUNE_SET_FASTPATH);
 * the ones below depend on the syscall entry frame of the thread (its user
 * registers, its return to user mode) and always go back to the runtime.
 */
#define pr_fmt(fmt) "dune: " fmt

#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <asm/segment.h>
#include <asm/unistd.h>

#include "dune.h"

typedef long (*dispatch_fn)(const struct pt_regs *regs, unsigned int nr);
typedef long (*syscall_fn)(const struct pt_regs *regs);

static dispatch_fn x64_dispatch;
static const syscall_fn *table;

static const unsigned int never_fast[] = {
	__NR_rt_sigreturn, __NR_clone, __NR_clone3, __NR_fork, __NR_vfork,
	__NR_execve, __NR_execveat, __NR_exit, __NR_exit_group,
	__NR_sigaltstack, __NR_rt_sigsuspend, __NR_ppoll, __NR_pselect6,
	__NR_epoll_pwait, __NR_epoll_pwait2, __NR_io_pgetevents,
	__NR_arch_prctl, __NR_iopl, __NR_ioperm, __NR_modify_ldt,
	__NR_restart_syscall, __NR_ptrace, __NR_seccomp,
};

static unsigned long lookup_symbol(const char *name)
{
	static unsigned long (*lookup)(const char *name);

	if (!lookup) {
		struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };

		if (register_kprobe(&kp) < 0)
			return 0;
		lookup = (void *)kp.addr;
		unregister_kprobe(&kp);
	}
	return lookup ? lookup(name) : 0;
}

int dune_syscall_init(void)
{
	/* An indirect call to a function without an ENDBR would trap under IBT. */
	if (IS_ENABLED(CONFIG_X86_KERNEL_IBT) && cpu_feature_enabled(X86_FEATURE_IBT)) {
		pr_info("IBT is on: syscalls go back to the runtime (no fast path)\n");
		return -EOPNOTSUPP;
	}
	x64_dispatch = (dispatch_fn)lookup_symbol("x64_sys_call");
	if (!x64_dispatch)
		table = (const syscall_fn *)lookup_symbol("sys_call_table");
	if (!x64_dispatch && !table) {
		pr_info("cannot find the syscall dispatcher: syscalls go back to the runtime (no fast path)\n");
		return -ENOENT;
	}
	return 0;
}

bool dune_syscall_fast(struct dune_vm *vm, u64 nr)
{
	if (nr >= min(NR_syscalls, DUNE_FASTPATH_BITS) || !test_bit(nr, vm->fastpath))
		return false;
	for (unsigned int i = 0; i < ARRAY_SIZE(never_fast); i++)
		if (nr == never_fast[i])
			return false;
	return x64_dispatch || table;
}

bool dune_syscall_run(struct dune_guest_regs *g)
{
	unsigned int nr = g->r.rax;
	struct pt_regs regs = {
		.di = g->r.rdi, .si = g->r.rsi, .dx = g->r.rdx,
		.r10 = g->r.r10, .r8 = g->r.r8, .r9 = g->r.r9,
		.ax = -ENOSYS, .orig_ax = nr,
		.ip = g->r.rip, .sp = g->r.rsp, .flags = g->r.rflags,
		.cs = __USER_CS, .ss = __USER_DS,
	};
	long ret;

	ret = x64_dispatch ? x64_dispatch(&regs, nr) : table[nr](&regs);
	/* Interrupted by a signal: the runtime delivers it to the guest and
	 * restarts the call, or not, by the rules of the guest's handler. */
	if (ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK) {
		g->r.rax = -EINTR;
		return false;
	}
	g->r.rax = ret;
	return true;
}
