/* clone.S: start a host thread on a stack of the runtime's own.
 *
 * long dune_clone_thread(flags, stack_top, parent_tid, child_tid, tls, fn, arg)
 * The child calls fn(arg) on stack_top and never returns; the parent gets
 * the child's tid or -errno. Written in assembly because C code may not run
 * on after the syscall with its stack swapped underneath it.
 */
	.text
	.globl dune_clone_thread
	.hidden dune_clone_thread
	.type dune_clone_thread, @function
dune_clone_thread:
	movq 8(%rsp), %rax     /* arg, the 7th argument */
	subq $16, %rsi
	movq %r9, 0(%rsi)      /* fn */
	movq %rax, 8(%rsi)     /* arg */
	movq %rcx, %r10        /* child_tid: the 4th syscall argument */
	movl $56, %eax         /* SYS_clone: flags, stack, parent_tid, child_tid, tls */
	syscall
	testq %rax, %rax
	jnz 1f
	xorl %ebp, %ebp        /* the child: end of its backtrace */
	popq %rax
	popq %rdi
	call *%rax
	ud2
1:	ret
	.size dune_clone_thread, .-dune_clone_thread
	.section .note.GNU-stack, "", @progbits
