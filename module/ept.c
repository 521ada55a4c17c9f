// SPDX-License-Identifier: GPL-2.0
/*
 * ept.c: guest-physical memory is the process's own virtual memory.
 *
 * EPT starts empty. A guest access to an unmapped guest-physical address
 * exits with an EPT violation; its window (see uapi.h) gives the host-virtual
 * address, and the page behind it is
 * found with get_user_pages, as a fault of the process would find it, and
 * mapped with 4 KiB entries. Each entry holds a page reference, dropped when
 * the MMU notifier says the host mapping changes (munmap, mprotect, COW,
 * reclaim, migration), after every CPU has flushed the old translation.
 * Pages are referenced, not pinned: the notifier keeps EPT coherent, so the
 * memory stays movable.
 */
#define pr_fmt(fmt) "dune: " fmt

#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <asm/vmx.h>

#include "dune.h"

#define EPT_R		(1ull << 0)
#define EPT_W		(1ull << 1)
#define EPT_X		(1ull << 2)
#define EPT_MT_WB	(6ull << 3)
#define EPT_MT_UC	(0ull << 3)
#define EPT_REF		(1ull << 52) /* software: the entry holds a page reference */
#define EPT_PFN_MASK	GENMASK_ULL(51, 12)
#define EPT_TABLE	(EPT_R | EPT_W | EPT_X)
#define EPT_ENTRIES	512
#define ZAP_BATCH	64

static unsigned int ept_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & (EPT_ENTRIES - 1);
}

int dune_ept_init(struct dune_vm *vm)
{
	vm->windows = kvmalloc_array(dune_nr_windows, sizeof(u64), GFP_KERNEL_ACCOUNT);
	if (!vm->windows)
		return -ENOMEM;
	memset(vm->windows, 0xff, dune_nr_windows * sizeof(u64)); /* DUNE_NO_WINDOW */
	vm->ept_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->ept_root)
		return -ENOMEM;
	vm->eptp = VMX_EPTP_MT_WB | VMX_EPTP_PWL_4 | __pa(vm->ept_root);
	return 0;
}

/* Zeroed pages for the tables one fault may need, allocated outside the lock. */
struct ept_spares {
	u64 *page[3];
	int n;
};

static int spares_fill(struct ept_spares *s)
{
	while (s->n < ARRAY_SIZE(s->page)) {
		s->page[s->n] = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!s->page[s->n])
			return -ENOMEM;
		s->n++;
	}
	return 0;
}

static void spares_free(struct ept_spares *s)
{
	while (s->n)
		free_page((unsigned long)s->page[--s->n]);
}

/* The leaf entry for gpa, making missing tables from spares. ept_lock is held. */
static u64 *ept_leaf(struct dune_vm *vm, u64 gpa, struct ept_spares *s)
{
	u64 *table = vm->ept_root;

	for (int level = 3; level > 0; level--) {
		u64 *e = &table[ept_index(gpa, level)];

		if (!(*e & EPT_TABLE))
			WRITE_ONCE(*e, __pa(s->page[--s->n]) | EPT_TABLE);
		table = __va(*e & EPT_PFN_MASK);
	}
	return &table[ept_index(gpa, 0)];
}

/* A page the process has no struct page for (VM_PFNMAP: [vvar], device memory). */
static int lookup_pfnmap(struct mm_struct *mm, unsigned long hva, bool write,
			 unsigned long *pfn, bool *writable)
{
	struct vm_area_struct *vma;
	int r = -EFAULT;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, hva);
	if (!vma || !(vma->vm_flags & (VM_IO | VM_PFNMAP)) || (write && !(vma->vm_flags & VM_WRITE)))
		goto out;
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
	r = follow_pfn(vma, hva, pfn);
	if (r) {
		bool unlocked = false;

		/* Not faulted in yet: fault it in as the process would, and look again. */
		r = fixup_user_fault(mm, hva, write ? FAULT_FLAG_WRITE : 0, &unlocked);
		if (unlocked)
			r = -EAGAIN; /* the vma may be gone: let the guest retry */
		else if (!r)
			r = follow_pfn(vma, hva, pfn);
	}
	*writable = write;
#endif
out:
	mmap_read_unlock(mm);
	return r;
}

int dune_set_window(struct dune_vm *vm, const struct dune_window *w)
{
	u64 size = 1ull << dune_window_shift;

	if (w->index >= dune_nr_windows || w->pad || w->hva & (size - 1) ||
	    w->hva >= TASK_SIZE_MAX)
		return -EINVAL;
	/* Once set, a window stays: EPT entries and guest page tables rely on it. */
	if (cmpxchg(&vm->windows[w->index], DUNE_NO_WINDOW, w->hva) != DUNE_NO_WINDOW)
		return -EBUSY;
	return 0;
}

int dune_ept_fault(struct dune_vm *vm, u64 gpa, bool write)
{
	struct ept_spares spares = { .n = 0 };
	u64 *e, entry, base;
	struct page *page = NULL;
	unsigned long hva, pfn, seq;
	bool writable = false;
	int r;

	if (gpa >= dune_gpa_limit())
		return -EFAULT;
	base = READ_ONCE(vm->windows[gpa >> dune_window_shift]);
	if (base == DUNE_NO_WINDOW)
		return -EFAULT;
	hva = (base + (gpa & ((1ull << dune_window_shift) - 1))) & PAGE_MASK;
again:
	seq = READ_ONCE(vm->mmu_seq);
	smp_rmb(); /* read the sequence before looking at the process's page tables */

	/* Writable if the process already has it writable; else as the access needs. */
	if (get_user_page_fast_only(hva, FOLL_WRITE, &page)) {
		writable = true;
	} else if (get_user_pages_unlocked(hva, 1, &page, write ? FOLL_WRITE : 0) == 1) {
		writable = write;
	} else {
		page = NULL;
		r = lookup_pfnmap(vm->mm, hva, write, &pfn, &writable);
		if (r == -EAGAIN)
			return 0;
		if (r)
			return -EFAULT;
	}
	if (page)
		pfn = page_to_pfn(page);

	if (spares_fill(&spares)) {
		if (page)
			put_page(page);
		spares_free(&spares);
		return -ENOMEM;
	}
	spin_lock(&vm->ept_lock);
	if (vm->mmu_busy || vm->mmu_seq != seq) {
		/* The mapping changed while we looked: look again. */
		spin_unlock(&vm->ept_lock);
		if (page)
			put_page(page);
		cond_resched();
		goto again;
	}
	e = ept_leaf(vm, gpa, &spares);
	entry = ((u64)pfn << PAGE_SHIFT) | EPT_R | EPT_X | (writable ? EPT_W : 0) |
		(pfn_valid(pfn) ? EPT_MT_WB : EPT_MT_UC) | (page ? EPT_REF : 0);
	if (*e & EPT_REF) /* replacing a read-only mapping of the same address */
		put_page(pfn_to_page((*e & EPT_PFN_MASK) >> PAGE_SHIFT));
	WRITE_ONCE(*e, entry);
	spin_unlock(&vm->ept_lock);
	spares_free(&spares);
	return 0;
}

/*
 * Clear up to ZAP_BATCH leaves in [*start, end), collecting their pages.
 * Moves *start past what it cleared. Returns how many leaves it cleared.
 */
static int zap_some(struct dune_vm *vm, u64 *start, u64 end, struct page **pages, int *npages)
{
	u64 gpa = *start;
	int cleared = 0;

	while (gpa < end && *npages < ZAP_BATCH) {
		u64 *table = vm->ept_root, *e = NULL;
		int level;

		for (level = 3; level > 0; level--) {
			e = &table[ept_index(gpa, level)];
			if (!(*e & EPT_TABLE))
				break;
			table = __va(*e & EPT_PFN_MASK);
		}
		if (level > 0) {
			/* No table below this entry: skip what it would cover. */
			u64 span = 1ull << (12 + 9 * level);

			gpa = (gpa & ~(span - 1)) + span;
			continue;
		}
		e = &table[ept_index(gpa, 0)];
		if (*e) {
			if (*e & EPT_REF)
				pages[(*npages)++] = pfn_to_page((*e & EPT_PFN_MASK) >> PAGE_SHIFT);
			WRITE_ONCE(*e, 0);
			cleared++;
		}
		gpa += PAGE_SIZE;
	}
	*start = gpa;
	return cleared;
}

/* Unmap guest-physical [start, end) from EPT; pages are released only after the flush. */
static void ept_zap(struct dune_vm *vm, u64 start, u64 end)
{
	struct page *pages[ZAP_BATCH];

	end = min(end, dune_gpa_limit());
	while (start < end) {
		int npages = 0, cleared;

		spin_lock(&vm->ept_lock);
		cleared = zap_some(vm, &start, end, pages, &npages);
		spin_unlock(&vm->ept_lock);
		if (cleared)
			dune_invept(vm);
		while (npages)
			put_page(pages[--npages]);
	}
}

static void free_table(u64 *table, int level)
{
	for (int i = 0; level > 0 && i < EPT_ENTRIES; i++)
		if (table[i] & EPT_TABLE)
			free_table(__va(table[i] & EPT_PFN_MASK), level - 1);
	free_page((unsigned long)table);
}

/* Unmap what shows host-virtual [start, end), window by window. */
static void ept_zap_hva(struct dune_vm *vm, u64 start, u64 end)
{
	u64 size = 1ull << dune_window_shift;

	for (u32 i = 0; i < dune_nr_windows; i++) {
		u64 base = READ_ONCE(vm->windows[i]);
		u64 s = max(start, base), e = min(end, base + size);

		if (base != DUNE_NO_WINDOW && s < e)
			ept_zap(vm, ((u64)i << dune_window_shift) + (s - base),
				((u64)i << dune_window_shift) + (e - base));
	}
}

void dune_ept_free(struct dune_vm *vm)
{
	if (vm->ept_root) {
		ept_zap(vm, 0, dune_gpa_limit());
		free_table(vm->ept_root, 3);
		vm->ept_root = NULL;
	}
	kvfree(vm->windows);
	vm->windows = NULL;
}

static int dune_mn_invalidate_start(struct mmu_notifier *mn,
				    const struct mmu_notifier_range *range)
{
	struct dune_vm *vm = container_of(mn, struct dune_vm, mn);

	spin_lock(&vm->ept_lock);
	vm->mmu_busy++;
	spin_unlock(&vm->ept_lock);
	ept_zap_hva(vm, range->start, range->end);
	return 0;
}

static void dune_mn_invalidate_end(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct dune_vm *vm = container_of(mn, struct dune_vm, mn);

	spin_lock(&vm->ept_lock);
	vm->mmu_seq++;
	vm->mmu_busy--;
	spin_unlock(&vm->ept_lock);
}

/* The address space is going away (exit_mmap): drop every page now. */
static void dune_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct dune_vm *vm = container_of(mn, struct dune_vm, mn);

	ept_zap(vm, 0, dune_gpa_limit());
}

const struct mmu_notifier_ops dune_mmu_notifier_ops = {
	.invalidate_range_start = dune_mn_invalidate_start,
	.invalidate_range_end = dune_mn_invalidate_end,
	.release = dune_mn_release,
};
