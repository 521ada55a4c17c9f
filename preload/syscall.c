/* syscall.c: execute a guest's syscall on the host, on the same thread.
 *
 * Most calls pass straight through. Those that change what the guest must
 * mirror (the memory map, FS/GS) or that only dune can answer are handled here.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "backend.h"
#include "dune/dune.h"
#include "fds.h"
#include "procdir.h"
#include "forward.h"
#include "guest.h"
#include "loader.h"
#include "log.h"
#include "memory.h"
#include "rawsys.h"
#include "signals.h"
#include "spans.h"
#include "sysargs.h"

static int is_err(long r)
{
	return r < 0 && r > -4096;
}

static long query(struct guest *g, struct vcpu *v, uint64_t addr)
{
	struct dune_info info = {
		.magic = DUNE_INFO_MAGIC,
		.version = DUNE_INFO_VERSION,
		.cpl = (uint32_t)g->cfg.ring,
		.backend = g->backend->kind,
		.vcpu = v->id,
		.exits = v->exits,
	};

	if (!mem_user_access(g, addr, sizeof(info), PROT_WRITE))
		return -EFAULT;
	memcpy((void *)addr, &info, sizeof(info));
	return 0;
}

static long arch_prctl(struct guest *g, struct vcpu *v, long code, uint64_t addr)
{
	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (addr >= (1ull << 47))
			return -EPERM;
		*(code == ARCH_SET_FS ? &v->fs_base : &v->gs_base) = addr;
		v->sregs_dirty = true;
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		if (!mem_user_access(g, addr, 8, PROT_WRITE))
			return -EFAULT;
		*(uint64_t *)addr = code == ARCH_GET_FS ? v->fs_base : v->gs_base;
		return 0;
	default:
		return raw_syscall2(SYS_arch_prctl, code, addr);
	}
}

/* Mirror a memory-map change; losing track of the map would be unsafe. */
static void mirrored(struct guest *g, struct vcpu *v, int r)
{
	if (r)
		vcpu_die(g, v, "cannot mirror a change of the memory map into the guest");
}

static long shm_size(long id)
{
	struct shmid_ds ds;

	return raw_syscall3(SYS_shmctl, id, IPC_STAT, &ds) == 0 ? (long)ds.shm_segsz : 0;
}

/* munmap: the runtime's ranges in [addr, addr + len) are memory the process
 * does not have, which munmap skips without a word; the rest goes. */
static long unmap_program_parts(struct guest *g, struct vcpu *v, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)), at = addr;
	long ret;

	if (!spans_overlap(addr, len) || end <= addr) {
		ret = raw_syscall2(SYS_munmap, addr, len);
		if (ret == 0)
			mirrored(g, v, mem_unmapped(g, addr, len));
		return ret;
	}
	if ((addr & (PAGE_SIZE - 1)) || !len)
		return -EINVAL; /* what the kernel says first */
	while (at < end) {
		uint64_t s, e;

		if (!spans_next(at, end, &s, &e))
			s = e = end;
		if (s > at) {
			if ((ret = raw_syscall2(SYS_munmap, at, s - at)))
				return ret;
			mirrored(g, v, mem_unmapped(g, at, s - at));
		}
		at = e;
	}
	return 0;
}

/* The syscalls that change the memory map, each followed by its mirror. */
static long memory_syscall(struct guest *g, struct vcpu *v, long nr, long a1, long a2, long a3,
			   long a4, long a5, long a6)
{
	const struct vma *old;
	uint64_t end;
	long ret;

	switch (nr) {
	case SYS_mmap:
		ret = raw_syscall6(nr, a1, a2, a3, a4, a5, a6);
		if (!is_err(ret))
			mirrored(g, v, mem_mapped(g, ret, a2, (int)a3));
		return ret;
	case SYS_munmap:
		return unmap_program_parts(g, v, (uint64_t)a1, (uint64_t)a2);
	case SYS_mprotect:
	case SYS_pkey_mprotect:
		ret = raw_syscall6(nr, a1, a2, a3, a4, 0, 0);
		if (ret == 0)
			mirrored(g, v, mem_protected(g, a1, a2, (int)a3));
		else if (ret == -ENOMEM) /* it may have changed a part before the hole */
			mirrored(g, v, mem_reload(g, a1, a1 + a2));
		return ret;
	case SYS_mremap:
		ret = raw_syscall6(nr, a1, a2, a3, a4, a5, 0);
		if (!is_err(ret))
			mirrored(g, v, mem_remapped(g, a1, a2, ret, a3));
		return ret;
	case SYS_brk:
		ret = raw_syscall1(nr, a1);
		mirrored(g, v, mem_brk_moved(g, ret));
		return ret;
	case SYS_shmat:
		ret = raw_syscall3(nr, a1, a2, a3);
		if (!is_err(ret))
			mirrored(g, v, mem_reload(g, ret, ret + shm_size(a1)));
		return ret;
	case SYS_shmdt:
		old = vma_find(&g->vmas, a1);
		end = old ? old->end : (uint64_t)a1 + PAGE_SIZE;
		ret = raw_syscall1(nr, a1);
		if (ret == 0)
			mirrored(g, v, mem_reload(g, a1, end));
		return ret;
	default:
		return -ENOSYS;
	}
}

#define X32_SYSCALL_BIT 0x40000000L

void syscall_handle(struct guest *g, struct vcpu *v)
{
	long nr = syscall_kernel_number(v->regs->rax);
	const struct policy_syscall *rule;

	v->regs->rax = (uint64_t)nr; /* every handler below reads this number */

	if ((unsigned long)nr < NR_SYSCALLS_TRACKED)
		v->stats.syscalls[nr]++;
	/* libdune's requests, and every call of its user mode, are libdune's. */
	if (__builtin_expect(nr == DUNE_SYSCALL_LIBDUNE || v->libdune, 0) && libdune_syscall(g, v))
		return;
	/* dune's own calls are the runtime's business, not the policy's. */
	if (nr == DUNE_SYSCALL_QUERY) {
		v->regs->rax = (uint64_t)query(g, v, v->regs->rdi);
		v->regs_dirty = true;
		return;
	}
	if (nr == DUNE_SYSCALL_HOOK_RETURN) {
		hook_return(g, v); /* every register comes from the hook's frame */
		return;
	}
	/* x32 calls have a table of their own (execve among them) that the
	 * policy does not cover; Debian's kernels refuse them by default. */
	if (nr & X32_SYSCALL_BIT) {
		v->regs->rax = (uint64_t)-ENOSYS;
		v->regs_dirty = true;
		return;
	}
	rule = policy_syscall(&g->policy, nr);
	if (__builtin_expect(g->loader_phase, 0) && loader_syscall(g, v, nr, rule))
		return; /* ld.so's work, not the program's (loader.h) */
	if (__builtin_expect(rule->action != POLICY_SYS_ALLOW || rule->trace, 0))
		syscall_enforced(g, v, rule);
	else
		syscall_execute(g, v);
}

void syscall_execute(struct guest *g, struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	long nr = (long)r->rax;
	const long orig[6] = { (long)r->rdi, (long)r->rsi, (long)r->rdx,
			       (long)r->r10, (long)r->r8, (long)r->r9 };
	long a[6] = { orig[0], orig[1], orig[2], orig[3], orig[4], orig[5] };
	long a1, a2, a3, a4, a5, a6;
	long ret = sysargs_prepare(g, &v->argcopy, nr, a);

	if (ret)
		goto answered; /* refused: the call does not reach the kernel */
	a1 = a[0], a2 = a[1], a3 = a[2], a4 = a[3], a5 = a[4], a6 = a[5];
	switch (nr) {
	case SYS_exit_group:
		report_print(g);
		raw_syscall1(nr, a1);
		__builtin_unreachable();
	case SYS_exit:
		if (__atomic_sub_fetch(&g->live_threads, 1, __ATOMIC_ACQ_REL) == 0)
			report_print(g);
		else
			thread_exiting(g, v);
		raw_syscall1(nr, a1);
		__builtin_unreachable();
	case SYS_mmap:
	case SYS_munmap:
	case SYS_mprotect:
	case SYS_pkey_mprotect:
	case SYS_mremap:
	case SYS_brk:
	case SYS_shmat:
	case SYS_shmdt:
		/* Call and mirror as one step, or two threads could mirror their
		 * changes in the opposite order from the one the kernel made them. */
		dune_lock(&g->lock);
		ret = memory_syscall(g, v, nr, a1, a2, a3, a4, a5, a6);
		dune_unlock(&g->lock);
		break;
	case SYS_close:
		ret = fd_is_runtime(a1) ? -EBADF : raw_syscall1(nr, a1);
		break;
	case SYS_read:
	case SYS_pread64:
		ret = procdir_status_fd(a1) ? procdir_read_status(g, nr, a1, (char *)a2, a3, a4)
					    : raw_syscall6(nr, a1, a2, a3, a4, 0, 0);
		break;
	case SYS_readv:
	case SYS_preadv:
	case SYS_preadv2:
		ret = procdir_status_fd(a1) ? procdir_readv_status(g, nr, a1, (const struct iovec *)a2, a3, a4)
					    : raw_syscall6(nr, a1, a2, a3, a4, a5, a6);
		break;
	case SYS_getdents:
	case SYS_getdents64:
		ret = procdir_getdents(g, nr, a1, (void *)a2, a3);
		break;
	case SYS_close_range:
		ret = fd_close_range(a1, a2, a3);
		break;
	case SYS_dup2:
	case SYS_dup3:
		ret = fd_is_runtime(a2) ? -EBUSY : raw_syscall3(nr, a1, a2, a3);
		break;
	case SYS_rt_sigaction:
		ret = signal_sigaction(g, (int)a1, a2, a3, a4);
		break;
	case SYS_sigaltstack:
		ret = signal_sigaltstack(g, v, a1, a2);
		break;
	case SYS_rt_sigsuspend:
	case SYS_ppoll:
	case SYS_pselect6:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		ret = signal_masked_wait(g, v, nr, (const long[]){ a1, a2, a3, a4, a5, a6 });
		break;
	case SYS_rt_sigreturn:
		signal_return(g, v); /* every register comes from the frame */
		return;
	case SYS_arch_prctl:
		ret = arch_prctl(g, v, a1, a2);
		break;
	case SYS_fork:
		ret = fork_guest(g, v, SIGCHLD, 0, 0, 0, 0);
		break;
	case SYS_vfork:
		ret = fork_guest(g, v, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
		break;
	case SYS_clone:
		ret = fork_guest(g, v, a1, a2, a3, a4, a5);
		break;
	case SYS_execve:
	case SYS_execveat:
		ret = exec_guest(g, nr, a1, a2, a3, a4, a5);
		break;
	case SYS_clone3:
		ret = clone3_guest(g, v, a1, a2);
		break;
	default:
		ret = raw_syscall6(nr, a1, a2, a3, a4, a5, a6);
		break;
	}
	ret = sysargs_opened(nr, ret);
	sysargs_finish(nr, orig, a, ret);
answered:
	procdir_after(nr, orig, ret);
	if (ret == -EINTR) /* a handler runs next: restart it, or not */
		v->sig.interrupted_nr = (int)nr;
	forward_after_syscall(g, v, nr, orig, ret);
	v->regs->rax = ret; /* not r: a forked child has a new vCPU and registers */
	v->regs_dirty = true;
}
