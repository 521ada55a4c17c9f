/* arch.h: the guest's x86 layout: selectors, exit ports, control registers, stub offsets.
 * Shared by C and assembly, so only #defines here.
 */
#ifndef DUNE_ARCH_H
#define DUNE_ARCH_H

/* Selectors, as Linux has them, so a program sees the CS/SS it sees natively. */
#define SEL_KERNEL_CS 0x10
#define SEL_KERNEL_DS 0x18
#define SEL_USER32_CS 0x23 /* STAR's sysret base: CS = base+16, SS = base+8 */
#define SEL_USER_DS   0x2b
#define SEL_USER_CS   0x33
#define SEL_TSS       0x40
#define GDT_ENTRIES   10

/* I/O ports whose exits carry the runtime's requests to the host. Where a
 * syscall stays at CPL3 (platform.h), the entry and exitless stubs run
 * there, so their ports are open to CPL3 too: the host accepts an exit on
 * them only from the stub's own out instruction. */
#define PORT_SYSCALL_STUB 0xd1 /* from the entry page's syscall stub */
#define PORT_SYSCALL_SITE 0xd2 /* from a rewritten syscall site, at the program's CPL */
#define PORT_EXCEPTION    0xd3 /* from an exception stub, at CPL0 */
#define PORT_EXITLESS     0xd4 /* from the exitless stub: the host takes over */

/* Layout of the stub blob (stubs.S), always supervisor-only; the exception
 * stubs are 16 bytes apart. */
#define STUB_SYSCALL_RING0 0x10
#define STUB_IRET          0x20 /* return to the program from any CPL0 state */
#define STUB_EXCEPTIONS    0x40
#define STUB_EXC_SIZE      16
#define STUB_EXC_COMMON    (STUB_EXCEPTIONS + 32 * STUB_EXC_SIZE)
#define STUB_EXC_COMMON_IRET (STUB_EXC_COMMON + 6) /* after its out and addq */
#define STUB_EXIT_LEN      2 /* outb %al, $imm8: every exit instruction */

/* The entry page (entry.S): LSTAR of CPL3 programs. Supervisor-only where a
 * syscall switches to CPL0 (it returns with sysretq), user-executable where
 * it stays at CPL3 (it returns with jmp *%rcx after restoring the flags as
 * sysretq would; the host resumes the program itself after an exit).
 * ENTRY_FILTER is LSTAR when some denied syscalls are decided without an
 * exit: slot i denies the numbers set in its bitmap with the errno at
 * ENTRY_ERRNOS + 8 i (stored as -errno); the rest exit as usual. */
#define ENTRY_SYSCALL 0x00 /* its out: the only one the host takes on PORT_SYSCALL_STUB */
#define ENTRY_FILTER  0x40
#define ENTRY_DENY    0x100 /* slot i's return of -errno, ENTRY_DENY_SIZE bytes each */
#define ENTRY_DENY_SIZE 0x40
#define ENTRY_BITMAPS 0x400
#define ENTRY_ERRNOS  0x500
#define FILTER_NR           512 /* syscall numbers a bitmap covers */
#define FILTER_SLOTS        4   /* distinct errnos decided in the guest */
#define FILTER_BITMAP_BYTES (FILTER_NR / 8)

/* The probe page (entry.S, dune_probe_*; platform.h): a CPL3 syscall at PROBE_SYSCALL
 * with LSTAR at PROBE_LSTAR, which exits on the site port; then, only when
 * ring 0 is asked for, CPL0 code at PROBE_RING0 that exits the same way
 * where CPL0 runs general code (xgetbv is one PVM cannot emulate). */
#define PROBE_SYSCALL 0x00
#define PROBE_LSTAR   0x02
#define PROBE_RING0   0x10
#define PROBE_RING0_OUT 0x15 /* its out, after xor %ecx,%ecx and xgetbv */

/* The exitless stub (exitless.S): a code page per vCPU, then its data page,
 * which it reaches rip-relative. The data page holds the request slot that
 * the vCPU's host server thread (forward.c) answers. */
#define FWD_CODE_SIZE     4096
#define FWD_TAKE_OVER     0x100 /* its out: the only one the host takes on PORT_EXITLESS */
#define FWD_SYSRET        0x102 /* what follows it (sysretq, or ud2 where the host resumes) */
#define FWD_DONE_SYSRET   0x180 /* the stub's return after an answer (sysretq or jmp *%rcx) */
#define FWD_STATE    0x00 /* u32: one of FWD_IDLE ... FWD_CLAIMED */
#define FWD_NR       0x08
#define FWD_ARGS     0x10 /* six u64 */
#define FWD_RET      0x40 /* its own cache line: the answer */
#define FWD_ON       0x80 /* u32: this thread forwards without exits */
#define FWD_AWAKE    0x84 /* u32: the server is up (not asleep on its futex) */
#define FWD_SPIN     0x88 /* u32: pause iterations the guest waits before it exits */
#define FWD_FALLBACK 0x90 /* u64: the shared stub that exits (LSTAR's usual target) */
#define FWD_ELIGIBLE 0xc0 /* FILTER_NR bits: numbers a server may run */
/* Slot states; the guest spins while the state is POSTED or above. */
#define FWD_IDLE        0
#define FWD_DONE        1 /* FWD_RET holds the result */
#define FWD_BOUNCED     2 /* the server will not run it: exit with it */
#define FWD_DONE_SIGNAL 3 /* done, and a signal for this thread came with it: exit */
#define FWD_POSTED      4
#define FWD_CLAIMED     5

/* Exception frame the stubs leave on the IST stack: vector, error code, iret frame. */
#define EXC_FRAME_VECTOR 0
#define EXC_FRAME_ERROR  8
#define EXC_FRAME_RIP    16
#define EXC_FRAME_CS     24
#define EXC_FRAME_RFLAGS 32
#define EXC_FRAME_RSP    40
#define EXC_FRAME_SS     48

#define CR0_PE 0x1
#define CR0_MP 0x2
#define CR0_ET 0x10
#define CR0_NE 0x20
#define CR0_WP 0x10000
#define CR0_AM 0x40000
#define CR0_PG 0x80000000
#define CR4_PAE        0x20
#define CR4_OSFXSR     0x200
#define CR4_OSXMMEXCPT 0x400
#define CR4_FSGSBASE   0x10000
#define CR4_OSXSAVE    0x40000
#define EFER_SCE 0x1
#define EFER_LME 0x100
#define EFER_LMA 0x400
#define EFER_NXE 0x800

#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_CSTAR  0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

/* RFLAGS bits sysretq takes from r11 (the rest it clears; bit 1 is always set). */
#define SYSRET_RFLAGS 0x3c7fd7
/* The bits of r11 a CPL3 stub restores without sysretq and without memory
 * (CF PF AF ZF SF with sahf, DF, OF; IF and bit 1 as they must be): with any
 * other bit set, the stub exits and the host sets them. */
#define USER_RETURN_FLAGS 0xed7

/* RFLAGS bits the syscall instruction clears at CPL3 entry, as Linux does. */
#define SFMASK_RING3 0x47700 /* TF, DF, IF, IOPL, NT, AC */

#endif
