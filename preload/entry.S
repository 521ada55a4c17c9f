/* entry.S: the entry page, LSTAR of programs at CPL3.
 *
 * Two blobs of one layout (arch.h, ENTRY_*): dune_entry_kernel for hosts
 * where a syscall switches to CPL0 (the page is supervisor-only and returns
 * with sysretq), dune_entry_user for hosts where it stays at CPL3 (the page
 * is user-executable; see stub_return.h). cpu.c copies the one the platform
 * needs into a page of its own. The syscall instruction left the program's
 * return rip in rcx and its rflags in r11 and did not touch rsp: no stack.
 */
#include "arch.h"
#include "stub_return.h"

	.macro entry_blob name, user
	.section .rodata, "a"
	.globl dune_entry_\name\()_start, dune_entry_\name\()_end
	.hidden dune_entry_\name\()_start, dune_entry_\name\()_end
	.balign 64
dune_entry_\name\()_start:
.Lbase\@:

/* Every call that is not decided here: the host runs it. At CPL0 it resumes
 * at the sysretq; at CPL3 it resumes the program itself, and the ud2 is
 * never reached. */
	.org dune_entry_\name\()_start + ENTRY_SYSCALL
.Lexit\@:
	outb %al, $PORT_SYSCALL_STUB
	.if \user
	ud2
	.else
	sysretq
	.endif

/* The policy's filter: a denied call returns -errno at once; anything else
 * goes on to the exit above. Only rax and the flags change, and the flags
 * come back from r11 (user_flags_restore needs rax, so each slot has its
 * own tail, at a fixed place: a vCPU stopped in one has denied the call). */
	.org dune_entry_\name\()_start + ENTRY_FILTER
	user_flags_check \user, .Lexit\@
	cmpq $FILTER_NR, %rax
	jae .Lexit\@
	.irp slot, 0, 1, 2, 3
	btq %rax, .Lbase\@ + ENTRY_BITMAPS + \slot * FILTER_BITMAP_BYTES(%rip)
	jc .Lbase\@ + ENTRY_DENY + \slot * ENTRY_DENY_SIZE
	.endr
	jmp .Lexit\@
	.irp slot, 0, 1, 2, 3
	.org dune_entry_\name\()_start + ENTRY_DENY + \slot * ENTRY_DENY_SIZE, 0xcc
	.if \user
	user_flags_restore
	.endif
	movq .Lbase\@ + ENTRY_ERRNOS + \slot * 8(%rip), %rax
	stub_return \user
	.endr

/* The filter's data, zero (nothing denied) until the host fills it. */
	.org dune_entry_\name\()_start + ENTRY_BITMAPS
	.fill FILTER_SLOTS * FILTER_BITMAP_BYTES, 1, 0
	.org dune_entry_\name\()_start + ENTRY_ERRNOS
	.fill FILTER_SLOTS, 8, 0
dune_entry_\name\()_end:
	.endm

	entry_blob kernel, 0
	entry_blob user, 1

/* The probe (platform.h): run once per process before the program, in a
 * user-executable page of its own, to see how the host treats a CPL3
 * syscall, an I/O exit and CPL0 code. Every exit is on the site port, the
 * one port CPL3 may use on every host. */
	.section .rodata, "a"
	.globl dune_probe_start, dune_probe_end
	.hidden dune_probe_start, dune_probe_end
	.balign 64
dune_probe_start:
	.org dune_probe_start + PROBE_SYSCALL
	syscall
	.org dune_probe_start + PROBE_LSTAR
	outb %al, $PORT_SYSCALL_SITE
	ud2
	.org dune_probe_start + PROBE_RING0
	xorl %ecx, %ecx
	xgetbv
	.org dune_probe_start + PROBE_RING0_OUT
	outb %al, $PORT_SYSCALL_SITE
	ud2
dune_probe_end:

	.section .note.GNU-stack, "", @progbits
