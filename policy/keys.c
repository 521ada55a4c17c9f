/* keys.c: the keys each section knows, and which slot each sets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "state.h"
#include "values.h"

enum kind {
	KIND_WORD,      /* one of the key's words; the slot's value is its index */
	KIND_SYSLIST,   /* syscall names and "*" */
	KIND_GLOBS,     /* [match] program */
	KIND_LOG,       /* stderr or an absolute path */
	KIND_HOOK,      /* LIB.so:SYMBOL */
};

/* A key's words, in the order of the enum its value becomes. */
static const char *const words_unavailable[] = { "abort", "native", NULL };
static const char *const words_ring[] = { "3", "0", NULL };
static const char *const words_forward[] = { "exit", "exitless", "auto", NULL };
static const char *const words_report[] = { "no", "yes", NULL };
static const char *const words_default[] = { "allow", "deny", "kill", "trace", NULL };
static const char *const words_fault[] = { "signal", "trace", "count", "hook", NULL };
static const char *const words_exception[] = { "signal", "trace", "ignore", "kill", NULL };

struct key {
	const char *name;
	enum section sec;
	int slot;
	enum kind kind;
	const char *const *words;
};

static const struct key keys[] = {
	{ "program", SEC_MATCH, -1, KIND_GLOBS, NULL },
	{ "on-unavailable", SEC_DUNE, SLOT_ON_UNAVAILABLE, KIND_WORD, words_unavailable },
	{ "ring", SEC_DUNE, SLOT_RING, KIND_WORD, words_ring },
	{ "forward", SEC_DUNE, SLOT_FORWARD, KIND_WORD, words_forward },
	{ "log", SEC_DUNE, SLOT_LOG, KIND_LOG, NULL },
	{ "report", SEC_DUNE, SLOT_REPORT, KIND_WORD, words_report },
	{ "default", SEC_SYSCALLS, SLOT_SYS_DEFAULT, KIND_WORD, words_default },
	{ "allow", SEC_SYSCALLS, SLOT_SYS_ALLOW, KIND_SYSLIST, NULL },
	{ "deny", SEC_SYSCALLS, SLOT_SYS_DENY, KIND_SYSLIST, NULL },
	{ "kill", SEC_SYSCALLS, SLOT_SYS_KILL, KIND_SYSLIST, NULL },
	{ "trace", SEC_SYSCALLS, SLOT_SYS_TRACE, KIND_SYSLIST, NULL },
	{ "count", SEC_SYSCALLS, SLOT_SYS_COUNT, KIND_SYSLIST, NULL },
	{ "action", SEC_PAGEFAULT, SLOT_FAULT_ACTION, KIND_WORD, words_fault },
	{ "hook", SEC_PAGEFAULT, SLOT_FAULT_HOOK, KIND_HOOK, NULL },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Scalars may be set once per file; a second time is a mistake, not an override. */
static int claim_scalar(struct slot *slot, const char *key, enum section sec, struct where at,
			struct policy_error *err)
{
	if (slot->at.file)
		return policy_fail(err, at, TOK_FMT " is set twice in [%s] (first at line %d)", TOK(key),
				   section_name(sec), slot->at.line);
	slot->at = at;
	return 0;
}

/* List keys set again in the same file add to the list. */
static int claim_list(struct slot *slot, struct where at, struct policy_error *err)
{
	if (slot->at.file)
		return 0;
	slot->at = at;
	if (slot_list_init(slot) < 0)
		return policy_fail_errno(err, at, -ENOMEM, "cannot read");
	return 0;
}

static int set_key(struct policy_state *layer, const struct key *k, const char *key, char *value,
		   struct where at, struct policy_error *err)
{
	struct slot *slot = k->slot >= 0 ? &layer->slots[k->slot] : NULL;
	int r;

	switch (k->kind) {
	case KIND_GLOBS:
		if (!*value)
			return policy_fail(err, at, "program names no glob (expected program = GLOB, GLOB, ...)");
		return parse_globs(layer, value, at, err);
	case KIND_SYSLIST:
		r = claim_list(slot, at, err);
		return r < 0 ? r : parse_syslist(slot, k->name, value, at, err);
	default:
		break;
	}
	r = claim_scalar(slot, key, k->sec, at, err);
	if (r < 0)
		return r;
	if (!*value)
		return policy_fail(err, at, "%s has no value", k->name);
	switch (k->kind) {
	case KIND_WORD:
		return parse_word(k->name, k->words, value, &slot->value, at, err);
	case KIND_LOG:
		return parse_log(slot, value, at, err);
	case KIND_HOOK:
		return parse_hook(slot, "hook", value, at, err);
	default:
		return -EINVAL;
	}
}

/* deny.ERRNO = LIST */
static int set_deny_errno(struct policy_state *layer, const char *key, char *value, struct where at,
			  struct policy_error *err)
{
	const char *name = key + strlen("deny.");
	int num = names_errno(name), r;
	struct slot *slot;

	if (num < 0) {
		const char *near = suggest_errno(name);

		if (near)
			return policy_fail(err, at, "unknown errno " TOK_FMT " in " TOK_FMT " (did you mean '%s'?)",
					   TOK(name), TOK(key), near);
		return policy_fail(err, at, "unknown errno " TOK_FMT " in " TOK_FMT " (expected a name such as EACCES)",
				   TOK(name), TOK(key));
	}
	slot = &layer->slots[SLOT_DENY_ERRNO + num];
	r = claim_list(slot, at, err);
	return r < 0 ? r : parse_syslist(slot, key, value, at, err);
}

/* [exceptions] NAME = signal | trace | ignore | kill | hook:LIB.so:SYMBOL */
static int set_exception(struct policy_state *layer, const char *key, char *value, struct where at,
			 struct policy_error *err)
{
	int vector = policy_exception_vector(key), r;
	struct slot *slot;

	if (vector < 0) {
		const char *near = suggest_exception(key);

		if (near)
			return policy_fail(err, at, "unknown exception " TOK_FMT " (did you mean '%s'?)", TOK(key), near);
		return policy_fail(err, at,
				   "unknown exception " TOK_FMT " (expected divide-error, debug, breakpoint, overflow, "
				   "bound-range, invalid-opcode, device-not-available, general-protection, "
				   "alignment-check or simd-error)", TOK(key));
	}
	slot = &layer->slots[SLOT_EXCEPTION + vector];
	r = claim_scalar(slot, key, SEC_EXCEPTIONS, at, err);
	if (r < 0)
		return r;
	if (!strncasecmp(value, "hook:", 5)) {
		slot->value = POLICY_EXC_HOOK;
		return parse_hook(slot, "hook", value + 5, at, err);
	}
	if (!strcasecmp(value, "hook"))
		return policy_fail(err, at, "bad value 'hook' for %s (expected hook:LIB.so:SYMBOL)", key);
	if (!*value)
		return policy_fail(err, at, "%s has no value (expected signal, trace, ignore, kill or "
				   "hook:LIB.so:SYMBOL)", key);
	return parse_word(key, words_exception, value, &slot->value, at, err);
}

static int unknown_key(enum section sec, const char *key, struct where at, struct policy_error *err)
{
	char expected[256], deny_key[TOK_MAX + 8];
	size_t n = 0;
	struct suggest s;

	suggest_start(&s, key);
	expected[0] = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].sec != sec)
			continue;
		suggest_offer(&s, keys[i].name);
		n += (size_t)snprintf(expected + n, sizeof(expected) - n, "%s%s", n ? ", " : "", keys[i].name);
	}
	if (sec == SEC_SYSCALLS) {
		/* "dney.EACCES" is a typo of deny.EACCES, whatever the errno. */
		const char *dot = strchr(key, '.');

		if (dot && strlen(dot) < TOK_MAX) {
			snprintf(deny_key, sizeof(deny_key), "deny%s", dot);
			suggest_offer(&s, deny_key);
		}
		snprintf(expected + n, sizeof(expected) - n, ", deny.ERRNO");
	}
	if (s.best)
		return policy_fail(err, at, "unknown key " TOK_FMT " in [%s] (did you mean '%s'?)", TOK(key),
				   section_name(sec), s.best);
	return policy_fail(err, at, "unknown key " TOK_FMT " in [%s] (expected %s)", TOK(key),
			   section_name(sec), expected);
}

int keys_set(struct policy_state *layer, enum section sec, char *key, char *value, struct where at,
	     struct policy_error *err)
{
	if (sec == SEC_EXCEPTIONS)
		return set_exception(layer, key, value, at, err);
	if (sec == SEC_SYSCALLS && !strncasecmp(key, "deny.", 5))
		return set_deny_errno(layer, key, value, at, err);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].sec == sec && !strcasecmp(keys[i].name, key))
			return set_key(layer, &keys[i], key, value, at, err);
	return unknown_key(sec, key, at, err);
}
