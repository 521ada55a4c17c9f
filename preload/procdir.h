/* procdir.h: what /proc's directories of this process list for the program.
 *
 * The runtime's own descriptors (fds.h) are not the program's, nor are the
 * threads that run no vCPU (exitless servers, kernel workers KVM adds):
 * /proc/self/fd and /proc/self/task leave them out, as if they did not exist.
 */
#ifndef DUNE_PROCDIR_H
#define DUNE_PROCDIR_H

#include "runtime.h"

/* Where our fd points (readlink of /proc/self/fd/FD): the length, or -errno. */
long procdir_fd_target(long fd, char *target, long len);
/* A directory entry's name as a number (a pid, tid or fd), or -1. */
long procdir_parse_number(const char *name);
/* getdents64 or getdents (nr) for the program. */
long procdir_getdents(struct guest *g, long nr, long fd, void *buf, long count);

#endif
