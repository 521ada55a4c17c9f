/* escape_exec.c: ways out of dune through execve, one per subcommand; each
 * prints what happened, so that the tests can hold dune to its promise.
 * Built twice: dynamic (escape_exec) and static (escape_exec_static).
 *
 *   probe [...] DIR        the image an attack starts: says whether it runs
 *                          under dune, tries mkdir(DIR) (its last argument,
 *                          also when it runs as a #! interpreter) and prints
 *                          its LD_AUDIT, LD_PRELOAD and DUNE_POLICY entries
 *   names                  argv[0], AT_EXECFN, comm and /proc/self/exe
 *   exec FILE ARG0 ARG...  execv(FILE, ARG0 ARG...)
 *   execveat FILE ARG0 ARG...   the same through an O_PATH descriptor
 *                          (execveat with AT_EMPTY_PATH)
 *   execveat-dir DIR NAME ARG0 ARG...   execveat(open(DIR), NAME)
 *   exec-env FILE DIR ENTRY...   execve(FILE, [FILE, probe, DIR], [ENTRY...])
 *   limit-as BYTES FILE ARG0 ARG...   execv under an address-space limit
 *                          BYTES above what the process has mapped
 *   fill-fds FILE ARG0 ARG...   execv with every descriptor below a limit
 *                          of 64 open and kept across the exec
 *   dlopen-runtime LIB DIR  dlopen dune's library a second time, then probe
 *   stack-scan REVERSED    is the marker (REVERSED, reversed: argv holds
 *                          only that) on the stack below argc, where ld.so
 *                          read files before main?
 *   exec-preload LIB FILE ARG0 ARG...   execv with LD_PRELOAD=LIB
 *   exec-setresgid FILE ARG0 ARG...   execv with the real group ID changed
 *                          to 65534 and the effective one kept (AT_SECURE)
 *   prlimit-other          lower a child's RLIMIT_NOFILE with prlimit64
 *   confine-paths          a user namespace, a mount namespace, a
 *                          Landlock ruleset, mounts and chroot: what each
 *                          call answers
 *   runtime-files DIR      write to dune's files (copies in DIR, which dune
 *                          runs from) and to libc by every way to open or
 *                          truncate them; exec; plant a glibc-hwcaps
 *                          directory in DIR; exec
 *   fault-path|fault-arg|fault-env|fault-envp   execve with the path, an
 *                          argument, an environment string or the envp
 *                          array running off the end of its mapping
 *   runtime-path|runtime-arg|runtime-env|runtime-envp   the same pointing
 *                          into dune's own library (libdunepre.so in the
 *                          loader's list), if there is one
 */
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "find_runtime.h"

#define DUNE_QUERY 0x44554e45

extern char **environ;

static int probe(int argc, char **argv)
{
	const char *dir = argv[argc - 1];
	long q = syscall(DUNE_QUERY, (char[64]){ 0 });
	long r = mkdir(dir, 0755);
	int e = errno;
	struct stat st;

	printf("image: %s\n", q == 0 ? "under dune" : "native");
	printf("mkdir: %ld (%s), %s\n", r, r ? strerror(e) : "ok",
	       stat(dir, &st) == 0 ? "the directory exists" : "no directory");
	for (char **p = environ; *p; p++)
		if (!strncmp(*p, "LD_AUDIT=", 9) || !strncmp(*p, "LD_PRELOAD=", 11) ||
		    !strncmp(*p, "DUNE_POLICY=", 12))
			printf("%s\n", *p);
	return 0;
}

static int names(char **argv)
{
	char comm[32] = "", exe[4096] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (f && fgets(comm, sizeof(comm), f))
		comm[strcspn(comm, "\n")] = '\0';
	if (f)
		fclose(f);
	exe[n > 0 ? n : 0] = '\0';
	printf("argv[0] %s\nAT_EXECFN %s\ncomm %s\nexe %s\n", argv[0],
	       (const char *)getauxval(AT_EXECFN), comm, exe);
	return 0;
}

static int report(const char *what, long r)
{
	printf("%s: %ld (%s)\n", what, r, r < 0 ? strerror(errno) : "ok");
	return 1;
}

/* A page whose end runs into an unmapped one: n bytes at its end, no NUL. */
static char *edge(size_t n, char fill)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p + 4096, 4096))
		return NULL;
	memset(p + 4096 - n, fill, n);
	return p + 4096 - n;
}

static int fault(const char *how)
{
	char *s = edge(64, 'A'), *path = (char *)"/bin/true";
	char *args[] = { "true", NULL }, *env[] = { "X=1", NULL }, **envp = env;

	if (!s)
		return report("mmap", -1);
	if (!strcmp(how, "fault-path"))
		path = s;
	else if (!strcmp(how, "fault-arg"))
		args[0] = s;
	else if (!strcmp(how, "fault-env"))
		memcpy(s, "LD_PRELOAD=", 11), env[0] = s;
	else /* fault-envp: the array itself, without its NULL */
		envp = (char **)edge(2 * sizeof(char *), 0), envp[0] = envp[1] = (char *)"X=1";
	return report("execve", syscall(SYS_execve, path, args, envp));
}

/* The start of dune's library in this process, or NULL natively: from the
 * loader's list (find_runtime.h). */
static char *runtime_address(void)
{
	const ElfW(Phdr) *ph;
	int n;

	return (char *)find_runtime(&ph, &n);
}

static int runtime(const char *how)
{
	char *p = runtime_address(), *path = (char *)"/bin/true";
	char *args[] = { "true", NULL }, *env[] = { "X=1", NULL }, **envp = env;

	if (!p) {
		printf("no runtime mapping\n");
		return 0;
	}
	if (!strcmp(how, "runtime-path"))
		path = p;
	else if (!strcmp(how, "runtime-arg"))
		args[0] = p;
	else if (!strcmp(how, "runtime-env"))
		env[0] = p;
	else
		envp = (char **)p;
	return report("execve", syscall(SYS_execve, path, args, envp));
}

/* Limits that would leave ld.so no room to load anything more. */
static int limit_as(char **argv)
{
	struct rlimit rl = { strtoull(argv[2], NULL, 0), RLIM_INFINITY };
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%lu", &pages) != 1)
		return report("statm", -1);
	fclose(f);
	rl.rlim_cur += pages * 4096;
	if (setrlimit(RLIMIT_AS, &rl))
		return report("setrlimit", -1);
	execv(argv[3], argv + 4);
	return report("execv", -1);
}

static int fill_fds(char **argv)
{
	struct rlimit rl = { 64, 64 };
	int fd;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		return report("setrlimit", -1);
	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		;
	execv(argv[2], argv + 3);
	return report("execv", -1);
}

/* A process whose effective group ID is not its real one: the kernel
 * starts the next image with AT_SECURE, and ld.so ignores LD_AUDIT. */
static int exec_setresgid(char **argv)
{
	if (setresgid(65534, -1, -1))
		return report("setresgid", -1);
	execv(argv[2], argv + 3);
	return report("execv", -1);
}

/* Another process's limits, as it is about to exec. */
static int prlimit_other(void)
{
	struct rlimit rl = { 64, 64 };
	pid_t child = fork();
	long r;

	if (child == 0) {
		pause();
		_exit(0);
	}
	r = syscall(SYS_prlimit64, child, RLIMIT_NOFILE, &rl, NULL);
	printf("prlimit64 of a child: %s\n", r ? strerror(errno) : "ok");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return 0;
}

/* What could change what the paths of dune's files name, or forbid them. */
static int confine_paths(void)
{
	long r = syscall(SYS_unshare, CLONE_NEWUSER);

	printf("unshare(CLONE_NEWUSER): %s\n", r ? strerror(errno) : "ok");
	r = syscall(SYS_unshare, CLONE_NEWNS);
	printf("unshare(CLONE_NEWNS): %s\n", r ? strerror(errno) : "ok");
	r = syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */);
	printf("landlock_create_ruleset: %s\n", r < 0 ? strerror(errno) : "ok");
	/* Paths that are not there: natively ENOENT or ENODEV, even for root. */
	r = syscall(SYS_mount, "none", "/nonexistent-dune-test", "tmpfs", 0, NULL);
	printf("mount: %s\n", r ? strerror(errno) : "ok");
	r = syscall(SYS_umount2, "/nonexistent-dune-test", 0);
	printf("umount2: %s\n", r ? strerror(errno) : "ok");
	r = syscall(SYS_open_tree, AT_FDCWD, "/nonexistent-dune-test", 1 /* OPEN_TREE_CLONE */);
	printf("open_tree: %s\n", r < 0 ? strerror(errno) : "ok");
	r = syscall(SYS_fsopen, "nonexistent-dune-test", 0);
	printf("fsopen: %s\n", r < 0 ? strerror(errno) : "ok");
	r = syscall(SYS_chroot, "/nonexistent-dune-test");
	printf("chroot: %s\n", r ? strerror(errno) : "ok");
	r = syscall(SYS_pivot_root, "/nonexistent-dune-test", "/nonexistent-dune-test");
	printf("pivot_root: %s\n", r ? strerror(errno) : "ok");
	return 0;
}

/* ld.so reads the first bytes of each file it tries to load into a buffer
 * on the stack; what it leaves there is the program's to read. */
static int stack_scan(const char *reversed)
{
	extern void *__libc_stack_end; /* ld.so's: where argc is, above every frame */
	size_t len = strlen(reversed);
	char *marker = malloc(len + 1), *top = __libc_stack_end;
	volatile char here;

	for (size_t i = 0; i < len; i++)
		marker[i] = reversed[len - 1 - i];
	marker[len] = '\0';
	/* ld.so's frames went deeper than this one: 64 KiB below it, within
	 * the stack's first mapping. */
	for (char *p = (char *)&here - (64 << 10); p + len <= top; p++)
		if (!memcmp(p, marker, len)) {
			printf("marker: found on the stack\n");
			return 0;
		}
	printf("marker: not on the stack\n");
	return 0;
}

/* A second runtime, loaded by the program: it finds dune there already. */
static int dlopen_runtime(int argc, char **argv)
{
#ifdef ESCAPE_EXEC_STATIC /* no dlopen worth the name there */
	printf("dlopen: not in a static build\n");
#else
	void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);

	printf("dlopen: %s\n", h ? "ok" : dlerror());
#endif
	return probe(argc, argv);
}

static void attempt(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
	if (r >= 0 && strncmp(what, "truncate", 8))
		close((int)r);
}

/* sh -c 'exit 5' in a child: its status, or what its exec answered. */
static void exec_child(const char *what)
{
	int status = 0;
	pid_t child;

	fflush(stdout);
	child = fork();
	if (child == 0) {
		execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
		printf("%s: %s\n", what, strerror(errno));
		fflush(stdout);
		_exit(1);
	}
	waitpid(child, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 5)
		printf("%s: ok\n", what);
}

/* DIR/SUB (and DIR/SUB2)/libdunepre.so: any library will do in dune's
 * place, ld.so would load it and the image would run without dune. Then
 * an exec, and the library is gone again. */
static int plant(const char *dir, const char *sub, const char *sub2)
{
	char path[PATH_MAX + 64], what[64];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	mkdir(path, 0755);
	if (sub2) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub2);
		mkdir(path, 0755);
	}
	strcat(path, "/libdunepre.so");
	if (symlink("/lib/x86_64-linux-gnu/libm.so.6", path))
		return -1;
	snprintf(what, sizeof(what), "exec with %s planted", sub);
	exec_child(what);
	return unlink(path);
}

static int runtime_files(const char *dir)
{
	char lib[PATH_MAX], audit[PATH_MAX], alias[PATH_MAX], proc[64];
	struct open_how how = { .flags = O_RDONLY | O_TRUNC };
	struct stat before, after;
	Dl_info libc;
	int fd;

	snprintf(lib, sizeof(lib), "%s/libdunepre.so", dir);
	snprintf(audit, sizeof(audit), "%s/libduneaudit.so", dir);
	snprintf(alias, sizeof(alias), "%s/alias.so", dir);
	if (stat(lib, &before) || !dladdr((void *)printf, &libc))
		return report("setting up", -1);
	attempt("open O_RDWR", open(lib, O_RDWR));
	attempt("open O_WRONLY|O_TRUNC", open(lib, O_WRONLY | O_TRUNC));
	attempt("open O_RDONLY|O_TRUNC", open(lib, O_RDONLY | O_TRUNC));
	attempt("creat", creat(lib, 0755));
	attempt("openat2 O_TRUNC", syscall(SYS_openat2, AT_FDCWD, lib, &how, sizeof(how)));
	/* "/" is DIR: a check that resolved the path from the real root would
	 * find no such file. */
	fd = open(dir, O_PATH | O_DIRECTORY);
	how.resolve = RESOLVE_IN_ROOT;
	attempt("openat2 O_TRUNC, RESOLVE_IN_ROOT",
		syscall(SYS_openat2, fd, "/libduneaudit.so", &how, sizeof(how)));
	close(fd);
	attempt("truncate", truncate(lib, 0));
	fd = open(lib, O_RDONLY);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	attempt("/proc/self/fd/N, O_WRONLY", open(proc, O_WRONLY));
	close(fd);
	attempt("the audit module, O_RDWR", open(audit, O_RDWR));
	attempt("libc, O_RDWR", open(libc.dli_fname, O_RDWR));
	printf("library unchanged: %s\n",
	       !stat(lib, &after) && after.st_size == before.st_size &&
	       after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
	       after.st_mtim.tv_nsec == before.st_mtim.tv_nsec ? "yes" : "no");
	fflush(stdout);
	exec_child("exec");
	/* glibc before 2.37 also searches the legacy platform directories. */
	if (plant(dir, "glibc-hwcaps", "glibc-hwcaps/x86-64-v2") || plant(dir, "x86_64", NULL))
		return report("planting", -1);
	/* Last: a new link changes the file's ctime, and dune then refuses
	 * every exec (the file is no longer the one it started with). */
	if (link(lib, alias))
		return report("linking", -1);
	attempt("a hard link, O_RDWR", open(alias, O_RDWR));
	fflush(stdout);
	exec_child("exec after a new link");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "limit-as"))
		return limit_as(argv);
	if (argc >= 4 && !strcmp(argv[1], "fill-fds"))
		return fill_fds(argv);
	if (argc == 4 && !strcmp(argv[1], "dlopen-runtime"))
		return dlopen_runtime(argc, argv);
	if (argc >= 5 && !strcmp(argv[1], "exec-preload")) {
		setenv("LD_PRELOAD", argv[2], 1);
		execv(argv[3], argv + 4);
		return report("execv", -1);
	}
	if (argc == 3 && !strcmp(argv[1], "stack-scan"))
		return stack_scan(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "exec-setresgid"))
		return exec_setresgid(argv);
	if (argc == 2 && !strcmp(argv[1], "prlimit-other"))
		return prlimit_other();
	if (argc == 2 && !strcmp(argv[1], "confine-paths"))
		return confine_paths();
	if (argc == 3 && !strcmp(argv[1], "runtime-files"))
		return runtime_files(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "probe"))
		return probe(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "names"))
		return names(argv);
	if (argc >= 4 && !strcmp(argv[1], "exec")) {
		execv(argv[2], argv + 3);
		return report("execv", -1);
	}
	if (argc >= 4 && !strcmp(argv[1], "execveat")) {
		int fd = open(argv[2], O_PATH | O_CLOEXEC);

		return report("execveat", syscall(SYS_execveat, fd, "", argv + 3, environ,
						  AT_EMPTY_PATH));
	}
	if (argc >= 5 && !strcmp(argv[1], "execveat-dir")) {
		int fd = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);

		return report("execveat", syscall(SYS_execveat, fd, argv[3], argv + 4, environ, 0));
	}
	if (argc >= 4 && !strcmp(argv[1], "exec-env")) {
		char *args[] = { argv[2], "probe", argv[3], NULL };

		execve(argv[2], args, argv + 4);
		return report("execve", -1);
	}
	if (argc == 2 && !strncmp(argv[1], "fault-", 6))
		return fault(argv[1]);
	if (argc == 2 && !strncmp(argv[1], "runtime-", 8))
		return runtime(argv[1]);
	fprintf(stderr, "usage: escape_exec probe DIR | names | exec FILE ARG0... | "
		"execveat FILE ARG0... | execveat-dir DIR NAME ARG0... | exec-env FILE DIR ENTRY... | "
		"fault-{path,arg,env,envp} | runtime-{path,arg,env,envp}\n");
	return 2;
}
