/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmx_run.S: one trip into the guest and back.
 *
 * dune_vmx_enter(regs, launched) saves the host's callee-saved registers and
 * the regs pointer on the stack, records that stack in HOST_RSP, loads the
 * guest's general registers and CR2, and runs VMLAUNCH (first entry after a
 * VMCLEAR) or VMRESUME. A VM exit lands at dune_vmx_vmexit (HOST_RIP) on the
 * same stack: the guest's registers and CR2 are stored back, the host's are
 * popped, and the call returns 0. If the entry instruction fails, it returns 1
 * (the caller reads VM_INSTRUCTION_ERROR). RSP, RIP and RFLAGS of the guest
 * live in the VMCS and are handled in C.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

/* Offsets in struct dune_guest_regs (checked in vmx.c). */
#define R_RAX	0
#define R_RBX	8
#define R_RCX	16
#define R_RDX	24
#define R_RSI	32
#define R_RDI	40
#define R_RBP	56
#define R_R8	64
#define R_R9	72
#define R_R10	80
#define R_R11	88
#define R_R12	96
#define R_R13	104
#define R_R14	112
#define R_R15	120
#define R_CR2	144

#define VMCS_HOST_RSP	0x6c14

	.section .noinstr.text, "ax"

SYM_FUNC_START(dune_vmx_enter)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	/* The exit path finds the regs pointer on top of the stack. */
	push %rdi

	mov $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax

	/* Writing CR2 is slow on some CPUs: only when it differs. */
	mov R_CR2(%rdi), %rax
	mov %cr2, %rdx
	cmp %rax, %rdx
	je 1f
	mov %rax, %cr2
1:
	/* Flags decide launch or resume; the movs below keep them. */
	test %esi, %esi

	mov R_RAX(%rdi), %rax
	mov R_RBX(%rdi), %rbx
	mov R_RCX(%rdi), %rcx
	mov R_RDX(%rdi), %rdx
	mov R_RSI(%rdi), %rsi
	mov R_RBP(%rdi), %rbp
	mov R_R8(%rdi), %r8
	mov R_R9(%rdi), %r9
	mov R_R10(%rdi), %r10
	mov R_R11(%rdi), %r11
	mov R_R12(%rdi), %r12
	mov R_R13(%rdi), %r13
	mov R_R14(%rdi), %r14
	mov R_R15(%rdi), %r15
	mov R_RDI(%rdi), %rdi

	UNWIND_HINT_SAVE
	jnz .Lresume
	vmlaunch
	jmp .Lfailed
.Lresume:
	vmresume
	jmp .Lfailed

SYM_INNER_LABEL(dune_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	/* Guest rdi goes on the stack where the regs pointer was. */
	xchg %rdi, (%rsp)
	mov %rax, R_RAX(%rdi)
	mov %rbx, R_RBX(%rdi)
	mov %rcx, R_RCX(%rdi)
	mov %rdx, R_RDX(%rdi)
	mov %rsi, R_RSI(%rdi)
	mov %rbp, R_RBP(%rdi)
	mov %r8, R_R8(%rdi)
	mov %r9, R_R9(%rdi)
	mov %r10, R_R10(%rdi)
	mov %r11, R_R11(%rdi)
	mov %r12, R_R12(%rdi)
	mov %r13, R_R13(%rdi)
	mov %r14, R_R14(%rdi)
	mov %r15, R_R15(%rdi)
	pop R_RDI(%rdi)
	mov %cr2, %rax
	mov %rax, R_CR2(%rdi)
	/* Leave no guest value behind in scratch registers. */
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	jmp .Lout

.Lfailed:
	add $8, %rsp
	mov $1, %eax
.Lout:
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(dune_vmx_enter)
