/* escape_needed_lib.c: a library that escape_needed needs (DT_NEEDED). ld.so
 * runs its IFUNC resolver and its constructor before any code of the
 * program's main image, and under LD_PRELOAD before dune's constructor,
 * outside the guest. The constructor makes the directory $ESCAPE_CTOR_DIR;
 * the resolver (the first code of the library's to run, before libc could
 * be called) and the constructor each open "/" and keep the answer, which
 * escape_needed prints. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int escape_needed_lib_loaded = 1;
int escape_needed_resolver_open = -1, escape_needed_ctor_open = -1; /* errno, 0: opened */

static long raw_open_root(void)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(SYS_openat), "D"(AT_FDCWD), "S"("/"), "d"(O_RDONLY | O_DIRECTORY)
			 : "rcx", "r11", "memory");
	return r;
}

static int answer(void)
{
	return 1;
}

static int (*resolve(void))(void)
{
	long r = raw_open_root();

	escape_needed_resolver_open = r < 0 ? (int)-r : 0;
	return answer;
}

int escape_needed_ifunc(void) __attribute__((ifunc("resolve")));

__attribute__((constructor)) static void make_dir(void)
{
	const char *dir = getenv("ESCAPE_CTOR_DIR");
	int fd = open("/", O_RDONLY | O_DIRECTORY);

	escape_needed_ctor_open = fd < 0 ? errno : 0;
	if (dir)
		mkdir(dir, 0755);
}
