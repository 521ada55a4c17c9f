/* host_imports.c: see host_imports.h. */
#include "host_imports.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "rawsys.h"

#define PAGE 4096ul

/* preload/string.c */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
size_t strlen(const char *s);

__attribute__((noreturn)) static void stack_guard_changed(void)
{
	dune_fatal("the instruction decoder's stack guard changed while it ran: another thread "
		   "of the program wrote this thread's TLS");
}

__attribute__((noreturn)) static void decoder_assertion(const char *what, const char *file,
							 unsigned int line, const char *function)
{
	dune_fatal("internal error in the instruction decoder: %s:%u: %s: %s", file, line,
		   function, what);
}

static const struct {
	const char *name;
	void *to;
} bindings[] = {
	{ "memcpy", (void *)memcpy },
	{ "memset", (void *)memset },
	{ "strlen", (void *)strlen },
	{ "__stack_chk_fail", (void *)stack_guard_changed },
	{ "__assert_fail", (void *)decoder_assertion },
};

struct found {
	uintptr_t base, relro_start, relro_end;
	const ElfW(Dyn) *dynamic;
};

static int find_zydis(struct dl_phdr_info *info, size_t size, void *data)
{
	struct found *f = data;
	const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;

	(void)size;
	if (!base || strncmp(base + 1, "libZydis", 8))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_DYNAMIC)
			f->dynamic = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
		if (ph->p_type == PT_GNU_RELRO) {
			f->relro_start = info->dlpi_addr + ph->p_vaddr;
			f->relro_end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(PAGE - 1);
		}
	}
	f->base = info->dlpi_addr;
	return 1;
}

/* ld.so may have relocated .dynamic's addresses in place, or not. */
static uintptr_t address(const struct found *f, uintptr_t value)
{
	return value < f->base ? f->base + value : value;
}

static int rebind(const struct found *f, const ElfW(Rela) *rela, size_t count,
		  const ElfW(Sym) *symtab, const char *strtab)
{
	for (size_t i = 0; i < count; i++) {
		uint32_t type = ELF64_R_TYPE(rela[i].r_info), sym = ELF64_R_SYM(rela[i].r_info);
		const char *name = strtab + symtab[sym].st_name;
		uintptr_t slot = f->base + rela[i].r_offset, page = slot & ~(PAGE - 1);

		if (!sym || (type != R_X86_64_GLOB_DAT && type != R_X86_64_JUMP_SLOT))
			continue;
		for (size_t k = 0; k < sizeof(bindings) / sizeof(bindings[0]); k++) {
			if (strcmp(name, bindings[k].name))
				continue;
			/* Zydis is linked -z now: the slot is in RELRO, which
			 * ld.so made read-only; a GOT outside it would stay
			 * writable, and the runtime cannot use that library. */
			if (slot < f->relro_start || slot + sizeof(void *) > f->relro_end)
				return -EPERM;
			if (raw_syscall3(SYS_mprotect, page, PAGE, PROT_READ | PROT_WRITE))
				return -EACCES;
			*(void **)slot = bindings[k].to;
			raw_syscall3(SYS_mprotect, page, PAGE, PROT_READ);
		}
	}
	return 0;
}

int host_imports_bind(void)
{
	struct found f = { 0 };
	const ElfW(Rela) *rela = NULL, *jmprel = NULL;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	size_t relasz = 0, pltrelsz = 0;
	int r;

	if (!dl_iterate_phdr(find_zydis, &f) || !f.dynamic)
		return -ENOENT;
	for (const ElfW(Dyn) *d = f.dynamic; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB: symtab = (const ElfW(Sym) *)address(&f, d->d_un.d_ptr); break;
		case DT_STRTAB: strtab = (const char *)address(&f, d->d_un.d_ptr); break;
		case DT_RELA: rela = (const ElfW(Rela) *)address(&f, d->d_un.d_ptr); break;
		case DT_RELASZ: relasz = d->d_un.d_val; break;
		case DT_JMPREL: jmprel = (const ElfW(Rela) *)address(&f, d->d_un.d_ptr); break;
		case DT_PLTRELSZ: pltrelsz = d->d_un.d_val; break;
		}
	}
	if (!symtab || !strtab)
		return -ENOENT;
	if (rela && (r = rebind(&f, rela, relasz / sizeof(*rela), symtab, strtab)))
		return r;
	if (jmprel && (r = rebind(&f, jmprel, pltrelsz / sizeof(*jmprel), symtab, strtab)))
		return r;
	return 0;
}
