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

/* I/O ports whose exits carry the runtime's requests to the host. */
#define PORT_SYSCALL_STUB 0xd1 /* from the LSTAR stub, at CPL0 */
#define PORT_SYSCALL_SITE 0xd2 /* from a rewritten syscall site, at the program's CPL */
#define PORT_EXCEPTION    0xd3 /* from an exception stub, at CPL0 */

/* Layout of the stub blob (stubs.S); the exception stubs are 16 bytes apart. */
#define STUB_SYSCALL_RING3 0x00
#define STUB_SYSCALL_RING0 0x10
#define STUB_IRET          0x20 /* return to the program from any CPL0 state */
#define STUB_EXCEPTIONS    0x40
#define STUB_EXC_SIZE      16
#define STUB_EXC_COMMON    (STUB_EXCEPTIONS + 32 * STUB_EXC_SIZE)
#define STUB_EXC_COMMON_IRET (STUB_EXC_COMMON + 6) /* after its out and addq */
#define STUB_EXIT_LEN      2 /* outb %al, $imm8: every exit instruction */

/* The policy's filter in the guest (CPL3 programs): LSTAR points at
 * STUB_FILTER_RING3 when some denied syscalls are decided without an exit.
 * Slot i denies the numbers set in its bitmap with the errno at
 * STUB_FILTER_ERRNOS + 8 i (stored as -errno); the rest exit as usual. */
#define STUB_FILTER_RING3   0x280
#define STUB_FILTER_BITMAPS 0x400
#define STUB_FILTER_ERRNOS  0x500
#define FILTER_NR           512 /* syscall numbers a bitmap covers */
#define FILTER_SLOTS        4   /* distinct errnos decided in the guest */
#define FILTER_BITMAP_BYTES (FILTER_NR / 8)

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

/* RFLAGS bits the syscall instruction clears at CPL3 entry, as Linux does. */
#define SFMASK_RING3 0x47700 /* TF, DF, IF, IOPL, NT, AC */

#endif
