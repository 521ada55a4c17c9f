/* loader.h: the loader phase of an image that entered through LD_AUDIT.
 *
 * Entered through LD_AUDIT (audit.c), dune runs before ld.so has loaded
 * any library of the program's, so ld.so's own work (opening, reading and
 * mapping the program's libraries) runs in the guest too, and a policy
 * that refuses open or mmap would keep the program from starting at all.
 * That work is not the program's: under LD_PRELOAD it ran before dune
 * entered, and a seccomp filter before exec cannot tell it apart either.
 * So, until the first instruction that is not ld.so's (or dune's audit
 * module's) runs, the guest's page tables make every other mapping
 * non-executable, and the policy's rules pass over the calls the loader
 * makes to load libraries (open and read, mmap and the like): an open the
 * policy refuses or traces passes only for reading, and only if the file
 * is an ELF file or ld.so's cache (LD_PRELOAD=/etc/secret would otherwise
 * leave the file's first bytes on ld.so's stack for the program to find,
 * refused or unseen). The first
 * instruction fetch from
 * anywhere else, an IFUNC resolver, a constructor, a program's own audit
 * module, faults: the phase ends there, every mapping gets its execute
 * permission back, the guest's translations are flushed, and the policy
 * judges every call from then on, in the guest's stub too. No code of the
 * program's can run while the policy passes over a call.
 */
#ifndef DUNE_LOADER_H
#define DUNE_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime.h"

/* At entry, before the memory mirror is made: start the phase. 0 or -errno. */
int loader_phase_begin(struct guest *g);
/* For the mirror: must [start, end), executable on the host, not be so in
 * the guest (the phase is on and it is not the loader's code)? */
bool loader_withholds_exec(const struct guest *g, uint64_t start, uint64_t end);
/* A page fault (error code, address) on v: if it is the first instruction
 * fetch outside the loader, end the phase and return true (retry it). */
bool loader_phase_end(struct guest *g, struct vcpu *v, uint64_t error, uint64_t addr);
/* In the phase, a call the loader makes: run it as ld.so's, not judged nor
 * traced, and return true; false to judge it as ever. rule: the policy's. */
bool loader_syscall(struct guest *g, struct vcpu *v, long nr, const struct policy_syscall *rule);

#endif
