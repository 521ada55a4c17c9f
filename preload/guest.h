/* guest.h: the host-side handlers of guest exits, one file each. */
#ifndef DUNE_GUEST_H
#define DUNE_GUEST_H

#include "dune/hooks.h"
#include "runtime.h"

/* vcpu.c: run a vCPU until the process ends. */
__attribute__((noreturn)) void vcpu_loop(struct guest *g, struct vcpu *v);
/* vcpu.c: report a state the runtime cannot handle, with registers and a
 * backtrace of the guest, and end the process with status 126. */
__attribute__((noreturn)) void vcpu_die(struct guest *g, struct vcpu *v, const char *why);

/* The number as the kernel reads it: the low 32 bits of rax, as an int
 * (do_syscall_64). The bits above are not part of it: a policy that judged
 * them would judge another call than the one the kernel makes. */
static inline long syscall_kernel_number(uint64_t rax)
{
	return (long)(int)(uint32_t)rax;
}

/* syscall.c: the syscall in v->regs: apply the policy, execute it on the
 * host and store the result. */
void syscall_handle(struct guest *g, struct vcpu *v);
/* syscall.c: execute it, policy aside. */
void syscall_execute(struct guest *g, struct vcpu *v);

/* The runtime's private syscall by which a hook hands back its result
 * (hookret.S); like DUNE_SYSCALL_QUERY, it does not exist natively. */
#define DUNE_SYSCALL_HOOK_RETURN 0x44554e48L
/* libdune's requests to the runtime (libdune/abi.h). */
#define DUNE_SYSCALL_LIBDUNE 0x44554e4cL

/* enforce.c: read the policy for this program (errors are fatal, status
 * 126) and let it set what the environment did not (ring, report). */
void enforce_load(struct guest *g);
/* enforce.c: does a policy file apply to this program? (Else the default
 * policy, which restricts nothing.) Then exec may not leave dune. */
bool enforce_confines(const struct guest *g);
/* enforce.c: under a policy, what would let an image this one execs
 * start without dune (0: nothing); clone's flags for clone and clone3. */
long enforce_refused(const struct guest *g, long nr, const long a[6]);
/* enforce.c: the program the applying policy was matched against, for the
 * images this one execs (DUNE_POLICY_EXE), or NULL when none applies. */
const char *enforce_policy_exe(const struct guest *g);
/* enforce.c: does the policy count anything (the report shows counts)? */
bool enforce_counts(const struct guest *g);
/* enforce.c: before the memory mirror is made (plugins are mappings too):
 * load the hooks, open the log. */
void enforce_init(struct guest *g);
/* enforce.c: once the stub page exists: the guest's share of the syscall rules. */
void enforce_init_filter(struct guest *g);
/* enforce.c: when the loader phase ends (loader.c): fill the guest's share. */
void enforce_fill_filter(struct guest *g);
/* enforce.c: does the LSTAR stub decide some denied calls (STUB_FILTER_RING3)? */
bool enforce_filter_in_guest(void);
/* enforce.c: no backend: die (on-unavailable = abort) or return 0 to run natively. */
int enforce_backend_unavailable(struct guest *g, const char *why);
/* enforce.c: in a forked child: a log named with %p is reopened for it. */
void enforce_after_fork(struct guest *g);
/* enforce.c: one line (with its newline) to the policy's log. */
void enforce_log(struct guest *g, const char *line, long len);
/* enforce.c: a syscall the policy denies, kills or traces. */
void syscall_enforced(struct guest *g, struct vcpu *v, const struct policy_syscall *rule);
/* enforce.c: the hook for a vector (14: the page-fault hook), or NULL. */
dune_hook_fn enforce_hook(int vector);

/* trace.c: a syscall's trace line, strace-like: "pid name(args) = result". */
enum trace_phase {
	TRACE_DONE,       /* the call returned ret */
	TRACE_NO_RETURN,  /* exit, exit_group: "= ?" */
	TRACE_UNFINISHED, /* execve, before: "<unfinished ...>" */
	TRACE_RESUMED,    /* execve failed: "<... execve resumed> = ret" */
	TRACE_KILLED,     /* the policy kills the process for it */
};
void trace_syscall_end(struct guest *g, long nr, const long args[6], long ret,
		       enum trace_phase phase);
/* trace.c: a page fault or exception the policy traces. */
void trace_fault(struct guest *g, int vector, uint64_t error, uint64_t addr, uint64_t rip);
/* progmem.c: bytes of the program's memory, without faulting and never the
 * runtime's: how many were read (or written). */
long guest_read(void *dst, uint64_t src, long n);
long guest_write(uint64_t dst, const void *src, long n);
/* progmem.c: in a forked child: the process id the copies use is its own. */
void progmem_after_fork(void);

/* hook.c: run the hook in the guest for this fault; the program goes on in it. */
void hook_call(struct guest *g, struct vcpu *v, int vector, uint64_t error, uint64_t addr,
	       int signo);
/* hook.c: the hook returned (DUNE_SYSCALL_HOOK_RETURN): retry, skip, signal or kill. */
void hook_return(struct guest *g, struct vcpu *v);

/* fork.c: fork, vfork and clone without CLONE_VM (or with CLONE_VFORK, done
 * as a fork). Returns what the syscall returns, in parent and child. */
long fork_guest(struct guest *g, struct vcpu *v, unsigned long flags, uint64_t newsp,
		uint64_t parent_tid, uint64_t child_tid, uint64_t tls);

/* fork.c: clone3, done as fork_guest where clone could express it. */
long clone3_guest(struct guest *g, struct vcpu *v, uint64_t args, uint64_t size);

/* thread.c: clone with CLONE_VM | CLONE_THREAD: a vCPU and host thread. */
long thread_create(struct guest *g, struct vcpu *parent, unsigned long flags, uint64_t newsp,
		   uint64_t parent_tid, uint64_t child_tid, uint64_t tls);
/* thread.c: the calling thread is about to exit: its vCPU goes to the pool. */
void thread_exiting(struct guest *g, struct vcpu *v);
/* vcpu.c: registers that stopped in the LSTAR stub, moved to where the stub
 * would have returned in the program (a new vCPU starts at the program's CPL). */
void regs_resume_in_program(struct guest *g, struct guest_regs *r);

/* exec.c: remember how this process entered dune, so that exec keeps it.
 * Under a policy: why this process cannot be confined (a library preloaded
 * after dune's ran first), or NULL. */
const char *exec_init(char **environ_at_entry);
/* exec.c: did this runtime come in through LD_AUDIT (audit.c), not LD_PRELOAD? */
bool exec_entered_by_audit(void);
/* exec.c: execve/execveat: the new image comes back under dune (LD_AUDIT
 * and the runtime's DUNE_* settings); under a policy, an image that would
 * not is refused. */
long exec_guest(struct guest *g, long nr, long a1, long a2, long a3, long a4, long a5);

/* exception.c: handle the exception frame the stub left at v->regs->rsp. */
void exception_handle(struct guest *g, struct vcpu *v);
/* exception.c: deliver the signal of a fault (signo: the native one, or a
 * hook's choice) as the kernel would, with the program's registers as they are now. */
void exception_signal(struct guest *g, struct vcpu *v, int vec, uint64_t error, uint64_t cr2,
		      int signo);
/* exception.c: end the process by sig, as the kernel's default action would. */
__attribute__((noreturn)) void die_by_signal(struct guest *g, int sig);

/* libdune.c: a libdune request, or any syscall of user mode: true when
 * handled (the caller does nothing more). */
bool libdune_syscall(struct guest *g, struct vcpu *v);
/* libdune.c: an exception for libdune's handlers, or its own to fix: true
 * when handled. */
bool libdune_exception(struct guest *g, struct vcpu *v, int vec, uint64_t error);

/* rewrite.c: turn the syscall instruction at site into a direct exit. */
void rewrite_init(void);
void rewrite_site(struct guest *g, struct vcpu *v, uint64_t site);
/* In a forked child: stop writing through the parent's /proc/PID/mem. */
void rewrite_after_fork(void);
/* Put every rewritten site back, so that host code may call into libc freely
 * (libc's own syscall instructions are among the sites). For dying only. */
void rewrite_undo_all(void);

/* report.c: the exit report (DUNE_REPORT=1). */
void report_print(struct guest *g);

/* config.c: read DUNE_* from the environment; bad values are fatal. */
void config_load(struct dune_config *cfg);

#endif
