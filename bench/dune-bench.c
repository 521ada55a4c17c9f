/* dune-bench: Linux and dune side by side, in one run on one machine.
 *
 *   dune-bench [--quick] [--reps N] [--cpu N] [--only NAME,...] [--json FILE]
 *              [--plot FILE] [--preload PATH] [--baseline PATH] [--timeout SECONDS] [--list]
 *
 * Micro-benchmarks run in dune-bench-worker, started once per repetition,
 * natively and with libdunepre.so preloaded; whole programs are started the
 * same two ways and timed from outside. --baseline adds a third side, the
 * same runs with another build of libdunepre.so (the one before a change),
 * interleaved with the others in every repetition, and the ratio
 * dune / baseline. The table goes to stdout, progress to stderr. See
 * README.md, "Measurements". */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dune-bench.h"

#define QUICK_REPS 3
#define FULL_REPS 11
/* A worker's sample is the median of as many runs as fit in this time. */
#define QUICK_SAMPLE_MS 50
#define FULL_SAMPLE_MS 200

static void usage(FILE *to)
{
	fprintf(to, "usage: dune-bench [--quick] [--reps N] [--cpu N] [--only NAME,...] [--json FILE]\n"
		    "                  [--plot FILE] [--preload PATH] [--baseline PATH] [--timeout SECONDS]\n"
		    "                  [--list]\n"
		    "Compares Linux and dune (LD_PRELOAD=libdunepre.so) in one run; --baseline PATH adds\n"
		    "another libdunepre.so, run in turn with the first, and the ratio dune / baseline.\n"
		    "See README.md.\n");
}

const struct result *result_named(const struct result *results, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(results[i].b->name, name))
			return &results[i];
	return NULL;
}

/* Path of a file beside this executable. */
static bool beside_me(const char *name, char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	snprintf(out, len, "%s/%s", dirname(exe), name);
	return access(out, X_OK) == 0;
}

/* The build tree's library when this is the build tree's dune-bench. */
static const char *default_preload(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (getenv("DUNE_PRELOAD"))
		return getenv("DUNE_PRELOAD");
	exe[n > 0 ? n : 0] = '\0';
	if (!strncmp(exe, DUNE_BUILD_DIR "/", strlen(DUNE_BUILD_DIR) + 1) &&
	    access(DUNE_PRELOAD_BUILD, R_OK) == 0)
		return DUNE_PRELOAD_BUILD;
	return DUNE_PRELOAD_INSTALLED;
}

/* Mark the benchmarks named in a comma-separated list; false on an unknown name. */
static bool select_only(struct result *results, const char *list)
{
	char *copy = strdup(list), *save = NULL;
	bool ok = true;

	for (size_t i = 0; i < n_benches; i++)
		results[i].selected = false;
	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < n_benches && strcmp(benches[i].name, name); i++)
			;
		if (i == n_benches) {
			fprintf(stderr, "dune-bench: no benchmark named %s (--list shows them)\n", name);
			ok = false;
		} else {
			results[i].selected = true;
		}
	}
	free(copy);
	return ok;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "dune-bench: --cpu %d: %s\n", cpu, strerror(errno));
		exit(2);
	}
}

static long number_arg(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s && !*end && v >= lo && v <= hi)
		return v;
	fprintf(stderr, "dune-bench: %s %s: expected a number from %ld to %ld\n", opt, s, lo, hi);
	exit(2);
}

int main(int argc, char **argv)
{
	struct options o = { .cpu = -1, .reps = 0, .timeout = 0 };
	static struct result results[64];
	const char *only = NULL, *tmp = getenv("TMPDIR");
	static char worker[PATH_MAX];
	struct machine m;
	int status = 0, count = 0, index = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (!strcmp(a, "--quick")) {
			o.quick = true;
			takes = false;
		} else if (!strcmp(a, "--list")) {
			for (size_t k = 0; k < n_benches; k++)
				printf("%-18s %s\n", benches[k].name, benches[k].title);
			return 0;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!v || strncmp(a, "--", 2)) {
			usage(stderr);
			return 2;
		} else if (!strcmp(a, "--reps"))
			o.reps = (int)number_arg(a, v, 1, MAX_REPS);
		else if (!strcmp(a, "--cpu"))
			o.cpu = (int)number_arg(a, v, 0, CPU_SETSIZE - 1);
		else if (!strcmp(a, "--timeout"))
			o.timeout = (double)number_arg(a, v, 1, 86400);
		else if (!strcmp(a, "--only"))
			only = v;
		else if (!strcmp(a, "--json"))
			o.json = v;
		else if (!strcmp(a, "--plot"))
			o.plot = v;
		else if (!strcmp(a, "--preload"))
			o.preload = v;
		else if (!strcmp(a, "--baseline"))
			o.baseline = v;
		else {
			usage(stderr);
			return 2;
		}
		i += takes;
	}
	for (size_t i = 0; i < n_benches; i++)
		results[i] = (struct result){ .b = &benches[i], .selected = true };
	if (only && !select_only(results, only))
		return 2;
	if (!o.preload)
		o.preload = default_preload();
	if (access(o.preload, R_OK)) {
		fprintf(stderr, "dune-bench: cannot read %s (build dune first, or give --preload PATH)\n",
			o.preload);
		return 2;
	}
	if (o.baseline && access(o.baseline, R_OK)) {
		fprintf(stderr, "dune-bench: --baseline %s: %s\n", o.baseline, strerror(errno));
		return 2;
	}
	if (!beside_me("dune-bench-worker", worker, sizeof(worker))) {
		fprintf(stderr, "dune-bench: no dune-bench-worker beside this program\n");
		return 2;
	}
	o.worker = worker;
	if (o.cpu >= 0)
		pin(o.cpu);
	machine_describe(&m);
	if (!o.reps)
		o.reps = o.quick ? QUICK_REPS : FULL_REPS;
	o.sample_ms = o.quick ? QUICK_SAMPLE_MS : FULL_SAMPLE_MS;
	if (!o.timeout) /* the emulator is some 50 times slower than hardware */
		o.timeout = m.emulated ? 900 : 120;
	if (!measure_dune_works(&o))
		fprintf(stderr, "dune-bench: %s\ndune-bench: every dune side fails; where this machine "
				"has no KVM, run dune-bench inside tests/vm/kvm-run\n", o.no_dune);
	else if (*o.no_base)
		fprintf(stderr, "dune-bench: %s\n", o.no_base);
	snprintf(o.scratch, sizeof(o.scratch), "%s/dune-bench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(o.scratch)) {
		fprintf(stderr, "dune-bench: cannot make a scratch directory %s: %s\n", o.scratch,
			strerror(errno));
		return 2;
	}
	for (size_t i = 0; i < n_benches; i++)
		count += results[i].selected;
	for (size_t i = 0; i < n_benches; i++)
		if (results[i].selected)
			measure_bench(&o, &results[i], ++index, count);
	table_print(stdout, &o, &m, results, n_benches);
	if (o.json && json_write(o.json, &o, &m, results, n_benches)) {
		fprintf(stderr, "dune-bench: cannot write %s: %s\n", o.json, strerror(errno));
		status = 1;
	}
	if (o.plot && plot_write(o.plot, &o, &m, results, n_benches))
		status = 1;
	nftw(o.scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return status;
}
