/* alloc.h: the runtime's malloc (alloc.c), whose blocks live in the arena the
 * guest cannot see. libdunepre's malloc, calloc, realloc, free, strdup and
 * strndup are these, by the link's --wrap. */
#ifndef DUNE_ALLOC_H
#define DUNE_ALLOC_H

#include <stddef.h>

void *dune_malloc(size_t n);
void *dune_calloc(size_t count, size_t size);
void *dune_realloc(void *p, size_t n);
void dune_free(void *p);
char *dune_strdup(const char *s);
char *dune_strndup(const char *s, size_t n);

/* Around fork: no other thread is inside the allocator or the arena (their
 * locks are held), so the child, where only the forking thread lives, does
 * not find a lock held forever. Call done in the parent and in the child. */
void alloc_fork_prepare(void);
void alloc_fork_done(void);

#endif
