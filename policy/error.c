/* error.c: fill a policy_error; the caller adds "dune: " and exits 126. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static size_t put_where(struct policy_error *err, struct where at)
{
	int n;

	if (at.line > 0)
		n = snprintf(err->msg, sizeof(err->msg), "%s:%d: ", at.file, at.line);
	else
		n = snprintf(err->msg, sizeof(err->msg), "%s: ", at.file);
	if (n < 0)
		return 0;
	return (size_t)n < sizeof(err->msg) ? (size_t)n : sizeof(err->msg) - 1;
}

int policy_fail(struct policy_error *err, struct where at, const char *fmt, ...)
{
	size_t n = put_where(err, at);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int policy_fail_errno(struct policy_error *err, struct where at, int neg_errno, const char *what)
{
	const char *desc = strerrordesc_np(-neg_errno);
	size_t n = put_where(err, at);

	snprintf(err->msg + n, sizeof(err->msg) - n, "%s (%s)", what, desc ? desc : "unknown error");
	return neg_errno;
}
