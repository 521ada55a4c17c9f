/* exec.c: execve and execveat: the new image comes back under dune.
 *
 * It enters dune through LD_AUDIT (audit.c): ld.so loads dune's audit
 * module, and with it the runtime, in a namespace of their own before it
 * maps any library of the program's, so dune enters before any code of the
 * new image's runs. The runtime therefore rewrites the environment the
 * program passes. The new one has one LD_AUDIT, dune's module first, then
 * the program's modules (ld.so reads every LD_AUDIT; they load after dune
 * entered, in the guest), and the program's last LD_PRELOAD (the one ld.so
 * reads), both without any entry that names dune's own files: a second
 * runtime would only find the first already there. It has none of the
 * program's DUNE_* variables but the runtime's own, as the process started
 * with them: a program may not choose another policy for its next image.
 * Under a policy, it also lacks the loader's variables that write files
 * before any module loads: LD_DEBUG_OUTPUT and LD_PROFILE (ld.so opens
 * their files itself).
 *
 * Under a policy (enforce_confines), the file must also be one that comes
 * back under dune (exec_image.c); anything else fails with EACCES and one
 * dune: line, or runs natively, with a line, if the policy says
 * on-unavailable = native. Without a policy that applies, the image runs as
 * it would natively, static or set-user-ID ones outside dune.
 *
 * A file that was checked is exec'd through the descriptor dune read it
 * from. The kernel then names it /dev/fd/N (AT_EXECFN, and comm before
 * Linux 6.14; the file's own name after), so the old image passes the
 * native name in DUNE_EXECFN and the new image's runtime puts it back
 * (exec_init).
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "exec.h"
#include "guest.h"
#include "log.h"
#include "rawsys.h"
#include "runtime_files.h"

#define EXECFN_VAR "DUNE_EXECFN="
#define POLICY_EXE_VAR "DUNE_POLICY_EXE="
#define EXTRA_ENV 3 /* LD_AUDIT, LD_PRELOAD and DUNE_EXECFN, besides the settings */
#define AUDIT_NAME "libduneaudit.so"

/* dune's files: the runtime, and the audit module beside it (audit.c). */
struct own_file {
	char path[PATH_MAX];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec ctime; /* with size: the file as this process found it (no one sets ctime) */
};
static struct own_file runtime_file, audit_file;
static bool entered_by_audit; /* this runtime is LD_AUDIT's, not LD_PRELOAD's */
static char **settings; /* "DUNE_...=..." as the process started, in runtime memory */
static int nr_settings;

static bool only_digits(const char *s)
{
	if (!*s)
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	return !*s;
}

/* In an image that dune exec'd through a descriptor: AT_EXECFN and comm as
 * a native exec would have set them, and DUNE_EXECFN out of the environment. */
static void restore_execfn(char **env)
{
	extern void *__libc_stack_end; /* ld.so's: the address of argc, on x86-64 */
	const size_t len = strlen(EXECFN_VAR);
	long *sp = __libc_stack_end, at;
	char **e, *name, *base;

	for (at = 0; env && env[at] && strncmp(env[at], EXECFN_VAR, len); at++)
		;
	if (!env || !env[at])
		return;
	name = env[at] + len;
	/* The auxiliary vector follows the kernel's copy of envp, on the stack. */
	for (e = (char **)(sp + 1) + sp[0] + 1; *e; e++)
		;
	for (Elf64_auxv_t *aux = (Elf64_auxv_t *)(e + 1); aux->a_type != AT_NULL; aux++)
		if (aux->a_type == AT_EXECFN && aux->a_un.a_val == getauxval(AT_EXECFN))
			aux->a_un.a_val = (uint64_t)(uintptr_t)name;
	for (; env[at]; at++)
		env[at] = env[at + 1];
	/* comm is the name's last part, except for execveat(fd, "",
	 * AT_EMPTY_PATH): Linux 6.14 and later name the file there, as for
	 * dune's descriptor; older ones, "N": put the program's N back. */
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (!strncmp(name, "/dev/fd/", 8) && base == name + 8 && only_digits(base)) {
		char comm[16] = "";

		prctl(PR_GET_NAME, comm);
		if (!only_digits(comm))
			return;
	}
	prctl(PR_SET_NAME, base);
}

static bool own_file_stat(struct own_file *f)
{
	struct stat st;

	if (!f->path[0] || stat(f->path, &st)) {
		f->path[0] = '\0';
		return false;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->ctime = st.st_ctim;
	return true;
}

/* dune's files, by absolute paths (the program may change directory), and
 * how this runtime came in: ld.so loads LD_AUDIT's modules in namespaces
 * other than the program's. */
static void find_own_files(void)
{
	struct link_map *map = NULL;
	Lmid_t ns = LM_ID_BASE;
	Dl_info info;
	char *slash;

	runtime_file.path[0] = audit_file.path[0] = '\0';
	if (!dladdr1((void *)exec_init, &info, (void **)&map, RTLD_DL_LINKMAP) || !info.dli_fname)
		return;
	entered_by_audit = map && !dlinfo(map, RTLD_DI_LMID, &ns) && ns != LM_ID_BASE;
	if (info.dli_fname[0] == '/' && strlen(info.dli_fname) < sizeof(runtime_file.path))
		strcpy(runtime_file.path, info.dli_fname);
	else if (info.dli_fname[0] == '/' || !realpath(info.dli_fname, runtime_file.path))
		return;
	if (!own_file_stat(&runtime_file))
		return;
	runtime_files_add(runtime_file.dev, runtime_file.ino);
	slash = strrchr(runtime_file.path, '/');
	if ((size_t)(slash - runtime_file.path) + sizeof("/" AUDIT_NAME) > sizeof(audit_file.path))
		return;
	memcpy(audit_file.path, runtime_file.path, (size_t)(slash - runtime_file.path));
	strcpy(audit_file.path + (slash - runtime_file.path), "/" AUDIT_NAME);
	if (own_file_stat(&audit_file))
		runtime_files_add(audit_file.dev, audit_file.ino);
}

/* The DUNE_* settings, copied into runtime memory: the program may write
 * over its own environment. */
static void keep_settings(char **env)
{
	const char *exe = enforce_policy_exe(&dune_guest);
	size_t size = 0;
	int n = 0;
	char *p;

	for (char **e = env; e && *e; e++) {
		if (!strncmp(*e, "DUNE_", 5))
			size += sizeof(char *) + strlen(*e) + 1, n++;
		if (!strncmp(*e, POLICY_EXE_VAR, strlen(POLICY_EXE_VAR)))
			exe = NULL; /* inherited: among the settings already */
	}
	if (exe) /* the policy follows the process across exec (enforce.c) */
		size += sizeof(char *) + strlen(POLICY_EXE_VAR) + strlen(exe) + 1, n++;
	if (!n)
		return;
	settings = raw_mmap(size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (!settings)
		dune_fatal("cannot keep the DUNE_* settings for the images this one execs");
	p = (char *)(settings + n);
	for (char **e = env; e && *e; e++)
		if (!strncmp(*e, "DUNE_", 5)) {
			settings[nr_settings++] = p;
			p = stpcpy(p, *e) + 1;
		}
	if (exe) {
		settings[nr_settings++] = p;
		stpcpy(stpcpy(p, POLICY_EXE_VAR), exe);
	}
}

/* Is the file an entry (len bytes at s) of LD_PRELOAD or LD_AUDIT names
 * this one of dune's, however it is spelled: the same file (ld.so loads a
 * file once, where it first comes), or a name ld.so searches for that is
 * the file's own? */
static bool names_file(const struct own_file *f, const char *path, const struct stat *st)
{
	const char *base = strrchr(f->path, '/');

	if (!f->path[0])
		return false;
	if (!strchr(path, '/') && base && !strcmp(path, base + 1))
		return true;
	return st && st->st_dev == f->dev && st->st_ino == f->ino;
}

static bool names_dune(const char *s, size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	bool found;

	if (len >= sizeof(path))
		return false;
	memcpy(path, s, len);
	path[len] = '\0';
	found = !raw_syscall2(SYS_stat, path, &st);
	return names_file(&runtime_file, path, found ? &st : NULL) ||
	       names_file(&audit_file, path, found ? &st : NULL);
}

/* Does the LD_PRELOAD this process started with list a library after
 * dune's first entry? ld.so loaded dune's library there, and ran that
 * library's constructor before dune's: code outside the guest. */
static bool preload_listed_after_dune(char **env)
{
	const char *list = NULL;
	bool seen = false;

	for (char **e = env; e && *e; e++)
		if (!strncmp(*e, "LD_PRELOAD=", 11))
			list = *e + 11; /* ld.so reads the last one */
	while (list && *list && runtime_file.path[0]) {
		size_t len = strcspn(list, " :");

		if (len && names_dune(list, len))
			seen = true;
		else if (len && seen)
			return true;
		list += len + (list[len] != '\0');
	}
	return false;
}

bool exec_entered_by_audit(void)
{
	return entered_by_audit;
}

const char *exec_init(char **environ_at_entry)
{
	restore_execfn(environ_at_entry);
	find_own_files();
	keep_settings(environ_at_entry);
	exec_image_init();
	/* Through LD_AUDIT, every preloaded library's constructor runs after entry. */
	if (enforce_confines(&dune_guest) && !entered_by_audit &&
	    preload_listed_after_dune(environ_at_entry))
		return "LD_PRELOAD lists a library after dune's, and ld.so ran its constructor before "
		       "dune could enter: put dune's library last (dune-run does)";
	return NULL;
}

static const char *file_unusable(const struct own_file *f)
{
	struct stat st;

	if (strpbrk(f->path, " :"))
		return "a space or a colon, which split LD_AUDIT and LD_PRELOAD, is in the path of";
	if (raw_syscall2(SYS_stat, f->path, &st) || st.st_dev != f->dev || st.st_ino != f->ino)
		return "dune's file is no longer where this process found it:";
	if (st.st_size != f->size || st.st_ctim.tv_sec != f->ctime.tv_sec ||
	    st.st_ctim.tv_nsec != f->ctime.tv_nsec)
		return "dune's file changed since this process started:";
	if (raw_syscall2(SYS_access, f->path, R_OK))
		return "ld.so could not read dune's file";
	return NULL;
}

/* ld.so looks for the runtime (the audit module's DT_NEEDED) in
 * subdirectories of the module's directory first: glibc-hwcaps, for each
 * level of the x86-64 ABI the CPU has, and (glibc before 2.37) the legacy
 * tls and platform ones. A program that may write there could put its own
 * library in dune's place. */
static bool hwcaps_beside(const struct own_file *f)
{
	static const char *const levels[] = {
		"glibc-hwcaps/x86-64-v4", "glibc-hwcaps/x86-64-v3", "glibc-hwcaps/x86-64-v2",
		"tls/x86_64/x86_64", "tls/x86_64", "tls", "x86_64/x86_64", "x86_64",
	};
	char path[PATH_MAX + sizeof("/glibc-hwcaps/x86-64-v4/libdunepre.so")];
	const char *slash = strrchr(f->path, '/');
	struct stat st;

	for (size_t i = 0; slash && i < sizeof(levels) / sizeof(levels[0]); i++) {
		char *p = path + (slash - f->path);

		memcpy(path, f->path, (size_t)(slash - f->path));
		*p++ = '/';
		p = stpcpy(p, levels[i]);
		strcpy(p, "/libdunepre.so");
		if (raw_syscall2(SYS_lstat, path, &st) != -ENOENT)
			return true;
	}
	return false;
}

/* Will ld.so load dune's audit module, and the runtime, from the paths
 * LD_AUDIT gives? NULL, or why not, and the file in *file. */
static const char *dune_unusable(const char **file)
{
	const char *why;

	*file = runtime_file.path;
	if (!runtime_file.path[0])
		return "dune does not know the path of its own library";
	if ((why = file_unusable(&runtime_file)))
		return why;
	*file = audit_file.path;
	if (!audit_file.path[0])
		return "dune's audit module " AUDIT_NAME " is not beside its library";
	if ((why = file_unusable(&audit_file)))
		return why;
	if (hwcaps_beside(&audit_file))
		return "ld.so would load a libdunepre.so in a subdirectory (glibc-hwcaps, tls, x86_64) "
		       "first, beside";
	return NULL;
}

/* Loader variables that make ld.so write files before any module loads. */
static bool loader_acts_first(const char *e)
{
	return !strncmp(e, "LD_DEBUG_OUTPUT=", 16) || !strncmp(e, "LD_PROFILE=", 11);
}

/* Appends to p the entries of list (NULL: none), split as ld.so splits
 * them, except those that name dune's files, each followed by a colon. */
static char *append_foreign(char *p, const char *list, const char *separators)
{
	while (list && *list) {
		size_t len = strcspn(list, separators);

		if (len && !names_dune(list, len)) {
			p = (char *)memcpy(p, list, len) + len;
			*p++ = ':';
		}
		list += len + (list[len] != '\0');
	}
	return p;
}

/* "LD_AUDIT=" dune's module, then the program's modules (every LD_AUDIT,
 * in order, as ld.so reads them; split at colons). */
static char *audit_entry(struct exec_args *a)
{
	size_t size = strlen("LD_AUDIT=") + strlen(audit_file.path) + 2;
	char *entry, *p;

	for (long i = 0; i < a->envc; i++)
		if (!strncmp(a->envp[i], "LD_AUDIT=", 9))
			size += strlen(a->envp[i]);
	if (!(entry = exec_args_alloc(a, size)))
		return NULL;
	p = stpcpy(stpcpy(entry, "LD_AUDIT="), audit_file.path);
	*p++ = ':';
	for (long i = 0; i < a->envc; i++)
		if (!strncmp(a->envp[i], "LD_AUDIT=", 9))
			p = append_foreign(p, a->envp[i] + 9, ":");
	p[-1] = '\0';
	return entry;
}

/* "LD_PRELOAD=" the entries of theirs, split as ld.so splits them (spaces
 * and colons), without dune's; "" when none is left. */
static char *preload_entry(struct exec_args *a, const char *theirs)
{
	char *entry = exec_args_alloc(a, strlen("LD_PRELOAD=") + strlen(theirs) + 2), *p;

	if (!entry)
		return NULL;
	p = append_foreign(stpcpy(entry, "LD_PRELOAD="), theirs, " :");
	if (p[-1] == '=')
		return "";
	p[-1] = '\0';
	return entry;
}

/* The new image's environment, in place of the program's (see the top).
 * Where ld.so cannot load dune's files (dune_unusable), the program's own
 * LD_AUDIT and LD_PRELOAD stay: only a judged exec (under a policy) would
 * have refused. */
static int new_environment(struct exec_args *a, bool confine, const char *execfn)
{
	const char *unused;
	bool enter = !dune_unusable(&unused);
	char *theirs = NULL, *audit = NULL, *preload = NULL, *name = NULL;
	long k = 0;

	for (long i = 0; i < a->envc; i++)
		if (!strncmp(a->envp[i], "LD_PRELOAD=", 11))
			theirs = a->envp[i] + 11; /* ld.so reads the last one */
	if (enter && (!(audit = audit_entry(a)) || (theirs && !(preload = preload_entry(a, theirs)))))
		return -E2BIG;
	if (execfn && (name = exec_args_alloc(a, strlen(EXECFN_VAR) + strlen(execfn) + 1)))
		stpcpy(stpcpy(name, EXECFN_VAR), execfn);
	else if (execfn)
		return -E2BIG;
	for (long i = 0; i < a->envc; i++) {
		char *e = a->envp[i];
		bool loader = !strncmp(e, "LD_PRELOAD=", 11) || !strncmp(e, "LD_AUDIT=", 9);

		if (strncmp(e, "DUNE_", 5) && !(confine && loader_acts_first(e)) && !(enter && loader))
			a->envp[k++] = e;
	}
	if (enter) {
		memmove(a->envp + 1 + (preload && *preload), a->envp, k * sizeof(*a->envp));
		a->envp[0] = audit;
		if (preload && *preload)
			a->envp[1] = preload;
		k += 1 + (preload && *preload);
	}
	for (int i = 0; i < nr_settings; i++)
		a->envp[k++] = settings[i];
	if (name)
		a->envp[k++] = name;
	a->envp[k] = NULL;
	return 0;
}

/* What a native exec names the image (AT_EXECFN): the path, or the
 * kernel's /dev/fd/N[/path] when it is relative to a descriptor. */
static void native_name(const struct exec_call *c, const char *path, char *out, size_t len)
{
	if (c->dirfd == AT_FDCWD || path[0] == '/')
		snprintf(out, len, "%s", path);
	else if (!path[0])
		snprintf(out, len, "/dev/fd/%d", c->dirfd);
	else
		snprintf(out, len, "/dev/fd/%d/%s", c->dirfd, path);
}

/* Names from the program and its files, fit for one line of a message. */
static void printable(char *dst, const char *src, size_t len)
{
	size_t n = 0;

	for (; *src && n + 1 < len; src++)
		dst[n++] = (unsigned char)*src < 0x20 || *src == 0x7f ? '?' : *src;
	dst[n] = '\0';
}

/* Under a policy: 0 to exec the image, its own error, or -EACCES after one
 * dune: line when it would not come back under dune. */
static int judge(struct guest *g, struct exec_image *im, const char *name)
{
	const char *file, *unusable = dune_unusable(&file);
	int r = unusable ? -EACCES : exec_image_check(im);
	char shown[256], why[sizeof(im->why)];

	if (unusable)
		snprintf(im->why, sizeof(im->why), "%s %.400s", unusable, file);
	if (r != -EACCES || !im->why[0])
		return r; /* what the kernel itself would answer */
	printable(shown, name, sizeof(shown));
	printable(why, im->why, sizeof(why));
	if (g->policy.on_unavailable == POLICY_UNAVAILABLE_NATIVE) {
		dune_error("%s runs outside dune (on-unavailable = native): %s", shown, why);
		im->by_fd = false;
		return 0;
	}
	dune_error("exec of %s refused: %s", shown, why);
	return -EACCES;
}

/* What the kernel refuses before it opens anything, in its order. */
static int call_valid(const struct exec_call *c, const char *path)
{
	if (!path[0] && !(c->flags & AT_EMPTY_PATH))
		return -ENOENT;
	if (c->flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_EXECVE_CHECK))
		return -EINVAL;
	return 0; /* a runtime descriptor as dirfd: sysargs.c answered EBADF */
}

long exec_guest(struct guest *g, long nr, long a1, long a2, long a3, long a4, long a5)
{
	const struct exec_call c = nr == SYS_execve
		? (struct exec_call){ AT_FDCWD, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3, 0 }
		: (struct exec_call){ (int)a1, (uint64_t)a2, (uint64_t)a3, (uint64_t)a4, (int)a5 };
	bool confine = enforce_confines(g);
	struct exec_image im = { .fd = -1 };
	struct exec_args a;
	char name[PATH_MAX + 32];
	long r;

	/* The kernel's order: the name, the file, the strings, the format. */
	r = exec_args_path(g, &c, &a);
	if (!r)
		r = call_valid(&c, a.path);
	if (!r)
		r = exec_image_open(&im, &c, a.path);
	/* Out of descriptors: the kernel needs none, and only a check needs ours. */
	if (!confine && (r == -EMFILE || r == -ENFILE))
		r = 0;
	if (!r)
		r = exec_args_strings(g, &c, nr_settings + EXTRA_ENV, &a);
	if (!r) {
		native_name(&c, a.path, name, sizeof(name));
		if (confine)
			r = judge(g, &im, name);
	}
	if (!r)
		r = new_environment(&a, confine, im.by_fd ? name : NULL);
	if (!r && im.by_fd)
		r = raw_syscall6(SYS_execveat, im.fd, (long)"", (long)a.argv, (long)a.envp,
				 AT_EMPTY_PATH | (c.flags & AT_EXECVE_CHECK), 0);
	else if (!r && nr == SYS_execve)
		r = raw_syscall3(SYS_execve, a.path, a.argv, a.envp);
	else if (!r)
		r = raw_syscall6(SYS_execveat, c.dirfd, (long)a.path, (long)a.argv, (long)a.envp,
				 c.flags, 0);
	exec_image_close(&im);
	exec_args_put(&a);
	return r;
}
