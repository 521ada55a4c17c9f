/* measure.c: one benchmark, Linux and dune alternating: a warm-up pair,
 * then the repetitions, each side in a fresh process, the side that goes
 * first swapping every repetition so that a drift of the machine (another
 * worker's load, frequency) falls on both sides alike. A side that fails
 * once is not run again: its reason is reported instead, and a broken dune
 * side costs at most one timeout. */
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
			fail(s, "%s", dune ? "the worker did not run under dune (is --preload libdunepre.so?)"
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

static void run_side(const struct options *o, const struct bench *b, char **program, bool dune,
		     struct side *s, bool record)
{
	struct child_spec spec = { .preload = dune ? o->preload : NULL, .env = dune ? b->dune_env : NULL,
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

void measure_bench(const struct options *o, struct result *r, int index, int count)
{
	const struct bench *b = r->b;
	struct side *sides[2] = { &r->linux_side, &r->dune_side };
	char why[REASON_LEN] = "";
	char **program = NULL;

	fprintf(stderr, "dune-bench: [%d/%d] %s ", index, count, b->name);
	r->linux_side.ok = r->dune_side.ok = true;
	if (b->kind == KIND_FLOOR)
		fail(&r->dune_side, "%s", "none: the floor is a bare KVM guest with no dune in it");
	else if (*o->no_dune)
		fail(&r->dune_side, "%s", o->no_dune);
	if (b->kind == KIND_PROGRAM && !(program = b->prepare(o->scratch, o->quick, why, sizeof(why)))) {
		fail(&r->linux_side, "unsupported: %s", why);
		fail(&r->dune_side, "unsupported: %s", why);
	}
	for (int rep = -1; rep < o->reps; rep++) { /* -1: the warm-up pair, not recorded */
		int first = rep & 1;

		for (int k = 0; k < 2; k++) {
			int side = first ^ k;

			if (sides[side]->ok)
				run_side(o, b, program, side == 1, sides[side], rep >= 0);
		}
		if (!r->linux_side.ok && !r->dune_side.ok)
			break;
		fputc('.', stderr);
	}
	for (int side = 0; side < 2; side++) {
		series_summarize(&sides[side]->time);
		series_summarize(&sides[side]->cpu);
	}
	if (r->linux_side.ok && r->dune_side.ok) {
		r->ratio = r->dune_side.time.median / r->linux_side.time.median;
		if (b->kind == KIND_PROGRAM && r->linux_side.cpu.median > 0)
			r->cpu_ratio = r->dune_side.cpu.median / r->linux_side.cpu.median;
	}
	if (r->linux_side.ok && r->dune_side.ok)
		fprintf(stderr, " Linux %.4g %s, dune %.4g %s: %.2fx\n", r->linux_side.time.median, b->unit,
			r->dune_side.time.median, b->unit, r->ratio);
	else
		fprintf(stderr, " Linux %s, dune %s\n", r->linux_side.ok ? "ok" : r->linux_side.reason,
			r->dune_side.ok ? "ok" : r->dune_side.reason);
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
bool measure_dune_works(struct options *o)
{
	static const struct bench probe = { .name = "probe", .measure = "getpid", .quick_iterations = 1,
					    .full_iterations = 1 };
	struct side s = { .ok = true };

	run_side(o, &probe, NULL, true, &s, false);
	if (!s.ok)
		snprintf(o->no_dune, sizeof(o->no_dune), "dune does not run here: %.200s", s.reason);
	return s.ok;
}
