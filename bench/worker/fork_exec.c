/* fork_exec.c: start a program and wait for it, the way a shell does. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker.h"

static int run_true(char *why, size_t len)
{
	char *const argv[] = { "true", NULL };
	extern char **environ;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return MEASURE_FAILED;
	}
	if (pid == 0) {
		execve("/bin/true", argv, environ); /* environ keeps LD_PRELOAD: dune's side stays dune */
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, len, "/bin/true ended with status %#x", status);
		return MEASURE_FAILED;
	}
	return MEASURE_OK;
}

int measure_fork_exec(long iterations, double *ns_per_op, char *why, size_t len)
{
	double t0;

	if (run_true(why, len))
		return MEASURE_FAILED;
	t0 = now_ns();
	for (long i = 0; i < iterations; i++)
		if (run_true(why, len))
			return MEASURE_FAILED;
	*ns_per_op = (now_ns() - t0) / iterations;
	return MEASURE_OK;
}
