/* thread.c: a new thread of the program gets a vCPU of its own in the same VM.
 *
 * The calling thread makes the vCPU (its GDT, TSS and IST stack, a host stack)
 * and then the host thread, with the program's own clone flags, so the kernel
 * sees an ordinary thread: same tid, TLS, and CLONE_*_SETTID/CLEARTID. The new
 * host thread runs the vCPU loop on its private stack.
 */
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>

#include "backend.h"
#include "cpu.h"
#include "guest.h"
#include "lock.h"
#include "memory.h"
#include "rawsys.h"

long dune_clone_thread(unsigned long flags, void *stack_top, uint64_t parent_tid,
		       uint64_t child_tid, uint64_t tls, void (*fn)(void *), void *arg);

static void thread_main(void *arg)
{
	vcpu_loop(&dune_guest, arg);
}

long thread_create(struct guest *g, struct vcpu *parent, unsigned long flags, uint64_t newsp,
		   uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
	struct cpu_setup setup;
	struct guest_regs regs;
	uint8_t *stack = NULL;
	struct vcpu *v;
	long p, tid;
	int r;

	if (!(flags & CLONE_THREAD) || !(flags & CLONE_SIGHAND))
		return -ENOSYS; /* shared memory without a shared thread group: not yet */
	p = raw_syscall6(SYS_mmap, 0, sizeof(*v), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		return -EAGAIN;
	v = (struct vcpu *)p;
	v->id = __atomic_add_fetch(&g->next_vcpu_id, 1, __ATOMIC_RELAXED);
	v->fs_base = flags & CLONE_SETTLS ? tls : parent->fs_base;
	v->gs_base = parent->gs_base;

	regs = *parent->regs;
	regs.rax = 0;
	regs_resume_in_program(g, &regs);
	if (newsp)
		regs.rsp = newsp;

	dune_lock(&g->lock);
	r = cpu_setup_vcpu(g, v, &setup);
	if (!r)
		stack = mem_alloc_reserved(g, HOST_STACK_SIZE, 0);
	setup.xsave = g->setup->xsave;
	if (!r && stack)
		r = g->backend->vcpu_create(v, &setup, &regs);
	dune_unlock(&g->lock);
	if (r || !stack)
		return -EAGAIN;

	__atomic_add_fetch(&g->live_threads, 1, __ATOMIC_ACQ_REL);
	tid = dune_clone_thread(flags, stack + HOST_STACK_SIZE, parent_tid, child_tid, tls,
				thread_main, v);
	if (tid < 0)
		__atomic_sub_fetch(&g->live_threads, 1, __ATOMIC_ACQ_REL);
	return tid;
}
