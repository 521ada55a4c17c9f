/* rw.c: the cheapest calls that pass a descriptor and a buffer: 64 bytes
 * read from /dev/zero, written to /dev/null, once with a buffer and once
 * with two iovecs of 32 bytes. Forwarded under dune, each has its
 * arguments checked (preload/sysargs.c); readv and writev have their iovec
 * array copied too.
 *
 * /dev/zero rather than a pipe: it never runs dry, so every call does the
 * same work with nothing to refill inside the timed loop, and the kernel's
 * part is about the smallest a read can have, which leaves the checks the
 * largest share of the time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "worker.h"

#define RW_BYTES 64

enum rw_call { RW_READ, RW_WRITE, RW_READV, RW_WRITEV };

static const char *const call_names[] = { "read", "write", "readv", "writev" };

static long rw_once(enum rw_call call, int fd, char *buf, const struct iovec *iov)
{
	switch (call) {
	case RW_READ:
		return syscall(SYS_read, fd, buf, RW_BYTES);
	case RW_WRITE:
		return syscall(SYS_write, fd, buf, RW_BYTES);
	case RW_READV:
		return syscall(SYS_readv, fd, iov, 2);
	default:
		return syscall(SYS_writev, fd, iov, 2);
	}
}

static int measure_rw(enum rw_call call, long iterations, double *ns_per_op, char *why, size_t len)
{
	const char *path = call == RW_READ || call == RW_READV ? "/dev/zero" : "/dev/null";
	static char buf[RW_BYTES];
	struct iovec iov[2] = { { buf, RW_BYTES / 2 }, { buf + RW_BYTES / 2, RW_BYTES / 2 } };
	int fd = open(path, call == RW_READ || call == RW_READV ? O_RDONLY : O_WRONLY);
	double t0;

	if (fd < 0) {
		snprintf(why, len, "open %s: %s", path, strerror(errno));
		return MEASURE_FAILED;
	}
	/* The first calls at a site are the dear ones under dune (the site gets
	 * rewritten): keep them out of the timed loop. */
	for (long i = 0; i < iterations / 10 + 10; i++)
		rw_once(call, fd, buf, iov);
	t0 = now_ns();
	for (long i = 0; i < iterations; i++) {
		/* A call that failed fast would pass for a cheap one. */
		long r = rw_once(call, fd, buf, iov);

		if (r != RW_BYTES) {
			snprintf(why, len, "%s of %d bytes on %s returned %ld (%s)", call_names[call], RW_BYTES,
				 path, r, r < 0 ? strerror(errno) : "short");
			close(fd);
			return MEASURE_FAILED;
		}
	}
	*ns_per_op = (now_ns() - t0) / iterations;
	close(fd);
	return MEASURE_OK;
}

int measure_read(long iterations, double *ns_per_op, char *why, size_t len)
{
	return measure_rw(RW_READ, iterations, ns_per_op, why, len);
}

int measure_write(long iterations, double *ns_per_op, char *why, size_t len)
{
	return measure_rw(RW_WRITE, iterations, ns_per_op, why, len);
}

int measure_readv(long iterations, double *ns_per_op, char *why, size_t len)
{
	return measure_rw(RW_READV, iterations, ns_per_op, why, len);
}

int measure_writev(long iterations, double *ns_per_op, char *why, size_t len)
{
	return measure_rw(RW_WRITEV, iterations, ns_per_op, why, len);
}
