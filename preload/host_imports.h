/* host_imports.h: the libc functions that Zydis calls, bound to the
 * runtime's own.
 *
 * The host side decodes instructions with Zydis while the program runs, and
 * Zydis calls libc's memcpy, memset and strlen (whose loops depend on
 * thresholds in libc's writable data), __stack_chk_fail and __assert_fail
 * (which print through libc's state and abort). While the runtime starts,
 * their slots in Zydis's GOT are rewritten to point at preload/string.c's
 * functions and at ones that stop the process with a dune: line; the GOT
 * is read-only again afterwards, and sealed (spans.h).
 */
#ifndef DUNE_HOST_IMPORTS_H
#define DUNE_HOST_IMPORTS_H

/* 0, or a negative errno (Zydis not found, a slot that cannot be written). */
int host_imports_bind(void);

#endif
