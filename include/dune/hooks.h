/* hooks.h: the plugin interface of page-fault and exception hooks named in a dune policy (LIB.so:SYMBOL). */
#ifndef DUNE_HOOKS_H
#define DUNE_HOOKS_H

#include <stdint.h>

/*
 * A policy names a hook as LIB.so:SYMBOL, in [pagefault] "hook = ..." or as
 * "hook:LIB.so:SYMBOL" for an exception in [exceptions]. The runtime
 * dlopen()s LIB.so before the program starts and looks up SYMBOL, a
 * function of type dune_hook_fn, and the plugin's dune_hooks_version
 * (declare it with DUNE_HOOKS_PLUGIN). A plugin without it, or built for
 * another DUNE_HOOKS_VERSION, is a policy error: the program does not start.
 *
 * The hook runs in the program's thread that faulted, in guest mode, with
 * that thread's signals blocked. It may read and write the program's memory
 * and make system calls (they go through the policy like the program's).
 * It must not fault itself: a fault inside a hook kills the process with
 * the signal of that fault. Keep it short and async-signal-safe, as a signal
 * handler would be.
 */

/* Changes whenever a struct or enum below changes incompatibly. */
#define DUNE_HOOKS_VERSION 1

/**
 * struct dune_hook_regs - the general registers of the faulting thread
 *
 * On entry, the state at the fault: rip points at the faulting instruction
 * (for traps such as breakpoint and debug, after it, as the CPU reports).
 * A hook may change any of them; the runtime resumes with them as the hook
 * leaves them, on RETRY and SKIP. rflags: only the arithmetic flags, TF, DF
 * and AC take a hook's changes; the rest stay as the runtime needs them.
 */
struct dune_hook_regs {
	uint64_t rax, rbx, rcx, rdx;
	uint64_t rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11;
	uint64_t r12, r13, r14, r15;
	uint64_t rip;
	uint64_t rflags;
};

/**
 * struct dune_hook_fault - what a hook receives
 * @version: DUNE_HOOKS_VERSION of the runtime that calls
 * @size: sizeof(struct dune_hook_fault) in that runtime; fields may be added at the end
 * @vector: the x86 exception vector: 14 for a page fault, 13 general protection, 6 invalid opcode...
 * @signo: the signal SIGNAL and KILL deliver: on entry the one a native run would get
 *         (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP); the hook may change it
 * @error_code: the error code the CPU pushed (for page faults bit 0 present, 1 write,
 *              2 user, 4 instruction fetch), 0 for vectors without one
 * @addr: for page faults, the address that faulted (CR2); 0 for the other vectors
 * @insn_len: for SKIP, how many bytes after @regs.rip the program resumes. 0 on entry:
 *            the runtime does not decode the instruction. A hook that sets @regs.rip
 *            itself leaves it 0.
 * @regs: the registers, which the hook may change
 */
struct dune_hook_fault {
	uint32_t version;
	uint32_t size;
	uint32_t vector;
	int32_t signo;
	uint64_t error_code;
	uint64_t addr;
	uint32_t insn_len;
	uint32_t reserved;
	struct dune_hook_regs regs;
};

/**
 * enum dune_hook_result - what the runtime does when the hook returns
 * @DUNE_HOOK_RETRY: the hook fixed the cause (mapped the page, say); run the
 *                   faulting instruction again, at @regs.rip
 * @DUNE_HOOK_SIGNAL: deliver @signo to the program as the kernel would, so its
 *                    handler runs or the default action takes place
 * @DUNE_HOOK_KILL: end the process by @signo, whatever its handlers (the parent sees it die of that signal)
 * @DUNE_HOOK_SKIP: continue after the instruction, at @regs.rip + @insn_len
 *                  (@insn_len 0: the hook set @regs.rip itself)
 */
enum dune_hook_result {
	DUNE_HOOK_RETRY = 0,
	DUNE_HOOK_SIGNAL = 1,
	DUNE_HOOK_KILL = 2,
	DUNE_HOOK_SKIP = 3,
};

/**
 * typedef dune_hook_fn - the type of SYMBOL in LIB.so:SYMBOL
 * @fault: the fault; valid only during the call
 *
 * Return: what the runtime does next. Any other value is taken as DUNE_HOOK_KILL.
 */
typedef enum dune_hook_result (*dune_hook_fn)(struct dune_hook_fault *fault);

/*
 * Put DUNE_HOOKS_PLUGIN; once in a plugin: it exports the version the
 * runtime checks before it calls any hook of the plugin.
 */
#define DUNE_HOOKS_PLUGIN \
	__attribute__((visibility("default"))) const uint32_t dune_hooks_version = DUNE_HOOKS_VERSION

#endif
