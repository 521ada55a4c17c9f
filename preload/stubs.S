/* stubs.S: the guest's CPL0 code. It only leaves the guest: the host does the work.
 *
 * The blob is copied into a supervisor-only page of the runtime, so offsets, not
 * absolute addresses, are what the host uses (see arch.h). The syscall entry of
 * CPL3 programs has a page of its own (entry.S).
 */
#include "arch.h"

	.section .rodata, "a"
	.globl dune_stubs_start, dune_stubs_end
	.hidden dune_stubs_start, dune_stubs_end
	.balign 64
dune_stubs_start:
.Lbase: /* a local name: references to it need no relocation */

/* LSTAR for programs at CPL0 (DUNE_RING=0): SFMASK is 0, so RFLAGS is intact. */
	.org dune_stubs_start + STUB_SYSCALL_RING0
	outb %al, $PORT_SYSCALL_STUB
	jmp *%rcx

/* The host's way back to the program when the vCPU stopped at CPL0 (in a
 * stub) and every register must be restored (sigreturn, signal delivery):
 * it points rsp at an iret frame it wrote on the IST stack. */
	.org dune_stubs_start + STUB_IRET
	iretq

/* One stub per vector, on the IST1 stack: push a zero error code where the CPU
 * pushes none, then the vector, so every frame has the same shape. */
	.macro exc_stub vec, has_error
	.org dune_stubs_start + STUB_EXCEPTIONS + \vec * STUB_EXC_SIZE
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vec
	jmp exc_common
	.endm

	exc_stub 0, 0
	exc_stub 1, 0
	exc_stub 2, 0
	exc_stub 3, 0
	exc_stub 4, 0
	exc_stub 5, 0
	exc_stub 6, 0
	exc_stub 7, 0
	exc_stub 8, 1
	exc_stub 9, 0
	exc_stub 10, 1
	exc_stub 11, 1
	exc_stub 12, 1
	exc_stub 13, 1
	exc_stub 14, 1
	exc_stub 15, 0
	exc_stub 16, 0
	exc_stub 17, 1
	exc_stub 18, 0
	exc_stub 19, 0
	exc_stub 20, 0
	exc_stub 21, 1
	exc_stub 22, 0
	exc_stub 23, 0
	exc_stub 24, 0
	exc_stub 25, 0
	exc_stub 26, 0
	exc_stub 27, 0
	exc_stub 28, 0
	exc_stub 29, 1
	exc_stub 30, 1
	exc_stub 31, 0

/* The host reads the frame at rsp, decides, and resumes after the out (retry
 * the faulting instruction) or rewrites the frame first. */
	.org dune_stubs_start + STUB_EXC_COMMON
exc_common:
	outb %al, $PORT_EXCEPTION
	addq $16, %rsp
	iretq

dune_stubs_end:
	.section .note.GNU-stack, "", @progbits
