/* vcpu.c: the host side of one vCPU: run, dispatch the exit, repeat. */
#include <errno.h>
#include <stdio.h>

#include "arch.h"
#include "backend.h"
#include "forward.h"
#include "guest.h"
#include "log.h"
#include "platform.h"
#include "rawsys.h"
#include "signals.h"

static void dump_regs(const struct guest_regs *r)
{
	dune_error("  rip %016llx rsp %016llx rflags %08llx", (unsigned long long)r->rip,
		   (unsigned long long)r->rsp, (unsigned long long)r->rflags);
	dune_error("  rax %016llx rbx %016llx rcx %016llx rdx %016llx", (unsigned long long)r->rax,
		   (unsigned long long)r->rbx, (unsigned long long)r->rcx, (unsigned long long)r->rdx);
	dune_error("  rsi %016llx rdi %016llx rbp %016llx r8  %016llx", (unsigned long long)r->rsi,
		   (unsigned long long)r->rdi, (unsigned long long)r->rbp, (unsigned long long)r->r8);
	dune_error("  r9  %016llx r10 %016llx r11 %016llx r12 %016llx", (unsigned long long)r->r9,
		   (unsigned long long)r->r10, (unsigned long long)r->r11, (unsigned long long)r->r12);
	dune_error("  r13 %016llx r14 %016llx r15 %016llx", (unsigned long long)r->r13,
		   (unsigned long long)r->r14, (unsigned long long)r->r15);
}

/* The guest's frame-pointer chain, read as the program's memory is read
 * (progmem.c): return addresses, no names. Not libunwind: on the host it
 * would walk memory the program controls and call through a GOT the
 * program can write (libunwind binds lazily), and a program that can make
 * the runtime die would choose where the host jumps. */
static void backtrace_guest(const struct guest_regs *r)
{
	uint64_t fp = r->rbp, frame[2]; /* saved rbp, return address */

	dune_error("  guest backtrace (frame pointers):");
	dune_error("    #0 %016llx", (unsigned long long)r->rip);
	for (int depth = 1; depth < 32 && fp; depth++) {
		if (guest_read(frame, fp, sizeof(frame)) != (long)sizeof(frame) || !frame[1])
			break;
		dune_error("    #%d %016llx", depth, (unsigned long long)frame[1]);
		if (frame[0] <= fp)
			break; /* callers' frames lie above: anything else is not a chain */
		fp = frame[0];
	}
}

void vcpu_die(struct guest *g, struct vcpu *v, const char *why)
{
	dune_error("%s (vCPU %llu, after %llu exits)", why, (unsigned long long)v->id,
		   (unsigned long long)v->exits);
	if (v->regs) {
		dump_regs(v->regs);
		g->backend->dump(v);
		backtrace_guest(v->regs);
	}
	raw_syscall1(SYS_exit_group, DUNE_EXIT_FAILURE);
	__builtin_unreachable();
}

void regs_resume_in_program(struct guest *g, struct guest_regs *r)
{
	uint64_t ring0_return = (uint64_t)g->stubs + STUB_SYSCALL_RING0 + STUB_EXIT_LEN;

	if (r->rip == ring0_return)
		r->rip = r->rcx; /* jmp *%rcx, flags untouched */
	else if (r->rip - (uint64_t)g->entry < PAGE_SIZE)
		platform_return_to_program(r);
}

/* An exit on a stub's port from anywhere but the stub's own out: where the
 * platform opens the port to CPL3, the program did it. Natively an out to a
 * port the process may not use raises #GP: SIGSEGV. */
static void exit_from_elsewhere(struct guest *g, struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	uint8_t op;

	/* A one-byte out (%dx form) ended one byte before where an imm8 one would. */
	if (g->platform.io_exit_past && guest_read(&op, r->rip + 1, 1) == 1 && (op == 0xee || op == 0xef))
		r->rip++;
	v->regs_dirty = true;
	exception_signal(g, v, 13, 0, 0, SIGSEGV);
}

/* The entry page's exit: the call in the registers; where its stub runs at
 * CPL3, the program resumes from the host (sysretq would fault there). */
static bool entry_exit(struct guest *g, struct vcpu *v)
{
	struct guest_regs *r = v->regs;

	if (r->rip == (uint64_t)g->entry + ENTRY_SYSCALL)
		platform_leave_stub(&g->platform, r, r->rip + STUB_EXIT_LEN);
	else if (r->rip == (uint64_t)g->stubs + STUB_SYSCALL_RING0)
		r->rip += STUB_EXIT_LEN; /* jmp *%rcx is next */
	else
		return false;
	v->regs_dirty = true;
	return true;
}

/* The hot path: keep it short, allocation-free and lock-free. */
void vcpu_loop(struct guest *g, struct vcpu *v)
{
	signal_set_mask(v->sig.start_mask); /* blocked while the thread was made */
	for (;;) {
		int kind; /* errno is the program's: nothing here sets it (startup_only.S) */
		struct guest_regs *r;
		uint64_t site;
		long nr;

		signal_deliver_pending(g, v);
		/* Set by the run (a syscall the backend ran was interrupted) or
		 * by syscall_handle below, for the next signal_deliver_pending. */
		v->sig.interrupted_nr = -1;
		forward_before_run(g, v);
		kind = g->backend->vcpu_run(v);
		r = v->regs;
		if (kind < 0)
			vcpu_die(g, v, "the guest stopped in a state dune cannot handle");
		v->stats.exits[kind]++;
		switch (kind) {
		case EXIT_SYSCALL_STUB:
			if (!entry_exit(g, v)) {
				exit_from_elsewhere(g, v);
				break;
			}
			/* The syscall instruction ended at rcx. */
			site = r->rcx - 2;
			nr = syscall_kernel_number(r->rax);
			forward_on_exit(g, v, nr);
			if (signal_before_syscall(v, nr))
				break; /* its handler first: the call is made again after it */
			syscall_handle(g, v);
			/* libgcc's unwinder knows __restore_rt by its syscall bytes */
			/* A denied number stays on the stub, where the guest decides it;
			 * a rewritten site would never reach the exitless stub. */
			if (g->cfg.rewrite && nr != SYS_rt_sigreturn && !forward_active(g) &&
			    policy_syscall(&g->policy, nr)->action == POLICY_SYS_ALLOW) {
				dune_lock(&g->lock);
				rewrite_site(g, v, site);
				dune_unlock(&g->lock);
			}
			break;
		case EXIT_SYSCALL_SITE:
			/* A rewritten site: do what the syscall instruction would have done. */
			r->rip += STUB_EXIT_LEN;
			r->rcx = r->rip;
			r->r11 = r->rflags;
			v->regs_dirty = true;
			if (signal_before_syscall(v, syscall_kernel_number(r->rax)))
				break;
			syscall_handle(g, v);
			break;
		case EXIT_EXCEPTION:
			if (r->rip != (uint64_t)g->stubs + STUB_EXC_COMMON) {
				exit_from_elsewhere(g, v);
				break;
			}
			r->rip += STUB_EXIT_LEN;
			v->regs_dirty = true;
			exception_handle(g, v);
			break;
		case EXIT_SYSCALL_EXITLESS:
			if (!forward_in_stub(v, r->rip) ||
			    r->rip - (uint64_t)v->fwd.code != FWD_TAKE_OVER) {
				exit_from_elsewhere(g, v);
				break;
			}
			forward_take_over(g, v);
			break;
		case EXIT_INTERRUPTED: /* in the exitless stub: signal_deliver_pending settles it */
			break;
		}
	}
}
