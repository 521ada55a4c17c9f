/* escape_kernel.c: a hostile program that asks the kernel to reach the
 * runtime for it: its memory, its descriptors, its threads.
 *
 * Under dune the targets are the runtime's own pages (libdunepre.so's data,
 * which holds the policy, and the page-table pool); natively the same calls
 * aim at a page the process does not have. Every line printed must be the
 * same in both runs: the runtime is memory, descriptors and threads that
 * the program does not have.
 *
 *   escape_kernel memory    kernel reads and writes of runtime pages
 *   escape_kernel iov-race  readv while another thread swaps its iovec's
 *                           buffer for a runtime page (a double fetch)
 *   escape_kernel mmsg      sendmmsg and recvmmsg batches, one message aimed
 *                           at a runtime page, and a large batch
 *   escape_kernel maps      memory-map calls over runtime pages
 *   escape_kernel host-code libc's code, which the runtime runs (dune only)
 *   escape_kernel fds       the runtime's descriptors, by number
 *   escape_kernel threads   threads of the process that are not the program's
 *   escape_kernel procmem   /proc/PID/mem in its spellings (dune: refused)
 *   escape_kernel refused   calls dune never makes for a program
 *   escape_kernel libc-data the runtime's libc and Zydis scribbled over, then work
 *   escape_kernel libc-data-zero  the same, with zeros
 *   escape_kernel zydis-imports   where Zydis's calls into libc go (dune only)
 *   escape_kernel mkdir DIR the policy still holds: mkdir DIR
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "find_runtime.h"

static void say(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: ok\n", what);
	fflush(stdout);
}

/* A page of the runtime: libdunepre.so's writable segment (its data and
 * bss: the policy and the backend's table), found in the loader's list
 * (find_runtime.h), or the 1 GiB page-table pool;
 * natively, a page that was mapped and is not any more. */
static uintptr_t target(int which)
{
	FILE *f = which == 1 ? fopen("/proc/self/maps", "r") : NULL;
	char line[512];
	uintptr_t found = 0;

	const ElfW(Phdr) *ph = NULL;
	uintptr_t base = which == 0 ? find_runtime(&ph, &(int){ 0 }) : 0;

	for (int i = 0, n = base ? ((const ElfW(Ehdr) *)base)->e_phnum : 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W))
			found = (base + ph[i].p_vaddr) & ~4095ul;
	while (f && fgets(line, sizeof(line), f)) {
		uintptr_t s, e;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3)
			continue;
		if (e - s == (1ul << 30) && perms[0] == 'r' && perms[1] == 'w' && !strchr(line, '/') &&
		    !strchr(line, '['))
			found = s;
	}
	if (f)
		fclose(f);
	if (!found) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		munmap(p, 4096);
		found = (uintptr_t)p;
	}
	return found;
}

static void memory(void)
{
	for (int which = 0; which < 2; which++) {
		void *t = (void *)target(which);
		int p[2], sv[2];
		char buf[64] = "marker marker marker marker";
		struct iovec iov = { t, 16 }, local = { buf, 16 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

		printf("target %d\n", which);
		pipe(p);
		write(p[1], buf, 32);
		say("read into it", read(p[0], t, 16));
		say("readv into it", readv(p[0], &iov, 1));
		say("write from it", write(p[1], t, 16));
		say("writev from it", writev(p[1], &iov, 1));
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		send(sv[0], buf, 16, 0);
		say("recvmsg into it", recvmsg(sv[1], &m, 0));
		say("sendmsg from it", sendmsg(sv[0], &m, 0));
		say("recv into it", recv(sv[1], t, 16, 0));
		say("process_vm_writev into it", process_vm_writev(getpid(), &local, 1, &iov, 1, 0));
		say("process_vm_readv from it", process_vm_readv(getpid(), &local, 1, &iov, 1, 0));
		say("getcwd into it", syscall(SYS_getcwd, t, 64) < 0 ? -1 : 0);
		say("fstat into it", fstat(0, t));
		say("pipe into it", pipe(t));
		say("clock_gettime into it", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, t));
		say("open a path in it", open(t, O_RDONLY));
		say("futex on it", syscall(SYS_futex, t, FUTEX_WAKE, 1, 0, 0, 0));
		close(p[0]), close(p[1]), close(sv[0]), close(sv[1]);
	}
}

static struct iovec race_iov;
static void *race_good, *race_bad;
static volatile int race_over;

static void *swap_buffers(void *arg)
{
	(void)arg;
	while (!race_over) {
		__atomic_store_n(&race_iov.iov_base, race_bad, __ATOMIC_RELAXED);
		__atomic_store_n(&race_iov.iov_base, race_good, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The iovec checked must be the iovec used. writev with a buffer that
 * another thread swaps for a runtime page (page tables) would copy the
 * runtime's bytes into the pipe; natively that page is not mapped. Each call
 * writes the good buffer or fails with EFAULT, and the pipe holds nothing
 * but its bytes. */
static void iov_race(void)
{
	static char good[4096], got[4096];
	int p[2], other = 0, leaked = 0;
	pthread_t t;

	memset(good, 'G', sizeof(good));
	pipe(p);
	race_good = good;
	race_bad = (void *)target(1);
	race_iov = (struct iovec){ good, sizeof(good) };
	pthread_create(&t, NULL, swap_buffers, NULL);
	for (int i = 0; i < 20000; i++) {
		long r = writev(p[1], &race_iov, 1);

		if (r < 0) {
			other += errno != EFAULT;
			continue;
		}
		for (long n = 0; n < r;) {
			long k = read(p[0], got, sizeof(got) < (size_t)(r - n) ? sizeof(got) : (size_t)(r - n));

			if (k <= 0)
				break;
			for (long j = 0; j < k; j++)
				leaked += got[j] != 'G';
			n += k;
		}
	}
	race_over = 1;
	pthread_join(t, NULL);
	close(p[0]), close(p[1]);
	printf("writev racing a swapped iovec: other answers %d, bytes not the buffer's %d\n", other,
	       leaked ? 1 : 0);
}

/* A batch ends at its first bad message, and the messages before it go. */
static void mmsg(void)
{
	static struct mmsghdr mm[1024];
	static struct iovec iov[1024][5];
	static char buf[1024][5][4];
	int sv[2];

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	for (int i = 0; i < 5; i++) {
		iov[i][0] = (struct iovec){ buf[i][0], 4 };
		mm[i].msg_hdr = (struct msghdr){ .msg_iov = iov[i], .msg_iovlen = 1 };
	}
	iov[3][0].iov_base = (void *)target(1);
	printf("sendmmsg, the 4th message from a runtime page: %d\n", sendmmsg(sv[0], mm, 5, 0));
	for (int i = 0; i < 1024; i++) {
		for (int k = 0; k < 5; k++)
			iov[i][k] = (struct iovec){ buf[i][k], 4 };
		mm[i].msg_hdr = (struct msghdr){ .msg_iov = iov[i], .msg_iovlen = 5 };
	}
	printf("recvmmsg of 1024 messages of 5 iovecs: %d\n",
	       recvmmsg(sv[1], mm, 1024, MSG_DONTWAIT, NULL));
	close(sv[0]), close(sv[1]);
}

static void maps(void)
{
	for (int which = 0; which < 2; which++) {
		void *t = (void *)target(which);

		printf("target %d\n", which);
		say("mprotect it", mprotect(t, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
		say("madvise(DONTNEED) it", madvise(t, 4096, MADV_DONTNEED));
		say("mlock it", mlock(t, 4096));
		say("msync it", msync(t, 4096, MS_SYNC));
		say("mremap it", mremap(t, 4096, 8192, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0);
		say("munmap it", munmap(t, 4096));
		/* After munmap: the process goes on, its calls still work. */
		say("getpid after", getpid() > 0 ? 0 : -1);
	}
}

/* Natively MAP_FIXED over a free page succeeds: this one is dune's alone. */
static void map_fixed(void)
{
	void *t = (void *)target(0);
	void *r = mmap(t, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	say("mmap(MAP_FIXED) over it", r == MAP_FAILED ? -1 : 0);
	r = mmap(t, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	say("mmap(MAP_FIXED_NOREPLACE) over it", r == MAP_FAILED ? -1 : 0);
	say("getpid after", getpid() > 0 ? 0 : -1);
}

/* mprotect the RELRO region (the GOT its code jumps through) of a library
 * in the runtime's namespace writable: the program could then choose where
 * the runtime's host side jumps. */
static long relro_writable(const char *name)
{
	const ElfW(Phdr) *ph = NULL;
	int n = 0;
	uintptr_t base = find_in_runtime_namespace(name, &ph, &n);

	for (int i = 0; i < n; i++)
		if (ph[i].p_type == PT_GNU_RELRO)
			return mprotect((void *)((base + ph[i].p_vaddr) & ~4095ul), 4096,
					PROT_READ | PROT_WRITE);
	errno = ENOENT;
	return -1;
}

/* libc's code, which the runtime runs on the host (the program's own
 * libc, or the runtime's copy where dune entered through LD_AUDIT):
 * natively the program may rewrite it (this run would then crash); under
 * dune it may not. */
static void host_code(void)
{
	uintptr_t page = (uintptr_t)dlsym(RTLD_DEFAULT, "memmove") & ~4095ul;
	const ElfW(Phdr) *ph = NULL;
	int n = 0;
	uintptr_t libc = find_in_runtime_namespace("/libc.so", &ph, &n);
	void *r;

	for (int i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X))
			page = (libc + ph[i].p_vaddr + 4095) & ~4095ul;

	say("mprotect libc's code writable", mprotect((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
	say("mprotect libc's code to nothing", mprotect((void *)page, 4096, PROT_NONE));
	r = mmap((void *)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	say("mmap(MAP_FIXED) over libc's code", r == MAP_FAILED ? -1 : 0);
	say("mremap libc's code", mremap((void *)page, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
					 (void *)(page + (1ul << 30))) == MAP_FAILED ? -1 : 0);
	say("munmap libc's code", munmap((void *)page, 4096));
	say("mprotect Zydis's GOT writable", relro_writable("/libZydis"));
	say("getpid after", getpid() > 0 ? 0 : -1);
}

static void fds(void)
{
	int bad = 0;

	for (int fd = 1000; fd < 1024; fd++) {
		char b[8];
		struct stat st;
		int sv[2];
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { b, 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		long r[12];

		c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		r[0] = fcntl(fd, F_GETFD);
		r[1] = fcntl(fd, F_SETFL, O_NONBLOCK);
		r[2] = dup(fd);
		r[3] = fstat(fd, &st);
		r[4] = ioctl(fd, 0x8138ae83 /* KVM_GET_SREGS */, b);
		r[5] = pwrite(fd, "x", 1, 0);
		r[6] = read(fd, b, 1);
		r[7] = (long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		r[8] = openat(fd, "x", O_RDONLY);
		r[9] = sendmsg(sv[0], &m, 0);
		r[10] = syscall(SYS_close_range, fd, fd, 0) ? -1 : fcntl(fd, F_GETFD);
		r[11] = lseek(fd, 0, SEEK_SET);
		for (int i = 0; i < 12; i++)
			if (r[i] != -1 && !(i == 7 && r[i] == (long)MAP_FAILED)) {
				printf("fd %d answers call %d: %ld\n", fd, i, r[i]);
				bad++;
			}
		close(sv[0]), close(sv[1]);
	}
	printf("runtime descriptors that answered: %d\n", bad);
}

static void say_threads(const char *how, const char *buf, long n)
{
	const char *t = n > 0 ? memmem(buf, n, "\nThreads:", 9) : NULL;
	const char *end = t ? memchr(t + 1, '\n', buf + n - t - 1) : NULL;

	printf("%s: %.*s\n", how, end ? (int)(end - t - 1) : 4, end ? t + 1 : "none");
}

/* /proc/self/status counts the program's threads, by every way to read it. */
static void status_threads(void)
{
	char a[4096], b[16];
	struct iovec iov[2] = { { b, sizeof(b) }, { a + sizeof(b), sizeof(a) - sizeof(b) } };
	int fd = open("/proc/self/status", O_RDONLY), d;

	say_threads("read", a, read(fd, a, sizeof(a)));
	d = dup(fd);
	say_threads("dup, pread", a, pread(d, a, sizeof(a), 0));
	close(d);
	d = fcntl(fd, F_DUPFD_CLOEXEC, 50);
	say_threads("F_DUPFD, pread", a, pread(d, a, sizeof(a), 0));
	dup2(fd, d);
	say_threads("dup2, pread", a, pread(d, a, sizeof(a), 0));
	lseek(fd, 0, SEEK_SET);
	d = readv(fd, iov, 2);
	memcpy(a, b, sizeof(b));
	say_threads("readv", a, d);
	d = preadv(fd, iov, 2, 0);
	memcpy(a, b, sizeof(b));
	say_threads("preadv", a, d);
	close(fd);
}

static void threads(void)
{
	pid_t pid = getpid(), listed[64];
	int answered = 0, n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	for (int i = 0; i < 100; i++)
		getppid(); /* exitless: the server thread is there by now */
	while (d && (e = readdir(d)) && n < 64)
		if (e->d_name[0] != '.')
			listed[n++] = atoi(e->d_name);
	if (d)
		closedir(d);
	/* Ids near ours that /proc/self/task does not list but that answer. */
	for (pid_t t = pid + 1; t < pid + 256; t++) {
		char status[64], line[256];
		int tgid = 0, mine = 0;
		cpu_set_t set;
		FILE *f;

		for (int i = 0; i < n; i++)
			mine |= listed[i] == t;
		if (mine)
			continue;
		if (syscall(SYS_tgkill, pid, t, 0) && syscall(SYS_tkill, t, 0) &&
		    sched_getaffinity(t, sizeof(set), &set) &&
		    (syscall(SYS_getpriority, 0, t), errno == ESRCH) && syscall(SYS_pidfd_open, t, 0) < 0)
			continue;
		/* Another process's thread answers natively too: only ours count. */
		snprintf(status, sizeof(status), "/proc/%d/status", t);
		f = fopen(status, "r");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "Tgid: %d", &tgid) == 1)
				break;
		if (f)
			fclose(f);
		answered += tgid == pid;
	}
	printf("threads listed %d, hidden ones that answered: %d\n", n, answered);
	status_threads();
}

static void procmem(void)
{
	char path[64];

	say("/proc/self/mem", open("/proc/self/mem", O_RDWR));
	snprintf(path, sizeof(path), "/proc/%d/mem", getpid());
	say("/proc/PID/mem", open(path, O_RDWR));
	snprintf(path, sizeof(path), "/proc/self/task/%ld/mem", syscall(SYS_gettid));
	say("/proc/self/task/TID/mem", open(path, O_RDWR));
	say("/proc/thread-self/mem", open("/proc/thread-self/mem", O_RDONLY));
	say("/proc//self/./mem", open("/proc//self/./mem", O_RDONLY));
	int dir = open("/proc/self", O_RDONLY | O_DIRECTORY);
	say("openat(/proc/self, mem)", openat(dir, "mem", O_RDWR));
	symlink("/proc/self/mem", "escape-mem-link");
	say("a symlink to it", open("escape-mem-link", O_RDWR));
	unlink("escape-mem-link");
}

static void refused(void)
{
	say("ptrace(TRACEME)", ptrace(PTRACE_TRACEME, 0, 0, 0));
	say("pidfd_getfd", syscall(SYS_pidfd_getfd, 0, 0, 0));
	say("userfaultfd", syscall(SYS_userfaultfd, 0));
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { 1, &allow };
	unsigned long ctx = 0;

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	say("seccomp filter", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
	say("prctl(PR_SET_SECCOMP)", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog));
	say("io_setup", syscall(SYS_io_setup, 1, &ctx));
	say("number 500", syscall(500));
	say("number -2", syscall(-2L));
}

/* Fill the writable memory of a library of the runtime's own namespace with
 * byte, past the part ld.so made read-only (RELRO). Only where dune entered
 * through LD_AUDIT does the runtime have a libc of its own; through
 * LD_PRELOAD it is the program's, and natively there is none. */
static void scribble(const char *name, int byte)
{
	const ElfW(Phdr) *ph = NULL;
	int n = 0;
	uintptr_t base = find_in_runtime_namespace(name, &ph, &n), relro_end = 0;
	Dl_info own;

	if (!base || (dladdr((void *)printf, &own) && (uintptr_t)own.dli_fbase == base))
		return;
	for (int i = 0; i < n; i++)
		if (ph[i].p_type == PT_GNU_RELRO)
			relro_end = (base + ph[i].p_vaddr + ph[i].p_memsz + 4095) & ~4095ul;
	for (int i = 0; i < n; i++) {
		uintptr_t start = base + ph[i].p_vaddr, end = start + ph[i].p_memsz;

		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_W))
			continue;
		start = start > relro_end ? start : relro_end;
		if (start < end)
			memset((void *)start, byte, end - start);
	}
}

static sigjmp_buf fault_jump;
static volatile int usr1_count;

static void on_fault(int sig)
{
	siglongjmp(fault_jump, sig);
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

static void *thread_getpid(void *arg)
{
	return (void *)(long)(syscall(SYS_getpid) == (long)arg);
}

/* The runtime's libc and Zydis keep their data where the program can write
 * it: the host side must not read any of it. Scribbled over, every kind of
 * work the runtime does on the host still goes as natively: forwarded and
 * refused calls, threads, fork, exec, signals, a fault. With zeros, libc's
 * memcpy takes its loop for large copies for any size, which would run a
 * signal frame's copy off the end of the host's buffer. */
static void libc_data(int byte)
{
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_t t;
	void *joined = NULL;
	int status = -1;
	pid_t child;

	scribble("/libc.so", byte);
	scribble("/libZydis", byte);
	say("getpid", syscall(SYS_getpid) > 0 ? 0 : -1);
	say("number 500", syscall(500));
	say("thread", pthread_create(&t, NULL, thread_getpid, (void *)(long)getpid()) ||
			      pthread_join(t, &joined) || !joined ? -1 : 0);
	child = fork();
	if (child == 0)
		_exit(syscall(SYS_getppid) > 0 ? 7 : 1);
	say("fork", waitpid(child, &status, 0) == child && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 7 ? 0 : -1);
	child = fork();
	if (child == 0) {
		execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
		_exit(1);
	}
	say("exec", waitpid(child, &status, 0) == child && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 5 ? 0 : -1);
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	say("signal", usr1_count == 1 ? 0 : -1);
	signal(SIGSEGV, on_fault);
	if (sigsetjmp(fault_jump, 1) == 0)
		say("fault", *(volatile char *)none == 0 ? -2 : -3);
	else
		say("fault", 0);
	signal(SIGSEGV, SIG_DFL);
}

/* Where the runtime's Zydis calls memcpy and the rest: the library that
 * holds the function its GOT slot names. libdunepre.so by its program
 * headers (ld.so's dladdr would read its hidden tables); any other by
 * dladdr, which sees every namespace. */
static void zydis_imports(void)
{
	static const char *const names[] = { "memcpy", "memset", "strlen", "__stack_chk_fail",
					      "__assert_fail" };
	const ElfW(Phdr) *ph = NULL;
	int n = 0;
	uintptr_t base = find_in_runtime_namespace("/libZydis", &ph, &n);
	const ElfW(Dyn) *d = NULL;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const ElfW(Rela) *rela[2] = { NULL, NULL };
	size_t size[2] = { 0, 0 };
	const ElfW(Phdr) *rph = NULL;
	int rn = 0;
	uintptr_t rbase = find_runtime(&rph, &rn), rlo = UINTPTR_MAX, rhi = 0;

	for (int i = 0; i < rn; i++)
		if (rph[i].p_type == PT_LOAD) {
			rlo = rbase + rph[i].p_vaddr < rlo ? rbase + rph[i].p_vaddr : rlo;
			rhi = rbase + rph[i].p_vaddr + rph[i].p_memsz > rhi ?
				      rbase + rph[i].p_vaddr + rph[i].p_memsz : rhi;
		}

	for (int i = 0; i < n; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			d = (const ElfW(Dyn) *)(base + ph[i].p_vaddr);
	for (; d && d->d_tag != DT_NULL; d++) {
		uintptr_t v = d->d_un.d_ptr < base ? base + d->d_un.d_ptr : d->d_un.d_ptr;

		if (d->d_tag == DT_SYMTAB)
			symtab = (const ElfW(Sym) *)v;
		else if (d->d_tag == DT_STRTAB)
			strtab = (const char *)v;
		else if (d->d_tag == DT_RELA)
			rela[0] = (const ElfW(Rela) *)v;
		else if (d->d_tag == DT_RELASZ)
			size[0] = d->d_un.d_val;
		else if (d->d_tag == DT_JMPREL)
			rela[1] = (const ElfW(Rela) *)v;
		else if (d->d_tag == DT_PLTRELSZ)
			size[1] = d->d_un.d_val;
	}
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const char *from = "not found";

		for (int t = 0; symtab && strtab && t < 2; t++)
			for (size_t i = 0; rela[t] && i < size[t] / sizeof(ElfW(Rela)); i++) {
				const ElfW(Rela) *r = &rela[t][i];
				uintptr_t to;
				Dl_info info;

				if (!ELF64_R_SYM(r->r_info) ||
				    strcmp(strtab + symtab[ELF64_R_SYM(r->r_info)].st_name, names[k]))
					continue;
				to = *(uintptr_t *)(base + r->r_offset);
				if (to >= rlo && to < rhi)
					from = "dune";
				else if (dladdr((void *)to, &info) && info.dli_fname)
					from = strstr(info.dli_fname, "/libc.so") ? "libc" : info.dli_fname;
			}
		printf("Zydis's %s: %s\n", names[k], from);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "memory"))
		memory();
	else if (!strcmp(argv[1], "iov-race"))
		iov_race();
	else if (!strcmp(argv[1], "mmsg"))
		mmsg();
	else if (!strcmp(argv[1], "maps"))
		maps();
	else if (!strcmp(argv[1], "map-fixed"))
		map_fixed();
	else if (!strcmp(argv[1], "host-code"))
		host_code();
	else if (!strcmp(argv[1], "fds"))
		fds();
	else if (!strcmp(argv[1], "threads"))
		threads();
	else if (!strcmp(argv[1], "procmem"))
		procmem();
	else if (!strcmp(argv[1], "refused"))
		refused();
	else if (!strcmp(argv[1], "libc-data"))
		libc_data('A');
	else if (!strcmp(argv[1], "libc-data-zero"))
		libc_data(0);
	else if (!strcmp(argv[1], "zydis-imports"))
		zydis_imports();
	else
		return 2;
	if (argc > 2)
		say("mkdir", mkdir(argv[2], 0700));
	return 0;
}
