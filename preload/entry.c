/* entry.c: the constructor of libdunepre.so, which moves the process into the guest.
 *
 * Order: settings, backend, memory, descriptor tables, vCPU; then the thread
 * switches to a private host stack and its registers become the vCPU's, so the
 * constructor returns, in the guest, to whatever called it (enter.S).
 */
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <dune/dune.h>

#include "backend.h"
#include "cpu.h"
#include "fds.h"
#include "forward.h"
#include "guest.h"
#include "host_imports.h"
#include "loader.h"
#include "log.h"
#include "memory.h"
#include "platform.h"
#include "prefilter.h"
#include "rawsys.h"
#include "runtime_files.h"
#include "signals.h"
#include "startup_only.h"

struct guest dune_guest;
static struct vcpu main_vcpu;
static struct cpu_setup main_setup;
static uint8_t main_fpu[4096] __attribute__((aligned(64)));

/* enter.S: the constructor's caller as it will be once the constructor
 * returns (callee-saved registers, rip, rsp): where the guest starts. */
struct guest_regs dune_entry_regs;
void *dune_init_stack(void);
void dune_preload_init(void);
__attribute__((noreturn)) void dune_enter_guest(struct guest_regs *regs, void *host_stack_top,
						void (*host_loop)(struct guest_regs *regs));

/* DUNE_BACKEND decides; unset, the module wins where it is loaded. NULL,
 * with why filled, when the chosen backend cannot be used. */
static const struct backend_ops *pick_backend(const struct dune_config *cfg, char *why, size_t len)
{
	const struct backend_ops *b;

	if (cfg->backend)
		b = strcmp(cfg->backend, "dev") ? &kvm_backend : &dev_backend;
	else
		b = raw_syscall2(SYS_access, "/dev/dune", F_OK) == 0 ? &dev_backend : &kvm_backend;
	return b->open(why, len) ? NULL : b;
}

static void host_main(struct guest_regs *regs)
{
	struct guest *g = &dune_guest;
	/* The platform's probe may have made the vCPU already. */
	int r = main_vcpu.backend_state ? g->backend->vcpu_reset(&main_vcpu, &main_setup, regs)
					: g->backend->vcpu_create(&main_vcpu, &main_setup, regs);

	if (r)
		dune_fatal("cannot create the vCPU: %s", strerror(-r));
	vcpu_loop(g, &main_vcpu);
}

/* The stack the constructor's work runs on (enter.S): in the arena, which
 * the guest cannot see. On the program's stack, the policy files' text, the
 * log's path and the like would stay below the program's rsp for it to read.
 * It stays mapped once the guest runs: the host stacks take over. NULL: stay
 * on the program's. */
#define INIT_STACK_SIZE (256u << 10)

void *dune_init_stack(void)
{
	uint8_t *p = raw_mmap(INIT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	return p ? p + INIT_STACK_SIZE : NULL;
}

/* Called by the constructor, dune_preload_constructor (enter.S), on that stack. */
void dune_preload_init(void)
{
	struct guest *g = &dune_guest;
	struct guest_regs *regs = &dune_entry_regs;
	int saved_errno = errno;
	const char *unconfinable;
	char why[512];
	uint8_t *host_stack;
	struct dune_info info;
	int r;

	/* A second copy of the runtime (the program's LD_PRELOAD or dlopen
	 * names it) runs in the guest: the first one answers for the process. */
	if (raw_syscall1(DUNE_SYSCALL_QUERY, &info) == 0)
		return;
	g->start_ns = raw_now_ns();
	g->start_tsc = __builtin_ia32_rdtsc();
	config_load(&g->cfg);
	enforce_load(g);
	g->report_fd = 2;
	if (g->cfg.report) {
		long fd = raw_syscall3(SYS_fcntl, 2, F_DUPFD_CLOEXEC, 0);

		if (fd >= 0)
			g->report_fd = fd_protect((int)fd);
	}
	g->backend = pick_backend(&g->cfg, why, sizeof(why));
	if (!g->backend) {
		enforce_backend_unavailable(g, why); /* returns only to run natively */
		errno = saved_errno;
		return;
	}
	rewrite_init();
	enforce_init(g);
	runtime_files_init();
	if ((r = host_imports_bind()))
		dune_fatal("cannot bind the instruction decoder's calls into libc to the runtime's own: %s",
			   strerror(-r));
	if ((unconfinable = exec_init(environ))) {
		enforce_backend_unavailable(g, unconfinable); /* returns only to run natively */
		errno = saved_errno;
		return;
	}
	/* Entered through LD_AUDIT, only ld.so has run: until the program's
	 * first instruction, the policy lets the loader's work through. */
	if (exec_entered_by_audit() && (r = loader_phase_begin(g)))
		dune_fatal("cannot find ld.so's code and dune's audit module: %s", strerror(-r));
	if ((r = mem_init(g)))
		dune_fatal("cannot mirror this process's memory into the guest: %s", strerror(-r));
	if ((r = cpu_init(g)))
		dune_fatal("cannot build the guest's descriptor tables: %s", strerror(-r));
	if ((r = cpu_detect_platform(g, &main_vcpu))) {
		snprintf(why, sizeof(why), "this KVM does not behave like any host dune knows "
			 "(its probe failed: %s); report it with the output of "
			 "dmesg | grep -i kvm", strerror(-r));
		enforce_backend_unavailable(g, why);
		errno = saved_errno;
		return;
	}
	if (g->cfg.ring == 0 && !platform_ring0_usable(&g->platform)) {
		enforce_backend_unavailable(g, "ring 0 (DUNE_RING=0 or the policy's ring = 0) cannot "
					    "run here: this host's KVM emulates CPL0 code and cannot "
					    "run a program there (a PVM host); ring 3, the default, works");
		errno = saved_errno;
		return;
	}
	if (enforce_confines(g) && (r = prefilter_install(&g->policy))) {
		snprintf(why, sizeof(why), "cannot install the seccomp filter that holds the policy "
			 "in the code that runs before dune enters: %s", strerror(-r));
		enforce_backend_unavailable(g, why);
		errno = saved_errno;
		return;
	}
	if ((r = cpu_init_entry(g)))
		dune_fatal("cannot build the guest's syscall entry: %s", strerror(-r));
	enforce_init_filter(g);
	forward_init(g);

	raw_syscall2(SYS_arch_prctl, ARCH_GET_FS, &main_vcpu.fs_base);
	raw_syscall2(SYS_arch_prctl, ARCH_GET_GS, &main_vcpu.gs_base);
	main_vcpu.id = 0;
	if ((r = cpu_setup_vcpu(g, &main_vcpu, &main_setup)))
		dune_fatal("cannot set up the vCPU: %s", strerror(-r));
	if (cpu_capture_fpu(main_fpu) == 0)
		main_setup.xsave = main_fpu;
	g->main_vcpu = &main_vcpu;
	g->all_vcpus = &main_vcpu;
	g->setup = &main_setup;
	g->live_threads = 1;

	/* The host side's stack is invisible to the guest (PTE flags 0). */
	host_stack = mem_alloc_host_stack(g, &main_vcpu);
	if (!host_stack)
		dune_fatal("cannot allocate the host stack");
	main_vcpu.host_stack = host_stack;
	main_vcpu.host_tid = raw_syscall0(SYS_gettid);
	main_vcpu.sig.interrupted_nr = -1;
	/* Handlers run on host stacks only: none until the vCPU loop runs. */
	main_vcpu.sig.start_mask = signal_block_all();
	signal_init(g);

	errno = saved_errno;
	regs->rflags = 0x202;
	/* From here on libc's state is the program's to write. */
	dune_program_started = true;
	dune_enter_guest(regs, host_stack + HOST_STACK_SIZE, host_main);
}
