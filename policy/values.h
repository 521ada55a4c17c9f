/* values.h: parsers of the values a key takes; each fills a slot or fails with the file:line message. */
#ifndef DUNE_POLICY_VALUES_H
#define DUNE_POLICY_VALUES_H

#include "state.h"

/* One of @words (NULL-terminated, any case): *out = its index. @key names the key in messages. */
int parse_word(const char *key, const char *const *words, const char *value, int *out, struct where at,
	       struct policy_error *err);

/* Syscall names and "*", comma-separated, added to @slot's list; "" is the empty list. */
int parse_syslist(struct slot *slot, const char *key, char *value, struct where at, struct policy_error *err);

/* [match] globs, comma-separated, added to @layer's. */
int parse_globs(struct policy_state *layer, char *value, struct where at, struct policy_error *err);

/* stderr (slot->str stays NULL) or an absolute path with only %p, %e, %% escapes. */
int parse_log(struct slot *slot, const char *value, struct where at, struct policy_error *err);

/* LIB.so:SYMBOL into slot->str and slot->sym; @what names the value in messages. */
int parse_hook(struct slot *slot, const char *what, const char *value, struct where at,
	       struct policy_error *err);

#endif
