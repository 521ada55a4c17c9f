/* prefilter.h: the policy's refusals as a seccomp filter, for the code that
 * runs before dune enters.
 *
 * ld.so runs some of an exec'd image's own code before dune's constructor:
 * the constructors of its DT_NEEDED libraries, its preinit array, IFUNC
 * resolvers. That code runs on the host, outside the guest, where the
 * runtime cannot see its syscalls. The kernel can: a confined process
 * installs, once, a filter that answers every number the policy denies or
 * kills as the policy does, and each image it or its children exec
 * inherits it. The runtime itself never makes a call the policy refuses for
 * the program, except the ones it and the loader need to run at all (open,
 * mmap, ioctl...): the filter leaves those alone, and a policy that denies
 * one of them holds only from entry on. Numbers the kernel headers do not
 * name get ENOSYS, as they do under dune; so does every call through the
 * i386 and x32 entry points.
 */
#ifndef DUNE_PREFILTER_H
#define DUNE_PREFILTER_H

#include <linux/filter.h>
#include <stdbool.h>

#include "policy.h"

#define PREFILTER_MAX 2048 /* instructions: two per refused number, and a few */

/* Is nr one of the calls the runtime or the loader makes for itself? */
bool prefilter_exempt(long nr);

/* The filter for p, into out[max]: its length, or -E2BIG. */
int prefilter_build(const struct dune_policy *p, struct sock_filter *out, int max);

/* Is a filter of ours already on this process (inherited)? */
bool prefilter_present(void);

/* Does p refuse a number the filter would refuse (deny or kill)? A policy
 * that only traces or counts gets no filter (nor no_new_privs). */
bool prefilter_needed(const struct dune_policy *p);

/* Install p's filter (with no_new_privs), unless p needs none or one is
 * present. 0 or -errno. */
int prefilter_install(const struct dune_policy *p);

#endif
