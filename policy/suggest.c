/* suggest.c: "did you mean": the nearest name by edit distance, when it is near enough to be a typo. */
#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "names.h"

/* Names and typos are short; longer words get no suggestion. */
#define SUGGEST_MAX 64

/*
 * Optimal string alignment distance, case-blind: insertions, deletions,
 * substitutions, and swaps of neighbours, which are the commonest typo
 * ("opne" is one step from "open", not two).
 */
static int distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	int rows[3][SUGGEST_MAX + 1];
	int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (n > SUGGEST_MAX || m > SUGGEST_MAX)
		return INT_MAX;
	for (size_t j = 0; j <= m; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= m; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			int d = prev[j - 1] + (ca != cb);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		int *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

/* How many edits still look like a typo of a word this long. */
static int tolerance(size_t len)
{
	if (len <= 3)
		return 1;
	if (len <= 8)
		return 2;
	return 3;
}

void suggest_start(struct suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->dist = tolerance(strlen(word)) + 1;
}

void suggest_offer(struct suggest *s, const char *candidate)
{
	int d;

	if (!candidate)
		return;
	d = distance(s->word, candidate);
	if (d < s->dist) {
		s->best = candidate;
		s->dist = d;
	}
}

const char *suggest_syscall(const char *word)
{
	struct suggest s;

	suggest_start(&s, word);
	for (int i = 0; i < dune_syscall_count; i++)
		suggest_offer(&s, dune_syscall_names[i]);
	return s.best;
}

const char *suggest_errno(const char *word)
{
	struct suggest s;

	suggest_start(&s, word);
	for (int i = 0; i < dune_errno_count; i++)
		suggest_offer(&s, dune_errno_names[i].name);
	return s.best;
}
