/* hook_fixup.so: a test hook plugin that fixes a write to a read-only page
 * by making the page writable (mprotect, from the guest) and retrying. */
#include <stdint.h>
#include <sys/mman.h>

#include <dune/hooks.h>

DUNE_HOOKS_PLUGIN;

__attribute__((visibility("default"))) enum dune_hook_result make_writable(struct dune_hook_fault *f)
{
	uintptr_t page = f->addr & ~(uintptr_t)4095;

	if (f->vector != 14 || !(f->error_code & 2) || !page)
		return DUNE_HOOK_SIGNAL;
	if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE))
		return DUNE_HOOK_SIGNAL;
	return DUNE_HOOK_RETRY;
}

/* For an exception: step over a ud2 (2 bytes) and go on. */
__attribute__((visibility("default"))) enum dune_hook_result skip_ud2(struct dune_hook_fault *f)
{
	const uint8_t *insn = (const uint8_t *)f->regs.rip;

	if (f->vector != 6 || insn[0] != 0x0f || insn[1] != 0x0b)
		return DUNE_HOOK_SIGNAL;
	f->insn_len = 2;
	return DUNE_HOOK_SKIP;
}
