/* entry.c: dune_init and dune_enter, and the address translations.
 *
 * A program linked with libdune may start under dune (LD_PRELOAD, dune-run)
 * or not: dune_init then loads libdunepre.so with dlopen, whose constructor
 * moves the process into a guest right there, and returns in it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "local.h"

ptent_t *pgroot;
bool libdune_identity HIDDEN;
uint32_t libdune_xsave_size HIDDEN;

static bool under_dune(void)
{
	struct dune_info info;

	return dune_query(&info) == 0 && info.magic == DUNE_INFO_MAGIC;
}

/* DUNE_PRELOAD names the runtime, as for dune-run; else the installed one,
 * else the one of this build tree. */
static int load_runtime(void)
{
	const char *paths[] = { getenv("DUNE_PRELOAD"), DUNE_PRELOAD_INSTALLED, DUNE_PRELOAD_BUILD };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (paths[i] && *paths[i] && dlopen(paths[i], RTLD_NOW | RTLD_GLOBAL))
			return under_dune() ? 0 : -ENOSYS;
	return -ENOSYS;
}

static uint32_t xsave_size(void)
{
	uint32_t a, b, c, d;

	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
	return b;
}

int dune_init(bool map_full)
{
	struct libdune_init in = { .version = LIBDUNE_ABI_VERSION,
				   .trap_entry = (uint64_t)(uintptr_t)libdune_trap_entry };
	long r;

	(void)map_full;
	if (!under_dune() && (r = load_runtime()))
		return (int)r;
	libdune_xsave_size = xsave_size();
	if ((r = libdune_request(LIBDUNE_INIT, (uint64_t)(uintptr_t)&in)))
		return (int)r;
	libdune_identity = in.identity;
	pgroot = (ptent_t *)(uintptr_t)in.root;
	return 0;
}

int dune_enter(void)
{
	return (int)libdune_request(LIBDUNE_ENTER, 0);
}

void dune_flush_tlb(void)
{
	libdune_request(LIBDUNE_FLUSH_TLB, 0);
}

void dune_flush_tlb_one(unsigned long addr)
{
	(void)addr;
	libdune_request(LIBDUNE_FLUSH_TLB, 0);
}

uintptr_t dune_va_to_pa(void *ptr)
{
	if (libdune_identity)
		return (uintptr_t)ptr;
	return (uintptr_t)libdune_request(LIBDUNE_VA_TO_PA, (uint64_t)(uintptr_t)ptr);
}

void *libdune_pa_to_va(uint64_t pa)
{
	/* One 2 MiB-granular entry saves a request per table step on the
	 * dev backend, whose windows keep 2 MiB alignment. */
	static uint64_t cached_pa = 1, cached_va;

	if (libdune_identity)
		return (void *)(uintptr_t)pa;
	if ((pa & ~0x1fffffull) != cached_pa) {
		cached_va = (uint64_t)libdune_request(LIBDUNE_PA_TO_VA, pa & ~0x1fffffull);
		cached_pa = pa & ~0x1fffffull;
	}
	return (void *)(uintptr_t)(cached_va + (pa & 0x1fffff));
}
