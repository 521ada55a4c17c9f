/* platform_test.c: the decisions that depend on how the host's KVM behaves,
 * on register states recorded on each kind of host, and the stubs that run at
 * CPL3 on PVM, run here natively (at CPL3 too) to check the state they leave.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "arch.h"
#include "pagetable.h"
#include "platform.h"

/* The probe's exits as recorded: the emulated SVM machine (hardware KVM)
 * and a PVM host (kvm_pvm, December 2026). The probe page was at 0x7f...000. */
static const struct probe_exit hardware_exit = {
	.out = 0x7f3c5a1d4002, .rip = 0x7f3c5a1d4002, .cs = SEL_KERNEL_CS, .rcx = 0x7f3c5a1d4002,
};
static const struct probe_exit pvm_exit = {
	.out = 0x7fa46d405002, .rip = 0x7fa46d405004, .cs = SEL_USER_CS, .rcx = 0x7fa46d405002,
};

Test(platform, probe_on_hardware_sees_cpl0_and_rip_at_the_out)
{
	struct platform p;

	cr_assert_eq(platform_from_probe(&p, &hardware_exit), 0);
	cr_expect(p.known && !p.syscall_stays_user && !p.io_exit_past);
	cr_expect_eq(platform_io_exit_rip(&p, 0x1000), 0x1000);
	cr_expect_eq(platform_entry_pte(&p) & PTE_U, 0, "the entry page is supervisor-only");
	cr_expect_eq(platform_exitless_data_pte(&p) & PTE_U, 0);
	cr_expect(platform_ring0_usable(&p));
}

Test(platform, probe_on_pvm_sees_cpl3_and_rip_past_the_out)
{
	struct platform p;

	cr_assert_eq(platform_from_probe(&p, &pvm_exit), 0);
	cr_expect(p.known && p.syscall_stays_user && p.io_exit_past);
	/* rip 0x...2004 reported: the out is at 0x...2002, as hardware says. */
	cr_expect_eq(platform_io_exit_rip(&p, pvm_exit.rip), pvm_exit.out);
	cr_expect_neq(platform_entry_pte(&p) & PTE_U, 0, "the entry page is user-executable");
	cr_expect_eq(platform_entry_pte(&p) & (PTE_W | PTE_NX), 0);
	cr_expect_eq(platform_exitless_data_pte(&p) & (PTE_U | PTE_W | PTE_NX),
		     PTE_U | PTE_W | PTE_NX);
}

Test(platform, probe_refuses_what_no_known_host_does)
{
	struct platform p;
	struct probe_exit e = pvm_exit;

	e.rip = e.out + 5;
	cr_expect_eq(platform_from_probe(&p, &e), -EPROTO, "rip neither at nor after the out");
	e = hardware_exit;
	e.cs = SEL_KERNEL_CS | 1; /* CPL1 */
	cr_expect_eq(platform_from_probe(&p, &e), -EPROTO);
	cr_expect(!p.known);
	e = pvm_exit;
	e.rcx = 0; /* a syscall that did nothing fell through into the out */
	cr_expect_eq(platform_from_probe(&p, &e), -EPROTO);
}

Test(platform, stop_cpl_comes_from_where_the_vcpu_stopped)
{
	struct platform hw, pvm;

	platform_from_probe(&hw, &hardware_exit);
	platform_from_probe(&pvm, &pvm_exit);
	cr_expect_eq(platform_stop_cpl(&hw, STOP_ENTRY, 3), 0);
	cr_expect_eq(platform_stop_cpl(&pvm, STOP_ENTRY, 3), 3, "a stub page is not CPL0 on PVM");
	cr_expect_eq(platform_stop_cpl(&hw, STOP_STUBS, 3), 0);
	cr_expect_eq(platform_stop_cpl(&pvm, STOP_STUBS, 3), 0, "exception stubs run at CPL0");
	cr_expect_eq(platform_stop_cpl(&pvm, STOP_PROGRAM, 3), 3);
	cr_expect_eq(platform_stop_cpl(&hw, STOP_PROGRAM, 0), 0);
}

Test(platform, only_the_site_port_is_open_to_cpl3_on_hardware)
{
	struct platform hw, pvm;

	platform_from_probe(&hw, &hardware_exit);
	platform_from_probe(&pvm, &pvm_exit);
	for (int port = 0; port < 256; port++) {
		bool stub = port == PORT_SYSCALL_STUB || port == PORT_EXITLESS;

		cr_expect_eq(platform_port_open_to_user(&hw, port), port == PORT_SYSCALL_SITE,
			     "port %#x", port);
		cr_expect_eq(platform_port_open_to_user(&pvm, port),
			     port == PORT_SYSCALL_SITE || stub, "port %#x", port);
	}
	cr_expect(!platform_port_open_to_user(&pvm, PORT_EXCEPTION), "CPL0's port stays closed");
}

Test(platform, exitless_wait_is_about_one_exit)
{
	struct platform p = { .exit_ns = 31000 };

	cr_expect_eq(platform_exitless_wait_ns(&p), 31000);
	p.exit_ns = 1500; /* hardware: the stub still waits long enough for a server */
	cr_expect_eq(platform_exitless_wait_ns(&p), 20000);
	p.exit_ns = 900000; /* a probe slowed down by a busy host */
	cr_expect_eq(platform_exitless_wait_ns(&p), 60000);
}

/* Recorded at a PVM entry exit: the program called getpid at 0x7f...b6d9 with
 * CF, ZF, DF, IF and AC set. */
Test(platform, return_to_program_is_what_sysretq_loads)
{
	struct guest_regs r = { .rcx = 0x7f4a2c91b6d9, .r11 = 0x40647, .rip = 0x7f4a2c400002,
				.rflags = 0x2, .rax = 39 };

	platform_return_to_program(&r);
	cr_expect_eq(r.rip, 0x7f4a2c91b6d9);
	cr_expect_eq(r.rflags, 0x40647);
	r.r11 = ~0ull;
	platform_return_to_program(&r);
	cr_expect_eq(r.rflags, (SYSRET_RFLAGS & ~0x187000ull) | 0x202,
		     "sysretq's bits of r11, without IOPL, NT, VIF, VIP: %#lx", r.rflags);
	r.r11 = 0x3002; /* an r11 of the program's making: IOPL 3, IF clear */
	platform_return_to_program(&r);
	cr_expect_eq(r.rflags, 0x202);
	cr_expect_eq(r.rax, 39);
}

/* ---- The CPL3 stubs, run natively ---- */

extern const char dune_entry_user_start[], dune_entry_user_end[];
extern const char dune_exitless_user_start[], dune_exitless_user_end[];

static uint8_t *entry_page(void)
{
	uint8_t *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert(p != MAP_FAILED);
	memcpy(p, dune_entry_user_start, dune_entry_user_end - dune_entry_user_start);
	/* getpid (39) denied with -EACCES in slot 1, as enforce.c fills it. */
	p[ENTRY_BITMAPS + 1 * FILTER_BITMAP_BYTES + 39 / 8] |= 1u << (39 % 8);
	((int64_t *)(p + ENTRY_ERRNOS))[1] = -EACCES;
	cr_assert(mprotect(p, PAGE_SIZE, PROT_READ | PROT_EXEC) == 0);
	return p;
}

struct stub_result {
	uint64_t rax, rflags, rsp;
};

/* Enter the stub at entry as the syscall instruction would (rcx: where to
 * return, r11: the flags), and see what it returns with. */
static struct stub_result call_stub(uint64_t entry, uint64_t nr, uint64_t flags)
{
	register uint64_t r11 __asm__("r11") = flags;
	struct stub_result out;
	uint64_t rax = nr, rsp_before, rsp_after;

	__asm__ volatile("movq %%rsp, %[before]\n\t"
			 "leaq 1f(%%rip), %%rcx\n\t"
			 "jmp *%[entry]\n"
			 "1:\n\t"
			 "movq %%rsp, %[after]\n\t"
			 "pushfq\n\t"
			 "popq %[fl]\n\t"
			 "cld\n\t"
			 : "+a"(rax), "+r"(r11), [fl] "=&r"(out.rflags), [before] "=&r"(rsp_before),
			   [after] "=&r"(rsp_after)
			 : [entry] "r"(entry)
			 : "rcx", "cc", "memory");
	out.rax = rax;
	out.rsp = rsp_after - rsp_before;
	return out;
}

Test(platform, cpl3_filter_returns_flags_exactly_as_sysretq_would)
{
	uint64_t entry = (uint64_t)entry_page() + ENTRY_FILTER;
	/* Every combination of CF PF AF ZF SF DF OF, with IF set as at CPL3. */
	static const uint64_t bits[] = { 0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800 };

	for (int m = 0; m < 128; m++) {
		uint64_t flags = 0x202;
		struct stub_result r;

		for (int b = 0; b < 7; b++)
			if (m & (1 << b))
				flags |= bits[b];
		r = call_stub(entry, 39, flags);
		cr_expect_eq(r.rax, (uint64_t)-EACCES, "flags %#lx: rax %#lx", flags, r.rax);
		cr_expect_eq(r.rflags, (flags & SYSRET_RFLAGS) | 0x2, "r11 %#lx: rflags %#lx after",
			     flags, r.rflags);
		cr_expect_eq(r.rsp, 0, "the stub moved rsp");
	}
}

static sigjmp_buf fault_jmp;
static volatile uint64_t fault_rip, fault_rax;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig, (void)si;
	fault_rip = uc->uc_mcontext.gregs[REG_RIP];
	fault_rax = uc->uc_mcontext.gregs[REG_RAX];
	uc->uc_mcontext.gregs[REG_EFL] &= ~0x40400ull; /* no AC or DF left for the test */
	siglongjmp(fault_jmp, 1);
}

/* Natively the exit's out is a #GP: where it happens tells where the stub went. */
static uint64_t stub_exit_rip(uint64_t entry, uint64_t nr, uint64_t flags, uint64_t *rax)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, old;

	sigaction(SIGSEGV, &sa, &old);
	fault_rip = 0;
	if (!sigsetjmp(fault_jmp, 1))
		call_stub(entry, nr, flags);
	sigaction(SIGSEGV, &old, NULL);
	*rax = fault_rax;
	return fault_rip;
}

Test(platform, cpl3_filter_sends_the_rest_to_the_exit_with_the_number)
{
	uint8_t *page = entry_page();
	uint64_t entry = (uint64_t)page + ENTRY_FILTER, rax;

	cr_expect_eq(stub_exit_rip(entry, 110, 0x246, &rax), (uint64_t)page + ENTRY_SYSCALL);
	cr_expect_eq(rax, 110, "allowed: exits with the number");
	/* Numbers as the kernel reads them are the host's to judge. */
	cr_expect_eq(stub_exit_rip(entry, 0x100000027ull, 0x246, &rax),
		     (uint64_t)page + ENTRY_SYSCALL);
	cr_expect_eq(rax, 0x100000027ull);
	/* Flags it cannot restore without sysretq (AC here): the host does. */
	cr_expect_eq(stub_exit_rip(entry, 39, 0x40246, &rax), (uint64_t)page + ENTRY_SYSCALL);
	cr_expect_eq(rax, 39);
}

Test(platform, leaving_a_stub_stays_at_its_sysretq_only_at_cpl0)
{
	struct platform hw, pvm;
	struct guest_regs r = { .rcx = 0x401000, .r11 = 0x246 };

	platform_from_probe(&hw, &hardware_exit);
	platform_from_probe(&pvm, &pvm_exit);
	platform_leave_stub(&hw, &r, 0x7f0000000002);
	cr_expect_eq(r.rip, 0x7f0000000002, "hardware: the stub's sysretq returns");
	platform_leave_stub(&pvm, &r, 0x7f0000000002);
	cr_expect_eq(r.rip, 0x401000, "PVM: the host resumes the program");
	cr_expect_eq(r.rflags, 0x246);
}
