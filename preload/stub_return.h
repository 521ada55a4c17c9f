/* stub_return.h: how a syscall stub returns to the program, as assembler macros.
 *
 * Each stub that returns to the program without an exit is assembled twice:
 * with USER_STUB 0 it runs at CPL0 (a syscall switched there) and returns
 * with sysretq; with USER_STUB 1 it runs at CPL3 (platform.h: the syscall
 * stayed there), where sysretq raises #GP, and it must leave the program
 * exactly as sysretq would, without touching the program's stack (its red
 * zone is below rsp, and rsp need not be a stack at all).
 */
#ifndef DUNE_STUB_RETURN_H
#define DUNE_STUB_RETURN_H

#include "arch.h"

#ifdef __ASSEMBLER__

/* At the stub's entry: r11 holds flags the CPL3 return cannot restore
 * (TF, AC, NT, RF, ID, IOPL, IF clear): go to \slow, which exits; the host
 * then loads them. Nothing at CPL0, where sysretq restores them all. */
	.macro user_flags_check user, slow
	.if \user
	testq $~USER_RETURN_FLAGS, %r11
	jnz \slow
	btl $9, %r11d                   /* IF */
	jnc \slow
	.endif
	.endm

/* RFLAGS = what sysretq would load from r11, given user_flags_check passed:
 * DF with cld/std; AH = r11's low byte for sahf (CF PF AF ZF SF); OF by an
 * 8-bit add that overflows or a test that clears it, both on AL only.
 * Clobbers rax; no memory, no stack. */
	.macro user_flags_restore
	btl $10, %r11d
	jc 91f
	cld
	jmp 92f
91:	std
92:	movl %r11d, %eax
	shll $8, %eax
	btl $11, %r11d
	jc 93f
	testb %al, %al
	jmp 94f
93:	movb $0x7f, %al
	addb $1, %al
94:	sahf
	.endm

/* The return itself, after rax got the result (mov leaves the flags). */
	.macro stub_return user
	.if \user
	jmp *%rcx
	.else
	sysretq
	.endif
	.endm

#endif
#endif
