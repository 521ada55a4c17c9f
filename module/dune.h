/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dune.h: the objects of dune.ko and how they meet.
 *
 * One struct dune_vm per open of /dev/dune, bound to the opening process's
 * mm: its EPT, filled lazily from that mm's pages and kept coherent by an MMU
 * notifier. One struct dune_vcpu (one VMCS) per vCPU fd; a thread of the same
 * process runs it with DUNE_RUN.
 */
#ifndef DUNE_MODULE_H
#define DUNE_MODULE_H

#include <linux/kref.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <dune/uapi.h>

/* The guest's general registers plus CR2, as vmx_run.S saves and loads them. */
struct dune_guest_regs {
	struct dune_regs r;
	u64 cr2;
};

struct dune_vm {
	struct mm_struct *mm;
	struct mmu_notifier mn;
	struct kref ref;
	spinlock_t ept_lock;           /* over the EPT tables and mmu_seq/mmu_busy */
	u64 *ept_root;                 /* PML4 of the EPT */
	u64 eptp;
	unsigned long mmu_seq;         /* bumped at the end of each invalidation */
	int mmu_busy;                  /* invalidations in progress */
	DECLARE_BITMAP(fastpath, DUNE_FASTPATH_BITS);
	u64 *windows;                  /* host address of each window, or DUNE_NO_WINDOW */
};

#define DUNE_NO_WINDOW (~0ull)

/* Guest-physical memory: nr windows of 1 << shift bytes (vmx.c, at load). */
extern u32 dune_window_shift, dune_nr_windows;

/* Host MSRs that the guest's syscall instruction uses: switched by the
 * VM-entry and VM-exit MSR-load areas. */
#define DUNE_NR_SWITCHED_MSRS 3

struct dune_msr_entry {
	u32 index;
	u32 reserved;
	u64 value;
} __aligned(16);

struct dune_vcpu {
	struct dune_vm *vm;
	struct vmcs *vmcs;             /* a page */
	int cpu;                       /* where the VMCS is active, or -1 */
	bool launched;                 /* VMLAUNCH done since the last VMCLEAR */
	struct mutex run_lock;         /* one DUNE_RUN at a time */
	struct dune_guest_regs regs;
	u64 host_cr3, host_cr4;        /* last values written to the VMCS */
	struct dune_msr_entry *msrs;   /* a page: guest MSRs, then host MSRs */
};

/* vmx.c */
int dune_vmx_init(void);
void dune_vmx_exit(void);
struct dune_vcpu *dune_vcpu_create(struct dune_vm *vm, const struct dune_vcpu_setup *setup);
void dune_vcpu_free(struct dune_vcpu *v);
int dune_vcpu_run(struct dune_vcpu *v, struct dune_run *run);
int dune_vcpu_set_cr3(struct dune_vcpu *v, u64 cr3);
void dune_invept(struct dune_vm *vm);
u64 dune_gpa_limit(void);
int dune_set_window(struct dune_vm *vm, const struct dune_window *w);

/* ept.c */
int dune_ept_init(struct dune_vm *vm);
void dune_ept_free(struct dune_vm *vm);
/* Map the page behind gpa (= the process's virtual address). Returns 0 when
 * the guest may retry, -EFAULT when the process has no such page. */
int dune_ept_fault(struct dune_vm *vm, u64 gpa, bool write);

/* syscall.c */
int dune_syscall_init(void);
bool dune_syscall_fast(struct dune_vm *vm, u64 nr);
/* Execute the syscall in regs on the calling thread's behalf and store its
 * result. Returns false if a signal interrupted it (the result is -EINTR). */
bool dune_syscall_run(struct dune_guest_regs *regs);

/* main.c */
void dune_vm_put(struct dune_vm *vm);

/* vmx_run.S: enter the guest; returns 0 after a VM exit, 1 if VMLAUNCH or
 * VMRESUME failed. Guest registers and CR2 come from and go back to regs. */
int dune_vmx_enter(struct dune_guest_regs *regs, int launched);

#endif
