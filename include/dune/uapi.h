/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uapi.h: the /dev/dune ioctl ABI, shared by dune.ko and the runtime's dev backend.
 *
 * open("/dev/dune") makes a VM over the calling process's address space,
 * mapped lazily into EPT from the process's own pages. Guest-physical
 * addresses are host-virtual ones seen through windows: the physical address
 * width of many CPUs (39 bits on Haswell) is below the 47 bits of user
 * space, so window i of guest-physical memory, [i << window_shift,
 * (i + 1) << window_shift), shows the host range set by DUNE_SET_WINDOW. DUNE_CREATE_VCPU makes a vCPU (one VMCS) and returns its fd; any
 * thread of the process runs it with DUNE_RUN, which enters the guest with a
 * register state and returns with the registers and an exit reason.
 *
 * The guest leaves through `out` to two syscall ports. The module executes
 * the syscalls named in the fast set (DUNE_SET_FASTPATH) itself, in the
 * kernel, on the calling thread's behalf; every other exit comes back to user
 * space with a reason. Bump DUNE_API_VERSION on any incompatible change.
 */
#ifndef _UAPI_DUNE_H
#define _UAPI_DUNE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DUNE_API_VERSION 1

/* Exits through these ports are syscalls (number in rax, arguments as for
 * the syscall instruction). From the LSTAR stub, the syscall instruction has
 * already stored rcx/r11; from a rewritten call site, it has not. */
#define DUNE_PORT_SYSCALL_STUB 0xd1
#define DUNE_PORT_SYSCALL_SITE 0xd2

/* General registers, in the order of struct kvm_regs. */
struct dune_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/* What the module tells about itself: DUNE_GET_LAYOUT. */
struct dune_layout {
	__u32 version;       /* DUNE_API_VERSION */
	__u32 flags;         /* DUNE_LAYOUT_* */
	__u64 gpa_limit;     /* guest-physical addresses are below this */
	__u32 run_size;      /* sizeof(struct dune_run) the module expects */
	__u32 max_syscall;   /* syscall numbers below this can be in the fast set */
	__u32 window_shift;  /* log2 of a window's size */
	__u32 nr_windows;    /* windows of guest-physical memory: gpa_limit >> window_shift */
};

/* Window index shows [hva, hva + (1 << window_shift)): DUNE_SET_WINDOW, once
 * per window. hva is aligned to the window size. */
struct dune_window {
	__u64 hva;
	__u32 index;
	__u32 pad;
};

#define DUNE_LAYOUT_FASTPATH 0x1 /* the module can execute syscalls itself */
#define DUNE_LAYOUT_SET_CR3  0x2 /* vCPU files take DUNE_SET_CR3 */

/* The state a vCPU starts from: DUNE_CREATE_VCPU. Segments are flat; cpl
 * picks the Linux-like selector pair (3: 0x33/0x2b, 0: 0x10/0x18). */
struct dune_vcpu_setup {
	__u64 cr0, cr3, cr4, efer;
	__u64 gdt_base, idt_base, tss_base;
	__u16 gdt_limit, idt_limit, tss_limit;
	__u16 cpl;
	__u64 fs_base, gs_base;
	__u64 star, lstar, sfmask;
};

/* The syscalls the module may execute itself: DUNE_SET_FASTPATH. Calls that
 * depend on the syscall entry frame (clone, fork, execve, rt_sigreturn,
 * sigaltstack, arch_prctl, ...) always come back whatever the set says. */
#define DUNE_FASTPATH_BITS 512
struct dune_fastpath {
	__u64 bits[DUNE_FASTPATH_BITS / 64];
};

enum dune_exit_reason {
	DUNE_EXIT_NONE = 0,
	DUNE_EXIT_SYSCALL = 1,     /* a syscall for the runtime: io.port, rip at the out */
	DUNE_EXIT_IO = 2,          /* another port: io.*, rip at the instruction */
	DUNE_EXIT_INTERRUPTED = 3, /* a signal is pending for the thread */
	DUNE_EXIT_EPT_FAULT = 4,   /* an access to memory the process has no page for */
	DUNE_EXIT_SHUTDOWN = 5,    /* triple fault */
	DUNE_EXIT_HLT = 6,
	DUNE_EXIT_FAIL_ENTRY = 7,  /* VM entry failed: vmx.reason / vmx.qualification */
	DUNE_EXIT_VMX = 8,         /* any other VM exit: vmx.reason, vmx.qualification */
	DUNE_EXIT_SYSCALL_INTERRUPTED = 9, /* a fast-path syscall (syscall.nr) was interrupted
					    * by a signal: it returns -EINTR, and the
					    * runtime may restart it by its handler's rules */
};

#define DUNE_RUN_IMMEDIATE_EXIT 0x1 /* dune_run.flags: return at once (DUNE_EXIT_INTERRUPTED) */

/* In and out of DUNE_RUN. */
struct dune_run {
	struct dune_regs regs;     /* in: where to go on; out: where the guest stopped */
	__u64 fs_base, gs_base;    /* in and out */
	__u64 cr2;                 /* out: the guest's CR2 */
	__u32 exit_reason;         /* out: enum dune_exit_reason */
	__u32 flags;               /* in: DUNE_RUN_* */
	__u64 kernel_exits;        /* out: exits the module handled itself during this call */
	union {
		struct {
			__u16 port;
			__u8 size;
			__u8 in;
		} io;
		struct {
			__u64 gpa;
			__u64 qualification;
		} ept;
		struct {
			__u64 nr;
		} syscall;
		struct {
			__u32 reason;      /* basic exit reason, or the VM-instruction error */
			__u32 pad;
			__u64 qualification;
		} vmx;
		__u64 pad[4];
	};
};

#define DUNE_IO 0xe9
#define DUNE_GET_LAYOUT   _IOR(DUNE_IO, 0x01, struct dune_layout)
#define DUNE_SET_FASTPATH _IOW(DUNE_IO, 0x02, struct dune_fastpath)
#define DUNE_CREATE_VCPU  _IOW(DUNE_IO, 0x03, struct dune_vcpu_setup) /* returns an fd */
#define DUNE_RUN          _IOWR(DUNE_IO, 0x04, struct dune_run)       /* on a vCPU fd */
#define DUNE_SET_WINDOW   _IOW(DUNE_IO, 0x05, struct dune_window)
/* On a vCPU fd: the guest-physical page-table root the vCPU goes on with
 * (libdune's user mode). The module runs without VPID, so the guest's
 * cached translations go at the next entry. */
#define DUNE_SET_CR3      _IOW(DUNE_IO, 0x06, __u64)

#endif
