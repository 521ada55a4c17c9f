/* policy.c: a policy's life: the default, reading text into it as layers, lookups, freeing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

void policy_init_default(struct dune_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->ring = 3;
	/* Every enum's zero is its default: allow, signal, exit, abort. */
}

void policy_free(struct dune_policy *p)
{
	free(p->syscalls);
	state_free(p->state);
	policy_init_default(p);
}

/* Read one file's text; merge it into @p if it is for @exe (any program if @all). */
int policy_add_layer(struct dune_policy *p, const char *file, const char *text, size_t len, const char *exe,
		     bool all, struct policy_error *err)
{
	struct policy_state *layer;
	const char *name;
	int r;

	if (!p->state) {
		p->state = state_new();
		if (!p->state)
			return policy_fail_errno(err, (struct where){ file, 0 }, -ENOMEM, "cannot read");
	}
	name = state_intern_file(p->state, file);
	layer = state_new();
	if (!name || !layer) {
		state_free(layer);
		return policy_fail_errno(err, (struct where){ file, 0 }, -ENOMEM, "cannot read");
	}
	r = parse_layer(layer, name, text, len, err);
	if (r == 0 && (all || state_matches(layer, exe))) {
		r = state_merge(p->state, layer);
		if (r < 0)
			policy_fail_errno(err, (struct where){ file, 0 }, r, "cannot read");
	}
	state_free(layer);
	return r;
}

int policy_parse_buffer(struct dune_policy *p, const char *file, const char *text, size_t len,
			struct policy_error *err)
{
	int r = policy_add_layer(p, file, text, len, NULL, true, err);

	return r < 0 ? r : resolve(p, err);
}

const struct policy_syscall *policy_syscall(const struct dune_policy *p, long nr)
{
	if (nr >= 0 && nr < p->nsyscalls && p->syscalls)
		return &p->syscalls[nr];
	return &p->other;
}
