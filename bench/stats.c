/* stats.c: the summary of a side's repetitions. Medians, because one
 * preempted repetition on a shared machine must not move the result. */
#include <stdlib.h>

#include "dune-bench.h"

void series_add(struct series *s, double v)
{
	if (s->n < MAX_REPS)
		s->v[s->n++] = v;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void series_summarize(struct series *s)
{
	double sorted[MAX_REPS];

	if (s->n == 0)
		return;
	for (int i = 0; i < s->n; i++)
		sorted[i] = s->v[i];
	qsort(sorted, s->n, sizeof(sorted[0]), by_value);
	s->min = sorted[0];
	s->max = sorted[s->n - 1];
	s->median = s->n % 2 ? sorted[s->n / 2] : (sorted[s->n / 2 - 1] + sorted[s->n / 2]) / 2;
}
