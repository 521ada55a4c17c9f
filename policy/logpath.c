/* logpath.c: the log file's name for one process, with %p and %e filled in. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

/* Append @n bytes of @s; a '/' in a program name would make it a path, so it becomes '_'. */
static int put(char *buf, size_t len, size_t *at, const char *s, size_t n, bool slashes)
{
	if (*at + n >= len)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++)
		buf[(*at)++] = (!slashes && s[i] == '/') ? '_' : s[i];
	return 0;
}

int policy_log_path(const struct dune_policy *p, pid_t pid, const char *progname, char *buf, size_t len)
{
	size_t at = 0;
	char num[24];

	if (!p->log)
		return -ENODATA;
	if (!len)
		return -ENAMETOOLONG;
	for (const char *c = p->log; *c; c++) {
		int r;

		if (*c != '%' || !c[1]) {
			r = put(buf, len, &at, c, 1, true);
		} else if (*++c == 'p') {
			snprintf(num, sizeof(num), "%ld", (long)pid);
			r = put(buf, len, &at, num, strlen(num), true);
		} else if (*c == 'e') {
			r = put(buf, len, &at, progname ? progname : "", progname ? strlen(progname) : 0, false);
		} else {
			r = put(buf, len, &at, c, 1, true); /* %% (the reader lets no other '%' through) */
		}
		if (r < 0) {
			buf[0] = '\0';
			return r;
		}
	}
	buf[at] = '\0';
	return 0;
}
