/* audit.c: libduneaudit.so, the door through which an image enters dune
 * before any code of its own runs.
 *
 * ld.so loads LD_AUDIT modules, each in a namespace of its own with its own
 * libc, before it maps a single library of the program's: only the kernel
 * and ld.so have run. This module needs libdunepre.so, whose constructor
 * therefore runs first and returns, in the guest, into ld.so, which goes on
 * to load and start the program there: the constructors of the program's
 * libraries, its preinit array, its IFUNC resolvers and its LD_PRELOAD and
 * LD_AUDIT entries all run under dune. Images that dune execs start this
 * way (exec.c), and so does dune-run.
 *
 * The runtime lives behind this module, not in it: the guest cannot see
 * libdunepre.so, and ld.so calls la_version in the guest. The module's
 * DT_RPATH ($ORIGIN) finds libdunepre.so beside it, and libdunepre.so's own
 * (CMakeLists.txt) finds libc and the rest where the build found them,
 * before LD_LIBRARY_PATH: a program may not choose the libraries the
 * runtime runs on the host.
 */
#include <link.h>

unsigned int la_version(unsigned int version)
{
	return version; /* the only interface this module has: no la_* hooks */
}
