/* loader.c: see loader.h. */
#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "backend.h"
#include "guest.h"
#include "memory.h"
#include "procdir.h"
#include "rawsys.h"

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
	if (r || g->backend->load_cr3(v, mem_root(g, &g->pt)))
		vcpu_die(g, v, "cannot give the program's code its execute permission back");
	enforce_fill_filter(g);
	return true;
}

/* What glibc's ld.so calls to find, open and map libraries: nothing that
 * acts on other processes or outlives the call. (Its error messages are
 * writes of names the program chose: judged as the program's.) */
static const short loader_calls[] = {
	SYS_open, SYS_openat, SYS_read, SYS_pread64, SYS_close, SYS_fstat, SYS_newfstatat,
	SYS_stat, SYS_lstat, SYS_statx, SYS_access, SYS_faccessat, SYS_faccessat2, SYS_mmap,
	SYS_munmap, SYS_mprotect, SYS_brk, SYS_readlink, SYS_readlinkat, SYS_getcwd,
	SYS_exit_group,
};

/* An open for reading only, as ld.so's are. */
static bool read_only_open(long nr, const struct guest_regs *r)
{
	long flags = (long)(nr == SYS_open ? r->rsi : r->rdx);

	return (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_CREAT | O_TRUNC | __O_TMPFILE));
}

/* Is the file at fd one ld.so loads: an ELF file, or its cache? */
static bool loadable(long fd)
{
	static const char *const magic[] = { "\177ELF", "glibc-ld.so.cache", "ld.so-1.7.0" };
	char head[20] = { 0 };

	if (raw_syscall6(SYS_pread64, fd, (long)head, sizeof(head), 0, 0, 0) < 4)
		return false;
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if (!memcmp(head, magic[i], strlen(magic[i])))
			return true;
	return false;
}

bool loader_syscall(struct guest *g, struct vcpu *v, long nr, const struct policy_syscall *rule)
{
	bool open = nr == SYS_open || nr == SYS_openat;
	bool judged = rule->action != POLICY_SYS_ALLOW || rule->trace;
	long fd;

	if (!syscall_listed(loader_calls, sizeof(loader_calls) / sizeof(loader_calls[0]), nr) ||
	    (open && judged && !read_only_open(nr, v->regs)))
		return false;
	syscall_execute(g, v);
	fd = (long)v->regs->rax;
	if (!open || !judged || fd < 0 || loadable(fd))
		return true;
	/* Not a library: the policy answers (refuses, or traces and opens
	 * again), as it would have for the program. */
	raw_syscall1(SYS_close, fd);
	procdir_after(SYS_close, (const long[6]){ fd }, 0);
	v->regs->rax = (uint64_t)nr;
	syscall_enforced(g, v, rule);
	return true;
}
