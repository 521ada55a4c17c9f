/* sud.c: interposition with Syscall User Dispatch (Linux 5.11): with the
 * selector byte set to BLOCK, a syscall raises SIGSYS instead of running,
 * and the handler does the call itself. The handler sets the selector to
 * ALLOW so that its own calls, and the rt_sigreturn that ends it, run; the
 * loop sets BLOCK again before each call, as a dispatch-based tracer's
 * trampoline would. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "worker.h"

static volatile char selector = SYSCALL_DISPATCH_FILTER_ALLOW;
static volatile long dispatched;

static void on_sigsys(int sig, siginfo_t *info, void *context)
{
	greg_t *r = ((ucontext_t *)context)->uc_mcontext.gregs;

	(void)sig;
	selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	dispatched++;
	r[REG_RAX] = syscall(info->si_syscall, r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10],
			     r[REG_R8], r[REG_R9]);
}

static void blocked_getpids(long n)
{
	for (long i = 0; i < n; i++) {
		selector = SYSCALL_DISPATCH_FILTER_BLOCK;
		syscall(SYS_getpid);
	}
}

int measure_sud(long iterations, double *ns_per_op, char *why, size_t len)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	long warm = iterations / 10 + 10;
	double t0;

	dispatched = 0;
	if (sigaction(SIGSYS, &sa, NULL)) {
		snprintf(why, len, "sigaction: %s", strerror(errno));
		return MEASURE_FAILED;
	}
	/* No exempt range (offset 0, length 0): the selector alone decides. */
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, &selector)) {
		snprintf(why, len, "PR_SET_SYSCALL_USER_DISPATCH: %s", strerror(errno));
		return MEASURE_UNSUPPORTED;
	}
	blocked_getpids(warm);
	t0 = now_ns();
	blocked_getpids(iterations);
	*ns_per_op = (now_ns() - t0) / iterations;
	prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	if (dispatched != warm + iterations) {
		snprintf(why, len, "the handler saw %ld calls, not %ld", dispatched, warm + iterations);
		return MEASURE_FAILED;
	}
	return MEASURE_OK;
}
