/* startup_only.h: the point after which the runtime calls none of libc's
 * functions that read state the program can write (startup_only.S). */
#ifndef DUNE_STARTUP_ONLY_H
#define DUNE_STARTUP_ONLY_H

#include <stdbool.h>

/* Set once, just before the program's first instruction in the guest. */
extern bool dune_program_started;

/* Where such a call lands once it is set: one dune: line, status 126. */
__attribute__((noreturn)) void dune_startup_only_called(const char *name);

#endif
