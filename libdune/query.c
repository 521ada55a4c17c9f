/* query.c: dune_query(), the identification syscall. */
#include <unistd.h>
#include <sys/syscall.h>

#include "dune/dune.h"

int dune_query(struct dune_info *info)
{
	return (int)syscall(DUNE_SYSCALL_QUERY, info);
}
