/* context.c: the program's own registers, wherever its vCPU stopped.
 *
 * A vCPU stops in the program (a rewritten site, an interrupt), in a
 * syscall stub (the entry page, an exitless stub) or in the exception stubs.
 * In a syscall stub the program's rip and rflags are in rcx and r11, as the
 * syscall instruction left them; after an exception stub's exit they are in
 * the iret frame on the IST stack. The CPL the vCPU is at comes from where it
 * stopped (platform.h): a syscall stub runs at CPL0 on hardware and at CPL3
 * on PVM. Signal delivery, sigreturn, hooks and libdune read and write one
 * view of the program's registers, defined here.
 */
#include <errno.h>

#include "arch.h"
#include "forward.h"
#include "guest.h"
#include "platform.h"

/* The rflags bits a program may set for itself (the kernel's FIX_EFLAGS):
 * CF PF AF ZF SF TF DF OF AC RF. IF stays on and IOPL at 0. */
#define RFLAGS_USER 0x50dd5ull
#define RFLAGS_IF   0x200ull
#define RFLAGS_FIXED 0x2ull

static uint64_t stub_offset(const struct guest *g, const struct guest_regs *r)
{
	return r->rip - (uint64_t)g->stubs;
}

/* Stopped just before a sysretq: the program resumes at rcx with r11's flags. */
static int at_sysret(struct guest_regs *out)
{
	platform_return_to_program(out);
	return 0;
}

static enum stop_place place_of(const struct guest *g, const struct vcpu *v, uint64_t rip)
{
	if (rip - (uint64_t)g->entry < PAGE_SIZE || forward_in_stub(v, rip))
		return STOP_ENTRY;
	if (rip - (uint64_t)g->stubs < PAGE_SIZE)
		return STOP_STUBS;
	return STOP_PROGRAM;
}

/* Stopped anywhere in the entry page (an interrupt can stop it between any
 * two instructions): in a deny tail, the call was denied with that slot's
 * errno; at the sysretq after the exit, the host ran it; anywhere else rax
 * still holds the number, and the program goes back to its syscall
 * instruction, to make it again after whatever comes first. */
static int in_entry(const struct guest *g, const struct guest_regs *r, struct guest_regs *out)
{
	uint64_t at = r->rip - (uint64_t)g->entry;

	if (at == ENTRY_SYSCALL + STUB_EXIT_LEN)
		return at_sysret(out);
	if (at >= ENTRY_DENY && at < ENTRY_DENY + FILTER_SLOTS * ENTRY_DENY_SIZE) {
		const int64_t *errnos = (const int64_t *)(g->entry + ENTRY_ERRNOS);

		out->rax = (uint64_t)errnos[(at - ENTRY_DENY) / ENTRY_DENY_SIZE];
		return at_sysret(out);
	}
	at_sysret(out);
	out->rip -= 2; /* the syscall instruction */
	return 0;
}

int program_regs_get(struct guest *g, struct vcpu *v, struct guest_regs *out)
{
	const struct guest_regs *r = v->regs;
	const uint64_t *iret;

	*out = *r;
	if (r->rip - (uint64_t)g->entry < PAGE_SIZE)
		return in_entry(g, r, out);
	if (forward_in_stub(v, r->rip)) {
		uint64_t at = r->rip - (uint64_t)v->fwd.code;

		if (at != FWD_SYSRET && at != FWD_DONE_SYSRET)
			return -EAGAIN; /* forward_take_over first */
		return at_sysret(out);
	}
	switch (stub_offset(g, r)) {
	case STUB_SYSCALL_RING0 + STUB_EXIT_LEN: /* jmp *%rcx is next */
		out->rip = r->rcx;
		return 0;
	case STUB_EXC_COMMON + STUB_EXIT_LEN: /* addq $16, %rsp; iretq */
		iret = (const uint64_t *)(uintptr_t)(r->rsp + 16);
		break;
	case STUB_EXC_COMMON_IRET:
	case STUB_IRET:
		iret = (const uint64_t *)(uintptr_t)r->rsp;
		break;
	default:
		if (stub_offset(g, r) < PAGE_SIZE)
			return -EAGAIN; /* a few instructions from its exit: later */
		return 0;
	}
	out->rip = iret[0];
	out->rflags = iret[2];
	out->rsp = iret[3];
	return 0;
}

void program_regs_set(struct guest *g, struct vcpu *v, const struct guest_regs *in)
{
	struct guest_regs *r = v->regs;
	uint64_t rflags = (in->rflags & RFLAGS_USER) | RFLAGS_IF | RFLAGS_FIXED;
	uint64_t *iret;

	if (g->cfg.ring == 0)
		rflags = in->rflags | RFLAGS_FIXED;
	if (platform_stop_cpl(&g->platform, place_of(g, v, r->rip), g->cfg.ring) == g->cfg.ring) {
		*r = *in; /* the vCPU is at the program's own CPL */
		r->rflags = rflags;
		v->regs_dirty = true;
		return;
	}
	/* At CPL0 in a stub: iretq from a frame at the top of the IST stack. */
	iret = (uint64_t *)(v->area->ist_stack + sizeof(v->area->ist_stack)) - 6;
	iret[0] = in->rip;
	iret[1] = g->cfg.ring == 3 ? SEL_USER_CS : SEL_KERNEL_CS;
	iret[2] = rflags;
	iret[3] = in->rsp;
	iret[4] = g->cfg.ring == 3 ? SEL_USER_DS : SEL_KERNEL_DS;
	*r = *in;
	r->rip = (uint64_t)g->stubs + STUB_IRET;
	r->rsp = (uint64_t)iret;
	r->rflags = RFLAGS_FIXED;
	v->regs_dirty = true;
}
