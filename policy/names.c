/* names.c: syscall and errno names to numbers, from the tables generated out of the kernel headers. */
#include <errno.h>
#include <strings.h>

#include "names.h"

int names_syscall(const char *name)
{
	for (int i = 0; i < dune_syscall_count; i++)
		if (dune_syscall_names[i] && !strcasecmp(dune_syscall_names[i], name))
			return i;
	return -ENOENT;
}

int names_errno(const char *name)
{
	for (int i = 0; i < dune_errno_count; i++)
		if (!strcasecmp(dune_errno_names[i].name, name))
			return dune_errno_names[i].num;
	return -ENOENT;
}

const char *names_errno_name(int num)
{
	for (int i = 0; i < dune_errno_count; i++)
		if (dune_errno_names[i].num == num)
			return dune_errno_names[i].name;
	return NULL;
}
