/* runtime.h: the objects of the guest runtime and how they meet.
 *
 * One process has one VM (struct guest) and one vCPU per thread (struct vcpu).
 * The backend (backend.h) runs vCPUs; everything above it is the same for every
 * backend.
 */
#ifndef DUNE_RUNTIME_H
#define DUNE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "lock.h"
#include "pagetable.h"
#include "policy.h"
#include "vma.h"

/* General registers, in the order of struct kvm_regs (checked in kvm.c). */
struct guest_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

/* How this host's KVM treats the guest (platform.h), from the backend's probe. */
struct platform {
	bool known;
	bool syscall_stays_user; /* a CPL3 syscall reaches LSTAR still at CPL3 (PVM) */
	bool io_exit_past;       /* an I/O exit reports rip past the out (PVM) */
	bool ring0_general;      /* CPL0 runs general code; probed only when ring 0 is asked for */
	uint32_t exit_ns;        /* one exit from CPL3 and back, as the probe measured it */
};

struct dune_config {
	int ring;           /* 3 (default) or 0 */
	bool rewrite;       /* rewrite syscall sites into direct exits */
	bool report;        /* print the exit report */
	const char *backend; /* NULL: automatic; "kvm" or "dev" */
	bool ring_set;      /* DUNE_RING was given: it wins over the policy's ring */
	bool report_set;    /* DUNE_REPORT was given: it wins over the policy's report */
	int forward;        /* enum policy_forward: how syscalls reach the host */
	bool forward_set;   /* DUNE_FORWARD was given: it wins over the policy's forward */
	bool forward_handoff; /* DUNE_FORWARD_HANDOFF: servers run every call they may (tests) */
};

enum exit_kind {
	EXIT_SYSCALL_STUB,
	EXIT_SYSCALL_SITE,
	EXIT_EXCEPTION,
	EXIT_INTERRUPTED,
	EXIT_SYSCALL_EXITLESS, /* the exitless stub gave up waiting: the host takes over */
	EXIT_KINDS,
};

#define NR_SYSCALLS_TRACKED 512

struct vcpu_stats {
	uint64_t exits[EXIT_KINDS];
	uint64_t syscalls[NR_SYSCALLS_TRACKED];
	uint64_t exceptions[32];
	uint64_t faults_fixed;   /* page faults the runtime resolved (new or grown mappings) */
	uint64_t faults_program; /* page faults that were the program's own (no mapping, no right) */
	uint64_t sites_rewritten;
	uint64_t guest_tsc;      /* TSC ticks inside the backend's run call */
	uint64_t forwarded;      /* syscalls a server ran without an exit (forward.c) */
	uint64_t server_busy_tsc; /* TSC ticks the server spent spinning or running calls */
};

/* Per-vCPU supervisor memory: its GDT, TSS (with I/O bitmap) and IST stack. */
struct vcpu_area {
	uint64_t gdt[16];
	uint8_t tss[256] __attribute__((aligned(64)));
	uint8_t ist_stack[4 * 4096] __attribute__((aligned(4096)));
};

/* Exitless forwarding (forward.c): signals for the program that the kernel
 * gave a server during one call (the server then blocks the rest). */
#define FORWARD_SIGNALS 8

/* Signals the host caught for this thread, to be delivered inside the guest.
 * The host's handler appends; the vCPU loop drains with signals blocked.
 * None is ever dropped: from SIGNAL_QUEUE_SOFT entries on, the handler
 * blocks the signal it just queued in the kernel's mask (held), so the
 * kernel keeps later ones pending, in order; the room above SOFT takes one
 * more of each signal twice over (a mask change between two drains can let
 * one more through), and a server's signals. */
#define SIGNAL_QUEUE_SOFT 64
#define SIGNAL_QUEUE_LEN (SIGNAL_QUEUE_SOFT + 2 * 64 + FORWARD_SIGNALS)

struct vcpu_signals {
	siginfo_t queue[SIGNAL_QUEUE_LEN];
	uint64_t seq[SIGNAL_QUEUE_LEN]; /* when each was caught: orders a server's among them */
	int n;
	/* queue[0..kept): blocked when the vCPU last looked, and kept here
	 * rather than given back to the kernel, which holds later ones of
	 * the same signal for this thread (they would overtake it). */
	int kept;
	uint64_t held;        /* blocked in the kernel's mask by the handler, not by the program */
	bool catch_one;       /* the runtime is unblocking: hold everything after one more */
	int interrupted_nr;   /* the syscall that just returned -EINTR, or -1 */
	bool not_run;         /* ... or that a signal caught first kept from running */
	bool suspended;       /* in a wait with a temporary mask (sigsuspend, */
	uint64_t suspend_mask; /* ppoll, ...): handlers run with that mask */
	uint64_t start_mask;  /* the mask a new thread starts with */
};

/* Exitless forwarding (forward.c): this vCPU's stub, data page and server. */
struct vcpu_forward {
	uint8_t *code;            /* the stub's code page; its data page follows */
	long server_tid;          /* 0: no server thread yet */
	uint8_t *server_stack;
	uint64_t window_tsc;      /* auto: when the current window began */
	uint64_t window_calls;    /* auto: syscalls made before it */
	/* Signals for the program that the kernel gave to the server while it
	 * ran a call: the vCPU delivers them when it takes the answer. */
	siginfo_t sigs[FORWARD_SIGNALS];
	uint64_t sig_seq[FORWARD_SIGNALS];
	int nsigs;
	/* The thread has files, a cwd or semaphore undos of its own (made
	 * without CLONE_FILES, CLONE_FS or CLONE_SYSVSEM, or by such a
	 * thread): a server would not share them. own_files: the first. */
	bool unshared, own_files;
	/* Host-only: never in the data page, which the program may write, and
	 * which the host reads only as hints it checks against these. */
	bool on;                  /* this thread forwards without exits (FWD_ON is the stub's copy) */
	uint32_t awake;           /* the server is up, not asleep (FWD_AWAKE is the stub's copy) */
	uint32_t claim;           /* the server's part in the current call: FWD_IDLE, FWD_CLAIMED, or its answer */
	uint32_t stop;            /* a signal reached the server since it opened its mask */
	uint32_t host_waiting;    /* the vCPU thread waits on claim */
	long nr, ret;             /* the call the server ran, and its result */
	uint64_t mask;            /* the program thread's signal mask, for the server */
	uint8_t *argcopy;         /* the server's scratch for copies of a call's structures */
};

/* A hook (include/dune/hooks.h) running in the guest for this vCPU. */
struct vcpu_hook {
	uint64_t frame;           /* the struct dune_hook_fault on the program's stack; 0: none */
	uint64_t rflags;          /* the program's rflags at the fault */
	uint64_t mask;            /* the signal mask to restore when it returns */
	uint64_t error, addr;     /* the fault, as the CPU reported it */
	int vector;
	uint8_t fpu[4096] __attribute__((aligned(64))); /* the program's FPU state at the fault */
};

struct vcpu {
	uint64_t id;
	uint64_t exits;
	int fd;
	void *backend_state;      /* the backend's per-vCPU data */
	struct guest_regs *regs;  /* valid after an exit; backend-owned storage */
	bool regs_dirty;
	struct vcpu_area *area;
	uint64_t fs_base, gs_base;
	bool sregs_dirty;         /* fs/gs base changed: the backend must load them */
	struct vcpu_stats stats;
	uint8_t *host_stack;      /* HOST_STACK_SIZE bytes */
	long host_tid;            /* the thread running this vCPU */
	struct vcpu *next_free;   /* on guest.free_vcpus once that thread exited */
	struct vcpu_signals sig;
	struct vcpu *next_all;    /* every vCPU of the process, for the report */
	struct vcpu_hook hook;
	struct vcpu_forward fwd;
	uint8_t *argcopy;         /* scratch for copies of a call's structures (sysargs.c) */
	struct libdune_vcpu *libdune; /* after dune_enter (libdune.c); NULL before */
};

/* At the lowest address of every host stack: how a signal handler, which
 * runs on that stack, finds its vCPU (stacks are aligned to their size). */
struct host_stack_base {
	struct vcpu *vcpu;
	uint64_t magic;
};
#define HOST_STACK_MAGIC 0x6b63617473656e75ull
#define SERVER_STACK_MAGIC 0x7265767265736e75ull /* a server's stack (forward.c) */

#define HOST_STACK_SIZE (256u << 10) /* the host side of each thread runs on one */

struct cpu_setup;

struct guest {
	struct dune_config cfg;
	struct dune_policy policy; /* the policy files' rules for this program (enforce.c) */
	const struct backend_ops *backend;
	struct platform platform;  /* inherited by forked children */
	uint8_t *stubs;            /* supervisor page holding the stub blob */
	uint8_t *entry;            /* the entry page (entry.S): LSTAR of CPL3 programs */
	uint64_t *idt;             /* supervisor page */
	struct page_table pt;
	struct vma_list vmas;      /* the host's mappings, as the guest sees them */
	struct vma_list covered;   /* ranges backed by memory slots */
	struct vma_list reserved;  /* the runtime's own ranges, with their guest PTE flags */
	int nr_slots;
	uint64_t stack_top;        /* end of the main thread's [stack] */
	uint64_t brk_start, brk_end;
	uint64_t start_ns, start_tsc; /* at entry: the report converts ticks to time */
	struct vcpu *main_vcpu;
	const struct cpu_setup *setup; /* what every vCPU starts from */
	struct dune_lock lock;     /* over vmas, covered, reserved, pt, slots, rewriting */
	int live_threads;
	struct vcpu *free_vcpus;   /* KVM cannot destroy one vCPU: exited threads' are reused */
	uint64_t next_vcpu_id;
	int report_fd;             /* a private copy of stderr: programs often close theirs */
	int log_fd;                /* where trace lines go (the policy's log), or -1 */
	struct vcpu *all_vcpus;    /* through vcpu.next_all, under lock */
	struct vcpu_stats exited_stats; /* what threads that have exited counted */
	uint64_t mirror_gen;       /* bumped by every change of the mirror (libdune.c) */
	bool loader_phase;         /* only ld.so has run since entry (loader.h) */
};

extern struct guest dune_guest;

/* Is nr among the n syscall numbers of list? */
static inline bool syscall_listed(const short *list, size_t n, long nr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == nr)
			return true;
	return false;
}

/* syscall_names.c (generated from the kernel headers) */
extern const char *const dune_syscall_names[];
extern const int dune_syscall_count;

#endif
