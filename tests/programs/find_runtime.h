/* find_runtime.h: where libdunepre.so, and the libraries it runs on the
 * host, are in this process, for the attacks that aim at them, whichever
 * way dune entered: through LD_PRELOAD the runtime is in the program's
 * namespace, through LD_AUDIT in one of its own, which dl_iterate_phdr does
 * not show. ld.so's list of every namespace (r_debug_extended, glibc 2.35)
 * is found through the executable's DT_DEBUG: the program's _r_debug is a
 * copy. An object's ELF header and program headers are readable, the
 * runtime's too. */
#ifndef FIND_RUNTIME_H
#define FIND_RUNTIME_H

#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

extern ElfW(Dyn) _DYNAMIC[] __attribute__((weak)); /* none in a static build */

static inline struct r_debug_extended *loader_debug(void)
{
	for (ElfW(Dyn) *d = _DYNAMIC; d && d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_DEBUG)
			return (struct r_debug_extended *)d->d_un.d_ptr;
	return NULL;
}

/* The object whose path contains name in the namespace of libdunepre.so:
 * its load address and program headers; 0 natively or when not there. */
static inline uintptr_t find_in_runtime_namespace(const char *name, const ElfW(Phdr) **phdrs,
						  int *n)
{
	for (struct r_debug_extended *d = loader_debug(); d;
	     d = d->base.r_version >= 2 ? d->r_next : NULL) {
		struct link_map *l, *found = NULL;
		bool runtime = false;

		for (l = d->base.r_map; l; l = l->l_next) {
			runtime |= l->l_name && strstr(l->l_name, "/libdunepre.so") != NULL;
			if (!found && l->l_name && strstr(l->l_name, name))
				found = l;
		}
		if (runtime && found) {
			const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)found->l_addr;

			*phdrs = (const ElfW(Phdr) *)(found->l_addr + eh->e_phoff);
			*n = eh->e_phnum;
			return found->l_addr;
		}
	}
	return 0;
}

static inline uintptr_t find_runtime(const ElfW(Phdr) **phdrs, int *n)
{
	return find_in_runtime_namespace("/libdunepre.so", phdrs, n);
}

#endif
