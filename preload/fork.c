/* fork.c: a forked child gets a VM of its own.
 *
 * After fork, the child's copies of the parent's KVM descriptors answer EIO,
 * but its memory is a copy of the parent's, page tables and runtime included.
 * So the child makes a new VM over the same covered ranges and a vCPU that
 * goes on from the parent's registers, and runs in the guest like its parent.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "backend.h"
#include "forward.h"
#include "guest.h"
#include "log.h"
#include "memory.h"
#include "rawsys.h"
#include "spans.h"
#include "signals.h"

long fork_guest(struct guest *g, struct vcpu *v, unsigned long flags, uint64_t newsp,
		uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
	struct guest_regs regs;
	struct cpu_setup setup;
	uint64_t mask;
	long pid;
	int r;

	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
		return thread_create(g, v, flags, newsp, parent_tid, child_tid, tls);
	if ((r = g->backend->fork_prepare(v)))
		return r;
	regs = *v->regs;
	mask = signal_block_all(); /* no handler until the child's vCPU exists */
	/* vfork becomes fork: the child cannot borrow the parent's memory, since
	 * its VM needs an address space of its own. The host child keeps running
	 * on its copy of the host stack; the guest's stack and TLS are applied
	 * to the child's vCPU below. */
	alloc_fork_prepare();
	pid = raw_syscall6(SYS_clone, flags & ~(CLONE_VM | CLONE_VFORK | CLONE_SETTLS), 0,
			   parent_tid, child_tid, 0, 0);
	alloc_fork_done();
	if (pid != 0) {
		signal_set_mask(mask);
		return pid;
	}

	v->host_tid = raw_syscall0(SYS_gettid); /* the child's own thread (procdir.c lists it) */
	progmem_after_fork();
	regs.rax = 0;
	regs_resume_in_program(g, &regs);
	if (newsp)
		regs.rsp = newsp;
	if (flags & CLONE_SETTLS)
		v->fs_base = tls;
	setup = *g->setup;
	if (v->fwd.code) /* the forking thread's own exitless stub */
		setup.lstar = (uint64_t)v->fwd.code;
	setup.fs_base = v->fs_base;
	setup.gs_base = v->gs_base;
	memset(&v->stats, 0, sizeof(v->stats));
	v->exits = 0;
	g->start_ns = raw_now_ns();
	g->start_tsc = __builtin_ia32_rdtsc();
	g->live_threads = 1;
	g->lock.held = 0; /* only this thread survives fork */
	g->free_vcpus = NULL; /* the parent's vCPUs */
	g->all_vcpus = v;
	v->next_all = NULL;
	memset(&g->exited_stats, 0, sizeof(g->exited_stats));
	rewrite_after_fork();
	enforce_after_fork(g);
	forward_after_fork(g, v);
	r = g->backend->fork_child(v, &g->covered, &setup, &regs);
	if (r)
		dune_fatal("cannot make a VM for a forked child: %s", strerror(-r));
	memset(&v->sig, 0, sizeof(v->sig)); /* a child starts with nothing pending */
	v->sig.interrupted_nr = -1;
	signal_set_mask(mask);
	return 0;
}

/* clone3 takes its arguments from memory; what legacy clone can express is
 * done as clone. The rest (set_tid, cgroups) answers ENOSYS, on which libc
 * falls back to clone. */
long clone3_guest(struct guest *g, struct vcpu *v, uint64_t args, uint64_t size)
{
	struct clone_args ca = { 0 };
	uint64_t flags, parent_tid;
	long r;

	if (size < CLONE_ARGS_SIZE_VER0 || size > PAGE_SIZE)
		return -EINVAL;
	if (!mem_user_access(g, args, size, PROT_READ))
		return -EFAULT;
	memcpy(&ca, (const void *)args, size < sizeof(ca) ? size : sizeof(ca));
	for (uint64_t i = sizeof(ca); i < size; i++)
		if (((const uint8_t *)args)[i])
			return -E2BIG;
	if (ca.set_tid || ca.set_tid_size || ca.cgroup ||
	    (ca.flags & (CLONE_INTO_CGROUP | CLONE_CLEAR_SIGHAND)) ||
	    ((ca.flags & CLONE_PIDFD) && (ca.flags & CLONE_PARENT_SETTID)))
		return -ENOSYS;
	if (ca.exit_signal & ~(uint64_t)CSIGNAL || (ca.flags & CSIGNAL))
		return -EINVAL;
	flags = ca.flags | ca.exit_signal;
	if ((r = enforce_refused(g, SYS_clone, (const long[6]){ (long)flags })))
		return r;
	parent_tid = flags & CLONE_PIDFD ? ca.pidfd : ca.parent_tid;
	/* The kernel stores the ids there: never into the runtime (sysargs.h). */
	if ((parent_tid && spans_overlap(parent_tid, 4)) || (ca.child_tid && spans_overlap(ca.child_tid, 4)))
		return -EFAULT;
	return fork_guest(g, v, flags, ca.stack ? ca.stack + ca.stack_size : 0, parent_tid,
			  ca.child_tid, ca.tls);
}
