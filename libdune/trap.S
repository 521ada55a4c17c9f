/* trap.S: libdune's trap entry, where the runtime resumes the program for
 * a trap it has a handler for (see abi.h).
 *
 * On entry rdi and rsp point at the struct dune_trap_frame, 64-byte aligned,
 * below the trapped code's red zone; every other register is the trapped
 * code's (or, from user mode, the kernel's at dune_jump_to_user). The
 * handler is C and may use any vector register, so the FPU state is kept
 * with XSAVE below the frame (at CPL3 this runs natively on every host).
 */
#define DUNE_SYSCALL_LIBDUNE 0x44554e4c
#define LIBDUNE_TRAP_RETURN  8

	.text
	.globl libdune_trap_entry
	.hidden libdune_trap_entry
	.type libdune_trap_entry, @function
libdune_trap_entry:
	movq %rdi, %rbx                        /* the frame: callee-saved, survives the call */
	movl libdune_xsave_size(%rip), %eax
	subq %rax, %rsp
	andq $-64, %rsp                        /* XSAVE wants 64-byte alignment */
	movq %rsp, %r12
	xorl %eax, %eax                        /* XSAVE writes XSTATE_BV only: the rest of */
	movq %rax, 512(%r12)                   /* the header must be zero for XRSTOR */
	movq %rax, 520(%r12)
	movq %rax, 528(%r12)
	movq %rax, 536(%r12)
	movq %rax, 544(%r12)
	movq %rax, 552(%r12)
	movq %rax, 560(%r12)
	movq %rax, 568(%r12)
	movl $-1, %eax                         /* every component XCR0 enables */
	movl $-1, %edx
	xsave64 (%r12)
	movq %rbx, %rdi
	call libdune_trap_dispatch              /* rsp is 16-byte aligned here */
	movl $-1, %eax
	movl $-1, %edx
	xrstor64 (%r12)
	movq $LIBDUNE_TRAP_RETURN, %rdi        /* resume from the frame's tf */
	movq %rbx, %rsi
	movl $DUNE_SYSCALL_LIBDUNE, %eax
	syscall
	ud2
	.size libdune_trap_entry, .-libdune_trap_entry
	.section .note.GNU-stack, "", @progbits
