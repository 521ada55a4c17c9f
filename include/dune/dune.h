/* dune.h: the public interface of dune for programs that run under it:
 * dune_query(), and libdune, the privileged-features API. */
#ifndef DUNE_DUNE_H
#define DUNE_DUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* libdune builds with hidden as the default */

/* The identification syscall: it does not exist natively (ENOSYS there). */
#define DUNE_SYSCALL_QUERY 0x44554e45L /* "DUNE" */
#define DUNE_INFO_MAGIC    0x454e5544u /* the bytes "DUNE" in memory */
#define DUNE_INFO_VERSION  1u

enum dune_backend_kind {
	DUNE_BACKEND_KVM = 1,
	DUNE_BACKEND_DEV = 2,
};

struct dune_info {
	uint32_t magic;   /* DUNE_INFO_MAGIC */
	uint32_t version; /* DUNE_INFO_VERSION */
	uint32_t cpl;     /* the CPL the calling code runs at: 3 or 0 */
	uint32_t backend; /* enum dune_backend_kind */
	uint64_t vcpu;    /* id of the calling thread's vCPU, unique in the process */
	uint64_t exits;   /* exits taken so far on this vCPU */
};

/**
 * dune_query() - ask whether the caller runs under dune.
 * @info: filled in when the answer is yes.
 *
 * Return: 0 under dune, -1 with errno ENOSYS natively.
 */
int dune_query(struct dune_info *info);


/*
 * libdune: privileged features for programs that want them, after the
 * original Dune's libdune (Belay et al., OSDI 2012). Link with -ldune
 * (pkg-config dune). The program's own code is the "kernel" of its guest: it
 * owns the guest page tables, takes its own traps, and can run code in a
 * ring-3 "user mode" that sees only the pages it allows. Unlike the
 * original, the kernel part runs at guest CPL3 with its privileged
 * operations done by dune's runtime ("virtual ring 0"), so it runs at full
 * speed on every kind of host; see the README for the differences.
 */
typedef uint64_t ptent_t;

/* The runtime has its own names for the hardware bits (preload/pagetable.h). */
#ifndef DUNE_INSIDE_RUNTIME
#define PGSHIFT 12
#define PGSIZE  4096ul
#define PTE_P   0x001ull   /* present */
#define PTE_W   0x002ull   /* writable */
#define PTE_HW_U 0x004ull  /* the MMU's user bit: always set, the kernel part runs at CPL3 */
#define PTE_PWT 0x008ull
#define PTE_PCD 0x010ull
#define PTE_A   0x020ull   /* accessed: set by the MMU */
#define PTE_D   0x040ull   /* dirty: set by the MMU */
#define PTE_PS  0x080ull   /* a 2 MiB page (in a page directory entry) */
#define PTE_G   0x100ull
#define PTE_COW 0x200ull   /* free for software, as in the original */
#define PTE_U   0x800ull   /* user mode may access the page (dune_jump_to_user) */
#define PTE_USR1 0x4000000000000000ull /* free for software */
#define PTE_USR2 0x2000000000000000ull
#define PTE_USR3 0x1000000000000000ull
#define PTE_NX  0x8000000000000000ull
#define PTE_ADDR(pte) ((uint64_t)(pte) & 0x000ffffffffff000ull)
#define PTE_FLAGS(pte) ((uint64_t)(pte) & 0xfff0000000000fffull)
#endif

#define PERM_NONE  0x0000 /* no access */
#define PERM_R     0x0001 /* read */
#define PERM_W     0x0002 /* write */
#define PERM_X     0x0004 /* execute */
#define PERM_U     0x0008 /* user mode may access it */
#define PERM_UC    0x0010 /* uncachable */
#define PERM_COW   0x0020 /* sets PTE_COW */
#define PERM_USR1  0x1000
#define PERM_USR2  0x2000
#define PERM_USR3  0x4000
#define PERM_BIG   0x0100 /* 2 MiB pages */
#define PERM_BIG_1GB 0x0200 /* refused: 1 GiB guest pages do not work on every host */
#define PERM_SCODE  (PERM_R | PERM_X)
#define PERM_STEXT  (PERM_R | PERM_W)
#define PERM_SSTACK PERM_STEXT
#define PERM_UCODE  (PERM_R | PERM_U | PERM_X)
#define PERM_UTEXT  (PERM_R | PERM_U | PERM_W)
#define PERM_USTACK PERM_UTEXT

#define VA_START ((void *)0)
#define VA_END   ((void *)-1)

/* The registers of a trapped context, laid out as in the original. cs and
 * ss say the mode: 0x10/0x18 for the program's own ("kernel") code,
 * 0x33/0x2b for code run by dune_jump_to_user. */
struct dune_tf {
	uint64_t rdi, rsi, rdx, rcx, r8, r9, r10, r11;
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint64_t rax;  /* the syscall number on a syscall trap; its result after */
	uint32_t err;
	uint32_t pad1;
	uint64_t rip;
	uint16_t cs;
	uint16_t pad2[3];
	uint64_t rflags;
	uint64_t rsp;
	uint16_t ss;
	uint16_t pad3[3];
} __attribute__((packed));

#define ARG0(tf) ((tf)->rdi)
#define ARG1(tf) ((tf)->rsi)
#define ARG2(tf) ((tf)->rdx)
#define ARG3(tf) ((tf)->r10) /* the syscall ABI's fourth argument (the original said rcx) */
#define ARG4(tf) ((tf)->r8)
#define ARG5(tf) ((tf)->r9)

typedef void (*dune_intr_cb)(struct dune_tf *tf);
typedef void (*dune_pgflt_cb)(uintptr_t addr, uint64_t fec, struct dune_tf *tf);
typedef void (*dune_syscall_cb)(struct dune_tf *tf);
typedef int (*page_walk_cb)(const void *arg, ptent_t *ptep, void *va);

/* Page-fault error code bits (fec). */
#define FEC_P 0x1  /* the page was present: a protection fault */
#define FEC_W 0x2  /* a write */
#define FEC_U 0x4  /* in user mode */
#define FEC_I 0x10 /* an instruction fetch */

/* The root of the guest's page tables, set by dune_init. */
extern ptent_t *pgroot;

/**
 * dune_init() - make libdune ready: the process enters dune if it is not
 * under it yet, and the guest page tables become the program's to edit.
 * @map_full: ignored; the page tables always mirror every mapping of the process.
 *
 * Without LD_PRELOAD=libdunepre.so (or dune-run), loads the runtime with
 * dlopen, which moves the process into a guest there and then: call it
 * before making threads. DUNE_PRELOAD names the runtime, else it is looked
 * for beside libdune.so, then where dune was configured to be installed.
 * Return: 0, or -errno (-ENOSYS: no runtime could be loaded; one line on
 * stderr says why).
 */
int dune_init(bool map_full);

/**
 * dune_enter() - let the calling thread take part: its traps go to the
 * registered handlers and it may use dune_jump_to_user. Call it once in
 * every thread, and again in a forked child.
 *
 * Return: 0, or -errno.
 */
int dune_enter(void);

/**
 * dune_init_and_enter() - dune_init() and dune_enter() in one go.
 *
 * Return: 0, or -errno.
 */
static inline int dune_init_and_enter(void)
{
	int ret = dune_init(true);

	return ret ? ret : dune_enter();
}

/**
 * dune_flush_tlb() - make every page-table change so far take effect on the
 * calling thread's vCPU. dune_vm_* functions that remove or restrict access
 * call it themselves; a program that edits entries directly calls it after.
 */
void dune_flush_tlb(void);

/**
 * dune_flush_tlb_one() - dune_flush_tlb() for one address (it flushes all).
 * @addr: the address whose translation changed.
 */
void dune_flush_tlb_one(unsigned long addr);

/**
 * dune_va_to_pa() - the guest-physical address of memory of the process.
 * @ptr: an address mapped in the process.
 *
 * Return: the address to give dune_vm_map_phys (on the KVM backend, @ptr itself).
 */
uintptr_t dune_va_to_pa(void *ptr);

/**
 * dune_vm_map_phys() - map [@va, @va + @len) to guest-physical [@pa, @pa + @len).
 * @root: the page-table root (pgroot).
 * @va: page-aligned start.
 * @len: length in bytes, rounded up to pages.
 * @pa: guest-physical start (from dune_va_to_pa()).
 * @perm: PERM_* bits.
 *
 * Return: 0, or -errno (-EINVAL for PERM_BIG_1GB or misaligned 2 MiB pages).
 */
int dune_vm_map_phys(ptent_t *root, void *va, size_t len, void *pa, int perm);

/**
 * dune_vm_map_pages() - map fresh zeroed memory at [@va, @va + @len).
 * @root: the page-table root.
 * @va: page-aligned start.
 * @len: length in bytes, rounded up to pages.
 * @perm: PERM_* bits; must include PERM_R.
 *
 * The memory is visible only through the guest page tables, not to
 * syscalls. Return: 0, or -errno.
 */
int dune_vm_map_pages(ptent_t *root, void *va, size_t len, int perm);

/**
 * dune_vm_unmap() - remove the mappings of [@va, @va + @len) and flush.
 * @root: the page-table root.
 * @va: page-aligned start.
 * @len: length in bytes.
 */
void dune_vm_unmap(ptent_t *root, void *va, size_t len);

/**
 * dune_vm_mprotect() - change the permissions of the pages mapped in
 * [@va, @va + @len) of the guest page tables (not the host's), and flush.
 * @root: the page-table root.
 * @va: page-aligned start.
 * @len: length in bytes.
 * @perm: PERM_* bits; PERM_NONE makes the pages not present.
 *
 * A later mmap, munmap or mprotect of the same range by the host resets it
 * to the host's protections. Return: 0, or -errno (-EINVAL: write without read).
 */
int dune_vm_mprotect(ptent_t *root, void *va, size_t len, int perm);

/**
 * dune_vm_lookup() - find the entry that maps @va.
 * @root: the page-table root.
 * @va: the address.
 * @create: make the missing tables (then *@pte_out is a 4 KiB entry, maybe 0).
 * @pte_out: the entry, which the program may read (PTE_A, PTE_D) and write.
 *
 * Return: 0, -ENOENT (not mapped and @create is 0), or -errno.
 */
int dune_vm_lookup(ptent_t *root, void *va, int create, ptent_t **pte_out);

/**
 * dune_vm_page_walk() - call @cb for each present leaf entry over
 * [@start_va, @end_va] (inclusive, as in the original).
 * @root: the page-table root.
 * @start_va: first address.
 * @end_va: last address.
 * @cb: called with @arg, the entry (4 KiB, or 2 MiB with PTE_PS) and its
 *      address; it may change the entry. A nonzero return stops the walk.
 * @arg: passed to @cb.
 *
 * Return: 0, or what @cb returned.
 */
int dune_vm_page_walk(ptent_t *root, void *start_va, void *end_va, page_walk_cb cb,
		      const void *arg);

/**
 * dune_register_pgflt_handler() - call @cb for the program's page faults
 * (kernel or user mode) instead of raising SIGSEGV.
 * @cb: called with the address, the error code (FEC_*) and the trapped
 *      registers; when it returns, the faulting instruction runs again (or
 *      the context in tf, changed). NULL: back to signals.
 */
void dune_register_pgflt_handler(dune_pgflt_cb cb);

/**
 * dune_register_intr_handler() - call @cb for exception @vec (0-31 but 14,
 * which has its own handler) instead of raising the signal.
 * @vec: the vector; 13 (general protection) also sees privileged
 *       instructions dune did not emulate.
 * @cb: the handler; it must move tf->rip on for faults it wants to skip.
 *
 * Return: 0, or -EINVAL for a vector dune cannot route.
 */
int dune_register_intr_handler(int vec, dune_intr_cb cb);

/**
 * dune_register_syscall_handler() - call @cb for each syscall made in user
 * mode (dune_jump_to_user), in kernel mode on the kernel's stack.
 * @cb: the handler: it sets tf->rax to the result (dune_passthrough_syscall
 *      runs the call as is), or ends user mode with dune_ret_from_user().
 *      Without a handler, user-mode syscalls fail with ENOSYS.
 */
void dune_register_syscall_handler(dune_syscall_cb cb);

/**
 * dune_jump_to_user() - run @tf in user mode (ring 3), where only pages
 * with PTE_U are reachable, until a handler calls dune_ret_from_user().
 * @tf: where user mode starts: rip, rsp, rflags and the general registers.
 *
 * Signals are held while user mode runs. Return: the value given to
 * dune_ret_from_user(), or -errno if user mode could not start.
 */
int dune_jump_to_user(struct dune_tf *tf);

/**
 * dune_ret_from_user() - end user mode: the dune_jump_to_user() that
 * started it returns @ret. Call it from a handler of a user-mode trap.
 * @ret: what dune_jump_to_user() returns.
 */
void dune_ret_from_user(int ret) __attribute__((noreturn));

/**
 * dune_passthrough_syscall() - run the syscall in @tf (rax and the
 * arguments) on the host, as the program's own, and put the result in tf->rax.
 * @tf: the trapped syscall.
 */
void dune_passthrough_syscall(struct dune_tf *tf);

/**
 * dune_dump_trap_frame() - print @tf on stderr, one line of registers each.
 * @tf: the frame.
 */
void dune_dump_trap_frame(struct dune_tf *tf);

/**
 * dune_get_ticks() - the time stamp counter.
 *
 * Return: rdtsc's value.
 */
static inline unsigned long dune_get_ticks(void)
{
	return (unsigned long)__builtin_ia32_rdtsc();
}

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
