/* log.c: dune's messages, written with one raw write(2) each so that lines from
 * several threads never interleave and no stdio lock is taken. */
#include "log.h"
#include "startup_only.h"

#include <stdarg.h>
#include <stdio.h>

#include "rawsys.h"

void dune_write_stderr(const char *buf, long len)
{
	dune_write_fd(2, buf, len);
}

void dune_write_fd(int fd, const char *buf, long len)
{
	while (len > 0) {
		long w = raw_syscall3(SYS_write, fd, buf, len);

		if (w <= 0)
			return;
		buf += w;
		len -= w;
	}
}

static void vreport(const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "dune: ");

	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	dune_write_stderr(line, n);
}

void dune_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

void dune_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	raw_syscall1(SYS_exit_group, DUNE_EXIT_FAILURE);
	__builtin_unreachable();
}

void dune_startup_only_called(const char *name)
{
	dune_fatal("internal error: the runtime called %s() while the program runs, and it "
		   "reads state the program can write; please report it", name);
}
