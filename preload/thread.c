/* thread.c: a new thread of the program gets a vCPU of its own in the same VM.
 *
 * The calling thread makes the vCPU (its GDT, TSS and IST stack, a host stack)
 * and then the host thread, with the program's own clone flags, so the kernel
 * sees an ordinary thread: same tid, TLS, and CLONE_*_SETTID/CLEARTID. The new
 * host thread runs the vCPU loop on its private stack.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "backend.h"
#include "cpu.h"
#include "forward.h"
#include "guest.h"
#include "lock.h"
#include "memory.h"
#include "rawsys.h"
#include "signals.h"

long dune_clone_thread(unsigned long flags, void *stack_top, uint64_t parent_tid,
		       uint64_t child_tid, uint64_t tls, void (*fn)(void *), void *arg);

static void thread_main(void *arg)
{
	struct vcpu *v = arg;

	v->host_tid = raw_syscall0(SYS_gettid);
	vcpu_loop(&dune_guest, v);
}

/* A pooled vCPU whose host thread is gone for good (its stack is free), or NULL. */
static struct vcpu *take_free_vcpu(struct guest *g)
{
	long pid = raw_syscall0(SYS_getpid);

	for (struct vcpu **p = &g->free_vcpus; *p; p = &(*p)->next_free) {
		struct vcpu *v = *p;

		if (!v->host_tid || raw_syscall3(SYS_tgkill, pid, v->host_tid, 0) == -ESRCH) {
			*p = v->next_free;
			return v;
		}
	}
	return NULL;
}

/* The report sums what every thread counted, the exited ones included. */
static void fold_stats(struct vcpu_stats *into, struct vcpu_stats *from)
{
	uint64_t *a = (uint64_t *)into, *b = (uint64_t *)from;

	for (size_t i = 0; i < sizeof(*into) / sizeof(uint64_t); i++)
		a[i] += b[i];
	memset(from, 0, sizeof(*from));
}

void thread_exiting(struct guest *g, struct vcpu *v)
{
	dune_lock(&g->lock);
	fold_stats(&g->exited_stats, &v->stats);
	v->next_free = g->free_vcpus;
	g->free_vcpus = v;
	dune_unlock(&g->lock);
}

long thread_create(struct guest *g, struct vcpu *parent, unsigned long flags, uint64_t newsp,
		   uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
	struct cpu_setup setup;
	struct guest_regs regs;
	struct vcpu *v;
	long tid;
	int r;

	if (!(flags & CLONE_THREAD) || !(flags & CLONE_SIGHAND))
		return -ENOSYS; /* shared memory without a shared thread group: not yet */
	dune_lock(&g->lock);
	v = take_free_vcpu(g);
	dune_unlock(&g->lock);
	if (!v) {
		v = raw_mmap(sizeof(*v), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		if (!v)
			return -EAGAIN;
		v->id = __atomic_add_fetch(&g->next_vcpu_id, 1, __ATOMIC_RELAXED);
		v->fd = -1;
		dune_lock(&g->lock);
		v->next_all = g->all_vcpus;
		g->all_vcpus = v;
		dune_unlock(&g->lock);
	}
	v->exits = 0;
	v->hook.frame = 0;
	v->libdune = NULL; /* the new thread calls dune_enter itself */
	memset(&v->stats, 0, sizeof(v->stats));
	v->fs_base = flags & CLONE_SETTLS ? tls : parent->fs_base;
	v->gs_base = parent->gs_base;

	regs = *parent->regs;
	regs.rax = 0;
	regs_resume_in_program(g, &regs);
	if (newsp)
		regs.rsp = newsp;

	forward_new_thread(v, parent, flags);
	dune_lock(&g->lock);
	r = cpu_setup_vcpu(g, v, &setup);
	if (!r && !v->host_stack && !(v->host_stack = mem_alloc_host_stack(g, v)))
		r = -ENOMEM;
	setup.xsave = g->setup->xsave;
	if (!r)
		r = v->fd < 0 ? g->backend->vcpu_create(v, &setup, &regs)
			      : g->backend->vcpu_reset(v, &setup, &regs);
	dune_unlock(&g->lock);
	if (r) {
		if (v->fd >= 0) /* keep what was made for the next thread */
			thread_exiting(g, v);
		return -EAGAIN;
	}

	memset(&v->sig, 0, sizeof(v->sig));
	v->sig.interrupted_nr = -1;
	__atomic_add_fetch(&g->live_threads, 1, __ATOMIC_ACQ_REL);
	/* The new thread starts with every signal blocked, until it runs its
	 * vCPU loop on its host stack, and then takes the program's mask. */
	v->sig.start_mask = signal_block_all();
	v->host_tid = 0;
	tid = dune_clone_thread(flags, v->host_stack + HOST_STACK_SIZE, parent_tid, child_tid,
				tls, thread_main, v);
	signal_set_mask(v->sig.start_mask);
	/* Listed in /proc/self/task from now on, as natively (procdir.c), even
	 * before the thread itself got to say so. */
	if (tid > 0)
		__atomic_compare_exchange_n(&v->host_tid, &(long){ 0 }, tid, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
	if (tid < 0) {
		__atomic_sub_fetch(&g->live_threads, 1, __ATOMIC_ACQ_REL);
		v->host_tid = 0; /* no thread ever ran it */
		thread_exiting(g, v);
	}
	return tid;
}
