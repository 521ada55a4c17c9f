/* procdir.c: see procdir.h. */
#include "procdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

#include "fds.h"
#include "guest.h"
#include "forward.h"
#include "rawsys.h"

enum listing { LISTING_OTHER, LISTING_FDS, LISTING_TASKS };

int procdir_format_ulong(char *buf, unsigned long x)
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

static bool ends_with(const char *s, long n, const char *tail)
{
	long t = (long)strlen(tail);

	return n >= t && !memcmp(s + n - t, tail, t);
}

/* Which of our directories fd is open on: /proc/PID/fd or
 * /proc/PID/task/TID/fd, /proc/PID/task, or another. */
long procdir_fd_target(long fd, char *target, long len)
{
	char link[40] = "/proc/self/fd/";

	link[14 + procdir_format_ulong(link + 14, (unsigned int)fd)] = 0; /* an fd is an int */
	return raw_syscall6(SYS_readlinkat, AT_FDCWD, (long)link, (long)target, len, 0, 0);
}

/* Where fd points (into target, len bytes), when that is inside our own
 * /proc/PID/: its length, with *rest where "/..." after the PID starts; else -1. */
static long own_proc_target(long fd, char *target, long len, long *rest)
{
	char pid[24];
	int pid_len = procdir_format_ulong(pid, (unsigned long)raw_syscall0(SYS_getpid));
	long n = procdir_fd_target(fd, target, len);

	if (n < 6 + pid_len + 1 || n >= len || memcmp(target, "/proc/", 6) ||
	    memcmp(target + 6, pid, pid_len) || target[6 + pid_len] != '/')
		return -1;
	*rest = 6 + pid_len;
	return n;
}

static enum listing listing_of(long fd)
{
	char target[64];
	long rest, n = own_proc_target(fd, target, sizeof(target), &rest);

	if (n < 0)
		return LISTING_OTHER;
	if (ends_with(target, n, "/fd"))
		return LISTING_FDS;
	if (n == rest + 5 && ends_with(target, n, "/task"))
		return LISTING_TASKS;
	return LISTING_OTHER;
}

long procdir_parse_number(const char *name)
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

/* Is tid a thread of the program, one that runs a vCPU? Others in the
 * thread group are the runtime's servers, or kernel workers that KVM puts
 * there (kvm-nx-lpage-recovery, on some hosts): not the program's. */
bool procdir_guest_thread(struct guest *g, long tid)
{
	bool found = false;

	dune_lock(&g->lock);
	for (struct vcpu *o = g->all_vcpus; o && !found; o = o->next_all)
		found = __atomic_load_n(&o->host_tid, __ATOMIC_RELAXED) == tid;
	dune_unlock(&g->lock);
	return found;
}

static bool hidden(struct guest *g, enum listing what, long number)
{
	if (number < 0)
		return false; /* "." and ".." */
	return what == LISTING_FDS ? fd_is_runtime(number) : !procdir_guest_thread(g, number);
}

/* ---- /proc/PID/status: its Threads: line ---- */

#define STATUS_FDS 1024
static uint64_t status_fds[STATUS_FDS / 64]; /* fds open on our status files */

static void mark_status(long fd, bool on)
{
	uint64_t bit = 1ull << ((unsigned)fd % 64);

	if ((unsigned long)fd >= STATUS_FDS)
		return;
	if (on)
		__atomic_fetch_or(&status_fds[fd / 64], bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&status_fds[fd / 64], ~bit, __ATOMIC_RELAXED);
}

bool procdir_status_fd(long fd)
{
	fd = (int)fd; /* an fd is an int */
	return (unsigned long)fd < STATUS_FDS &&
	       (__atomic_load_n(&status_fds[fd / 64], __ATOMIC_RELAXED) >> (fd % 64) & 1);
}

/* Is fd open on /proc/PID/status or /proc/PID/task/TID/status of ours? */
static bool is_status(long fd)
{
	char target[80];
	long rest, n = own_proc_target(fd, target, sizeof(target), &rest);

	return n >= 0 && ends_with(target, n, "/status") &&
	       (n == rest + 7 || !memcmp(target + rest, "/task/", 6));
}

void procdir_after(long nr, const long a[6], long ret)
{
	switch (nr) {
	case SYS_fcntl:
		if (a[1] != F_DUPFD && a[1] != F_DUPFD_CLOEXEC)
			break;
		__attribute__((fallthrough)); /* a dup */
	case SYS_open: case SYS_openat: case SYS_openat2: case SYS_creat:
	case SYS_dup: case SYS_dup2: case SYS_dup3:
		if (ret >= 0)
			mark_status(ret, is_status(ret));
		break;
	case SYS_close:
		if (ret == 0)
			mark_status((int)a[0], false);
		break;
	}
}

/* The Threads: line of a whole status file in buf (n bytes) gives count
 * instead: the runtime's threads are not the program's. New length, never
 * more than n (a thread being made may count already). */
static long rewrite_threads(char *buf, long n, long cap, long count)
{
	static const char key[] = "\nThreads:\t";
	char digits[24];
	int len = procdir_format_ulong(digits, (unsigned long)count);
	char *at = memmem(buf, (size_t)n, key, sizeof(key) - 1), *num, *end; /* string.c's */

	if (!at)
		return n;
	num = at + sizeof(key) - 1;
	end = memchr(num, '\n', buf + n - num);
	if (!end || len > end - num || n > cap)
		return n; /* never longer than what the kernel wrote */
	memmove(num + len, end, buf + n - end);
	memcpy(num, digits, len);
	return n - (end - num) + len;
}

long procdir_read_status(struct guest *g, long nr, long fd, char *buf, long count, long off)
{
	long pos = nr == SYS_pread64 ? off : raw_syscall3(SYS_lseek, fd, 0, SEEK_CUR);
	long n = raw_syscall6(nr, fd, (long)buf, count, off, 0, 0);

	if (!is_status(fd)) {
		mark_status(fd, false); /* another file now (a dup2 over it, say) */
		return n;
	}
	/* Only a read of the whole file: a shorter line would shift later offsets. */
	if (n <= 0 || pos != 0 || n == count)
		return n;
	return rewrite_threads(buf, n, count, __atomic_load_n(&g->live_threads, __ATOMIC_RELAXED));
}

long procdir_readv_status(struct guest *g, long nr, long fd, const struct iovec *iov, long cnt,
			  long off)
{
	char buf[4096]; /* more than a status file holds: a read of it all */
	long want = 0, n, done = 0;

	for (long i = 0; i < cnt && want < (long)sizeof(buf); i++)
		want += (long)iov[i].iov_len < (long)sizeof(buf) - want ? (long)iov[i].iov_len
									: (long)sizeof(buf) - want;
	n = procdir_read_status(g, nr == SYS_readv || off == -1 ? SYS_read : SYS_pread64, fd, buf,
				want, off);
	for (long i = 0; i < cnt && done < n; i++) {
		long k = (long)iov[i].iov_len < n - done ? (long)iov[i].iov_len : n - done;

		if (k && guest_write((uint64_t)iov[i].iov_base, buf + done, k) != k)
			return done ? done : -EFAULT;
		done += k;
	}
	return n;
}

long procdir_getdents(struct guest *g, long nr, long fd, void *buf, long count)
{
	/* Where the name starts: after d_reclen in getdents(2)'s linux_dirent,
	 * after d_type too in linux_dirent64. Both have d_reclen at 16. */
	const int name_at = nr == SYS_getdents64 ? 19 : 18;
	enum listing what;
	long n, out;

	do {
		n = raw_syscall3(nr, fd, buf, count);
		if (n <= 0 || (what = listing_of(fd)) == LISTING_OTHER)
			return n;
		/* Drop the runtime's entries; the rest move down over them. A
		 * batch of only those would look like the end: read on. */
		out = 0;
		for (long at = 0; at < n;) {
			uint8_t *d = (uint8_t *)buf + at;
			uint16_t reclen;

			memcpy(&reclen, d + 16, 2);
			if (!hidden(g, what, procdir_parse_number((const char *)d + name_at))) {
				memmove((uint8_t *)buf + out, d, reclen);
				out += reclen;
			}
			at += reclen;
		}
	} while (out == 0);
	return out;
}
