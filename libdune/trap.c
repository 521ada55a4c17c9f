/* trap.c: the program's trap handlers, and ring 3 ("user mode").
 *
 * The runtime enters trap.S with a struct dune_trap_frame for each trap the
 * program has a handler for, and for each syscall made in user mode;
 * libdune_trap_dispatch picks the handler. The set of vectors with a handler
 * is the runtime's to know, so that the others stay signals.
 */
#include <errno.h>
#include <stdio.h>

#include "local.h"

_Static_assert(LIBDUNE_TRAP_RETURN == 8 && DUNE_SYSCALL_LIBDUNE == 0x44554e4c, "trap.S's numbers");

static dune_pgflt_cb pgflt_handler;
static dune_syscall_cb syscall_handler;
static dune_intr_cb intr_handlers[32];
static uint32_t vectors;

static void route(int vec, bool on)
{
	if (on)
		vectors |= 1u << vec;
	else
		vectors &= ~(1u << vec);
	libdune_request(LIBDUNE_SET_VECTORS, vectors);
}

void dune_register_pgflt_handler(dune_pgflt_cb cb)
{
	pgflt_handler = cb;
	route(14, cb != NULL);
}

int dune_register_intr_handler(int vec, dune_intr_cb cb)
{
	/* 2 (NMI), 8 (double fault) and 18 (machine check) are not the program's. */
	if (vec < 0 || vec >= 32 || vec == 14 || vec == 2 || vec == 8 || vec == 18)
		return -EINVAL;
	intr_handlers[vec] = cb;
	route(vec, cb != NULL);
	return 0;
}

void dune_register_syscall_handler(dune_syscall_cb cb)
{
	syscall_handler = cb;
}

void libdune_trap_dispatch(struct dune_trap_frame *f)
{
	if (f->kind == LIBDUNE_TRAP_SYSCALL) {
		if (syscall_handler)
			syscall_handler(&f->tf);
		else
			f->tf.rax = (uint64_t)-ENOSYS;
	} else if (f->vector == 14 && pgflt_handler) {
		pgflt_handler(f->addr, f->error, &f->tf);
	} else if (f->vector < 32 && intr_handlers[f->vector]) {
		intr_handlers[f->vector](&f->tf);
	}
}

int dune_jump_to_user(struct dune_tf *tf)
{
	/* Returns when a handler calls dune_ret_from_user: the runtime brings
	 * back every register as it was at this call, and rax. */
	return (int)libdune_request(LIBDUNE_JUMP_TO_USER, (uint64_t)(uintptr_t)tf);
}

void dune_ret_from_user(int ret)
{
	libdune_request(LIBDUNE_RET_FROM_USER, (uint64_t)(int64_t)ret);
	__builtin_trap(); /* only outside a user-mode trap */
}

void dune_passthrough_syscall(struct dune_tf *tf)
{
	register uint64_t r10 __asm__("r10") = tf->r10;
	register uint64_t r8 __asm__("r8") = tf->r8;
	register uint64_t r9 __asm__("r9") = tf->r9;
	uint64_t ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(tf->rax), "D"(tf->rdi), "S"(tf->rsi), "d"(tf->rdx), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	tf->rax = ret;
}

void dune_dump_trap_frame(struct dune_tf *tf)
{
	fprintf(stderr, "dune: trap frame: rip %#lx cs %#x rflags %#lx rsp %#lx ss %#x err %#x\n",
		(unsigned long)tf->rip, tf->cs, (unsigned long)tf->rflags, (unsigned long)tf->rsp,
		tf->ss, tf->err);
	fprintf(stderr, "dune:   rax %#lx rbx %#lx rcx %#lx rdx %#lx rsi %#lx rdi %#lx\n",
		(unsigned long)tf->rax, (unsigned long)tf->rbx, (unsigned long)tf->rcx,
		(unsigned long)tf->rdx, (unsigned long)tf->rsi, (unsigned long)tf->rdi);
	fprintf(stderr, "dune:   rbp %#lx r8 %#lx r9 %#lx r10 %#lx r11 %#lx r12 %#lx\n",
		(unsigned long)tf->rbp, (unsigned long)tf->r8, (unsigned long)tf->r9,
		(unsigned long)tf->r10, (unsigned long)tf->r11, (unsigned long)tf->r12);
	fprintf(stderr, "dune:   r13 %#lx r14 %#lx r15 %#lx\n", (unsigned long)tf->r13,
		(unsigned long)tf->r14, (unsigned long)tf->r15);
}
