/* fds.h: the runtime's own file descriptors, kept out of the program's way.
 *
 * Programs close descriptors they did not open (close_range after fork, say).
 * The runtime's live at high numbers, and closing them looks to the program
 * as if they were not open at all.
 */
#ifndef DUNE_FDS_H
#define DUNE_FDS_H

#include <stdbool.h>

/* Move fd to a high number (close-on-exec) and remember it. Returns the new fd. */
int fd_protect(int fd);
/* Forget a runtime fd that the runtime closed itself. */
void fd_forget(int fd);
int fd_is_runtime(long fd);
bool fd_any_runtime(void);
/* close_range(first, last, flags) that spares the runtime's fds. */
long fd_close_range(unsigned long first, unsigned long last, unsigned long flags);

#endif
