/* enforce.c: the policy files (policy/), applied to this process.
 *
 * The constructor loads the policy before anything else, so that an error in
 * it, or a program the policy kills, never runs unconfined. Then: which
 * settings the policy may change (the environment wins), the hook plugins,
 * the log, and the part of the syscall rules the guest decides by itself (a
 * denied call answered by the LSTAR stub, without an exit). Every other rule
 * is applied on the host, at the syscall's exit, by syscall_enforced().
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "dune/hooks.h"
#include "fds.h"
#include "guest.h"
#include "log.h"
#include "rawsys.h"

static char exe_path[PATH_MAX];
static dune_hook_fn fault_hook;
static dune_hook_fn exception_hooks[POLICY_VECTORS];
static int log_has_pid; /* the log's name has %p: a forked child opens its own */

/* The program the policy files are matched against: the one a policy
 * applied to first (DUNE_POLICY_EXE, which only the runtime sets for the
 * images it execs: exec.c drops the program's own DUNE_*), or this image,
 * or "" when /proc is not there. A policy follows the process across exec:
 * otherwise a confined program would exec /bin/mkdir and run it without. */
static const char *read_exe_path(void)
{
	const char *inherited = getenv("DUNE_POLICY_EXE");
	long n;

	if (inherited && *inherited && strlen(inherited) < sizeof(exe_path)) {
		strcpy(exe_path, inherited); /* the environment is the program's to change */
		return exe_path;
	}
	n = raw_syscall3(SYS_readlink, "/proc/self/exe", exe_path, sizeof(exe_path) - 1);
	exe_path[n > 0 ? n : 0] = '\0';
	return exe_path;
}

const char *enforce_policy_exe(const struct guest *g)
{
	return enforce_confines(g) && exe_path[0] ? exe_path : NULL;
}

void enforce_load(struct guest *g)
{
	struct dune_policy *p = &g->policy;
	struct policy_error err;
	const char *exe = read_exe_path();
	const char *log = getenv("DUNE_LOG");

	policy_init_default(p);
	if (policy_load_for(p, exe[0] ? exe : NULL, &err) < 0)
		dune_fatal("%s", err.msg);
	/* Policy files exist, none is for this program: it runs under dune
	 * without rules, as if there were no files. */
	if (!policy_applies(p, exe)) {
		policy_free(p);
		policy_init_default(p);
	}
	if (!g->cfg.ring_set)
		g->cfg.ring = p->ring;
	if (!g->cfg.forward_set)
		g->cfg.forward = (int)p->forward;
	/* DUNE_LOG wins over log, as DUNE_RING over ring (dune.conf(5)). */
	if (log && *log) {
		if (!strcmp(log, "stderr"))
			p->log = NULL;
		else if (log[0] != '/')
			dune_fatal("DUNE_LOG=%s: expected stderr or an absolute path", log);
		/* A copy of ours: the environment is the program's to change. */
		else if (!(p->log = strdup(log)))
			dune_fatal("DUNE_LOG=%s: out of memory", log);
	}
	if (!g->cfg.report_set)
		g->cfg.report = p->report || enforce_counts(g);
}

bool enforce_confines(const struct guest *g)
{
	/* enforce_load reset the policy to the default unless a file applies. */
	return policy_from_files(&g->policy);
}

/* ld.so starts an image dune execs by loading dune's files by their paths
 * (LD_AUDIT, exec.c); were that to fail, it would go on without them,
 * outside dune. Under a policy the program therefore may not change what
 * those paths name or whether it may read them: a new mount or user
 * namespace (where it could mount over them, or over /proc), a mount, an
 * unmount or a new root (chroot, pivot_root) in its own answer EPERM, as
 * without CAP_SYS_ADMIN; Landlock, EOPNOTSUPP, as a kernel without it.
 * Nor may it change another process's limits (EPERM, as for a process it
 * may not touch): the limits dune checks at exec (exec_image.c) could
 * otherwise drop while the new image's ld.so has yet to load dune. */
long enforce_refused(const struct guest *g, long nr, const long a[6])
{
	const unsigned long namespaces = CLONE_NEWNS | CLONE_NEWUSER;
	long r;

	switch (nr) { /* every call passes here: the policy is asked last */
	case SYS_clone: /* and clone3, whose flags fork.c passes here */
	case SYS_unshare:
		r = (unsigned long)a[0] & namespaces ? -EPERM : 0;
		break;
	case SYS_setns: /* 0: whatever namespace the descriptor is */
		r = !a[1] || ((unsigned long)a[1] & namespaces) ? -EPERM : 0;
		break;
	case SYS_open_tree: /* a copy of a mount to attach elsewhere; without it, an O_PATH */
		r = a[2] & 1 /* OPEN_TREE_CLONE */ ? -EPERM : 0;
		break;
	case SYS_mount: case SYS_umount2: case SYS_move_mount: case SYS_fsopen:
	case SYS_fsconfig: case SYS_fsmount: case SYS_fspick: case SYS_mount_setattr:
	case SYS_chroot: case SYS_pivot_root:
		r = -EPERM;
		break;
	case SYS_landlock_create_ruleset:
	case SYS_landlock_add_rule:
	case SYS_landlock_restrict_self:
		r = -EOPNOTSUPP;
		break;
	case SYS_prlimit64:
		r = a[2] && a[0] && a[0] != raw_syscall0(SYS_getpid) ? -EPERM : 0;
		break;
	default:
		return 0;
	}
	return r && enforce_confines(g) ? r : 0;
}

bool enforce_counts(const struct guest *g)
{
	const struct dune_policy *p = &g->policy;

	if (p->other.count)
		return true;
	for (int nr = 0; p->syscalls && nr < p->nsyscalls; nr++)
		if (p->syscalls[nr].count)
			return true;
	return p->fault_action == POLICY_FAULT_COUNT;
}

static bool traces(const struct dune_policy *p)
{
	if (p->other.trace || p->fault_action == POLICY_FAULT_TRACE)
		return true;
	for (int nr = 0; p->syscalls && nr < p->nsyscalls; nr++)
		if (p->syscalls[nr].trace)
			return true;
	for (int vec = 0; vec < POLICY_VECTORS; vec++)
		if (p->exceptions[vec].action == POLICY_EXC_TRACE)
			return true;
	return false;
}

/* dlopen + dlsym, before the guest runs: a plugin that cannot be used is a
 * policy error, and the program does not start. */
static dune_hook_fn load_hook(const struct policy_hook *h)
{
	const uint32_t *version;
	void *lib, *fn;

	if (!h->lib || !h->symbol)
		dune_fatal("a hook action without a hook (LIB.so:SYMBOL)");
	lib = dlopen(h->lib, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		dune_fatal("cannot load the hook plugin %s: %s", h->lib, dlerror());
	version = dlsym(lib, "dune_hooks_version");
	if (!version)
		dune_fatal("%s is not a dune hook plugin: it has no dune_hooks_version "
			   "(put DUNE_HOOKS_PLUGIN; in it, from <dune/hooks.h>)", h->lib);
	if (*version != DUNE_HOOKS_VERSION)
		dune_fatal("%s was built for dune hooks version %u; this dune speaks version %u: "
			   "rebuild it against this <dune/hooks.h>", h->lib, *version,
			   DUNE_HOOKS_VERSION);
	fn = dlsym(lib, h->symbol);
	if (!fn)
		dune_fatal("the hook plugin %s has no symbol %s", h->lib, h->symbol);
	return (dune_hook_fn)fn;
}

static void load_hooks(struct guest *g)
{
	const struct dune_policy *p = &g->policy;

	if (p->fault_action == POLICY_FAULT_HOOK)
		fault_hook = load_hook(&p->fault_hook);
	for (int vec = 0; vec < POLICY_VECTORS; vec++)
		if (p->exceptions[vec].action == POLICY_EXC_HOOK)
			exception_hooks[vec] = load_hook(&p->exceptions[vec].hook);
}

dune_hook_fn enforce_hook(int vector)
{
	if (vector == 14)
		return fault_hook;
	return vector >= 0 && vector < POLICY_VECTORS ? exception_hooks[vector] : NULL;
}

/* %e: the program's file name, as core(5) has it. */
static const char *progname(void)
{
	const char *slash = strrchr(exe_path, '/');

	return slash ? slash + 1 : exe_path;
}

/* The log file for this process, opened with raw calls (also after fork). */
static int open_log(struct guest *g)
{
	char path[PATH_MAX];
	long fd;
	int r = policy_log_path(&g->policy, (pid_t)raw_syscall0(SYS_getpid), progname(), path,
				sizeof(path));

	if (r == -ENODATA) {
		fd = raw_syscall3(SYS_fcntl, 2, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -1 : fd_protect((int)fd);
	}
	if (r < 0)
		return r;
	fd = raw_syscall3(SYS_open, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return fd < 0 ? (int)fd : fd_protect((int)fd);
}

static void open_log_or_die(struct guest *g)
{
	int fd = open_log(g);

	if (fd < 0)
		dune_fatal("cannot open the policy's log %s: %s", g->policy.log ? g->policy.log : "stderr",
			   strerror(-fd));
	g->log_fd = fd;
}

/* Deny what the guest can decide alone: denied, neither traced nor counted,
 * numbers the filter covers, with at most FILTER_SLOTS different errnos.
 * The stub's bitmaps and errnos go into the entry page when write is set;
 * returns how many numbers they decide. */
static int fill_guest_filter(struct guest *g, bool write)
{
	const struct dune_policy *p = &g->policy;
	int64_t errnos[FILTER_SLOTS];
	int used = 0, decided = 0;

	if (g->cfg.ring != 3)
		return 0; /* at CPL0, SFMASK clears nothing: the flags would not survive */
	for (int nr = 0; nr < FILTER_NR && nr < p->nsyscalls && p->syscalls; nr++) {
		const struct policy_syscall *s = &p->syscalls[nr];
		int slot;

		if (s->action != POLICY_SYS_DENY || s->trace || s->count)
			continue;
		for (slot = 0; slot < used && errnos[slot] != -(int64_t)s->err; slot++)
			;
		if (slot == used) {
			if (used == FILTER_SLOTS)
				continue; /* decided on the host instead */
			errnos[used++] = -(int64_t)s->err;
		}
		if (write)
			g->entry[ENTRY_BITMAPS + slot * FILTER_BITMAP_BYTES + nr / 8] |= 1u << (nr % 8);
		decided++;
	}
	if (write)
		memcpy(g->entry + ENTRY_ERRNOS, errnos, (size_t)used * sizeof(errnos[0]));
	return decided;
}

static int filter_in_guest;

bool enforce_filter_in_guest(void)
{
	return filter_in_guest;
}

void enforce_init(struct guest *g)
{
	g->log_fd = -1;
	load_hooks(g);
	if (traces(&g->policy)) {
		open_log_or_die(g);
		log_has_pid = g->policy.log && strstr(g->policy.log, "%p");
	}
}

void enforce_init_filter(struct guest *g)
{
	/* In the loader phase the stub runs with empty bitmaps: every call
	 * exits, and the host lets the loader's through (loader.h). */
	filter_in_guest = fill_guest_filter(g, !g->loader_phase) > 0;
}

void enforce_fill_filter(struct guest *g)
{
	fill_guest_filter(g, true);
}

void enforce_after_fork(struct guest *g)
{
	if (g->log_fd < 0 || !log_has_pid)
		return;
	raw_syscall1(SYS_close, g->log_fd);
	fd_forget(g->log_fd);
	g->log_fd = open_log(g);
}

void enforce_log(struct guest *g, const char *line, long len)
{
	if (g->log_fd >= 0)
		dune_write_fd(g->log_fd, line, len);
}

int enforce_backend_unavailable(struct guest *g, const char *why)
{
	if (g->policy.on_unavailable != POLICY_UNAVAILABLE_NATIVE)
		dune_fatal("%s", why);
	dune_error("%s; running the program natively (on-unavailable = native)", why);
	return 0;
}

void syscall_enforced(struct guest *g, struct vcpu *v, const struct policy_syscall *rule)
{
	struct guest_regs *r = v->regs;
	long nr = (long)r->rax;
	const long args[6] = { (long)r->rdi, (long)r->rsi, (long)r->rdx,
			       (long)r->r10, (long)r->r8, (long)r->r9 };
	long ret;

	if (rule->action == POLICY_SYS_KILL) {
		if (rule->trace)
			trace_syscall_end(g, nr, args, 0, TRACE_KILLED);
		die_by_signal(g, SIGSYS);
	}
	if (rule->action == POLICY_SYS_DENY) {
		ret = -(long)rule->err;
		if (rule->trace)
			trace_syscall_end(g, nr, args, ret, TRACE_DONE);
		r->rax = (uint64_t)ret;
		v->regs_dirty = true;
		return;
	}
	/* Allowed and traced. Calls that may not come back are logged first. */
	if (!rule->trace) {
		syscall_execute(g, v);
		return;
	}
	switch (nr) {
	case SYS_exit:
	case SYS_exit_group:
		trace_syscall_end(g, nr, args, 0, TRACE_NO_RETURN);
		syscall_execute(g, v);
		return;
	case SYS_execve:
	case SYS_execveat:
		trace_syscall_end(g, nr, args, 0, TRACE_UNFINISHED);
		syscall_execute(g, v);
		trace_syscall_end(g, nr, args, (long)v->regs->rax, TRACE_RESUMED);
		return;
	default:
		syscall_execute(g, v);
		ret = (long)v->regs->rax;
		/* A forked child (0) has nothing to say: its parent logs the call. */
		if (ret == 0 && (nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone))
			return;
		if (nr != SYS_rt_sigreturn)
			trace_syscall_end(g, nr, args, ret, TRACE_DONE);
		return;
	}
}
