/* dune-bench.h: the pieces of dune-bench (see dune-bench.c) and what they share. */
#ifndef DUNE_BENCH_H
#define DUNE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define MAX_REPS 64
#define REASON_LEN 256

/* How one benchmark is run. */
enum bench_kind {
	KIND_MICRO,     /* the worker measures inside, on both sides */
	KIND_FLOOR,     /* the worker measures a bare KVM guest: a Linux figure only */
	KIND_INTERPOSE, /* a Linux-only interposition mechanism against dune's forwarding */
	KIND_PROGRAM,   /* a whole program, timed from outside: wall and CPU time */
};

struct bench {
	const char *name;     /* what --only selects and JSON calls it */
	const char *title;    /* for the table */
	enum bench_kind kind;
	const char *measure;  /* the worker's measurement (micro, floor, interpose) */
	const char *dune_measure; /* the dune side's, when it is another one */
	const char *dune_env; /* one NAME=value for the dune side only, or NULL */
	const char *dune_note; /* what the dune figure stands for, when not the same thing */
	const char *dune_needs; /* what dune must do for its side to work, said when it fails */
	long quick_iterations, full_iterations;
	const char *unit;     /* of one operation, for JSON: "ns" (micro), "ms" (programs) */
	/* programs: make the inputs under dir once, return the command line or
	 * NULL with why set (then both sides are reported unsupported). */
	char **(*prepare)(const char *dir, bool quick, char *why, size_t len);
};

extern const struct bench benches[];
extern const size_t n_benches;

/* The samples of one side, in the benchmark's unit, and their summary. */
struct series {
	double v[MAX_REPS];
	int n;
	double median, min, max;
};

struct side {
	bool ok;                  /* every repetition measured */
	char reason[REASON_LEN];  /* why not, when !ok */
	struct series time;       /* per operation (micro) or wall time (programs) */
	struct series cpu;        /* programs: user + system time of the process tree */
};

struct result {
	const struct bench *b;
	bool selected;
	struct side linux_side, dune_side;
	struct side base_side;    /* --baseline's library, when given */
	double ratio, cpu_ratio;  /* dune / Linux medians; 0 when either side is missing */
	double base_ratio, base_cpu_ratio; /* baseline / Linux */
	double to_base, cpu_to_base;       /* dune / baseline */
};

struct options {
	bool quick;
	int reps;
	int sample_ms;           /* a worker repeats its measurement this long, for one sample */
	int cpu;                 /* -1: no pinning */
	double timeout;          /* seconds per child */
	const char *preload;     /* libdunepre.so */
	const char *baseline;    /* another libdunepre.so to compare it with, or NULL */
	const char *worker;      /* dune-bench-worker */
	const char *json, *plot;
	char scratch[4096];      /* inputs and outputs of the programs */
	char no_dune[REASON_LEN]; /* why no dune side can run here, or "" */
	char no_base[REASON_LEN]; /* why no baseline side can run here, or "" */
};

/* machine.c: what the numbers were measured on. */
struct machine {
	char cpu[128];
	char kernel[256];
	char kvm[16];            /* VT-x, SVM, PVM, none, unknown */
	char kvm_module[32];
	char hypervisor[16];     /* CPUID 0x40000000 signature, "" on bare metal */
	bool emulated;           /* QEMU TCG, e.g. tests/vm/kvm-run */
	int cpus;
	char date[32];
};
void machine_describe(struct machine *m);

/* child.c: run one command with a deadline. */
struct child_spec {
	char *const *argv;
	const char *preload;       /* LD_PRELOAD for this run, NULL: none */
	const char *env;           /* one extra NAME=value, or NULL */
	bool capture_stdout;       /* else stdout goes to /dev/null */
	double timeout;            /* seconds */
};
struct child_result {
	int status;                /* from wait4; meaningless when timed_out */
	bool timed_out;            /* after timeout seconds */
	double timeout;
	double wall_ns, cpu_ns;
	char out[1024], err[1024]; /* the start of stdout and stderr */
};
int child_run(const struct child_spec *spec, struct child_result *r);
void child_describe_end(const struct child_result *r, char *buf, size_t len);

/* stats.c */
void series_add(struct series *s, double v);
void series_summarize(struct series *s);

/* measure.c: one benchmark, its sides interleaved. */
void measure_bench(const struct options *o, struct result *r, int index, int count);
/* Whether the preload (and the baseline) runs a program under dune here;
 * why not in o->no_dune (o->no_base). */
bool measure_dune_works(struct options *o);

/* Output: table.c, json.c, plot.c. */
void table_print(FILE *to, const struct options *o, const struct machine *m,
		 const struct result *results, size_t n);
int json_write(const char *path, const struct options *o, const struct machine *m,
	       const struct result *results, size_t n);
int plot_write(const char *path, const struct options *o, const struct machine *m,
	       const struct result *results, size_t n);

/* The floor and the getpid figures it is compared with, when all were measured. */
const struct result *result_named(const struct result *results, size_t n, const char *name);

#endif
