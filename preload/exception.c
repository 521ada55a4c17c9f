/* exception.c: guest exceptions become what a native run would see.
 *
 * Page faults the runtime caused itself (a mapping not mirrored yet, stack
 * growth) are resolved and retried; everything else becomes the signal the
 * kernel would send: the program's handler runs, or the program dies of it,
 * unless the policy's [pagefault] or [exceptions] says otherwise (trace,
 * count, ignore, kill, or a hook: hook.c).
 */
#include <Zydis/Zydis.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "backend.h"
#include "guest.h"
#include "loader.h"
#include "log.h"
#include "memory.h"
#include "rawsys.h"
#include "signals.h"

/* The signal Linux sends for each vector, with its si_code and si_addr
 * (arch/x86/kernel/traps.c, arch/x86/mm/fault.c). */
static void signal_for_vector(struct guest *g, int vec, uint64_t rip, uint64_t cr2,
			      siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	si->si_code = SI_KERNEL;
	switch (vec) {
	case 0: /* divide error */
		si->si_signo = SIGFPE;
		si->si_code = FPE_INTDIV;
		si->si_addr = (void *)rip;
		break;
	case 16: /* x87 error */
	case 19: /* SIMD error */
		si->si_signo = SIGFPE;
		si->si_code = FPE_FLTINV;
		si->si_addr = (void *)rip;
		break;
	case 1: /* debug */
		si->si_signo = SIGTRAP;
		si->si_code = TRAP_TRACE;
		si->si_addr = (void *)rip;
		break;
	case 3: /* breakpoint */
		si->si_signo = SIGTRAP;
		break;
	case 6: /* invalid opcode */
		si->si_signo = SIGILL;
		si->si_code = ILL_ILLOPN;
		si->si_addr = (void *)rip;
		break;
	case 11: /* segment not present */
	case 12: /* stack segment */
		si->si_signo = SIGBUS;
		break;
	case 17: /* alignment check */
		si->si_signo = SIGBUS;
		si->si_code = BUS_ADRALN;
		si->si_addr = (void *)cr2;
		break;
	case 14: /* page fault: no mapping, or one that forbids the access */
		si->si_signo = SIGSEGV;
		dune_lock(&g->lock);
		/* The runtime's own ranges are no mappings of the program's. */
		si->si_code = vma_find(&g->vmas, cr2) && !vma_find(&g->reserved, cr2) ? SEGV_ACCERR
										       : SEGV_MAPERR;
		dune_unlock(&g->lock);
		si->si_addr = (void *)cr2;
		break;
	default: /* #GP, overflow, bound range and the rest */
		si->si_signo = SIGSEGV;
		break;
	}
}

/* The signal a native run gets for a vector. */
static int native_signal(struct guest *g, int vec)
{
	siginfo_t si;

	signal_for_vector(g, vec, 0, 0, &si);
	return si.si_signo;
}

void die_by_signal(struct guest *g, int sig)
{
	struct ksigaction dfl = { 0 }; /* SIG_DFL */
	uint64_t set = 1ull << (sig - 1);

	report_print(g);
	raw_syscall6(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
	raw_syscall6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set, 0, 8, 0, 0);
	raw_syscall3(SYS_tgkill, raw_syscall0(SYS_getpid), raw_syscall0(SYS_gettid), sig);
	/* A signal the kernel will not deliver (init, say): still never run on. */
	raw_syscall1(SYS_exit_group, 128 + sig);
	__builtin_unreachable();
}

void exception_signal(struct guest *g, struct vcpu *v, int vec, uint64_t error, uint64_t cr2,
		      int signo)
{
	struct fault_context fc = { .trapno = (uint64_t)vec, .error = error, .cr2 = cr2 };
	struct guest_regs regs;
	siginfo_t si;

	if (program_regs_get(g, v, &regs))
		die_by_signal(g, signo);
	signal_for_vector(g, vec, regs.rip, cr2, &si);
	if (signo != si.si_signo) { /* a hook chose another signal */
		memset(&si, 0, sizeof(si));
		si.si_signo = signo;
		si.si_code = SI_KERNEL;
	}
	signal_fault(g, v, &si, &fc);
}

/* The length of the instruction at rip, or 0 if it does not decode. */
static int insn_length(uint64_t rip)
{
	static ZydisDecoder decoder;
	static int ready;
	ZydisDecodedInstruction insn;
	uint8_t bytes[15];
	long n = guest_read(bytes, rip, sizeof(bytes));

	if (!ready) {
		ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
		ready = 1;
	}
	if (n <= 0 || ZYAN_FAILED(ZydisDecoderDecodeInstruction(&decoder, NULL, bytes, (ZyanUSize)n,
								 &insn)))
		return 0;
	return insn.length;
}

/* Traps (breakpoint, overflow) stop after their instruction; faults stop at it. */
static int is_trap(int vec)
{
	return vec == 3 || vec == 4;
}

/* int $0x80, the i386 system call entry, in 64-bit code. The guest's IDT
 * has no vector 0x80, so it faults: #GP with the IDT bit in the error code
 * on hardware, #UD on PVM (PLATFORM.md). dune cannot judge i386 numbers by
 * the policy, so it answers ENOSYS, as its seccomp filter does, and the
 * program goes on after the instruction instead of dying of a signal it
 * would not get natively. */
static bool i386_syscall(struct vcpu *v, int vec, uint64_t *frame_rip)
{
	uint8_t insn[2];

	if ((vec != 6 && vec != 13) || guest_read(insn, *frame_rip, sizeof(insn)) != sizeof(insn) ||
	    insn[0] != 0xcd || insn[1] != 0x80)
		return false;
	v->regs->rax = (uint64_t)-ENOSYS;
	v->regs_dirty = true;
	*frame_rip += sizeof(insn);
	return true;
}

/* [exceptions]: what the policy says about a vector other than 14. */
static void exception_action(struct guest *g, struct vcpu *v, int vec, uint64_t error,
			     uint64_t *frame_rip)
{
	const struct policy_exception *e = &g->policy.exceptions[vec];
	int signo = native_signal(g, vec);
	int len;

	switch (e->action) {
	case POLICY_EXC_TRACE:
		trace_fault(g, vec, error, 0, *frame_rip);
		break;
	case POLICY_EXC_IGNORE:
		if (is_trap(vec))
			return; /* the stub resumes after the instruction */
		len = insn_length(*frame_rip);
		if (len) {
			*frame_rip += (uint64_t)len;
			return;
		}
		break; /* cannot step over it: as natively */
	case POLICY_EXC_KILL:
		die_by_signal(g, signo);
	case POLICY_EXC_HOOK:
		hook_call(g, v, vec, error, 0, signo);
		return;
	case POLICY_EXC_SIGNAL:
		break;
	}
	exception_signal(g, v, vec, error, 0, signo);
}

/* [pagefault]: a fault that was the program's own. */
static void page_fault_action(struct guest *g, struct vcpu *v, uint64_t error, uint64_t cr2,
			      uint64_t rip)
{
	v->stats.faults_program++;
	if (v->hook.frame) /* a fault inside a hook: no hook, no handler */
		die_by_signal(g, SIGSEGV);
	switch (g->policy.fault_action) {
	case POLICY_FAULT_TRACE:
		trace_fault(g, 14, error, cr2, rip);
		break;
	case POLICY_FAULT_HOOK:
		hook_call(g, v, 14, error, cr2, SIGSEGV);
		return;
	case POLICY_FAULT_COUNT: /* counted above, for the report */
	case POLICY_FAULT_SIGNAL:
		break;
	}
	exception_signal(g, v, 14, error, cr2, SIGSEGV);
}

void exception_handle(struct guest *g, struct vcpu *v)
{
	uint64_t *frame = (uint64_t *)(uintptr_t)v->regs->rsp;
	int vec = (int)frame[EXC_FRAME_VECTOR / 8];
	uint64_t error = frame[EXC_FRAME_ERROR / 8];
	uint64_t rip = frame[EXC_FRAME_RIP / 8];

	if (vec < 0 || vec >= 32)
		vcpu_die(g, v, "an exception frame with a bad vector");
	v->stats.exceptions[vec]++;
	if (rip - (uint64_t)g->stubs < PAGE_SIZE) {
		char why[96];

		snprintf(why, sizeof(why), "exception %d in dune's own guest stubs", vec);
		vcpu_die(g, v, why);
	}
	if (libdune_exception(g, v, vec, error)) /* false at once without libdune */
		return;
	if (vec == 14) {
		uint64_t cr2 = g->backend->fault_address(v);
		int fixed;

		if (loader_phase_end(g, v, error, cr2))
			return; /* the program's first instruction: it runs again */
		dune_lock(&g->lock);
		fixed = mem_fault(g, cr2, error);
		dune_unlock(&g->lock);
		if (fixed) {
			v->stats.faults_fixed++;
			return; /* the stub irets and the instruction runs again */
		}
		page_fault_action(g, v, error, cr2, rip);
		return;
	}
	if (i386_syscall(v, vec, &frame[EXC_FRAME_RIP / 8]))
		return;
	if (v->hook.frame) /* a fault inside a hook: no hook, no handler */
		die_by_signal(g, native_signal(g, vec));
	exception_action(g, v, vec, error, &frame[EXC_FRAME_RIP / 8]);
}
