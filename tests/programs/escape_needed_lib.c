/* escape_needed_lib.c: a library that escape_needed needs (DT_NEEDED). ld.so
 * runs its constructor before dune's, outside the guest: it makes the
 * directory $ESCAPE_CTOR_DIR. */
#include <stdlib.h>
#include <sys/stat.h>

int escape_needed_lib_loaded = 1;

__attribute__((constructor)) static void make_dir(void)
{
	const char *dir = getenv("ESCAPE_CTOR_DIR");

	if (dir)
		mkdir(dir, 0755);
}
