/* forward.h: exitless syscalls (forward = exitless | auto).
 *
 * Each vCPU of a thread that forwards without exits has its own LSTAR stub
 * (exitless.S) and a host server thread. The stub posts the syscall in a
 * slot in memory the two share and spins; the server runs it on the host
 * and writes the answer back. No VM exit is taken unless the call depends
 * on the calling thread, the server is asleep, or the answer is slow.
 */
#ifndef DUNE_FORWARD_H
#define DUNE_FORWARD_H

#include <signal.h>
#include <stdbool.h>

#include "backend.h"
#include "runtime.h"

/* forward.c: once the policy and the stubs are ready. */
void forward_init(struct guest *g);
/* forward.c: does this process forward any syscall without exits? */
bool forward_active(const struct guest *g);
const char *forward_mode_name(const struct guest *g);
/* forward.c: give v its stub and point c's LSTAR at it (under g->lock). */
int forward_vcpu_setup(struct guest *g, struct vcpu *v, struct cpu_setup *c);
/* forward.c: is the vCPU stopped inside its exitless stub? */
bool forward_in_stub(const struct vcpu *v, uint64_t rip);
/* forward.c: the vCPU stopped in its stub (it gave up waiting, or a signal
 * came): finish the call, and leave the vCPU at the stub's sysretq with
 * the result, or back at the program's syscall instruction. */
void forward_take_over(struct guest *g, struct vcpu *v);
/* forward.c: a syscall exit through the stub (the call in v->regs, before
 * it runs): the server may need waking, auto may change its mind. */
void forward_on_exit(struct guest *g, struct vcpu *v, long nr);
/* forward.c: a syscall that ran on the vCPU's own thread returned: some
 * change what a server may do for the thread (credentials, seccomp). */
void forward_after_syscall(struct guest *g, struct vcpu *v, long nr, const long args[6], long ret);
/* forward.c: before each run of a thread that forwards: the server takes
 * the thread's signal mask from here. */
void forward_before_run(struct guest *g, struct vcpu *v);
/* forward.c: servers would no longer act as the thread would (its
 * credentials changed, a seccomp filter, libdune's user mode whose calls
 * go to the program's handler): every call exits from now on. */
void forward_disable(struct guest *g);
/* forward.c: in a forked child: no server yet. */
void forward_after_fork(struct guest *g, struct vcpu *v);
/* forward.c: v, reused or new, is for a thread parent makes with clone's
 * flags: one with files or a cwd of its own never forwards (a server
 * shares those of the thread that started it). Before its vCPU setup. */
void forward_new_thread(struct vcpu *v, const struct vcpu *parent, unsigned long flags);
/* forward.c: the kernel gave v's server thread a signal (in its handler, on
 * its stack); uc is the context it returns to, a struct kernel_ucontext. */
struct kernel_ucontext;
void forward_server_signal(struct vcpu *v, const siginfo_t *info, struct kernel_ucontext *uc);

/* forward_calls.c: may a server run this number at all (the stub's bitmap)? */
bool forward_eligible(long nr);
/* forward_calls.c: may it run this call, arguments seen? */
bool forward_server_may_run(long nr, const long args[6]);
/* forward_calls.c: calls that never wait and raise no signal: the server
 * runs them with every signal blocked, without taking the thread's mask. */
bool forward_quick(long nr);
/* forward_calls.c: track signalfds, whose reads see the calling thread's
 * signals: those open at start (from before an exec), then each call's
 * (made on the thread or by a server) that makes, passes or closes one. */
void forward_calls_init(void);
void forward_calls_after(long nr, const long args[6], long ret);

#endif
