/* state.h: the keys a policy's files set, kept as written until resolve() turns them into tables. */
#ifndef DUNE_POLICY_STATE_H
#define DUNE_POLICY_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "policy.h"

enum section { SEC_NONE = -1, SEC_MATCH, SEC_DUNE, SEC_SYSCALLS, SEC_PAGEFAULT, SEC_EXCEPTIONS, SEC_COUNT };

/*
 * One slot per key, so that overriding key by key is copying the slots a
 * later file set. The deny.ERRNO keys are indexed by errno number, so that
 * aliases (EWOULDBLOCK, EAGAIN) are one key.
 */
enum slot_id {
	SLOT_ON_UNAVAILABLE,
	SLOT_RING,
	SLOT_FORWARD,
	SLOT_LOG,
	SLOT_REPORT,
	SLOT_SYS_DEFAULT,
	SLOT_SYS_ALLOW,
	SLOT_SYS_DENY,
	SLOT_SYS_KILL,
	SLOT_SYS_TRACE,
	SLOT_SYS_COUNT,
	SLOT_FAULT_ACTION,
	SLOT_FAULT_HOOK,
	SLOT_EXCEPTION,                                 /* + vector */
	SLOT_DENY_ERRNO = SLOT_EXCEPTION + POLICY_VECTORS, /* + errno number */
};

/* "default = trace": the one default that is no enum policy_sys_action. */
#define SYS_DEFAULT_TRACE 3

/* A set of syscalls: bits by number, and "*". */
struct syslist {
	uint64_t *bits;         /* dune_syscall_count bits once the key is set */
	bool all;
};

struct slot {
	struct where at;        /* at.file NULL: not set */
	int value;              /* index of a keyword in the key's list */
	char *str;              /* log path; hook library */
	char *sym;              /* hook symbol */
	struct syslist list;
};

/* The merged keys of a policy, or one file's keys while it is read (a layer). */
struct policy_state {
	struct slot *slots;
	int nslots;
	char **files;           /* merged state: the names every where.file points to */
	size_t nfiles;
	char **globs;           /* [match] programs; of every merged layer in the merged state */
	size_t nglobs;
	bool match_all;         /* a layer without [match] is in */
	int section_line[SEC_COUNT]; /* layer: where each section began, 0 if absent */
};

/* A state with no key set; NULL if out of memory. */
struct policy_state *state_new(void);
void state_free(struct policy_state *st);

/* Keep a copy of a file name for the where.file of slots; NULL if out of memory. */
const char *state_intern_file(struct policy_state *st, const char *file);

/* Move every key @layer set, and its [match], into @st: -ENOMEM leaves @st as it was. */
int state_merge(struct policy_state *st, struct policy_state *layer);

/* Does the state's [match] take in @exe (NULL: unknown, matched only by "no [match]")? */
bool state_matches(const struct policy_state *st, const char *exe);

int slot_list_init(struct slot *s);
bool syslist_has(const struct syslist *l, int nr);

/* Read one file's text into @layer; @file must outlive the layer (state_intern_file). */
int parse_layer(struct policy_state *layer, const char *file, const char *text, size_t len,
		struct policy_error *err);

/* "syscalls" for SEC_SYSCALLS. */
const char *section_name(enum section sec);

/* Set one key of @layer from a "key = value" line of section @sec. */
int keys_set(struct policy_state *layer, enum section sec, char *key, char *value, struct where at,
	     struct policy_error *err);

/* Read one file's text; merge it into @p if it is for @exe, or whatever its [match] if @all. */
int policy_add_layer(struct dune_policy *p, const char *file, const char *text, size_t len, const char *exe,
		     bool all, struct policy_error *err);

/* Fill the tables of @p from @p->state. */
int resolve(struct dune_policy *p, struct policy_error *err);

#endif
