/* platform.c: the decisions that depend on how the host's KVM behaves.
 *
 * Pure functions of struct platform and of register states, so that the unit
 * tests run them on states recorded on every kind of host.
 */
#include "platform.h"

#include <errno.h>

#include "arch.h"
#include "pagetable.h"

#define ENTRY_KERNEL_RX (PTE_P | PTE_A)
#define ENTRY_USER_RX   (PTE_P | PTE_U | PTE_A)
#define DATA_KERNEL_RW  (PTE_P | PTE_W | PTE_A | PTE_D | PTE_NX)
#define DATA_USER_RW    (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX)

#define RFLAGS_IF 0x200ull
#define RFLAGS_PRIVILEGED 0x187000ull /* IOPL, NT, VIF, VIP */

#define WAIT_MIN_NS 20000 /* below this the stub gives up on calls a server would answer */
#define WAIT_MAX_NS 60000

int platform_from_probe(struct platform *p, const struct probe_exit *e)
{
	*p = (struct platform){ .ring0_general = true };
	/* The syscall really ran (rcx is where it returns) and its LSTAR is the out. */
	if (e->rcx != e->out)
		return -EPROTO;
	if (e->rip == e->out)
		p->io_exit_past = false;
	else if (e->rip == e->out + STUB_EXIT_LEN)
		p->io_exit_past = true;
	else
		return -EPROTO;
	/* The probe's out is at LSTAR: the CPL there is where syscall left it. */
	p->syscall_stays_user = (e->cs & 3) == 3;
	if (!p->syscall_stays_user && (e->cs & 3) != 0)
		return -EPROTO;
	p->known = true;
	return 0;
}

void platform_hardware(struct platform *p)
{
	*p = (struct platform){ .known = true, .ring0_general = true, .exit_ns = 2000 };
}

uint64_t platform_io_exit_rip(const struct platform *p, uint64_t rip)
{
	return p->io_exit_past ? rip - STUB_EXIT_LEN : rip;
}

int platform_stop_cpl(const struct platform *p, enum stop_place where, int program_cpl)
{
	switch (where) {
	case STOP_ENTRY:
		return p->syscall_stays_user ? 3 : 0;
	case STOP_STUBS:
		return 0;
	default:
		return program_cpl;
	}
}

uint64_t platform_entry_pte(const struct platform *p)
{
	return p->syscall_stays_user ? ENTRY_USER_RX : ENTRY_KERNEL_RX;
}

uint64_t platform_exitless_code_pte(const struct platform *p)
{
	return platform_entry_pte(p);
}

uint64_t platform_exitless_data_pte(const struct platform *p)
{
	return p->syscall_stays_user ? DATA_USER_RW : DATA_KERNEL_RW;
}

bool platform_port_open_to_user(const struct platform *p, int port)
{
	if (port == PORT_SYSCALL_SITE)
		return true; /* a rewritten site exits from the program's own code */
	return p->syscall_stays_user && (port == PORT_SYSCALL_STUB || port == PORT_EXITLESS);
}

bool platform_ring0_usable(const struct platform *p)
{
	return p->ring0_general;
}

uint64_t platform_exitless_wait_ns(const struct platform *p)
{
	uint64_t ns = p->exit_ns;

	return ns < WAIT_MIN_NS ? WAIT_MIN_NS : ns > WAIT_MAX_NS ? WAIT_MAX_NS : ns;
}

void platform_leave_stub(const struct platform *p, struct guest_regs *r, uint64_t sysret_at)
{
	r->rip = sysret_at;
	if (p->syscall_stays_user)
		platform_return_to_program(r);
}

void platform_return_to_program(struct guest_regs *r)
{
	r->rip = r->rcx;
	/* A real syscall's r11 has IOPL 0, NT, VIF and VIP clear and IF set;
	 * where a program can reach a stub's exit with an r11 of its own
	 * (PVM), it gets no more than that. */
	r->rflags = (r->r11 & SYSRET_RFLAGS & ~RFLAGS_PRIVILEGED) | RFLAGS_IF | 0x2;
}
