/* memory.c: what the address space costs: first touches, TLB-missing walks,
 * and mapping churn. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "worker.h"

#define PAGE 4096L

/* Anonymous private memory in 4 KiB pages: transparent huge pages would
 * turn most first touches into no fault at all, and a walk into a short one. */
static char *map_small_pages(size_t size, int flags, char *why, size_t len)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	if (p == MAP_FAILED) {
		snprintf(why, len, "mmap of %zu bytes: %s", size, strerror(errno));
		return NULL;
	}
	madvise(p, size, MADV_NOHUGEPAGE);
	return p;
}

/* Write the first byte of each of n fresh pages; time per page. */
static int touch_fresh_pages(long n, double *ns, char *why, size_t len)
{
	char *p = map_small_pages(n * PAGE, 0, why, len);
	double t0;

	if (!p)
		return MEASURE_FAILED;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		((volatile char *)p)[i * PAGE] = 1;
	*ns = (now_ns() - t0) / n;
	munmap(p, n * PAGE);
	return MEASURE_OK;
}

int measure_page_fault(long iterations, double *ns_per_op, char *why, size_t len)
{
	double warm;

	if (touch_fresh_pages(iterations / 10 + 16, &warm, why, len))
		return MEASURE_FAILED;
	return touch_fresh_pages(iterations, ns_per_op, why, len);
}

/* A small, fixed pseudo-random sequence: the walk order must defeat the
 * prefetchers but be the same in every run and on both sides. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

#define WALK_STRIDE (16 * PAGE) /* one page in 16: a region far larger than the TLB reaches */
#define WALK_PASSES 8

/* Read one word in each of `iterations` pages spread over a region 16 times
 * larger, in a shuffled order, after faulting them all in: each read then
 * costs a TLB miss and a page-table walk (two-dimensional in a guest). */
int measure_pt_walk(long iterations, double *ns_per_op, char *why, size_t len)
{
	size_t size = (size_t)iterations * WALK_STRIDE;
	char *p = map_small_pages(size, MAP_NORESERVE, why, len);
	uint32_t *order;
	uint64_t seed = 0x9e3779b97f4a7c15ull, sum = 0;
	double t0;

	if (!p)
		return MEASURE_FAILED;
	order = (uint32_t *)map_small_pages(iterations * sizeof(*order), 0, why, len);
	if (!order)
		return MEASURE_FAILED;
	for (long i = 0; i < iterations; i++)
		order[i] = (uint32_t)i;
	for (long i = iterations - 1; i > 0; i--) {
		long j = (long)(next_random(&seed) % (uint64_t)(i + 1));
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (long i = 0; i < iterations; i++) /* fault in; also the warm-up */
		((volatile uint64_t *)(p + i * WALK_STRIDE))[0] = (uint64_t)i;
	t0 = now_ns();
	for (int pass = 0; pass < WALK_PASSES; pass++)
		for (long i = 0; i < iterations; i++)
			sum += ((volatile uint64_t *)(p + (size_t)order[i] * WALK_STRIDE))[0];
	*ns_per_op = (now_ns() - t0) / ((double)iterations * WALK_PASSES);
	munmap(p, size);
	munmap(order, iterations * sizeof(*order));
	/* sum = passes * (0 + 1 + ... + n-1): check it, so the reads cannot go. */
	if (sum != (uint64_t)WALK_PASSES * (uint64_t)iterations * (uint64_t)(iterations - 1) / 2) {
		snprintf(why, len, "the walk read wrong values (sum %llu)", (unsigned long long)sum);
		return MEASURE_FAILED;
	}
	return MEASURE_OK;
}

#define CHURN_SIZE (16 * PAGE)

/* mmap 64 KiB, write one byte, munmap: what an allocator does for big
 * blocks, and what dune must mirror into the guest each time. */
static int churn(long n, double *ns, char *why, size_t len)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		char *p = mmap(NULL, CHURN_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			snprintf(why, len, "mmap: %s", strerror(errno));
			return MEASURE_FAILED;
		}
		((volatile char *)p)[0] = 1;
		munmap(p, CHURN_SIZE);
	}
	*ns = (now_ns() - t0) / n;
	return MEASURE_OK;
}

int measure_mmap_churn(long iterations, double *ns_per_op, char *why, size_t len)
{
	double warm;

	if (churn(iterations / 10 + 10, &warm, why, len))
		return MEASURE_FAILED;
	return churn(iterations, ns_per_op, why, len);
}
