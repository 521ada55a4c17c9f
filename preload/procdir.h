/* procdir.h: what /proc's directories of this process list for the program.
 *
 * The runtime's own descriptors (fds.h) are not the program's, nor are the
 * threads that run no vCPU (exitless servers, kernel workers KVM adds):
 * /proc/self/fd and /proc/self/task leave them out, as if they did not exist,
 * and /proc/self/status counts the program's threads only.
 */
#ifndef DUNE_PROCDIR_H
#define DUNE_PROCDIR_H

#include <sys/uio.h>

#include "runtime.h"

/* Decimal digits of x at buf (no NUL); returns their count. */
int procdir_format_ulong(char *buf, unsigned long x);
/* Where our fd points (readlink of /proc/self/fd/FD): the length, or -errno. */
long procdir_fd_target(long fd, char *target, long len);
/* Is tid a thread of the program, one that runs a vCPU? */
bool procdir_guest_thread(struct guest *g, long tid);
/* A directory entry's name as a number (a pid, tid or fd), or -1. */
long procdir_parse_number(const char *name);
/* After a call the program made (nr, its arguments, its result), on its
 * thread or a server: follow fds open on our status files (opened, dup'd,
 * closed). */
void procdir_after(long nr, const long a[6], long ret);
/* Is fd one of them? Reads of it go through procdir_read_status. */
bool procdir_status_fd(long fd);
/* read or pread64 (nr) of such an fd: its Threads: line counts the
 * program's threads only, when the read has the whole file. */
long procdir_read_status(struct guest *g, long nr, long fd, char *buf, long count, long off);
/* readv, preadv or preadv2 (nr) of such an fd, iov already checked (sysargs.c):
 * one read of the file, its Threads: line as above, scattered into iov. */
long procdir_readv_status(struct guest *g, long nr, long fd, const struct iovec *iov, long cnt,
			  long off);
/* getdents64 or getdents (nr) for the program. */
long procdir_getdents(struct guest *g, long nr, long fd, void *buf, long count);

#endif
