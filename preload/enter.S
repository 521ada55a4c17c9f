/* enter.S: the constructor of libdunepre.so, and the one-way switch of a
 * thread from host code into the guest.
 *
 * dune_preload_constructor is what ld.so calls (.init_array). It records
 * its caller's callee-saved registers, return address and stack in
 * dune_entry_regs (a struct guest_regs) before dune_preload_init (entry.c)
 * runs, so the guest resumes in ld.so exactly as if the constructor had
 * returned: no instruction of libdunepre.so runs in the guest, whose text
 * the guest cannot see (memory.c). Run natively, the call simply returns.
 *
 * dune_enter_guest(regs, host_stack_top, host_loop) moves to
 * host_stack_top and calls host_loop(regs), which never returns.
 */
	.section .init_array.00101, "aw"
	.balign 8
	.quad dune_preload_constructor

	.text
	.hidden dune_entry_regs, dune_init_stack, dune_preload_init
	.type dune_preload_constructor, @function
dune_preload_constructor:
	leaq dune_entry_regs(%rip), %rax
	movq %rbx, 8(%rax)     /* guest_regs.rbx */
	movq %rbp, 56(%rax)    /* rbp */
	movq %r12, 96(%rax)
	movq %r13, 104(%rax)
	movq %r14, 112(%rax)
	movq %r15, 120(%rax)
	movq (%rsp), %rcx
	movq %rcx, 128(%rax)   /* rip: ld.so, where we return */
	leaq 8(%rsp), %rcx
	movq %rcx, 48(%rax)    /* rsp as it is after ret */
	/* The work runs on a stack of the runtime's (entry.c): what it reads,
	 * the policy among it, stays off the program's stack. */
	pushq %rbx             /* and rsp is 16-aligned for the calls */
	call dune_init_stack
	movq %rsp, %rbx
	testq %rax, %rax
	jz 1f
	movq %rax, %rsp
1:	call dune_preload_init
	movq %rbx, %rsp        /* run natively: back to ld.so */
	popq %rbx
	ret
	.size dune_preload_constructor, .-dune_preload_constructor

	.globl dune_enter_guest
	.hidden dune_enter_guest
	.type dune_enter_guest, @function
dune_enter_guest:
	movq %rsi, %rsp
	xorl %ebp, %ebp        /* end of the host backtrace */
	call *%rdx
	ud2
	.size dune_enter_guest, .-dune_enter_guest
	.section .note.GNU-stack, "", @progbits
