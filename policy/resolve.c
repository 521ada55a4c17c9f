/* resolve.c: the merged keys become the tables the runtime indexes, once every layer is in. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "names.h"
#include "state.h"

static const struct slot *slot_if_set(const struct policy_state *st, int id)
{
	return st->slots[id].at.file ? &st->slots[id] : NULL;
}

static int value_or(const struct policy_state *st, int id, int dflt)
{
	const struct slot *s = slot_if_set(st, id);

	return s ? s->value : dflt;
}

static void resolve_dune(struct dune_policy *p, const struct policy_state *st)
{
	const struct slot *log = slot_if_set(st, SLOT_LOG);

	p->on_unavailable = (enum policy_unavailable)value_or(st, SLOT_ON_UNAVAILABLE, POLICY_UNAVAILABLE_ABORT);
	p->ring = value_or(st, SLOT_RING, 0) == 1 ? 0 : 3; /* the words are "3", "0" */
	p->forward = (enum policy_forward)value_or(st, SLOT_FORWARD, POLICY_FORWARD_EXIT);
	p->log = log ? log->str : NULL;
	p->report = value_or(st, SLOT_REPORT, 0) == 1;
}

static int resolve_pagefault(struct dune_policy *p, const struct policy_state *st, struct policy_error *err)
{
	const struct slot *action = slot_if_set(st, SLOT_FAULT_ACTION);
	const struct slot *hook = slot_if_set(st, SLOT_FAULT_HOOK);

	p->fault_action = action ? (enum policy_fault_action)action->value : POLICY_FAULT_SIGNAL;
	p->fault_hook = (struct policy_hook){ hook ? hook->str : NULL, hook ? hook->sym : NULL };
	if (p->fault_action == POLICY_FAULT_HOOK && !hook)
		return policy_fail(err, action->at,
				   "[pagefault] action is hook but no hook is set (expected hook = LIB.so:SYMBOL)");
	return 0;
}

static void resolve_exceptions(struct dune_policy *p, const struct policy_state *st)
{
	for (int v = 0; v < POLICY_VECTORS; v++) {
		const struct slot *s = slot_if_set(st, SLOT_EXCEPTION + v);
		struct policy_exception *e = &p->exceptions[v];

		e->action = s ? (enum policy_exc_action)s->value : POLICY_EXC_SIGNAL;
		e->hook = (struct policy_hook){ s ? s->str : NULL, s ? s->sym : NULL };
	}
}

/* Does list slot @id cover @nr: by name (level 0) or by "*" (level 1)? nr < 0: no name does. */
static bool covers(const struct policy_state *st, int id, int nr, int level)
{
	const struct slot *s = slot_if_set(st, id);

	if (!s)
		return false;
	return level == 0 ? syslist_has(&s->list, nr) : s->list.all;
}

static int deny_errno(int id)
{
	return id == SLOT_SYS_DENY ? EPERM : id - SLOT_DENY_ERRNO;
}

/* The deny lists that are set: plain deny first, then deny.ERRNO by number. */
struct deny_lists {
	int id[1 + 256];
	int n;
};

static void find_deny_lists(const struct policy_state *st, struct deny_lists *d)
{
	d->n = 0;
	if (slot_if_set(st, SLOT_SYS_DENY))
		d->id[d->n++] = SLOT_SYS_DENY;
	for (int id = SLOT_DENY_ERRNO; id < st->nslots && d->n < (int)(sizeof(d->id) / sizeof(d->id[0])); id++)
		if (slot_if_set(st, id))
			d->id[d->n++] = id;
}

/* Which was written first: files in the order read, then lines. */
static bool written_before(const struct policy_state *st, struct where a, struct where b)
{
	if (a.file == b.file)
		return a.line < b.line;
	for (size_t i = 0; i < st->nfiles; i++) {
		if (st->files[i] == a.file)
			return true;
		if (st->files[i] == b.file)
			return false;
	}
	return false;
}

/* Report two deny lists of different errnos for one syscall where the later was written. */
static int contradiction(const struct policy_state *st, int id_a, int id_b, const char *name,
			 struct policy_error *err)
{
	const struct slot *a = &st->slots[id_a], *b = &st->slots[id_b];

	if (!written_before(st, a->at, b->at)) {
		const struct slot *t = a;
		int tid = id_a;

		a = b, id_a = id_b;
		b = t, id_b = tid;
	}
	return policy_fail(err, b->at, "syscall '%s' is denied with both %s and %s (the other at %s:%d)", name,
			   names_errno_name(deny_errno(id_a)), names_errno_name(deny_errno(id_b)), a->at.file,
			   a->at.line);
}

/* Kill beats deny beats allow at one level; two deny errnos at one level are a contradiction. */
static int decide_level(const struct policy_state *st, const struct deny_lists *d, int nr, int level,
			struct policy_syscall *out, struct policy_error *err)
{
	int deny = -1;

	for (int i = 0; i < d->n; i++) {
		if (!covers(st, d->id[i], nr, level))
			continue;
		if (deny >= 0 && deny_errno(deny) != deny_errno(d->id[i]))
			return contradiction(st, deny, d->id[i], level ? "*" : dune_syscall_names[nr], err);
		deny = d->id[i];
	}
	if (covers(st, SLOT_SYS_KILL, nr, level))
		out->action = POLICY_SYS_KILL;
	else if (deny >= 0)
		out->action = POLICY_SYS_DENY, out->err = (uint16_t)deny_errno(deny);
	else if (covers(st, SLOT_SYS_ALLOW, nr, level))
		out->action = POLICY_SYS_ALLOW;
	else
		return 0;
	return 1;
}

/* The rule of syscall @nr, or of every number the table does not name if nr < 0. */
static int decide(const struct policy_state *st, const struct deny_lists *d, int nr,
		  struct policy_syscall *out, struct policy_error *err)
{
	int dflt = value_or(st, SLOT_SYS_DEFAULT, POLICY_SYS_ALLOW);
	int decided = 0;

	memset(out, 0, sizeof(*out));
	for (int level = nr < 0 ? 1 : 0; level < 2 && !decided; level++) {
		decided = decide_level(st, d, nr, level, out, err);
		if (decided < 0)
			return decided;
	}
	if (!decided) {
		out->action = dflt == SYS_DEFAULT_TRACE ? POLICY_SYS_ALLOW : (uint8_t)dflt;
		out->err = dflt == POLICY_SYS_DENY ? EPERM : 0;
	}
	out->trace = covers(st, SLOT_SYS_TRACE, nr, 0) || covers(st, SLOT_SYS_TRACE, nr, 1) ||
		     (!decided && dflt == SYS_DEFAULT_TRACE);
	out->count = covers(st, SLOT_SYS_COUNT, nr, 0) || covers(st, SLOT_SYS_COUNT, nr, 1);
	return 0;
}

/* io_uring and Linux AIO run their operations in the kernel, outside the
 * syscall path a policy judges (IORING_OP_MKDIRAT makes a directory without
 * mkdirat): under a policy that denies, kills or traces anything, they are
 * refused with EPERM unless the policy allows them by name. The runtime
 * refuses them without a policy too, unless allowed (async_io_allowed): they
 * would write memory without its checks. */
static void refuse_deferred_work(struct dune_policy *p, const struct policy_state *st)
{
	static const int async_io[] = { SYS_io_uring_setup, SYS_io_uring_enter,
					SYS_io_uring_register, SYS_io_setup, SYS_io_submit };
	bool restricts = p->other.action != POLICY_SYS_ALLOW || p->other.trace;

	p->async_io_allowed = covers(st, SLOT_SYS_ALLOW, SYS_io_uring_setup, 0) ||
			      covers(st, SLOT_SYS_ALLOW, SYS_io_setup, 0);
	/* A traced call counts: io_uring would open files the log never shows. */
	for (int nr = 0; nr < p->nsyscalls && !restricts; nr++)
		restricts = p->syscalls[nr].action != POLICY_SYS_ALLOW || p->syscalls[nr].trace;
	if (!restricts)
		return;
	for (size_t i = 0; i < sizeof(async_io) / sizeof(async_io[0]); i++) {
		struct policy_syscall *s = &p->syscalls[async_io[i]];

		if (s->action == POLICY_SYS_ALLOW && !covers(st, SLOT_SYS_ALLOW, async_io[i], 0)) {
			s->action = POLICY_SYS_DENY;
			s->err = EPERM;
		}
	}
}

static int resolve_syscalls(struct dune_policy *p, const struct policy_state *st, struct policy_error *err)
{
	struct deny_lists d;
	int r;

	if (!p->syscalls) {
		p->syscalls = calloc((size_t)dune_syscall_count, sizeof(*p->syscalls));
		if (!p->syscalls)
			return policy_fail_errno(err, (struct where){ "policy", 0 }, -ENOMEM, "cannot resolve");
		p->nsyscalls = dune_syscall_count;
	}
	find_deny_lists(st, &d);
	for (int nr = 0; nr < p->nsyscalls; nr++) {
		/* Holes in the table are numbers no name can reach: only "*" and default apply. */
		r = decide(st, &d, dune_syscall_names[nr] ? nr : -1, &p->syscalls[nr], err);
		if (r < 0)
			return r;
	}
	r = decide(st, &d, -1, &p->other, err);
	if (r == 0)
		refuse_deferred_work(p, st);
	return r;
}

int resolve(struct dune_policy *p, struct policy_error *err)
{
	const struct policy_state *st = p->state;
	int r;

	resolve_dune(p, st);
	resolve_exceptions(p, st);
	r = resolve_pagefault(p, st, err);
	if (r < 0)
		return r;
	return resolve_syscalls(p, st, err);
}
