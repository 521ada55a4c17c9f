/* entry.c: dune_init and dune_enter, and the address translations.
 *
 * A program linked with libdune may start under dune (LD_PRELOAD, dune-run)
 * or not: dune_init then loads libdunepre.so with dlopen, whose constructor
 * moves the process into a guest right there, and returns in it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
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

/* libdunepre.so in the directory this libdune was loaded from: an install
 * under any prefix finds its own runtime. NULL if that cannot be told. */
static const char *beside_libdune(char *buf, size_t len)
{
	Dl_info info;
	const char *slash;

	/* A static function: its address is this object's, never a PLT entry. */
	if (!dladdr((void *)beside_libdune, &info) || !info.dli_fname)
		return NULL;
	slash = strrchr(info.dli_fname, '/');
	if (!slash)
		return NULL;
	snprintf(buf, len, "%.*s/libdunepre.so", (int)(slash - info.dli_fname), info.dli_fname);
	return buf;
}

/* DUNE_PRELOAD names the runtime, as for dune-run, and then only it is
 * tried; else the one beside libdune, the installed one, the build tree's.
 * A failure says why on one line: dune_init's -ENOSYS alone tells nothing. */
static int load_runtime(void)
{
	char beside[PATH_MAX], why[1024] = "";
	const char *env = getenv("DUNE_PRELOAD");
	const char *paths[] = { beside_libdune(beside, sizeof(beside)), DUNE_PRELOAD_INSTALLED,
				DUNE_PRELOAD_BUILD };
	size_t n = sizeof(paths) / sizeof(paths[0]), used = 0;

	if (env && *env) {
		paths[0] = env;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *err;

		if (!paths[i])
			continue;
		if (dlopen(paths[i], RTLD_NOW | RTLD_GLOBAL)) {
			if (under_dune())
				return 0;
			fprintf(stderr, "dune: %s was loaded but did not move the process into dune\n",
				paths[i]);
			return -ENOSYS;
		}
		err = dlerror();
		used += snprintf(why + used, sizeof(why) - used, "%s%s", used ? "; " : "",
				 err ? err : paths[i]);
		if (used >= sizeof(why))
			break;
	}
	fprintf(stderr, "dune: dune_init cannot load the runtime: %s\n", why);
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
