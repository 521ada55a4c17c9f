/* memory.c: keep the guest's view of memory equal to the host's.
 *
 * Guest-physical = guest-virtual = host-virtual. Memory slots cover only what
 * the process maps, in 2 MiB-aligned chunks, because a slot costs kernel
 * memory in proportion to its size. The page tables mirror each host mapping
 * with its protections, so a bad access is a real guest #PF with CR2.
 */
#include "memory.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "backend.h"
#include "loader.h"
#include "log.h"
#include "rawsys.h"
#include "spans.h"

#define SLOT_ALIGN   (2ull << 20)
#define USER_LIMIT   (1ull << 47)
/* Linux's user space ends a page below 2^47 and KVM refuses a slot whose
 * host range goes past it; nothing can be mapped in that last page anyway. */
#define SLOT_LIMIT   (USER_LIMIT - PAGE_SIZE)
#define POOL_SIZE    (1ull << 30)   /* address space reserved for page-table pages */
#define MAPS_MAX     (16ull << 20)

static uint8_t *pool_start, *pool_next, *pool_end;

static uint64_t align_down(uint64_t x, uint64_t a) { return x & ~(a - 1); }
static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

static int covered_ensure(struct guest *g, uint64_t start, uint64_t end)
{
	uint64_t a = align_down(start, SLOT_ALIGN), b = align_up(end, SLOT_ALIGN);

	if (b > SLOT_LIMIT)
		b = SLOT_LIMIT;
	while (a < b) {
		size_t i = vma_first_after(&g->covered, a);
		uint64_t gap_end = b;
		int r;

		if (i < g->covered.n && g->covered.v[i].start <= a) {
			a = g->covered.v[i].end;
			continue;
		}
		if (i < g->covered.n && g->covered.v[i].start < b)
			gap_end = g->covered.v[i].start;
		r = g->backend->add_memory(a, gap_end - a);
		if (r) {
			dune_error("cannot add a memory slot for %#llx-%#llx: error %d",
				   (unsigned long long)a, (unsigned long long)gap_end, r);
			return r;
		}
		g->nr_slots++;
		if (vma_set(&g->covered, a, gap_end, 1))
			return -ENOMEM;
		a = gap_end;
	}
	return 0;
}

static void *pool_alloc(void *ctx)
{
	struct guest *g = ctx;
	uint8_t *p = pool_next;

	if (p >= pool_end)
		return NULL;
	if (covered_ensure(g, (uint64_t)p, (uint64_t)p + PAGE_SIZE))
		return NULL;
	pool_next += PAGE_SIZE;
	return p; /* fresh anonymous memory: already zero */
}

/* Make the page tables over [start, end) say what the mappings say. */
static int sync_range(struct guest *g, uint64_t start, uint64_t end)
{
	uint64_t at = start;
	int r;

	g->mirror_gen++; /* copies of the tables (libdune's user mode) are stale */
	start = align_down(start, PAGE_SIZE);
	end = align_up(end, PAGE_SIZE);
	at = start;
	for (size_t i = vma_first_after(&g->vmas, start); at < end; i++) {
		const struct vma *v = i < g->vmas.n ? &g->vmas.v[i] : NULL;
		uint64_t vs = v && v->start < end ? (v->start > at ? v->start : at) : end;
		uint64_t ve = v && v->end < end ? v->end : end;
		uint64_t flags;
		int prot;

		if (at < vs && (r = pt_set(&g->pt, at, vs, 0)))
			return r;
		if (vs >= end)
			break;
		prot = (int)v->value;
		if (loader_withholds_exec(g, vs, ve))
			prot &= ~PROT_EXEC;
		flags = pt_flags_for_prot(prot, 1);
		if (flags && (r = covered_ensure(g, vs, ve)))
			return r;
		if ((r = pt_set(&g->pt, vs, ve, flags)))
			return r;
		at = ve;
	}
	/* The runtime's own ranges keep their supervisor flags whatever the maps say. */
	for (size_t i = vma_first_after(&g->reserved, start);
	     i < g->reserved.n && g->reserved.v[i].start < end; i++) {
		const struct vma *v = &g->reserved.v[i];
		uint64_t s = v->start > start ? v->start : start, e = v->end < end ? v->end : end;

		if ((r = pt_set(&g->pt, s, e, v->value)))
			return r;
	}
	return 0;
}

/* The mappings as they were before a re-read of /proc/self/maps. */
static struct vma *before;
static size_t before_n, before_cap;

static int copy_list(const struct vma_list *l)
{
	if (l->n > before_cap) {
		size_t cap = l->n * 2;
		struct vma *p = raw_mmap(cap * sizeof(*p), PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1);

		if (!p)
			return -ENOMEM;
		if (before)
			raw_munmap(before, before_cap * sizeof(*before));
		before = p;
		before_cap = cap;
	}
	memcpy(before, l->v, l->n * sizeof(*before));
	before_n = l->n;
	return 0;
}

static int same_in(const struct vma *v, const struct vma *list, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* the first range that ends after v->start */
		size_t mid = (lo + hi) / 2;

		if (list[mid].end <= v->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && list[lo].start == v->start && list[lo].end == v->end &&
	       list[lo].value == v->value;
}

/* Mirror every mapping the re-read found new, gone or changed: whatever
 * made it (the kernel, a call the mirror missed) the guest must see it. */
static int sync_changes(struct guest *g)
{
	int r;

	for (size_t i = 0; i < g->vmas.n; i++)
		if (!same_in(&g->vmas.v[i], before, before_n) &&
		    (r = sync_range(g, g->vmas.v[i].start, g->vmas.v[i].end)))
			return r;
	for (size_t i = 0; i < before_n; i++)
		if (!same_in(&before[i], g->vmas.v, g->vmas.n) &&
		    (r = sync_range(g, before[i].start, before[i].end)))
			return r;
	return 0;
}

static int read_maps(struct guest *g)
{
	static char *buf;
	long fd, n, len = 0;
	int r;

	if (!buf && !(buf = raw_mmap(MAPS_MAX, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1)))
		return -ENOMEM;
	fd = raw_syscall3(SYS_open, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	while ((n = raw_syscall3(SYS_read, fd, buf + len, MAPS_MAX - len)) > 0)
		len += n;
	raw_syscall1(SYS_close, fd);
	if (n < 0)
		return (int)n;
	if ((r = copy_list(&g->vmas)))
		return r;
	r = vma_parse_maps(&g->vmas, buf, len, USER_LIMIT, g->stack_top ? NULL : &g->stack_top);
	return r ? r : sync_changes(g);
}

/* libdunepre.so's own ELF header: the linker defines this symbol in every
 * object whose headers are in a loaded segment. */
extern const Elf64_Ehdr __ehdr_start __attribute__((visibility("hidden")));

/*
 * libdunepre.so is the runtime: its code, its GOT, its data (the guest's
 * state, the policy, the backend's table of functions) and its bss. The
 * guest sees none of it, as it sees nothing of the arena: a store there
 * would rewrite the policy, a changed function pointer would run the
 * program's code on the host. Only the segment of the ELF header stays,
 * read-only: the headers and the dynamic-linking tables, the file's own
 * bytes with no state of ours, which the program's dl_iterate_phdr
 * callbacks read for every object. The link makes sure of that, and that ld.so in the guest
 * never reads or runs the rest (cmake/seal-runtime.c, enter.S).
 */
static int hide_runtime_object(struct guest *g)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
	uint64_t bias = 0, lo = UINT64_MAX, hi = 0;

	for (int i = 0; i < __ehdr_start.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
			bias = (uint64_t)&__ehdr_start - ph[i].p_vaddr;
	for (int i = 0; i < __ehdr_start.e_phnum; i++) {
		uint64_t start = align_down(bias + ph[i].p_vaddr, PAGE_SIZE);
		uint64_t end = align_up(bias + ph[i].p_vaddr + ph[i].p_memsz, PAGE_SIZE);

		bool headers = ph[i].p_offset == 0 && !(ph[i].p_flags & (PF_W | PF_X));

		if (ph[i].p_type != PT_LOAD)
			continue;
		lo = start < lo ? start : lo;
		hi = end > hi ? end : hi;
		if (!headers && vma_set(&g->reserved, start, end, 0))
			return -ENOMEM;
	}
	/* The kernel may touch none of it for the program, headers included. */
	return lo < hi ? spans_add(lo, hi) : 0;
}

int mem_init(struct guest *g)
{
	uint64_t arena_start, arena_end;
	long pool;
	int r;

	/* Made before the program can leave holes: not from the arena. A
	 * PROT_NONE page at each end (hidden too), so that a kernel copy that
	 * starts in the program's memory stops there, as the arena's guards
	 * do (arena.c). */
	pool = raw_syscall6(SYS_mmap, 0, POOL_SIZE + 2 * PAGE_SIZE, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if ((pool < 0 && pool > -4096) ||
	    raw_syscall3(SYS_mprotect, pool + PAGE_SIZE, POOL_SIZE, PROT_READ | PROT_WRITE))
		return -ENOMEM;
	pool_start = pool_next = (uint8_t *)pool + PAGE_SIZE;
	pool_end = pool_next + POOL_SIZE;
	if (vma_set(&g->reserved, (uint64_t)pool, (uint64_t)pool_end + PAGE_SIZE, 0))
		return -ENOMEM;
	/* The runtime's own memory is invisible to the guest, as the pool is. */
	if (arena_range(&arena_start, &arena_end) == 0 &&
	    vma_set(&g->reserved, arena_start, arena_end, 0))
		return -ENOMEM;
	if ((r = hide_runtime_object(g)))
		return r;
	/* And the kernel may not touch any of it for the program (sysargs.c),
	 * the guards included: a program that mapped over one would have no guard. */
	if (spans_add(arena_start, arena_end) ||
	    spans_add((uint64_t)pool, (uint64_t)pool_end + PAGE_SIZE) || spans_seal_host_code())
		return -ENOMEM;
	if ((r = pt_init(&g->pt, pool_alloc, g)))
		return r;
	if ((r = read_maps(g)))
		return r;
	g->brk_end = raw_syscall1(SYS_brk, 0);
	g->brk_start = g->brk_end;
	for (size_t i = 0; i < g->vmas.n; i++)
		if (g->vmas.v[i].end == align_up(g->brk_end, PAGE_SIZE) &&
		    g->vmas.v[i].value == (PROT_READ | PROT_WRITE))
			g->brk_start = g->vmas.v[i].start;
	return 0; /* read_maps mirrored every mapping: all were new */
}

static void *reserve(struct guest *g, uint64_t p, uint64_t size, uint64_t pte_flags)
{
	if (vma_set(&g->reserved, p, p + size, pte_flags) ||
	    vma_set(&g->vmas, p, p + size, PROT_READ | PROT_WRITE) ||
	    covered_ensure(g, p, p + size) || sync_range(g, p, p + size))
		return NULL;
	return (void *)p;
}

void *mem_alloc_reserved(struct guest *g, uint64_t size, uint64_t pte_flags)
{
	uint64_t p = (uint64_t)raw_mmap(size, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1);

	return p ? reserve(g, p, size, pte_flags) : NULL;
}

int mem_reserved_flags(struct guest *g, void *p, uint64_t size, uint64_t pte_flags)
{
	return reserve(g, (uint64_t)p, size, pte_flags) ? 0 : -ENOMEM;
}

static void *alloc_stack(struct guest *g, struct vcpu *v, uint64_t magic)
{
	uint64_t size = HOST_STACK_SIZE;
	uint64_t p = (uint64_t)raw_mmap(2 * size, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1);
	uint64_t a = align_up(p, size);
	struct host_stack_base *base;

	if (!p)
		return NULL;
	/* Keep only the aligned half, so that sp & -size finds the base. */
	if (a > p)
		raw_munmap((void *)p, a - p);
	raw_munmap((void *)(a + size), p + size - a);
	if (!reserve(g, a, size, 0))
		return NULL;
	base = (struct host_stack_base *)a;
	base->vcpu = v;
	base->magic = magic;
	return (void *)a;
}

void *mem_alloc_host_stack(struct guest *g, struct vcpu *v)
{
	return alloc_stack(g, v, HOST_STACK_MAGIC);
}

void *mem_alloc_server_stack(struct guest *g, struct vcpu *v)
{
	return alloc_stack(g, v, SERVER_STACK_MAGIC);
}

int mem_mapped(struct guest *g, uint64_t start, uint64_t len, int prot)
{
	uint64_t end = start + align_up(len, PAGE_SIZE);

	if (vma_set(&g->vmas, start, end, prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -ENOMEM;
	return sync_range(g, start, end);
}

int mem_unmapped(struct guest *g, uint64_t start, uint64_t len)
{
	uint64_t end = start + align_up(len, PAGE_SIZE);

	if (vma_clear(&g->vmas, start, end))
		return -ENOMEM;
	return sync_range(g, start, end);
}

int mem_protected(struct guest *g, uint64_t start, uint64_t len, int prot)
{
	uint64_t end = start + align_up(len, PAGE_SIZE);

	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	/* Only what is mapped changes (the call succeeded, so that is all of it). */
	for (size_t i = vma_first_after(&g->vmas, start); i < g->vmas.n && g->vmas.v[i].start < end;
	     i++) {
		uint64_t s = g->vmas.v[i].start > start ? g->vmas.v[i].start : start;
		uint64_t e = g->vmas.v[i].end < end ? g->vmas.v[i].end : end;

		if (vma_set(&g->vmas, s, e, prot))
			return -ENOMEM;
		i = vma_first_after(&g->vmas, s);
	}
	return sync_range(g, start, end);
}

int mem_remapped(struct guest *g, uint64_t old, uint64_t old_len, uint64_t new_addr,
		 uint64_t new_len)
{
	const struct vma *v = vma_find(&g->vmas, old);
	int prot = v ? (int)v->value : PROT_READ | PROT_WRITE;
	int r;

	old_len = align_up(old_len, PAGE_SIZE);
	new_len = align_up(new_len, PAGE_SIZE);
	if (new_addr != old) {
		if ((r = mem_unmapped(g, old, old_len)))
			return r;
		return mem_mapped(g, new_addr, new_len, prot);
	}
	if (new_len < old_len)
		return mem_unmapped(g, old + new_len, old_len - new_len);
	return mem_mapped(g, old + old_len, new_len - old_len, prot);
}

int mem_brk_moved(struct guest *g, uint64_t new_end)
{
	uint64_t old = align_up(g->brk_end, PAGE_SIZE), now = align_up(new_end, PAGE_SIZE);
	int r = 0;

	if (now > old)
		r = mem_mapped(g, old, now - old, PROT_READ | PROT_WRITE);
	else if (now < old)
		r = mem_unmapped(g, now, old - now);
	g->brk_end = new_end;
	return r;
}

int mem_resync_exec(struct guest *g)
{
	int r;

	for (size_t i = 0; i < g->vmas.n; i++)
		if ((g->vmas.v[i].value & PROT_EXEC) &&
		    (r = sync_range(g, g->vmas.v[i].start, g->vmas.v[i].end)))
			return r;
	return 0;
}

uint64_t mem_root(const struct guest *g, const struct page_table *pt)
{
	uint64_t va = (uint64_t)pt->pml4;

	return g->pt.to_phys ? g->pt.to_phys(va) : va;
}

int mem_reload(struct guest *g, uint64_t start, uint64_t end)
{
	int r = read_maps(g);

	return r ? r : sync_range(g, start, end);
}

static int allows(int prot, uint64_t error)
{
	if (error & 0x2)
		return prot & PROT_WRITE;
	if (error & 0x10)
		return prot & PROT_EXEC;
	return prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
}

/* An access below [stack]: grow the stack the way the kernel would, by
 * touching the address from the host, within RLIMIT_STACK. */
static int grow_stack(struct guest *g, uint64_t addr)
{
	const struct vma *stack = g->stack_top ? vma_find(&g->vmas, g->stack_top - 1) : NULL;
	struct rlimit rl;

	if (!stack || addr >= stack->start || addr < stack->start - (64ull << 20))
		return 0;
	if (raw_syscall2(SYS_getrlimit, RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    addr < g->stack_top - rl.rlim_cur)
		return 0;
	(void)*(volatile char *)(uintptr_t)addr;
	return 1;
}

int mem_fault(struct guest *g, uint64_t addr, uint64_t error)
{
	const struct vma *v;

	if (addr >= USER_LIMIT || vma_find(&g->reserved, addr))
		return 0;
	grow_stack(g, addr);
	v = vma_find(&g->vmas, addr);
	/* Every syscall that changes protections goes through the runtime, so
	 * a mapping the mirror knows is up to date: the fault is the program's
	 * (an Appel-style protection trap, say). Only an address the mirror
	 * has no mapping for may be one the kernel made on its own. */
	if (v)
		return 0;
	if (read_maps(g))
		return 0;
	v = vma_find(&g->vmas, addr);
	if (!v || !allows((int)v->value, error))
		return 0;
	return sync_range(g, v->start, v->end) == 0;
}

static int user_access(struct guest *g, uint64_t addr, uint64_t len, int prot)
{
	uint64_t end = addr + len;

	if (end < addr || end > USER_LIMIT || spans_overlap(addr, len))
		return 0; /* spans: the runtime's, whatever the mirror says of them */
	for (uint64_t a = addr; a < end;) {
		const struct vma *v = vma_find(&g->vmas, a);

		if (!v || (v->value & prot) != (uint64_t)prot || vma_find(&g->reserved, a)) {
			/* Maybe a mapping the mirror has not seen yet, or stack to grow. */
			grow_stack(g, a);
			if (read_maps(g))
				return 0;
			v = vma_find(&g->vmas, a);
			if (!v || (v->value & prot) != (uint64_t)prot || vma_find(&g->reserved, a))
				return 0;
		}
		a = v->end;
	}
	return 1;
}

void mem_pool_range(uint64_t *start, uint64_t *end)
{
	*start = (uint64_t)pool_start;
	*end = (uint64_t)pool_end;
}

int mem_user_access(struct guest *g, uint64_t addr, uint64_t len, int prot)
{
	int ok;

	dune_lock(&g->lock);
	ok = user_access(g, addr, len, prot);
	dune_unlock(&g->lock);
	return ok;
}
