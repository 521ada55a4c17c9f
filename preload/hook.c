/* hook.c: the policy's fault hooks (include/dune/hooks.h), run in the guest.
 *
 * A hook may fix the cause of a fault (mprotect a page, map one), and its
 * syscalls must then change the guest's view like the program's own, so it
 * runs in the guest, at the program's CPL, like a signal handler: the runtime
 * puts a struct dune_hook_fault on the program's stack, below the red zone,
 * and resumes the program in the hook with rdi = rbx = that struct and a
 * return address in the runtime's copy of hookret.S (cpu.c), whose private
 * syscall brings the result back here. The program's FPU state and signal
 * mask are the runtime's to keep meanwhile: the hook runs with every signal
 * blocked.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "backend.h"
#include "cpu.h"
#include "guest.h"
#include "memory.h"
#include "rawsys.h"
#include "signals.h"

#define RED_ZONE 128
/* rflags a hook may change: CF PF AF ZF SF TF DF OF AC */
#define RFLAGS_HOOK 0x40dd5ull
/* ...and those a function starts without: TF DF AC */
#define RFLAGS_CALL_CLEAR 0x40500ull

static void regs_to_hook(const struct guest_regs *r, struct dune_hook_regs *h)
{
	h->rax = r->rax, h->rbx = r->rbx, h->rcx = r->rcx, h->rdx = r->rdx;
	h->rsi = r->rsi, h->rdi = r->rdi, h->rbp = r->rbp, h->rsp = r->rsp;
	h->r8 = r->r8, h->r9 = r->r9, h->r10 = r->r10, h->r11 = r->r11;
	h->r12 = r->r12, h->r13 = r->r13, h->r14 = r->r14, h->r15 = r->r15;
	h->rip = r->rip, h->rflags = r->rflags;
}

static void hook_to_regs(const struct dune_hook_regs *h, struct guest_regs *r)
{
	r->rax = h->rax, r->rbx = h->rbx, r->rcx = h->rcx, r->rdx = h->rdx;
	r->rsi = h->rsi, r->rdi = h->rdi, r->rbp = h->rbp, r->rsp = h->rsp;
	r->r8 = h->r8, r->r9 = h->r9, r->r10 = h->r10, r->r11 = h->r11;
	r->r12 = h->r12, r->r13 = h->r13, r->r14 = h->r14, r->r15 = h->r15;
	r->rip = h->rip, r->rflags = h->rflags;
}

void hook_call(struct guest *g, struct vcpu *v, int vector, uint64_t error, uint64_t addr,
	       int signo)
{
	dune_hook_fn fn = enforce_hook(vector);
	struct dune_hook_fault *f;
	struct guest_regs regs;
	uint64_t frame, sp;

	/* hooks.h: a fault inside a hook kills the process with its signal. */
	if (v->hook.frame || !fn || program_regs_get(g, v, &regs))
		die_by_signal(g, signo);
	frame = (regs.rsp - RED_ZONE - sizeof(*f)) & ~15ull;
	sp = frame - 8; /* the return address: at the hook's entry, rsp + 8 is 16-aligned */
	if (!mem_user_access(g, sp, regs.rsp - sp, PROT_READ | PROT_WRITE) ||
	    g->backend->save_fpu(v, v->hook.fpu))
		die_by_signal(g, signo);

	f = (struct dune_hook_fault *)frame;
	memset(f, 0, sizeof(*f));
	f->version = DUNE_HOOKS_VERSION;
	f->size = sizeof(*f);
	f->vector = (uint32_t)vector;
	f->signo = signo;
	f->error_code = error;
	f->addr = addr;
	regs_to_hook(&regs, &f->regs);
	*(uint64_t *)sp = cpu_hook_return();

	v->hook.frame = frame;
	v->hook.rflags = regs.rflags;
	v->hook.vector = vector;
	v->hook.error = error;
	v->hook.addr = addr;
	v->hook.mask = signal_block_all();

	regs.rip = (uint64_t)fn;
	regs.rdi = frame;
	regs.rbx = frame;
	regs.rsp = sp;
	regs.rflags &= ~RFLAGS_CALL_CLEAR;
	program_regs_set(g, v, &regs);
}

void hook_return(struct guest *g, struct vcpu *v)
{
	struct dune_hook_fault f;
	struct guest_regs regs;
	int result = (int)v->regs->rdi, signo;
	uint64_t frame = v->hook.frame;

	if (!frame) { /* not from a hook: the call does not exist */
		v->regs->rax = (uint64_t)-ENOSYS;
		v->regs_dirty = true;
		return;
	}
	v->hook.frame = 0;
	if (!mem_user_access(g, frame, sizeof(f), PROT_READ))
		die_by_signal(g, SIGSEGV);
	memcpy(&f, (const void *)frame, sizeof(f));
	if (g->backend->load_fpu(v, v->hook.fpu))
		vcpu_die(g, v, "cannot restore the FPU state after a hook");
	hook_to_regs(&f.regs, &regs);
	regs.rflags = (v->hook.rflags & ~RFLAGS_HOOK) | (regs.rflags & RFLAGS_HOOK);
	signo = f.signo >= 1 && f.signo <= 64 ? f.signo : SIGSEGV;
	signal_set_mask(v->hook.mask);

	switch (result) {
	case DUNE_HOOK_RETRY:
		program_regs_set(g, v, &regs);
		return;
	case DUNE_HOOK_SKIP:
		regs.rip += f.insn_len;
		program_regs_set(g, v, &regs);
		return;
	case DUNE_HOOK_SIGNAL:
		program_regs_set(g, v, &regs);
		exception_signal(g, v, v->hook.vector, v->hook.error, v->hook.addr, signo);
		return;
	default: /* DUNE_HOOK_KILL, and anything else */
		die_by_signal(g, signo);
	}
}
