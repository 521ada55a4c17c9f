/* state.c: the slots of a policy's keys, and merging a later file's keys over an earlier one's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "state.h"

struct policy_state *state_new(void)
{
	struct policy_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->nslots = SLOT_DENY_ERRNO + dune_errno_max + 1;
	st->slots = calloc((size_t)st->nslots, sizeof(*st->slots));
	if (!st->slots) {
		free(st);
		return NULL;
	}
	return st;
}

static void slot_clear(struct slot *s)
{
	free(s->str);
	free(s->sym);
	free(s->list.bits);
	memset(s, 0, sizeof(*s));
}

void state_free(struct policy_state *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->nslots; i++)
		slot_clear(&st->slots[i]);
	free(st->slots);
	for (size_t i = 0; i < st->nfiles; i++)
		free(st->files[i]);
	free(st->files);
	for (size_t i = 0; i < st->nglobs; i++)
		free(st->globs[i]);
	free(st->globs);
	free(st);
}

const char *state_intern_file(struct policy_state *st, const char *file)
{
	char **files = realloc(st->files, (st->nfiles + 1) * sizeof(*files));
	char *copy;

	if (!files)
		return NULL;
	st->files = files;
	copy = strdup(file);
	if (!copy)
		return NULL;
	st->files[st->nfiles++] = copy;
	return copy;
}

int slot_list_init(struct slot *s)
{
	size_t words = ((size_t)dune_syscall_count + 63) / 64;

	s->list.bits = calloc(words ? words : 1, sizeof(uint64_t));
	return s->list.bits ? 0 : -ENOMEM;
}

bool syslist_has(const struct syslist *l, int nr)
{
	if (nr < 0 || nr >= dune_syscall_count || !l->bits)
		return false;
	return l->bits[nr / 64] >> (nr % 64) & 1;
}

int state_merge(struct policy_state *st, struct policy_state *layer)
{
	/* The only step that can fail comes first, so a failure changes nothing. */
	if (layer->nglobs) {
		char **globs = realloc(st->globs, (st->nglobs + layer->nglobs) * sizeof(*globs));

		if (!globs)
			return -ENOMEM;
		st->globs = globs;
		memcpy(st->globs + st->nglobs, layer->globs, layer->nglobs * sizeof(*globs));
		st->nglobs += layer->nglobs;
		layer->nglobs = 0;
	}
	if (layer->match_all)
		st->match_all = true;
	for (int i = 0; i < st->nslots; i++) {
		if (!layer->slots[i].at.file)
			continue;
		slot_clear(&st->slots[i]);
		st->slots[i] = layer->slots[i];
		memset(&layer->slots[i], 0, sizeof(layer->slots[i]));
	}
	return 0;
}
