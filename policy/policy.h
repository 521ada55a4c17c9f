/* policy.h: the reader of the policy files (/etc/dune, *.conf): what a policy says, resolved into tables the runtime indexes. */
#ifndef DUNE_POLICY_H
#define DUNE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Files and overriding (dune.conf(5) is the user's reference):
 *
 * A policy is read from every *.conf in /etc/dune (or $DUNE_POLICY_DIR) in
 * strcmp order of the names, or from the one file $DUNE_POLICY. Each file is
 * a layer. A file with a [match] section is a layer only for the programs its
 * globs match; a file without one is a layer for every program. Files that
 * do not apply are still read and checked: an error anywhere is fatal.
 *
 * A later layer overrides an earlier one key by key. Every key is replaced
 * whole, list keys included: a later "deny = a" replaces the earlier file's
 * deny list, it does not add to it ("deny =" with nothing after it empties
 * it). deny.EACCES and deny.ENOENT are different keys; deny is deny.EPERM's
 * own key, separate from an explicit deny.EPERM. Within one file a list key
 * may appear on several lines and the lines add up ("program" in [match]
 * too); a scalar key set twice in one file is an error, as is a section
 * that appears twice in one file.
 *
 * Syscall actions, once all layers are merged: a syscall named in a list
 * beats one that only a "*" covers, which beats "default". Among the lists
 * that name it at the same level the strictest wins: kill, then deny, then
 * allow. Two deny lists with different errnos naming the same syscall at the
 * same level are an error. "default = trace" means allow and trace every
 * syscall that no action list covers. The trace and count lists only add
 * their flag.
 *
 * Names of sections, keys, syscalls, errnos, exceptions and keyword values
 * are case-insensitive; paths, globs and hook symbols are not.
 */

#define POLICY_VECTORS 32      /* x86 exception vectors 0..31 */
#define POLICY_MAX_FILE (1 << 20)  /* bytes in one policy file */
#define POLICY_MAX_FILES 256   /* *.conf files in the directory */

/* The message of a fatal policy error: "FILE:LINE: what was wrong (expected ...)". */
struct policy_error {
	char msg[1024];
};

enum policy_unavailable {
	POLICY_UNAVAILABLE_ABORT,   /* no backend: exit 126 (the default) */
	POLICY_UNAVAILABLE_NATIVE,  /* no backend: run the program natively */
};

enum policy_forward {
	POLICY_FORWARD_EXIT,        /* every syscall exits to the host (the default) */
	POLICY_FORWARD_EXITLESS,
	POLICY_FORWARD_AUTO,
};

enum policy_sys_action {
	POLICY_SYS_ALLOW,           /* the default */
	POLICY_SYS_DENY,            /* fails with policy_syscall.err */
	POLICY_SYS_KILL,            /* the process dies of SIGSYS */
};

enum policy_fault_action {
	POLICY_FAULT_SIGNAL,        /* SIGSEGV/SIGBUS as natively (the default) */
	POLICY_FAULT_TRACE,         /* log it, then as SIGNAL */
	POLICY_FAULT_COUNT,         /* count it in the report, then as SIGNAL */
	POLICY_FAULT_HOOK,          /* call fault_hook (include/dune/hooks.h) */
};

enum policy_exc_action {
	POLICY_EXC_SIGNAL,          /* the signal a native run gets (the default) */
	POLICY_EXC_TRACE,           /* log it, then as SIGNAL */
	POLICY_EXC_IGNORE,          /* resume after the instruction (traps already stopped after it) */
	POLICY_EXC_KILL,            /* the process dies of that signal, handlers or not */
	POLICY_EXC_HOOK,            /* call the hook (include/dune/hooks.h) */
};

/* A plugin function: LIB.so:SYMBOL. Both NULL when there is none. */
struct policy_hook {
	const char *lib;
	const char *symbol;
};

/* What to do with one syscall number. */
struct policy_syscall {
	uint8_t action;             /* enum policy_sys_action */
	uint8_t trace;              /* log each call */
	uint8_t count;              /* count calls in the exit report */
	uint8_t reserved;
	uint16_t err;               /* the errno of POLICY_SYS_DENY */
};

struct policy_exception {
	enum policy_exc_action action;
	struct policy_hook hook;    /* POLICY_EXC_HOOK */
};

struct policy_state;

/*
 * A policy, resolved. Read the fields; change them only through the
 * functions below. Strings belong to the policy and live until policy_free().
 */
struct dune_policy {
	/* [dune] */
	enum policy_unavailable on_unavailable;
	int ring;                   /* 3 (the default) or 0 */
	enum policy_forward forward;
	const char *log;            /* NULL: stderr; else an absolute path: see policy_log_path() */
	bool report;

	/* [syscalls]: use policy_syscall() rather than indexing by hand */
	struct policy_syscall *syscalls;  /* nsyscalls entries, by number; NULL: all as "other" */
	int nsyscalls;
	struct policy_syscall other;      /* numbers the kernel headers do not name */
	/* An allow list names io_uring_setup or io_setup: the program may have
	 * the kernel work for it later, out of dune's sight (README). */
	bool async_io_allowed;

	/* [pagefault] */
	enum policy_fault_action fault_action;
	struct policy_hook fault_hook;

	/* [exceptions], by vector; vectors without a name keep POLICY_EXC_SIGNAL */
	struct policy_exception exceptions[POLICY_VECTORS];

	struct policy_state *state; /* private: the merged keys, [match] globs, file names */
};

/**
 * policy_init_default() - the policy of a system without policy files
 * @p: the policy to fill
 *
 * Everything allowed, nothing traced, ring 3, exits, abort when no backend.
 * Allocates nothing; policy_free() is still fine to call.
 */
void policy_init_default(struct dune_policy *p);

/**
 * policy_free() - release what a policy holds and reset it to the default
 * @p: the policy
 */
void policy_free(struct dune_policy *p);

/**
 * policy_parse_buffer() - read one policy file's text as the next layer
 * @p: a policy from policy_init_default() or an earlier call
 * @file: the name errors give for this text
 * @text: the file's contents, not necessarily NUL-terminated
 * @len: bytes in @text
 * @err: filled on failure
 *
 * The layer applies whatever its [match] says (there is no program to test
 * here); policy_applies() then reflects the [match] of every layer read.
 * Checks that need every layer (a pagefault "action = hook" without a
 * "hook") run after each call.
 *
 * Return: 0, -EINVAL for an error in the text or between layers, -ENOMEM.
 * After a failure @p is fit only for policy_free().
 */
int policy_parse_buffer(struct dune_policy *p, const char *file, const char *text, size_t len,
			struct policy_error *err);

/**
 * policy_load() - read the policy files for the running program
 * @p: a policy from policy_init_default()
 * @err: filled on failure
 *
 * $DUNE_POLICY names one file; else every *.conf in $DUNE_POLICY_DIR or
 * /etc/dune. A missing /etc/dune means no policy; a missing file or
 * directory named by the environment is an error. The program's path is
 * /proc/self/exe.
 *
 * Return: 0, or -errno with @err filled; the caller prints "dune: " and the
 * message and exits with status 126.
 */
int policy_load(struct dune_policy *p, struct policy_error *err);

/**
 * policy_load_for() - policy_load() for a given program path
 * @p: a policy from policy_init_default()
 * @exe_path: the program's path; NULL when unknown (only files without [match] apply)
 * @err: filled on failure
 *
 * Return: as policy_load().
 */
int policy_load_for(struct dune_policy *p, const char *exe_path, struct policy_error *err);

/**
 * policy_applies() - does the policy cover this program at all?
 * @p: a loaded policy
 * @exe_path: the program's path
 *
 * True if there were no policy files, or if some file that went into @p
 * has no [match] or a [match] glob (fnmatch(3) without flags: "*" also
 * matches "/") that matches @exe_path. After policy_load(), false tells
 * the runtime that policy files exist and none of them is for this program.
 */
bool policy_applies(const struct dune_policy *p, const char *exe_path);

/**
 * policy_from_files() - was any policy file read into the policy?
 * @p: a policy
 *
 * False for the default of policy_init_default() (and after policy_free()),
 * also when policy_load() found no files; true once a file has been read,
 * whatever its [match] says.
 */
bool policy_from_files(const struct dune_policy *p);

/**
 * policy_syscall() - the rule for one syscall number
 * @p: the policy
 * @nr: the syscall number, any value
 *
 * Return: never NULL; numbers outside the kernel's table get @p->other.
 */
const struct policy_syscall *policy_syscall(const struct dune_policy *p, long nr);

/**
 * policy_log_path() - the log file's name for one process
 * @p: the policy
 * @pid: replaces %p
 * @progname: replaces %e; a '/' in it becomes '_'
 * @buf: where the path goes, NUL-terminated
 * @len: bytes at @buf
 *
 * "%%" is a literal '%'. The reader accepts no other '%' sequence.
 *
 * Return: 0, -ENODATA when the log goes to stderr, -ENAMETOOLONG if @buf is too small.
 */
int policy_log_path(const struct dune_policy *p, pid_t pid, const char *progname, char *buf,
		    size_t len);

/**
 * policy_exception_vector() - the vector of an exception name in [exceptions]
 * @name: such as "general-protection", any case
 *
 * Return: the vector, or -ENOENT.
 */
int policy_exception_vector(const char *name);

/**
 * policy_exception_name() - the [exceptions] name of a vector
 * @vector: 0..31
 *
 * Return: the name, or NULL for a vector without one (14, the page fault, included).
 */
const char *policy_exception_name(int vector);

#endif
