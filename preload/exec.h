/* exec.h: the parts of dune's execve (exec.c): the call's arguments as the
 * kernel reads them (exec_args.c) and whether the file it names comes back
 * under dune (exec_image.c). */
#ifndef DUNE_EXEC_H
#define DUNE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

#ifndef AT_EXECVE_CHECK
#define AT_EXECVE_CHECK 0x10000 /* Linux 6.14: check, do not execute */
#endif

/* What the program asked for, from the registers of execve or execveat. */
struct exec_call {
	int dirfd;          /* AT_FDCWD for execve */
	uint64_t path;      /* the program's pointers */
	uint64_t argv;
	uint64_t envp;
	int flags;          /* execveat's AT_* flags; 0 for execve */
};

/* The call's strings, copied out of the program's memory into the runtime's,
 * so that no other thread of the program can change them once checked. */
struct exec_args {
	char *path;
	char **argv;        /* argc entries, then NULL */
	char **envp;        /* envc entries, then room for extra more, then NULL */
	long argc, envc, extra;
	char *free, *end;   /* the rest of the buffer, for strings the runtime adds */
};

/* exec_args.c: copy the path, as the kernel's getname would (-EFAULT,
 * -ENAMETOOLONG). Takes the buffer, which exec_args_put gives back: calls
 * of several threads wait for each other. */
int exec_args_path(struct guest *g, const struct exec_call *c, struct exec_args *a);
/* exec_args.c: copy argv and envp with room for extra more entries in envp:
 * 0, or -EFAULT / -E2BIG where the kernel would fail. */
int exec_args_strings(struct guest *g, const struct exec_call *c, long extra,
		      struct exec_args *a);
/* exec_args.c: room for len more bytes of the runtime's strings, or NULL. */
char *exec_args_alloc(struct exec_args *a, size_t len);
void exec_args_put(struct exec_args *a);

/* An image, opened as the kernel's exec would open it. */
struct exec_image {
	int fd;             /* O_PATH, then (exec_image_check) readable and protected; -1 */
	bool protected_fd;  /* fd is one of the runtime's (fds.h) */
	bool by_fd;         /* exec through fd: it is the file that was checked */
	char why[512];      /* what exec_image_check refused, for the dune: line */
};

/* exec_image.c: the loader of this process, to compare PT_INTERP with. At entry. */
void exec_image_init(void);
/* exec_image.c: open what the call names with the kernel's errors for a
 * file that cannot be executed (-ENOENT, -EACCES for one that is not a
 * regular executable file...). */
int exec_image_open(struct exec_image *im, const struct exec_call *c, const char *path);
/* exec_image.c: does it come back under dune? 0 (im->by_fd tells how to
 * exec it), -EACCES with im->why filled, or the error the kernel would give
 * (an interpreter that is missing, #! nested too deep). */
int exec_image_check(struct exec_image *im);
void exec_image_close(struct exec_image *im);

#endif
