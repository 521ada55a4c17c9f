/* sandbox: run untrusted code at ring 3 and filter its syscalls.
 *
 *   sandbox [MODE...] [PLUGIN]   (modes: polite, snoop, leak, escape; default: all)
 *
 * The untrusted code is a plugin built without libc (untrusted.c), loaded
 * with dlopen (PLUGIN, a path with a slash, or untrusted.so next to this
 * program); its pages and a stack are the only ones marked PTE_U, so user
 * mode sees nothing else of the process. Every syscall it makes comes to
 * on_syscall, which lets write (to stdout, from the plugin's own memory),
 * getpid and exit through and fails the rest with EPERM. A fault in user
 * mode stops the run. Prints one line per decision and the end of each run.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dune/dune.h>

#define STACK_SIZE (64 * 1024)

static long secret = 0x5ec7e7;      /* the kernel's: user mode must not see it */
static const char *plugin_path;     /* the untrusted plugin, to mark its pages */

/* May user mode read [p, p + n)? Every page must have PTE_U. */
static int user_readable(uint64_t p, uint64_t n)
{
	for (uint64_t a = p & ~(PGSIZE - 1); a < p + n; a += PGSIZE) {
		ptent_t *pte;

		if (dune_vm_lookup(pgroot, (void *)a, 0, &pte) || !(*pte & PTE_P) || !(*pte & PTE_U))
			return 0;
	}
	return 1;
}

static void on_syscall(struct dune_tf *tf)
{
	switch (tf->rax) {
	case SYS_write:
		if (ARG0(tf) != 1 || !user_readable(ARG1(tf), ARG2(tf))) {
			printf("sandbox: write from %#lx refused: not the plugin's memory\n",
			       (unsigned long)ARG1(tf));
			fflush(stdout);
			tf->rax = (uint64_t)-EFAULT;
			return;
		}
		fflush(stdout); /* keep the order of the lines on stdout */
		dune_passthrough_syscall(tf);
		return;
	case SYS_getpid:
		dune_passthrough_syscall(tf);
		return;
	case SYS_exit:
	case SYS_exit_group:
		dune_ret_from_user((int)ARG0(tf));
	default:
		printf("sandbox: syscall %lu denied\n", (unsigned long)tf->rax);
		tf->rax = (uint64_t)-EPERM;
	}
}

static void on_fault(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	if (!(fec & FEC_U)) { /* the sandbox's own fault: a bug */
		dune_dump_trap_frame(tf);
		_exit(70);
	}
	printf("sandbox: user mode %s %#lx at rip %#lx: stopped\n", fec & FEC_W ? "wrote" : "read",
	       (unsigned long)addr, (unsigned long)tf->rip);
	dune_ret_from_user(-EFAULT);
}

static void on_gp(struct dune_tf *tf)
{
	printf("sandbox: user mode ran a privileged instruction at rip %#lx: stopped\n",
	       (unsigned long)tf->rip);
	dune_ret_from_user(-EPERM);
}

static int mark_plugin(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size, (void)arg;
	if (strcmp(info->dlpi_name, plugin_path))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t start = (info->dlpi_addr + ph->p_vaddr) & ~(PGSIZE - 1);
		uint64_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + PGSIZE - 1) & ~(PGSIZE - 1);
		int perm = PERM_R | PERM_U;

		if (ph->p_type != PT_LOAD)
			continue;
		perm |= ph->p_flags & PF_W ? PERM_W : 0;
		perm |= ph->p_flags & PF_X ? PERM_X : 0;
		if (dune_vm_mprotect(pgroot, (void *)start, end - start, perm))
			return -1;
	}
	return 1;
}

static int run(void (*entry)(long, uint64_t), long mode, const char *name, uint8_t *stack)
{
	struct dune_tf tf;
	int ret;

	memset(&tf, 0, sizeof(tf));
	tf.rip = (uint64_t)entry;
	tf.rsp = (uint64_t)stack + STACK_SIZE - 8; /* as after a call */
	tf.rflags = 0x2;
	tf.rdi = (uint64_t)mode;
	tf.rsi = (uint64_t)&secret;
	printf("run %s\n", name);
	fflush(stdout);
	ret = dune_jump_to_user(&tf);
	printf("run %s: ended with %d\n", name, ret);
	return ret;
}

int main(int argc, char **argv)
{
	static const char *const modes[] = { "polite", "snoop", "leak", "escape" };
	void (*entry)(long, uint64_t);
	uint8_t *stack;
	void *plugin;
	char path[4096];
	ssize_t n;

	if (dune_init_and_enter()) {
		fprintf(stderr, "sandbox: cannot enter dune\n");
		return 1;
	}
	/* The plugin sits next to this program, unless named. */
	n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	if (n <= 0)
		return 1;
	path[n] = 0;
	strcpy(strrchr(path, '/') + 1, "untrusted.so");
	if (argc > 1 && strchr(argv[argc - 1], '/'))
		snprintf(path, sizeof(path), "%s", argv[--argc]);
	plugin_path = path;
	plugin = dlopen(path, RTLD_NOW);
	entry = plugin ? (void (*)(long, uint64_t))dlsym(plugin, "untrusted_entry") : NULL;
	if (!entry) {
		fprintf(stderr, "sandbox: cannot load %s: %s\n", path, dlerror());
		return 1;
	}
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED || dl_iterate_phdr(mark_plugin, NULL) != 1 ||
	    dune_vm_mprotect(pgroot, stack, STACK_SIZE, PERM_R | PERM_W | PERM_U)) {
		fprintf(stderr, "sandbox: cannot set up user memory\n");
		return 1;
	}
	dune_register_syscall_handler(on_syscall);
	dune_register_pgflt_handler(on_fault);
	dune_register_intr_handler(13, on_gp);

	for (int i = 1; i < argc || (argc == 1 && i <= 4); i++) {
		const char *m = argc == 1 ? modes[i - 1] : argv[i];
		long mode = -1;

		for (long k = 0; k < 4; k++)
			if (!strcmp(m, modes[k]))
				mode = k;
		if (mode < 0) {
			fprintf(stderr, "sandbox: unknown mode %s\n", m);
			return 2;
		}
		run(entry, mode, m, stack);
	}
	printf("sandbox: secret still %#lx\n", secret);
	return 0;
}
