/* policy_fuzz.c: libFuzzer target: any bytes as one or two policy files; errors are fine, crashes and leaks are not. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* Not assert(): release builds define NDEBUG. */
#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_message(const struct policy_error *err, const char *file)
{
	size_t n = strnlen(err->msg, sizeof(err->msg));

	/* Every error is NUL-terminated and says where. */
	CHECK(n < sizeof(err->msg));
	CHECK(!strncmp(err->msg, file, strlen(file)));
}

static void use(const struct dune_policy *p)
{
	char path[64];

	/* Read what a runtime would read, so a bad table shows up under ASan. */
	for (long nr = -1; nr <= p->nsyscalls; nr++)
		(void)policy_syscall(p, nr)->action;
	(void)policy_applies(p, "/usr/bin/python3.11");
	(void)policy_log_path(p, 12345, "prog/name", path, sizeof(path));
	(void)policy_log_path(p, 1, "x", path, 1);
	for (int v = 0; v < POLICY_VECTORS; v++)
		if (p->exceptions[v].hook.lib)
			CHECK(p->exceptions[v].hook.symbol && *p->exceptions[v].hook.symbol);
}

/* A NUL byte is never valid in a file, so it can split the input into two layers. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t first = nul ? (size_t)(nul - text) : size;
	struct dune_policy p;
	struct policy_error err;

	policy_init_default(&p);
	if (policy_parse_buffer(&p, "a.conf", text, first, &err) < 0) {
		check_message(&err, "a.conf");
	} else if (nul) {
		if (policy_parse_buffer(&p, "b.conf", nul + 1, size - first - 1, &err) < 0)
			check_message(&err, "");
		else
			use(&p);
	} else {
		use(&p);
	}
	policy_free(&p);
	return 0;
}
