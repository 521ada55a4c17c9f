/* table.c: the results as Markdown tables, readable in a terminal and
 * pasteable into README.md as they are. */
#include <stdio.h>
#include <string.h>

#include "dune-bench.h"

/* The unit that keeps a figure between 1 and 1000, and its scale. */
static const char *scale(double v, const char *unit, double *div)
{
	double ns = !strcmp(unit, "ms") ? v * 1e6 : v;

	*div = !strcmp(unit, "ms") ? 1e-6 : 1;
	if (ns < 1e3)
		return "ns";
	if (ns < 1e6) {
		*div *= 1e3;
		return "µs";
	}
	if (ns < 1e9) {
		*div *= 1e6;
		return "ms";
	}
	*div *= 1e9;
	return "s";
}

static const char *digits(double v)
{
	return v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f";
}

static void number(char *buf, size_t len, double v)
{
	snprintf(buf, len, digits(v), v);
}

struct notes {
	int n;
	const char *text[3 * 64];
};

/* The number of the note that says this, made if it is new. */
static int note(struct notes *notes, const char *text)
{
	for (int i = 0; i < notes->n; i++)
		if (!strcmp(notes->text[i], text))
			return i + 1;
	notes->text[notes->n++] = text;
	return notes->n;
}

/* "949 ns (930–960)", or a reference to the note that says why not. */
static void cell(char *buf, size_t len, const struct series *s, const char *unit, const struct side *side,
		 struct notes *notes)
{
	char med[24], lo[24], hi[24];
	double div;
	const char *u;

	if (!side->ok) {
		int k = note(notes, side->reason);

		if (!strncmp(side->reason, "unsupported", 11))
			snprintf(buf, len, "unsupported [%d]", k);
		else
			snprintf(buf, len, "%s [%d]", strncmp(side->reason, "none", 4) ? "failed" : "—", k);
		return;
	}
	u = scale(s->median, unit, &div);
	number(med, sizeof(med), s->median / div);
	number(lo, sizeof(lo), s->min / div);
	number(hi, sizeof(hi), s->max / div);
	snprintf(buf, len, "%s %s (%s–%s)", med, u, lo, hi);
}

static void ratio_cell(char *buf, size_t len, double ratio)
{
	if (ratio > 0)
		number(buf, len, ratio);
	else
		snprintf(buf, len, "—");
}

/* dune / baseline is near 1, and a few percent are what it is read for. */
static void near_one_cell(char *buf, size_t len, double ratio)
{
	if (ratio > 0 && ratio < 10)
		snprintf(buf, len, "%.3f", ratio);
	else
		ratio_cell(buf, len, ratio);
}

static void print_floor(FILE *to, const struct result *results, size_t n)
{
	const struct result *floor = result_named(results, n, "kvm-floor");
	const char *names[] = { "getpid", "getpid-norewrite" };

	if (!floor || !floor->linux_side.ok)
		return;
	for (int i = 0; i < 2; i++) {
		const struct result *g = result_named(results, n, names[i]);

		if (g && g->dune_side.ok)
			fprintf(to, "%s under dune = %.2f × the KVM_RUN floor\n", g->b->title,
				g->dune_side.time.median / floor->linux_side.time.median);
	}
}

/* A side's cell, marked when the dune figure stands in for another. */
static void side_cell(char *buf, size_t len, const struct result *x, const struct side *side,
		      struct notes *notes)
{
	cell(buf, len, &side->time, x->b->unit, side, notes);
	if (side != &x->linux_side && x->b->dune_note && side->ok)
		snprintf(buf + strlen(buf), len - strlen(buf), " *");
}

static void micro_row(FILE *to, const struct options *o, const struct result *x, struct notes *notes)
{
	char a[128], b[128], c[128], r[32], rb[32];

	side_cell(a, sizeof(a), x, &x->linux_side, notes);
	side_cell(b, sizeof(b), x, &x->dune_side, notes);
	ratio_cell(r, sizeof(r), x->ratio);
	if (!o->baseline) {
		fprintf(to, "| %s | %s | %s | %s |\n", x->b->title, a, b, r);
		return;
	}
	side_cell(c, sizeof(c), x, &x->base_side, notes);
	near_one_cell(rb, sizeof(rb), x->to_base);
	fprintf(to, "| %s | %s | %s | %s | %s | %s |\n", x->b->title, a, c, b, r, rb);
}

/* Wall time of each side with the ratios; CPU time too, or (with a
 * baseline, for width) only its ratios. */
static void program_row(FILE *to, const struct options *o, const struct result *x, struct notes *notes)
{
	char a[128], b[128], c[128], d[128], r[32], rc[32], rb[32], rcb[32];

	cell(a, sizeof(a), &x->linux_side.time, x->b->unit, &x->linux_side, notes);
	cell(b, sizeof(b), &x->dune_side.time, x->b->unit, &x->dune_side, notes);
	ratio_cell(r, sizeof(r), x->ratio);
	ratio_cell(rc, sizeof(rc), x->cpu_ratio);
	if (o->baseline) {
		cell(c, sizeof(c), &x->base_side.time, x->b->unit, &x->base_side, notes);
		near_one_cell(rb, sizeof(rb), x->to_base);
		near_one_cell(rcb, sizeof(rcb), x->cpu_to_base);
		fprintf(to, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", x->b->title, a, c, b, r, rb, rc, rcb);
		return;
	}
	if (x->linux_side.ok)
		cell(c, sizeof(c), &x->linux_side.cpu, x->b->unit, &x->linux_side, notes);
	else
		snprintf(c, sizeof(c), "—");
	if (x->dune_side.ok)
		cell(d, sizeof(d), &x->dune_side.cpu, x->b->unit, &x->dune_side, notes);
	else
		snprintf(d, sizeof(d), "—");
	fprintf(to, "| %s | %s | %s | %s | %s | %s | %s |\n", x->b->title, a, b, r, c, d, rc);
}

void table_print(FILE *to, const struct options *o, const struct machine *m, const struct result *results,
		 size_t n)
{
	struct notes notes = { 0 };
	bool programs = false, stand_in = false;

	fprintf(to, "\ndune-bench%s: Linux vs dune%s, median (min–max) of %d runs each, %s\n",
		o->quick ? " --quick" : "", o->baseline ? " vs baseline" : "", o->reps,
		o->baseline ? "interleaved" : "alternating");
	fprintf(to, "machine: %s, %d CPUs; Linux %s; KVM: %s%s\n", m->cpu, m->cpus, m->kernel, m->kvm,
		m->emulated ? "; EMULATED (QEMU TCG): only the ratios mean anything" : "");
	if (o->baseline)
		fprintf(to, "dune: %s\nbaseline: %s\n", o->preload, o->baseline);
	if (o->baseline)
		fprintf(to, "\n| benchmark | Linux | baseline | dune | dune / Linux | dune / baseline |\n"
			    "|---|---|---|---|---|---|\n");
	else
		fprintf(to, "\n| benchmark | Linux | dune | dune / Linux |\n|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		const struct result *x = &results[i];

		if (!x->selected)
			continue;
		if (x->b->kind == KIND_PROGRAM) {
			programs = true;
			continue;
		}
		stand_in |= x->b->dune_note && (x->dune_side.ok || x->base_side.ok);
		micro_row(to, o, x, &notes);
	}
	if (programs && o->baseline)
		fprintf(to, "\n| program | Linux wall | baseline wall | dune wall | dune / Linux | dune / baseline "
			    "| CPU: dune / Linux | CPU: dune / baseline |\n|---|---|---|---|---|---|---|---|\n");
	else if (programs)
		fprintf(to, "\n| program | Linux wall | dune wall | ratio | Linux CPU | dune CPU | ratio |\n"
			    "|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; programs && i < n; i++)
		if (results[i].selected && results[i].b->kind == KIND_PROGRAM)
			program_row(to, o, &results[i], &notes);
	fputc('\n', to);
	print_floor(to, results, n);
	if (stand_in)
		for (size_t i = 0; i < n; i++) {
			const struct result *x = &results[i];

			if (!x->selected || !x->b->dune_note || !(x->dune_side.ok || x->base_side.ok))
				continue;
			if (x->b->kind == KIND_INTERPOSE)
				fprintf(to, "* %s, dune's side: its policy tracing every getpid "
					    "(bench/trace-getpid.conf)\n", x->b->name);
			else
				fprintf(to, "* %s, dune's side: %s\n", x->b->name, x->b->dune_note);
		}
	for (int i = 0; i < notes.n; i++)
		fprintf(to, "[%d] %s\n", i + 1, notes.text[i]);
}
