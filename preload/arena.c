/* arena.c: where the runtime's own memory lives.
 *
 * One range of address space is reserved when the process enters dune and
 * every later allocation of the runtime is carved from it. Left to the
 * kernel, a runtime buffer could land in a hole the program made in one of
 * its own mappings, and the program may unmap that whole mapping again (an
 * allocator returning a region it once split): the runtime's buffer would
 * go with it. The range is also hidden from the guest (see mem_init).
 *
 * Guard pages: the program's syscalls run on the host, where the runtime's
 * memory is mapped. A kernel copy that starts in the program's memory
 * right below a runtime range (a read(2) into the end of the program's
 * mapping, a length that runs past it) would go on into the runtime's
 * pages, where natively the mapping's end would stop it with EFAULT. So
 * the arena's first and last pages are never handed out and stay
 * PROT_NONE, and when the arena is full raw_mmap fails: memory mapped
 * anywhere else would have no guard, and the guest would see it.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "lock.h"
#include "rawsys.h"

#define ARENA_SIZE (1ull << 30)
#define GUARD      4096ul

static uint64_t arena_start, arena_next, arena_end;
static struct dune_lock arena_lock;

static void *kernel_mmap(unsigned long addr, unsigned long len, int prot, int flags, int fd)
{
	long p = raw_syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, 0);

	return p < 0 && p > -4096 ? (void *)0 : (void *)p;
}

void arena_fork_prepare(void)
{
	dune_lock(&arena_lock);
}

void arena_fork_done(void)
{
	dune_unlock(&arena_lock);
}

void *raw_mmap(unsigned long len, int prot, int flags, int fd)
{
	uint64_t at = 0;

	len = (len + 4095) & ~4095ul;
	dune_lock(&arena_lock);
	if (!arena_start) {
		uint64_t p = (uint64_t)kernel_mmap(0, ARENA_SIZE, PROT_NONE,
						   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);

		if (p) {
			arena_start = p, arena_end = p + ARENA_SIZE;
			arena_next = arena_start + GUARD;
		}
	}
	if (arena_start && arena_end - GUARD - arena_next >= len) {
		at = arena_next;
		arena_next += len;
	}
	dune_unlock(&arena_lock);
	if (!at) /* the arena is full */
		return (void *)0;
	return kernel_mmap(at, len, prot, flags | MAP_FIXED, fd);
}

void raw_munmap(void *addr, unsigned long len)
{
	uint64_t a = (uint64_t)addr;

	/* A hole in the arena would be the kernel's to give to the program,
	 * inside a range the guest cannot see: keep it reserved instead. */
	if (a >= arena_start && a < arena_end)
		kernel_mmap(a, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
			    -1);
	else
		raw_syscall2(SYS_munmap, addr, len);
}

int arena_range(uint64_t *start, uint64_t *end)
{
	*start = arena_start;
	*end = arena_end;
	return arena_start ? 0 : -1;
}
