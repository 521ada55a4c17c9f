/* cpu.c: GDT, TSS, IDT, the stub page and the entry page: the little x86 "kernel" of the guest.
 *
 * All of it lives in supervisor-only pages, so a program at CPL3 can neither
 * read nor change it; only the entry page (LSTAR) is user-executable, where
 * the platform leaves a syscall at CPL3 (platform.h). Exceptions go through
 * IST1 so that a fault at CPL0 (DUNE_RING=0) never writes into the program's
 * red zone.
 */
#include "cpu.h"

#include <errno.h>
#include <string.h>

#include "arch.h"
#include "forward.h"
#include "guest.h"
#include "memory.h"
#include "platform.h"

extern const char dune_stubs_start[], dune_stubs_end[];
extern const char dune_entry_kernel_start[], dune_entry_kernel_end[];
extern const char dune_entry_user_start[], dune_entry_user_end[];
extern const char dune_probe_start[], dune_probe_end[];
extern const char dune_hook_return_start[], dune_hook_return_end[];

#define SUPERVISOR_RW (PTE_P | PTE_W | PTE_A | PTE_D | PTE_NX)
#define SUPERVISOR_RX (PTE_P | PTE_A)
#define USER_RX       (PTE_P | PTE_U | PTE_A)

#define TSS_RSP0       4
#define TSS_IST1       36
#define TSS_IOMAP_BASE 102
#define TSS_SIZE       104
#define IOMAP_BYTES    32 /* ports 0-255, enough for ours */

static void idt_gate(uint64_t *idt, int vec, uint64_t handler, int dpl)
{
	uint64_t lo = (handler & 0xffff) | ((uint64_t)SEL_KERNEL_CS << 16) |
		      (1ull << 32) /* IST1 */ | ((uint64_t)(0x8e | dpl << 5) << 40) |
		      ((handler >> 16 & 0xffff) << 48);

	idt[2 * vec] = lo;
	idt[2 * vec + 1] = handler >> 32;
}

/* Where policy hooks return to (hookret.S), in a page the program's CPL3 may
 * execute: the copy in libdunepre.so is invisible to the guest (memory.c). */
static uint64_t hook_return_at;

uint64_t cpu_hook_return(void)
{
	return hook_return_at;
}

int cpu_init(struct guest *g)
{
	size_t len = dune_stubs_end - dune_stubs_start;
	uint8_t *user = mem_alloc_reserved(g, PAGE_SIZE, USER_RX);

	g->stubs = mem_alloc_reserved(g, PAGE_SIZE, SUPERVISOR_RX);
	g->idt = mem_alloc_reserved(g, PAGE_SIZE, SUPERVISOR_RW);
	if (!g->stubs || !g->idt || !user || len > PAGE_SIZE)
		return -ENOMEM;
	memcpy(user, dune_hook_return_start, dune_hook_return_end - dune_hook_return_start);
	hook_return_at = (uint64_t)user;
	memcpy(g->stubs, dune_stubs_start, len);
	/* context.c finds iretq at these offsets: 48 cf */
	if (memcmp(g->stubs + STUB_EXC_COMMON_IRET, "\x48\xcf", 2) ||
	    memcmp(g->stubs + STUB_IRET, "\x48\xcf", 2))
		return -EINVAL;
	for (int vec = 0; vec < 32; vec++) {
		/* int3 and into are allowed from CPL3, as on Linux. */
		int dpl = vec == 3 || vec == 4 ? 3 : 0;

		idt_gate(g->idt, vec, (uint64_t)g->stubs + STUB_EXCEPTIONS + vec * STUB_EXC_SIZE, dpl);
	}
	return 0;
}

int cpu_capture_fpu(void *buf)
{
	if (!(host_cpuid(1, 0).ecx & (1u << 27))) /* OSXSAVE */
		return -ENOTSUP;
	if (host_cpuid(0xd, 0).ebx > 4096) /* AMX and the like need KVM_GET_XSAVE2: keep the defaults */
		return -ENOTSUP;
	memset(buf, 0, 4096);
	__asm__ volatile("xsave64 (%0)" : : "r"(buf), "a"(~0u), "d"(~0u) : "memory");
	return 0;
}

static uint64_t tss_descriptor_low(uint64_t base, uint32_t limit)
{
	return (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
	       ((uint64_t)(limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
}

/* The vCPU's GDT and TSS, and the state every start of it shares. */
static int vcpu_tables(struct guest *g, struct vcpu *v, struct cpu_setup *c)
{
	struct vcpu_area *a = v->area ? v->area : mem_alloc_reserved(g, sizeof(*a), SUPERVISOR_RW);
	uint8_t *tss, *iomap;
	uint64_t ist_top;

	if (!a)
		return -ENOMEM;
	v->area = a;
	a->gdt[SEL_KERNEL_CS >> 3] = 0x00af9b000000ffffull;
	a->gdt[SEL_KERNEL_DS >> 3] = 0x00cf93000000ffffull;
	a->gdt[SEL_USER32_CS >> 3] = 0x00cffb000000ffffull;
	a->gdt[SEL_USER_DS >> 3] = 0x00cff3000000ffffull;
	a->gdt[SEL_USER_CS >> 3] = 0x00affb000000ffffull;

	tss = a->tss;
	iomap = tss + TSS_SIZE;
	ist_top = (uint64_t)(a->ist_stack + sizeof(a->ist_stack));
	memcpy(tss + TSS_RSP0, &ist_top, 8);
	memcpy(tss + TSS_IST1, &ist_top, 8);
	*(uint16_t *)(tss + TSS_IOMAP_BASE) = TSS_SIZE;
	memset(iomap, 0xff, IOMAP_BYTES + 1);
	/* The ports CPL3 code may exit with (a rewritten site's, and where
	 * the stubs run at CPL3, theirs): no others. */
	for (int port = 0; port < IOMAP_BYTES * 8; port++)
		if (platform_port_open_to_user(&g->platform, port))
			iomap[port / 8] &= ~(1u << (port % 8));
	a->gdt[SEL_TSS >> 3] = tss_descriptor_low((uint64_t)tss, TSS_SIZE + IOMAP_BYTES);
	a->gdt[(SEL_TSS >> 3) + 1] = (uint64_t)tss >> 32;

	*c = (struct cpu_setup){
		.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG,
		.cr3 = (uint64_t)g->pt.pml4,
		.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE,
		.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE,
		.gdt_base = (uint64_t)a->gdt, .gdt_limit = sizeof(a->gdt) - 1,
		.idt_base = (uint64_t)g->idt, .idt_limit = 32 * 16 - 1,
		.tss_base = (uint64_t)tss, .tss_limit = TSS_SIZE + IOMAP_BYTES,
		.cpl = g->cfg.ring,
		.fs_base = v->fs_base, .gs_base = v->gs_base,
		.star = (uint64_t)SEL_USER32_CS << 48 | (uint64_t)SEL_KERNEL_CS << 32,
		.sfmask = g->cfg.ring == 3 ? SFMASK_RING3 : 0,
	};
	/* Linux lets programs use rdfsbase and friends where the CPU has them; so do we. */
	if (host_cpuid(7, 0).ebx & 1)
		c->cr4 |= CR4_FSGSBASE;
	return 0;
}

int cpu_detect_platform(struct guest *g, struct vcpu *v)
{
	uint8_t *probe = mem_alloc_reserved(g, PAGE_SIZE, USER_RX);
	struct cpu_setup c;
	int r;

	if (!probe)
		return -ENOMEM;
	memcpy(probe, dune_probe_start, dune_probe_end - dune_probe_start);
	if ((r = vcpu_tables(g, v, &c)))
		return r;
	c.cpl = 3;
	c.sfmask = SFMASK_RING3;
	c.lstar = (uint64_t)probe + PROBE_LSTAR;
	return g->backend->probe(v, &c, (uint64_t)probe, g->cfg.ring == 0, &g->platform);
}

int cpu_init_entry(struct guest *g)
{
	bool user = g->platform.syscall_stays_user;
	const char *start = user ? dune_entry_user_start : dune_entry_kernel_start;
	const char *end = user ? dune_entry_user_end : dune_entry_kernel_end;

	g->entry = mem_alloc_reserved(g, PAGE_SIZE, platform_entry_pte(&g->platform));
	if (!g->entry || end - start > (long)PAGE_SIZE)
		return -ENOMEM;
	memcpy(g->entry, start, end - start);
	return 0;
}

int cpu_setup_vcpu(struct guest *g, struct vcpu *v, struct cpu_setup *c)
{
	int r = vcpu_tables(g, v, c);

	if (r)
		return r;
	c->lstar = g->cfg.ring == 0 ? (uint64_t)g->stubs + STUB_SYSCALL_RING0 :
		   (uint64_t)g->entry + (enforce_filter_in_guest() ? ENTRY_FILTER : ENTRY_SYSCALL);
	return forward_vcpu_setup(g, v, c);
}
