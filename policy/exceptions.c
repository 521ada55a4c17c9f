/* exceptions.c: the names [exceptions] gives the x86 exception vectors. */
#include <errno.h>
#include <stddef.h>
#include <strings.h>

#include "names.h"
#include "policy.h"

/* Only the exceptions a user program can cause; the page fault (14) has [pagefault]. */
static const char *const exception_names[POLICY_VECTORS] = {
	[0] = "divide-error",
	[1] = "debug",
	[3] = "breakpoint",
	[4] = "overflow",
	[5] = "bound-range",
	[6] = "invalid-opcode",
	[7] = "device-not-available",
	[13] = "general-protection",
	[17] = "alignment-check",
	[19] = "simd-error",
};

int policy_exception_vector(const char *name)
{
	for (int v = 0; v < POLICY_VECTORS; v++)
		if (exception_names[v] && !strcasecmp(exception_names[v], name))
			return v;
	return -ENOENT;
}

const char *policy_exception_name(int vector)
{
	if (vector < 0 || vector >= POLICY_VECTORS)
		return NULL;
	return exception_names[vector];
}

const char *suggest_exception(const char *word)
{
	struct suggest s;

	suggest_start(&s, word);
	for (int v = 0; v < POLICY_VECTORS; v++)
		suggest_offer(&s, exception_names[v]);
	return s.best;
}
