/* guest.h: the host-side handlers of guest exits, one file each. */
#ifndef DUNE_GUEST_H
#define DUNE_GUEST_H

#include "runtime.h"

/* vcpu.c: run a vCPU until the process ends. */
__attribute__((noreturn)) void vcpu_loop(struct guest *g, struct vcpu *v);
/* vcpu.c: report a state the runtime cannot handle, with registers and a
 * backtrace of the guest, and end the process with status 126. */
__attribute__((noreturn)) void vcpu_die(struct guest *g, struct vcpu *v, const char *why);

/* syscall.c: execute the syscall in v->regs on the host and store the result. */
void syscall_handle(struct guest *g, struct vcpu *v);

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

/* exec.c: remember how this process entered dune, so that exec keeps it. */
void exec_init(char **environ_at_entry);
/* exec.c: execve/execveat, with LD_PRELOAD and DUNE_* added back if missing. */
long exec_guest(struct guest *g, long nr, long a1, long a2, long a3, long a4, long a5);

/* exception.c: handle the exception frame the stub left at v->regs->rsp. */
void exception_handle(struct guest *g, struct vcpu *v);
/* exception.c: end the process by sig, as the kernel's default action would. */
__attribute__((noreturn)) void die_by_signal(struct guest *g, int sig);

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
