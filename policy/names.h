/* names.h: the names a policy may use (syscalls, errnos, exceptions) and the nearest-name suggestion. */
#ifndef DUNE_POLICY_NAMES_H
#define DUNE_POLICY_NAMES_H

#include <stddef.h>

/* syscall_names.c, generated from asm/unistd_64.h; holes are NULL. */
extern const char *const dune_syscall_names[];
extern const int dune_syscall_count;

/* errno_names.c, generated from asm-generic/errno{-base,}.h; aliases share a number. */
struct dune_errno_name {
	const char *name;
	int num;
};
extern const struct dune_errno_name dune_errno_names[];
extern const int dune_errno_count;
extern const int dune_errno_max;

/* The syscall's number, or -ENOENT. Any case. */
int names_syscall(const char *name);

/* The errno's number, or -ENOENT. Any case. */
int names_errno(const char *name);

/* The first name the headers give @num, or NULL. */
const char *names_errno_name(int num);

/*
 * The nearest of the candidates offered, if near enough to be a plausible
 * misspelling: offer each with suggest_offer(), then read .best (NULL: none).
 */
struct suggest {
	const char *word;
	const char *best;
	int dist;
};

void suggest_start(struct suggest *s, const char *word);
void suggest_offer(struct suggest *s, const char *candidate);

/* The nearest syscall name to @word, or NULL. */
const char *suggest_syscall(const char *word);

/* The nearest errno name to @word, or NULL. */
const char *suggest_errno(const char *word);

/* The nearest exception name to @word, or NULL. */
const char *suggest_exception(const char *word);

#endif
