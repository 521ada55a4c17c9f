// SPDX-License-Identifier: GPL-2.0
/*
 * vmx.c: VMX on every CPU, one VMCS per vCPU, and the run loop.
 *
 * The guest is the calling thread itself: it runs on the thread's own FPU
 * state (kept loaded across the entry), with the process's address space as
 * guest-physical memory through EPT. Exits the module can finish without the
 * runtime (external interrupts, CPUID, EPT faults it can resolve, syscalls in
 * the fast set) loop back into the guest; the rest return to user space.
 */
#define pr_fmt(fmt) "dune: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "dune.h"

/* The layout vmx_run.S relies on. */
static_assert(offsetof(struct dune_guest_regs, r.rax) == 0);
static_assert(offsetof(struct dune_guest_regs, r.rdi) == 40);
static_assert(offsetof(struct dune_guest_regs, r.rbp) == 56);
static_assert(offsetof(struct dune_guest_regs, r.r15) == 120);
static_assert(offsetof(struct dune_guest_regs, cr2) == 144);
static_assert(sizeof(struct dune_regs) == 18 * 8);

struct vmcs {
	u32 revision_id;
	u32 abort;
	char data[];
};

/* What the CPU allows, found once at load. */
static struct {
	u32 revision_id;
	u32 pin, proc, proc2, exit, entry;
	u64 ept_caps;
	u64 host_msr[DUNE_NR_SWITCHED_MSRS];
} vmx_conf;

static const u32 switched_msrs[DUNE_NR_SWITCHED_MSRS] = {
	MSR_STAR, MSR_LSTAR, MSR_SYSCALL_MASK,
};

static DEFINE_PER_CPU(struct vmcs *, vmxon_region);
static DEFINE_PER_CPU(bool, vmx_enabled);
static DEFINE_PER_CPU(struct dune_vcpu *, loaded_vcpu);
static enum cpuhp_state vmx_hp_state;

extern const char dune_vmx_vmexit[];

/* VMX instructions. A failure here means a bug in dune: say so once. */
static __always_inline u64 vmcs_read(unsigned long field)
{
	u64 value;

	asm volatile("vmread %1, %0" : "=rm"(value) : "r"(field) : "cc");
	return value;
}

static noinline void vmwrite_failed(unsigned long field, u64 value)
{
	pr_err_ratelimited("vmwrite of %#lx to field %#lx failed (error %llu)\n",
			   (unsigned long)value, field, vmcs_read(VM_INSTRUCTION_ERROR));
}

static __always_inline void vmcs_write(unsigned long field, u64 value)
{
	bool failed;

	asm volatile("vmwrite %2, %1" CC_SET(na)
		     : CC_OUT(na)(failed) : "r"(field), "rm"(value));
	if (unlikely(failed))
		vmwrite_failed(field, value);
}

static int vmcs_clear(struct vmcs *vmcs)
{
	u64 pa = __pa(vmcs);
	bool failed;

	asm volatile("vmclear %1" CC_SET(na) : CC_OUT(na)(failed) : "m"(pa));
	return failed ? -EIO : 0;
}

static int vmcs_load(struct vmcs *vmcs)
{
	u64 pa = __pa(vmcs);
	bool failed;

	asm volatile("vmptrld %1" CC_SET(na) : CC_OUT(na)(failed) : "m"(pa));
	return failed ? -EIO : 0;
}

static void invept(unsigned long type, u64 eptp)
{
	struct {
		u64 eptp, gpa;
	} desc = { eptp, 0 };

	asm volatile("invept %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

/* Control values: what we want, within what the CPU allows. */
static int adjust_controls(u32 want, u32 need, u32 msr, u32 *out)
{
	u32 allowed0, allowed1;

	rdmsr(msr, allowed0, allowed1);
	want |= allowed0;
	want &= allowed1;
	if ((want & need) != need)
		return -EOPNOTSUPP;
	*out = want;
	return 0;
}

static int setup_vmx_conf(void)
{
	u64 basic;
	bool true_ctls;
	u32 need;
	int r;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_conf.revision_id = (u32)basic & 0x7fffffff;
	if (((basic >> 32) & 0x1fff) > PAGE_SIZE || ((basic >> 50) & 0xf) != 6)
		return -EOPNOTSUPP;
	true_ctls = basic & VMX_BASIC_TRUE_CTLS;

	need = PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING;
	r = adjust_controls(need, need, true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			    MSR_IA32_VMX_PINBASED_CTLS, &vmx_conf.pin);
	if (r)
		return r;
	need = CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
	       CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	r = adjust_controls(need, need, true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			    MSR_IA32_VMX_PROCBASED_CTLS, &vmx_conf.proc);
	if (r)
		return r;
	/* RDTSCP (and RDPID) would raise #UD in the guest without it; the vDSO uses them. */
	r = adjust_controls(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_RDTSCP,
			    SECONDARY_EXEC_ENABLE_EPT, MSR_IA32_VMX_PROCBASED_CTLS2,
			    &vmx_conf.proc2);
	if (r)
		return r;
	need = VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_EFER;
	r = adjust_controls(need, need, true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
			    MSR_IA32_VMX_EXIT_CTLS, &vmx_conf.exit);
	if (r)
		return r;
	/* Interrupts stay pending at exit and are taken once IF is set again. */
	vmx_conf.exit &= ~VM_EXIT_ACK_INTR_ON_EXIT;
	need = VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER;
	r = adjust_controls(need, need, true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
			    MSR_IA32_VMX_ENTRY_CTLS, &vmx_conf.entry);
	if (r)
		return r;

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, vmx_conf.ept_caps);
	if (!(vmx_conf.ept_caps & VMX_EPT_PAGE_WALK_4_BIT) ||
	    !(vmx_conf.ept_caps & VMX_EPTP_WB_BIT) ||
	    !(vmx_conf.ept_caps & VMX_EPT_INVEPT_BIT) ||
	    !(vmx_conf.ept_caps & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT)))
		return -EOPNOTSUPP;
	return 0;
}

static int vmx_cpu_online(unsigned int cpu)
{
	struct vmcs *region = per_cpu(vmxon_region, cpu);
	u64 feat, pa;
	bool failed;

	if (cr4_read_shadow() & X86_CR4_VMXE) {
		pr_err("CPU %u: VMX is already in use (kvm_intel running a VM?)\n", cpu);
		return -EBUSY;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, feat);
	if (!(feat & FEAT_CTL_LOCKED)) {
		feat |= FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
		wrmsrl(MSR_IA32_FEAT_CTL, feat);
	}
	if (!(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("CPU %u: the firmware disabled VMX\n", cpu);
		return -EOPNOTSUPP;
	}
	region->revision_id = vmx_conf.revision_id;
	pa = __pa(region);
	local_irq_disable();
	cr4_set_bits(X86_CR4_VMXE);
	asm volatile("vmxon %1" CC_SET(na) : CC_OUT(na)(failed) : "m"(pa) : "memory");
	if (failed)
		cr4_clear_bits(X86_CR4_VMXE);
	else
		this_cpu_write(vmx_enabled, true);
	local_irq_enable();
	if (failed) {
		pr_err("CPU %u: VMXON failed\n", cpu);
		return -EIO;
	}
	return 0;
}

static int vmx_cpu_offline(unsigned int cpu)
{
	struct dune_vcpu *v = this_cpu_read(loaded_vcpu);

	local_irq_disable();
	if (v) {
		vmcs_clear(v->vmcs);
		v->cpu = -1;
		v->launched = false;
		this_cpu_write(loaded_vcpu, NULL);
	}
	if (this_cpu_read(vmx_enabled)) {
		asm volatile("vmxoff" : : : "cc", "memory");
		cr4_clear_bits(X86_CR4_VMXE);
		this_cpu_write(vmx_enabled, false);
	}
	local_irq_enable();
	return 0;
}

u32 dune_window_shift, dune_nr_windows;

/* Windows of at most 64 GiB, at least 8 of them, within the physical address width. */
static void setup_windows(void)
{
	u32 bits = min_t(u32, boot_cpu_data.x86_phys_bits, 48);

	dune_window_shift = min_t(u32, 36, bits - 3);
	dune_nr_windows = 1u << (bits - dune_window_shift);
}

u64 dune_gpa_limit(void)
{
	return (u64)dune_nr_windows << dune_window_shift;
}

int dune_vmx_init(void)
{
	int cpu, r;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_info("this CPU has no VT-x (or the firmware turned it off): /dev/dune is not available\n");
		return -ENODEV;
	}
	r = setup_vmx_conf();
	if (r) {
		pr_info("this CPU's VT-x lacks what dune needs (EPT with 4-level walks, write-back memory and INVEPT): /dev/dune is not available\n");
		return -ENODEV;
	}
	for (u32 i = 0; i < DUNE_NR_SWITCHED_MSRS; i++)
		rdmsrl(switched_msrs[i], vmx_conf.host_msr[i]);
	setup_windows();
	for_each_possible_cpu(cpu) {
		struct page *p = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);

		if (!p) {
			r = -ENOMEM;
			goto fail;
		}
		per_cpu(vmxon_region, cpu) = page_address(p);
	}
	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "dune:online", vmx_cpu_online,
			      vmx_cpu_offline);
	if (r < 0)
		goto fail;
	vmx_hp_state = r;
	return 0;
fail:
	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			free_page((unsigned long)per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
	return r;
}

void dune_vmx_exit(void)
{
	int cpu;

	cpuhp_remove_state(vmx_hp_state);
	for_each_possible_cpu(cpu) {
		free_page((unsigned long)per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

static void invept_on_cpu(void *arg)
{
	struct dune_vm *vm = arg;

	if (!this_cpu_read(vmx_enabled))
		return;
	if (vmx_conf.ept_caps & VMX_EPT_EXTENT_CONTEXT_BIT)
		invept(VMX_EPT_EXTENT_CONTEXT, vm->eptp);
	else
		invept(VMX_EPT_EXTENT_GLOBAL, 0);
}

/* Drop the vm's EPT translations from every CPU's TLB. */
void dune_invept(struct dune_vm *vm)
{
	on_each_cpu(invept_on_cpu, vm, 1);
}

static void vcpu_clear_here(void *arg)
{
	struct dune_vcpu *v = arg;

	vmcs_clear(v->vmcs);
	if (this_cpu_read(loaded_vcpu) == v)
		this_cpu_write(loaded_vcpu, NULL);
	v->cpu = -1;
	v->launched = false;
}

/* The TSS base of this CPU, from its descriptor in the GDT. */
static unsigned long host_tr_base(const struct desc_ptr *gdt)
{
	const struct ldttss_desc *d = (const void *)(gdt->address + GDT_ENTRY_TSS * 8);

	return get_desc_base((const struct desc_struct *)d) | ((u64)d->base3 << 32);
}

/* Host fields that differ between CPUs. */
static void vcpu_set_host_percpu(void)
{
	struct desc_ptr gdt, idt;
	u64 v;

	native_store_gdt(&gdt);
	store_idt(&idt);
	vmcs_write(HOST_GDTR_BASE, gdt.address);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	vmcs_write(HOST_TR_BASE, host_tr_base(&gdt));
	rdmsrl(MSR_GS_BASE, v);
	vmcs_write(HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(HOST_IA32_SYSENTER_ESP, v);
}

/* Make v's VMCS current on this CPU. Preemption is off. */
static int vcpu_load(struct dune_vcpu *v)
{
	int cpu = smp_processor_id();

	if (v->cpu != cpu) {
		if (v->cpu >= 0)
			smp_call_function_single(v->cpu, vcpu_clear_here, v, 1);
		if (vmcs_load(v->vmcs))
			return -EIO;
		v->cpu = cpu;
		this_cpu_write(loaded_vcpu, v);
		vcpu_set_host_percpu();
	} else if (this_cpu_read(loaded_vcpu) != v) {
		if (vmcs_load(v->vmcs))
			return -EIO;
		this_cpu_write(loaded_vcpu, v);
	}
	return 0;
}

#define SEG_AR_TYPE_CODE	0xb
#define SEG_AR_TYPE_DATA	0x3
#define SEG_AR_S		(1u << 4)
#define SEG_AR_DPL(d)	((u32)(d) << 5)
#define SEG_AR_P		(1u << 7)
#define SEG_AR_L		(1u << 13)
#define SEG_AR_DB		(1u << 14)
#define SEG_AR_G		(1u << 15)
#define SEG_AR_UNUSABLE	(1u << 16)
#define SEG_AR_TSS_BUSY	0xb

static void set_guest_segment(u32 sel_field, u16 sel, u32 ar)
{
	/* The fields of one segment are the same distance apart for all segments. */
	u32 i = (sel_field - GUEST_ES_SELECTOR) / 2;

	vmcs_write(sel_field, sel);
	vmcs_write(GUEST_ES_BASE + i * 2, 0);
	vmcs_write(GUEST_ES_LIMIT + i * 2, 0xffffffff);
	vmcs_write(GUEST_ES_AR_BYTES + i * 2, ar);
}

static void vcpu_setup_guest(struct dune_vcpu *v, const struct dune_vcpu_setup *s)
{
	u32 dpl = s->cpl ? 3 : 0;
	u32 code = SEG_AR_TYPE_CODE | SEG_AR_S | SEG_AR_DPL(dpl) | SEG_AR_P | SEG_AR_L | SEG_AR_G;
	u32 data = SEG_AR_TYPE_DATA | SEG_AR_S | SEG_AR_DPL(dpl) | SEG_AR_P | SEG_AR_DB | SEG_AR_G;

	set_guest_segment(GUEST_CS_SELECTOR, dpl ? 0x33 : 0x10, code);
	set_guest_segment(GUEST_SS_SELECTOR, dpl ? 0x2b : 0x18, data);
	set_guest_segment(GUEST_DS_SELECTOR, 0, data);
	set_guest_segment(GUEST_ES_SELECTOR, 0, data);
	set_guest_segment(GUEST_FS_SELECTOR, 0, data);
	set_guest_segment(GUEST_GS_SELECTOR, 0, data);
	vmcs_write(GUEST_FS_BASE, s->fs_base);
	vmcs_write(GUEST_GS_BASE, s->gs_base);
	vmcs_write(GUEST_LDTR_SELECTOR, 0);
	vmcs_write(GUEST_LDTR_BASE, 0);
	vmcs_write(GUEST_LDTR_LIMIT, 0);
	vmcs_write(GUEST_LDTR_AR_BYTES, SEG_AR_UNUSABLE);
	vmcs_write(GUEST_TR_SELECTOR, 0x40);
	vmcs_write(GUEST_TR_BASE, s->tss_base);
	vmcs_write(GUEST_TR_LIMIT, s->tss_limit);
	vmcs_write(GUEST_TR_AR_BYTES, SEG_AR_TSS_BUSY | SEG_AR_P);
	vmcs_write(GUEST_GDTR_BASE, s->gdt_base);
	vmcs_write(GUEST_GDTR_LIMIT, s->gdt_limit);
	vmcs_write(GUEST_IDTR_BASE, s->idt_base);
	vmcs_write(GUEST_IDTR_LIMIT, s->idt_limit);

	/* The guest sees its own CR0/CR4; any write to them exits. */
	vmcs_write(GUEST_CR0, s->cr0 | X86_CR0_PE | X86_CR0_PG | X86_CR0_NE);
	vmcs_write(CR0_READ_SHADOW, s->cr0);
	vmcs_write(CR0_GUEST_HOST_MASK, ~0ul);
	vmcs_write(GUEST_CR4, s->cr4 | X86_CR4_VMXE);
	vmcs_write(CR4_READ_SHADOW, s->cr4);
	vmcs_write(CR4_GUEST_HOST_MASK, ~0ul);
	vmcs_write(GUEST_CR3, s->cr3);
	vmcs_write(GUEST_IA32_EFER, s->efer);
	vmcs_write(GUEST_DR7, 0x400);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VMCS_LINK_POINTER, ~0ull);

	v->msrs[0].value = s->star;
	v->msrs[1].value = s->lstar;
	v->msrs[2].value = s->sfmask;
}

static void vcpu_setup_controls(struct dune_vcpu *v)
{
	struct dune_msr_entry *host_msrs = v->msrs + DUNE_NR_SWITCHED_MSRS;

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_conf.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx_conf.proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vmx_conf.proc2);
	vmcs_write(VM_EXIT_CONTROLS, vmx_conf.exit);
	vmcs_write(VM_ENTRY_CONTROLS, vmx_conf.entry);
	vmcs_write(EXCEPTION_BITMAP, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(EPT_POINTER, v->vm->eptp);

	for (u32 i = 0; i < DUNE_NR_SWITCHED_MSRS; i++) {
		v->msrs[i].index = switched_msrs[i];
		host_msrs[i].index = switched_msrs[i];
		host_msrs[i].value = vmx_conf.host_msr[i];
	}
	vmcs_write(VM_ENTRY_MSR_LOAD_ADDR, __pa(v->msrs));
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, DUNE_NR_SWITCHED_MSRS);
	vmcs_write(VM_EXIT_MSR_LOAD_ADDR, __pa(host_msrs));
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, DUNE_NR_SWITCHED_MSRS);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
}

static void vcpu_setup_host(void)
{
	u64 v;

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_RIP, (unsigned long)dune_vmx_vmexit);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
}

struct dune_vcpu *dune_vcpu_create(struct dune_vm *vm, const struct dune_vcpu_setup *setup)
{
	struct dune_vcpu *v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	int r;

	if (!v)
		return ERR_PTR(-ENOMEM);
	v->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	v->msrs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!v->vmcs || !v->msrs) {
		r = -ENOMEM;
		goto fail;
	}
	v->vmcs->revision_id = vmx_conf.revision_id;
	v->vm = vm;
	v->cpu = -1;
	mutex_init(&v->run_lock);

	preempt_disable();
	r = vmcs_clear(v->vmcs);
	if (!r)
		r = vcpu_load(v);
	if (!r) {
		vcpu_setup_controls(v);
		vcpu_setup_host();
		vcpu_setup_guest(v, setup);
	}
	preempt_enable();
	if (r)
		goto fail;
	return v;
fail:
	dune_vcpu_free(v);
	return ERR_PTR(r);
}

void dune_vcpu_free(struct dune_vcpu *v)
{
	int cpu = READ_ONCE(v->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vcpu_clear_here, v, 1);
	free_page((unsigned long)v->vmcs);
	free_page((unsigned long)v->msrs);
	kfree(v);
}

/* CPUID as the host answers it, but without VMX, and with dune's signature. */
static void emulate_cpuid(struct dune_guest_regs *g)
{
	u32 leaf = g->r.rax, a, b, c, d;

	if (leaf == 0x40000000) {
		a = 0x40000000;
		memcpy(&b, "Dune", 4);
		memcpy(&c, "Dune", 4);
		memcpy(&d, "Dune", 4);
	} else if ((leaf & 0xffff0000) == 0x40000000) {
		a = b = c = d = 0;
	} else {
		cpuid_count(leaf, g->r.rcx, &a, &b, &c, &d);
		if (leaf == 1)
			c &= ~(1u << 5); /* VMX */
	}
	g->r.rax = a;
	g->r.rbx = b;
	g->r.rcx = c;
	g->r.rdx = d;
}

/* A syscall port: execute the call here if the runtime allowed it. Returns
 * LOOP, or the exit reason for the runtime. */
static int try_fast_syscall(struct dune_vcpu *v, struct dune_run *run, u16 port, u32 len)
{
	struct dune_guest_regs *g = &v->regs;
	u64 nr = g->r.rax;
	int reason = 0;

	if (!dune_syscall_fast(v->vm, nr))
		return DUNE_EXIT_SYSCALL;
	if (!dune_syscall_run(g)) {
		run->syscall.nr = nr;
		reason = DUNE_EXIT_SYSCALL_INTERRUPTED;
	}
	g->r.rip += len;
	if (port == DUNE_PORT_SYSCALL_SITE) {
		/* What the syscall instruction would have stored. */
		g->r.rcx = g->r.rip;
		g->r.r11 = g->r.rflags;
	}
	return reason;
}

/* What an exit left in the VMCS, read while it is still current. */
enum { LOOP = 0 };

struct exit_info {
	u32 reason, len, intr_info;
	u64 qual, gpa;
};

/* One VM exit, handled preemptible: LOOP, or the enum dune_exit_reason to return with. */
static int handle_exit(struct dune_vcpu *v, struct dune_run *run, const struct exit_info *e)
{
	struct dune_guest_regs *g = &v->regs;
	u64 qual = e->qual;
	u32 len = e->len;
	int r;

	switch (e->reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		return LOOP;
	case EXIT_REASON_EXCEPTION_NMI:
		if ((e->intr_info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
			return LOOP; /* handled right after the exit */
		break;
	case EXIT_REASON_CPUID:
		emulate_cpuid(g);
		g->r.rip += len;
		return LOOP;
	case EXIT_REASON_IO_INSTRUCTION:
		run->io.port = qual >> 16;
		run->io.size = (qual & 7) + 1;
		run->io.in = !!(qual & 8);
		if (!(qual & 0x18) && run->io.size == 1 &&
		    (run->io.port == DUNE_PORT_SYSCALL_STUB ||
		     run->io.port == DUNE_PORT_SYSCALL_SITE)) {
			return try_fast_syscall(v, run, run->io.port, len);
		}
		return DUNE_EXIT_IO;
	case EXIT_REASON_EPT_VIOLATION:
		run->ept.gpa = e->gpa;
		run->ept.qualification = qual;
		r = dune_ept_fault(v->vm, run->ept.gpa, qual & EPT_VIOLATION_ACC_WRITE);
		return r ? DUNE_EXIT_EPT_FAULT : LOOP;
	case EXIT_REASON_TRIPLE_FAULT:
		return DUNE_EXIT_SHUTDOWN;
	case EXIT_REASON_HLT:
		return DUNE_EXIT_HLT;
	}
	run->vmx.reason = e->reason;
	run->vmx.qualification = qual;
	return DUNE_EXIT_VMX;
}

/* Enter once. Preemption and interrupts are off. Returns 0, or 1 if the
 * entry failed. */
static int enter_guest(struct dune_vcpu *v)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();
	u16 ds, es;
	u64 fs;
	int failed;

	if (unlikely(cr3 != v->host_cr3)) {
		vmcs_write(HOST_CR3, cr3);
		v->host_cr3 = cr3;
	}
	if (unlikely(cr4 != v->host_cr4)) {
		vmcs_write(HOST_CR4, cr4);
		v->host_cr4 = cr4;
	}
	rdmsrl(MSR_FS_BASE, fs);
	vmcs_write(HOST_FS_BASE, fs);
	savesegment(ds, ds);
	savesegment(es, es);

	failed = dune_vmx_enter(&v->regs, v->launched);

	/* VM exit left the GDT limit at 0xffff, the TR limit at 0x67, DS/ES null. */
	load_fixmap_gdt(smp_processor_id());
	invalidate_tss_limit();
	if (ds)
		loadsegment(ds, ds);
	if (es)
		loadsegment(es, es);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	if (!failed)
		v->launched = true;
	return failed;
}

/* A new page-table root for the guest: a page-aligned guest-physical address. */
int dune_vcpu_set_cr3(struct dune_vcpu *v, u64 cr3)
{
	int r;

	if (cr3 & ~PAGE_MASK & ~0x18ull || cr3 >= dune_gpa_limit())
		return -EINVAL;
	preempt_disable();
	r = vcpu_load(v);
	if (!r)
		vmcs_write(GUEST_CR3, cr3);
	preempt_enable();
	return r;
}

int dune_vcpu_run(struct dune_vcpu *v, struct dune_run *run)
{
	struct dune_guest_regs *g = &v->regs;
	int reason = LOOP;

	g->r = run->regs;
	g->cr2 = run->cr2;
	run->kernel_exits = 0;
	if (run->flags & DUNE_RUN_IMMEDIATE_EXIT) {
		run->exit_reason = DUNE_EXIT_INTERRUPTED;
		return 0;
	}
	preempt_disable();
	if (vcpu_load(v)) {
		preempt_enable();
		return -EIO;
	}
	vmcs_write(GUEST_FS_BASE, run->fs_base);
	vmcs_write(GUEST_GS_BASE, run->gs_base);
	preempt_enable();

	while (reason == LOOP) {
		struct exit_info e;

		if (signal_pending(current)) {
			reason = DUNE_EXIT_INTERRUPTED;
			break;
		}
		cond_resched();

		preempt_disable();
		if (vcpu_load(v)) {
			preempt_enable();
			return -EIO;
		}
		vmcs_write(GUEST_RIP, g->r.rip);
		vmcs_write(GUEST_RSP, g->r.rsp);
		vmcs_write(GUEST_RFLAGS, g->r.rflags);
		local_irq_disable();
		/* The guest runs on the thread's user FPU state: have it in the registers. */
		if (test_thread_flag(TIF_NEED_FPU_LOAD))
			switch_fpu_return();
		if (need_resched() || signal_pending(current)) {
			local_irq_enable();
			preempt_enable();
			continue;
		}
		if (enter_guest(v)) {
			local_irq_enable();
			run->vmx.reason = vmcs_read(VM_INSTRUCTION_ERROR);
			preempt_enable();
			reason = DUNE_EXIT_FAIL_ENTRY;
			break;
		}
		e.reason = vmcs_read(VM_EXIT_REASON);
		e.intr_info = vmcs_read(VM_EXIT_INTR_INFO);
		if ((u16)e.reason == EXIT_REASON_EXCEPTION_NMI &&
		    (e.intr_info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
			asm volatile("int $2"); /* the host's NMI, taken by its own handler */
		local_irq_enable();

		g->r.rip = vmcs_read(GUEST_RIP);
		g->r.rsp = vmcs_read(GUEST_RSP);
		g->r.rflags = vmcs_read(GUEST_RFLAGS);
		e.qual = vmcs_read(EXIT_QUALIFICATION);
		e.len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
		e.gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
		preempt_enable();
		if (e.reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
			run->vmx.reason = (u16)e.reason;
			run->vmx.qualification = e.qual;
			reason = DUNE_EXIT_FAIL_ENTRY;
			break;
		}
		e.reason = (u16)e.reason;
		reason = handle_exit(v, run, &e);
		if (reason == LOOP)
			run->kernel_exits++;
	}

	preempt_disable();
	if (!vcpu_load(v)) {
		run->fs_base = vmcs_read(GUEST_FS_BASE);
		run->gs_base = vmcs_read(GUEST_GS_BASE);
	}
	preempt_enable();
	run->regs = g->r;
	run->cr2 = g->cr2;
	run->exit_reason = reason;
	return 0;
}
