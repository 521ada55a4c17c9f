/* escape_audit.c: an LD_AUDIT module, and a library to preload. ld.so runs
 * an audit module before the constructor of any library, dune's included,
 * and the constructors of preloaded libraries from the last to the first:
 * either way, under dune, code that could run outside the guest. As a
 * module it makes the directory $ESCAPE_AUDIT_DIR to show it ran; as a
 * preloaded library its constructor makes $ESCAPE_CTOR_DIR. */
#include <link.h>
#include <stdlib.h>
#include <sys/stat.h>

unsigned int la_version(unsigned int version)
{
	const char *dir = getenv("ESCAPE_AUDIT_DIR");

	if (dir)
		mkdir(dir, 0755);
	return version < LAV_CURRENT ? version : LAV_CURRENT;
}

__attribute__((constructor)) static void make_dir(void)
{
	const char *dir = getenv("ESCAPE_CTOR_DIR");

	if (dir)
		mkdir(dir, 0755);
}
