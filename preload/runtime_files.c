/* runtime_files.c: see runtime_files.h. */
#include "runtime_files.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rawsys.h"
#include "spans.h"

#define MAX_FILES 16

static struct {
	uint64_t dev, ino;
} files[MAX_FILES];
static int nr_files; /* written only before the program runs */

void runtime_files_add(uint64_t dev, uint64_t ino)
{
	if (nr_files < MAX_FILES && !runtime_files_holds(dev, ino))
		files[nr_files].dev = dev, files[nr_files++].ino = ino;
}

static int add_host_library(struct dl_phdr_info *info, size_t size, void *unused)
{
	struct stat st;

	(void)size, (void)unused;
	if (spans_host_library(info->dlpi_name) && !raw_syscall2(SYS_stat, info->dlpi_name, &st))
		runtime_files_add(st.st_dev, st.st_ino);
	return 0;
}

void runtime_files_init(void)
{
	dl_iterate_phdr(add_host_library, NULL);
}

bool runtime_files_holds(uint64_t dev, uint64_t ino)
{
	for (int i = 0; i < nr_files; i++)
		if (files[i].dev == dev && files[i].ino == ino)
			return true;
	return false;
}

/* With O_PATH the kernel ignores the access mode and O_TRUNC. */
static bool open_writes(uint64_t flags)
{
	return !(flags & O_PATH) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC));
}

bool runtime_files_writes(long nr, const long a[6])
{
	switch (nr) {
	case SYS_open:
		return open_writes((uint64_t)a[1]);
	case SYS_openat:
		return open_writes((uint64_t)a[2]);
	case SYS_openat2: /* a[2]: the runtime's copy of struct open_how */
		return open_writes(((const struct open_how *)a[2])->flags);
	case SYS_creat:
	case SYS_truncate:
		return true;
	default:
		return false;
	}
}

/* The file the call would open, found as the kernel will find it (the same
 * directory, resolve flags and O_NOFOLLOW) but opened O_PATH: a descriptor
 * that can neither read nor write, or a negative errno. */
static long resolve(long nr, const long a[6])
{
	const long path_only = O_PATH | O_CLOEXEC;
	const struct open_how *how = (const struct open_how *)a[2];
	struct open_how only;

	switch (nr) {
	case SYS_open:
		return raw_syscall3(SYS_openat, AT_FDCWD, a[0], path_only | (a[1] & O_NOFOLLOW));
	case SYS_openat:
		return raw_syscall3(SYS_openat, a[0], a[1], path_only | (a[2] & O_NOFOLLOW));
	case SYS_openat2:
		only = (struct open_how){ .flags = path_only | (how->flags & O_NOFOLLOW),
					  .resolve = how->resolve };
		return raw_syscall6(SYS_openat2, a[0], a[1], (long)&only, sizeof(only), 0, 0);
	default: /* creat, truncate */
		return raw_syscall3(SYS_openat, AT_FDCWD, a[0], path_only);
	}
}

long runtime_files_before(long nr, const long a[6])
{
	long fd = resolve(nr, a), r = 0;
	struct stat st;

	/* Nothing there yet: the call may make a new file. Any other failure
	 * (no descriptor left, say) is the answer: the file is unknown. */
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (!raw_syscall2(SYS_fstat, fd, &st) && runtime_files_holds(st.st_dev, st.st_ino)) {
		/* What the kernel answers one who may not write the file, else
		 * what it answers a write to a program that runs. */
		r = raw_syscall6(SYS_faccessat2, fd, (long)"", W_OK, AT_EMPTY_PATH | AT_EACCESS, 0, 0);
		r = r && r != -ENOSYS ? r : -ETXTBSY; /* ENOSYS: before Linux 5.8 */
	}
	raw_syscall1(SYS_close, fd);
	return r;
}

long runtime_files_opened(long fd, uint64_t dev, uint64_t ino)
{
	if (!runtime_files_holds(dev, ino) || (raw_syscall2(SYS_fcntl, fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
		return fd;
	raw_syscall1(SYS_close, fd);
	return -ETXTBSY;
}
