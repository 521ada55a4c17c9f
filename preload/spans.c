/* spans.c: see spans.h. */
#include "spans.h"

#include <errno.h>
#include <link.h>
#include <string.h>

#define MAX_SPANS 32

struct span {
	uint64_t start, end;
};

static struct span spans[MAX_SPANS];
static int nr_spans;
static struct span sealed[MAX_SPANS];
static int nr_sealed;

int spans_add(uint64_t start, uint64_t end)
{
	int n = __atomic_load_n(&nr_spans, __ATOMIC_ACQUIRE);

	if (start >= end)
		return 0;
	if (n == MAX_SPANS)
		return -ENOSPC;
	spans[n] = (struct span){ start, end };
	__atomic_store_n(&nr_spans, n + 1, __ATOMIC_RELEASE);
	return 0;
}

static bool overlap(const struct span *list, const int *count, uint64_t addr, uint64_t len)
{
	int n = __atomic_load_n(count, __ATOMIC_ACQUIRE);
	/* A range that wraps reaches everything above addr. */
	uint64_t end = len && addr + len > addr ? addr + len : len ? UINT64_MAX : addr + 1;

	for (int i = 0; i < n; i++)
		if (addr < list[i].end && end > list[i].start)
			return true;
	return false;
}

bool spans_overlap(uint64_t addr, uint64_t len)
{
	return overlap(spans, &nr_spans, addr, len);
}

bool spans_sealed(uint64_t addr, uint64_t len)
{
	return overlap(sealed, &nr_sealed, addr, len);
}

bool spans_next(uint64_t from, uint64_t to, uint64_t *start, uint64_t *end)
{
	int n = __atomic_load_n(&nr_spans, __ATOMIC_ACQUIRE);
	bool found = false;

	for (int i = 0; i < n; i++) {
		uint64_t s = spans[i].start > from ? spans[i].start : from;
		uint64_t e = spans[i].end < to ? spans[i].end : to;

		if (s < e && (!found || s < *start)) {
			*start = s, *end = e;
			found = true;
		}
	}
	return found;
}

/* The libraries libdunepre.so calls into, by the start of their names. */
static const char *const host_libraries[] = {
	"ld-linux", "libc.so", "libZydis", "libgcc_s",
};

bool spans_host_library(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;

	base = base ? base + 1 : path;
	for (size_t k = 0; base && k < sizeof(host_libraries) / sizeof(host_libraries[0]); k++)
		if (!strncmp(base, host_libraries[k], strlen(host_libraries[k])))
			return true;
	return false;
}

static int seal_object(struct dl_phdr_info *info, size_t size, void *unused)
{
	const char *file = info->dlpi_name;

	(void)size, (void)unused;
	if (!spans_host_library(file))
		return 0;
	file = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t s = (info->dlpi_addr + ph->p_vaddr) & ~4095ull;
		uint64_t e = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~4095ull;
		int n = nr_sealed;

		/* Code, and the GOT that code jumps through (RELRO:
		 * read-only, unless the program could mprotect it). Not
		 * ld.so's RELRO: entered through LD_AUDIT, ld.so protects
		 * it itself, in the guest, and the host side calls no
		 * function of ld.so's once the guest runs. */
		bool relro = ph->p_type == PT_GNU_RELRO && strncmp(file, "ld-linux", 8);

		if (!(ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) && !relro)
			continue;
		if (n == MAX_SPANS)
			return -1;
		sealed[n] = (struct span){ s, e };
		__atomic_store_n(&nr_sealed, n + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

int spans_seal_host_code(void)
{
	return dl_iterate_phdr(seal_object, NULL) ? -ENOSPC : 0;
}
