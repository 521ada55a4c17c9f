/* child.c: run one command natively or under dune, with a deadline, and
 * time it. Every process dune-bench starts goes through here, so none can
 * hang the run: at the deadline its whole process group is killed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dune-bench.h"

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void exec_child(const struct child_spec *spec, int out_fd, int err_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	setpgid(0, 0); /* its own group, so a timeout kills its children too */
	dup2(null, 0);
	dup2(out_fd >= 0 ? out_fd : null, 1);
	dup2(err_fd, 2);
	if (spec->preload)
		setenv("LD_PRELOAD", spec->preload, 1);
	else
		unsetenv("LD_PRELOAD");
	if (spec->env)
		putenv((char *)spec->env);
	execvp(spec->argv[0], spec->argv);
	fprintf(stderr, "cannot run %s: %s\n", spec->argv[0], strerror(errno));
	_exit(127);
}

/* Keep the first bytes of a stream in buf, drop the rest. Returns 1 when it
 * read something, 0 when nothing is there yet, -1 at the end. */
static int drain(int fd, char *buf, size_t cap, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	if (*len + 1 < cap) {
		size_t take = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;

		memcpy(buf + *len, chunk, take);
		*len += take;
		buf[*len] = '\0';
	}
	return 1;
}

/* Wait for the child's exit (its pidfd) while reading its output, until the
 * deadline. Grandchildren that keep the pipes open do not hold us up. */
static void wait_for(int pidfd, int out_fd, int err_fd, double deadline, struct child_result *r)
{
	size_t out_len = 0, err_len = 0;
	struct pollfd p[3] = { { pidfd, POLLIN, 0 }, { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };

	for (;;) {
		double left = deadline - now_ns();

		if (left <= 0) {
			r->timed_out = true;
			return;
		}
		if (poll(p, 3, (int)(left / 1e6) + 1) < 0 && errno != EINTR)
			return;
		if (p[1].revents && drain(out_fd, r->out, sizeof(r->out), &out_len) < 0)
			p[1].fd = -1;
		if (p[2].revents && drain(err_fd, r->err, sizeof(r->err), &err_len) < 0)
			p[2].fd = -1;
		if (p[0].revents) {
			r->wall_ns = now_ns();
			/* What it wrote before exiting is in the pipes: read it. */
			fcntl(out_fd, F_SETFL, O_NONBLOCK);
			fcntl(err_fd, F_SETFL, O_NONBLOCK);
			while (p[1].fd >= 0 && drain(out_fd, r->out, sizeof(r->out), &out_len) > 0)
				;
			while (p[2].fd >= 0 && drain(err_fd, r->err, sizeof(r->err), &err_len) > 0)
				;
			return;
		}
	}
}

int child_run(const struct child_spec *spec, struct child_result *r)
{
	int out[2] = { -1, -1 }, err[2];
	struct rusage ru;
	double start;
	int pidfd;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->timeout = spec->timeout;
	if (pipe2(err, O_CLOEXEC) || (spec->capture_stdout && pipe2(out, O_CLOEXEC)))
		return -errno;
	start = now_ns();
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(err[0]);
		close(err[1]);
		if (out[0] >= 0) {
			close(out[0]);
			close(out[1]);
		}
		return -e;
	}
	if (pid == 0)
		exec_child(spec, out[1], err[1]);
	setpgid(pid, pid); /* also here: no race with the kill below */
	close(err[1]);
	if (out[1] >= 0)
		close(out[1]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -errno;
	}
	wait_for(pidfd, out[0], err[0], start + spec->timeout * 1e9, r);
	if (r->timed_out)
		kill(-pid, SIGKILL);
	/* Leftovers of the group (a daemonized grandchild) must not outlive us. */
	kill(-pid, SIGKILL);
	while (wait4(pid, &r->status, 0, &ru) < 0 && errno == EINTR)
		;
	r->wall_ns -= start;
	r->cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
	close(pidfd);
	close(err[0]);
	if (out[0] >= 0)
		close(out[0]);
	return 0;
}

/* "exit status 3", "killed by SIGSEGV", "timed out after 120 s", and the
 * first line of what it said on stderr. */
void child_describe_end(const struct child_result *r, char *buf, size_t len)
{
	char first[200];
	size_t n = strcspn(r->err, "\n");

	snprintf(first, sizeof(first), "%.*s", (int)(n < sizeof(first) - 1 ? n : sizeof(first) - 1), r->err);
	if (r->timed_out)
		snprintf(buf, len, "timed out after %g s", r->timeout);
	else if (WIFSIGNALED(r->status))
		snprintf(buf, len, "killed by SIG%s", sigabbrev_np(WTERMSIG(r->status)) ?
			 sigabbrev_np(WTERMSIG(r->status)) : "?");
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(r->status));
	if (*first)
		snprintf(buf + strlen(buf), len - strlen(buf), ": %s", first);
}
