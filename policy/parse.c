/* parse.c: one policy file's text, line by line: comments, [sections], "key = value". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "state.h"

static const char *const section_names[SEC_COUNT] = {
	[SEC_MATCH] = "match",
	[SEC_DUNE] = "dune",
	[SEC_SYSCALLS] = "syscalls",
	[SEC_PAGEFAULT] = "pagefault",
	[SEC_EXCEPTIONS] = "exceptions",
};

const char *section_name(enum section sec)
{
	return section_names[sec];
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim blanks at both ends, in place. */
static char *trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/*
 * A comment starts at '#' or ';' at the start of a line or after a blank,
 * so that a path may still contain them ("/srv/a#b").
 */
static void cut_comment(char *line)
{
	for (char *c = line; *c; c++) {
		if ((*c == '#' || *c == ';') && (c == line || is_blank(c[-1]))) {
			*c = '\0';
			return;
		}
	}
}

/* Only text: a control character is a binary file or a paste gone wrong, and would garble messages. */
static int check_text(char *line, size_t len, struct where at, struct policy_error *err)
{
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return policy_fail(err, at, "control character 0x%02x in column %zu (expected text)",
					   c, i + 1);
	}
	return 0;
}

static int section_header(struct policy_state *layer, char *line, enum section *sec, struct where at,
			  struct policy_error *err)
{
	size_t n = strlen(line);
	char *name;
	struct suggest s;

	if (line[n - 1] != ']')
		return policy_fail(err, at, "expected ']' at the end of the section line");
	line[n - 1] = '\0';
	name = trim(line + 1);
	for (int i = 0; i < SEC_COUNT; i++) {
		if (strcasecmp(name, section_names[i]))
			continue;
		if (layer->section_line[i])
			return policy_fail(err, at, "section [%s] appears twice (first at line %d)",
					   section_names[i], layer->section_line[i]);
		layer->section_line[i] = at.line;
		*sec = (enum section)i;
		return 0;
	}
	suggest_start(&s, name);
	for (int i = 0; i < SEC_COUNT; i++)
		suggest_offer(&s, section_names[i]);
	if (s.best)
		return policy_fail(err, at, "unknown section [%.*s%s] (did you mean [%s]?)", TOK(name), s.best);
	return policy_fail(err, at,
			   "unknown section [%.*s%s] (expected [match], [dune], [syscalls], [pagefault] or [exceptions])",
			   TOK(name));
}

static int key_line(struct policy_state *layer, char *line, enum section sec, struct where at,
		    struct policy_error *err)
{
	char *eq = strchr(line, '=');
	char *key, *value;

	if (!eq)
		return policy_fail(err, at, "expected 'key = value' or a [section] line");
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (!*key)
		return policy_fail(err, at, "missing key before '=' (expected 'key = value')");
	if (sec == SEC_NONE)
		return policy_fail(err, at, "key " TOK_FMT " before any section (expected a [section] line first)",
				   TOK(key));
	return keys_set(layer, sec, key, value, at, err);
}

static int parse_line(struct policy_state *layer, char *line, enum section *sec, struct where at,
		      struct policy_error *err)
{
	cut_comment(line);
	line = trim(line);
	if (!*line)
		return 0;
	if (*line == '[')
		return section_header(layer, line, sec, at, err);
	return key_line(layer, line, *sec, at, err);
}

static int parse_lines(struct policy_state *layer, const char *file, char *text, size_t len,
		       struct policy_error *err)
{
	struct where at = { file, 0 };
	enum section sec = SEC_NONE;
	char *end = text + len;

	/* A UTF-8 byte order mark, as some editors write, is no text. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		text += 3;
	for (char *line = text; line < end;) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		int r;

		at.line++;
		if (memchr(line, '\0', n))
			return policy_fail(err, at, "NUL byte (expected text)");
		line[n] = '\0';
		r = check_text(line, n, at, err);
		if (r < 0)
			return r;
		r = parse_line(layer, line, &sec, at, err);
		if (r < 0)
			return r;
		line += n + 1;
	}
	return 0;
}

int parse_layer(struct policy_state *layer, const char *file, const char *text, size_t len,
		struct policy_error *err)
{
	struct where at = { file, 0 };
	char *copy;
	int r;

	if (len > POLICY_MAX_FILE)
		return policy_fail(err, at, "file is larger than %d bytes (expected a policy file)",
				   POLICY_MAX_FILE);
	/* One spare byte: every line, the last included, ends in a NUL written over its '\n'. */
	copy = malloc(len + 1);
	if (!copy)
		return policy_fail_errno(err, at, -ENOMEM, "cannot read");
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	r = parse_lines(layer, file, copy, len, err);
	free(copy);
	if (r < 0)
		return r;
	if (layer->section_line[SEC_MATCH] && !layer->nglobs) {
		at.line = layer->section_line[SEC_MATCH];
		return policy_fail(err, at, "[match] names no program (expected program = GLOB, ...)");
	}
	layer->match_all = !layer->section_line[SEC_MATCH];
	return 0;
}
