/* fds.c: see fds.h. */
#include "fds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

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

int fd_is_runtime(long fd)
{
	for (int i = 0; i < nr_runtime_fds; i++)
		if (runtime_fds[i] == fd)
			return 1;
	return 0;
}

long fd_close_range(unsigned long first, unsigned long last, unsigned long flags)
{
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

/* Decimal digits of x at buf; returns their count. */
static int format_ulong(char *buf, unsigned long x)
{
	char tmp[24];
	int k = 0, n = 0;

	do
		tmp[k++] = (char)('0' + x % 10);
	while (x /= 10);
	while (k)
		buf[n++] = tmp[--k];
	return n;
}

/* Is fd an open directory /proc/PID/fd or /proc/PID/task/TID/fd of ours? */
static int is_own_fd_dir(long fd)
{
	char link[40] = "/proc/self/fd/", target[64], pid[24];
	int pid_len = format_ulong(pid, (unsigned long)raw_syscall0(SYS_getpid));
	long n;

	link[14 + format_ulong(link + 14, (unsigned long)fd)] = 0;
	n = raw_syscall3(SYS_readlink, link, target, sizeof(target));
	return n >= 6 + pid_len + 3 && n < (long)sizeof(target) && !memcmp(target, "/proc/", 6) &&
	       !memcmp(target + 6, pid, pid_len) && target[6 + pid_len] == '/' &&
	       !memcmp(target + n - 3, "/fd", 3);
}

static long parse_fd(const char *name)
{
	long v = 0;

	if (!*name)
		return -1;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*name - '0');
	}
	return v;
}

long fd_getdents64(long fd, void *buf, long count)
{
	long n, out;

	if (!nr_runtime_fds)
		return raw_syscall3(SYS_getdents64, fd, buf, count);
	do {
		n = raw_syscall3(SYS_getdents64, fd, buf, count);
		if (n <= 0 || !is_own_fd_dir(fd))
			return n;
		/* Drop the runtime's entries; the rest move down over them. A
		 * batch of only those would look like the end: read on. */
		out = 0;
		for (long at = 0; at < n;) {
			uint8_t *d = (uint8_t *)buf + at;
			uint16_t reclen;

			memcpy(&reclen, d + 16, 2);
			if (!fd_is_runtime(parse_fd((const char *)d + 19))) {
				memmove((uint8_t *)buf + out, d, reclen);
				out += reclen;
			}
			at += reclen;
		}
	} while (out == 0);
	return out;
}
