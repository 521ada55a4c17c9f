/* sysargs.h: what each syscall's arguments are, and the checks that keep a
 * program's call off the runtime's descriptors, threads and memory.
 *
 * The kernel does for the program whatever its arguments say, in the one
 * process that holds the runtime too: read(fd, buf) into a stub page, ioctl
 * on a vCPU's descriptor, tgkill to a server thread. Every forwarded call is
 * judged here first, by a table of argument kinds, and answered as the
 * kernel answers for what the process does not have: EFAULT for memory,
 * EBADF for a descriptor, ESRCH for a thread. Structures that hold pointers
 * (iovecs, msghdr) are copied before they are checked, and the kernel is
 * given the copy, so that another thread cannot change them in between.
 */
#ifndef DUNE_SYSARGS_H
#define DUNE_SYSARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime.h"

enum arg_kind {
	ARG_NUM,   /* a number, or unused: not checked */
	ARG_PTR,   /* the kernel reads or writes an object there */
	ARG_BUF,   /* a buffer whose length is the next argument */
	ARG_FD,    /* a descriptor: the runtime's are not open */
	ARG_TID,   /* a thread or process id: the runtime's threads do not exist */
	ARG_IOV,   /* struct iovec[next argument] */
	ARG_MSG,   /* struct msghdr, with SCM_RIGHTS descriptors when sent */
	ARG_MMSG,  /* struct mmsghdr[next argument] */
	ARG_SIGEV, /* struct sigevent, whose thread id may name a thread */
	ARG_WAITV, /* struct futex_waitv[next argument] */
	ARG_IOCTL, /* _IOC_SIZE(cmd) bytes, cmd the previous argument */
	ARG_MM,    /* an address the memory-map rules judge (sysargs_memory) */
};

struct sysargs_rule {
	uint8_t arg[6];  /* enum arg_kind */
	uint8_t refuse;  /* an errno: dune never makes this call for a program */
};

/* The rule for nr (every argument ARG_NUM for a number without one). */
const struct sysargs_rule *sysargs_rule(long nr);

/* Has nr nothing to check, in any argument? (The module's fast path may
 * run only those.) */
bool sysargs_plain(long nr);

/* Does judging nr take the vCPU's thread: a thread id (the list of the
 * program's threads is kept under the guest's lock, which a server must not
 * take: a fork would leave it held in the child), or the guest's state? A
 * server bounces those. */
bool sysargs_vcpu_only(long nr);

/* Judge nr with the arguments in a[]. Returns 0 to make the call with a[],
 * which may now point at copies in *scratch (made on first use), or -errno
 * to answer with. ENOSYS for a number the kernel headers do not know. */
long sysargs_prepare(struct guest *g, uint8_t **scratch, long nr, long a[6]);
/* Scratch for sysargs_prepare, made ahead (a server may not allocate). */
uint8_t *sysargs_scratch_new(void);
/* The same for the checks that need nothing but the registers (a server's). */
long sysargs_check_registers(struct guest *g, long nr, const long a[6]);
/* After the call: copy what the kernel wrote into the copies back to the
 * program (recvmsg's lengths and flags). orig: the program's arguments. */
void sysargs_finish(long nr, const long orig[6], const long a[6], long ret);

/* After an open that returned fd: the program may not hold a /proc/PID/mem
 * (any spelling, any pid): it is closed and -EACCES returned instead; nor
 * one of dune's files open for writing: -ETXTBSY (runtime_files.h). */
long sysargs_opened(long nr, long fd);

/* Is tid one of the process's threads that is not the program's? */
bool sysargs_runtime_thread(struct guest *g, long tid);

#endif
