/* count_faults.c: an example hook plugin: counts the faults it sees, then lets the usual signal happen. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <dune/hooks.h>

DUNE_HOOKS_PLUGIN;

/* Threads fault at once; a hook must not take locks it could already hold. */
static atomic_ulong faults;

__attribute__((visibility("default"))) enum dune_hook_result count_fault(struct dune_hook_fault *f)
{
	(void)f;
	atomic_fetch_add_explicit(&faults, 1, memory_order_relaxed);
	return DUNE_HOOK_SIGNAL;
}

/* At exit, one line on stderr; write(2), as stdio may be in any state by then. */
__attribute__((destructor)) static void report_faults(void)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "count_faults: %lu faults\n", atomic_load(&faults));

	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
