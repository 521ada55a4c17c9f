/* load.c: which policy files a program reads ($DUNE_POLICY, $DUNE_POLICY_DIR, /etc/dune), in which order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

#define POLICY_DIR "/etc/dune"

/* Read a whole file into a buffer of our own; the size cap keeps a stray large file from costing memory. */
static int read_text(const char *path, char **text, size_t *len, struct policy_error *err)
{
	struct where at = { path, 0 };
	size_t cap = 4096, n = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return policy_fail_errno(err, at, -errno, "cannot open");
	for (;;) {
		ssize_t got;

		if (n == cap || !buf) {
			char *more;

			if (buf)
				cap *= 2;
			if (cap > POLICY_MAX_FILE + 1)
				cap = POLICY_MAX_FILE + 1;
			more = realloc(buf, cap);
			if (!more) {
				free(buf);
				close(fd);
				return policy_fail_errno(err, at, -ENOMEM, "cannot read");
			}
			buf = more;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			free(buf);
			close(fd);
			return policy_fail_errno(err, at, -e, "cannot read");
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > POLICY_MAX_FILE)
			break; /* parse_layer says it is too large */
	}
	close(fd);
	*text = buf;
	*len = n;
	return 0;
}

static int load_file(struct dune_policy *p, const char *path, const char *exe, struct policy_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int r = read_text(path, &text, &len, err);

	if (r < 0)
		return r;
	r = policy_add_layer(p, path, text, len, exe, false, err);
	free(text);
	return r;
}

static bool is_conf_name(const char *name)
{
	size_t n = strlen(name);

	/* Like the shell's *.conf: no hidden files, and ".conf" alone is no name. */
	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".conf");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf names in @dir, sorted; *n = 0 and no error if @dir is missing and @may_be_missing. */
static int list_dir(const char *dir, bool may_be_missing, char ***names, size_t *n, struct policy_error *err)
{
	struct where at = { dir, 0 };
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	*names = NULL;
	*n = 0;
	if (!d) {
		if (errno == ENOENT && may_be_missing)
			return 0;
		return policy_fail_errno(err, at, -errno, "cannot open the policy directory");
	}
	while ((e = readdir(d))) {
		char *name;

		if (!is_conf_name(e->d_name))
			continue;
		if (*n == POLICY_MAX_FILES) {
			r = policy_fail(err, at, "more than %d *.conf files (expected a few policy files)",
					POLICY_MAX_FILES);
			break;
		}
		if (!*names)
			*names = malloc(POLICY_MAX_FILES * sizeof(**names));
		name = *names ? strdup(e->d_name) : NULL;
		if (!name) {
			r = policy_fail_errno(err, at, -ENOMEM, "cannot read the policy directory");
			break;
		}
		(*names)[(*n)++] = name;
	}
	closedir(d);
	if (r == 0 && *n)
		qsort(*names, *n, sizeof(**names), by_name);
	return r;
}

static int load_dir(struct dune_policy *p, const char *dir, bool may_be_missing, const char *exe,
		    struct policy_error *err)
{
	char **names, path[PATH_MAX];
	size_t n;
	int r = list_dir(dir, may_be_missing, &names, &n, err);

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct stat sb;

		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path)) {
			r = policy_fail_errno(err, (struct where){ dir, 0 }, -ENAMETOOLONG, names[i]);
			break;
		}
		/* A directory that happens to be called x.conf holds no policy. */
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			continue;
		r = load_file(p, path, exe, err);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int policy_load_for(struct dune_policy *p, const char *exe_path, struct policy_error *err)
{
	/* secure_getenv: a set-user-ID program must not take its policy from its caller. */
	const char *file = secure_getenv("DUNE_POLICY");
	const char *dir = secure_getenv("DUNE_POLICY_DIR");
	int r;

	if (file && *file)
		r = load_file(p, file, exe_path, err);
	else if (dir && *dir)
		r = load_dir(p, dir, false, exe_path, err);
	else
		r = load_dir(p, POLICY_DIR, true, exe_path, err);
	if (r < 0 || !p->state)
		return r;
	return resolve(p, err);
}

int policy_load(struct dune_policy *p, struct policy_error *err)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	/* Without /proc the path is unknown, and only files without [match] apply. */
	if (n > 0)
		exe[n] = '\0';
	return policy_load_for(p, n > 0 ? exe : NULL, err);
}
