/* match.c: [match], which programs a policy file is for. */
#include <fnmatch.h>

#include "state.h"

bool state_matches(const struct policy_state *st, const char *exe)
{
	if (st->match_all)
		return true;
	if (!exe)
		return false;
	/* No FNM_PATHNAME: a "*" crosses "/", so one glob matches at any depth. */
	for (size_t i = 0; i < st->nglobs; i++)
		if (fnmatch(st->globs[i], exe, 0) == 0)
			return true;
	return false;
}

bool policy_applies(const struct dune_policy *p, const char *exe_path)
{
	if (!p->state)
		return true;
	return state_matches(p->state, exe_path);
}

bool policy_from_files(const struct dune_policy *p)
{
	return p->state != NULL;
}
