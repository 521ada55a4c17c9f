/* exception.c: guest exceptions become what a native run would see.
 *
 * Page faults the runtime caused itself (a mapping not mirrored yet, stack
 * growth) are resolved and retried; everything else ends the program by the
 * signal the kernel would send. Handlers in the program come with signal
 * delivery (process semantics), not yet here.
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

/* What Linux sends for each vector (arch/x86/kernel/traps.c). */
static int signal_for_vector(int vec)
{
	switch (vec) {
	case 0:  /* divide error */
	case 16: /* x87 error */
	case 19: /* SIMD error */
		return SIGFPE;
	case 1:  /* debug */
	case 3:  /* breakpoint */
		return SIGTRAP;
	case 6:  /* invalid opcode */
		return SIGILL;
	case 11: /* segment not present */
	case 12: /* stack segment */
	case 17: /* alignment check */
		return SIGBUS;
	default: /* #GP, #PF, overflow, bound range and the rest */
		return SIGSEGV;
	}
}

void die_by_signal(struct guest *g, int sig)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} dfl = { SIG_DFL, 0, NULL, 0 };
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

	if (vec < 0 || vec >= 32)
		vcpu_die(g, v, "an exception frame with a bad vector");
	v->stats.exceptions[vec]++;
	if (rip - (uint64_t)g->stubs < PAGE_SIZE) {
		char why[96];

		snprintf(why, sizeof(why), "exception %d in dune's own guest stubs", vec);
		vcpu_die(g, v, why);
	}
	if (vec == 14) {
		uint64_t addr = g->backend->fault_address(v);

		int fixed;

		dune_lock(&g->lock);
		fixed = mem_fault(g, addr, error);
		dune_unlock(&g->lock);
		if (fixed) {
			v->stats.faults_fixed++;
			return; /* the stub irets and the instruction runs again */
		}
	}
	die_by_signal(g, signal_for_vector(vec));
}
