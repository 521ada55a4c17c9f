/* exec_args.c: the path, argv and envp of an execve, read as the kernel reads them.
 *
 * The kernel copies them out of the program's memory and fails with EFAULT
 * where it cannot read them. The runtime reads them first (to check the file
 * and rewrite the environment), so it must fail the same way, never fault
 * itself, and treat its own memory as unmapped: a pointer into it would have
 * the kernel copy runtime bytes into the new image. sysargs.c judged only
 * the first byte of each argument; every byte range of every string is
 * judged here by mem_user_access (the guest's view, without the runtime's
 * ranges) and read with process_vm_readv, which fails instead of faulting
 * if another thread unmaps it meanwhile. The copies go to a runtime buffer,
 * and the kernel is given only those: no other thread of the program can
 * change a string once it has been checked.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include "exec.h"
#include "memory.h"
#include "rawsys.h"

#define NAME_MAX_BYTES 4096          /* getname: PATH_MAX, its NUL included */
#define ARG_STRLEN_MAX (32 * 4096)   /* MAX_ARG_STRLEN: one argument or variable */
#define ARG_LIMIT_MIN (128l << 10)   /* ARG_MAX: the least the kernel allows in all */
#define ARG_LIMIT_MAX (6l << 20)     /* _STK_LIM / 4 * 3: the most, pointers included */
/* The most the kernel takes, plus the path and what the runtime adds. */
#define BUF_SIZE (8ul << 20)

static char *buf;
static long buf_owner; /* the pid whose thread holds buf; 0: free */

/* Bytes of the program's memory that mem_user_access found readable.
 * process_vm_readv fails rather than faults if another thread unmaps them
 * meanwhile; where a seccomp filter forbids it (container runtimes do), a
 * plain copy. */
static bool read_program(void *dst, uint64_t src, long n)
{
	static bool no_vm_readv;
	struct iovec local = { dst, (size_t)n }, remote = { (void *)src, (size_t)n };
	long r;

	if (!no_vm_readv) {
		r = raw_syscall6(SYS_process_vm_readv, raw_syscall0(SYS_getpid), (long)&local, 1,
				 (long)&remote, 1, 0);
		if (r == n)
			return true;
		if (r >= 0 || r == -EFAULT)
			return false;
		no_vm_readv = true;
	}
	memcpy(dst, (const void *)src, n);
	return true;
}

/* Copy the string at addr into dst, reading no further than its NUL nor
 * past max bytes, page by page as the kernel's strnlen_user would fault:
 * its length with the NUL, -EFAULT, or max + 1 when it is longer. */
static long copy_string(struct guest *g, char *dst, uint64_t addr, long max)
{
	long n = 0;

	while (n < max) {
		uint64_t at = addr + n;
		long chunk = PAGE_SIZE - (at & (PAGE_SIZE - 1));
		char *nul;

		if (chunk > max - n)
			chunk = max - n;
		if (!mem_user_access(g, at, chunk, PROT_READ) || !read_program(dst + n, at, chunk))
			return -EFAULT;
		nul = memchr(dst + n, '\0', chunk);
		if (nul)
			return nul - dst + 1;
		n += chunk;
	}
	return max + 1;
}

/* Copy the NULL-terminated array of pointers at addr (NULL: an empty one)
 * into dst, at most max of them: how many came before the NULL, -EFAULT or
 * -E2BIG. An array need not be aligned: bytes are read page by page. */
static long copy_pointers(struct guest *g, uint64_t *dst, uint64_t addr, long max)
{
	long bytes = 0, n = 0;

	if (!addr)
		return 0;
	for (;;) {
		uint64_t at = addr + bytes;
		long chunk = PAGE_SIZE - (at & (PAGE_SIZE - 1)), room = (max + 1) * 8 - bytes;

		if (room <= 0)
			return -E2BIG;
		if (chunk > room)
			chunk = room;
		if (!mem_user_access(g, at, chunk, PROT_READ) || !read_program((char *)dst + bytes, at, chunk))
			return -EFAULT;
		bytes += chunk;
		for (; n < bytes / 8; n++)
			if (!dst[n])
				return n;
	}
}

/* What all strings and pointers may take (bprm_stack_limits): a quarter of
 * the stack limit, within the kernel's least and most. */
static long arg_limit(void)
{
	struct rlimit rl;
	long limit = ARG_LIMIT_MAX;

	if (raw_syscall2(SYS_getrlimit, RLIMIT_STACK, &rl) == 0 && rl.rlim_cur / 4 < (rlim_t)limit)
		limit = (long)(rl.rlim_cur / 4);
	return limit < ARG_LIMIT_MIN ? ARG_LIMIT_MIN : limit;
}

/* One buffer, made once. A thread of a process that forked while another of
 * its threads held it holds it in the child too, where nobody will give it
 * back: the child takes it over. */
static char *buf_get(void)
{
	long me = raw_syscall0(SYS_getpid);

	for (;;) {
		long owner = 0;

		if (__atomic_compare_exchange_n(&buf_owner, &owner, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		if (owner != me && __atomic_compare_exchange_n(&buf_owner, &owner, me, false,
							       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		__builtin_ia32_pause(); /* another thread's exec: it ends soon, one way or the other */
	}
	if (!buf)
		buf = raw_mmap(BUF_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	return buf;
}

void exec_args_put(struct exec_args *a)
{
	if (a->path)
		__atomic_store_n(&buf_owner, 0, __ATOMIC_RELEASE);
	a->path = NULL;
}

int exec_args_path(struct guest *g, const struct exec_call *c, struct exec_args *a)
{
	long n;

	memset(a, 0, sizeof(*a));
	if (!buf_get()) {
		__atomic_store_n(&buf_owner, 0, __ATOMIC_RELEASE);
		return -ENOMEM;
	}
	a->path = buf;
	a->end = buf + BUF_SIZE;
	n = copy_string(g, a->path, c->path, NAME_MAX_BYTES);
	if (n < 0)
		return (int)n;
	if (n > NAME_MAX_BYTES)
		return -ENAMETOOLONG;
	a->free = a->path + ((n + 7) & ~7l);
	return 0;
}

char *exec_args_alloc(struct exec_args *a, size_t len)
{
	char *p = a->free;

	if (len > (size_t)(a->end - a->free))
		return NULL;
	a->free += len;
	return p;
}

/* Each string of list (n of them) copied after the others, in place of the
 * program's pointer; *total counts their bytes against limit. */
static int copy_strings(struct guest *g, struct exec_args *a, char **list, long n, long *total,
			long limit)
{
	for (long i = 0; i < n; i++) {
		long len = copy_string(g, a->free, (uint64_t)list[i], ARG_STRLEN_MAX);

		if (len < 0)
			return (int)len;
		*total += len;
		if (len > ARG_STRLEN_MAX || *total > limit)
			return -E2BIG;
		list[i] = a->free;
		a->free += len;
	}
	return 0;
}

int exec_args_strings(struct guest *g, const struct exec_call *c, long extra, struct exec_args *a)
{
	long limit = arg_limit(), n, total;
	int r;

	/* In the kernel's order: both arrays counted, their size judged, then
	 * the strings copied, envp's first. Pointers and strings all fit in
	 * BUF_SIZE: each step is bounded by limit (6 MiB at most). */
	a->argv = (char **)a->free;
	n = copy_pointers(g, (uint64_t *)a->argv, c->argv, limit / 8);
	if (n < 0)
		return (int)n;
	a->argc = n;
	a->envp = a->argv + a->argc + 1;
	n = copy_pointers(g, (uint64_t *)a->envp, c->envp, limit / 8 - a->argc);
	if (n < 0)
		return (int)n;
	a->envc = n;
	a->extra = extra;
	a->envp[a->envc] = NULL;
	total = ((a->argc ? a->argc : 1) + a->envc) * 8l;
	if (total >= limit)
		return -E2BIG;
	total += (long)strlen(a->path) + 1; /* the kernel copies the name too */
	a->free = (char *)(a->envp + a->envc + extra + 1);
	if ((r = copy_strings(g, a, a->envp, a->envc, &total, limit)) ||
	    (r = copy_strings(g, a, a->argv, a->argc, &total, limit)))
		return r;
	a->argv[a->argc] = NULL;
	return 0;
}
