/* backend.h: what the guest runtime needs from a backend (KVM or /dev/dune). */
#ifndef DUNE_BACKEND_H
#define DUNE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime.h"

/* The CPU state a new vCPU starts with, in backend-neutral terms. */
struct cpu_setup {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t gdt_base, idt_base, tss_base;
	uint16_t gdt_limit, idt_limit, tss_limit;
	int cpl;                 /* 3 or 0: selects the CS/SS pair */
	uint64_t fs_base, gs_base;
	uint64_t star, lstar, sfmask;
	const void *xsave;       /* the thread's FPU/vector state (4 KiB XSAVE image), or NULL */
};

struct backend_ops {
	const char *name;
	uint32_t kind;           /* enum dune_backend_kind */
	/* Open the device and create the VM. On failure, returns -errno and fills
	 * why with one sentence saying what is wrong and what to do. */
	int (*open)(char *why, size_t why_len);
	/* Find out how the host treats the guest (platform.h): run the probe
	 * page at code on v with setup c (CPL3, LSTAR at its PROBE_LSTAR), and
	 * its CPL0 part too when ring0 is asked for. A backend that must make
	 * v's vCPU for it leaves it made (v->backend_state set): vcpu_reset,
	 * not vcpu_create, then starts it. On failure returns -errno. */
	int (*probe)(struct vcpu *v, const struct cpu_setup *c, uint64_t code, bool ring0,
		     struct platform *p);
	/* Back [start, start + size) of guest-physical memory with the same host range. */
	int (*add_memory)(uint64_t start, uint64_t size);
	int (*vcpu_create)(struct vcpu *v, const struct cpu_setup *setup,
			   const struct guest_regs *regs);
	/* Give a vCPU whose thread exited a fresh start for a new thread. */
	int (*vcpu_reset)(struct vcpu *v, const struct cpu_setup *setup,
			  const struct guest_regs *regs);
	/* Run until the guest needs the runtime. Returns an enum exit_kind, or
	 * -1 after reporting a fatal exit (the caller ends the process). */
	int (*vcpu_run)(struct vcpu *v);
	/* The faulting address of the last page fault, and the CPL the guest is at. */
	uint64_t (*fault_address)(struct vcpu *v);
	/* Print what the backend knows about a dying vCPU (exit reason, sregs). */
	void (*dump)(struct vcpu *v);
	/* Make the next (or the current) run return at once: called from a
	 * signal handler, so async-signal-safe. */
	void (*request_exit)(struct vcpu *v);
	/* Forget a request_exit: the caller looks at its signals next. */
	void (*clear_exit_request)(struct vcpu *v);
	/* The guest's FPU/vector state as a standard-format 4 KiB XSAVE image. */
	int (*save_fpu)(struct vcpu *v, void *xsave);
	int (*load_fpu)(struct vcpu *v, const void *xsave);
	/* libdune: make cr3 the vCPU's page-table root (a guest-physical
	 * address) and drop every translation it cached, even when cr3 is the
	 * root it has. -ENOTSUP where the backend cannot switch roots. */
	int (*load_cr3)(struct vcpu *v, uint64_t cr3);
	/* Before fork: save what the child cannot read from the parent's vCPU. */
	int (*fork_prepare)(struct vcpu *v);
	/* In a forked child, whose inherited VM is unusable: make a new VM over
	 * the covered ranges and a vCPU that goes on from regs. */
	int (*fork_child)(struct vcpu *v, const struct vma_list *covered,
			  const struct cpu_setup *setup, const struct guest_regs *regs);
};

extern const struct backend_ops kvm_backend;
extern const struct backend_ops dev_backend;

#endif
