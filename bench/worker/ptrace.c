/* ptrace.c: interposition the old way, a tracer stopping the tracee at the
 * entry and exit of every syscall (PTRACE_SYSCALL) and reading its registers
 * at each stop, as strace does. The tracee times its own getpid loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker.h"

static void tracee(long iterations, int result_fd)
{
	double t0, ns;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(1);
	raise(SIGSTOP); /* the tracer sets its options, then lets us go */
	for (long i = 0; i < iterations / 10 + 10; i++)
		syscall(SYS_getpid);
	t0 = now_ns();
	for (long i = 0; i < iterations; i++)
		syscall(SYS_getpid);
	ns = (now_ns() - t0) / iterations;
	_exit(write(result_fd, &ns, sizeof(ns)) == sizeof(ns) ? 0 : 1);
}

/* Follow the tracee through every syscall stop until it exits. */
static int trace(pid_t pid, long *getpids, char *why, size_t len)
{
	int status, sig = 0;

	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		snprintf(why, len, "the tracee did not stop (status %#x)", status);
		return MEASURE_FAILED;
	}
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	for (;;) {
		struct user_regs_struct regs;

		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig)) {
			snprintf(why, len, "PTRACE_SYSCALL: %s", strerror(errno));
			return MEASURE_FAILED;
		}
		sig = 0;
		if (waitpid(pid, &status, 0) != pid) {
			snprintf(why, len, "waitpid: %s", strerror(errno));
			return MEASURE_FAILED;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(status); /* a real signal: pass it on */
			continue;
		}
		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0 && regs.orig_rax == SYS_getpid)
			(*getpids)++;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, len, "the tracee ended with status %#x", status);
		return MEASURE_FAILED;
	}
	return MEASURE_OK;
}

int measure_ptrace(long iterations, double *ns_per_op, char *why, size_t len)
{
	long getpids = 0;
	int fds[2], r;
	pid_t pid;

	if (pipe(fds)) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return MEASURE_FAILED;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return MEASURE_FAILED;
	}
	if (pid == 0)
		tracee(iterations, fds[1]);
	close(fds[1]);
	r = trace(pid, &getpids, why, len);
	if (r == MEASURE_OK && read(fds[0], ns_per_op, sizeof(*ns_per_op)) != sizeof(*ns_per_op)) {
		snprintf(why, len, "no result from the tracee");
		r = MEASURE_FAILED;
	}
	/* Two stops (entry and exit) per call: a tracer that saw fewer traced nothing. */
	if (r == MEASURE_OK && getpids < 2 * iterations) {
		snprintf(why, len, "the tracer saw %ld getpid stops, expected %ld", getpids, 2 * iterations);
		r = MEASURE_FAILED;
	}
	close(fds[0]);
	return r;
}
