/* trace.c: the policy's trace lines, strace-like: "pid name(args) = result".
 *
 * Runs on the host side of a vCPU: no libc call that makes a syscall, no
 * allocation. The program's memory is read with process_vm_readv on our own
 * pid, so a bad pointer in an argument shows as an address instead of
 * faulting the runtime. One line is one raw write (enforce_log).
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "guest.h"
#include "names.h"
#include "rawsys.h"

#define LINE_MAX_LEN 2048
#define PATH_SHOWN 256   /* bytes of a path shown */
#define BUF_SHOWN 32     /* bytes of a read or written buffer shown, as strace -s 32 */
#define ARGV_SHOWN 8     /* entries of an argv shown */

struct line {
	char buf[LINE_MAX_LEN];
	int n;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int room = (int)sizeof(l->buf) - 2 - l->n; /* keep room for the newline */
	int w;

	if (room <= 0)
		return;
	va_start(ap, fmt);
	w = vsnprintf(l->buf + l->n, (size_t)room, fmt, ap);
	va_end(ap);
	l->n += w < room ? w : room - 1;
}

/* Bytes as a C string literal, as strace shows them. */
static void put_bytes(struct line *l, const unsigned char *s, long n, bool more)
{
	put(l, "\"");
	for (long i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			put(l, "\\%c", c);
		else if (c == '\n')
			put(l, "\\n");
		else if (c == '\t')
			put(l, "\\t");
		else if (c == '\r')
			put(l, "\\r");
		else if (c >= 0x20 && c < 0x7f)
			put(l, "%c", c);
		else if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7')
			put(l, "\\%03o", c);
		else
			put(l, "\\%o", c);
	}
	put(l, more ? "\"..." : "\"");
}

static void put_pointer(struct line *l, uint64_t p)
{
	if (p)
		put(l, "%#llx", (unsigned long long)p);
	else
		put(l, "NULL");
}

/* A NUL-terminated string of the program's, up to max bytes. */
static void put_string(struct line *l, uint64_t addr, long max)
{
	unsigned char s[PATH_SHOWN + 1];
	long got, len;

	if (max > PATH_SHOWN)
		max = PATH_SHOWN;
	got = addr ? guest_read(s, addr, max + 1) : 0;
	if (!got) {
		put_pointer(l, addr);
		return;
	}
	for (len = 0; len < got && s[len]; len++)
		;
	put_bytes(l, s, len > max ? max : len, len > max);
}

/* count bytes at addr, of which the first BUF_SHOWN are shown. */
static void put_buffer(struct line *l, uint64_t addr, long count)
{
	unsigned char s[BUF_SHOWN];
	long want = count < BUF_SHOWN ? count : BUF_SHOWN, got;

	if (count < 0 || !addr) {
		put_pointer(l, addr);
		return;
	}
	got = guest_read(s, addr, want);
	if (got < want) {
		put_pointer(l, addr);
		return;
	}
	put_bytes(l, s, got, count > got);
}

static void put_argv(struct line *l, uint64_t addr)
{
	uint64_t p;
	int i;

	if (!addr || guest_read(&p, addr, 8) != 8) {
		put_pointer(l, addr);
		return;
	}
	put(l, "[");
	for (i = 0; guest_read(&p, addr + 8 * (uint64_t)i, 8) == 8 && p; i++) {
		if (i == ARGV_SHOWN) {
			put(l, ", ...");
			break;
		}
		put(l, i ? ", " : "");
		put_string(l, p, PATH_SHOWN);
	}
	put(l, "]");
}

struct flag {
	unsigned long value;
	const char *name;
};

#define F(x) { x, #x }

static const struct flag open_flags[] = {
	F(O_CREAT), F(O_EXCL), F(O_NOCTTY), F(O_TRUNC), F(O_APPEND), F(O_NONBLOCK), F(O_SYNC),
	F(O_DSYNC), F(O_ASYNC), F(O_DIRECT), F(O_LARGEFILE), F(O_TMPFILE), F(O_DIRECTORY),
	F(O_NOFOLLOW), F(O_NOATIME), F(O_CLOEXEC), F(O_PATH), { 0, NULL },
};
static const struct flag prot_flags[] = {
	F(PROT_READ), F(PROT_WRITE), F(PROT_EXEC), F(PROT_GROWSDOWN), F(PROT_GROWSUP), { 0, NULL },
};
static const struct flag map_flags[] = {
	F(MAP_FIXED), F(MAP_ANONYMOUS), F(MAP_GROWSDOWN), F(MAP_DENYWRITE), F(MAP_EXECUTABLE),
	F(MAP_LOCKED), F(MAP_NORESERVE), F(MAP_POPULATE), F(MAP_NONBLOCK), F(MAP_STACK),
	F(MAP_HUGETLB), F(MAP_SYNC), F(MAP_FIXED_NOREPLACE), { 0, NULL },
};
static const struct flag clone_flags[] = {
	F(CLONE_VM), F(CLONE_FS), F(CLONE_FILES), F(CLONE_SIGHAND), F(CLONE_PIDFD),
	F(CLONE_PTRACE), F(CLONE_VFORK), F(CLONE_PARENT), F(CLONE_THREAD), F(CLONE_NEWNS),
	F(CLONE_SYSVSEM), F(CLONE_SETTLS), F(CLONE_PARENT_SETTID), F(CLONE_CHILD_CLEARTID),
	F(CLONE_DETACHED), F(CLONE_UNTRACED), F(CLONE_CHILD_SETTID), F(CLONE_NEWCGROUP),
	F(CLONE_NEWUTS), F(CLONE_NEWIPC), F(CLONE_NEWUSER), F(CLONE_NEWPID), F(CLONE_NEWNET),
	F(CLONE_IO), { 0, NULL },
};
static const struct flag at_flags[] = {
	F(AT_SYMLINK_NOFOLLOW), F(AT_REMOVEDIR), F(AT_SYMLINK_FOLLOW), F(AT_NO_AUTOMOUNT),
	F(AT_EMPTY_PATH), { 0, NULL },
};

/* "A|B|0x40": the names of the bits set, what is left in hex. */
static void put_flags(struct line *l, unsigned long v, const struct flag *f, bool first)
{
	for (; f->name; f++) {
		if ((v & f->value) != f->value)
			continue;
		put(l, "%s%s", first ? "" : "|", f->name);
		v &= ~f->value;
		first = false;
	}
	if (v || first)
		put(l, first ? "%#lx" : "|%#lx", v);
}

static void put_open_flags(struct line *l, unsigned long v)
{
	static const char *const access[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

	put(l, "%s", access[v & O_ACCMODE]);
	if (v & ~(unsigned long)O_ACCMODE)
		put_flags(l, v & ~(unsigned long)O_ACCMODE, open_flags, false);
}

static void put_map_flags(struct line *l, unsigned long v)
{
	static const char *const type[] = { "0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE" };

	put(l, "%s", type[v & 3]);
	if (v & ~3ul)
		put_flags(l, v & ~3ul, map_flags, false);
}

static void put_clone_flags(struct line *l, unsigned long v)
{
	unsigned long sig = v & 0xff;

	put_flags(l, v & ~0xfful, clone_flags, true);
	if (sig == SIGCHLD)
		put(l, "|SIGCHLD");
	else if (sig)
		put(l, "|%lu", sig);
}

/*
 * How each argument of the common calls is shown:
 * d int, u unsigned, x address, X hex number, f fd (AT_FDCWD), s string, b buffer of the
 * next argument's length, B buffer of the result's length (read), o open
 * flags, m mode (only with O_CREAT after an o), p PROT_, M MAP_, c CLONE_,
 * v argv, a AT_ flags.
 */
struct call_format {
	short nr;
	const char *args;
};

static const struct call_format formats[] = {
	{ SYS_read, "fBu" }, { SYS_write, "fbu" }, { SYS_pread64, "fBud" },
	{ SYS_pwrite64, "fbud" }, { SYS_readv, "fxd" }, { SYS_writev, "fxd" },
	{ SYS_open, "som" }, { SYS_openat, "fsom" }, { SYS_openat2, "fsxu" }, { SYS_creat, "sm" },
	{ SYS_close, "f" }, { SYS_lseek, "fdd" }, { SYS_dup, "f" }, { SYS_dup2, "ff" },
	{ SYS_dup3, "ffo" }, { SYS_pipe, "x" }, { SYS_pipe2, "xo" }, { SYS_fcntl, "fdx" },
	{ SYS_ioctl, "fxx" }, { SYS_stat, "sx" }, { SYS_lstat, "sx" }, { SYS_fstat, "fx" },
	{ SYS_newfstatat, "fsxa" }, { SYS_statx, "fsaux" }, { SYS_access, "sd" },
	{ SYS_faccessat, "fsd" }, { SYS_faccessat2, "fsda" }, { SYS_readlink, "sxu" },
	{ SYS_readlinkat, "fsxu" }, { SYS_getdents64, "fxu" }, { SYS_getcwd, "xu" },
	{ SYS_chdir, "s" }, { SYS_fchdir, "f" }, { SYS_mkdir, "sm" }, { SYS_mkdirat, "fsm" },
	{ SYS_rmdir, "s" }, { SYS_unlink, "s" }, { SYS_unlinkat, "fsa" }, { SYS_rename, "ss" },
	{ SYS_renameat, "fsfs" }, { SYS_renameat2, "fsfsd" }, { SYS_link, "ss" },
	{ SYS_symlink, "ss" }, { SYS_chmod, "sm" }, { SYS_fchmod, "fm" }, { SYS_fchmodat, "fsm" },
	{ SYS_chown, "sdd" }, { SYS_truncate, "sd" }, { SYS_ftruncate, "fd" },
	{ SYS_mmap, "xupMfX" }, { SYS_mprotect, "xup" }, { SYS_munmap, "xu" },
	{ SYS_mremap, "xuudx" }, { SYS_brk, "x" }, { SYS_madvise, "xud" },
	{ SYS_execve, "svx" }, { SYS_execveat, "fsvxa" }, { SYS_exit, "d" },
	{ SYS_exit_group, "d" }, { SYS_clone, "cxxxx" }, { SYS_fork, "" }, { SYS_vfork, "" },
	{ SYS_wait4, "dxdx" }, { SYS_kill, "dd" }, { SYS_tgkill, "ddd" }, { SYS_getpid, "" },
	{ SYS_getppid, "" }, { SYS_gettid, "" }, { SYS_getuid, "" }, { SYS_geteuid, "" },
	{ SYS_getgid, "" }, { SYS_getegid, "" }, { SYS_uname, "x" }, { SYS_socket, "ddd" },
	{ SYS_connect, "fxd" }, { SYS_bind, "fxd" }, { SYS_listen, "fd" },
	{ SYS_accept4, "fxxd" }, { SYS_sendto, "fbudxd" }, { SYS_recvfrom, "fBudxx" },
	{ SYS_nanosleep, "xx" }, { SYS_clock_nanosleep, "ddxx" }, { SYS_getrandom, "xud" },
	{ SYS_rt_sigaction, "dxxu" }, { SYS_rt_sigprocmask, "dxxu" }, { SYS_arch_prctl, "dx" },
	{ SYS_set_tid_address, "x" }, { SYS_prlimit64, "ddxx" }, { SYS_futex, "xdd" },
};

static const struct call_format *format_of(long nr)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].nr == nr)
			return &formats[i];
	return NULL;
}

static void put_name(struct line *l, long nr)
{
	if (nr >= 0 && nr < dune_syscall_count && dune_syscall_names[nr])
		put(l, "%s", dune_syscall_names[nr]);
	else
		put(l, "syscall_%#lx", (unsigned long)nr);
}

static void put_args(struct line *l, long nr, const long a[6], long ret, bool returned)
{
	const struct call_format *f = format_of(nr);
	bool creates = false;

	put(l, "(");
	if (!f) { /* not one we know: three raw arguments */
		put(l, "%#lx, %#lx, %#lx, ...)", a[0], a[1], a[2]);
		return;
	}
	for (int i = 0; f->args[i] && i < 6; i++) {
		const char *sep = i ? ", " : "";

		if (f->args[i] == 'm' && i > 0 && f->args[i - 1] == 'o' && !creates)
			break; /* open's mode means nothing without O_CREAT */
		put(l, "%s", sep);
		switch (f->args[i]) {
		case 'd': put(l, "%d", (int)a[i]); break;
		case 'u': put(l, "%lu", (unsigned long)a[i]); break;
		case 'x': put_pointer(l, (uint64_t)a[i]); break;
		case 'X': put(l, "%#lx", (unsigned long)a[i]); break;
		case 'f':
			if ((int)a[i] == AT_FDCWD)
				put(l, "AT_FDCWD");
			else
				put(l, "%d", (int)a[i]);
			break;
		case 's': put_string(l, (uint64_t)a[i], PATH_SHOWN); break;
		case 'b': put_buffer(l, (uint64_t)a[i], a[i + 1]); break;
		case 'B':
			if (returned && ret >= 0)
				put_buffer(l, (uint64_t)a[i], ret);
			else
				put_pointer(l, (uint64_t)a[i]);
			break;
		case 'o':
			put_open_flags(l, (unsigned long)a[i]);
			creates = (a[i] & O_CREAT) || (a[i] & O_TMPFILE) == O_TMPFILE;
			break;
		case 'm': put(l, "%#lo", (unsigned long)a[i]); break;
		case 'p':
			if (a[i] == 0)
				put(l, "PROT_NONE");
			else
				put_flags(l, (unsigned long)a[i], prot_flags, true);
			break;
		case 'M': put_map_flags(l, (unsigned long)a[i]); break;
		case 'c': put_clone_flags(l, (unsigned long)a[i]); break;
		case 'v': put_argv(l, (uint64_t)a[i]); break;
		case 'a':
			if (a[i] == 0)
				put(l, "0");
			else
				put_flags(l, (unsigned long)a[i], at_flags, true);
			break;
		}
	}
	put(l, ")");
}

static void put_result(struct line *l, long nr, long ret)
{
	if (ret < 0 && ret > -4096) {
		const char *name = names_errno_name((int)-ret);
		const char *desc = strerrordesc_np((int)-ret); /* no locale, no syscall */

		if (name)
			put(l, " = -1 %s (%s)", name, desc ? desc : "?");
		else
			put(l, " = -1 errno %ld", -ret);
	} else if (nr == SYS_mmap || nr == SYS_mremap || nr == SYS_brk) { /* addresses */
		put(l, " = %#lx", (unsigned long)ret);
	} else {
		put(l, " = %ld", ret);
	}
}

static void emit(struct guest *g, struct line *l)
{
	l->buf[l->n++] = '\n';
	enforce_log(g, l->buf, l->n);
}

void trace_syscall_end(struct guest *g, long nr, const long args[6], long ret,
		       enum trace_phase phase)
{
	struct line l = { .n = 0 };

	put(&l, "%ld ", raw_syscall0(SYS_getpid));
	if (phase == TRACE_RESUMED) {
		put(&l, "<... ");
		put_name(&l, nr);
		put(&l, " resumed>");
		put_result(&l, nr, ret);
		emit(g, &l);
		return;
	}
	put_name(&l, nr);
	put_args(&l, nr, args, ret, phase == TRACE_DONE);
	switch (phase) {
	case TRACE_DONE: put_result(&l, nr, ret); break;
	case TRACE_NO_RETURN: put(&l, " = ?"); break;
	case TRACE_UNFINISHED: put(&l, " <unfinished ...>"); break;
	case TRACE_KILLED: put(&l, " = ? <killed by SIGSYS: the policy kills this call>"); break;
	case TRACE_RESUMED: break;
	}
	emit(g, &l);
}

void trace_fault(struct guest *g, int vector, uint64_t error, uint64_t addr, uint64_t rip)
{
	struct line l = { .n = 0 };

	put(&l, "%ld --- ", raw_syscall0(SYS_getpid));
	if (vector == 14) {
		/* error code bits: 0 present, 1 write, 4 instruction fetch */
		const char *kind = error & 0x10 ? "exec at" : error & 2 ? "write to" : "read of";

		put(&l, "page fault: %s %#llx (%s), rip %#llx ---", kind, (unsigned long long)addr,
		    error & 1 ? "protection" : "not mapped", (unsigned long long)rip);
	} else {
		const char *name = policy_exception_name(vector);

		if (name)
			put(&l, "%s", name);
		else
			put(&l, "exception %d", vector);
		put(&l, " at rip %#llx", (unsigned long long)rip);
		if (error)
			put(&l, ", error code %#llx", (unsigned long long)error);
		put(&l, " ---");
	}
	emit(g, &l);
}
