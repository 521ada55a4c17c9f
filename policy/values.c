/* values.c: the values a key takes: keywords, syscall lists, globs, log paths, hooks. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "values.h"

/* "a, b or c", for the "(expected ...)" of a message. */
static void join_words(const char *const *words, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; words[i] && n < len; i++) {
		const char *sep = i == 0 ? "" : words[i + 1] ? ", " : " or ";
		int w = snprintf(buf + n, len - n, "%s%s", sep, words[i]);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

int parse_word(const char *key, const char *const *words, const char *value, int *out,
		      struct where at, struct policy_error *err)
{
	struct suggest s;
	char expected[128];

	for (int i = 0; words[i]; i++) {
		if (!strcasecmp(words[i], value)) {
			*out = i;
			return 0;
		}
	}
	suggest_start(&s, value);
	for (int i = 0; words[i]; i++)
		suggest_offer(&s, words[i]);
	/* One character off a one-character word is no misspelling: ring = 2 is no typo of 3. */
	if (s.best && strlen(value) > 1)
		return policy_fail(err, at, "bad value " TOK_FMT " for %s (did you mean '%s'?)", TOK(value),
				   key, s.best);
	join_words(words, expected, sizeof(expected));
	return policy_fail(err, at, "bad value " TOK_FMT " for %s (expected %s)", TOK(value), key, expected);
}

/* The next comma-separated item of *cursor, trimmed, or NULL at the end. */
static char *next_item(char **cursor)
{
	char *item = *cursor, *comma, *end;

	if (!item)
		return NULL;
	comma = strchr(item, ',');
	*cursor = comma ? comma + 1 : NULL;
	if (comma)
		*comma = '\0';
	while (*item == ' ' || *item == '\t')
		item++;
	end = item + strlen(item);
	while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return item;
}

int parse_syslist(struct slot *slot, const char *key, char *value, struct where at,
			 struct policy_error *err)
{
	char *cursor = *value ? value : NULL; /* nothing at all is the empty list */
	char *item;

	while ((item = next_item(&cursor))) {
		int nr;

		if (!*item)
			return policy_fail(err, at, "empty name in the list of %s (expected NAME, NAME, ...)", key);
		if (!strcmp(item, "*")) {
			slot->list.all = true;
			continue;
		}
		nr = names_syscall(item);
		if (nr < 0) {
			const char *near = suggest_syscall(item);

			if (near)
				return policy_fail(err, at, "unknown syscall " TOK_FMT " (did you mean '%s'?)",
						   TOK(item), near);
			return policy_fail(err, at, "unknown syscall " TOK_FMT " (expected an x86_64 syscall name or *)",
					   TOK(item));
		}
		slot->list.bits[nr / 64] |= 1ull << (nr % 64);
	}
	return 0;
}

int parse_globs(struct policy_state *layer, char *value, struct where at, struct policy_error *err)
{
	char *cursor = value, *item;

	while ((item = next_item(&cursor))) {
		char **globs;

		if (!*item)
			return policy_fail(err, at, "empty glob in the list of program (expected program = GLOB, GLOB, ...)");
		globs = realloc(layer->globs, (layer->nglobs + 1) * sizeof(*globs));
		if (!globs)
			return policy_fail_errno(err, at, -ENOMEM, "cannot read");
		layer->globs = globs;
		globs[layer->nglobs] = strdup(item);
		if (!globs[layer->nglobs])
			return policy_fail_errno(err, at, -ENOMEM, "cannot read");
		layer->nglobs++;
	}
	return 0;
}

/* stderr, or an absolute path in which '%' only starts %p, %e or %%. */
int parse_log(struct slot *slot, const char *value, struct where at, struct policy_error *err)
{
	if (!strcasecmp(value, "stderr"))
		return 0;
	if (value[0] != '/')
		return policy_fail(err, at, "bad log " TOK_FMT " (expected stderr or an absolute path)", TOK(value));
	if (strlen(value) >= PATH_MAX)
		return policy_fail(err, at, "log path is longer than %d bytes (expected a path)", PATH_MAX - 1);
	for (const char *c = value; *c; c++) {
		if (*c != '%')
			continue;
		c++;
		if (*c != 'p' && *c != 'e' && *c != '%')
			return policy_fail(err, at, "bad log " TOK_FMT " (expected %%p, %%e or %%%% after '%%')",
					   TOK(value));
	}
	slot->str = strdup(value);
	return slot->str ? 0 : policy_fail_errno(err, at, -ENOMEM, "cannot read");
}

static bool is_identifier(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* LIB.so:SYMBOL; the symbol is what follows the last ':', as a path may hold one and a C name may not. */
int parse_hook(struct slot *slot, const char *what, const char *value, struct where at,
		      struct policy_error *err)
{
	const char *colon = strrchr(value, ':');

	if (!colon || colon == value || !is_identifier(colon + 1))
		return policy_fail(err, at, "bad %s " TOK_FMT " (expected LIB.so:SYMBOL)", what, TOK(value));
	if ((size_t)(colon - value) >= PATH_MAX)
		return policy_fail(err, at, "hook library path is longer than %d bytes (expected a path)",
				   PATH_MAX - 1);
	slot->str = strndup(value, (size_t)(colon - value));
	slot->sym = strdup(colon + 1);
	if (!slot->str || !slot->sym)
		return policy_fail_errno(err, at, -ENOMEM, "cannot read");
	return 0;
}
