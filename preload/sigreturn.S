/* sigreturn.S: the restorer of the host side's own signal handler.
 *
 * The host handler runs on the host stack and returns here; the syscall
 * instruction is the runtime's, never rewritten, unlike libc's __restore_rt.
 */
	.text
	.globl dune_host_restorer
	.hidden dune_host_restorer
	.type dune_host_restorer, @function
dune_host_restorer:
	movl $15, %eax /* SYS_rt_sigreturn */
	syscall
	ud2
	.size dune_host_restorer, .-dune_host_restorer
	.section .note.GNU-stack, "", @progbits
