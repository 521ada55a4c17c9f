/* local.h: what libdune's files share. */
#ifndef DUNE_LIBDUNE_LOCAL_H
#define DUNE_LIBDUNE_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

#include "abi.h"

#define HIDDEN __attribute__((visibility("hidden")))

/* One libdune request (abi.h): the result, or -errno. */
static inline long libdune_request(long op, uint64_t arg)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(DUNE_SYSCALL_LIBDUNE), "D"(op), "S"(arg)
			 : "rcx", "r11", "memory");
	return ret;
}

/* entry.c: guest-physical = process address (the KVM backend). */
extern bool libdune_identity HIDDEN;
/* entry.c: bytes trap.S saves the FPU state in (CPUID 0xd). */
extern uint32_t libdune_xsave_size HIDDEN;
/* entry.c: a guest-physical address as the process sees it. */
void *libdune_pa_to_va(uint64_t pa) HIDDEN;
/* trap.S: where the runtime enters libdune for a trap. */
void libdune_trap_entry(void) HIDDEN;
/* trap.c: run the handler for the trap in f (called by trap.S). */
void libdune_trap_dispatch(struct dune_trap_frame *f) HIDDEN;

#endif
