/* dune-run: run a program under dune.
 *
 *   dune-run [--report] [--ring 0|3] [--no-rewrite] [--] PROGRAM [ARGS]...
 *
 * It names dune's audit module, libduneaudit.so beside libdunepre.so, first
 * in LD_AUDIT, so that dune enters before any code of the program's runs
 * (preload/audit.c); without that module, it puts libdunepre.so last in
 * LD_PRELOAD. It sets the DUNE_* variables the options ask for and execs
 * the program: the program's exit status is its own.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to)
{
	fprintf(to, "usage: dune-run [--report] [--ring 0|3] [--no-rewrite] [--] PROGRAM [ARGS]...\n"
		    "Runs PROGRAM in a hardware-virtualized sandbox (see README.md).\n");
}

/* libdunepre.so beside this executable (the build tree), else the installed one. */
static const char *preload_path(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (getenv("DUNE_PRELOAD"))
		return getenv("DUNE_PRELOAD");
	if (n > 0) {
		exe[n] = '\0';
		snprintf(path, sizeof(path), "%s/libdunepre.so", dirname(exe));
		if (access(path, R_OK) == 0)
			return path;
	}
	if (access(DUNE_PRELOAD_BUILD, R_OK) == 0 && strstr(exe, "/build"))
		return DUNE_PRELOAD_BUILD;
	return DUNE_PRELOAD_INSTALLED;
}

/* Puts entry first in the colon-separated list in the variable name, or
 * last; -1 when out of memory. */
static int add_entry(const char *name, const char *entry, bool last)
{
	const char *old = getenv(name);
	char *list;
	int r;

	if (!old || !*old)
		r = asprintf(&list, "%s", entry);
	else if (last)
		r = asprintf(&list, "%s:%s", old, entry);
	else
		r = asprintf(&list, "%s:%s", entry, old);
	return r < 0 ? -1 : setenv(name, list, 1);
}

int main(int argc, char **argv)
{
	char audit[PATH_MAX];
	const char *lib, *slash;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--report")) {
			setenv("DUNE_REPORT", "1", 1);
		} else if (!strcmp(argv[i], "--no-rewrite")) {
			setenv("DUNE_REWRITE", "0", 1);
		} else if (!strcmp(argv[i], "--ring") && i + 1 < argc) {
			setenv("DUNE_RING", argv[++i], 1);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "dune-run: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	lib = preload_path();
	if (access(lib, R_OK) != 0) {
		fprintf(stderr, "dune: cannot find %s: build dune first (see README.md)\n", lib);
		return 126;
	}
	slash = strrchr(lib, '/');
	snprintf(audit, sizeof(audit), "%.*s/libduneaudit.so", slash ? (int)(slash - lib) : 1,
		 slash ? lib : ".");
	/* LD_AUDIT first: ld.so loads it before anything of the program's.
	 * LD_PRELOAD last: ld.so runs the preloaded libraries' constructors
	 * from the last to the first, and dune's must run before any other. */
	if (access(audit, R_OK) == 0 ? add_entry("LD_AUDIT", audit, false)
				     : add_entry("LD_PRELOAD", lib, true))
		return 126;
	execvp(argv[i], argv + i);
	fprintf(stderr, "dune-run: cannot run %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
