/* abi.h: the private interface between libdune and the runtime (libdunepre.so).
 *
 * libdune asks the runtime for what only the host side can do with one
 * syscall that does not exist natively, DUNE_SYSCALL_LIBDUNE: rdi is the
 * operation, rsi and rdx its arguments, rax the result (-errno on failure).
 * The runtime calls back into libdune, in the guest, with a struct
 * dune_trap_frame on the stack when a trap is for one of its handlers; the
 * library hands the frame back with LIBDUNE_TRAP_RETURN. Not installed: a
 * program sees only dune.h.
 */
#ifndef DUNE_LIBDUNE_ABI_H
#define DUNE_LIBDUNE_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "dune/dune.h"

#ifndef DUNE_SYSCALL_LIBDUNE
#define DUNE_SYSCALL_LIBDUNE 0x44554e4cL /* "DUNL" */
#endif
#define LIBDUNE_ABI_VERSION  1

enum libdune_op {
	LIBDUNE_INIT = 1,        /* rsi: struct libdune_init *, filled in */
	LIBDUNE_ENTER,           /* this thread's vCPU takes part: traps, user mode */
	LIBDUNE_ALLOC_TABLE,     /* a zeroed page-table page: returns its address */
	LIBDUNE_FLUSH_TLB,       /* forget every cached translation of this vCPU */
	LIBDUNE_VA_TO_PA,        /* rsi: an address of the process: its guest-physical one */
	LIBDUNE_PA_TO_VA,        /* rsi: a guest-physical address: where the process sees it */
	LIBDUNE_SET_VECTORS,     /* rsi: bitmap of vectors 0-31 routed to libdune's handlers */
	LIBDUNE_TRAP_RETURN,     /* rsi: the struct dune_trap_frame to resume from */
	LIBDUNE_JUMP_TO_USER,    /* rsi: struct dune_tf *: run it in user mode */
	LIBDUNE_RET_FROM_USER,   /* rsi: the value dune_jump_to_user returns */
};

/* LIBDUNE_INIT: what the library gives and learns. */
struct libdune_init {
	uint32_t version;        /* in: LIBDUNE_ABI_VERSION */
	uint32_t identity;       /* out: 1 when guest-physical = host-virtual (KVM) */
	uint64_t trap_entry;     /* in: where the runtime enters libdune for a trap */
	uint64_t root;           /* out: the page-table root (PML4), as the process sees it */
	uint32_t cpl;            /* out: the CPL the program's code runs at */
	uint32_t pad;
};

enum libdune_trap_kind {
	LIBDUNE_TRAP_EXCEPTION = 1, /* vector, error and (page faults) addr */
	LIBDUNE_TRAP_SYSCALL = 2,   /* a syscall made in user mode: tf.rax and the arguments */
};

/* What the runtime puts on the stack for libdune's trap entry (rdi points
 * at it). The handler may change tf; LIBDUNE_TRAP_RETURN resumes from it,
 * in user mode when tf.cs says so. */
struct dune_trap_frame {
	uint64_t kind;
	uint64_t vector;
	uint64_t error;
	uint64_t addr;
	struct dune_tf tf;
	uint64_t user;           /* 1: the trap came from user mode */
};

/* The virtual selectors a struct dune_tf carries (dune.h), whatever the
 * hardware CPL: the program's own code is "kernel", dune_jump_to_user's is "user". */
#define LIBDUNE_CS_KERNEL 0x10
#define LIBDUNE_SS_KERNEL 0x18
#define LIBDUNE_CS_USER   0x33
#define LIBDUNE_SS_USER   0x2b

_Static_assert(sizeof(struct dune_tf) == 168, "struct dune_tf layout");
_Static_assert(offsetof(struct dune_trap_frame, tf) == 32, "trap frame layout");

#endif
