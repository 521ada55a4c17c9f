/* measure.c: one benchmark, Linux and dune (and --baseline's library)
 * interleaved: a warm-up round, then the repetitions, each side in a fresh
 * process, the order of the sides reversed every repetition so that a drift
 * of the machine (another worker's load, frequency) falls on every side
 * alike. A side that fails once is not run again: its reason is reported
 * instead, and a broken dune side costs at most one timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "dune-bench.h"

static void fail(struct side *s, const char *fmt, const char *what)
{
	s->ok = false;
	snprintf(s->reason, sizeof(s->reason), fmt, what);
}

/* The worker's line: "ok NS UNDER_DUNE", "unsupported WHY" or "failed WHY". */
static void read_worker(const struct child_result *c, bool dune, struct side *s, bool record)
{
	char end[REASON_LEN], *nl;
	double ns;
	int under;

	if ((nl = strchr(c->out, '\n')))
		*nl = '\0';
	if (!c->timed_out && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 &&
	    sscanf(c->out, "ok %lf %d", &ns, &under) == 2) {
		if (under != dune)
			fail(s, "%s", dune ? "the worker did not run under dune (is the library libdunepre.so?)"
					   : "the Linux side ran under dune");
		else if (record)
			series_add(&s->time, ns);
		return;
	}
	if (!strncmp(c->out, "unsupported ", 12)) {
		fail(s, "unsupported: %s", c->out + 12);
		return;
	}
	if (!strncmp(c->out, "failed ", 7)) {
		fail(s, "failed: %s", c->out + 7);
		return;
	}
	child_describe_end(c, end, sizeof(end));
	fail(s, "%s", end);
}

static void read_program(const struct child_result *c, struct side *s, bool record)
{
	char end[REASON_LEN];

	if (!c->timed_out && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0) {
		if (record) {
			series_add(&s->time, c->wall_ns / 1e6);
			series_add(&s->cpu, c->cpu_ns / 1e6);
		}
		return;
	}
	child_describe_end(c, end, sizeof(end));
	fail(s, "%s", end);
}

/* One run of one side: natively when preload is NULL, else under dune with
 * that library. */
static void run_side(const struct options *o, const struct bench *b, char **program, const char *preload,
		     struct side *s, bool record)
{
	bool dune = preload != NULL;
	struct child_spec spec = { .preload = preload, .env = dune ? b->dune_env : NULL,
				   .timeout = o->timeout };
	struct child_result c;
	char iterations[32], sample_ms[32];
	char *worker_argv[] = { (char *)o->worker, (char *)(dune && b->dune_measure ? b->dune_measure
										   : b->measure),
				iterations, sample_ms, NULL };
	int r;

	snprintf(iterations, sizeof(iterations), "%ld", o->quick ? b->quick_iterations : b->full_iterations);
	snprintf(sample_ms, sizeof(sample_ms), "%d", o->sample_ms);
	spec.argv = program ? program : worker_argv;
	spec.capture_stdout = !program;
	r = child_run(&spec, &c);
	if (r < 0) {
		fail(s, "could not start it: %s", strerror(-r));
		return;
	}
	if (program)
		read_program(&c, s, record);
	else
		read_worker(&c, dune, s, record);
	if (dune && !s->ok && b->dune_needs)
		snprintf(s->reason + strlen(s->reason), sizeof(s->reason) - strlen(s->reason),
			 " (this needs %s)", b->dune_needs);
}

/* The ratios of two sides' medians, 0 when either is missing. */
static void ratios(const struct bench *b, const struct side *x, const struct side *y, double *time,
		   double *cpu)
{
	if (!x->ok || !y->ok)
		return;
	*time = x->time.median / y->time.median;
	if (b->kind == KIND_PROGRAM && y->cpu.median > 0)
		*cpu = x->cpu.median / y->cpu.median;
}

static void progress(const struct bench *b, const char *name, const struct side *s)
{
	if (s->ok)
		fprintf(stderr, "%s %.4g %s", name, s->time.median, b->unit);
	else
		fprintf(stderr, "%s %s", name, s->reason);
}

void measure_bench(const struct options *o, struct result *r, int index, int count)
{
	const struct bench *b = r->b;
	/* Linux between the two libraries: reversed every repetition, the
	 * order puts each library first as often as the other. */
	struct side *sides[3] = { &r->dune_side, &r->linux_side, &r->base_side };
	const char *preloads[3] = { o->preload, NULL, o->baseline };
	int n = o->baseline ? 3 : 2;
	char why[REASON_LEN] = "";
	char **program = NULL;

	fprintf(stderr, "dune-bench: [%d/%d] %s ", index, count, b->name);
	r->linux_side.ok = r->dune_side.ok = true;
	r->base_side.ok = o->baseline != NULL;
	if (b->kind == KIND_FLOOR) {
		fail(&r->dune_side, "%s", "none: the floor is a bare KVM guest with no dune in it");
		if (o->baseline)
			fail(&r->base_side, "%s", "none: the floor is a bare KVM guest with no dune in it");
	} else {
		if (*o->no_dune)
			fail(&r->dune_side, "%s", o->no_dune);
		if (o->baseline && *o->no_base)
			fail(&r->base_side, "%s", o->no_base);
	}
	if (b->kind == KIND_PROGRAM && !(program = b->prepare(o->scratch, o->quick, why, sizeof(why)))) {
		fail(&r->linux_side, "unsupported: %s", why);
		fail(&r->dune_side, "unsupported: %s", why);
		if (o->baseline)
			fail(&r->base_side, "unsupported: %s", why);
	}
	for (int rep = -1; rep < o->reps; rep++) { /* -1: the warm-up round, not recorded */
		bool any = false;

		for (int k = 0; k < n; k++) {
			int side = rep & 1 ? n - 1 - k : k;

			if (sides[side]->ok)
				run_side(o, b, program, preloads[side], sides[side], rep >= 0);
			any |= sides[side]->ok;
		}
		if (!any)
			break;
		fputc('.', stderr);
	}
	for (int side = 0; side < n; side++) {
		series_summarize(&sides[side]->time);
		series_summarize(&sides[side]->cpu);
	}
	ratios(b, &r->dune_side, &r->linux_side, &r->ratio, &r->cpu_ratio);
	ratios(b, &r->base_side, &r->linux_side, &r->base_ratio, &r->base_cpu_ratio);
	ratios(b, &r->dune_side, &r->base_side, &r->to_base, &r->cpu_to_base);
	progress(b, " Linux", &r->linux_side);
	progress(b, ", dune", &r->dune_side);
	if (r->ratio > 0)
		fprintf(stderr, ": %.2fx", r->ratio);
	if (o->baseline) {
		progress(b, "; baseline", &r->base_side);
		if (r->to_base > 0)
			fprintf(stderr, ": dune / baseline %.3f", r->to_base);
	}
	fputc('\n', stderr);
	if (program) {
		for (char **a = program; *a; a++)
			free(*a);
		free(program);
	}
}

/* One getpid under the preload, before anything else: a library that is not
 * dune, or a machine where dune cannot run, fails every dune side at once
 * with the reason, rather than each after its own attempt (and whole
 * programs, which cannot tell, would otherwise time themselves natively). */
static bool dune_works(const struct options *o, const char *preload, const char *what, char *why,
		       size_t len)
{
	static const struct bench probe = { .name = "probe", .measure = "getpid", .quick_iterations = 1,
					    .full_iterations = 1 };
	struct side s = { .ok = true };

	run_side(o, &probe, NULL, preload, &s, false);
	if (!s.ok)
		snprintf(why, len, "%s: %.200s", what, s.reason);
	return s.ok;
}

bool measure_dune_works(struct options *o)
{
	if (o->baseline)
		dune_works(o, o->baseline, "the baseline does not run dune here", o->no_base,
			   sizeof(o->no_base));
	return dune_works(o, o->preload, "dune does not run here", o->no_dune, sizeof(o->no_dune));
}
