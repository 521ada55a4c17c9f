/* forward.c: exitless syscalls: a server thread per vCPU runs the program's calls.
 *
 * The guest half is exitless.S: it posts the call in the slot of its data
 * page and spins. The server, a host thread of the process made by the
 * runtime (invisible to libc), spins on the slot for a while after each
 * call and then sleeps on a futex; it claims a posted call, runs it, and
 * writes the answer. The stub exits instead of waiting when the server
 * sleeps (the host then runs the call itself and wakes the server) and
 * when no answer came within its spin bound (the host takes over: it runs a
 * call the server has not claimed, or waits for the one it runs).
 *
 * Trust. Where the stub runs at CPL3 (PVM) the data page is the program's to
 * write: the host decides nothing by it. The server copies the request once
 * and checks it; whether the server claimed the call, its answer, and
 * whether it is awake live in struct vcpu_forward (host-only), and the
 * slot's words are hints for the stub that the host checks against them. A
 * take-over exit with a state that no call of ours is in is the program's
 * own out: SIGSEGV, as natively.
 *
 * Signals. Servers keep every signal blocked except while they run a call
 * that may wait, which they run with the program thread's mask, as the
 * thread itself would. A signal the kernel gives a server then is the
 * program's: it goes back to the program thread with the answer, and the
 * server blocks the rest, which the kernel keeps for the thread. The call
 * is interrupted; one that had not started yet (the signal came as the
 * server opened its mask) does not start (dune_server_syscall), and the
 * thread makes it again after its handler. A signal for the program thread
 * while its call waits on a server interrupts the server's call (a tgkill of
 * the same signal, which the server ignores), and the call then restarts or
 * fails with EINTR as signal(7) says.
 *
 * auto: a thread forwards without exits while it makes syscalls often
 * (AUTO_ON_PER_MS or more per millisecond over the last window) and a CPU
 * is left for its server (threads plus awake servers fewer than the CPUs
 * the process may use); it goes back to exits when its rate falls below
 * AUTO_OFF_PER_MS or the CPUs are taken.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "arch.h"
#include "dune/dune.h"
#include "forward.h"
#include "guest.h"
#include "lock.h"
#include "memory.h"
#include "pagetable.h"
#include "platform.h"
#include "procdir.h"
#include "rawsys.h"
#include "sysargs.h"
#include "signals.h"

#define SERVER_SPIN_NS 50000  /* a server's idle spin before it sleeps */
#define AUTO_WINDOW_NS 1000000
#define AUTO_ON_PER_MS 10
#define AUTO_OFF_PER_MS 2
#define KICK_AGAIN_NS 1000000 /* a kick may come before the server's call waits */
#define RECHECK_NS 5000000    /* a signal just before the futex wait is seen this late */

/* The server's claim (host-only, vcpu_forward.claim) besides FWD_IDLE,
 * FWD_CLAIMED and the answers of arch.h: a signal came before the call
 * started, which did not run. The slot then says FWD_DONE_SIGNAL. */
#define FWD_STOPPED 0x10

extern const uint8_t dune_exitless_kernel_start[], dune_exitless_kernel_end[];
extern const uint8_t dune_exitless_user_start[], dune_exitless_user_end[];
/* exitless.S: the server's syscall, which a signal before it runs stops. */
long dune_server_syscall(long nr, const long args[6], uint32_t *stop);
extern const uint8_t dune_server_syscall_check[], dune_server_syscall_done[];
extern const uint8_t dune_server_syscall_stopped[];
long dune_clone_thread(unsigned long flags, void *stack_top, uint64_t parent_tid,
		       uint64_t child_tid, uint64_t tls, void (*fn)(void *), void *arg);

static uint8_t eligible[FILTER_NR / 8]; /* the stub's copy is a hint; servers check again */
static uint32_t guest_spin;             /* pause iterations of the stub's wait */
static uint64_t server_spin_ticks, auto_window_ticks;
static int cpus;                        /* the CPUs the process may run on */
static int awake_servers;
static int servers_started;             /* in this process */
static bool disabled;                   /* servers became unsafe: every call exits */
static bool handoff;                    /* DUNE_FORWARD_HANDOFF: the stub always waits for the server */

static uint8_t *data_of(const struct vcpu *v)
{
	return v->fwd.code + FWD_CODE_SIZE;
}

static uint32_t *word(const struct vcpu *v, int off)
{
	return (uint32_t *)(data_of(v) + off);
}

static uint64_t *qword(const struct vcpu *v, int off)
{
	return (uint64_t *)(data_of(v) + off);
}

static long futex(uint32_t *addr, int op, uint32_t val, const struct timespec *timeout)
{
	return raw_syscall6(SYS_futex, (long)addr, op, val, (long)timeout, 0, 0);
}

/* Whether v forwards without exits: the host's record, and the stub's copy. */
static void set_on(struct vcpu *v, bool on)
{
	__atomic_store_n(&v->fwd.on, on, __ATOMIC_RELEASE);
	__atomic_store_n(word(v, FWD_ON), on, __ATOMIC_RELEASE);
}

/* Whether the server is up: the host's record, and the stub's copy. */
static void set_awake(struct vcpu *v, uint32_t awake)
{
	__atomic_store_n(&v->fwd.awake, awake, __ATOMIC_SEQ_CST);
	__atomic_store_n(word(v, FWD_AWAKE), awake, __ATOMIC_SEQ_CST);
}

static uint64_t ticks_per_ns_x1000(void)
{
	uint64_t t0 = __builtin_ia32_rdtsc(), n0 = raw_now_ns(), t1, n1;

	do {
		n1 = raw_now_ns();
	} while (n1 - n0 < 2000000);
	t1 = __builtin_ia32_rdtsc();
	return (t1 - t0) * 1000 / (n1 - n0);
}

/* How many pause iterations take about ns: pause costs 10 to 150 cycles. */
static uint32_t pauses_for(uint64_t ns, uint64_t tpn1000)
{
	uint64_t t0 = __builtin_ia32_rdtsc(), ticks;

	for (int i = 0; i < 1000; i++)
		__builtin_ia32_pause();
	ticks = (__builtin_ia32_rdtsc() - t0) / 1000 + 1;
	return (uint32_t)(ns * tpn1000 / 1000 / ticks + 1);
}

static int count_cpus(void)
{
	uint64_t set[16] = { 0 };
	long n = raw_syscall3(SYS_sched_getaffinity, 0, sizeof(set), set);
	int c = 0;

	for (long i = 0; i < n / 8; i++)
		c += __builtin_popcountll(set[i]);
	return c > 0 ? c : 1;
}

void forward_init(struct guest *g)
{
	uint64_t tpn;

	if (g->cfg.forward == POLICY_FORWARD_EXIT)
		return;
	/* At CPL0 the stub could not return with sysretq, and the module
	 * already runs syscalls in the kernel without leaving it. */
	if (g->cfg.ring != 3 || g->backend->kind != DUNE_BACKEND_KVM) {
		g->cfg.forward = POLICY_FORWARD_EXIT;
		return;
	}
	for (int nr = 0; nr < FILTER_NR; nr++) {
		const struct policy_syscall *rule = policy_syscall(&g->policy, nr);

		if (forward_eligible(nr) && rule->action == POLICY_SYS_ALLOW && !rule->trace)
			eligible[nr / 8] |= (uint8_t)(1u << (nr % 8));
	}
	forward_calls_init();
	tpn = ticks_per_ns_x1000();
	cpus = count_cpus();
	/* The stub waits about as long as an exit would cost (platform.h). */
	guest_spin = pauses_for(platform_exitless_wait_ns(&g->platform), tpn);
	server_spin_ticks = SERVER_SPIN_NS * tpn / 1000;
	auto_window_ticks = AUTO_WINDOW_NS * tpn / 1000;
	/* One CPU: a spinning side only keeps the other from running, so
	 * the stub exits at once and the host mostly runs the call itself. */
	if (cpus == 1)
		guest_spin = 1, server_spin_ticks = 0;
	/* For tests: every call the stub may post goes to the server, which
	 * sleeps between calls, and the stub's exit hands it over and waits.
	 * On one CPU too, so that the servers' side runs for every call. */
	handoff = g->cfg.forward_handoff;
	if (handoff)
		guest_spin = 1, server_spin_ticks = 0;
}

bool forward_active(const struct guest *g)
{
	return g->cfg.forward != POLICY_FORWARD_EXIT;
}

const char *forward_mode_name(const struct guest *g)
{
	static const char *const names[] = { "exit", "exitless", "auto" };
	static const char *const handoff_names[] = { "exit", "exitless handoff", "auto handoff" };

	if (disabled)
		return "exit (servers disabled)";
	return (handoff ? handoff_names : names)[g->cfg.forward];
}

int forward_vcpu_setup(struct guest *g, struct vcpu *v, struct cpu_setup *c)
{
	if (!forward_active(g))
		return 0;
	if (!v->fwd.code) {
		bool user = g->platform.syscall_stays_user;
		const uint8_t *start = user ? dune_exitless_user_start : dune_exitless_kernel_start;
		const uint8_t *end = user ? dune_exitless_user_end : dune_exitless_kernel_end;

		/* Where the stub runs at CPL3, so does its data page: the
		 * program may write it, and the server trusts none of it. */
		v->fwd.code = mem_alloc_reserved(g, 2 * PAGE_SIZE,
						 platform_exitless_code_pte(&g->platform));
		if (!v->fwd.code || mem_reserved_flags(g, data_of(v), PAGE_SIZE,
						       platform_exitless_data_pte(&g->platform)))
			return -ENOMEM;
		memcpy(v->fwd.code, start, end - start);
	}
	*word(v, FWD_STATE) = FWD_IDLE;
	set_on(v, g->cfg.forward == POLICY_FORWARD_EXITLESS && !disabled && !v->fwd.unshared);
	*word(v, FWD_SPIN) = guest_spin;
	*qword(v, FWD_FALLBACK) = c->lstar;
	memcpy(data_of(v) + FWD_ELIGIBLE, eligible, sizeof(eligible));
	v->fwd.window_tsc = 0;
	v->fwd.nsigs = 0;
	/* A pooled vCPU keeps its server, asleep: the first call wakes it. */
	c->lstar = (uint64_t)v->fwd.code;
	return 0;
}

bool forward_in_stub(const struct vcpu *v, uint64_t rip)
{
	return v->fwd.code && rip - (uint64_t)v->fwd.code < FWD_CODE_SIZE;
}

/* ---- The server thread ---- */

/* The host's own copy decides: the policy allows it and it is not thread-bound. */
static bool served(long nr)
{
	return nr >= 0 && nr < FILTER_NR && (eligible[nr / 8] >> (nr % 8) & 1);
}

static void server_sleep(struct vcpu *v)
{
	uint32_t *state = word(v, FWD_STATE), s;

	__atomic_sub_fetch(&awake_servers, 1, __ATOMIC_RELAXED);
	if (handoff) {
		/* Still awake for the stub, which posts; its exit wakes us. */
		while ((s = __atomic_load_n(state, __ATOMIC_SEQ_CST)) != FWD_POSTED)
			futex(state, FUTEX_WAIT, s, NULL);
		__atomic_add_fetch(&awake_servers, 1, __ATOMIC_RELAXED);
		return;
	}
	set_awake(v, 0);
	/* A call posted before the stub saw us asleep is still ours. */
	if (__atomic_load_n(state, __ATOMIC_SEQ_CST) == FWD_POSTED)
		set_awake(v, 1);
	while (!__atomic_load_n(&v->fwd.awake, __ATOMIC_ACQUIRE))
		futex(&v->fwd.awake, FUTEX_WAIT, 0, NULL);
	__atomic_add_fetch(&awake_servers, 1, __ATOMIC_RELAXED);
}

/* The server's part in the current call, for the vCPU thread, which may wait on it. */
static void set_claim(struct vcpu *v, uint32_t claim)
{
	__atomic_store_n(&v->fwd.claim, claim, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->fwd.host_waiting, __ATOMIC_SEQ_CST))
		futex(&v->fwd.claim, FUTEX_WAKE, 1, NULL);
}

/* Spin until a call is posted and claim it; sleep when none comes. The
 * host's record says claimed before the slot does, so that a vCPU thread
 * that finds the slot claimed finds its record claimed too (or answered). */
static void server_claim(struct vcpu *v)
{
	uint32_t *state = word(v, FWD_STATE);

	for (;;) {
		uint64_t t0 = __builtin_ia32_rdtsc(), now = t0;

		do {
			uint32_t posted = FWD_POSTED;

			if (__atomic_load_n(state, __ATOMIC_ACQUIRE) == FWD_POSTED) {
				__atomic_store_n(&v->fwd.claim, FWD_CLAIMED, __ATOMIC_SEQ_CST);
				if (__atomic_compare_exchange_n(state, &posted, FWD_CLAIMED, false,
								__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
					v->stats.server_busy_tsc += __builtin_ia32_rdtsc() - t0;
					return;
				}
				set_claim(v, FWD_IDLE); /* taken back, or changed by the program */
			}
			__builtin_ia32_pause();
			now = __builtin_ia32_rdtsc();
		} while (now - t0 < server_spin_ticks);
		v->stats.server_busy_tsc += now - t0;
		server_sleep(v);
	}
}

/* The slot's state for the stub first, then the host's record. */
static void server_answer(struct vcpu *v, uint32_t state, uint32_t claim)
{
	__atomic_store_n(word(v, FWD_STATE), state, __ATOMIC_SEQ_CST);
	set_claim(v, claim);
}

static void keep_signal(struct vcpu *v, const siginfo_t *info, uint64_t seq)
{
	int n = v->fwd.nsigs;

	if (n == FORWARD_SIGNALS)
		return; /* cannot happen: one signal stops the call, and the raised two */
	v->fwd.sigs[n] = *info;
	v->fwd.sig_seq[n] = seq;
	__atomic_store_n(&v->fwd.nsigs, n + 1, __ATOMIC_RELEASE);
}

/* A signal the call raised on the server itself is the program thread's:
 * SIGPIPE for a write to a pipe or socket nobody reads (even after part of
 * it was written), SIGXFSZ for one past RLIMIT_FSIZE. One the thread does
 * not block reached our handler during the call, unless an earlier signal
 * had blocked them all; the others are pending here still: take them, and
 * the vCPU thread makes them pending on itself (signal.c's deliver). A late
 * kick of ours is dropped. */
static void take_raised_signals(struct vcpu *v, uint64_t mask)
{
	static const struct timespec now;
	uint64_t raised = 1ull << (SIGPIPE - 1) | 1ull << (SIGXFSZ - 1);
	uint64_t set = raised & (v->fwd.stop ? ~0ull : mask);
	siginfo_t info;

	if (!set)
		return; /* the usual case: no syscall at all */
	while (raw_syscall6(SYS_rt_sigtimedwait, (long)&set, (long)&info, (long)&now, 8, 0, 0) > 0)
		if (info.si_code != SI_TKILL || info.si_pid != raw_syscall0(SYS_getpid))
			keep_signal(v, &info, signal_catch_seq());
}

/* The request, read once: where the stub runs at CPL3 the program can
 * change the slot at any time, so the server checks and runs only its copy. */
static long copy_request(const struct vcpu *v, long a[6])
{
	for (int i = 0; i < 6; i++)
		a[i] = (long)__atomic_load_n(qword(v, FWD_ARGS + 8 * i), __ATOMIC_RELAXED);
	return (long)__atomic_load_n(qword(v, FWD_NR), __ATOMIC_RELAXED);
}

/* Calls the server does not run for this thread: not allowed, thread-bound,
 * with arguments only the vCPU can judge, or any of a thread that does not
 * forward now (a call posted anyway came from the program's writes, not
 * from its stub). */
static bool server_refuses(const struct vcpu *v, long nr, const long a[6])
{
	return !served(nr) || !forward_server_may_run(nr, a) || sysargs_vcpu_only(nr) ||
	       __atomic_load_n(&disabled, __ATOMIC_ACQUIRE) || v->libdune ||
	       !__atomic_load_n(&v->fwd.on, __ATOMIC_ACQUIRE) || v->fwd.unshared;
}

static void server_main(void *arg)
{
	struct vcpu *v = arg;
	uint64_t all = ~0ull;

	__atomic_add_fetch(&awake_servers, 1, __ATOMIC_RELAXED);
	for (;;) {
		long orig[6], a[6], nr, ret;
		uint64_t t0, mask;
		bool quick;

		server_claim(v);
		t0 = __builtin_ia32_rdtsc();
		nr = copy_request(v, orig);
		memcpy(a, orig, sizeof(a));
		/* The arguments' checks and copies (into the server's own
		 * scratch); a refusal is the vCPU's to answer. */
		if (server_refuses(v, nr, a) || sysargs_prepare(&dune_guest, &v->fwd.argcopy, nr, a)) {
			server_answer(v, FWD_BOUNCED, FWD_BOUNCED);
			continue;
		}
		quick = forward_quick(nr);
		mask = v->fwd.mask;
		v->fwd.stop = 0;
		if (!quick) /* a call that may wait: a signal for the thread must reach it */
			raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0, 0);
		ret = sysargs_opened(nr, dune_server_syscall(nr, a, &v->fwd.stop));
		if (!quick) {
			raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8, 0, 0);
			take_raised_signals(v, mask);
		}
		if (v->fwd.stop == 2) { /* not run: the thread runs its handler first */
			server_answer(v, FWD_DONE_SIGNAL, FWD_STOPPED);
			continue;
		}
		sysargs_finish(nr, orig, a, ret);
		forward_calls_after(nr, orig, ret);
		procdir_after(nr, orig, ret);
		v->stats.syscalls[nr]++;
		v->stats.forwarded++;
		v->fwd.nr = nr;
		v->fwd.ret = ret;
		*qword(v, FWD_RET) = (uint64_t)ret; /* the stub's copy */
		v->stats.server_busy_tsc += __builtin_ia32_rdtsc() - t0;
		if (__atomic_load_n(&v->fwd.nsigs, __ATOMIC_ACQUIRE))
			server_answer(v, FWD_DONE_SIGNAL, FWD_DONE_SIGNAL);
		else
			server_answer(v, FWD_DONE, FWD_DONE);
	}
}

void forward_server_signal(struct vcpu *v, const siginfo_t *info, struct kernel_ucontext *uc)
{
	uint64_t seq = signal_catch_seq(); /* first: the order of catches across threads */
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];

	/* The call is interrupted, or does not start; the server takes no
	 * more signals (the kernel keeps them for the thread). */
	if (rip >= (uint64_t)dune_server_syscall_check && rip < (uint64_t)dune_server_syscall_done) {
		v->fwd.stop = 2;
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)dune_server_syscall_stopped;
	} else if (!v->fwd.stop) {
		v->fwd.stop = 1;
	}
	uc->uc_sigmask = ~0ull;
	if (info->si_code == SI_TKILL && info->si_pid == raw_syscall0(SYS_getpid))
		return; /* the vCPU thread's kick: interrupting the call was the point */
	keep_signal(v, info, seq);
	/* A vCPU thread waiting for the answer sees it. */
	futex(&v->fwd.claim, FUTEX_WAKE, 1, NULL);
}

static int server_start(struct guest *g, struct vcpu *v)
{
	uint64_t mask;
	long tid;

	if (!v->fwd.server_stack) {
		dune_lock(&g->lock);
		v->fwd.server_stack = mem_alloc_server_stack(g, v);
		dune_unlock(&g->lock);
		if (!v->fwd.server_stack)
			return -ENOMEM;
	}
	if (!v->fwd.argcopy && !(v->fwd.argcopy = sysargs_scratch_new()))
		return -ENOMEM;
	set_awake(v, 1);
	mask = signal_block_all(); /* the server starts, and stays, with all blocked */
	tid = dune_clone_thread(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
					CLONE_SYSVSEM,
				v->fwd.server_stack + HOST_STACK_SIZE, 0, 0, 0, server_main, v);
	signal_set_mask(mask);
	if (tid < 0) {
		set_awake(v, 0);
		return (int)tid;
	}
	v->fwd.server_tid = tid;
	__atomic_add_fetch(&servers_started, 1, __ATOMIC_RELAXED);
	return 0;
}

static void server_wake(struct guest *g, struct vcpu *v)
{
	if (__atomic_load_n(&v->fwd.awake, __ATOMIC_ACQUIRE))
		return;
	if (!v->fwd.server_tid) {
		if (server_start(g, v))
			set_on(v, false); /* no server: this thread exits */
		return;
	}
	set_awake(v, 1);
	futex(&v->fwd.awake, FUTEX_WAKE, 1, NULL);
}

/* ---- The vCPU thread's side ---- */

/* Wait while the server runs the call (claimed), or, with handoff, for it
 * to take one still posted, after waking it. A signal for this thread
 * interrupts the server's call, or takes a posted call back first. Waits
 * are decided by the host's record alone. False: taken back. */
static bool wait_for_server(struct vcpu *v)
{
	uint32_t *state = word(v, FWD_STATE), claim, posted;
	uint64_t kicked = 0;
	bool taken_back = false;

	__atomic_store_n(&v->fwd.host_waiting, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		struct timespec again = { 0, kicked ? KICK_AGAIN_NS : RECHECK_NS };

		claim = __atomic_load_n(&v->fwd.claim, __ATOMIC_SEQ_CST);
		if (claim != FWD_CLAIMED) {
			if (!handoff || !v->fwd.server_tid ||
			    __atomic_load_n(state, __ATOMIC_SEQ_CST) != FWD_POSTED)
				break;
			posted = FWD_POSTED;
			if (signal_pending(v) &&
			    __atomic_compare_exchange_n(state, &posted, FWD_IDLE, false,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
				taken_back = true;
				break;
			}
			futex(state, FUTEX_WAKE, 1, NULL); /* the server sleeps on it */
		} else if (signal_pending(v) && raw_now_ns() - kicked >= KICK_AGAIN_NS) {
			raw_syscall3(SYS_tgkill, raw_syscall0(SYS_getpid), v->fwd.server_tid,
				     v->sig.queue[v->sig.kept].si_signo);
			kicked = raw_now_ns();
		}
		/* The answer wakes us; so does our signal handler (EINTR). */
		futex(&v->fwd.claim, FUTEX_WAIT, claim, &again);
	}
	__atomic_store_n(&v->fwd.host_waiting, 0, __ATOMIC_RELAXED);
	return !taken_back;
}

/* The slot's state that goes with the server's answer. */
static uint32_t answer_state(uint32_t claim)
{
	return claim == FWD_STOPPED ? FWD_DONE_SIGNAL : claim;
}

/* What became of the call in v's slot, by the host's record: taken back
 * before the server claimed it (FWD_POSTED), the server's answer (FWD_DONE,
 * FWD_DONE_SIGNAL, FWD_BOUNCED, FWD_STOPPED), none posted (FWD_IDLE), or -1:
 * the slot says what no call of ours is in (the program wrote it). */
static int settle(struct vcpu *v)
{
	uint32_t *state = word(v, FWD_STATE), posted = FWD_POSTED, claim, s;
	bool waited = false;

	if (handoff && !wait_for_server(v))
		return FWD_POSTED; /* a signal came before the server took it */
	if (__atomic_compare_exchange_n(state, &posted, FWD_IDLE, false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		return FWD_POSTED; /* the server never took it */
	claim = __atomic_load_n(&v->fwd.claim, __ATOMIC_SEQ_CST);
	if (claim == FWD_CLAIMED) {
		wait_for_server(v);
		waited = true;
		claim = __atomic_load_n(&v->fwd.claim, __ATOMIC_SEQ_CST);
	}
	s = __atomic_load_n(state, __ATOMIC_SEQ_CST);
	/* An answer the stub already took stays in the record: it counts only
	 * with the slot's matching state, or when we saw it come. */
	if (claim != FWD_IDLE && claim != FWD_CLAIMED && (waited || s == answer_state(claim)))
		return (int)claim;
	return s == FWD_IDLE ? FWD_IDLE : -1;
}

/* Signals the kernel gave the server for this thread join its queue. */
static void take_server_signals(struct vcpu *v)
{
	int n = __atomic_load_n(&v->fwd.nsigs, __ATOMIC_ACQUIRE);
	uint64_t mask = signal_block_all();

	signal_queue_from_server(v, v->fwd.sigs, v->fwd.sig_seq, n);
	v->fwd.nsigs = 0;
	signal_set_mask(mask);
}

/* The vCPU leaves the stub with rax as it is: at CPL0 through the stub's
 * sysretq, at CPL3 (where that would fault) by the host resuming the
 * program. rewind: at its syscall instruction, to make the call again. */
static void leave_stub(struct guest *g, struct vcpu *v, bool rewind)
{
	struct guest_regs *r = v->regs;

	if (rewind)
		r->rcx -= 2;
	platform_leave_stub(&g->platform, r, (uint64_t)v->fwd.code + FWD_SYSRET);
	v->regs_dirty = true;
}

/* The program ran the take-over out with no call of ours in the slot (it
 * wrote the state, and jumped there): an out of its own, which natively
 * raises #GP, as vcpu.c's exit_from_elsewhere has it. Where the stub runs
 * at CPL3 its registers are the program's. */
static void forged_exit(struct guest *g, struct vcpu *v)
{
	siginfo_t si = { .si_signo = SIGSEGV, .si_code = SI_KERNEL };
	struct fault_context fc = { .trapno = 13 };

	signal_fault_regs(g, v, &si, &fc, v->regs);
}

void forward_take_over(struct guest *g, struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	uint64_t at = r->rip - (uint64_t)v->fwd.code;
	long nr = (long)*qword(v, FWD_NR);
	int how = settle(v);
	uint32_t answered;
	bool pending;

	switch (how) {
	case FWD_IDLE:
		/* At the take-over, no call in flight: the program's own out. */
		if (at == FWD_TAKE_OVER) {
			forged_exit(g, v);
			return;
		}
		/* Settled already (rax holds the answer, the return is next), or
		 * not posted (or bounced): back to the program's syscall
		 * instruction, with rax the number, as before it ran. */
		leave_stub(g, v, at != FWD_SYSRET && at != FWD_DONE_SYSRET);
		return;
	case -1:
		/* No call in flight. Stopped elsewhere in the stub (a signal),
		 * it runs on to this same take-over, which ends here. */
		if (at == FWD_TAKE_OVER)
			forged_exit(g, v);
		return;
	case FWD_POSTED:
	case FWD_BOUNCED:
		goto not_started;
	case FWD_STOPPED:
		take_server_signals(v);
		goto not_started;
	}
	r->rax = (uint64_t)v->fwd.ret;
	if ((long)r->rax == -EINTR)
		v->sig.interrupted_nr = (int)v->fwd.nr;
	if (how == FWD_DONE_SIGNAL)
		take_server_signals(v);
	answered = (uint32_t)how;
	__atomic_compare_exchange_n(&v->fwd.claim, &answered, FWD_IDLE, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	__atomic_store_n(word(v, FWD_STATE), FWD_IDLE, __ATOMIC_RELEASE);
	leave_stub(g, v, false);
	return;
not_started:
	answered = (uint32_t)how;
	__atomic_compare_exchange_n(&v->fwd.claim, &answered, FWD_IDLE, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	__atomic_store_n(word(v, FWD_STATE), FWD_IDLE, __ATOMIC_RELEASE);
	r->rax = (uint64_t)nr;
	forward_on_exit(g, v, nr);
	/* A signal that came first (up to here: waking the server is a
	 * syscall, which one may come with): its handler runs before the call,
	 * as natively, and a call that would wait cannot miss it. */
	pending = signal_pending(v);
	leave_stub(g, v, pending);
	if (!pending)
		syscall_handle(g, v);
}

static bool cpu_left_for_server(struct guest *g)
{
	return __atomic_load_n(&g->live_threads, __ATOMIC_RELAXED) +
		       __atomic_load_n(&awake_servers, __ATOMIC_RELAXED) < cpus;
}

static uint64_t calls_made(const struct vcpu *v)
{
	return v->exits + v->stats.forwarded;
}

/* auto: judge the thread's last window of syscalls (see the top of the file). */
static void auto_decide(struct guest *g, struct vcpu *v)
{
	uint64_t now = __builtin_ia32_rdtsc(), elapsed = now - v->fwd.window_tsc;
	uint64_t calls = calls_made(v) - v->fwd.window_calls;
	bool on = v->fwd.on;

	if (!v->fwd.window_tsc || elapsed > 16 * auto_window_ticks)
		goto new_window; /* a long quiet spell tells nothing about the rate */
	if (elapsed < auto_window_ticks)
		return;
	if (!on && calls * auto_window_ticks >= AUTO_ON_PER_MS * elapsed && cpu_left_for_server(g) &&
	    !v->fwd.unshared)
		set_on(v, true);
	else if (on && (calls * auto_window_ticks < AUTO_OFF_PER_MS * elapsed ||
			!cpu_left_for_server(g)))
		set_on(v, false);
new_window:
	v->fwd.window_tsc = now;
	v->fwd.window_calls = calls_made(v);
}

void forward_on_exit(struct guest *g, struct vcpu *v, long nr)
{
	if (!v->fwd.code || disabled || v->fwd.unshared)
		return;
	if (g->cfg.forward == POLICY_FORWARD_AUTO)
		auto_decide(g, v);
	/* An eligible call that exited found the server asleep (or missing). */
	if (v->fwd.on && served(nr))
		server_wake(g, v);
}

void forward_before_run(struct guest *g, struct vcpu *v)
{
	(void)g;
	/* Only a thread that forwards needs it; forward_on_exit turns one on
	 * before the next run, which reads it here. */
	if (v->fwd.code && v->fwd.on)
		v->fwd.mask = signal_program_mask(v);
}

void forward_disable(struct guest *g)
{
	__atomic_store_n(&disabled, true, __ATOMIC_RELEASE);
	dune_lock(&g->lock);
	for (struct vcpu *o = g->all_vcpus; o; o = o->next_all)
		if (o->fwd.code)
			set_on(o, false);
	dune_unlock(&g->lock);
}

void forward_after_syscall(struct guest *g, struct vcpu *v, long nr, const long args[6], long ret)
{
	if (!forward_active(g))
		return;
	if (!v->fwd.own_files) /* its descriptors are not the ones servers see */
		forward_calls_after(nr, args, ret);
	if (ret < 0 || disabled)
		return;
	switch (nr) {
	case SYS_setuid: case SYS_setgid: case SYS_setreuid: case SYS_setregid:
	case SYS_setresuid: case SYS_setresgid: case SYS_setfsuid: case SYS_setfsgid:
	case SYS_setgroups: case SYS_capset: case SYS_seccomp: case SYS_unshare: case SYS_setns:
	case SYS_landlock_restrict_self: case SYS_personality:
		forward_disable(g);
		break;
	case SYS_prctl:
		switch (args[0]) {
		case 8: case 22: case 24: case 28: case 38: case 47:
			/* KEEPCAPS, SECCOMP, CAPBSET_DROP, SECUREBITS, NO_NEW_PRIVS, CAP_AMBIENT */
			forward_disable(g);
		}
		break;
	}
}

void forward_after_fork(struct guest *g, struct vcpu *v)
{
	(void)g;
	awake_servers = 0;
	servers_started = 0;
	if (!v->fwd.code)
		return;
	v->fwd.server_tid = 0; /* the parent's; the child has none */
	v->fwd.nsigs = 0;
	v->fwd.unshared = v->fwd.own_files = false; /* its server will share what it has */
	set_awake(v, 0);
	*word(v, FWD_STATE) = FWD_IDLE;
	v->fwd.claim = FWD_IDLE;
	v->fwd.stop = 0;
	v->fwd.host_waiting = 0;
}

void forward_new_thread(struct vcpu *v, const struct vcpu *parent, unsigned long flags)
{
	const unsigned long shared = CLONE_FILES | CLONE_FS | CLONE_SYSVSEM;

	v->fwd.unshared = parent->fwd.unshared || (flags & shared) != shared;
	v->fwd.own_files = parent->fwd.own_files || !(flags & CLONE_FILES);
}
