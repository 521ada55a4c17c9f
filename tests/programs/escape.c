/* escape.c: attempts on dune's policy and runtime, one per subcommand; each
 * prints what happened, so that the tests can hold it to the promise.
 *
 *   highnr DIR     mkdirat(DIR) with the number's upper 32 bits set: the
 *                  kernel reads only the low 32
 *   x32 DIR        mkdirat(DIR) by its x32 number
 *   execve-high    execve("/bin/true") with the upper bits set: dune's exec
 *                  handling must see it
 *   io-uring       io_uring_setup, whose operations (IORING_OP_MKDIRAT) no
 *                  syscall policy sees
 *   i386 DIR       mkdir(DIR) through int $0x80, the i386 entry, whose
 *                  numbers are not the 64-bit ones
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HIGH 0xffffffff00000000ull
#define X32  0x40000000ull

static void report(const char *what, long r, const char *dir)
{
	const char *err = r < 0 ? strerror(errno) : "ok";
	struct stat st;

	printf("%s: %ld (%s), %s\n", what, r, err,
	       dir ? (stat(dir, &st) == 0 ? "the directory exists" : "no directory") : "");
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "highnr")) {
		report("mkdirat, upper bits set",
		       syscall((long)(HIGH | SYS_mkdirat), AT_FDCWD, argv[2], 0755), argv[2]);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "x32")) {
		report("mkdirat, x32 number", syscall((long)(X32 | SYS_mkdirat), AT_FDCWD, argv[2], 0755),
		       argv[2]);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "i386")) {
		/* i386 pointers are 32 bits: the path goes below 4 GiB. */
		char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		long r = 39; /* mkdir in the i386 table */

		if (low == MAP_FAILED)
			return 1;
		snprintf(low, 4096, "%s", argv[2]);
		__asm__ volatile("int $0x80" : "+a"(r) : "b"(low), "c"(0755) : "memory");
		errno = r < 0 ? (int)-r : 0;
		report("mkdir through int $0x80", r < 0 ? -1 : r, argv[2]);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "execve-high")) {
		char *const args[] = { "escape", "exec'd", NULL };
		char *const env[] = { NULL };

		report("execve, upper bits set",
		       syscall((long)(HIGH | SYS_execve), "/proc/self/exe", args, env), NULL);
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "io-uring")) {
		char params[120] = { 0 }; /* struct io_uring_params */

		report("io_uring_setup", syscall(SYS_io_uring_setup, 4, params), NULL);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "exec'd")) {
		long r = syscall(0x44554e45 /* dune_query */, (char[64]){ 0 });

		printf("exec'd image: %s\n", r == 0 ? "under dune" : "native");
		return 0;
	}
	fprintf(stderr, "usage: escape highnr DIR | x32 DIR | execve-high\n");
	return 2;
}
