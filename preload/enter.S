/* enter.S: the one-way switch of a thread from host code into the guest.
 *
 * dune_enter_guest(regs, host_stack_top, host_loop) records the caller's
 * callee-saved registers, stack and return address in regs (a struct
 * guest_regs), then moves to host_stack_top and calls host_loop(regs), which
 * never returns. The guest vCPU starts from regs, so in the guest the call
 * simply returns 0.
 */
	.text
	.globl dune_enter_guest
	.type dune_enter_guest, @function
dune_enter_guest:
	movq %rbx, 8(%rdi)     /* guest_regs.rbx */
	movq %rbp, 56(%rdi)    /* rbp */
	movq %r12, 96(%rdi)
	movq %r13, 104(%rdi)
	movq %r14, 112(%rdi)
	movq %r15, 120(%rdi)
	movq (%rsp), %rax
	movq %rax, 128(%rdi)   /* rip: our return address */
	leaq 8(%rsp), %rax
	movq %rax, 48(%rdi)    /* rsp as it is after ret */
	movq $0, 0(%rdi)       /* rax: the guest sees a return value of 0 */
	movq %rsi, %rsp
	xorl %ebp, %ebp        /* end of the host backtrace */
	call *%rdx
	ud2
	.size dune_enter_guest, .-dune_enter_guest
	.section .note.GNU-stack, "", @progbits
