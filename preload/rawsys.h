/* rawsys.h: system calls that bypass libc.
 *
 * The host side of a vCPU runs on the guest thread itself, often while the guest
 * is in the middle of libc (a malloc calling mmap, say). So the runtime's hot
 * paths never call libc wrappers: no errno writes, no locks, no allocation.
 */
#ifndef DUNE_RAWSYS_H
#define DUNE_RAWSYS_H

#include <stdint.h>
#include <sys/syscall.h>

static inline long raw_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define raw_syscall0(nr) raw_syscall6((nr), 0, 0, 0, 0, 0, 0)
#define raw_syscall1(nr, a) raw_syscall6((nr), (long)(a), 0, 0, 0, 0, 0)
#define raw_syscall2(nr, a, b) raw_syscall6((nr), (long)(a), (long)(b), 0, 0, 0, 0)
#define raw_syscall3(nr, a, b, c) raw_syscall6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* arena.c: mmap of len bytes for the runtime's own use, from its reserved
 * range (never a hole in the program's mappings); NULL on failure. */
void *raw_mmap(unsigned long len, int prot, int flags, int fd);
/* arena.c: give back what raw_mmap gave. */
void raw_munmap(void *addr, unsigned long len);
/* arena.c: hold (and give back) the arena's lock across fork (alloc.h). */
void arena_fork_prepare(void);
void arena_fork_done(void);
/* arena.c: the reserved range, once the first raw_mmap made it. */
int arena_range(uint64_t *start, uint64_t *end);

/* The host side may not use libc's clock_gettime: its vDSO fallback is a
 * syscall site that the guest's use may have rewritten. */
static inline unsigned long long raw_now_ns(void)
{
	struct { long sec, nsec; } t;

	raw_syscall2(SYS_clock_gettime, 1 /* CLOCK_MONOTONIC */, &t);
	return (unsigned long long)t.sec * 1000000000ull + t.nsec;
}

static inline long raw_ioctl(int fd, unsigned long req, void *arg)
{
	return raw_syscall3(SYS_ioctl, fd, req, arg);
}

#endif
