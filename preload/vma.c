/* vma.c: sorted disjoint ranges; see vma.h. */
#include "vma.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "rawsys.h"

static int reserve(struct vma_list *l, size_t need)
{
	struct vma *v;
	size_t cap;

	if (need <= l->cap)
		return 0;
	cap = l->cap ? l->cap * 2 : 256;
	while (cap < need)
		cap *= 2;
	v = raw_mmap(cap * sizeof(struct vma), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (!v)
		return -ENOMEM;
	if (l->n)
		memcpy(v, l->v, l->n * sizeof(struct vma));
	if (l->v)
		raw_munmap(l->v, l->cap * sizeof(struct vma));
	l->v = v;
	l->cap = cap;
	return 0;
}

void vma_free(struct vma_list *l)
{
	if (l->v)
		raw_munmap(l->v, l->cap * sizeof(struct vma));
	l->v = NULL;
	l->n = l->cap = 0;
}

size_t vma_first_after(const struct vma_list *l, uint64_t addr)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (l->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct vma *vma_find(const struct vma_list *l, uint64_t addr)
{
	size_t i = vma_first_after(l, addr);

	return i < l->n && l->v[i].start <= addr ? &l->v[i] : NULL;
}

/* Replace the ranges overlapping [start, end) by what is left of them outside
 * it, plus (when insert) the new range itself. */
static int replace(struct vma_list *l, uint64_t start, uint64_t end, int insert, uint64_t value)
{
	size_t first = vma_first_after(l, start), last = first;
	struct vma out[3];
	size_t k = 0;

	while (last < l->n && l->v[last].start < end)
		last++;
	if (first < last && l->v[first].start < start)
		out[k++] = (struct vma){ l->v[first].start, start, l->v[first].value };
	if (insert)
		out[k++] = (struct vma){ start, end, value };
	if (first < last && l->v[last - 1].end > end)
		out[k++] = (struct vma){ end, l->v[last - 1].end, l->v[last - 1].value };

	if (reserve(l, l->n - (last - first) + k))
		return -ENOMEM;
	memmove(&l->v[first + k], &l->v[last], (l->n - last) * sizeof(struct vma));
	memcpy(&l->v[first], out, k * sizeof(struct vma));
	l->n = l->n - (last - first) + k;
	return 0;
}

int vma_set(struct vma_list *l, uint64_t start, uint64_t end, uint64_t value)
{
	return start < end ? replace(l, start, end, 1, value) : 0;
}

int vma_clear(struct vma_list *l, uint64_t start, uint64_t end)
{
	return start < end ? replace(l, start, end, 0, 0) : 0;
}

static uint64_t parse_hex(const char **p, const char *end)
{
	uint64_t v = 0;

	for (; *p < end; (*p)++) {
		char c = **p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			break;
		v = v * 16 + d;
	}
	return v;
}

int vma_parse_maps(struct vma_list *l, const char *text, size_t len, uint64_t limit,
		   uint64_t *stack_end)
{
	const char *p = text, *end = text + len;

	l->n = 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		uint64_t start, stop;
		int prot = 0;

		if (!eol)
			eol = end;
		start = parse_hex(&p, eol);
		if (p >= eol || *p++ != '-')
			return -EINVAL;
		stop = parse_hex(&p, eol);
		if (p + 5 > eol || *p++ != ' ')
			return -EINVAL;
		if (p[0] == 'r')
			prot |= PROT_READ;
		if (p[1] == 'w')
			prot |= PROT_WRITE;
		if (p[2] == 'x')
			prot |= PROT_EXEC;
		if (stack_end && eol - p >= 7 && memcmp(eol - 7, "[stack]", 7) == 0)
			*stack_end = stop;
		if (start < limit && stop <= limit && vma_set(l, start, stop, prot))
			return -ENOMEM;
		p = eol + 1;
	}
	return 0;
}
