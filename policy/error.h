/* error.h: how the reader words its fatal errors, "FILE:LINE: what (expected ...)". */
#ifndef DUNE_POLICY_ERROR_H
#define DUNE_POLICY_ERROR_H

#include <string.h>

#include "policy.h"

/* Where a key was set: file NULL means not set; line 0 means the whole file. */
struct where {
	const char *file;
	int line;
};

/* Fill @err with "FILE:LINE: " and the message; return -EINVAL. */
int policy_fail(struct policy_error *err, struct where at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fill @err for a failure that is no fault of the text; return @neg_errno. */
int policy_fail_errno(struct policy_error *err, struct where at, int neg_errno, const char *what);

/*
 * A word from the file, quoted and cut to a length that keeps messages
 * readable: printf(TOK_FMT, TOK(s)).
 */
#define TOK_MAX 64
#define TOK_FMT "'%.*s%s'"
#define TOK(s) (int)(strlen(s) > TOK_MAX ? TOK_MAX : strlen(s)), (s), (strlen(s) > TOK_MAX ? "..." : "")

#endif
