/* json.c: the results as JSON for scripts and the test: every benchmark with
 * both sides (or null and the reason), the ratio, the unit, the samples, and
 * the machine they were measured on. With --baseline, every benchmark has a
 * third side, "baseline", and its ratios: "baseline_ratio" (baseline /
 * Linux, as "ratio" is dune / Linux) and "dune_to_baseline". */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dune-bench.h"

static const char *const kind_names[] = {
	[KIND_MICRO] = "micro", [KIND_FLOOR] = "floor", [KIND_INTERPOSE] = "interposition",
	[KIND_PROGRAM] = "program",
};

static void string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void number(FILE *f, double v)
{
	if (isfinite(v) && v > 0)
		fprintf(f, "%.9g", v);
	else
		fputs("null", f);
}

static void series(FILE *f, const struct series *s, bool ok)
{
	if (!ok || s->n == 0) {
		fputs("null", f);
		return;
	}
	fputs("{\"median\": ", f);
	number(f, s->median);
	fputs(", \"min\": ", f);
	number(f, s->min);
	fputs(", \"max\": ", f);
	number(f, s->max);
	fputs(", \"samples\": [", f);
	for (int i = 0; i < s->n; i++) {
		fputs(i ? ", " : "", f);
		number(f, s->v[i]);
	}
	fputs("]}", f);
}

static void machine(FILE *f, const struct machine *m)
{
	fputs("  \"machine\": {\"cpu\": ", f);
	string(f, m->cpu);
	fputs(", \"kernel\": ", f);
	string(f, m->kernel);
	fputs(", \"kvm\": ", f);
	string(f, m->kvm);
	fputs(", \"kvm_module\": ", f);
	string(f, *m->kvm_module ? m->kvm_module : NULL);
	fputs(", \"hypervisor\": ", f);
	string(f, *m->hypervisor ? m->hypervisor : NULL);
	fprintf(f, ", \"emulated\": %s, \"cpus\": %d, \"date\": ", m->emulated ? "true" : "false", m->cpus);
	string(f, m->date);
	fputs("},\n", f);
}

static void bench(FILE *f, const struct options *o, const struct result *r)
{
	const struct bench *b = r->b;

	fputs("    {\"name\": ", f);
	string(f, b->name);
	fputs(", \"title\": ", f);
	string(f, b->title);
	fprintf(f, ", \"kind\": \"%s\", \"unit\": ", kind_names[b->kind]);
	string(f, b->unit);
	if (b->kind != KIND_PROGRAM)
		fprintf(f, ", \"iterations\": %ld", o->quick ? b->quick_iterations : b->full_iterations);
	fputs(",\n     \"linux\": ", f);
	series(f, &r->linux_side.time, r->linux_side.ok);
	fputs(", \"linux_reason\": ", f);
	string(f, r->linux_side.ok ? NULL : r->linux_side.reason);
	fputs(",\n     \"dune\": ", f);
	series(f, &r->dune_side.time, r->dune_side.ok);
	fputs(", \"dune_reason\": ", f);
	string(f, r->dune_side.ok ? NULL : r->dune_side.reason);
	fputs(",\n     \"dune_measures\": ", f);
	string(f, b->kind == KIND_FLOOR ? NULL : b->kind == KIND_PROGRAM ? b->name
					       : b->dune_measure ? b->dune_measure : b->measure);
	fputs(", \"dune_env\": ", f);
	string(f, b->dune_env);
	fputs(", \"dune_needs\": ", f);
	string(f, b->dune_needs);
	fputs(", \"dune_stand_in\": ", f);
	string(f, b->dune_note);
	fputs(", \"ratio\": ", f);
	number(f, r->ratio);
	if (o->baseline) {
		fputs(",\n     \"baseline\": ", f);
		series(f, &r->base_side.time, r->base_side.ok);
		fputs(", \"baseline_reason\": ", f);
		string(f, r->base_side.ok ? NULL : r->base_side.reason);
		fputs(", \"baseline_ratio\": ", f);
		number(f, r->base_ratio);
		fputs(", \"dune_to_baseline\": ", f);
		number(f, r->to_base);
	}
	if (b->kind == KIND_PROGRAM) {
		fputs(",\n     \"cpu\": {\"unit\": \"ms\", \"linux\": ", f);
		series(f, &r->linux_side.cpu, r->linux_side.ok);
		fputs(", \"dune\": ", f);
		series(f, &r->dune_side.cpu, r->dune_side.ok);
		fputs(", \"ratio\": ", f);
		number(f, r->cpu_ratio);
		if (o->baseline) {
			fputs(", \"baseline\": ", f);
			series(f, &r->base_side.cpu, r->base_side.ok);
			fputs(", \"baseline_ratio\": ", f);
			number(f, r->base_cpu_ratio);
			fputs(", \"dune_to_baseline\": ", f);
			number(f, r->cpu_to_base);
		}
		fputc('}', f);
	}
	fputc('}', f);
}

/* The floor next to the getpid figures it bounds from below:
 * "floor": {"kvm_run_ns": F, "getpid": {"dune_ns": G, "to_floor": G / F}, ...} */
static void floor_section(FILE *f, const struct result *results, size_t n)
{
	const struct result *fl = result_named(results, n, "kvm-floor");
	const char *names[] = { "getpid", "getpid-norewrite" };

	if (!fl || !fl->selected || !fl->linux_side.ok) {
		fputs("  \"floor\": null\n", f);
		return;
	}
	fputs("  \"floor\": {\"name\": \"kvm-floor\", \"unit\": \"ns\", \"kvm_run_ns\": ", f);
	number(f, fl->linux_side.time.median);
	for (int i = 0; i < 2; i++) {
		const struct result *g = result_named(results, n, names[i]);
		bool ok = g && g->selected && g->dune_side.ok;

		fprintf(f, ",\n            \"%s\": {\"dune_ns\": ", names[i]);
		number(f, ok ? g->dune_side.time.median : 0);
		fputs(", \"to_floor\": ", f);
		number(f, ok ? g->dune_side.time.median / fl->linux_side.time.median : 0);
		fputc('}', f);
	}
	fputs("}\n", f);
}

int json_write(const char *path, const struct options *o, const struct machine *m,
	       const struct result *results, size_t n)
{
	FILE *f = fopen(path, "w");
	bool first = true;

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"tool\": \"dune-bench\", \"format\": 1, \"quick\": %s, \"reps\": %d, \"warmup\": 1, "
		   "\"sample_ms\": %d,\n", o->quick ? "true" : "false", o->reps, o->sample_ms);
	fputs("  \"cpu_pinned\": ", f);
	if (o->cpu >= 0)
		fprintf(f, "%d", o->cpu);
	else
		fputs("null", f);
	fputs(", \"preload\": ", f);
	string(f, o->preload);
	fputs(", \"baseline\": ", f);
	string(f, o->baseline);
	fputs(",\n", f);
	machine(f, m);
	fputs("  \"benchmarks\": [\n", f);
	for (size_t i = 0; i < n; i++) {
		if (!results[i].selected)
			continue;
		fputs(first ? "" : ",\n", f);
		first = false;
		bench(f, o, &results[i]);
	}
	fputs("\n  ],\n", f);
	floor_section(f, results, n);
	fputs("}\n", f);
	return fclose(f) ? -errno : 0;
}
