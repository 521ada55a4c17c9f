/* escape_memory.c: attempts on the runtime's memory and on the libc state
 * the runtime uses, one per subcommand; each prints what happened, so that
 * the tests (escape_memory_test.c) can hold it to the threat model.
 *
 *   unmapped             read a page the program unmapped: the reference
 *                        for what a hidden page must look like
 *   mappings DIR         read and write every page of libdunepre.so that
 *                        /proc/self/maps shows, then mkdir(DIR)
 *   symbols DIR          the same at its .dynamic, .got, .data, .bss and
 *                        dune_guest (the guest state: policy, backend),
 *                        found from the ELF file's own tables, then mkdir(DIR)
 *   heap REVERSED        look for a string (given reversed, so that argv
 *                        does not hold it) in every page the program can read
 *   below-pool           read(2) from /dev/zero into the page right below the
 *                        runtime's page-table pool, 4 KiB past its end: the
 *                        kernel's copy must stop where the page ends
 *   printf MARKER        take over printf's %d, %s and %c with handlers that
 *                        create the file MARKER, then getpid and exit: the
 *                        runtime's trace lines and report must not call them
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <printf.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static sigjmp_buf on_fault;
static volatile int fault_signo, fault_code;
static void *volatile fault_addr;

static void fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_signo = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(on_fault, 1);
}

static void catch_faults(void)
{
	struct sigaction sa = { .sa_sigaction = fault, .sa_flags = SA_SIGINFO | SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static const char *code_name(int sig, int code)
{
	if (sig == SIGSEGV && code == SEGV_MAPERR)
		return "SEGV_MAPERR";
	if (sig == SIGSEGV && code == SEGV_ACCERR)
		return "SEGV_ACCERR";
	return "another code";
}

/* One access, read or write, and how it ended: "ok" or the signal it gave. */
static void try_access(const char *what, uintptr_t addr, int write)
{
	volatile uint8_t *p = (volatile uint8_t *)addr;

	fault_signo = 0;
	if (sigsetjmp(on_fault, 1) == 0) {
		if (write)
			*p = 0;
		else
			(void)*p;
		printf("%s %s: ok\n", what, write ? "write" : "read");
		return;
	}
	printf("%s %s: %s %s, %s\n", what, write ? "write" : "read",
	       fault_signo == SIGSEGV ? "SIGSEGV" : "another signal", code_name(fault_signo, fault_code),
	       fault_addr == (void *)addr ? "at the address" : "elsewhere");
}

static void try_mkdir(const char *dir)
{
	int r = mkdir(dir, 0755);

	printf("mkdir after the attempts: %s\n", r == 0 ? "made" : strerror(errno));
}

/* The mappings of libdunepre.so; returns how many, and the file's path. */
struct mapping {
	uintptr_t start, end, offset;
	char perms[5];
};

static int runtime_mappings(struct mapping *m, int max, char *path, size_t path_len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct mapping x;
		char file[4096] = "";

		if (sscanf(line, "%lx-%lx %4s %lx %*s %*s %4095s", &x.start, &x.end, x.perms, &x.offset,
			   file) < 4)
			continue;
		if (!strstr(file, "/libdunepre.so"))
			continue;
		snprintf(path, path_len, "%s", file);
		m[n++] = x;
	}
	fclose(f);
	return n;
}

static int mappings(const char *dir)
{
	struct mapping m[32];
	char path[4096], what[128];
	int n = runtime_mappings(m, 32, path, sizeof(path));

	printf("libdunepre.so mappings: %d\n", n);
	for (int i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "mapping %s offset %#lx", m[i].perms, m[i].offset);
		try_access(what, m[i].start, 0);
		try_access(what, m[i].end - 1, 0);
		try_access(what, m[i].start, 1);
	}
	try_mkdir(dir);
	return 0;
}

/* Read the ELF file of libdunepre.so: where its sections and dune_guest are. */
static int symbols(const char *dir)
{
	struct mapping m[32];
	char path[4096];
	int n = runtime_mappings(m, 32, path, sizeof(path)), fd;
	uintptr_t base = 0;
	struct stat st;
	uint8_t *elf;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *names;

	printf("dlsym dune_guest: %s\n", dlsym(RTLD_DEFAULT, "dune_guest") ? "found" : "not found");
	for (int i = 0; i < n; i++)
		if (m[i].offset == 0 && !base)
			base = m[i].start;
	if (!base || (fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) ||
	    (elf = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		printf("libdunepre.so: not mapped\n");
		return 0;
	}
	eh = (const Elf64_Ehdr *)elf;
	sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
	names = (const char *)elf + sh[eh->e_shstrndx].sh_offset;
	for (int i = 0; i < eh->e_shnum; i++) {
		const char *name = names + sh[i].sh_name;

		if (!strcmp(name, ".dynamic") || !strcmp(name, ".got") || !strcmp(name, ".data") ||
		    !strcmp(name, ".bss")) {
			try_access(name, base + sh[i].sh_addr, 0);
			try_access(name, base + sh[i].sh_addr, 1);
		}
		if (sh[i].sh_type == SHT_SYMTAB) {
			const Elf64_Sym *sym = (const Elf64_Sym *)(elf + sh[i].sh_offset);
			const char *str = (const char *)elf + sh[sh[i].sh_link].sh_offset;

			for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++) {
				if (strcmp(str + sym[k].st_name, "dune_guest"))
					continue;
				/* The policy is in it: zeros would allow everything. */
				try_access("dune_guest", base + sym[k].st_value, 0);
				for (size_t b = 0; b < sym[k].st_size; b += 64)
					try_access("dune_guest", base + sym[k].st_value + b, 1);
				printf("dune_guest: %lu bytes tried\n", (unsigned long)sym[k].st_size);
			}
		}
	}
	try_mkdir(dir);
	return 0;
}

/* Search one mapping page by page, for want elsewhere than at want and
 * control. Returns -1 if its first page is hidden (the whole mapping is
 * then taken as hidden: the runtime's ranges are mappings of their own),
 * else the matches. */
static int search(uintptr_t start, uintptr_t end, const char *want, const char *control, int report)
{
	size_t len = strlen(want);
	volatile uintptr_t p = start;
	volatile int seen = 0, found = 0;

	if (sigsetjmp(on_fault, 1)) {
		if (!seen)
			return -1;
		p += 4096; /* a hidden page inside: go on after it */
	}
	for (; p < end; p += 4096) {
		/* Matches that start in this page, even if they end in the next. */
		size_t n = end - p < 4096 + len - 1 ? end - p : 4096 + len - 1;
		const char *s = (const char *)p, *hit;

		(void)*(volatile const char *)p;
		seen = 1;
		while ((hit = memmem(s, n - (size_t)(s - (const char *)p), want, len))) {
			if (hit != want && hit != control) {
				found++;
				if (report)
					printf("found at %p\n", (const void *)hit);
			}
			s = hit + 1;
		}
	}
	return found;
}

static int heap(const char *reversed)
{
	size_t len = strlen(reversed);
	char *want = malloc(len + 1), *control, line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0, hidden = 0, control_seen = 0;

	for (size_t i = 0; i < len; i++)
		want[i] = reversed[len - 1 - i];
	want[len] = '\0';
	/* A copy in the program's heap shows that the search finds what is there. */
	control = strdup(want);
	while (f && fgets(line, sizeof(line), f)) {
		uintptr_t start, end;
		char perms[5], file[4096] = "";
		int r;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %4095s", &start, &end, perms, file) < 3 ||
		    perms[0] != 'r' || !strcmp(file, "[vvar]") || !strcmp(file, "[vvar_vclock]") ||
		    !strcmp(file, "[vsyscall]"))
			continue;
		if ((uintptr_t)control >= start && (uintptr_t)control < end)
			control_seen = search(start, end, want, NULL, 0) > 0;
		r = search(start, end, want, control, 1);
		if (r < 0)
			hidden++;
		else
			found += r;
	}
	printf("control found: %s\n", control_seen ? "yes" : "no");
	printf("hidden mappings: %s\n", hidden ? "some" : "none");
	printf("found elsewhere: %d\n", found);
	return 0;
}

/* The page-table pool: 1 GiB, read-write, anonymous, with a PROT_NONE page
 * below it (preload/memory.c). Its address, or 0. */
static uintptr_t find_pool(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	uintptr_t start, end, guard_end = 0, pool = 0;
	char line[4096], perms[5];

	while (f && fgets(line, sizeof(line), f) && !pool) {
		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3)
			continue;
		if (!strcmp(perms, "rw-p") && end - start == 1ul << 30 && start == guard_end &&
		    !strchr(line, '/') && !strchr(line, '['))
			pool = start;
		guard_end = !strcmp(perms, "---p") && end - start == 4096 ? end : 0;
	}
	if (f)
		fclose(f);
	return pool;
}

static int below_pool(void)
{
	uintptr_t pool = find_pool(), page;
	int fd = open("/dev/zero", O_RDONLY);
	char saved[16];
	void *p;
	ssize_t r;

	if (!pool) {
		printf("no page-table pool\n");
		return 0;
	}
	/* The page below the guard: the program's own, a new one, or where
	 * the program's libraries came after the runtime (through LD_AUDIT)
	 * one of theirs, whose last bytes are put back after. */
	page = pool - 2 * 4096;
	p = mmap((void *)page, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)page && mprotect((void *)page, 4096, PROT_READ | PROT_WRITE)) {
		printf("the page below the pool is taken\n");
		return 0;
	}
	memcpy(saved, (char *)page + 4096 - 16, 16);
	r = read(fd, (char *)page + 4096 - 16, 16 + 4096);
	memcpy((char *)page + 4096 - 16, saved, 16);
	printf("read into the last 16 bytes of the page and 4096 past it: %s\n",
	       r == 16 ? "16 bytes, stopped at the end of the page" :
	       r < 0 && errno == EFAULT ? "EFAULT" : "went on past the end of the page");
	return 0;
}

static const char *marker;

static int handler(FILE *stream, const struct printf_info *info, const void *const *args)
{
	int fd = open(marker, O_WRONLY | O_CREAT | O_APPEND, 0644);

	(void)stream, (void)info, (void)args;
	if (fd >= 0) {
		write(fd, "handler ran\n", 12);
		close(fd);
	}
	return 0;
}

static int arginfo(const struct printf_info *info, size_t n, int *types, int *size)
{
	(void)info;
	if (n > 0)
		types[0] = PA_INT;
	size[0] = sizeof(int);
	return 1;
}

static int take_over_printf(const char *file)
{
	char digits[24], out[32] = "pid ";
	long pid;
	int k = 0, n = 4;

	marker = file;
	if (register_printf_specifier('d', handler, arginfo) ||
	    register_printf_specifier('s', handler, arginfo) ||
	    register_printf_specifier('c', handler, arginfo))
		return 1;
	pid = syscall(SYS_getpid);
	/* No printf from here on: the program's own would call the handlers. */
	do
		digits[k++] = (char)('0' + pid % 10);
	while ((pid /= 10));
	while (k)
		out[n++] = digits[--k];
	out[n++] = '\n';
	return write(1, out, (size_t)n) == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	catch_faults();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "unmapped")) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		munmap(p, 4096);
		try_access("unmapped page", (uintptr_t)p, 0);
		try_access("unmapped page", (uintptr_t)p, 1);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "mappings"))
		return mappings(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "symbols"))
		return symbols(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "heap"))
		return heap(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "below-pool"))
		return below_pool();
	if (argc == 3 && !strcmp(argv[1], "printf"))
		return take_over_printf(argv[2]);
	fprintf(stderr, "usage: escape_memory unmapped | mappings DIR | symbols DIR | heap REVERSED | "
			"below-pool | printf MARKER\n");
	return 2;
}
