/* escape_needed.c: an image whose own code runs before dune's constructor:
 * its preinit array (before any constructor at all) makes the directory
 * $ESCAPE_PREINIT_DIR, and the constructor of the library it needs makes
 * $ESCAPE_CTOR_DIR (escape_needed_lib.c). main says it ran, and with
 * $ESCAPE_OPENS what the library's IFUNC resolver and constructor got when
 * they opened "/". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern int escape_needed_lib_loaded, escape_needed_resolver_open, escape_needed_ctor_open;
int escape_needed_ifunc(void);

/* ld.so passes the environment: libc's environ is not set this early. */
static void make_dir(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv;
	for (char **e = envp; *e; e++)
		if (!strncmp(*e, "ESCAPE_PREINIT_DIR=", 19))
			mkdir(*e + 19, 0755);
}

__attribute__((section(".preinit_array"), used)) static void (*const preinit)(int, char **,
									    char **) = make_dir;

int main(void)
{
	printf("main ran, library %d\n", escape_needed_lib_loaded * escape_needed_ifunc());
	if (getenv("ESCAPE_OPENS"))
		printf("resolver open: %s\nconstructor open: %s\n",
		       strerror(escape_needed_resolver_open), strerror(escape_needed_ctor_open));
	return 0;
}
