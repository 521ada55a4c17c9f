/* flags.c: what a syscall leaves in RFLAGS, and what an out to dune's ports does.
 *
 *   flags NR    make syscall NR with each combination of the arithmetic flags
 *               and DF set, and print the flags it returned with (sysretq
 *               loads them from r11: they come back as they went in)
 *   ports       out to each port dune uses: natively #GP, so SIGSEGV at the out
 *
 * The integration tests compare the output natively and under dune.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

static const uint64_t bits[] = { 0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800 }; /* CF PF AF ZF SF DF OF */

static uint64_t syscall_with_flags(long nr, uint64_t flags, long *ret)
{
	uint64_t after;
	long rax = nr;

	__asm__ volatile("pushq %[in]\n\t"
			 "popfq\n\t"
			 "syscall\n\t"
			 "pushfq\n\t"
			 "popq %[out]\n\t"
			 "cld\n\t"
			 : "+a"(rax), [out] "=r"(after)
			 : [in] "r"(flags)
			 : "rcx", "r11", "cc", "memory");
	*ret = rax;
	return after;
}

static int flags(long nr)
{
	int bad = 0;

	for (int m = 0; m < 128; m++) {
		uint64_t in = 0x202, out;
		long ret;

		for (int b = 0; b < 7; b++)
			if (m & (1 << b))
				in |= bits[b];
		out = syscall_with_flags(nr, in, &ret);
		if ((out & 0xed7) != in) {
			printf("syscall %ld with flags %#lx: came back with %#lx\n", nr, in, out);
			bad++;
		}
	}
	printf("syscall %ld: %d of 128 flag combinations changed\n", nr, bad);
	return bad != 0;
}

static volatile uint64_t fault_rip;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	fault_code = si->si_code;
	fault_rip = uc->uc_mcontext.gregs[REG_RIP];
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* every out below is two bytes */
}

#define OUT_TO(port)                                                               \
	do {                                                                       \
		uint64_t at;                                                       \
		fault_rip = 0;                                                     \
		__asm__ volatile("leaq 1f(%%rip), %0\n1:\toutb %%al, $" #port      \
				 : "=r"(at) : "a"(0) : "memory");                  \
		printf("out to port %s: %s, si_code %d\n", #port,                   \
		       fault_rip == at ? "SIGSEGV at the out" : "no fault there", fault_code); \
	} while (0)

static int ports(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };

	sigaction(SIGSEGV, &sa, NULL);
	OUT_TO(0xd1);
	OUT_TO(0xd3);
	OUT_TO(0xd4);
	OUT_TO(0xd5);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "flags"))
		return flags(atol(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "ports"))
		return ports();
	fprintf(stderr, "usage: flags flags NR | flags ports\n");
	return 2;
}
