/* libdune.c: the runtime's side of libdune (include/dune/dune.h, libdune/abi.h).
 *
 * "Virtual ring 0": a libdune program keeps running at the CPL the process
 * runs at (CPL3 by default), so ordinary code, libc's AVX-512 included, runs
 * at full speed on every host, and what needs the privilege is done here:
 *  - the guest page tables become the program's to read and write: the pages
 *    they live in are mapped into the guest, read-write, on first touch;
 *  - TLB flushes and root switches are the backend's (load_cr3);
 *  - traps the program registered handlers for, and every syscall made in
 *    user mode, are handed to libdune's trap entry in the guest, on the
 *    kernel's stack, with a struct dune_trap_frame;
 *  - user mode (dune_jump_to_user) runs on a second page table that holds
 *    only the pages whose entries have PTE_U (dune.h) and the runtime's own
 *    supervisor pages; it is filled from the program's table on user-mode
 *    page faults, and dropped whenever the program flushes its TLB or the
 *    mirror of the host's mappings changes;
 *  - the few privileged instructions a kernel written for the original uses
 *    (mov to and from CR0/2/3/4, invlpg, cli, sti) fault at CPL3 and are
 *    emulated here.
 */
#include <Zydis/Zydis.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "abi.h"
#include "arch.h"
#include "backend.h"
#include "forward.h"
#include "guest.h"
#include "memory.h"
#include "platform.h"
#include "rawsys.h"
#include "signals.h"

#define RED_ZONE 128
#define PTE_SOFT_USER 0x800ull /* dune.h's PTE_U */
#define POOL_FLAGS (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX)
#define RFLAGS_ENTRY_CLEAR 0x40500ull /* TF DF AC: what a function starts without */

struct libdune_vcpu {
	bool session;              /* a dune_jump_to_user has not returned yet */
	bool user;                 /* the vCPU runs user-mode code now */
	struct guest_regs kernel;  /* where dune_jump_to_user returns */
	uint64_t mask;             /* the signal mask user mode suspended */
	uint8_t fpu[4096] __attribute__((aligned(64))); /* the kernel's, at dune_jump_to_user */
};

static struct {
	bool on;
	uint64_t trap_entry;
	uint32_t vectors;          /* routed to libdune's handlers: bit per vector */
	uint64_t pool_start, pool_end;
	struct page_table user;    /* user mode's table, when user_valid */
	bool user_valid;
	size_t user_reserved;      /* g->reserved.n when user was made */
	uint64_t user_gen;         /* g->mirror_gen then */
} ld;

/* User mode's table: the runtime's supervisor pages (stubs, IDT, each
 * vCPU's GDT, TSS and IST stack), so traps work; the rest comes on demand.
 * Runtime pages CPL3 may reach (the entry page and exitless stubs where a
 * syscall stays at CPL3) stay out: user mode's syscalls then fault at
 * LSTAR, and page tables alone keep it from every runtime page. */
static int user_table(struct guest *g)
{
	int r;

	if (ld.user_valid && ld.user_reserved == g->reserved.n && ld.user_gen == g->mirror_gen)
		return 0;
	ld.user = (struct page_table){ .to_phys = g->pt.to_phys, .to_virt = g->pt.to_virt };
	/* The old table's pages are leaked: on a shadow-paging host a table
	 * page written from the host side could keep stale shadows. */
	if ((r = pt_init(&ld.user, g->pt.alloc_page, g->pt.ctx)))
		return r;
	for (size_t i = 0; i < g->reserved.n; i++) {
		const struct vma *res = &g->reserved.v[i];

		if ((res->value & PTE_P) && !(res->value & PTE_U) &&
		    (r = pt_set(&ld.user, res->start, res->end, res->value)))
			return r;
	}
	ld.user_valid = true;
	ld.user_reserved = g->reserved.n;
	ld.user_gen = g->mirror_gen;
	return 0;
}

static int switch_root(struct guest *g, struct vcpu *v, bool user)
{
	int r = 0;

	dune_lock(&g->lock);
	if (user)
		r = user_table(g);
	dune_unlock(&g->lock);
	return r ? r : g->backend->load_cr3(v, mem_root(g, user ? &ld.user : &g->pt));
}

static int flush_tlb(struct guest *g, struct vcpu *v)
{
	struct libdune_vcpu *lv = v->libdune;

	dune_lock(&g->lock);
	ld.user_valid = false; /* remade from the program's table on next use */
	dune_unlock(&g->lock);
	return switch_root(g, v, lv && lv->user);
}

/* A page fault in user mode: copy the program's entry into user mode's
 * table if it lets user mode make this access. 1: retry the access. */
static int user_fault_fill(struct guest *g, struct vcpu *v, uint64_t addr, uint64_t error)
{
	uint64_t *leaf, *have, e, *root = ld.user.pml4;
	int level, have_level, ok = 0;

	dune_lock(&g->lock);
	leaf = pt_lookup(&g->pt, addr, &level);
	if (!leaf || user_table(g))
		goto out;
	e = *leaf;
	if (!(e & PTE_SOFT_USER) || ((error & 0x2) && !(e & PTE_W)) ||
	    ((error & 0x10) && (e & PTE_NX)))
		goto out;
	have = pt_lookup(&ld.user, addr, &have_level);
	if (have && *have == (e | PTE_U))
		goto out; /* it is there already: a real fault */
	ok = pt_install(&ld.user, level == 2 ? addr & ~(LARGE_SIZE - 1) : addr & ~(PAGE_SIZE - 1),
			e | PTE_U, level) == 0;
out:
	dune_unlock(&g->lock);
	/* A table remade since the vCPU loaded it: load the new one. */
	if (ok && ld.user.pml4 != root && g->backend->load_cr3(v, mem_root(g, &ld.user)))
		return 0;
	return ok;
}

/* The first touch of a page-table page by the program: map its 2 MiB of
 * the pool into the guest for it. 1: retry the access. */
static int pool_fault(struct guest *g, uint64_t addr)
{
	uint64_t s = addr & ~(LARGE_SIZE - 1), e = s + LARGE_SIZE;
	int r;

	if (addr < ld.pool_start || addr >= ld.pool_end)
		return 0;
	s = s < ld.pool_start ? ld.pool_start : s;
	e = e > ld.pool_end ? ld.pool_end : e;
	dune_lock(&g->lock);
	r = vma_set(&g->reserved, s, e, POOL_FLAGS) ? -ENOMEM : pt_set(&g->pt, s, e, POOL_FLAGS);
	dune_unlock(&g->lock);
	return r == 0;
}

static void regs_to_tf(const struct guest_regs *r, struct dune_tf *tf, bool user)
{
	tf->rdi = r->rdi, tf->rsi = r->rsi, tf->rdx = r->rdx, tf->rcx = r->rcx;
	tf->r8 = r->r8, tf->r9 = r->r9, tf->r10 = r->r10, tf->r11 = r->r11;
	tf->rbx = r->rbx, tf->rbp = r->rbp, tf->r12 = r->r12, tf->r13 = r->r13;
	tf->r14 = r->r14, tf->r15 = r->r15, tf->rax = r->rax;
	tf->rip = r->rip, tf->rflags = r->rflags, tf->rsp = r->rsp;
	tf->cs = user ? LIBDUNE_CS_USER : LIBDUNE_CS_KERNEL;
	tf->ss = user ? LIBDUNE_SS_USER : LIBDUNE_SS_KERNEL;
}

static void tf_to_regs(const struct dune_tf *tf, struct guest_regs *r)
{
	r->rdi = tf->rdi, r->rsi = tf->rsi, r->rdx = tf->rdx, r->rcx = tf->rcx;
	r->r8 = tf->r8, r->r9 = tf->r9, r->r10 = tf->r10, r->r11 = tf->r11;
	r->rbx = tf->rbx, r->rbp = tf->rbp, r->r12 = tf->r12, r->r13 = tf->r13;
	r->r14 = tf->r14, r->r15 = tf->r15, r->rax = tf->rax;
	r->rip = tf->rip, r->rflags = tf->rflags, r->rsp = tf->rsp;
}

/* Resume the program in libdune's trap entry with a frame describing the
 * trap; from user mode, on the kernel's stack and with the kernel's table. */
static void deliver(struct guest *g, struct vcpu *v, const struct guest_regs *at, uint64_t kind,
		    uint64_t vector, uint64_t error, uint64_t addr)
{
	struct libdune_vcpu *lv = v->libdune;
	bool user = lv->user;
	struct dune_trap_frame f = { .kind = kind, .vector = vector, .error = error, .addr = addr,
				     .user = user };
	struct guest_regs k = user ? lv->kernel : *at;
	uint64_t frame = ((user ? lv->kernel.rsp : at->rsp) - RED_ZONE - sizeof(f)) & ~63ull;

	regs_to_tf(at, &f.tf, user);
	f.tf.err = (uint32_t)error;
	if (!mem_user_access(g, frame, sizeof(f), PROT_READ | PROT_WRITE))
		die_by_signal(g, SIGSEGV);
	memcpy((void *)frame, &f, sizeof(f));
	if (user) {
		lv->user = false;
		if (switch_root(g, v, false))
			vcpu_die(g, v, "libdune: cannot switch back to the kernel's page table");
	}
	k.rip = ld.trap_entry;
	k.rdi = frame;
	k.rsp = frame;
	k.rflags &= ~RFLAGS_ENTRY_CLEAR;
	program_regs_set(g, v, &k);
}

/* Give user mode's end to the kernel: dune_jump_to_user returns ret. */
static void end_session(struct guest *g, struct vcpu *v, long ret)
{
	struct libdune_vcpu *lv = v->libdune;
	struct guest_regs k = lv->kernel;

	if (lv->user && switch_root(g, v, false))
		vcpu_die(g, v, "libdune: cannot switch back to the kernel's page table");
	lv->user = false;
	lv->session = false;
	signal_set_mask(lv->mask);
	if (g->backend->load_fpu(v, lv->fpu))
		vcpu_die(g, v, "libdune: cannot restore the kernel's FPU state");
	k.rax = (uint64_t)ret;
	program_regs_set(g, v, &k);
}

static long jump_to_user(struct guest *g, struct vcpu *v, uint64_t tf_addr)
{
	struct libdune_vcpu *lv = v->libdune;
	struct guest_regs regs;
	struct dune_tf tf;
	int r;

	if (lv->session)
		return -EBUSY;
	if (g->cfg.ring == 0) /* user mode would run at CPL0 too: no isolation */
		return -ENOTSUP;
	if (!mem_user_access(g, tf_addr, sizeof(tf), PROT_READ))
		return -EFAULT;
	memcpy(&tf, (const void *)tf_addr, sizeof(tf));
	if (program_regs_get(g, v, &lv->kernel))
		return -EAGAIN;
	if ((r = g->backend->save_fpu(v, lv->fpu)))
		return r;
	if ((r = switch_root(g, v, true)))
		return r;
	lv->session = true;
	lv->user = true;
	lv->mask = signal_block_all();
	regs = lv->kernel;
	tf_to_regs(&tf, &regs);
	program_regs_set(g, v, &regs);
	return 0;
}

static void trap_return(struct guest *g, struct vcpu *v, uint64_t frame)
{
	struct libdune_vcpu *lv = v->libdune;
	struct dune_trap_frame f;
	struct guest_regs regs;

	if (!mem_user_access(g, frame, sizeof(f), PROT_READ))
		die_by_signal(g, SIGSEGV);
	memcpy(&f, (const void *)frame, sizeof(f));
	if (program_regs_get(g, v, &regs))
		vcpu_die(g, v, "libdune: a trap return from inside dune's stubs");
	tf_to_regs(&f.tf, &regs);
	if ((f.tf.cs & 3) == 3) {
		if (!lv->session) /* no user mode to go back to */
			die_by_signal(g, SIGSEGV);
		if (switch_root(g, v, true))
			vcpu_die(g, v, "libdune: cannot switch to user mode's page table");
		lv->user = true;
	}
	program_regs_set(g, v, &regs);
}

static long init(struct guest *g, uint64_t arg)
{
	struct libdune_init in;

	if (!mem_user_access(g, arg, sizeof(in), PROT_READ | PROT_WRITE))
		return -EFAULT;
	memcpy(&in, (const void *)arg, sizeof(in));
	if (in.version != LIBDUNE_ABI_VERSION)
		return -EPROTO;
	mem_pool_range(&ld.pool_start, &ld.pool_end);
	ld.trap_entry = in.trap_entry;
	ld.on = true;
	in.identity = g->pt.to_phys == NULL;
	in.root = (uint64_t)g->pt.pml4;
	in.cpl = (uint32_t)g->cfg.ring;
	memcpy((void *)arg, &in, sizeof(in));
	return 0;
}

static long enter(struct guest *g, struct vcpu *v)
{
	(void)g;
	if (!ld.on)
		return -EINVAL;
	if (!v->libdune) {
		v->libdune = raw_mmap(sizeof(struct libdune_vcpu), PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1);
		if (!v->libdune)
			return -ENOMEM;
	}
	return 0;
}

static long request(struct guest *g, struct vcpu *v, long op, uint64_t a1)
{
	uint64_t p;

	if (op != LIBDUNE_INIT && !ld.on)
		return -EINVAL;
	switch (op) {
	case LIBDUNE_INIT:
		/* User mode's calls must reach the program's handler: no server
		 * may run them behind its back. */
		forward_disable(g);
		return init(g, a1);
	case LIBDUNE_ENTER:
		return enter(g, v);
	case LIBDUNE_ALLOC_TABLE:
		dune_lock(&g->lock);
		p = (uint64_t)g->pt.alloc_page(g->pt.ctx);
		dune_unlock(&g->lock);
		return p ? (long)p : -ENOMEM;
	case LIBDUNE_FLUSH_TLB:
		return v->libdune ? flush_tlb(g, v) : g->backend->load_cr3(v, mem_root(g, &g->pt));
	case LIBDUNE_VA_TO_PA:
		return g->pt.to_phys ? (long)g->pt.to_phys(a1) : (long)a1;
	case LIBDUNE_PA_TO_VA:
		return g->pt.to_virt ? (long)g->pt.to_virt(a1) : (long)a1;
	case LIBDUNE_SET_VECTORS:
		ld.vectors = (uint32_t)a1;
		return 0;
	default:
		return -EINVAL;
	}
}

bool libdune_syscall(struct guest *g, struct vcpu *v)
{
	struct libdune_vcpu *lv = v->libdune;
	struct guest_regs *r = v->regs;
	struct guest_regs at;
	long op = (long)r->rdi;

	if (lv && lv->user) { /* every syscall of user mode is the kernel's to judge */
		if (program_regs_get(g, v, &at))
			vcpu_die(g, v, "libdune: a user-mode syscall from inside dune's stubs");
		deliver(g, v, &at, LIBDUNE_TRAP_SYSCALL, 0, 0, 0);
		return true;
	}
	if ((long)r->rax != DUNE_SYSCALL_LIBDUNE)
		return false;
	if (lv && op == LIBDUNE_JUMP_TO_USER) {
		long ret = jump_to_user(g, v, r->rsi);

		if (ret) {
			r->rax = (uint64_t)ret;
			v->regs_dirty = true;
		}
		return true;
	}
	if (lv && op == LIBDUNE_TRAP_RETURN) {
		trap_return(g, v, r->rsi);
		return true;
	}
	if (lv && op == LIBDUNE_RET_FROM_USER) {
		if (!lv->session) {
			r->rax = (uint64_t)-EINVAL;
			v->regs_dirty = true;
			return true;
		}
		end_session(g, v, (long)(int)r->rsi);
		return true;
	}
	r->rax = (uint64_t)request(g, v, op, r->rsi);
	v->regs_dirty = true;
	return true;
}

/* The general register an operand names, in regs (rsp: the frame's). */
static uint64_t *gpr(struct guest_regs *r, uint64_t *frame, ZydisRegister reg)
{
	uint64_t *order[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &frame[EXC_FRAME_RSP / 8],
				&r->rbp, &r->rsi, &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11,
				&r->r12, &r->r13, &r->r14, &r->r15 };
	ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);

	if (full < ZYDIS_REGISTER_RAX || full > ZYDIS_REGISTER_R15)
		return NULL;
	return order[full - ZYDIS_REGISTER_RAX];
}

/* A #GP at the program's CPL from an instruction a kernel may use: do it. 1: done. */
static int emulate_privileged(struct guest *g, struct vcpu *v, uint64_t *frame)
{
	static ZydisDecoder decoder;
	static int ready;
	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	uint8_t bytes[15];
	uint64_t rip = frame[EXC_FRAME_RIP / 8], *reg;
	long n = guest_read(bytes, rip, sizeof(bytes));

	if (!ready) {
		ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
		ready = 1;
	}
	if (n <= 0 || ZYAN_FAILED(ZydisDecoderDecodeFull(&decoder, bytes, (ZyanUSize)n, &insn, ops)))
		return 0;
	switch (insn.mnemonic) {
	case ZYDIS_MNEMONIC_INVLPG:
		if (flush_tlb(g, v))
			return 0;
		break;
	case ZYDIS_MNEMONIC_CLI:
	case ZYDIS_MNEMONIC_STI:
		break; /* no interrupts reach the program: nothing to mask */
	case ZYDIS_MNEMONIC_MOV:
		if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER)
			return 0;
		if (ops[0].reg.value == ZYDIS_REGISTER_CR3) { /* a write: the program's root only */
			if (!(reg = gpr(v->regs, frame, ops[1].reg.value)) ||
			    (*reg & PTE_ADDR) != mem_root(g, &g->pt) || flush_tlb(g, v))
				return 0;
			break;
		}
		reg = gpr(v->regs, frame, ops[0].reg.value);
		if (!reg)
			return 0;
		switch (ops[1].reg.value) {
		case ZYDIS_REGISTER_CR0:
			*reg = g->setup->cr0;
			break;
		case ZYDIS_REGISTER_CR2:
			*reg = g->backend->fault_address(v);
			break;
		case ZYDIS_REGISTER_CR3:
			*reg = mem_root(g, &g->pt);
			break;
		case ZYDIS_REGISTER_CR4:
			*reg = g->setup->cr4;
			break;
		default:
			return 0;
		}
		break;
	default:
		return 0;
	}
	frame[EXC_FRAME_RIP / 8] = rip + insn.length;
	v->regs_dirty = true;
	return 1;
}

/* A fetch fault at the vCPU's own LSTAR, from CPL3: a syscall that found no
 * entry page (user mode's table leaves the user-visible stubs out). */
static bool syscall_fetch_fault(const struct guest *g, const struct vcpu *v, const uint64_t *frame,
				uint64_t addr, uint64_t error)
{
	uint64_t rip = frame[EXC_FRAME_RIP / 8];

	if (!(error & 0x10) || addr != rip || (frame[EXC_FRAME_CS / 8] & 3) != 3)
		return false;
	return rip == (uint64_t)g->entry + ENTRY_SYSCALL || rip == (uint64_t)g->entry + ENTRY_FILTER ||
	       (v->fwd.code && rip == (uint64_t)v->fwd.code);
}

bool libdune_exception(struct guest *g, struct vcpu *v, int vec, uint64_t error)
{
	struct libdune_vcpu *lv = v->libdune;
	uint64_t *frame = (uint64_t *)(uintptr_t)v->regs->rsp;
	uint64_t addr = 0;
	struct guest_regs at;
	int fixed;

	if (!ld.on)
		return false;
	if (vec == 14) {
		addr = g->backend->fault_address(v);
		if (pool_fault(g, addr))
			return true;
	}
	if (!lv)
		return false;
	if (lv->user) {
		if (vec == 14 && syscall_fetch_fault(g, v, frame, addr, error)) {
			/* User mode made a syscall where it stays at CPL3: its
			 * table has no entry page, so LSTAR faulted. rcx and r11
			 * hold what syscall stored, as after any syscall. */
			if (program_regs_get(g, v, &at))
				vcpu_die(g, v, "libdune: a trap inside dune's stubs");
			platform_return_to_program(&at);
			deliver(g, v, &at, LIBDUNE_TRAP_SYSCALL, 0, 0, 0);
			return true;
		}
		if (vec == 14 && user_fault_fill(g, v, addr, error))
			return true;
		if (!(ld.vectors & (1u << vec))) {
			/* No handler: user mode ends, dune_jump_to_user returns -EFAULT. */
			end_session(g, v, -EFAULT);
			return true;
		}
		error |= vec == 14 ? 0x4 : 0;
	} else {
		if (vec == 13 && emulate_privileged(g, v, frame))
			return true;
		if (!(ld.vectors & (1u << vec)))
			return false;
		if (vec == 14) {
			dune_lock(&g->lock);
			fixed = mem_fault(g, addr, error);
			dune_unlock(&g->lock);
			if (fixed) {
				v->stats.faults_fixed++;
				return true;
			}
			v->stats.faults_program++;
			error &= ~0x4ull; /* the kernel's own code: not a user-mode access */
		}
	}
	if (program_regs_get(g, v, &at))
		vcpu_die(g, v, "libdune: a trap inside dune's stubs");
	deliver(g, v, &at, LIBDUNE_TRAP_EXCEPTION, (uint64_t)vec, error, addr);
	return true;
}
