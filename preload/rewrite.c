/* rewrite.c: rewrite a syscall site, once seen, into a direct exit.
 *
 * `syscall` (0f 05) becomes `outb %al, $PORT_SYSCALL_SITE` (e6 d2): same
 * length, so no other instruction moves, and the exit leaves the guest from
 * the program's own CPL without the LSTAR stub. Zydis confirms that the bytes
 * at the site decode as exactly one 2-byte syscall before anything is written.
 */
#include <Zydis/Zydis.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "arch.h"
#include "fds.h"
#include "guest.h"
#include "rawsys.h"

#define SEEN_SLOTS 4096   /* open addressing; sites beyond this are simply not cached */
#define MAX_REWRITTEN 8192 /* beyond this, sites keep going through the stub */

static uint64_t seen[SEEN_SLOTS];
static uint64_t rewritten[MAX_REWRITTEN];
static int nr_rewritten;
static ZydisDecoder decoder;
static int mem_fd = -1;

void rewrite_init(void)
{
	ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
}

/* Returns 1 the first time a site is seen. */
static int first_sight(uint64_t site)
{
	uint64_t h = (site * 0x9e3779b97f4a7c15ull) >> 52;

	for (int probe = 0; probe < 8; probe++) {
		uint64_t *s = &seen[(h + probe) % SEEN_SLOTS];

		if (*s == site)
			return 0;
		if (*s == 0) {
			*s = site;
			return 1;
		}
	}
	return 1;
}

static int is_plain_syscall(const struct vma *v, uint64_t site)
{
	ZydisDecodedInstruction insn;
	uint64_t avail = v->end - site;

	if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(&decoder, NULL, (const void *)site,
						      avail < 15 ? avail : 15, &insn)))
		return 0;
	return insn.mnemonic == ZYDIS_MNEMONIC_SYSCALL && insn.length == 2;
}

void rewrite_site(struct guest *g, struct vcpu *v, uint64_t site)
{
	static const uint8_t exit_insn[2] = { 0xe6, PORT_SYSCALL_SITE };
	const struct vma *vma = vma_find(&g->vmas, site);

	/* Another thread may run the site while it changes: never let the two
	 * bytes straddle a cache line, where the store could tear. */
	if (nr_rewritten >= MAX_REWRITTEN || (site & 63) == 63 || !first_sight(site) ||
	    !vma || site + 2 > vma->end ||
	    (vma->value & (PROT_READ | PROT_EXEC)) != (PROT_READ | PROT_EXEC) ||
	    vma_find(&g->reserved, site) || !is_plain_syscall(vma, site))
		return;
	if (mem_fd < 0)
		mem_fd = fd_protect((int)raw_syscall3(SYS_open, "/proc/self/mem", O_RDWR | O_CLOEXEC, 0));
	/* /proc/self/mem writes through the page protection, breaking COW like a
	 * debugger's breakpoint: the file on disk is never touched. */
	if (mem_fd >= 0 && raw_syscall6(SYS_pwrite64, mem_fd, (long)exit_insn, 2, site, 0, 0) == 2) {
		rewritten[nr_rewritten++] = site;
		v->stats.sites_rewritten++;
	}
}

void rewrite_after_fork(void)
{
	/* The inherited descriptor writes into the parent's memory. */
	if (mem_fd >= 0) {
		raw_syscall1(SYS_close, mem_fd);
		fd_forget(mem_fd);
	}
	mem_fd = -1;
}

void rewrite_undo_all(void)
{
	static const uint8_t syscall_insn[2] = { 0x0f, 0x05 };

	for (int i = 0; i < nr_rewritten; i++)
		raw_syscall6(SYS_pwrite64, mem_fd, (long)syscall_insn, 2, rewritten[i], 0, 0);
	nr_rewritten = 0;
}
