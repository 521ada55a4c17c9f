/* escape_exec_test.c: exec as a way out of dune (README, threat model). Under
 * a policy, every new image comes back under dune, or the exec fails with
 * EACCES and one dune: line; the program's environment cannot take dune's
 * library or settings away from it; its pointers are read as the kernel
 * reads them. Each attack runs natively too, where that shows what it does. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "harness.h"

#define DYNAMIC TEST_PROGRAM_DIR "/escape_exec"
#define STATIC TEST_PROGRAM_DIR "/escape_exec_static"
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The policy of these tests: making a directory is what the attacker wants. */
static char *deny_mkdir(void)
{
	return policy_env("exec-deny-mkdir.conf", "[syscalls]\ndeny = mkdir, mkdirat\n");
}

/* No policy file at all: dune's behaviour without a policy. */
static char *no_policy(void)
{
	static char env[600];

	if (!env[0]) {
		snprintf(env, sizeof(env), "DUNE_POLICY_DIR=%s/no-policies", scratch_dir());
		mkdir(env + strlen("DUNE_POLICY_DIR="), 0755);
	}
	return env;
}

static char *scratch_path(const char *name)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", scratch_dir(), name) > 0);
	return p;
}

static char *fresh_dir(const char *name)
{
	char *p = scratch_path(name);

	rmdir(p);
	return p;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	cr_assert(in >= 0 && out >= 0, "copy %s to %s: %s", from, to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, n), n);
	close(in);
	close(out);
	cr_assert_eq(chmod(to, mode), 0, "chmod %s: %s", to, strerror(errno));
}

static void write_script(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, 0755), 0);
}

/* The image ran under dune and its mkdir was denied. */
static void expect_confined(struct run_result *r, const char *what)
{
	cr_expect(strstr(r->out, "image: under dune\n"), "%s: not under dune: %s (stderr: %s)", what,
		  r->out, r->err);
	cr_expect(strstr(r->out, "(Operation not permitted), no directory"),
		  "%s: the policy did not hold: %s", what, r->out);
}

/* The image ran without dune and made its directory. */
static void expect_native(struct run_result *r, const char *what)
{
	cr_expect(strstr(r->out, "image: native\n"), "%s: %s (stderr: %s)", what, r->out, r->err);
	cr_expect(strstr(r->out, "the directory exists"), "%s: %s", what, r->out);
}

/* The exec failed with EACCES, the program went on, and dune said why on
 * exactly one line that names the file. */
static void expect_refused(struct run_result *r, const char *call, const char *file,
			   const char *why)
{
	char *out;
	const char *nl = strchr(r->err, '\n');

	cr_assert(asprintf(&out, "%s: -1 (Permission denied)\n", call) > 0);
	cr_expect_str_eq(r->out, out, "not refused: %s (stderr: %s)", r->out, r->err);
	cr_expect_eq(r->status, 1, "status %d", r->status);
	cr_expect(!strncmp(r->err, "dune: ", 6) && nl && !nl[1],
		  "not one dune: line on stderr: %s", r->err);
	cr_expect(strstr(r->err, file), "the line does not name %s: %s", file, r->err);
	cr_expect(strstr(r->err, why), "the line does not say \"%s\": %s", why, r->err);
	free(out);
}

Test(escape_exec, a_static_executable_is_refused_under_a_policy)
{
	char *dir = fresh_dir("static-native");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "exec", STATIC, "static", "probe", dir), NULL, 0, NULL);
	expect_native(&r, "natively");
	run_result_free(&r);
	dir = fresh_dir("static-dune");
	r = run_program(ARGV(DYNAMIC, "exec", STATIC, "static", "probe", dir), ENV(deny_mkdir()), 1,
			NULL);
	expect_refused(&r, "execv", STATIC, "static executable");
	cr_expect_neq(access(dir, F_OK), 0, "the directory was made");
	run_result_free(&r);
}

Test(escape_exec, a_static_executable_by_descriptor_is_refused)
{
	char *dir = fresh_dir("static-fd");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "execveat", STATIC, "static", "probe", dir), NULL, 0, NULL);
	expect_native(&r, "natively, execveat(fd, \"\", AT_EMPTY_PATH)");
	run_result_free(&r);
	rmdir(dir);
	r = run_program(ARGV(DYNAMIC, "execveat", STATIC, "static", "probe", dir),
			ENV(deny_mkdir()), 1, NULL);
	expect_refused(&r, "execveat", "/dev/fd/", "static executable");
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "execveat-dir", TEST_PROGRAM_DIR, "escape_exec_static",
			     "static", "probe", dir), ENV(deny_mkdir()), 1, NULL);
	expect_refused(&r, "execveat", "escape_exec_static", "static executable");
	cr_expect_neq(access(dir, F_OK), 0, "the directory was made");
	run_result_free(&r);
}

/* Without a policy that applies, dune changes nothing: as natively. */
Test(escape_exec, without_a_policy_a_static_executable_runs_as_natively)
{
	char *dir = fresh_dir("static-no-policy");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "exec", STATIC, "static", "probe", dir), ENV(no_policy()), 1,
			NULL);
	expect_native(&r, "under dune without a policy");
	cr_expect_eq(r.err_len, 0, "stderr: %s", r.err);
	run_result_free(&r);
}

Test(escape_exec, on_unavailable_native_runs_it_natively_and_says_so)
{
	char *env = policy_env("exec-native.conf", "[dune]\non-unavailable = native\n"
				   "[syscalls]\ndeny = mkdir, mkdirat\n");
	char *dir = fresh_dir("static-on-unavailable");
	struct run_result r;
	const char *nl;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "exec", STATIC, "static", "probe", dir), ENV(env), 1, NULL);
	cr_expect(strstr(r.out, "image: native\n"), "%s (stderr: %s)", r.out, r.err);
	/* Outside dune, the policy's seccomp filter still refuses mkdir. */
	cr_expect(strstr(r.out, "(Operation not permitted), no directory"), "%s", r.out);
	nl = strchr(r.err, '\n');
	cr_expect(!strncmp(r.err, "dune: ", 6) && nl && !nl[1] && strstr(r.err, "runs outside dune"),
		  "not one dune: line: %s", r.err);
	run_result_free(&r);
}

/* As root, a set-user-ID file of another user's runs with AT_SECURE, and
 * ld.so ignores LD_PRELOAD: shown under dune without a policy. */
Test(escape_exec, set_user_id_and_set_group_id_files_are_refused)
{
	char *suid = scratch_path("setuid"), *sgid = scratch_path("setgid");
	char *dir = fresh_dir("setuid-dir");
	struct run_result r;

	require_kvm();
	copy_file(DYNAMIC, suid, 0755);
	copy_file(DYNAMIC, sgid, 0755);
	if (getuid() == 0) {
		cr_assert_eq(chown(suid, 65534, 65534), 0, "chown: %s", strerror(errno));
		cr_assert_eq(chown(sgid, 0, 65534), 0, "chown: %s", strerror(errno));
	}
	cr_assert_eq(chmod(suid, 04755), 0);
	cr_assert_eq(chmod(sgid, 02755), 0);
	if (getuid() == 0) {
		r = run_program(ARGV(DYNAMIC, "exec", suid, "setuid", "probe", dir), ENV(no_policy()),
				1, NULL);
		cr_expect(strstr(r.out, "image: native\n"), "LD_PRELOAD was not ignored: %s", r.out);
		run_result_free(&r);
	}
	r = run_program(ARGV(DYNAMIC, "exec", suid, "setuid", "probe", dir), ENV(deny_mkdir()), 1,
			NULL);
	expect_refused(&r, "execv", suid, "set-user-ID");
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "exec", sgid, "setgid", "probe", dir), ENV(deny_mkdir()), 1,
			NULL);
	expect_refused(&r, "execv", sgid, "set-group-ID");
	run_result_free(&r);
}

Test(escape_exec, a_file_with_capabilities_is_refused)
{
	/* struct vfs_cap_data, revision 2: CAP_NET_RAW permitted. */
	const uint32_t cap[5] = { 0x02000000, 1u << 13, 0, 0, 0 };
	char *file = scratch_path("with-caps"), *dir = fresh_dir("caps-dir");
	struct run_result r;

	require_kvm();
	copy_file(DYNAMIC, file, 0755);
	if (setxattr(file, "security.capability", cap, sizeof(cap), 0))
		cr_skip_test("cannot give a file capabilities here (%s): needs CAP_SETFCAP",
			     strerror(errno));
	r = run_program(ARGV(DYNAMIC, "exec", file, "caps", "probe", dir), ENV(deny_mkdir()), 1,
			NULL);
	expect_refused(&r, "execv", file, "file capabilities");
	run_result_free(&r);
}

/* Put interp in the place of the PT_INTERP of the ELF file at path. */
static void patch_interp(const char *path, const char *interp)
{
	int fd = open(path, O_RDWR);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	char name[4096] = { 0 };

	cr_assert(fd >= 0 && pread(fd, &eh, sizeof(eh), 0) == sizeof(eh));
	for (int i = 0; i < eh.e_phnum; i++) {
		cr_assert(pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) == sizeof(ph));
		if (ph.p_type != PT_INTERP)
			continue;
		cr_assert(strlen(interp) < ph.p_filesz, "%s is longer than the PT_INTERP of %s",
			  interp, path);
		strcpy(name, interp);
		cr_assert(pwrite(fd, name, ph.p_filesz, ph.p_offset) == (ssize_t)ph.p_filesz);
		close(fd);
		return;
	}
	cr_assert_fail("%s has no PT_INTERP", path);
}

/* The system loader, as the PT_INTERP of our own programs names it. */
static const char *system_loader(void)
{
	static char name[4096];
	int fd = open(DYNAMIC, O_RDONLY);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	cr_assert(fd >= 0 && pread(fd, &eh, sizeof(eh), 0) == sizeof(eh));
	for (int i = 0; i < eh.e_phnum && !name[0]; i++)
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) == sizeof(ph) &&
		    ph.p_type == PT_INTERP)
			cr_assert(pread(fd, name, ph.p_filesz, ph.p_offset) == (ssize_t)ph.p_filesz);
	close(fd);
	cr_assert(name[0], "no PT_INTERP in %s", DYNAMIC);
	return name;
}

/* A copy of the loader is another file, which dune cannot vouch for; the
 * loader itself under another name is the same file. */
Test(escape_exec, an_interpreter_other_than_the_loader_is_refused)
{
	char *copy = scratch_path("C"), *link = scratch_path("L");
	char *foreign = scratch_path("foreign-interp"), *same = scratch_path("same-interp");
	char *dir = fresh_dir("interp-dir");
	struct run_result r;

	require_kvm();
	copy_file(system_loader(), copy, 0755);
	unlink(link);
	cr_assert_eq(symlink(system_loader(), link), 0);
	copy_file(DYNAMIC, foreign, 0755);
	copy_file(DYNAMIC, same, 0755);
	patch_interp(foreign, copy);
	patch_interp(same, link);
	r = run_program(ARGV(DYNAMIC, "exec", foreign, "foreign", "probe", dir), NULL, 0, NULL);
	expect_native(&r, "natively, with a copy of the loader");
	run_result_free(&r);
	rmdir(dir);
	r = run_program(ARGV(DYNAMIC, "exec", foreign, "foreign", "probe", dir), ENV(deny_mkdir()),
			1, NULL);
	expect_refused(&r, "execv", foreign, "is not the loader");
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "exec", same, "same", "probe", dir), ENV(deny_mkdir()), 1,
			NULL);
	expect_confined(&r, "the loader through a symlink");
	run_result_free(&r);
}

Test(escape_exec, a_script_whose_interpreter_is_static_is_refused)
{
	char *script = scratch_path("static.sh"), *nested = scratch_path("nested.sh");
	char *dynamic = scratch_path("dynamic.sh"), *dir = fresh_dir("script-dir"), *text;
	struct run_result r;

	require_kvm();
	write_script(script, "#!" STATIC " probe\n");
	cr_assert(asprintf(&text, "#!%s\n", script) > 0);
	write_script(nested, text);
	write_script(dynamic, "#! " DYNAMIC " probe\n");
	r = run_program(ARGV(DYNAMIC, "exec", nested, "nested", dir), NULL, 0, NULL);
	expect_native(&r, "natively, two levels of #!");
	run_result_free(&r);
	rmdir(dir);
	r = run_program(ARGV(DYNAMIC, "exec", script, "script", dir), ENV(deny_mkdir()), 1, NULL);
	expect_refused(&r, "execv", script, "#! interpreter " STATIC);
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "exec", nested, "nested", dir), ENV(deny_mkdir()), 1, NULL);
	expect_refused(&r, "execv", nested, "static executable");
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "exec", dynamic, "dynamic", dir), ENV(deny_mkdir()), 1, NULL);
	expect_confined(&r, "a script whose interpreter comes back");
	run_result_free(&r);
}

/* A binfmt_misc handler of our own, in a user namespace of its own (Linux
 * 6.7 and later give each its binfmt_misc): files that start with ZZZZ run
 * through a script whose interpreter is static. */
static struct run_result run_with_binfmt_handler(const char *file, const char *dir, int under_dune)
{
	char *interp = scratch_path("binfmt-interp.sh"), *script;
	struct run_result r;

	write_script(interp, "#!" STATIC " probe\n");
	cr_assert(asprintf(&script, "mount -t binfmt_misc none /proc/sys/fs/binfmt_misc && "
			   "echo ':dune-escape:M::ZZZZ::%s:' > /proc/sys/fs/binfmt_misc/register "
			   "|| { echo no binfmt_misc here; exit 77; }; %s \"$@\"", interp,
			   under_dune ? "exec env LD_PRELOAD=" DUNE_PRELOAD_LIB : "exec") > 0);
	r = run_program(ARGV("unshare", "-Urm", "sh", "-c", script, "sh", DYNAMIC, "exec", file,
			     "zfile", dir), ENV(deny_mkdir()), 0, NULL);
	if (r.status == 77 || strstr(r.err, "unshare:"))
		cr_skip_test("no binfmt_misc of our own here: %s%s", r.out, r.err);
	free(script);
	return r;
}

Test(escape_exec, a_file_only_a_binfmt_misc_handler_runs_is_refused)
{
	char *file = scratch_path("zfile"), *dir = fresh_dir("binfmt-dir");
	struct run_result r;

	require_kvm();
	write_script(file, "ZZZZ: only a binfmt_misc handler runs this\n");
	r = run_with_binfmt_handler(file, dir, 0);
	expect_native(&r, "natively, through the handler");
	run_result_free(&r);
	rmdir(dir);
	r = run_with_binfmt_handler(file, dir, 1);
	expect_refused(&r, "execv", file, "binfmt_misc");
	cr_expect_neq(access(dir, F_OK), 0, "the directory was made");
	run_result_free(&r);
}

/* The new image's loader variables, as it printed them: one LD_AUDIT,
 * dune's module first, and one LD_PRELOAD (NULL: none) without dune's. */
static void expect_loader_env(struct run_result *r, const char *audit, const char *preload)
{
	const char *names[] = { "LD_AUDIT=", "LD_PRELOAD=" }, *values[] = { audit, preload };

	for (int i = 0; i < 2; i++) {
		const char *first = strstr(r->out, names[i]);
		char *line;

		if (!values[i]) {
			cr_expect(!first, "an %s: %s", names[i], r->out);
			continue;
		}
		cr_assert(asprintf(&line, "%s%s\n", names[i], values[i]) > 0);
		cr_expect(first && !strncmp(first, line, strlen(line)), "want %sgot: %s", line, r->out);
		cr_expect(first && !strstr(first + 1, names[i]), "two %s: %s", names[i], r->out);
		free(line);
	}
}

Test(escape_exec, ld_preload_tricks_do_not_take_dune_away)
{
	char *dir = fresh_dir("preload-dir"), *sub, *longer;
	struct run_result r;

	require_kvm();
	/* ld.so reads the last LD_PRELOAD: an empty one would have won. */
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir, "LD_PRELOAD=" DUNE_PRELOAD_LIB,
			     "LD_PRELOAD="), ENV(deny_mkdir()), 1, NULL);
	expect_confined(&r, "two LD_PRELOAD, the second empty");
	expect_loader_env(&r, DUNE_AUDIT_LIB, NULL);
	run_result_free(&r);
	/* dune's path inside another path names another file. */
	cr_assert(asprintf(&sub, "LD_PRELOAD=/tmp/x%s.evil", DUNE_PRELOAD_LIB) > 0);
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir, sub), ENV(deny_mkdir()), 1, NULL);
	expect_confined(&r, "dune's path as a substring");
	expect_loader_env(&r, DUNE_AUDIT_LIB, sub + 11);
	run_result_free(&r);
	cr_assert(asprintf(&longer, "LD_PRELOAD=%sx", DUNE_PRELOAD_LIB) > 0);
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir, longer), ENV(deny_mkdir()), 1,
			NULL);
	expect_confined(&r, "dune's path with a suffix");
	run_result_free(&r);
	/* Entries split at spaces and colons, as ld.so splits them. */
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir,
			     "LD_PRELOAD= libm.so.6:" DUNE_PRELOAD_LIB " ::"), ENV(deny_mkdir()), 1,
			NULL);
	expect_confined(&r, "a list with empty entries");
	expect_loader_env(&r, DUNE_AUDIT_LIB, "libm.so.6");
	cr_expect_eq(r.err_len, 0, "stderr: %s", r.err);
	run_result_free(&r);
}

/* Each of these would end or loosen the sandbox if the new image took it. */
Test(escape_exec, the_program_cannot_choose_the_next_image_dune_settings)
{
	char *deny = deny_mkdir();
	char *allow = policy_env("exec-allow-all.conf", "[syscalls]\ndefault = allow\n");
	char *dir = fresh_dir("settings-dir");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir, allow, "DUNE_POLICY_DIR=/nowhere",
			     "DUNE_RING=0", "DUNE_BACKEND=dev", "DUNE_FORWARD=bogus",
			     "DUNE_LOG=relative"), ENV(deny), 1, NULL);
	expect_confined(&r, "with the program's own DUNE_*");
	cr_expect(strstr(r.out, deny), "not the runtime's %s: %s", deny, r.out);
	cr_expect(!strstr(r.out, allow), "the program's %s reached the image: %s", allow, r.out);
	run_result_free(&r);
}

/* A policy that only traces: no seccomp filter, so code that ran outside
 * dune would make its directory without a trace line. */
static char *trace_mkdir(void)
{
	return policy_env("exec-trace-mkdir.conf", "[syscalls]\ntrace = mkdir, mkdirat\n");
}

/* Did the directory get made, under dune (a trace line says so)? */
static void expect_traced_mkdir(struct run_result *r, const char *made, const char *who)
{
	char *line;

	cr_assert(asprintf(&line, "mkdir(\"%s\", 0755) = 0", made) > 0);
	cr_expect_eq(access(made, F_OK), 0, "%s did not run: %s %s", who, r->out, r->err);
	cr_expect(strstr(r->err, line), "%s ran outside dune (no trace line): %s", who, r->err);
	free(line);
}

/* ld.so loads LD_AUDIT's modules before anything else of the image: the
 * program's come after dune's, once dune entered, in the guest. */
Test(escape_exec, the_program_s_audit_module_runs_in_the_guest)
{
	char *dir = fresh_dir("audit-probe"), *made = fresh_dir("audit-made"), *var;
	struct run_result r;

	require_kvm();
	cr_assert(asprintf(&var, "ESCAPE_AUDIT_DIR=%s", made) > 0);
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir, "LD_AUDIT=" TEST_ESCAPE_AUDIT, var),
			NULL, 0, NULL);
	cr_expect_eq(access(made, F_OK), 0, "natively the audit module did not run: %s %s", r.out,
		     r.err);
	run_result_free(&r);
	rmdir(made);
	rmdir(dir);
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir, "LD_AUDIT=" TEST_ESCAPE_AUDIT, var),
			ENV(deny_mkdir()), 1, NULL);
	expect_confined(&r, "with LD_AUDIT");
	expect_loader_env(&r, DUNE_AUDIT_LIB ":" TEST_ESCAPE_AUDIT, NULL);
	cr_expect_neq(access(made, F_OK), 0, "the audit module ran outside dune");
	run_result_free(&r);
	rmdir(dir);
	/* dune's own module again, in another spelling: left out. */
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir,
			     "LD_AUDIT=/." DUNE_AUDIT_LIB ":" TEST_ESCAPE_AUDIT, "LD_AUDIT=libduneaudit.so",
			     var), ENV(trace_mkdir()), 1, NULL);
	cr_expect(strstr(r.out, "image: under dune\n"), "%s %s", r.out, r.err);
	expect_loader_env(&r, DUNE_AUDIT_LIB ":" TEST_ESCAPE_AUDIT, NULL);
	expect_traced_mkdir(&r, made, "the audit module");
	run_result_free(&r);
}

/* A library the runtime needs, found first on the program's
 * LD_LIBRARY_PATH, would run its constructor before dune's, outside the
 * guest, or keep the runtime from loading at all. The runtime's libraries
 * come from where the build found them. */
Test(escape_exec, ld_library_path_does_not_choose_the_runtime_s_libraries)
{
	char *dir = fresh_dir("libpath-probe"), *made = fresh_dir("libpath-made"), *var;
	struct run_result r;

	require_kvm();
	rmdir(made);
	cr_assert(asprintf(&var, "ESCAPE_CTOR_DIR=%s", made) > 0);
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir,
			     "LD_LIBRARY_PATH=" TEST_FAKE_RUNTIME_LIB_DIR, var),
			ENV(trace_mkdir()), 1, NULL);
	cr_expect(strstr(r.out, "image: under dune\n"), "not under dune: %s %s", r.out, r.err);
	cr_expect_neq(access(made, F_OK), 0, "the program's library ran its constructor");
	cr_expect(!strstr(r.err, "ld.so"), "ld.so: %s", r.err);
	run_result_free(&r);
}

/* ld.so runs the constructors of preloaded libraries from the last to the
 * first: one the program lists for its next image runs after dune's, in
 * the guest, under the policy. */
Test(escape_exec, a_preloaded_constructor_runs_under_the_policy)
{
	char *dir = fresh_dir("ctor-probe"), *made = fresh_dir("ctor-made"), *var;
	struct run_result r;

	require_kvm();
	cr_assert(asprintf(&var, "ESCAPE_CTOR_DIR=%s", made) > 0);
	rmdir(made);
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir, "LD_PRELOAD=" TEST_ESCAPE_AUDIT, var),
			NULL, 0, NULL);
	cr_expect_eq(access(made, F_OK), 0, "natively the constructor did not run: %s %s", r.out,
		     r.err);
	run_result_free(&r);
	rmdir(made);
	rmdir(dir);
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir, "LD_PRELOAD=" TEST_ESCAPE_AUDIT, var),
			ENV(deny_mkdir()), 1, NULL);
	expect_confined(&r, "with a library of its own preloaded");
	expect_loader_env(&r, DUNE_AUDIT_LIB, TEST_ESCAPE_AUDIT);
	cr_expect_neq(access(made, F_OK), 0, "the constructor ran outside dune");
	run_result_free(&r);
	/* dune's library spelled another way, first: ld.so would load it there. */
	r = run_program(ARGV(DYNAMIC, "exec-env", DYNAMIC, dir,
			     "LD_PRELOAD=/." DUNE_PRELOAD_LIB ":" TEST_ESCAPE_AUDIT, var),
			ENV(deny_mkdir()), 1, NULL);
	expect_confined(&r, "dune's library spelled another way, first");
	expect_loader_env(&r, DUNE_AUDIT_LIB, TEST_ESCAPE_AUDIT);
	cr_expect_neq(access(made, F_OK), 0, "the constructor ran outside dune");
	run_result_free(&r);
}

/* Code of the image's own that ld.so runs before dune's constructor: the
 * constructor of a library it needs and its preinit array. The policy's
 * seccomp filter (prefilter.c), on since the first image, holds there. */
Test(escape_exec, code_before_entry_cannot_make_a_denied_call)
{
	char *dir = fresh_dir("needed-probe"), *ctor = fresh_dir("needed-ctor");
	char *pre = fresh_dir("needed-preinit"), *ctor_var, *pre_var;
	struct run_result r;

	require_kvm();
	rmdir(ctor), rmdir(pre);
	cr_assert(asprintf(&ctor_var, "ESCAPE_CTOR_DIR=%s", ctor) > 0);
	cr_assert(asprintf(&pre_var, "ESCAPE_PREINIT_DIR=%s", pre) > 0);
	r = run_program(ARGV(DYNAMIC, "exec-env", TEST_PROGRAM_DIR "/escape_needed", dir, ctor_var,
			     pre_var), NULL, 0, NULL);
	cr_expect_str_eq(r.out, "main ran, library 1\n", "%s", r.err);
	cr_expect_eq(access(ctor, F_OK), 0, "natively the constructor did not run");
	cr_expect_eq(access(pre, F_OK), 0, "natively the preinit array did not run");
	run_result_free(&r);
	rmdir(ctor), rmdir(pre);
	r = run_program(ARGV(DYNAMIC, "exec-env", TEST_PROGRAM_DIR "/escape_needed", dir, ctor_var,
			     pre_var), ENV(deny_mkdir()), 1, NULL);
	cr_expect_str_eq(r.out, "main ran, library 1\n", "%s", r.err);
	cr_expect_neq(access(ctor, F_OK), 0, "a needed library's constructor made a directory");
	cr_expect_neq(access(pre, F_OK), 0, "the preinit array made a directory");
	run_result_free(&r);
	/* Under dune, in the guest, where the policy sees every call. */
	r = run_program(ARGV(DYNAMIC, "exec-env", TEST_PROGRAM_DIR "/escape_needed", dir, ctor_var,
			     pre_var), ENV(trace_mkdir()), 1, NULL);
	cr_expect_str_eq(r.out, "main ran, library 1\n", "%s", r.err);
	expect_traced_mkdir(&r, ctor, "the needed library's constructor");
	expect_traced_mkdir(&r, pre, "the preinit array");
	run_result_free(&r);
}

/* A process started with a library preloaded after dune's ran that
 * library's constructor first: under a policy it does not run on. */
Test(escape_exec, a_library_preloaded_after_dune_stops_a_confined_start)
{
	char *dir = fresh_dir("ctor-first"), *made = fresh_dir("ctor-first-made"), *var;
	struct run_result r;

	require_kvm();
	rmdir(made);
	cr_assert(asprintf(&var, "ESCAPE_CTOR_DIR=%s", made) > 0);
	r = run_program(ARGV(DYNAMIC, "probe", dir),
			ENV(deny_mkdir(), var, "LD_PRELOAD=" DUNE_PRELOAD_LIB ":" TEST_ESCAPE_AUDIT), 0,
			NULL);
	cr_expect_eq(r.status, 126, "status %d: %s %s", r.status, r.out, r.err);
	cr_expect_str_eq(r.out, "", "the program ran");
	cr_expect(strstr(r.err, "dune: LD_PRELOAD lists a library after dune's"), "%s", r.err);
	run_result_free(&r);
	rmdir(made);
	/* After dune's first entry, whatever comes last. */
	r = run_program(ARGV(DYNAMIC, "probe", dir),
			ENV(deny_mkdir(), var,
			    "LD_PRELOAD=/." DUNE_PRELOAD_LIB ":" TEST_ESCAPE_AUDIT ":" DUNE_PRELOAD_LIB),
			0, NULL);
	cr_expect_eq(r.status, 126, "status %d: %s %s", r.status, r.out, r.err);
	run_result_free(&r);
	rmdir(made);
	/* Last, as dune-run puts it, it runs after dune entered. */
	r = run_program(ARGV(DYNAMIC, "probe", dir),
			ENV(deny_mkdir(), var, "LD_PRELOAD=" TEST_ESCAPE_AUDIT ":" DUNE_PRELOAD_LIB), 0,
			NULL);
	expect_confined(&r, "preloaded before dune's library");
	cr_expect_neq(access(made, F_OK), 0, "the constructor ran outside dune");
	run_result_free(&r);
}

/* ld.so goes on without an audit module it cannot load: limits that
 * leave it no room would start the image without dune. Under a policy
 * such an exec is refused, or fails as the runtime runs out first. */
Test(escape_exec, limits_that_would_keep_dune_from_loading_refuse_the_exec)
{
	char *dir = fresh_dir("limits-probe");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "limit-as", "33554432", DYNAMIC, "dynamic", "probe", dir),
			NULL, 0, NULL);
	expect_native(&r, "natively, 32 MiB more address space than it has");
	run_result_free(&r);
	rmdir(dir);
	r = run_program(ARGV(DYNAMIC, "limit-as", "33554432", DYNAMIC, "dynamic", "probe", dir),
			ENV(deny_mkdir()), 1, NULL);
	expect_refused(&r, "execv", DYNAMIC, "RLIMIT_AS");
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "fill-fds", DYNAMIC, "dynamic", "probe", dir), NULL, 0, NULL);
	cr_expect(strstr(r.out, "image: native\n") || strstr(r.err, "error while loading"),
		  "natively, every descriptor taken: %s %s", r.out, r.err);
	run_result_free(&r);
	rmdir(dir);
	r = run_program(ARGV(DYNAMIC, "fill-fds", DYNAMIC, "dynamic", "probe", dir),
			ENV(deny_mkdir()), 1, NULL);
	cr_expect_str_eq(r.out, "execv: -1 (Too many open files)\n", "%s", r.err);
	cr_expect_neq(access(dir, F_OK), 0, "the directory was made");
	run_result_free(&r);
}

/* Entered through LD_AUDIT, ld.so loads the program's libraries in the
 * guest: a policy that refuses open still lets the program start, and
 * holds from its first instruction on, an IFUNC resolver's and a
 * constructor's before main. (ld.so's own work after that instruction,
 * its allocations among it, is judged too: no dynamic program starts
 * where mmap is refused.) */
Test(escape_exec, the_loader_loads_and_the_policy_holds_from_the_program_s_first_instruction)
{
	char *deny = policy_env("exec-deny-open.conf", "[syscalls]\ndeny.ENOENT = open, openat\n"
						       "deny = mkdir, mkdirat\n");
	char *dir = fresh_dir("loader-probe");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "exec-env", TEST_PROGRAM_DIR "/escape_needed", dir,
			     "ESCAPE_OPENS=1"), NULL, 0, NULL);
	cr_expect_str_eq(r.out, "main ran, library 1\nresolver open: Success\n"
				"constructor open: Success\n", "natively: %s", r.err);
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "exec-env", TEST_PROGRAM_DIR "/escape_needed", dir,
			     "ESCAPE_OPENS=1"), ENV(deny), 1, NULL);
	cr_expect_str_eq(r.out, "main ran, library 1\nresolver open: No such file or directory\n"
				"constructor open: No such file or directory\n", "%s", r.err);
	cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
	run_result_free(&r);
}

/* ld.so reads the first bytes of each file LD_PRELOAD names onto its stack,
 * where the program finds them after: in the loader phase an open the
 * policy refuses passes only for a file ld.so could load. */
Test(escape_exec, the_loader_does_not_read_a_file_the_policy_refuses)
{
	char *deny = policy_env("exec-deny-open-secret.conf", "[syscalls]\ndeny.ENOENT = open, openat\n");
	char *secret = scratch_path("secret.txt");
	FILE *f = fopen(secret, "w");
	struct run_result r;

	require_kvm();
	cr_assert(f);
	for (int i = 0; i < 40; i++) /* longer than an ELF header: ld.so reads 832 bytes */
		fputs("DUNE-SECRET-4711-of-the-file", f);
	cr_assert(fclose(f) == 0);
	r = run_program(ARGV(DYNAMIC, "exec-preload", secret, DYNAMIC, "dynamic", "stack-scan",
			     "elif-eht-fo-1174-TERCES-ENUD"), NULL, 0, NULL);
	cr_expect_str_eq(r.out, "marker: found on the stack\n", "natively: %s", r.err);
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "exec-preload", secret, DYNAMIC, "dynamic", "stack-scan",
			     "elif-eht-fo-1174-TERCES-ENUD"), ENV(deny), 1, NULL);
	cr_expect_str_eq(r.out, "marker: not on the stack\n", "%s", r.err);
	cr_expect(strstr(r.err, "cannot be preloaded"), "ld.so did not try: %s", r.err);
	run_result_free(&r);
	/* A policy that only traces opens sees that one. */
	r = run_program(ARGV(DYNAMIC, "exec-preload", secret, DYNAMIC, "dynamic", "stack-scan",
			     "elif-eht-fo-1174-TERCES-ENUD"),
			ENV(policy_env("exec-trace-open.conf", "[syscalls]\ntrace = open, openat\n")), 1,
			NULL);
	cr_expect(strstr(r.err, "secret.txt\", O_RDONLY"), "untraced: %s", r.err);
	run_result_free(&r);
}

/* A program entered through LD_AUDIT that loads dune's library into its
 * own namespace (dlopen, or LD_PRELOAD) runs a second runtime's
 * constructor in the guest: it finds the first one answering and leaves
 * the process to it. (Entered through LD_PRELOAD, the dlopen finds the
 * library loaded, and ld.so reads its hidden .dynamic: SIGSEGV.) */
Test(escape_exec, a_second_runtime_leaves_the_process_to_the_first)
{
	char *dir = fresh_dir("second-runtime");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "dlopen-runtime", DUNE_PRELOAD_LIB, dir),
			ENV(deny_mkdir(), "LD_AUDIT=" DUNE_AUDIT_LIB), 0, NULL);
	cr_expect(strstr(r.out, "dlopen: ok\n"), "%s %s", r.out, r.err);
	expect_confined(&r, "after a dlopen of dune's library");
	cr_expect_eq(r.status, 0, "status %d: %s", r.status, r.err);
	cr_expect_eq(r.err_len, 0, "stderr: %s", r.err);
	run_result_free(&r);
}

/* A process whose effective and real group IDs differ gets AT_SECURE at
 * exec: ld.so would ignore LD_AUDIT and start the image without dune. */
Test(escape_exec, an_exec_the_kernel_makes_secure_is_refused)
{
	char *dir = fresh_dir("secure-probe");
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "exec-setresgid", DYNAMIC, "dynamic", "probe", dir), NULL, 0,
			NULL);
	if (strstr(r.out, "setresgid: -1"))
		cr_skip_test("cannot change group IDs here (not root): %s", r.out);
	expect_native(&r, "natively, with AT_SECURE");
	run_result_free(&r);
	rmdir(dir);
	r = run_program(ARGV(DYNAMIC, "exec-setresgid", DYNAMIC, "dynamic", "probe", dir),
			ENV(deny_mkdir()), 1, NULL);
	expect_refused(&r, "execv", DYNAMIC, "AT_SECURE");
	run_result_free(&r);
}

/* The limits dune checked at exec could drop, from another process, while
 * the new image's ld.so has yet to load dune: under a policy a process may
 * not change another's. */
Test(escape_exec, another_process_s_limits_are_refused_under_a_policy)
{
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "prlimit-other"), NULL, 0, NULL);
	cr_expect_str_eq(r.out, "prlimit64 of a child: ok\n", "natively: %s", r.err);
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "prlimit-other"), ENV(deny_mkdir()), 1, NULL);
	cr_expect_str_eq(r.out, "prlimit64 of a child: Operation not permitted\n", "%s", r.err);
	run_result_free(&r);
}

/* Under a policy the program may not change what the paths of dune's files
 * name, or forbid reading them: the next image's ld.so loads them. The
 * mounts aim at paths that are not there: natively they fail otherwise. */
Test(escape_exec, namespaces_mounts_and_landlock_are_refused_under_a_policy)
{
	struct run_result r;

	require_kvm();
	r = run_program(ARGV(DYNAMIC, "confine-paths"), NULL, 0, NULL);
	cr_expect(!strstr(r.out, "mount: Operation not permitted") || geteuid() != 0,
		  "natively, as root: %s", r.out);
	run_result_free(&r);
	r = run_program(ARGV(DYNAMIC, "confine-paths"), ENV(deny_mkdir()), 1, NULL);
	cr_expect_str_eq(r.out, "unshare(CLONE_NEWUSER): Operation not permitted\n"
				"unshare(CLONE_NEWNS): Operation not permitted\n"
				"landlock_create_ruleset: Operation not supported\n"
				"mount: Operation not permitted\n"
				"umount2: Operation not permitted\n"
				"open_tree: Operation not permitted\n"
				"fsopen: Operation not permitted\n"
				"chroot: Operation not permitted\n"
				"pivot_root: Operation not permitted\n", "%s", r.err);
	run_result_free(&r);
}

/* A program that may write dune's files (here, copies it runs from; a
 * build tree's owner, root) may neither change them, by any name, nor put
 * a library in their place where the next image's ld.so looks first. */
Test(escape_exec, dunes_files_cannot_be_written_or_shadowed)
{
	char *dir = scratch_path("runtime-files"), *lib, *audit, *entry, *clear;
	struct run_result r;

	require_kvm();
	cr_assert(asprintf(&clear, "rm -rf '%s'", dir) > 0 && system(clear) == 0);
	cr_assert(mkdir(dir, 0755) == 0, "%s: %s", dir, strerror(errno));
	cr_assert(asprintf(&lib, "%s/libdunepre.so", dir) > 0 &&
		  asprintf(&audit, "%s/libduneaudit.so", dir) > 0 &&
		  asprintf(&entry, "LD_AUDIT=%s", audit) > 0);
	copy_file(DUNE_PRELOAD_LIB, lib, 0755);
	copy_file(DUNE_AUDIT_LIB, audit, 0755);
	/* A policy that lets it make directories, to plant one. */
	r = run_program(ARGV(DYNAMIC, "runtime-files", dir),
			ENV(policy_env("exec-deny-mknod.conf", "[syscalls]\ndeny = mknod, mknodat\n"),
			    entry), 0, NULL);
	cr_expect_str_eq(r.out, "open O_RDWR: Text file busy\n"
				"open O_WRONLY|O_TRUNC: Text file busy\n"
				"open O_RDONLY|O_TRUNC: Text file busy\n"
				"creat: Text file busy\n"
				"openat2 O_TRUNC: Text file busy\n"
				"openat2 O_TRUNC, RESOLVE_IN_ROOT: Text file busy\n"
				"truncate: Text file busy\n"
				"/proc/self/fd/N, O_WRONLY: Text file busy\n"
				"the audit module, O_RDWR: Text file busy\n"
				"libc, O_RDWR: Text file busy\n"
				"library unchanged: yes\n"
				"exec: ok\n"
				"exec with glibc-hwcaps planted: Permission denied\n"
				"exec with x86_64 planted: Permission denied\n"
				"a hard link, O_RDWR: Text file busy\n"
				"exec after a new link: Permission denied\n", "%s", r.err);
	cr_expect(strstr(r.err, "exec of /bin/sh refused: ld.so would load a libdunepre.so in a "
				"subdirectory (glibc-hwcaps, tls, x86_64) first"), "%s", r.err);
	cr_expect(strstr(r.err, "dune's file changed since this process started"), "%s", r.err);
	run_result_free(&r);
}

/* Natively EFAULT, and the program goes on: the same under dune, whose
 * runtime reads the strings first. */
Test(escape_exec, a_string_running_into_an_unmapped_page_is_efault)
{
	const char *const how[] = { "fault-path", "fault-arg", "fault-env", "fault-envp" };

	require_kvm();
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		struct run_result native = run_program(ARGV(DYNAMIC, how[i]), NULL, 0, NULL);
		struct run_result dune = run_program(ARGV(DYNAMIC, how[i]), ENV(deny_mkdir()), 1, NULL);
		struct run_result plain = run_program(ARGV(DYNAMIC, how[i]), ENV(no_policy()), 1, NULL);

		cr_expect_str_eq(native.out, "execve: -1 (Bad address)\n", "%s natively", how[i]);
		cr_expect_str_eq(dune.out, native.out, "%s under a policy (stderr: %s)", how[i],
				 dune.err);
		cr_expect_str_eq(plain.out, native.out, "%s without a policy (stderr: %s)", how[i],
				 plain.err);
		cr_expect_eq(dune.status, native.status, "%s: status %d", how[i], dune.status);
		run_result_free(&native);
		run_result_free(&dune);
		run_result_free(&plain);
	}
}

/* dune's own memory is not the program's: the kernel must not copy it into
 * the new image. Natively there is nothing there. */
Test(escape_exec, a_pointer_into_the_runtime_is_efault)
{
	const char *const how[] = { "runtime-path", "runtime-arg", "runtime-env", "runtime-envp" };

	require_kvm();
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		struct run_result native = run_program(ARGV(DYNAMIC, how[i]), NULL, 0, NULL);
		struct run_result dune = run_program(ARGV(DYNAMIC, how[i]), ENV(deny_mkdir()), 1, NULL);
		struct run_result plain = run_program(ARGV(DYNAMIC, how[i]), ENV(no_policy()), 1, NULL);

		cr_expect_str_eq(native.out, "no runtime mapping\n", "%s natively", how[i]);
		cr_expect_str_eq(dune.out, "execve: -1 (Bad address)\n", "%s under a policy (stderr: %s)",
				 how[i], dune.err);
		cr_expect_str_eq(plain.out, dune.out, "%s without a policy", how[i]);
		run_result_free(&native);
		run_result_free(&dune);
		run_result_free(&plain);
	}
}

/* dune execs a checked file through its descriptor: the new image still
 * sees the names a native exec gives it. */
Test(escape_exec, a_checked_image_keeps_its_native_names)
{
	char *alias = scratch_path("alias");
	const char *const *const runs[] = {
		ARGV(DYNAMIC, "exec", alias, "argv0", "names"),
		ARGV(DYNAMIC, "execveat", alias, "argv0", "names"),
		ARGV(DYNAMIC, "execveat-dir", scratch_dir(), "alias", "argv0", "names"),
	};

	require_kvm();
	unlink(alias);
	cr_assert_eq(symlink(DYNAMIC, alias), 0);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct run_result native = run_program(runs[i], NULL, 0, NULL);
		struct run_result dune = run_program(runs[i], ENV(deny_mkdir()), 1, NULL);

		cr_expect(strstr(native.out, "argv[0] argv0\n"), "natively: %s", native.out);
		cr_expect_str_eq(dune.out, native.out, "%s (stderr: %s)", runs[i][2], dune.err);
		run_result_free(&native);
		run_result_free(&dune);
	}
}

/* A [match] policy follows the process across exec: the image it execs
 * (/bin/mkdir) is not what the policy names, and still runs under it. */
Test(escape_exec, a_matched_policy_follows_the_process_across_exec)
{
	char *text, *env, *dir = fresh_dir("matched-exec");
	struct run_result r;

	require_kvm();
	cr_assert(asprintf(&text, "[match]\nprogram = %s\n\n[syscalls]\ndeny = mkdir, mkdirat\n",
			   DYNAMIC) > 0);
	env = policy_env("exec-match.conf", text);
	r = run_program(ARGV(DYNAMIC, "exec", "/bin/mkdir", "mkdir", dir), ENV(env), 1, NULL);
	cr_expect_neq(r.status, 0, "mkdir succeeded: %s", r.err);
	cr_expect(strstr(r.err, "Operation not permitted"), "stderr: %s", r.err);
	cr_expect_neq(access(dir, F_OK), 0, "the directory was made");
	run_result_free(&r);
	/* The image the policy does not name, started on its own: no rules. */
	r = run_program(ARGV("/bin/mkdir", dir), ENV(env), 1, NULL);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(access(dir, F_OK), 0);
	run_result_free(&r);
	rmdir(dir);
}
