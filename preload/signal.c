/* signal.c: the program's signals, delivered inside the guest as Linux would.
 *
 * The program's dispositions live here; the kernel holds one of ours for
 * every signal the program handles. The kernel keeps the program's signal
 * mask and alternate stack for real, so blocking, pending, sigtimedwait,
 * signalfd, kill and timers all work as they do natively. When a handled
 * signal arrives, the host's handler (on the thread's host stack) queues it
 * for that thread's vCPU and makes its next run return at once; the vCPU
 * loop then builds the rt_sigframe on the program's stack and resumes the
 * program in its handler. A syscall the signal interrupted is restarted or
 * fails with EINTR by the kernel's rules (signal(7)).
 *
 * Floods. Real-time signals queue, up to RLIMIT_SIGPENDING, and each must
 * reach the program once, in order. The kernel keeps them for us: the host's
 * handler takes what it is given, but once the thread's queue holds
 * SIGNAL_QUEUE_SOFT it blocks each signal it takes in the mask the thread
 * returns to (held), so that the kernel keeps the later ones pending; where
 * the runtime itself unblocks (the end of a drain, sigreturn, a fault's
 * handler) it lets in one signal and then holds everything, as the kernel
 * delivers one at a time. A signal that a handler's mask blocks goes back to
 * the kernel (rt_tgsigqueueinfo, siginfo intact), where sigwaitinfo,
 * sigpending and signalfd see it, unless the kernel holds a later one of it
 * for this thread, which would overtake it: then the queue keeps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>

#include "arch.h"
#include "backend.h"
#include "forward.h"
#include "guest.h"
#include "log.h"
#include "memory.h"
#include "rawsys.h"
#include "signals.h"

#define NSIG_KERNEL 64
#define SIGSET_SIZE 8
#define UNBLOCKABLE (bit(SIGKILL) | bit(SIGSTOP))

static struct ksigaction actions[NSIG_KERNEL + 1]; /* the program's view */
static struct dune_lock actions_lock;

static uint64_t catch_seq; /* orders the catches of a vCPU thread and its server */

void dune_host_restorer(void); /* sigreturn.S */

static uint64_t bit(int sig)
{
	return 1ull << (sig - 1);
}

uint64_t signal_block_all(void)
{
	uint64_t all = ~0ull, old = 0;

	raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, SIGSET_SIZE, 0, 0);
	return old;
}

void signal_set_mask(uint64_t mask)
{
	raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, SIGSET_SIZE, 0, 0);
}

static int is_handler(uint64_t h)
{
	return h != (uint64_t)SIG_DFL && h != (uint64_t)SIG_IGN;
}

/* A fault in the runtime itself is a bug: say so and die of it. */
static void host_fault(int sig, const siginfo_t *info)
{
	static const char msg[] = "dune: internal error: the runtime itself faulted\n";
	struct ksigaction dfl = { 0 };

	(void)info;
	raw_syscall3(SYS_write, 2, msg, sizeof(msg) - 1);
	raw_syscall6(SYS_rt_sigaction, sig, (long)&dfl, 0, SIGSET_SIZE, 0, 0);
}

uint64_t signal_catch_seq(void)
{
	return __atomic_fetch_add(&catch_seq, 1, __ATOMIC_RELAXED);
}

/* Give a signal back to the kernel, pending on this thread again with its
 * siginfo as it was: a thread may queue any si_code to itself. */
static void requeue(const siginfo_t *info)
{
	raw_syscall6(SYS_rt_tgsigqueueinfo, raw_syscall0(SYS_getpid), raw_syscall0(SYS_gettid),
		     info->si_signo, (long)info, 0, 0);
}

/* In the handler, every signal blocked: queue what the kernel gave v's
 * thread; *mask is the mask the thread goes back to. */
static void catch_signal(struct vcpu *v, const siginfo_t *info, uint64_t *mask)
{
	struct vcpu_signals *s = &v->sig;
	uint64_t seq = signal_catch_seq(); /* first: the order of catches across threads */
	int sig = info->si_signo, n = s->n;
	uint64_t hold = 0;

	if (sig < KERNEL_SIGRTMIN) /* a standard signal already pending is not queued twice */
		for (int i = 0; i < n; i++)
			if (s->queue[i].si_signo == sig)
				return;
	if (n == SIGNAL_QUEUE_LEN) {
		/* More than the holds below let through: not seen. Still not
		 * lost: pending in the kernel again, and held there. */
		requeue(info);
		hold = bit(sig);
	} else {
		s->queue[n] = *info;
		s->seq[n] = seq;
		__atomic_store_n(&s->n, n + 1, __ATOMIC_RELEASE);
		if (s->catch_one)
			hold = ~UNBLOCKABLE;
		else if (n + 1 >= SIGNAL_QUEUE_SOFT)
			hold = bit(sig);
	}
	hold &= ~*mask;
	s->held |= hold;
	*mask |= hold;
}

/* Runs on the host stack of whichever thread the kernel picked. */
static void host_handler(int sig, siginfo_t *info, void *ucv)
{
	struct kernel_ucontext *uc = ucv;
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	struct host_stack_base *base = (struct host_stack_base *)(sp & ~(HOST_STACK_SIZE - 1ull));
	struct vcpu *v;

	if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) &&
	    info->si_code > 0) {
		host_fault(sig, info);
		return;
	}
	if (base->magic == SERVER_STACK_MAGIC) {
		forward_server_signal(base->vcpu, info, uc);
		return;
	}
	if (base->magic != HOST_STACK_MAGIC)
		return; /* cannot happen: signals are blocked off the host stacks */
	v = base->vcpu;
	catch_signal(v, info, &uc->uc_sigmask);
	dune_guest.backend->request_exit(v);
}

uint64_t signal_program_mask(const struct vcpu *v)
{
	uint64_t mask = 0;

	raw_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&mask, SIGSET_SIZE, 0, 0);
	return mask & ~v->sig.held;
}

/* The runtime sets the program's mask (the end of a drain, sigreturn, a
 * fault's handler): what the handler holds for room stays held, and of the
 * signals this unblocks the kernel gives one, then everything is held until
 * the next drain, as the kernel itself delivers one at a time. */
static void unblock_to(struct vcpu *v, uint64_t mask)
{
	v->sig.held &= ~mask;
	v->sig.catch_one = true;
	signal_set_mask(mask | v->sig.held);
	v->sig.catch_one = false;
}

void signal_queue_from_server(struct vcpu *v, const siginfo_t *info, const uint64_t *seq, int count)
{
	struct vcpu_signals *s = &v->sig;

	for (int j = 0; j < count; j++) {
		int sig = info[j].si_signo, at = s->n;
		bool queued = false;

		for (int i = 0; sig < KERNEL_SIGRTMIN && i < s->n; i++)
			queued |= s->queue[i].si_signo == sig;
		if (queued)
			continue;
		if (s->n == SIGNAL_QUEUE_LEN) {
			requeue(&info[j]);
			continue;
		}
		while (at > s->kept && s->seq[at - 1] > seq[j])
			at--;
		memmove(&s->queue[at + 1], &s->queue[at], (s->n - at) * sizeof(s->queue[0]));
		memmove(&s->seq[at + 1], &s->seq[at], (s->n - at) * sizeof(s->seq[0]));
		s->queue[at] = info[j];
		s->seq[at] = seq[j];
		__atomic_store_n(&s->n, s->n + 1, __ATOMIC_RELEASE);
	}
}

static long install(int sig, const struct ksigaction *act)
{
	struct ksigaction host = *act;

	if (is_handler(act->handler)) {
		host.handler = (uint64_t)host_handler;
		host.flags = SA_SIGINFO | SA_RESTORER | (act->flags & (SA_NOCLDSTOP | SA_NOCLDWAIT));
		host.restorer = (uint64_t)dune_host_restorer;
		host.mask = ~0ull;
	}
	return raw_syscall6(SYS_rt_sigaction, sig, (long)&host, 0, SIGSET_SIZE, 0, 0);
}

/* The program's action for sig as it is delivered now: SA_RESETHAND puts
 * SIG_DFL back at once, as the kernel does; like the kernel, it resets the
 * handler only and keeps the flags, mask and restorer sigaction reads back. */
static struct ksigaction take_action(int sig, int delivering)
{
	struct ksigaction act;

	dune_lock(&actions_lock);
	act = actions[sig];
	if (delivering && is_handler(act.handler) && (act.flags & SA_RESETHAND)) {
		actions[sig].handler = (uint64_t)SIG_DFL;
		install(sig, &actions[sig]);
	}
	dune_unlock(&actions_lock);
	return act;
}

void signal_init(struct guest *g)
{
	(void)g;
	for (int sig = 1; sig <= NSIG_KERNEL; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (raw_syscall6(SYS_rt_sigaction, sig, 0, (long)&actions[sig], SIGSET_SIZE, 0, 0))
			continue;
		if (is_handler(actions[sig].handler) && install(sig, &actions[sig]))
			dune_fatal("cannot take over the handler of signal %d", sig);
	}
}

long signal_sigaction(struct guest *g, int sig, uint64_t act_addr, uint64_t old_addr,
		      uint64_t setsize)
{
	struct ksigaction act, old;
	long r = 0;

	if (setsize != SIGSET_SIZE || sig < 1 || sig > NSIG_KERNEL)
		return -EINVAL;
	if ((act_addr && !mem_user_access(g, act_addr, sizeof(act), PROT_READ)) ||
	    (old_addr && !mem_user_access(g, old_addr, sizeof(old), PROT_WRITE)))
		return -EFAULT;
	if (act_addr && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (act_addr)
		memcpy(&act, (const void *)act_addr, sizeof(act));
	dune_lock(&actions_lock);
	old = actions[sig];
	if (act_addr) {
		act.mask &= ~(bit(SIGKILL) | bit(SIGSTOP));
		r = install(sig, &act);
		if (r == 0)
			actions[sig] = act;
	}
	dune_unlock(&actions_lock);
	if (r == 0 && old_addr)
		memcpy((void *)old_addr, &old, sizeof(old));
	return r;
}

long signal_sigaltstack(struct guest *g, struct vcpu *v, uint64_t ss_addr, uint64_t old_addr)
{
	stack_t cur;
	long r;
	int on;

	(void)g;
	raw_syscall2(SYS_sigaltstack, 0, &cur);
	/* The kernel judges "on the stack" by the host's sp; the program's counts. */
	on = altstack_holds(&cur, v->regs->rsp);
	if (ss_addr && on)
		return -EPERM;
	r = raw_syscall2(SYS_sigaltstack, ss_addr, old_addr);
	if (r == 0 && old_addr && on)
		((stack_t *)old_addr)->ss_flags = SS_ONSTACK | (cur.ss_flags & SS_AUTODISARM);
	return r;
}

/* Where a call that waits with a temporary signal mask keeps that mask. */
static long temp_mask_addr(struct guest *g, long nr, const long *a, uint64_t *addr)
{
	uint64_t size;

	switch (nr) {
	case SYS_rt_sigsuspend:
		*addr = (uint64_t)a[0], size = (uint64_t)a[1];
		break;
	case SYS_ppoll:
		*addr = (uint64_t)a[3], size = (uint64_t)a[4];
		break;
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		*addr = (uint64_t)a[4], size = (uint64_t)a[5];
		break;
	case SYS_pselect6: { /* the sixth argument points at { mask, size } */
		const uint64_t *pair = (const uint64_t *)a[5];

		if (!pair)
			return *addr = 0;
		if (!mem_user_access(g, (uint64_t)pair, 16, PROT_READ))
			return -EFAULT;
		*addr = pair[0], size = pair[1];
		break;
	}
	default:
		return -ENOSYS;
	}
	if (!*addr)
		return 0;
	if (size != SIGSET_SIZE)
		return -EINVAL;
	return mem_user_access(g, *addr, SIGSET_SIZE, PROT_READ) ? 0 : -EFAULT;
}

/* Has the host caught a signal for v, not yet delivered, that mask lets in? */
static bool caught_for(const struct vcpu *v, uint64_t mask)
{
	for (int i = v->sig.kept; i < v->sig.n; i++)
		if (!(mask & bit(v->sig.queue[i].si_signo)))
			return true;
	return false;
}

long signal_masked_wait(struct guest *g, struct vcpu *v, long nr, const long *a)
{
	uint64_t addr;
	long r;

	r = temp_mask_addr(g, nr, a, &addr);
	if (r)
		return r;
	/* A handler that interrupts the wait runs with the call's mask, and
	 * its frame saves the mask from before the call (signal(7)). */
	if (addr) {
		v->sig.suspend_mask = *(const uint64_t *)addr & ~UNBLOCKABLE;
		v->sig.suspended = true;
	}
	/* A signal the host caught on the way here (the exit that brought the
	 * call) ends the wait at once, as one just after it began would: the
	 * wait must not sleep through it. */
	if (caught_for(v, addr ? v->sig.suspend_mask : signal_program_mask(v)))
		return -EINTR;
	r = raw_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r != -EINTR)
		v->sig.suspended = false;
	return r;
}

/* signal(7): calls that fail with EINTR after a handler even with SA_RESTART. */
static int never_restarted(const struct guest_regs *r, long nr)
{
	switch (nr) {
	case SYS_pause: case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait:
	case SYS_nanosleep: case SYS_clock_nanosleep:
	case SYS_select: case SYS_pselect6: case SYS_poll: case SYS_ppoll:
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
	case SYS_io_getevents: case SYS_io_pgetevents:
	case SYS_msgrcv: case SYS_msgsnd: case SYS_semop: case SYS_semtimedop:
		return 1;
	case SYS_futex: /* a wait with a timeout */
		return (r->rsi & FUTEX_CMD_MASK) != FUTEX_WAKE && r->r10 != 0;
	default:
		return 0;
	}
}

/* Make the program run the interrupted syscall again. */
static void restart(struct guest_regs *r, long nr)
{
	r->rip -= STUB_EXIT_LEN; /* syscall and out imm8 are both two bytes */
	r->rax = (uint64_t)nr;
}

/* The signals pending for this thread alone (SigPnd of its status), or all
 * if it cannot be read. */
static uint64_t thread_pending(void)
{
	static const char key[] = "\nSigPnd:\t";
	char buf[4096];
	long fd = raw_syscall6(SYS_openat, AT_FDCWD, (long)"/proc/thread-self/status",
			       O_RDONLY | O_CLOEXEC, 0, 0, 0);
	long len = fd < 0 ? -1 : raw_syscall3(SYS_read, fd, buf, sizeof(buf) - 1);
	uint64_t set = 0;
	char *p;

	if (fd >= 0)
		raw_syscall1(SYS_close, fd);
	if (len <= 0)
		return ~0ull;
	buf[len] = '\0';
	p = strstr(buf, key);
	if (!p)
		return ~0ull;
	for (p += sizeof(key) - 1; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
		set = set << 4 | (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
	return set;
}

/* Signals of which the kernel holds one for this thread alone, asked once per
 * drain, before the drain gives any back: a signal given back goes behind
 * those, and would overtake them. */
static uint64_t held_for_thread(bool *known, uint64_t *set)
{
	uint64_t pending = 0;

	if (!*known) {
		raw_syscall6(SYS_rt_sigpending, (long)&pending, SIGSET_SIZE, 0, 0, 0, 0);
		*set = pending ? thread_pending() : 0;
		*known = true;
	}
	return *set;
}

/* The slow path of signal_deliver_pending: the queue is not empty. Signals
 * are blocked throughout, so the queue is worked on in place. */
static void deliver(struct guest *g, struct vcpu *v)
{
	struct vcpu_signals *s = &v->sig;
	uint64_t old = signal_block_all(), base, cur, kept_sigs = 0, later = 0;
	long nr = s->interrupted_nr;
	int n = s->n, kept = 0, delivered = 0;
	bool later_known = false;
	struct guest_regs regs;

	if (program_regs_get(g, v, &regs)) {
		signal_set_mask(old); /* in a stub, a few instructions from an exit */
		return;
	}
	s->interrupted_nr = -1;
	old &= ~s->held; /* the program's mask */
	base = s->suspended ? s->suspend_mask : old;
	cur = base;

	for (int i = 0; i < n; i++) {
		siginfo_t info = s->queue[i];
		uint64_t seq = s->seq[i], b = bit(info.si_signo);
		bool blocked = (cur | kept_sigs) & b;
		struct ksigaction act = take_action(info.si_signo, !blocked);

		if (!is_handler(act.handler)) {
			requeue(&info); /* changed since it was caught: the kernel acts */
			continue;
		}
		if (blocked) {
			/* Pending again, as in the kernel, unless the kernel holds
			 * a later one of it for this thread: then it stays here,
			 * ahead of that one. */
			if ((kept_sigs & b) || (held_for_thread(&later_known, &later) & b)) {
				s->queue[kept] = info;
				s->seq[kept++] = seq;
				kept_sigs |= b;
			} else {
				requeue(&info);
			}
			continue;
		}
		if (nr >= 0 && !delivered) {
			if (s->not_run || ((act.flags & SA_RESTART) && !never_restarted(&regs, nr)))
				restart(&regs, nr);
			nr = -1;
		}
		if (sigframe_push(g, v, &regs, &info, &act, delivered || !s->suspended ? cur : old,
				  NULL)) {
			signal_set_mask(cur);
			die_by_signal(g, SIGSEGV);
		}
		delivered++;
		cur |= act.mask | (act.flags & SA_NODEFER ? 0 : b);
	}
	if (nr >= 0) /* no handler ran: the kernel would restart it */
		restart(&regs, nr);
	if (!delivered && s->suspended)
		cur = old;
	s->suspended = false;
	s->not_run = false;
	__atomic_store_n(&s->n, kept, __ATOMIC_RELEASE);
	s->kept = kept;
	s->held = 0;
	program_regs_set(g, v, &regs);
	unblock_to(v, cur);
}

/* Only kept signals are queued: has the program unblocked one since? */
static bool kept_unblocked(const struct vcpu *v)
{
	uint64_t mask = signal_program_mask(v);

	for (int i = 0; i < v->sig.kept; i++)
		if (!(mask & bit(v->sig.queue[i].si_signo)))
			return true;
	return false;
}

void signal_deliver_pending(struct guest *g, struct vcpu *v)
{
	g->backend->clear_exit_request(v); /* before looking: a later signal sets it again */
	if (signal_pending(v)) {
		/* Stopped in the exitless stub: finish or rewind its call first. */
		if (v->regs && forward_in_stub(v, v->regs->rip))
			forward_take_over(g, v);
		deliver(g, v);
	} else if (v->sig.kept && kept_unblocked(v)) {
		deliver(g, v);
	}
}

void signal_fault_regs(struct guest *g, struct vcpu *v, const siginfo_t *info,
		       const struct fault_context *fc, const struct guest_regs *in)
{
	int sig = info->si_signo;
	struct guest_regs regs = *in;
	uint64_t mask = signal_block_all() & ~v->sig.held;
	struct ksigaction act = take_action(sig, !(mask & bit(sig)));

	/* As force_sig: a blocked or ignored fault signal kills. */
	if (!is_handler(act.handler) || (mask & bit(sig)))
		die_by_signal(g, sig);
	if (sigframe_push(g, v, &regs, info, &act, mask, fc))
		die_by_signal(g, SIGSEGV);
	program_regs_set(g, v, &regs);
	unblock_to(v, mask | act.mask | (act.flags & SA_NODEFER ? 0 : bit(sig)));
}

void signal_fault(struct guest *g, struct vcpu *v, const siginfo_t *info,
		  const struct fault_context *fc)
{
	struct guest_regs regs;

	if (program_regs_get(g, v, &regs))
		die_by_signal(g, info->si_signo);
	signal_fault_regs(g, v, info, fc, &regs);
}

void signal_return(struct guest *g, struct vcpu *v)
{
	struct guest_regs regs;
	uint64_t mask;

	if (program_regs_get(g, v, &regs) || sigframe_pop(g, v, &regs, &mask))
		die_by_signal(g, SIGSEGV);
	program_regs_set(g, v, &regs);
	unblock_to(v, mask & ~UNBLOCKABLE);
}
