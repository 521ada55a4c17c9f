/* log.h: every message dune prints goes through here and starts with "dune: ". */
#ifndef DUNE_LOG_H
#define DUNE_LOG_H

#define DUNE_EXIT_FAILURE 126 /* the status of a program dune could not run */

__attribute__((format(printf, 1, 2))) void dune_error(const char *fmt, ...);
/* Print the message and end the process with status 126 before it runs unconfined. */
__attribute__((format(printf, 1, 2), noreturn)) void dune_fatal(const char *fmt, ...);
/* Write raw bytes to stderr, without stdio (safe while the guest holds libc locks). */
void dune_write_stderr(const char *buf, long len);
void dune_write_fd(int fd, const char *buf, long len);

#endif
