/* harness.c: see harness.h. */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
		cr_assert(*buf, "out of memory");
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static bool entry_is_audit(void)
{
	const char *entry = getenv("DUNE_TEST_ENTRY");

	return entry && !strcmp(entry, "audit");
}

struct run_result run_program(const char *const *argv, const char *const *env, int under_dune,
			      const char *stdin_path)
{
	struct run_result r = { 0 };
	size_t out_cap = 0, err_cap = 0;
	int out_pipe[2], err_pipe[2], wstatus;
	pid_t pid;

	cr_assert(pipe(out_pipe) == 0 && pipe(err_pipe) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);

		dup2(in, 0);
		dup2(out_pipe[1], 1);
		dup2(err_pipe[1], 2);
		close(out_pipe[0]);
		close(err_pipe[0]);
		unsetenv("LD_PRELOAD");
		unsetenv("LD_AUDIT");
		for (const char *const *e = env; e && *e; e++)
			putenv((char *)*e);
		/* DUNE_TEST_ENTRY=audit: the way dune-run and exec'd images enter. */
		if (under_dune && entry_is_audit())
			setenv("LD_AUDIT", DUNE_AUDIT_LIB, 1);
		else if (under_dune)
			setenv("LD_PRELOAD", DUNE_PRELOAD_LIB, 1);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	struct pollfd fds[2] = { { out_pipe[0], POLLIN, 0 }, { err_pipe[0], POLLIN, 0 } };
	int open_fds = 2;
	while (open_fds > 0) {
		char buf[65536];

		if (poll(fds, 2, -1) < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			n = read(fds[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			} else if (i == 0) {
				append(&r.out, &r.out_len, &out_cap, buf, n);
			} else {
				append(&r.err, &r.err_len, &err_cap, buf, n);
			}
		}
	}
	cr_assert(waitpid(pid, &wstatus, 0) == pid, "waitpid: %s", strerror(errno));
	r.pid = pid;
	r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	if (!r.out)
		append(&r.out, &r.out_len, &out_cap, "", 0);
	if (!r.err)
		append(&r.err, &r.err_len, &err_cap, "", 0);
	return r;
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
}

void require_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	/* Never a skip: a run without KVM has tested nothing. */
	if (fd < 0)
		cr_assert_fail("/dev/kvm is not usable here (%s): dune's tests need KVM. Run them "
			       "with scripts/test, which boots an emulated machine with KVM "
			       "(tests/vm/kvm-run) where this one has none", strerror(errno));
	close(fd);
}

int host_runs_ring0(void)
{
	return access("/sys/module/kvm_pvm", F_OK) != 0;
}

void expect_ring0_refused(const char *const *argv, const char *const *env)
{
	struct run_result r;
	const char *nl;

	require_kvm();
	r = run_program(argv, env, 1, NULL);
	nl = strchr(r.err, '\n');
	cr_expect_eq(r.status, 126, "%s at ring 0 on a PVM host: status %d, stderr: %s", argv[0],
		     r.status, r.err);
	cr_expect_eq(r.out_len, 0, "%s ran at ring 0 on a PVM host: %s", argv[0], r.out);
	cr_expect(!strncmp(r.err, "dune: ring 0", 12) && nl && !nl[1],
		  "not one dune: line saying ring 0 is refused: %s", r.err);
	cr_expect(strstr(r.err, "ring 3, the default, works"), "the line does not say ring 3 "
		  "works: %s", r.err);
	run_result_free(&r);
}

static void show_difference(const char *what, const char *native, size_t nlen, const char *dune,
			    size_t dlen)
{
	size_t i = 0;

	while (i < nlen && i < dlen && native[i] == dune[i])
		i++;
	cr_log_error("%s differs at byte %zu (native %zu bytes, dune %zu bytes)\n"
		     "native: %.200s\ndune:   %.200s", what, i, nlen, dlen,
		     native + (i > 40 ? i - 40 : 0), dune + (i > 40 ? i - 40 : 0));
}

void expect_same_as_native(const char *const *argv, const char *const *env)
{
	struct run_result native, dune;

	require_kvm();
	native = run_program(argv, env, 0, NULL);
	dune = run_program(argv, env, 1, NULL);
	if (native.out_len != dune.out_len || memcmp(native.out, dune.out, native.out_len))
		show_difference("stdout", native.out, native.out_len, dune.out, dune.out_len);
	cr_expect(native.out_len == dune.out_len && !memcmp(native.out, dune.out, native.out_len),
		  "%s: stdout under dune differs from native (stderr under dune: %.500s)", argv[0],
		  dune.err);
	cr_expect_eq(dune.status, native.status, "%s: exit status %d under dune, %d natively "
		     "(stderr under dune: %.500s)", argv[0], dune.status, native.status, dune.err);
	run_result_free(&native);
	run_result_free(&dune);
}

const char *scratch_dir(void)
{
	static char dir[64];

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/dune-test.XXXXXX");
		cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	}
	return dir;
}

char *policy_env(const char *name, const char *text)
{
	char path[512], *env;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch_dir(), name);
	f = fopen(path, "w");
	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	cr_assert(asprintf(&env, "DUNE_POLICY=%s", path) > 0);
	return env;
}

const char *make_text_file(const char *name, int lines)
{
	char path[256];
	FILE *f;
	unsigned x = 12345;

	snprintf(path, sizeof(path), "%s/%s", scratch_dir(), name);
	f = fopen(path, "w");
	cr_assert(f, "fopen %s: %s", path, strerror(errno));
	for (int i = 0; i < lines; i++) {
		x = x * 1103515245u + 12345u;
		fprintf(f, "%u line %d of the %s sample %s\n", x % 100000, i, name,
			(x >> 8) % 3 ? "alpha" : "beta");
	}
	fclose(f);
	return strdup(path);
}
