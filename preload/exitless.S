/* exitless.S: the LSTAR entry of a thread that forwards syscalls without exits.
 *
 * A template: each vCPU gets a copy in a page of its own, followed by its
 * data page (arch.h, FWD_*), which every reference below reaches
 * rip-relative. The syscall instruction brought us here with the program's
 * return rip in rcx and rflags in r11; nothing but rax may change, and the
 * program's stack is not ours to touch. Two variants, as for entry.S:
 * dune_exitless_kernel runs at CPL0 and returns with sysretq,
 * dune_exitless_user runs at CPL3 (stub_return.h). At CPL3 the data page is
 * the program's to write too: it holds hints and the slot, and the server
 * trusts nothing in it (forward.c).
 *
 * The stub writes the request into the slot and spins until the thread's
 * server (forward.c), a host thread, has run it. It exits instead when this
 * thread does not forward without exits, the number is not one a server may
 * run, the server is asleep, or the answer is slow to come.
 */
#include "arch.h"
#include "stub_return.h"

#define DATA(off) .Lbase\@ + FWD_CODE_SIZE + (off)(%rip)

	.macro exitless_blob name, user
	.section .rodata, "a"
	.globl dune_exitless_\name\()_start, dune_exitless_\name\()_end
	.hidden dune_exitless_\name\()_start, dune_exitless_\name\()_end
	.balign 64
dune_exitless_\name\()_start:
.Lbase\@:
	user_flags_check \user, .Lexit\@
	cmpq $FILTER_NR, %rax
	jae .Lexit\@
	cmpl $0, DATA(FWD_ON)
	je .Lexit\@
	btq %rax, DATA(FWD_ELIGIBLE)
	jnc .Lexit\@
	cmpl $0, DATA(FWD_AWAKE)
	je .Lexit\@                     /* the host wakes the server at the exit */
	movq %rax, DATA(FWD_NR)
	movq %rdi, DATA(FWD_ARGS + 0)
	movq %rsi, DATA(FWD_ARGS + 8)
	movq %rdx, DATA(FWD_ARGS + 16)
	movq %r10, DATA(FWD_ARGS + 24)
	movq %r8, DATA(FWD_ARGS + 32)
	movq %r9, DATA(FWD_ARGS + 40)
	movl $FWD_POSTED, DATA(FWD_STATE) /* stores are ordered: the request is whole */
	movl DATA(FWD_SPIN), %eax
.Lspin\@:
	pause
	cmpl $FWD_POSTED, DATA(FWD_STATE)
	jb .Lanswered\@
	decl %eax
	jnz .Lspin\@
	jmp .Ltake_over\@
.Lanswered\@:
	cmpl $FWD_DONE, DATA(FWD_STATE)
	je .Ldone\@
	cmpl $FWD_BOUNCED, DATA(FWD_STATE)
	jne .Ltake_over\@               /* FWD_DONE_SIGNAL: the host delivers it */
	movq DATA(FWD_NR), %rax         /* rax holds the number again before IDLE */
	movl $FWD_IDLE, DATA(FWD_STATE)
.Lexit\@:
	jmp *DATA(FWD_FALLBACK)

/* The host finishes the call (or waits for the server). At CPL0 it resumes
 * at the sysretq with the result in rax; at CPL3 it resumes the program. */
	.org dune_exitless_\name\()_start + FWD_TAKE_OVER
.Ltake_over\@:
	outb %al, $PORT_EXITLESS
	.if \user
	ud2
	.else
	sysretq
	.endif

/* The answer. The state stays DONE until the last instruction before the
 * return, so that a vCPU stopped anywhere before it is taken over with the
 * answer still in the slot (forward_take_over). */
.Ldone\@:
	.if \user
	user_flags_restore
	.endif
	.org dune_exitless_\name\()_start + FWD_DONE_SYSRET - 17, 0x90
	movq DATA(FWD_RET), %rax        /* 7 bytes */
	movl $FWD_IDLE, DATA(FWD_STATE) /* 10 bytes with its imm32: ends at FWD_DONE_SYSRET */
	stub_return \user
dune_exitless_\name\()_end:
	.endm

	exitless_blob kernel, 0
	exitless_blob user, 1

/* Host code: the server's run of one call (forward.c), between two labels
 * that the server's signal handler knows. The server opens its signal mask
 * just before; a signal that reaches it before the syscall instruction has
 * run must not leave the call to wait with every signal blocked after it:
 *   long dune_server_syscall(long nr, const long args[6], uint32_t *stop);
 * A handler that finds rip in [check, done) sets *stop to 2 and resumes at
 * stopped; one that came earlier left *stop nonzero, which check sees. On
 * *stop == 2 the call did not run, and the result means nothing. */
	.text
	.globl dune_server_syscall, dune_server_syscall_check
	.globl dune_server_syscall_done, dune_server_syscall_stopped
	.hidden dune_server_syscall, dune_server_syscall_check
	.hidden dune_server_syscall_done, dune_server_syscall_stopped
	.type dune_server_syscall, @function
dune_server_syscall:
	movq %rdi, %rax                 /* the number */
	movq %rdx, %r11                 /* stop: syscall clobbers r11, check reads it first */
	movq 0(%rsi), %rdi
	movq 16(%rsi), %rdx
	movq 24(%rsi), %r10
	movq 32(%rsi), %r8
	movq 40(%rsi), %r9
	movq 8(%rsi), %rsi              /* the array's address, last */
dune_server_syscall_check:
	cmpl $0, (%r11)
	jne 1f
	syscall
dune_server_syscall_done:
	ret
1:	movl $2, (%r11)                 /* a signal came before: no call */
dune_server_syscall_stopped:           /* the handler stored the 2 itself */
	movq $-4, %rax                  /* -EINTR, for what it is worth */
	ret
	.size dune_server_syscall, .-dune_server_syscall

	.section .note.GNU-stack, "", @progbits
