/* signals.h: the program's signals, delivered inside the guest. */
#ifndef DUNE_SIGNALS_H
#define DUNE_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

#include "runtime.h"

/* The kernel's ABI has these; libc's headers do not. */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif
/* The kernel's first real-time signal: it queues every one from here on and
 * merges the ones below (legacy_queue). glibc's SIGRTMIN, 34, keeps two for
 * itself, and is a variable in libc's data, which the program can write. */
#define KERNEL_SIGRTMIN 32

/* The kernel's struct sigaction (rt_sigaction's ABI, not libc's). */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* The kernel's ucontext: libc's ucontext_t adds fields after uc_sigmask. */
struct kernel_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	stack_t uc_stack;
	mcontext_t uc_mcontext;
	uint64_t uc_sigmask;
};

/* What an exception adds to a signal frame's sigcontext. */
struct fault_context {
	uint64_t trapno, error, cr2;
};

/* signal.c: take over the dispositions the process has (a handler set
 * before dune's constructor). Call with all signals blocked. */
void signal_init(struct guest *g);
/* signal.c: has the host caught a signal for v since the vCPU last looked
 * (one a handler may have to run for now)? Signals kept from before are
 * blocked, and are not counted. */
static inline int signal_pending(const struct vcpu *v)
{
	return __atomic_load_n(&v->sig.n, __ATOMIC_ACQUIRE) > v->sig.kept;
}
/* A syscall exit, the call not run yet (its number nr): true if a signal
 * came first (the host caught it as the run returned, or since). Natively
 * its handler would run before the call, and a call that waits might wait
 * for what the handler does: the caller does not run it, and the program
 * makes it again after the handler (signal.c's deliver). */
static inline bool signal_before_syscall(struct vcpu *v, long nr)
{
	if (!signal_pending(v))
		return false;
	v->sig.interrupted_nr = (int)nr;
	v->sig.not_run = true;
	return true;
}
/* signal.c: the vCPU is about to run: deliver what the host caught. */
void signal_deliver_pending(struct guest *g, struct vcpu *v);
/* signal.c: the program thread's signal mask, as the program set it (the
 * kernel's, less what the runtime holds back for a moment). */
uint64_t signal_program_mask(const struct vcpu *v);
/* signal.c: signals the kernel gave v's server during a call, in the order
 * they were caught, join v's queue (called with every signal blocked). */
void signal_queue_from_server(struct vcpu *v, const siginfo_t *info, const uint64_t *seq, int n);
/* signal.c: the next number in the order of catches, for a server's. */
uint64_t signal_catch_seq(void);
/* signal.c: a fault of the program's (sig with info): run its handler, or
 * end the process as the kernel's default action would. */
void signal_fault(struct guest *g, struct vcpu *v, const siginfo_t *info,
		  const struct fault_context *fc);
/* signal.c: the same, with the program's registers given: for a fault the
 * program made in code of the runtime's it can run (PVM's CPL3 stubs), where
 * they are the vCPU's own. */
void signal_fault_regs(struct guest *g, struct vcpu *v, const siginfo_t *info,
		       const struct fault_context *fc, const struct guest_regs *regs);

/* signal.c: the syscalls whose answer depends on the guest's view. */
long signal_sigaction(struct guest *g, int sig, uint64_t act, uint64_t oldact, uint64_t setsize);
long signal_sigaltstack(struct guest *g, struct vcpu *v, uint64_t ss, uint64_t old);
/* signal.c: rt_sigsuspend, ppoll, pselect6, epoll_pwait(2): calls that wait
 * with a temporary mask, which a handler interrupting them must see. */
long signal_masked_wait(struct guest *g, struct vcpu *v, long nr, const long *args);
void signal_return(struct guest *g, struct vcpu *v);

/* signal.c: block every signal around host work no handler may interrupt
 * (a thread or process being made); returns the previous mask. */
uint64_t signal_block_all(void);
void signal_set_mask(uint64_t mask);

/* sigframe.c: build the kernel's rt_sigframe for sig on the program's
 * stack and point regs at the handler. Returns 0, or -EFAULT where the
 * kernel would force SIGSEGV. */
int sigframe_push(struct guest *g, struct vcpu *v, struct guest_regs *regs,
		  const siginfo_t *info, const struct ksigaction *act, uint64_t saved_mask,
		  const struct fault_context *fc);
/* sigframe.c: is sp on the alternate stack ss (enabled)? */
int altstack_holds(const stack_t *ss, uint64_t sp);
/* sigframe.c: undo sigframe_push from the frame below regs->rsp: registers,
 * FPU state, altstack; *mask gets the mask to restore. Returns 0 or -EFAULT. */
int sigframe_pop(struct guest *g, struct vcpu *v, struct guest_regs *regs, uint64_t *mask);

/* context.c: the program's registers wherever the vCPU stopped (in the
 * program or in a stub). -EAGAIN: in the middle of a stub, ask again at the
 * next exit. */
int program_regs_get(struct guest *g, struct vcpu *v, struct guest_regs *out);
/* context.c: make the vCPU resume the program with exactly these registers. */
void program_regs_set(struct guest *g, struct vcpu *v, const struct guest_regs *in);

#endif
