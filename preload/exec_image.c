/* exec_image.c: would the image an execve starts come back under dune?
 *
 * The new image enters dune only if ld.so loads it and honours LD_AUDIT.
 * That holds for a dynamic x86-64 ELF whose PT_INTERP is the loader this
 * process runs with (the same file: device and inode) and that the kernel
 * starts with the caller's credentials: a set-user-ID or set-group-ID file,
 * or one with file capabilities, gets AT_SECURE, and ld.so then ignores
 * LD_AUDIT. A #! script comes back if its interpreter does, followed as
 * the kernel follows it. Everything else would run outside dune: a static
 * executable (busybox, a static-pie, the loader itself run as a program), a
 * 32-bit ELF, a program-supplied interpreter, a format only a binfmt_misc
 * handler runs. The verdict comes from the file's own bytes, read through
 * a descriptor the program cannot touch (fds.h), and exec.c execs that
 * descriptor, so the file checked is the file run.
 *
 * What remains open to a race: a #! script runs by its name (its
 * interpreter must be able to open it), and the kernel opens a script's
 * interpreter and an ELF's PT_INTERP by name; a program that can rename
 * files on those paths can swap them between the check and the exec.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "exec.h"
#include "fds.h"
#include "rawsys.h"

#define BINPRM_BUF 256  /* the bytes the kernel reads to tell a file's format */
#define SCRIPT_DEPTH 5  /* a #! at this depth is one too many (exec_binprm: ELOOP) */
#define PHDRS_MAX 4096  /* program headers the kernel reads at most (ELF_MIN_ALIGN) */
#define BINFMT_MISC "/proc/sys/fs/binfmt_misc"

/* The loader this process runs with: what PT_INTERP must name. */
static struct {
	bool known;
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];
} loader;

void exec_image_init(void)
{
	unsigned long base = getauxval(AT_BASE);
	const char *path = "/proc/self/exe"; /* started as "ld.so PROGRAM": the loader is the executable */
	struct stat st;
	Dl_info info;

	if (base) {
		if (!dladdr((void *)base, &info) || !info.dli_fname || !info.dli_fname[0])
			return;
		path = info.dli_fname; /* the PT_INTERP the kernel followed for this image */
	}
	if (stat(path, &st) != 0)
		return;
	loader.dev = st.st_dev;
	loader.ino = st.st_ino;
	loader.known = true;
	/* Its name, for messages. */
	if (base || !realpath(path, loader.path))
		snprintf(loader.path, sizeof(loader.path), "%s", path);
}

__attribute__((format(printf, 2, 3))) static int refuse(struct exec_image *im, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(im->why, sizeof(im->why), fmt, ap);
	va_end(ap);
	return -EACCES;
}

static long open_path(int dirfd, const char *path, int flags)
{
	return raw_syscall6(SYS_openat, dirfd, (long)path, flags | O_CLOEXEC, 0, 0, 0);
}

/* The kernel's own refusals of a file opened for exec (may_open,
 * do_open_execat): a symlink not followed, not a regular file, no execute
 * permission, a noexec mount. */
static int executable(int fd)
{
	struct stat st;
	struct statfs fs;
	long r = raw_syscall2(SYS_fstat, fd, &st);

	if (r < 0)
		return (int)r;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	/* Another error (ENOSYS before Linux 5.8, a seccomp filter): the kernel
	 * checks the permission again at the exec. */
	if (raw_syscall6(SYS_faccessat2, fd, (long)"", X_OK, AT_EMPTY_PATH | AT_EACCESS, 0, 0) ==
	    -EACCES)
		return -EACCES;
	if (raw_syscall2(SYS_fstatfs, fd, &fs) == 0 && (fs.f_flags & ST_NOEXEC))
		return -EACCES;
	return 0;
}

int exec_image_open(struct exec_image *im, const struct exec_call *c, const char *path)
{
	long fd;

	im->fd = -1;
	im->protected_fd = false;
	im->by_fd = false;
	im->why[0] = '\0';
	if (path[0])
		fd = open_path(c->dirfd, path,
			       O_PATH | (c->flags & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0));
	else if (c->dirfd == AT_FDCWD)
		fd = open_path(AT_FDCWD, ".", O_PATH); /* a directory: EACCES, as natively */
	else
		fd = raw_syscall3(SYS_fcntl, c->dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	im->fd = (int)fd;
	return executable(im->fd);
}

/* A readable descriptor of the same file as the O_PATH descriptor fd. */
static long reopen(int fd)
{
	char proc[40];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return open_path(AT_FDCWD, proc, O_RDONLY | O_NONBLOCK | O_NOCTTY);
}

void exec_image_close(struct exec_image *im)
{
	if (im->fd < 0)
		return;
	if (im->protected_fd)
		fd_forget(im->fd);
	raw_syscall1(SYS_close, im->fd);
	im->fd = -1;
}

/* Are there binfmt_misc handlers, which could run a file of a format the
 * kernel itself does not know? Only those dune can see: where binfmt_misc
 * is mounted in this process's view. */
static bool binfmt_misc_in_use(void)
{
	char status[16] = { 0 }, dents[4096];
	long fd = open_path(AT_FDCWD, BINFMT_MISC "/status", O_RDONLY), n;
	bool some = false;

	if (fd < 0)
		return false;
	n = raw_syscall3(SYS_read, fd, status, sizeof(status) - 1);
	raw_syscall1(SYS_close, fd);
	if (n <= 0 || strncmp(status, "enabled", 7))
		return false;
	fd = open_path(AT_FDCWD, BINFMT_MISC, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return true; /* enabled, and nothing more known */
	while (!some && (n = raw_syscall3(SYS_getdents64, fd, dents, sizeof(dents))) > 0) {
		/* getdents64 fills struct linux_dirent64: glibc's dirent64 layout. */
		for (long at = 0; at < n;) {
			const char *name = dents + at + offsetof(struct dirent64, d_name);
			unsigned short reclen;

			memcpy(&reclen, dents + at + offsetof(struct dirent64, d_reclen), sizeof(reclen));
			at += reclen;
			if (strcmp(name, ".") && strcmp(name, "..") && strcmp(name, "status") &&
			    strcmp(name, "register"))
				some = true;
		}
	}
	raw_syscall1(SYS_close, fd);
	return some;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The interpreter a #! line names, as binfmt_script reads it from the first
 * BINPRM_BUF bytes (zero-padded): after "#!" and blanks, up to a blank, a
 * NUL or the line's end. -ENOEXEC where the kernel finds none, or where no
 * line end is in the buffer and the name may have been cut short. */
static int script_interpreter(char *buf, char **name)
{
	char *end = memchr(buf, '\n', BINPRM_BUF), *p, *q;
	bool line_ends = end != NULL;

	if (!line_ends)
		end = buf + BINPRM_BUF - 1;
	for (p = buf + 2; p < end && blank(*p); p++)
		;
	for (q = p; q < end && !blank(*q) && *q; q++)
		;
	if (q == p || (q == end && !line_ends))
		return -ENOEXEC;
	*q = '\0';
	*name = p;
	return 0;
}

/* How a message names the file judged: the file itself, or an interpreter. */
#define WHAT(name) (name) ? "its #! interpreter " : "it", (name) ? (name) : ""

static int check_file(struct exec_image *im, int fd, const char *name, int depth);

/* Opened as the kernel opens an interpreter (open_exec: by name, from the
 * working directory), then judged as a file of its own. */
static int check_interpreter(struct exec_image *im, const char *name, int depth)
{
	long fd = open_path(AT_FDCWD, name, O_PATH), rfd;
	int r;

	if (fd < 0)
		return (int)fd;
	r = executable((int)fd);
	rfd = r ? -1 : reopen((int)fd);
	raw_syscall1(SYS_close, fd);
	if (r)
		return r;
	if (rfd < 0)
		return refuse(im, "cannot read its #! interpreter %s to check it (%s)", name,
			      strerror((int)-rfd));
	r = check_file(im, (int)rfd, name, depth);
	raw_syscall1(SYS_close, rfd);
	return r;
}

/* The credentials it runs with: AT_SECURE makes ld.so ignore LD_AUDIT (and
 * LD_PRELOAD). The kernel sets it for a set-ID file, file capabilities, and
 * a process whose effective user or group ID is not its real one. */
static int check_credentials(struct exec_image *im, int fd, const char *name)
{
	unsigned int uid[3], gid[3]; /* real, effective, saved */
	char cap[64];
	struct stat st;
	long r = raw_syscall2(SYS_fstat, fd, &st);

	if (!raw_syscall3(SYS_getresuid, &uid[0], &uid[1], &uid[2]) &&
	    !raw_syscall3(SYS_getresgid, &gid[0], &gid[1], &gid[2]) &&
	    (uid[0] != uid[1] || gid[0] != gid[1]))
		return refuse(im, "this process's effective user or group ID is not its real one: "
			      "the kernel starts %s%s with AT_SECURE, and the loader ignores "
			      "LD_AUDIT for it", WHAT(name));
	if (r < 0)
		return refuse(im, "cannot stat %s%s (%s)", WHAT(name), strerror((int)-r));
	if (st.st_mode & S_ISUID)
		return refuse(im, "%s%s is set-user-ID: the loader ignores LD_AUDIT for it",
			      WHAT(name));
	if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		return refuse(im, "%s%s is set-group-ID: the loader ignores LD_AUDIT for it",
			      WHAT(name));
	r = raw_syscall6(SYS_fgetxattr, fd, (long)"security.capability", (long)cap, sizeof(cap), 0,
			 0);
	if (r >= 0 || r == -ERANGE)
		return refuse(im, "%s%s has file capabilities (security.capability): the loader "
			      "ignores LD_AUDIT for it", WHAT(name));
	if (r != -ENODATA && r != -EOPNOTSUPP)
		return refuse(im, "cannot read the file capabilities of %s%s (%s)", WHAT(name),
			      strerror((int)-r));
	return 0;
}

static long read_at(int fd, void *dst, long len, uint64_t offset)
{
	return raw_syscall6(SYS_pread64, fd, (long)dst, len, (long)offset, 0, 0);
}

/* What the runtime maps before it can run a program (its arena, 1 GiB of
 * address space, and the page-table pool, 1 GiB of private writable
 * memory), with room for its libraries and ld.so's work: below this, dune
 * cannot run an image at all. */
#define RUNTIME_ROOM ((2ull << 30) + (256ull << 20))

/* The bytes the ELF's PT_LOAD segments take, as the kernel maps them. */
static uint64_t load_size(const Elf64_Phdr *ph, int n)
{
	uint64_t size = 0;

	for (int i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD)
			size += (ph[i].p_memsz + (ph[i].p_vaddr & 4095) + 4095) & ~4095ull;
	return size;
}

/* Room for ld.so to load dune's module (LD_AUDIT) in the new image, within
 * the limits the program passes on: without it, ld.so would say so and go
 * on without dune. The address-space and private-memory limits must hold
 * the image and the runtime. (Descriptors need no check: dune opened the
 * file to judge it, and its descriptors close at the exec, leaving ld.so
 * one at least.) */
static int check_room(struct exec_image *im, const char *name, uint64_t image_size)
{
	static const struct { int resource; const char *name; } memory[] = {
		{ RLIMIT_AS, "RLIMIT_AS" }, { RLIMIT_DATA, "RLIMIT_DATA" },
	};
	struct rlimit rl;

	for (size_t i = 0; i < sizeof(memory) / sizeof(memory[0]); i++)
		if (!raw_syscall2(SYS_getrlimit, memory[i].resource, &rl) &&
		    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < image_size + RUNTIME_ROOM)
			return refuse(im, "its limit %s (%llu bytes) leaves no room for dune next to "
				      "%s%s: ld.so would start it without dune", memory[i].name,
				      (unsigned long long)rl.rlim_cur, WHAT(name));
	return 0;
}

/* An ELF file: the kernel's ENOEXEC where it would not load it at all. */
static int check_elf(struct exec_image *im, int fd, const unsigned char *buf, const char *name)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[PHDRS_MAX / sizeof(Elf64_Phdr)];
	char interp[PATH_MAX];
	struct stat st;
	long n, ifd, size;
	int r;

	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return refuse(im, "%s%s is not an x86-64 ELF: ld.so cannot bring it under dune",
			      WHAT(name));
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return -ENOEXEC;
	size = (long)eh.e_phnum * (long)sizeof(Elf64_Phdr);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || size == 0 || size > (long)sizeof(ph) ||
	    read_at(fd, ph, size, eh.e_phoff) != size)
		return -ENOEXEC;
	for (n = 0; n < eh.e_phnum && ph[n].p_type != PT_INTERP; n++)
		;
	if (n == eh.e_phnum)
		return refuse(im, "%s%s is a static executable (no PT_INTERP): ld.so cannot "
			      "bring it under dune", WHAT(name));
	/* The first PT_INTERP, as the kernel reads it. */
	if (ph[n].p_filesz < 2 || ph[n].p_filesz > sizeof(interp) ||
	    read_at(fd, interp, (long)ph[n].p_filesz, ph[n].p_offset) != (long)ph[n].p_filesz ||
	    interp[ph[n].p_filesz - 1] != '\0')
		return -ENOEXEC;
	if (!loader.known)
		return refuse(im, "dune does not know which loader it runs with, so it cannot "
			      "check the PT_INTERP of %s%s", WHAT(name));
	ifd = open_path(AT_FDCWD, interp, O_PATH);
	if (ifd < 0)
		return (int)ifd; /* the kernel's error for a missing interpreter */
	r = (int)raw_syscall2(SYS_fstat, ifd, &st);
	raw_syscall1(SYS_close, ifd);
	if (r < 0)
		return r;
	if (st.st_dev != loader.dev || st.st_ino != loader.ino)
		return refuse(im, "the interpreter of %s%s (PT_INTERP %s) is not the loader dune "
			      "runs with (%s), the one known to honour LD_AUDIT", WHAT(name),
			      interp, loader.path);
	if ((r = check_credentials(im, fd, name)))
		return r;
	return check_room(im, name, load_size(ph, eh.e_phnum));
}

/* The verdict on the file open for reading at fd (name: NULL for the file
 * exec'd, else a #! interpreter): 0 if it comes back under dune, -EACCES
 * (why filled) if not, or the error the kernel would give. */
static int check_file(struct exec_image *im, int fd, const char *name, int depth)
{
	unsigned char buf[BINPRM_BUF + 1] = { 0 };
	long n = read_at(fd, buf, BINPRM_BUF, 0);
	char *interp;
	int r;

	if (n < 0)
		return refuse(im, "cannot read %s%s to check it (%s)", WHAT(name),
			      strerror((int)-n));
	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		if ((r = script_interpreter((char *)buf, &interp)))
			return r;
		if (depth == SCRIPT_DEPTH)
			return -ELOOP;
		return check_interpreter(im, interp, depth + 1);
	}
	/* Not a script: exec the descriptor, so that the file checked is the file run. */
	if (depth == 0)
		im->by_fd = true;
	if (n >= (long)sizeof(Elf64_Ehdr) && !memcmp(buf, ELFMAG, SELFMAG))
		return check_elf(im, fd, buf, name);
	if (binfmt_misc_in_use())
		return refuse(im, "%s%s is neither an ELF nor a #! script: a binfmt_misc handler "
			      "may run it, outside dune", WHAT(name));
	return 0; /* ENOEXEC from the kernel, as natively: nothing runs it */
}

int exec_image_check(struct exec_image *im)
{
	long fd = reopen(im->fd);
	int r;

	if (fd < 0)
		return refuse(im, "cannot read it to check it (%s)", strerror((int)-fd));
	raw_syscall1(SYS_close, im->fd);
	/* From here the program cannot close it and put another file there. */
	im->fd = fd_protect((int)fd);
	im->protected_fd = true;
	r = executable(im->fd); /* the same file, unless another thread raced the reopen */
	if (r == 0)
		r = check_file(im, im->fd, NULL, 0);
	if (r)
		im->by_fd = false;
	return r;
}
