/* fds.c: see fds.h. */
#include "fds.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>

#include "rawsys.h"

#define FD_BASE 1000 /* above what programs normally use, below the usual 1024 limit */
#define MAX_RUNTIME_FDS 16

static int runtime_fds[MAX_RUNTIME_FDS];
static int nr_runtime_fds;

int fd_protect(int fd)
{
	long high;

	if (fd < 0 || nr_runtime_fds == MAX_RUNTIME_FDS)
		return fd;
	high = raw_syscall3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, FD_BASE);
	if (high < 0)
		high = fd; /* a low limit on descriptors: keep it where it is */
	else
		raw_syscall1(SYS_close, fd);
	runtime_fds[nr_runtime_fds++] = (int)high;
	return (int)high;
}

void fd_forget(int fd)
{
	for (int i = 0; i < nr_runtime_fds; i++)
		if (runtime_fds[i] == fd)
			runtime_fds[i] = runtime_fds[--nr_runtime_fds];
}

bool fd_any_runtime(void)
{
	return nr_runtime_fds > 0;
}

int fd_is_runtime(long arg)
{
	int fd = (int)arg; /* as the kernel reads an fd argument */

	for (int i = 0; i < nr_runtime_fds; i++)
		if (runtime_fds[i] == fd)
			return 1;
	return 0;
}

long fd_close_range(unsigned long first_arg, unsigned long last_arg, unsigned long flags)
{
	unsigned long first = (unsigned int)first_arg, last = (unsigned int)last_arg; /* as the kernel */
	unsigned long from = first;
	long r;

	if (first > last)
		return -EINVAL;
	/* Close the stretches between runtime fds, in ascending order. */
	while (from <= last) {
		unsigned long next = last;
		int spare = 0;

		for (int i = 0; i < nr_runtime_fds; i++) {
			unsigned long fd = (unsigned long)runtime_fds[i];

			if (fd >= from && fd <= next) {
				next = fd;
				spare = 1;
			}
		}
		if (!spare || next > from) {
			r = raw_syscall3(SYS_close_range, from, spare ? next - 1 : next, flags);
			if (r)
				return r;
		}
		if (!spare || next == last)
			break;
		from = next + 1;
	}
	return 0;
}
