/* dev.c: the /dev/dune backend (module/, dune.ko).
 *
 * The module maps memory itself (EPT built lazily from this process's pages,
 * kept coherent by an MMU notifier), so add_memory has nothing to do, and it
 * executes the syscalls of the fast set below in the kernel, on this
 * thread's behalf: a DUNE_RUN returns only for what the runtime must do
 * itself (memory-map changes, clone, fork, execve, signals, exceptions,
 * dune's own calls). The guest runs on the thread's own FPU registers; the
 * guest's FPU state is kept in an XSAVE image around each DUNE_RUN so that
 * host code between runs cannot disturb it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "backend.h"
#include "cpu.h"
#include "dune/uapi.h"
#include "fds.h"
#include "log.h"
#include "platform.h"
#include "rawsys.h"
#include "sysargs.h"
#include "signals.h"

_Static_assert(sizeof(struct guest_regs) == sizeof(struct dune_regs), "guest_regs layout");
_Static_assert(offsetof(struct guest_regs, rip) == offsetof(struct dune_regs, rip), "rip");
_Static_assert(PORT_SYSCALL_STUB == DUNE_PORT_SYSCALL_STUB, "stub port");
_Static_assert(PORT_SYSCALL_SITE == DUNE_PORT_SYSCALL_SITE, "site port");

struct dev_vcpu_state {
	struct dune_run run;
	uint8_t *fpu;            /* the guest's XSAVE image, xsave_size bytes */
	bool user_root;          /* on libdune's user-mode page table */
};

static int dev_fd = -1;
static struct dune_layout layout;
static uint32_t xsave_size;

/* Guest-physical windows (uapi.h): the host address each one shows, given
 * out in the order the process touches new regions. Few are in use (the
 * program, the mmap area, the stack), so a scan is fast enough. */
#define MAX_WINDOWS 64
static uint64_t windows[MAX_WINDOWS];
static uint32_t nr_windows;

static uint64_t window_mask(void)
{
	return (1ull << layout.window_shift) - 1;
}

static uint64_t dev_to_phys(uint64_t va)
{
	uint64_t base = va & ~window_mask();

	for (uint32_t i = 0; i < nr_windows; i++)
		if (windows[i] == base)
			return ((uint64_t)i << layout.window_shift) | (va & window_mask());
	return PTE_ADDR; /* reserved bits in a PTE: the guest gets a page fault */
}

static uint64_t dev_to_virt(uint64_t pa)
{
	return windows[pa >> layout.window_shift] + (pa & window_mask());
}

static int set_window(uint32_t index)
{
	struct dune_window w = { .hva = windows[index], .index = index };

	return (int)raw_ioctl(dev_fd, DUNE_SET_WINDOW, &w);
}

/* Syscalls the module may run itself: those the runtime passes straight
 * through (syscall.c) and that need nothing of the thread's own registers. */
static const int fast_syscalls[] = {
	SYS_read, SYS_write, SYS_open, SYS_stat, SYS_fstat, SYS_lstat, SYS_poll, SYS_lseek,
	SYS_ioctl, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev, SYS_access, SYS_pipe,
	SYS_select, SYS_sched_yield, SYS_msync, SYS_mincore, SYS_madvise, SYS_dup,
	SYS_nanosleep, SYS_getitimer, SYS_alarm, SYS_setitimer, SYS_getpid, SYS_sendfile,
	SYS_socket, SYS_connect, SYS_accept, SYS_sendto, SYS_recvfrom, SYS_sendmsg,
	SYS_recvmsg, SYS_shutdown, SYS_bind, SYS_listen, SYS_getsockname, SYS_getpeername,
	SYS_socketpair, SYS_setsockopt, SYS_getsockopt, SYS_wait4, SYS_uname, SYS_fcntl,
	SYS_flock, SYS_fsync, SYS_fdatasync, SYS_truncate, SYS_ftruncate, SYS_getdents,
	SYS_getcwd, SYS_chdir, SYS_fchdir, SYS_rename, SYS_mkdir, SYS_rmdir, SYS_creat,
	SYS_link, SYS_unlink, SYS_symlink, SYS_readlink, SYS_chmod, SYS_fchmod, SYS_chown,
	SYS_fchown, SYS_lchown, SYS_umask, SYS_gettimeofday, SYS_getrlimit, SYS_getrusage,
	SYS_sysinfo, SYS_times, SYS_getuid, SYS_getgid, SYS_geteuid, SYS_getegid,
	SYS_setpgid, SYS_getppid, SYS_getpgrp, SYS_setsid, SYS_getgroups, SYS_getpgid,
	SYS_getsid, SYS_statfs, SYS_fstatfs, SYS_getpriority, SYS_gettid, SYS_time,
	SYS_futex, SYS_sched_setaffinity, SYS_sched_getaffinity, SYS_getdents64,
	SYS_set_tid_address, SYS_fadvise64, SYS_clock_gettime, SYS_clock_getres,
	SYS_clock_nanosleep, SYS_openat, SYS_mkdirat, SYS_newfstatat, SYS_unlinkat,
	SYS_renameat, SYS_readlinkat, SYS_faccessat, SYS_faccessat2, SYS_pipe2,
	SYS_eventfd2, SYS_epoll_create1, SYS_epoll_ctl, SYS_epoll_wait, SYS_set_robust_list,
	SYS_get_robust_list, SYS_prlimit64, SYS_getrandom, SYS_statx, SYS_rseq,
	SYS_membarrier, SYS_sched_getparam, SYS_sched_getscheduler, SYS_getresuid,
	SYS_getresgid, SYS_sync, SYS_syncfs, SYS_fallocate, SYS_copy_file_range,
	SYS_splice, SYS_tee, SYS_preadv, SYS_pwritev, SYS_preadv2, SYS_pwritev2,
	SYS_timerfd_create, SYS_timerfd_settime, SYS_timerfd_gettime, SYS_accept4,
	SYS_recvmmsg, SYS_sendmmsg, SYS_inotify_init1, SYS_inotify_add_watch,
	SYS_inotify_rm_watch, SYS_memfd_create, SYS_utimensat, SYS_fchmodat, SYS_fchownat,
	SYS_linkat, SYS_symlinkat, SYS_renameat2, SYS_name_to_handle_at, SYS_waitid,
};

/* DUNE_DEV_FASTPATH=0: every syscall comes back to user space, as with KVM
 * (read once at open, for measurements). */
static bool fastpath_off;
/* vCPUs running libdune's user mode: every syscall there is the program's
 * handler's to judge, so the module may run none itself meanwhile (the set
 * is the VM's: other threads lose the fast path for that time, nothing else). */
static int user_mode_vcpus;

static int set_fastpath(void)
{
	struct dune_fastpath fp;

	memset(&fp, 0, sizeof(fp));
	if (!(layout.flags & DUNE_LAYOUT_FASTPATH) || fastpath_off ||
	    __atomic_load_n(&user_mode_vcpus, __ATOMIC_ACQUIRE))
		return (int)raw_ioctl(dev_fd, DUNE_SET_FASTPATH, &fp);
	for (size_t i = 0; i < sizeof(fast_syscalls) / sizeof(fast_syscalls[0]); i++) {
		const struct policy_syscall *rule = policy_syscall(&dune_guest.policy, fast_syscalls[i]);

		/* What the policy denies, kills, traces or counts comes back to us,
		 * and so does every call with an argument the runtime checks: a
		 * descriptor, a pointer, a thread (sysargs.h). The module would
		 * run it without those checks. */
		if (rule->action != POLICY_SYS_ALLOW || rule->trace || rule->count ||
		    !sysargs_plain(fast_syscalls[i]))
			continue;
		if ((uint32_t)fast_syscalls[i] < layout.max_syscall)
			fp.bits[fast_syscalls[i] / 64] |= 1ull << (fast_syscalls[i] % 64);
	}
	return (int)raw_ioctl(dev_fd, DUNE_SET_FASTPATH, &fp);
}

static int open_device(void)
{
	long fd = raw_syscall3(SYS_open, "/dev/dune", O_RDWR | O_CLOEXEC, 0);

	if (fd < 0)
		return (int)fd;
	dev_fd = fd_protect((int)fd);
	return dev_fd < 0 ? dev_fd : 0;
}

/* The module exists only on VT-x hardware: a syscall switches to CPL0 and
 * exits report rip at the instruction. Nothing to run. */
static int dev_probe(struct vcpu *v, const struct cpu_setup *c, uint64_t code, bool ring0,
		     struct platform *p)
{
	(void)v, (void)c, (void)code, (void)ring0;
	platform_hardware(p);
	return 0;
}

static int dev_open(char *why, size_t len)
{
	const char *fast = getenv("DUNE_DEV_FASTPATH");
	int r = open_device();

	fastpath_off = fast && !strcmp(fast, "0");
	if (r) {
		if (r == -ENOENT)
			snprintf(why, len, "/dev/dune does not exist: load the module (insmod module/dune.ko) "
				 "on a CPU with VT-x and EPT, or use DUNE_BACKEND=kvm");
		else
			snprintf(why, len, "cannot open /dev/dune: %s", strerror(-r));
		return r;
	}
	r = (int)raw_ioctl(dev_fd, DUNE_GET_LAYOUT, &layout);
	if (r) {
		snprintf(why, len, "/dev/dune does not answer DUNE_GET_LAYOUT (%s)", strerror(-r));
		return r;
	}
	if (layout.version != DUNE_API_VERSION || layout.run_size != sizeof(struct dune_run)) {
		snprintf(why, len, "/dev/dune speaks API version %u, this runtime needs %d: "
			 "load the dune.ko built with it", layout.version, DUNE_API_VERSION);
		return -EINVAL;
	}
	if ((r = set_fastpath())) {
		snprintf(why, len, "DUNE_SET_FASTPATH failed: %s", strerror(-r));
		return r;
	}
	if (!(host_cpuid(1, 0).ecx & (1u << 27))) {
		snprintf(why, len, "the dev backend needs XSAVE enabled by the kernel");
		return -ENOTSUP;
	}
	xsave_size = host_cpuid(0xd, 0).ebx;
	/* Before mem_init builds the first page table. */
	dune_guest.pt.to_phys = dev_to_phys;
	dune_guest.pt.to_virt = dev_to_virt;
	return 0;
}

/* The module maps any page of the process on first touch; what it needs is a
 * window over every range the guest may reach. */
static int dev_add_memory(uint64_t start, uint64_t size)
{
	for (uint64_t base = start & ~window_mask(); base < start + size;
	     base += window_mask() + 1) {
		uint32_t i;
		int r;

		for (i = 0; i < nr_windows && windows[i] != base; i++)
			;
		if (i < nr_windows)
			continue;
		if (nr_windows >= layout.nr_windows || nr_windows >= MAX_WINDOWS)
			return -ENOSPC;
		windows[nr_windows] = base;
		if ((r = set_window(nr_windows)))
			return r;
		nr_windows++;
	}
	return 0;
}

static int create_vcpu_fd(struct vcpu *v, const struct cpu_setup *c)
{
	struct dune_vcpu_setup s = {
		.cr0 = c->cr0, .cr3 = dev_to_phys(c->cr3), .cr4 = c->cr4, .efer = c->efer,
		.gdt_base = c->gdt_base, .idt_base = c->idt_base, .tss_base = c->tss_base,
		.gdt_limit = c->gdt_limit, .idt_limit = c->idt_limit, .tss_limit = c->tss_limit,
		.cpl = (uint16_t)c->cpl,
		.fs_base = c->fs_base, .gs_base = c->gs_base,
		.star = c->star, .lstar = c->lstar, .sfmask = c->sfmask,
	};
	long fd = raw_ioctl(dev_fd, DUNE_CREATE_VCPU, &s);

	if (fd < 0)
		return (int)fd;
	v->fd = fd_protect((int)fd);
	return v->fd < 0 ? v->fd : 0;
}

/* The guest's first FPU state: the thread's, or the state after reset. */
static void init_fpu(uint8_t *fpu, const void *xsave)
{
	memset(fpu, 0, xsave_size);
	if (xsave) {
		memcpy(fpu, xsave, xsave_size < 4096 ? xsave_size : 4096);
		return;
	}
	*(uint16_t *)fpu = 0x37f;                /* FCW */
	*(uint32_t *)(fpu + 24) = 0x1f80;        /* MXCSR */
}

static int dev_vcpu_reset(struct vcpu *v, const struct cpu_setup *setup,
			  const struct guest_regs *regs)
{
	struct dev_vcpu_state *s = v->backend_state;
	int r;

	if (v->fd >= 0) { /* a vCPU of the module can go: make a fresh one */
		raw_syscall1(SYS_close, v->fd);
		fd_forget(v->fd);
		v->fd = -1;
	}
	if ((r = create_vcpu_fd(v, setup)))
		return r;
	init_fpu(s->fpu, setup->xsave);
	memset(&s->run, 0, sizeof(s->run));
	s->run.fs_base = setup->fs_base;
	s->run.gs_base = setup->gs_base;
	*v->regs = *regs;
	v->regs_dirty = false;
	v->sregs_dirty = false;
	return 0;
}

static int dev_vcpu_create(struct vcpu *v, const struct cpu_setup *setup,
			   const struct guest_regs *regs)
{
	/* mmap, not malloc: a vCPU may be made while the guest holds malloc's lock. */
	struct dev_vcpu_state *s = raw_mmap(sizeof(*s), PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1);

	if (!s || !(s->fpu = raw_mmap(xsave_size > 4096 ? xsave_size : 4096, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1)))
		return -ENOMEM;
	v->backend_state = s;
	v->regs = (struct guest_regs *)&s->run.regs;
	v->fd = -1;
	return dev_vcpu_reset(v, setup, regs);
}

/*
 * One DUNE_RUN with the guest's FPU state in the registers: restore it, run,
 * save it again, then give host code a clean x87/SSE control state. One asm
 * statement, so no compiler-made vector code runs in between.
 */
static __attribute__((noinline)) long run_ioctl(int fd, struct dune_run *run, uint8_t *fpu)
{
	static const uint32_t mxcsr_default = 0x1f80;
	register long r10 __asm__("r10") = (long)fpu;
	register long r8 __asm__("r8") = (long)run;
	long ret;

	__asm__ volatile("movl $-1, %%eax\n\t"
			 "movl $-1, %%edx\n\t"
			 "xrstor64 (%%r10)\n\t"
			 "movl %[nr], %%eax\n\t"
			 "movq %%r8, %%rdx\n\t"
			 "syscall\n\t"
			 "movq %%rax, %%r8\n\t"
			 "movl $-1, %%eax\n\t"
			 "movl $-1, %%edx\n\t"
			 "xsave64 (%%r10)\n\t"
			 "fninit\n\t"
			 "ldmxcsr %[mxcsr]\n\t"
			 "movq %%r8, %%rax\n\t"
			 : "=&a"(ret), "+r"(r10), "+r"(r8)
			 : [nr] "i"(SYS_ioctl), "D"(fd), "S"((long)DUNE_RUN), [mxcsr] "m"(mxcsr_default)
			 : "rcx", "rdx", "r11", "memory", "st", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
			   "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
			   "xmm14", "xmm15");
	return ret;
}

/*
 * A fast-path syscall came back with -EINTR: the kernel saw a signal pending
 * while it ran. If a handled signal has reached our host handler by now (it
 * runs on the way out of DUNE_RUN), the call fails or restarts by that
 * handler's rules, as when a syscall the runtime ran returns -EINTR
 * (syscall.c). If not (a stop, a signal the kernel dealt with itself), no
 * handler will run, and the kernel would have restarted it: go back to the
 * exit instruction with the call's number.
 */
static int syscall_interrupted(struct vcpu *v, struct dune_run *run)
{
	if (signal_pending(v)) {
		v->sig.interrupted_nr = (int)run->syscall.nr;
	} else {
		run->regs.rip -= STUB_EXIT_LEN;
		run->regs.rax = run->syscall.nr;
	}
	return EXIT_INTERRUPTED;
}

static int dev_vcpu_run(struct vcpu *v)
{
	struct dev_vcpu_state *s = v->backend_state;
	struct dune_run *run = &s->run;
	uint64_t t0;
	long r;

	if (v->sregs_dirty) {
		run->fs_base = v->fs_base;
		run->gs_base = v->gs_base;
		v->sregs_dirty = false;
	}
	v->regs_dirty = false;
	t0 = __builtin_ia32_rdtsc();
	r = run_ioctl(v->fd, run, s->fpu);
	v->stats.guest_tsc += __builtin_ia32_rdtsc() - t0;
	if (r == -EINTR || r == -EAGAIN)
		return EXIT_INTERRUPTED;
	if (r < 0) {
		dune_error("DUNE_RUN failed: %s (rip %#llx)", strerror((int)-r),
			   (unsigned long long)run->regs.rip);
		return -1;
	}
	v->exits += 1 + run->kernel_exits;
	v->fs_base = run->fs_base; /* the guest may have used wrfsbase */
	v->gs_base = run->gs_base;
	switch (run->exit_reason) {
	case DUNE_EXIT_SYSCALL:
		return run->io.port == PORT_SYSCALL_STUB ? EXIT_SYSCALL_STUB : EXIT_SYSCALL_SITE;
	case DUNE_EXIT_IO:
		if (run->io.port == PORT_EXCEPTION && !run->io.in && run->io.size == 1)
			return EXIT_EXCEPTION;
		dune_error("the guest did I/O on port %#x, which dune does not expect", run->io.port);
		return -1;
	case DUNE_EXIT_INTERRUPTED:
		return EXIT_INTERRUPTED;
	case DUNE_EXIT_SYSCALL_INTERRUPTED:
		return syscall_interrupted(v, run);
	case DUNE_EXIT_EPT_FAULT:
		dune_error("the guest touched %#llx, where this process has no page it may use "
			   "(EPT qualification %#llx)", (unsigned long long)run->ept.gpa,
			   (unsigned long long)run->ept.qualification);
		return -1;
	case DUNE_EXIT_SHUTDOWN:
		dune_error("the guest vCPU shut down (triple fault)");
		return -1;
	case DUNE_EXIT_HLT:
		dune_error("the guest executed hlt at CPL0");
		return -1;
	case DUNE_EXIT_FAIL_ENTRY:
		dune_error("the module could not enter the guest (VMX error %u)", run->vmx.reason);
		return -1;
	default:
		dune_error("unexpected exit from /dev/dune: reason %u, VMX exit %u, qualification %#llx",
			   run->exit_reason, run->vmx.reason,
			   (unsigned long long)run->vmx.qualification);
		return -1;
	}
}

static uint64_t dev_fault_address(struct vcpu *v)
{
	struct dev_vcpu_state *s = v->backend_state;

	return s->run.cr2;
}

static void dev_dump(struct vcpu *v)
{
	struct dev_vcpu_state *s = v->backend_state;

	dune_error("  /dev/dune exit %u (VMX %u, qualification %#llx) cr2 %#llx fs.base %#llx",
		   s->run.exit_reason, s->run.vmx.reason,
		   (unsigned long long)s->run.vmx.qualification, (unsigned long long)s->run.cr2,
		   (unsigned long long)s->run.fs_base);
}

/* From a signal handler: the flag is read when DUNE_RUN starts, and a
 * handler runs either before that or after the run returned. */
static void dev_request_exit(struct vcpu *v)
{
	struct dev_vcpu_state *s = v->backend_state;

	if (s)
		__atomic_or_fetch(&s->run.flags, DUNE_RUN_IMMEDIATE_EXIT, __ATOMIC_RELEASE);
}

static void dev_clear_exit_request(struct vcpu *v)
{
	struct dev_vcpu_state *s = v->backend_state;

	__atomic_and_fetch(&s->run.flags, ~DUNE_RUN_IMMEDIATE_EXIT, __ATOMIC_SEQ_CST);
}

/* The guest's FPU state lives in s->fpu between runs (see run_ioctl). */
static int dev_save_fpu(struct vcpu *v, void *xsave)
{
	struct dev_vcpu_state *s = v->backend_state;

	memcpy(xsave, s->fpu, 4096);
	return 0;
}

static int dev_load_fpu(struct vcpu *v, const void *xsave)
{
	struct dev_vcpu_state *s = v->backend_state;

	memcpy(s->fpu, xsave, 4096);
	return 0;
}

static int dev_fork_prepare(struct vcpu *v)
{
	(void)v; /* the FPU image is in memory the child gets a copy of */
	return 0;
}

static int dev_fork_child(struct vcpu *v, const struct vma_list *covered,
			  const struct cpu_setup *setup, const struct guest_regs *regs)
{
	struct dev_vcpu_state *s = v->backend_state;
	int r;

	(void)covered; /* the new VM maps the child's pages on demand, through the same windows */
	/* The inherited descriptors belong to the parent's address space (EIO here). */
	raw_syscall1(SYS_close, v->fd);
	raw_syscall1(SYS_close, dev_fd);
	fd_forget(v->fd);
	fd_forget(dev_fd);
	v->fd = -1;
	if ((r = open_device()) || (r = set_fastpath()))
		return r;
	for (uint32_t i = 0; i < nr_windows; i++)
		if ((r = set_window(i)))
			return r;
	if ((r = create_vcpu_fd(v, setup)))
		return r;
	s->run.fs_base = setup->fs_base;
	s->run.gs_base = setup->gs_base;
	*v->regs = *regs;
	v->sregs_dirty = false;
	return 0;
}

/* The module runs without VPID, so every VM exit, the one that brought this
 * request included, already dropped the guest's translations: only a new
 * root needs telling, where the module can take one. */
static int dev_load_cr3(struct vcpu *v, uint64_t cr3)
{
	bool user = cr3 != dev_to_phys((uint64_t)dune_guest.pt.pml4);
	struct dev_vcpu_state *s = v->backend_state;
	int r;

	if (!user && !s->user_root)
		return 0; /* a flush */
	if (!(layout.flags & DUNE_LAYOUT_SET_CR3))
		return -ENOTSUP;
	if ((r = (int)raw_ioctl(v->fd, DUNE_SET_CR3, &cr3)))
		return r;
	if (user != s->user_root) {
		__atomic_add_fetch(&user_mode_vcpus, user ? 1 : -1, __ATOMIC_ACQ_REL);
		s->user_root = user;
		return set_fastpath();
	}
	return 0;
}

const struct backend_ops dev_backend = {
	.name = "dev",
	.kind = 2,
	.open = dev_open,
	.probe = dev_probe,
	.add_memory = dev_add_memory,
	.vcpu_create = dev_vcpu_create,
	.vcpu_reset = dev_vcpu_reset,
	.vcpu_run = dev_vcpu_run,
	.fault_address = dev_fault_address,
	.dump = dev_dump,
	.request_exit = dev_request_exit,
	.clear_exit_request = dev_clear_exit_request,
	.save_fpu = dev_save_fpu,
	.load_fpu = dev_load_fpu,
	.load_cr3 = dev_load_cr3,
	.fork_prepare = dev_fork_prepare,
	.fork_child = dev_fork_child,
};
