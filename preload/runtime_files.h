/* runtime_files.h: the files the runtime runs from, which the program may
 * read and run but never change.
 *
 * They are libdunepre.so, its audit module, and the libraries whose code the
 * host side runs (ld.so, libc, Zydis). Their pages are mapped private, and a
 * private page the process has not written is the page cache's page of the
 * file: a write to the file rewrites the code the host side runs, and the
 * next image dune execs loads the new file. A program that may write them
 * (a build tree's owner, root) is answered ETXTBSY, as the kernel answers a
 * write to a program that runs, when it opens one for writing or truncates
 * it, by any name.
 */
#ifndef DUNE_RUNTIME_FILES_H
#define DUNE_RUNTIME_FILES_H

#include <stdbool.h>
#include <stdint.h>

/* While the runtime starts: remember a file by its device and inode. */
void runtime_files_add(uint64_t dev, uint64_t ino);
/* While the runtime starts: remember the host libraries of its namespace. */
void runtime_files_init(void);
/* Is the file (its device and inode) one of them? */
bool runtime_files_holds(uint64_t dev, uint64_t ino);
/* Would the call (open, openat, openat2, creat, truncate) write or truncate
 * the file it names? For openat2, a[2] is the runtime's copy of the how. */
bool runtime_files_writes(long nr, const long a[6]);
/* Before such a call, its path and how copied where the program cannot
 * change them: -ETXTBSY if it names one of them (or the kernel's own
 * answer, EACCES or EROFS, where the caller may not write it), else 0. */
long runtime_files_before(long nr, const long a[6]);
/* After an open that returned fd: -ETXTBSY (fd closed) if fd is one of them,
 * open for writing, else fd. */
long runtime_files_opened(long fd, uint64_t dev, uint64_t ino);

#endif
