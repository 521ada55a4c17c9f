/* loader.c: see loader.h. */
#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "backend.h"
#include "guest.h"
#include "memory.h"
#include "prefilter.h"

/* The executable segments of ld.so and of dune's audit module. */
static struct { uint64_t start, end; } code[2];
static int nr_code;

static void add_code(uint64_t base, const ElfW(Phdr) *ph, int n)
{
	for (int i = 0; i < n && nr_code < 2; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
			code[nr_code].start = (base + ph[i].p_vaddr) & ~4095ull;
			code[nr_code].end = (base + ph[i].p_vaddr + ph[i].p_memsz + 4095) & ~4095ull;
			nr_code++;
		}
}

static int find_audit_module(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *name = info->dlpi_name, *slash = strrchr(name, '/');

	(void)size, (void)data;
	if (strcmp(slash ? slash + 1 : name, "libduneaudit.so"))
		return 0;
	add_code(info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum);
	return 1;
}

int loader_phase_begin(struct guest *g)
{
	uint64_t base = getauxval(AT_BASE); /* ld.so, as the kernel loaded it */
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;

	if (!base)
		return -ENOENT;
	add_code(base, (const ElfW(Phdr) *)(base + eh->e_phoff), eh->e_phnum);
	dl_iterate_phdr(find_audit_module, NULL);
	if (nr_code != 2)
		return -ENOENT;
	g->loader_phase = true;
	return 0;
}

bool loader_withholds_exec(const struct guest *g, uint64_t start, uint64_t end)
{
	if (!g->loader_phase)
		return false;
	for (int i = 0; i < nr_code; i++)
		if (start >= code[i].start && end <= code[i].end)
			return false;
	return true;
}

bool loader_phase_end(struct guest *g, struct vcpu *v, uint64_t error, uint64_t addr)
{
	int r;

	if (!g->loader_phase || !(error & 0x10) || !mem_user_access(g, addr, 1, PROT_EXEC))
		return false; /* not ours: the program's own fault, as ever */
	dune_lock(&g->lock);
	g->loader_phase = false;
	r = mem_resync_exec(g);
	dune_unlock(&g->lock);
	/* Stale non-executable translations would fault again: flush them. */
	if (r || g->backend->load_cr3(v, mem_root(g)))
		vcpu_die(g, v, "cannot give the program's code its execute permission back");
	enforce_fill_filter(g);
	return true;
}

bool loader_passes(const struct guest *g, long nr)
{
	return g->loader_phase && prefilter_exempt(nr);
}
