/* platform.h: how this host's KVM treats the guest, found out once per process.
 *
 * Hardware KVM (VT-x, SVM) and the /dev/dune module switch to CPL0 on a
 * CPL3 syscall and report an I/O exit at the out instruction. PVM hosts
 * (KVM without hardware virtualization) leave a CPL3 syscall at CPL3, where
 * sysretq faults, report an I/O exit past the out, and emulate CPL0 code,
 * which cannot run general code. The backend fills this description by
 * running a probe (what the host does, not what it is called); everything
 * the runtime decides by platform asks these functions, and nothing else.
 */
#ifndef DUNE_PLATFORM_H
#define DUNE_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime.h"

/* Where a vCPU stopped, as the CPL it is at depends on it. */
enum stop_place {
	STOP_PROGRAM,  /* the program's own code: the program's CPL */
	STOP_ENTRY,    /* the entry page or an exitless stub: where a syscall lands */
	STOP_STUBS,    /* the exception stubs, IRET, ring 0's syscall stub: CPL0 */
};

/* What the probe saw: where its out exit left rip, and the CS it left. */
struct probe_exit {
	uint64_t out;      /* the address of the probe's out instruction */
	uint64_t rip;      /* rip as the exit reported it */
	uint16_t cs;       /* the CS selector at the exit */
	uint64_t rcx;      /* what syscall stored there: the address after it */
};

/* Fill p from the CPL3 syscall probe's exit: 0, or -EPROTO when the exit
 * matches no known behaviour (dune then refuses to run). */
int platform_from_probe(struct platform *p, const struct probe_exit *e);
/* The hardware facts, for backends that only exist on hardware (the module). */
void platform_hardware(struct platform *p);

/* The address of the out instruction of an I/O exit that reported rip. */
uint64_t platform_io_exit_rip(const struct platform *p, uint64_t rip);
/* The CPL of a vCPU stopped at where, for a program at program_cpl. */
int platform_stop_cpl(const struct platform *p, enum stop_place where, int program_cpl);
/* The guest PTE flags of the entry page and of an exitless stub's code
 * and data pages: user-visible only where the stubs run at CPL3. */
uint64_t platform_entry_pte(const struct platform *p);
uint64_t platform_exitless_code_pte(const struct platform *p);
uint64_t platform_exitless_data_pte(const struct platform *p);
/* May CPL3 code do out on port (the TSS I/O bitmap)? */
bool platform_port_open_to_user(const struct platform *p, int port);
/* Can a program run at ring 0 here? */
bool platform_ring0_usable(const struct platform *p);
/* How long the exitless stub waits for an answer before it exits: about
 * one exit's cost, which the probe measured. */
uint64_t platform_exitless_wait_ns(const struct platform *p);

/* A syscall stub's call is done and the registers say what the program
 * gets: the vCPU goes on at the stub's return (its sysretq at sysret_at)
 * where the stub runs at CPL0; where it runs at CPL3, whose return would
 * fault, the host resumes the program itself. */
void platform_leave_stub(const struct platform *p, struct guest_regs *r, uint64_t sysret_at);

/* Registers stopped just before a syscall stub's return (sysretq, or its
 * CPL3 equivalent): move them to where the program resumes, as sysretq
 * would: rip from rcx, rflags from r11 (without the bits no real
 * syscall's r11 has at CPL3: IOPL, NT, VIF, VIP; IF set). */
void platform_return_to_program(struct guest_regs *r);

#endif
