/* exitless.S: the LSTAR entry of a thread that forwards syscalls without exits.
 *
 * A template: each vCPU gets a copy in a supervisor page of its own, followed
 * by its data page (arch.h, FWD_*), which every reference below reaches
 * rip-relative. The syscall instruction brought us here at CPL0 with the
 * program's return rip in rcx and rflags in r11; nothing but rax may change,
 * and the program's stack is not ours to touch.
 *
 * The stub writes the request into the slot and spins until the thread's
 * server (forward.c), a host thread, has run it. It exits instead when this
 * thread does not forward without exits, the number is not one a server may
 * run, the server is asleep, or the answer is slow to come.
 */
#include "arch.h"

#define DATA(off) .Lbase + FWD_CODE_SIZE + (off)(%rip)

	.section .rodata, "a"
	.globl dune_exitless_start, dune_exitless_end
	.balign 64
dune_exitless_start:
.Lbase:
	cmpq $FILTER_NR, %rax
	jae .Lexit
	cmpl $0, DATA(FWD_ON)
	je .Lexit
	btq %rax, DATA(FWD_ELIGIBLE)
	jnc .Lexit
	cmpl $0, DATA(FWD_AWAKE)
	je .Lexit                       /* the host wakes the server at the exit */
	movq %rax, DATA(FWD_NR)
	movq %rdi, DATA(FWD_ARGS + 0)
	movq %rsi, DATA(FWD_ARGS + 8)
	movq %rdx, DATA(FWD_ARGS + 16)
	movq %r10, DATA(FWD_ARGS + 24)
	movq %r8, DATA(FWD_ARGS + 32)
	movq %r9, DATA(FWD_ARGS + 40)
	movl $FWD_POSTED, DATA(FWD_STATE) /* stores are ordered: the request is whole */
	movl DATA(FWD_SPIN), %eax
1:	pause
	cmpl $FWD_POSTED, DATA(FWD_STATE)
	jb .Lanswered
	decl %eax
	jnz 1b
	jmp .Ltake_over
.Lanswered:
	cmpl $FWD_DONE, DATA(FWD_STATE)
	je .Ldone
	cmpl $FWD_BOUNCED, DATA(FWD_STATE)
	jne .Ltake_over                 /* FWD_DONE_SIGNAL: the host delivers it */
	movq DATA(FWD_NR), %rax         /* rax holds the number again before IDLE */
	movl $FWD_IDLE, DATA(FWD_STATE)
.Lexit:
	jmp *DATA(FWD_FALLBACK)

/* The host finishes the call (or waits for the server) and resumes at the
 * sysretq with the result in rax. */
	.org dune_exitless_start + FWD_SYSRET - 2
.Ltake_over:
	outb %al, $PORT_EXITLESS
	sysretq

	.org dune_exitless_start + FWD_DONE_SYSRET - 17
.Ldone:
	movq DATA(FWD_RET), %rax        /* 7 bytes */
	movl $FWD_IDLE, DATA(FWD_STATE) /* 10 bytes with its imm32: ends at FWD_DONE_SYSRET */
	sysretq
dune_exitless_end:
	.section .note.GNU-stack, "", @progbits
