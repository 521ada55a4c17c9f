/* cpu.h: the guest's descriptor tables, stubs and initial CPU state. */
#ifndef DUNE_CPU_H
#define DUNE_CPU_H

#include <stdint.h>

#include "backend.h"
#include "runtime.h"

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* The host CPU's answer to CPUID leaf, subleaf. */
static inline struct cpuid_regs host_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__("cpuid"
		: "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		: "a"(leaf), "c"(subleaf));
	return r;
}

/* Build the shared IDT and stub page once per process. */
int cpu_init(struct guest *g);
/* Save the calling thread's FPU/vector state as a standard 4 KiB XSAVE image
 * into buf (64-byte aligned). Returns 0, or -ENOTSUP where XSAVE cannot. */
int cpu_capture_fpu(void *buf);
/* Find out how the host treats the guest (g->platform) with the backend's
 * probe, run on v, which may get its vCPU made there (platform.h). */
int cpu_detect_platform(struct guest *g, struct vcpu *v);
/* Once the platform is known: the entry page, in the variant it needs. */
int cpu_init_entry(struct guest *g);
/* Where a policy hook returns to in the guest (hookret.S, copied by cpu_init). */
uint64_t cpu_hook_return(void);
/* Give a new vCPU its GDT, TSS and IST stack (a reused one keeps its own),
 * and describe its first state. */
int cpu_setup_vcpu(struct guest *g, struct vcpu *v, struct cpu_setup *out);

#endif
