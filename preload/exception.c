/* exception.c: guest exceptions become what a native run would see.
 *
 * Page faults the runtime caused itself (a mapping not mirrored yet, stack
 * growth) are resolved and retried; everything else becomes the signal the
 * kernel would send: the program's handler runs, or the program dies of it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "backend.h"
#include "guest.h"
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
		si->si_code = vma_find(&g->vmas, cr2) ? SEGV_ACCERR : SEGV_MAPERR;
		dune_unlock(&g->lock);
		si->si_addr = (void *)cr2;
		break;
	default: /* #GP, overflow, bound range and the rest */
		si->si_signo = SIGSEGV;
		break;
	}
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

void exception_handle(struct guest *g, struct vcpu *v)
{
	const uint64_t *frame = (const uint64_t *)(uintptr_t)v->regs->rsp;
	int vec = (int)frame[EXC_FRAME_VECTOR / 8];
	uint64_t error = frame[EXC_FRAME_ERROR / 8];
	uint64_t rip = frame[EXC_FRAME_RIP / 8];
	struct fault_context fc;
	uint64_t cr2 = 0;
	siginfo_t si;

	if (vec < 0 || vec >= 32)
		vcpu_die(g, v, "an exception frame with a bad vector");
	v->stats.exceptions[vec]++;
	if (rip - (uint64_t)g->stubs < PAGE_SIZE) {
		char why[96];

		snprintf(why, sizeof(why), "exception %d in dune's own guest stubs", vec);
		vcpu_die(g, v, why);
	}
	if (vec == 14) {
		int fixed;

		cr2 = g->backend->fault_address(v);
		dune_lock(&g->lock);
		fixed = mem_fault(g, cr2, error);
		dune_unlock(&g->lock);
		if (fixed) {
			v->stats.faults_fixed++;
			return; /* the stub irets and the instruction runs again */
		}
	}
	signal_for_vector(g, vec, rip, cr2, &si);
	fc = (struct fault_context){ .trapno = (uint64_t)vec, .error = error, .cr2 = cr2 };
	signal_fault(g, v, &si, &fc);
}
