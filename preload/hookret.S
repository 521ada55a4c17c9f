/* hookret.S: where a policy hook returns to (hook.c).
 *
 * The runtime calls the hook in the guest with this as its return address
 * and the struct dune_hook_fault in rbx, which the hook preserves (the ABI's
 * callee-saved register). The private syscall hands the hook's result back
 * to the runtime, which resumes the program from the struct's registers and
 * never returns here.
 *
 * The guest cannot see libdunepre.so (memory.c), so this is a blob that
 * cpu.c copies into a user-executable page of the runtime's; it uses no
 * absolute address.
 */
	.section .rodata, "a"
	.globl dune_hook_return_start, dune_hook_return_end
	.hidden dune_hook_return_start, dune_hook_return_end
dune_hook_return_start:
	movq %rax, %rdi        /* enum dune_hook_result */
	movq %rbx, %rsi        /* the struct, for a check */
	movl $0x44554e48, %eax /* DUNE_SYSCALL_HOOK_RETURN */
	syscall
	ud2
dune_hook_return_end:
	.section .note.GNU-stack, "", @progbits
