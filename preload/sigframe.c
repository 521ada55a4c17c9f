/* sigframe.c: the kernel's x86-64 signal frame, made and undone by the runtime.
 *
 * The layout is Linux's rt_sigframe, so that code which reads it (libgcc's
 * unwinder, handlers that look at uc_mcontext, siglongjmp) sees what it sees
 * natively: the return address, the ucontext with the sigcontext and the
 * mask, the siginfo, and the XSAVE image of the FPU state above them.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "arch.h"
#include "backend.h"
#include "cpu.h"
#include "guest.h"
#include "memory.h"
#include "rawsys.h"
#include "signals.h"

struct rt_sigframe {
	uint64_t pretcode; /* sa_restorer: the handler returns into it */
	struct kernel_ucontext uc;
	siginfo_t info;
};

_Static_assert(sizeof(mcontext_t) == 256, "sigcontext size");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "rt_sigframe layout");

#define UC_FP_XSTATE         0x1
#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4

/* The software-reserved bytes of the FXSAVE area that say an XSAVE image
 * follows, marked by FP_XSTATE_MAGIC1 (and MAGIC2 after it). */
#define FPX_SW_OFFSET    464
struct fpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size; /* xstate_size + the trailing MAGIC2 */
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};

#define XSAVE_LEGACY   512
#define XSAVE_MAX      4096 /* what KVM_GET_XSAVE holds */
#define MXCSR_OFFSET   24
#define MXCSR_MASK_OFFSET 28

/* The rflags a sigreturn may change (the kernel's FIX_EFLAGS) and those a
 * handler starts without (DF, TF, RF). */
#define RFLAGS_RESTORED 0x50dd5ull
#define RFLAGS_HANDLER_CLEAR 0x10500ull

static uint64_t xfeatures(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* The size of the XSAVE image for the enabled features: asked once, since
 * CPUID leaves the VM where the runtime itself runs in one. */
static uint32_t xstate_size(void)
{
	static uint32_t size;

	if (!size) {
		size = host_cpuid(0xd, 0).ebx;
		if (size < XSAVE_LEGACY + 64 || size > XSAVE_MAX)
			size = XSAVE_MAX;
	}
	return size;
}

int altstack_holds(const stack_t *ss, uint64_t sp)
{
	return !(ss->ss_flags & SS_DISABLE) && ss->ss_size && sp > (uint64_t)ss->ss_sp &&
	       sp - (uint64_t)ss->ss_sp <= ss->ss_size;
}

static void regs_to_mcontext(const struct guest_regs *r, int cpl, mcontext_t *m)
{
	greg_t *gr = m->gregs;

	gr[REG_R8] = r->r8, gr[REG_R9] = r->r9, gr[REG_R10] = r->r10, gr[REG_R11] = r->r11;
	gr[REG_R12] = r->r12, gr[REG_R13] = r->r13, gr[REG_R14] = r->r14, gr[REG_R15] = r->r15;
	gr[REG_RDI] = r->rdi, gr[REG_RSI] = r->rsi, gr[REG_RBP] = r->rbp, gr[REG_RBX] = r->rbx;
	gr[REG_RDX] = r->rdx, gr[REG_RAX] = r->rax, gr[REG_RCX] = r->rcx, gr[REG_RSP] = r->rsp;
	gr[REG_RIP] = r->rip, gr[REG_EFL] = r->rflags;
	/* cs, gs, fs, ss as Linux packs them */
	gr[REG_CSGSFS] = cpl == 3 ? SEL_USER_CS | (uint64_t)SEL_USER_DS << 48
				  : SEL_KERNEL_CS | (uint64_t)SEL_KERNEL_DS << 48;
}

static void mcontext_to_regs(const mcontext_t *m, struct guest_regs *r)
{
	const greg_t *gr = m->gregs;

	r->r8 = gr[REG_R8], r->r9 = gr[REG_R9], r->r10 = gr[REG_R10], r->r11 = gr[REG_R11];
	r->r12 = gr[REG_R12], r->r13 = gr[REG_R13], r->r14 = gr[REG_R14], r->r15 = gr[REG_R15];
	r->rdi = gr[REG_RDI], r->rsi = gr[REG_RSI], r->rbp = gr[REG_RBP], r->rbx = gr[REG_RBX];
	r->rdx = gr[REG_RDX], r->rax = gr[REG_RAX], r->rcx = gr[REG_RCX], r->rsp = gr[REG_RSP];
	r->rip = gr[REG_RIP];
	r->rflags = (r->rflags & ~RFLAGS_RESTORED) | (gr[REG_EFL] & RFLAGS_RESTORED);
}

int sigframe_push(struct guest *g, struct vcpu *v, struct guest_regs *regs,
		  const siginfo_t *info, const struct ksigaction *act, uint64_t saved_mask,
		  const struct fault_context *fc)
{
	uint8_t xsave[XSAVE_MAX] __attribute__((aligned(64)));
	uint32_t fsize = xstate_size();
	struct fpx_sw_bytes sw = {
		.magic1 = FP_XSTATE_MAGIC1,
		.extended_size = fsize + 4,
		.xfeatures = xfeatures(),
		.xstate_size = fsize,
	};
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	struct rt_sigframe *f;
	uint64_t sp, fp, frame;
	int was_on, entering = 0;
	stack_t ss;

	if (!(act->flags & SA_RESTORER))
		return -EFAULT; /* x86-64 has no default return path */
	raw_syscall2(SYS_sigaltstack, 0, &ss);
	was_on = altstack_holds(&ss, regs->rsp);
	sp = regs->rsp - 128; /* the red zone */
	if ((act->flags & SA_ONSTACK) && !(ss.ss_flags & SS_DISABLE) && ss.ss_size && !was_on) {
		sp = (uint64_t)ss.ss_sp + ss.ss_size;
		entering = 1;
	}
	fp = (sp - fsize - 4) & ~63ull;
	frame = ((fp - sizeof(*f)) & ~15ull) - 8; /* as if called: rsp + 8 is 16-aligned */
	if ((was_on || entering) && !altstack_holds(&ss, frame))
		return -EFAULT; /* it would overflow the alternate stack */
	if (!mem_user_access(g, frame, fp + fsize + 4 - frame, PROT_WRITE))
		return -EFAULT;
	if (g->backend->save_fpu(v, xsave))
		vcpu_die(g, v, "cannot read the guest's FPU state for a signal frame");

	memcpy((void *)fp, xsave, fsize);
	memcpy((void *)(fp + FPX_SW_OFFSET), &sw, sizeof(sw));
	memcpy((void *)(fp + fsize), &magic2, 4);

	f = (struct rt_sigframe *)frame;
	memset(f, 0, sizeof(*f));
	f->pretcode = act->restorer;
	f->uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f->uc.uc_stack.ss_sp = ss.ss_sp;
	f->uc.uc_stack.ss_size = ss.ss_size;
	f->uc.uc_stack.ss_flags = (ss.ss_flags & SS_DISABLE) || !ss.ss_size ? SS_DISABLE
				  : (was_on ? SS_ONSTACK : 0) | (ss.ss_flags & SS_AUTODISARM);
	regs_to_mcontext(regs, g->cfg.ring, &f->uc.uc_mcontext);
	if (fc) {
		f->uc.uc_mcontext.gregs[REG_TRAPNO] = (greg_t)fc->trapno;
		f->uc.uc_mcontext.gregs[REG_ERR] = (greg_t)fc->error;
		f->uc.uc_mcontext.gregs[REG_CR2] = (greg_t)fc->cr2;
	}
	f->uc.uc_mcontext.gregs[REG_OLDMASK] = (greg_t)saved_mask;
	f->uc.uc_mcontext.fpregs = (fpregset_t)fp;
	f->uc.uc_sigmask = saved_mask;
	f->info = *info;
	if ((ss.ss_flags & SS_AUTODISARM) && !(ss.ss_flags & SS_DISABLE)) {
		stack_t off = { .ss_flags = SS_DISABLE };

		raw_syscall2(SYS_sigaltstack, &off, 0);
	}

	regs->rdi = (uint64_t)info->si_signo;
	regs->rsi = (uint64_t)&f->info;
	regs->rdx = (uint64_t)&f->uc;
	regs->rax = 0;
	regs->rsp = frame;
	regs->rip = act->handler;
	regs->rflags &= ~RFLAGS_HANDLER_CLEAR;
	return 0;
}

/* Load the FPU image at fp (0: the initial state) into the vCPU. */
static int restore_fpu(struct guest *g, struct vcpu *v, uint64_t fp)
{
	uint8_t xsave[XSAVE_MAX] __attribute__((aligned(64)));
	uint32_t fsize = xstate_size(), len = XSAVE_LEGACY;
	static uint32_t mask; /* the CPU's MXCSR_MASK: read once */
	struct fpx_sw_bytes sw;
	uint64_t xstate_bv;

	if (!mask) {
		if (g->backend->save_fpu(v, xsave))
			return -EFAULT;
		memcpy(&mask, xsave + MXCSR_MASK_OFFSET, 4);
		if (!mask) /* CPUs that store none mean the default */
			mask = 0xffbf;
	}
	memset(xsave, 0, sizeof(xsave));
	if (!fp) {
		uint16_t fcw = 0x37f;
		uint32_t mxcsr = 0x1f80;

		memcpy(xsave, &fcw, 2);
		memcpy(xsave + MXCSR_OFFSET, &mxcsr, 4);
		return g->backend->load_fpu(v, xsave);
	}
	if (!mem_user_access(g, fp, XSAVE_LEGACY, PROT_READ))
		return -EFAULT;
	memcpy(&sw, (const void *)(fp + FPX_SW_OFFSET), sizeof(sw));
	if (sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size == fsize &&
	    sw.extended_size == fsize + 4 && mem_user_access(g, fp, fsize + 4, PROT_READ) &&
	    *(const uint32_t *)(fp + fsize) == FP_XSTATE_MAGIC2)
		len = fsize;
	memcpy(xsave, (const void *)fp, len);
	memset(xsave + FPX_SW_OFFSET, 0, sizeof(sw));
	/* Only legacy state without the XSAVE magic: x87 and SSE. */
	xstate_bv = len == XSAVE_LEGACY ? 3 : *(const uint64_t *)(xsave + XSAVE_LEGACY);
	xstate_bv &= xfeatures();
	memset(xsave + XSAVE_LEGACY, 0, 64);
	memcpy(xsave + XSAVE_LEGACY, &xstate_bv, 8);
	*(uint32_t *)(xsave + MXCSR_OFFSET) &= mask;
	return g->backend->load_fpu(v, xsave) ? -EFAULT : 0;
}

int sigframe_pop(struct guest *g, struct vcpu *v, struct guest_regs *regs, uint64_t *mask)
{
	const struct rt_sigframe *f = (const struct rt_sigframe *)(regs->rsp - 8);
	stack_t ss;

	if (!mem_user_access(g, (uint64_t)f, sizeof(*f), PROT_READ))
		return -EFAULT;
	mcontext_to_regs(&f->uc.uc_mcontext, regs);
	*mask = f->uc.uc_sigmask;
	ss = f->uc.uc_stack;
	if (restore_fpu(g, v, (uint64_t)f->uc.uc_mcontext.fpregs))
		return -EFAULT;
	/* As the kernel does, and as it does ignoring errors. */
	raw_syscall2(SYS_sigaltstack, &ss, 0);
	return 0;
}
