/* spans.h: the address ranges that belong to the runtime, for the checks on
 * the syscall path (sysargs.c).
 *
 * A handful of coarse ranges (the arena, the page-table pool, libdunepre.so
 * itself) hold everything the runtime owns. They are added while the
 * process starts, or rarely later, and read without a lock: an entry is
 * written before the count that publishes it.
 */
#ifndef DUNE_SPANS_H
#define DUNE_SPANS_H

#include <stdbool.h>
#include <stdint.h>

/* Remember [start, end) as the runtime's. Returns 0, or -ENOSPC. */
int spans_add(uint64_t start, uint64_t end);
/* Does [addr, addr + len) touch a runtime range? len 0 counts as 1 byte. */
bool spans_overlap(uint64_t addr, uint64_t len);
/* The runtime range that starts first among those touching [from, to):
 * true and [*start, *end) clipped to it, or false. */
bool spans_next(uint64_t from, uint64_t to, uint64_t *start, uint64_t *end);
/* Code that the runtime runs on the host side but does not own: the
 * executable segments of the libraries it calls (ld.so, libc, libunwind,
 * Zydis and theirs). The program shares them and may read and run them, but
 * may not remap, unmap or reprotect them: code it wrote there would run on
 * the host, outside the guest. Returns 0, or -ENOSPC. */
int spans_seal_host_code(void);
/* Is path one of those libraries (by its name)? */
bool spans_host_library(const char *path);
/* Does [addr, addr + len) touch such code? */
bool spans_sealed(uint64_t addr, uint64_t len);

#endif
