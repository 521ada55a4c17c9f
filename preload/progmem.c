/* progmem.c: the program's memory as the host side reads and writes it.
 *
 * Another thread of the program may unmap what it passed at any time, so
 * the runtime never dereferences a program pointer: process_vm_readv and
 * process_vm_writev fail where a plain copy would fault. The runtime's own
 * ranges (spans.h) are memory the program does not have, as for the kernel
 * acting for it (sysargs.c).
 *
 * The process id they take is cached: a getpid per copy cost as much as a
 * third of a copy on the syscall path. fork.c renews it in a child.
 */
#include <sys/uio.h>

#include "guest.h"
#include "rawsys.h"
#include "spans.h"

static long self_pid;

static long pid(void)
{
	long p = __atomic_load_n(&self_pid, __ATOMIC_RELAXED);

	if (!p) {
		p = raw_syscall0(SYS_getpid);
		__atomic_store_n(&self_pid, p, __ATOMIC_RELAXED);
	}
	return p;
}

void progmem_after_fork(void)
{
	__atomic_store_n(&self_pid, raw_syscall0(SYS_getpid), __ATOMIC_RELAXED);
}

long guest_read(void *dst, uint64_t src, long n)
{
	struct iovec local = { dst, (size_t)n }, remote = { (void *)src, (size_t)n };
	long r;

	if (n <= 0 || spans_overlap(src, (uint64_t)n))
		return 0;
	r = raw_syscall6(SYS_process_vm_readv, pid(), (long)&local, 1, (long)&remote, 1, 0);
	return r < 0 ? 0 : r;
}

long guest_write(uint64_t dst, const void *src, long n)
{
	struct iovec local = { (void *)src, (size_t)n }, remote = { (void *)dst, (size_t)n };
	long r;

	if (n <= 0 || spans_overlap(dst, (uint64_t)n))
		return 0;
	r = raw_syscall6(SYS_process_vm_writev, pid(), (long)&local, 1, (long)&remote, 1, 0);
	return r < 0 ? 0 : r;
}
