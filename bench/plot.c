/* plot.c: a PNG bar chart of the dune / Linux ratios, drawn by gnuplot,
 * on a log scale because the ratios run from about 1 to the hundreds. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "dune-bench.h"

/* gnuplot's single-quoted strings: a quote is written twice. */
static void quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* One bar per benchmark with both sides; a star marks a dune figure that
 * stands in for another (interposition: plain getpid). */
static int write_data(const char *path, const struct result *results, size_t n, double *lowest)
{
	FILE *f = fopen(path, "w");
	int bars = 0;

	if (!f)
		return -errno;
	*lowest = 1;
	for (size_t i = 0; i < n; i++) {
		const struct result *r = &results[i];

		if (!r->selected || !(r->ratio > 0))
			continue;
		fprintf(f, "\"%s%s\" %.6g\n", r->b->name, r->b->dune_note ? "*" : "", r->ratio);
		if (r->ratio < *lowest)
			*lowest = r->ratio;
		bars++;
	}
	if (fclose(f))
		return -errno;
	return bars;
}

static int write_script(const char *path, const char *data, const char *png, double lowest,
			const struct options *o, const struct machine *m)
{
	FILE *f = fopen(path, "w");
	char title[512];

	if (!f)
		return -errno;
	snprintf(title, sizeof(title), "dune / Linux, medians of %d%s - %s, KVM %s%s", o->reps,
		 o->quick ? " (--quick)" : "", m->cpu, m->kvm, m->emulated ? ", EMULATED" : "");
	fputs("set terminal pngcairo size 1200,700 noenhanced font ',10'\nset output ", f);
	quoted(f, png);
	fputs("\nset title ", f);
	quoted(f, title);
	fputs("\nset label 1 '* the dune figure is its plain forwarded getpid (no policy trace yet)' "
	      "at screen 0.01, screen 0.02", f);
	fputs("\nset logscale y\nset ylabel 'dune time / Linux time (log scale)'\n"
	      "set style fill solid 0.7\nset boxwidth 0.7\nset grid ytics\n"
	      "set xtics rotate by -35 nomirror\nset xrange [-0.6:*]\nset bmargin 8\n", f);
	/* The bars start at the bottom: below the lowest ratio, or 0.5. */
	fprintf(f, "set yrange [%g:*]\nplot ", pow(10, floor(log10(lowest < 0.5 ? lowest : 0.5))));
	quoted(f, data);
	fputs(" using 0:2:xtic(1) with boxes lc rgb '#4a7ab8' notitle, \\\n     ", f);
	quoted(f, data);
	fputs(" using 0:2:(sprintf('%.1f', $2)) with labels offset 0,0.8 notitle, \\\n"
	      "     1 with lines dt 2 lc rgb 'black' notitle\n", f);
	return fclose(f) ? -errno : 0;
}

int plot_write(const char *png, const struct options *o, const struct machine *m,
	       const struct result *results, size_t n)
{
	char data[4200], script[4200], end[REASON_LEN];
	char *argv[] = { "gnuplot", script, NULL };
	struct child_spec spec = { .argv = argv, .timeout = 60 };
	struct child_result c;
	double lowest = 1;
	int r;

	snprintf(data, sizeof(data), "%s/ratios.dat", o->scratch);
	snprintf(script, sizeof(script), "%s/ratios.gp", o->scratch);
	r = write_data(data, results, n, &lowest);
	if (r == 0) {
		fprintf(stderr, "dune-bench: --plot: no ratio to draw (no benchmark ran on both sides)\n");
		return -1;
	}
	if (r < 0 || (r = write_script(script, data, png, lowest, o, m)) < 0 || (r = child_run(&spec, &c)) < 0) {
		fprintf(stderr, "dune-bench: --plot: %s\n", strerror(-r));
		return -1;
	}
	if (c.timed_out || !WIFEXITED(c.status) || WEXITSTATUS(c.status)) {
		child_describe_end(&c, end, sizeof(end));
		fprintf(stderr, "dune-bench: --plot: gnuplot failed (%s)%s\n", end,
			WIFEXITED(c.status) && WEXITSTATUS(c.status) == 127 ? "; apt-get install gnuplot-nox" : "");
		return -1;
	}
	return 0;
}
