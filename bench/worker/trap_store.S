/* trap_store.S: a store whose address and length the SIGSEGV handler of
 * traps.c knows, so it can resume after it without decoding anything. */
	.text
	.globl	bench_trap_store
	.globl	bench_trap_resume
	.type	bench_trap_store, @function
/* void bench_trap_store(volatile char *p): *p = 1. */
bench_trap_store:
	movb	$1, (%rdi)	/* faults on a protected page ... */
bench_trap_resume:
	ret			/* ... and the handler may send it here instead */
	.size	bench_trap_store, . - bench_trap_store

	.section .note.GNU-stack, "", @progbits
