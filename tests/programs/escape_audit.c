/* escape_audit.c: an LD_AUDIT module. ld.so runs it before the constructor
 * of any library, dune's included, so that under dune it would run outside
 * the guest: it makes the directory $ESCAPE_AUDIT_DIR to show it ran. */
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
