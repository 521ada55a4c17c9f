/* alloc.c: malloc and friends for the runtime's own code, on its hidden arena.
 *
 * libdunepre.so keeps state on the heap (the policy's tables, the policy
 * library's strings). In glibc's heap the program could write it, so the
 * link wraps libdunepre's malloc, calloc, realloc, free, strdup and strndup
 * to these (CMakeLists.txt): every block comes from the arena (arena.c),
 * which the guest cannot see. Programs and tools that use the policy
 * library keep libc's malloc.
 *
 * Kept simple: the runtime allocates little, mostly while it loads the
 * policy. Power-of-two size classes with a free list each; small blocks are
 * carved from chunks, blocks of a chunk or more get a mapping each, and
 * requests above the largest class a mapping of their own that free gives
 * back. Every block starts with a header that says its class. One spinlock:
 * libc's locks are syscall sites the guest may have rewritten (lock.h).
 */
#include "alloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "lock.h"
#include "rawsys.h"

#define MIN_SHIFT 4              /* 16-byte blocks, header included */
#define MAX_SHIFT 21             /* 2 MiB; larger requests get a mapping of their own */
#define CHUNK     (64ul << 10)   /* small blocks are carved from chunks this large */
#define PAGE      4096ul
#define MAGIC     0x64756e65616c6c6full /* "dunealloc" */
#define LARGE     0                      /* header.shift of a block with its own mapping */

/* 16 bytes, so that blocks keep malloc's 16-byte alignment. */
struct header {
	uint32_t shift;   /* the size class, or LARGE */
	uint32_t unused;
	uint64_t len;     /* the block's bytes, header included */
};

struct free_block {
	struct header h;
	struct free_block *next;
};

static struct dune_lock lock;
static struct free_block *free_lists[MAX_SHIFT + 1];
static char *chunk_next, *chunk_end;

_Static_assert(sizeof(struct header) == 16, "blocks keep malloc's alignment");

static void *map(size_t len)
{
	return raw_mmap(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
}

/* A block of class shift, off its free list or new. Called with the lock held. */
static struct header *take(unsigned shift)
{
	size_t size = 1ul << shift;
	struct header *h;

	if (free_lists[shift]) {
		struct free_block *b = free_lists[shift];

		free_lists[shift] = b->next;
		return &b->h;
	}
	if (size >= CHUNK)
		return map(size);
	if ((size_t)(chunk_end - chunk_next) < size) {
		/* The old chunk's rest is lost: at most one block of each class. */
		char *c = map(CHUNK);

		if (!c)
			return NULL;
		chunk_next = c;
		chunk_end = c + CHUNK;
	}
	h = (struct header *)chunk_next;
	chunk_next += size;
	return h;
}

void *dune_malloc(size_t n)
{
	unsigned shift = MIN_SHIFT;
	struct header *h;

	if (n > (1ul << MAX_SHIFT) - sizeof(*h)) {
		size_t len = (n + sizeof(*h) + PAGE - 1) & ~(PAGE - 1);

		if (len < n || !(h = map(len)))
			return NULL;
		*h = (struct header){ .shift = LARGE, .len = len };
		return h + 1;
	}
	while ((1ul << shift) < n + sizeof(*h))
		shift++;
	dune_lock(&lock);
	h = take(shift);
	dune_unlock(&lock);
	if (!h)
		return NULL;
	*h = (struct header){ .shift = shift, .len = 1ul << shift };
	return h + 1;
}

/* The header of a block of ours; anything else is a bug in the runtime. */
static struct header *header_of(void *p)
{
	struct header *h = (struct header *)p - 1;
	uint64_t start, end;

	if (arena_range(&start, &end) || (uint64_t)h < start || (uint64_t)h >= end ||
	    (h->shift != LARGE && (h->shift < MIN_SHIFT || h->shift > MAX_SHIFT)))
		__builtin_trap(); /* not from dune_malloc: freeing it would corrupt the lists */
	return h;
}

void alloc_fork_prepare(void)
{
	dune_lock(&lock); /* before the arena's: take() calls raw_mmap holding it */
	arena_fork_prepare();
}

void alloc_fork_done(void)
{
	arena_fork_done();
	dune_unlock(&lock);
}

void dune_free(void *p)
{
	struct header *h;
	struct free_block *b;

	if (!p)
		return;
	h = header_of(p);
	if (h->shift == LARGE) {
		raw_munmap(h, h->len);
		return;
	}
	b = (struct free_block *)h;
	dune_lock(&lock);
	b->next = free_lists[h->shift];
	free_lists[h->shift] = b;
	dune_unlock(&lock);
}

void *dune_calloc(size_t count, size_t size)
{
	size_t n;
	void *p;

	if (__builtin_mul_overflow(count, size, &n))
		return NULL;
	p = dune_malloc(n);
	if (p)
		memset(p, 0, n); /* a block from a free list is not */
	return p;
}

void *dune_realloc(void *p, size_t n)
{
	size_t room;
	void *q;

	if (!p)
		return dune_malloc(n);
	if (n == 0) { /* as glibc: free it */
		dune_free(p);
		return NULL;
	}
	room = header_of(p)->len - sizeof(struct header);
	if (n <= room)
		return p;
	q = dune_malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, room);
	dune_free(p);
	return q;
}

static char *copy_of(const char *s, size_t len)
{
	char *copy = dune_malloc(len + 1);

	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

char *dune_strndup(const char *s, size_t n)
{
	return copy_of(s, strnlen(s, n));
}

char *dune_strdup(const char *s)
{
	return copy_of(s, strlen(s));
}

/* libdunepre.so's own calls, redirected by the linker (-Wl,--wrap). */
void *__wrap_malloc(size_t n) { return dune_malloc(n); }
void *__wrap_calloc(size_t count, size_t size) { return dune_calloc(count, size); }
void *__wrap_realloc(void *p, size_t n) { return dune_realloc(p, n); }
void __wrap_free(void *p) { dune_free(p); }
char *__wrap_strdup(const char *s) { return dune_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return dune_strndup(s, n); }
