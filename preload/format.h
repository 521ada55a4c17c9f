/* format.h: the runtime's own snprintf (format.c), which never calls into
 * the program: no printf handlers, no locale, no stdio. */
#ifndef DUNE_FORMAT_H
#define DUNE_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* vsnprintf for the conversions the runtime uses (see format.c). */
int dune_vformat(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int dune_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* strerror's text in the C locale, without gettext. */
const char *dune_strerror(int err);

#endif
