/* exec.c: the new image of an execve enters dune again.
 *
 * It finds libdunepre.so through LD_PRELOAD, so when a program passes an
 * environment without it (env -i, a sanitizing launcher), the runtime adds
 * LD_PRELOAD and the DUNE_* settings it started with. The program's own
 * LD_PRELOAD entries are kept, after ours.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "guest.h"
#include "rawsys.h"

#define MAX_SETTINGS 16
#define SETTING_LEN 512
#define MAX_ENV 65536

static char preload_path[4096];
static char settings[MAX_SETTINGS][SETTING_LEN];
static int nr_settings;

void exec_init(char **environ_at_entry)
{
	Dl_info info;

	if (dladdr((void *)exec_init, &info) && info.dli_fname)
		snprintf(preload_path, sizeof(preload_path), "%s", info.dli_fname);
	for (char **e = environ_at_entry; e && *e && nr_settings < MAX_SETTINGS; e++)
		if (!strncmp(*e, "DUNE_", 5) && strlen(*e) < SETTING_LEN)
			strcpy(settings[nr_settings++], *e);
}

static int has_name(char *const *envp, size_t n, const char *entry)
{
	size_t len = strchr(entry, '=') - entry + 1;

	for (size_t i = 0; i < n; i++)
		if (!strncmp(envp[i], entry, len))
			return 1;
	return 0;
}

/* The guest's envp, checked: every pointer in readable guest memory. */
static long count_env(struct guest *g, char *const *envp)
{
	long n = 0;

	if (!envp)
		return 0;
	for (;; n++) {
		const struct vma *v = vma_find(&g->vmas, (uint64_t)&envp[n]);

		if (!v || !(v->value & PROT_READ) || n >= MAX_ENV)
			return -EFAULT;
		if (!envp[n])
			return n;
		v = vma_find(&g->vmas, (uint64_t)envp[n]);
		if (!v || !(v->value & PROT_READ))
			return -EFAULT;
	}
}

long exec_guest(struct guest *g, long nr, long a1, long a2, long a3, long a4, long a5)
{
	char *const *envp = (char *const *)(nr == SYS_execve ? a3 : a4);
	long n = count_env(g, envp), len, r;
	char **env, *preload, *theirs = NULL;
	size_t k = 0;

	if (n < 0)
		return n;
	if (!preload_path[0])
		goto plain;
	for (long i = 0; i < n; i++) {
		if (!strncmp(envp[i], "LD_PRELOAD=", 11)) {
			if (strstr(envp[i], preload_path))
				goto plain; /* already there */
			theirs = envp[i] + 11;
		}
	}
	/* Host memory for the new environment: gone with the old image on success. */
	len = (n + MAX_SETTINGS + 2) * sizeof(char *) + sizeof(preload_path) + 16 +
	      (theirs ? strlen(theirs) + 1 : 0);
	env = raw_mmap(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (!env)
		return -ENOMEM;
	preload = (char *)(env + n + MAX_SETTINGS + 2);
	snprintf(preload, len - (preload - (char *)env), "LD_PRELOAD=%s%s%s", preload_path,
		 theirs && *theirs ? ":" : "", theirs ? theirs : "");
	env[k++] = preload;
	for (long i = 0; i < n; i++)
		if (strncmp(envp[i], "LD_PRELOAD=", 11))
			env[k++] = envp[i];
	for (int i = 0; i < nr_settings; i++)
		if (!has_name(env, k, settings[i]))
			env[k++] = settings[i];
	env[k] = NULL;
	if (nr == SYS_execve)
		r = raw_syscall3(nr, a1, a2, env);
	else
		r = raw_syscall6(nr, a1, a2, a3, (long)env, a5, 0);
	raw_munmap(env, len);
	return r;
plain:
	return raw_syscall6(nr, a1, a2, a3, a4, a5, 0);
}
