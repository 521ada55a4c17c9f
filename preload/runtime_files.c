/* runtime_files.c: see runtime_files.h. */
#include "runtime_files.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>

#include "guest.h"
#include "rawsys.h"
#include "spans.h"

#define MAX_FILES 16

static struct {
	uint64_t dev, ino;
} files[MAX_FILES];
static int nr_files; /* written only before the program runs */

void runtime_files_add(const char *path)
{
	struct stat st;

	if (!path || !path[0] || nr_files == MAX_FILES || raw_syscall2(SYS_stat, path, &st))
		return;
	if (!runtime_files_holds(st.st_dev, st.st_ino))
		files[nr_files].dev = st.st_dev, files[nr_files++].ino = st.st_ino;
}

static int add_host_library(struct dl_phdr_info *info, size_t size, void *unused)
{
	(void)size, (void)unused;
	if (spans_host_library(info->dlpi_name))
		runtime_files_add(info->dlpi_name);
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

/* Would the open or truncate of (dirfd, path) reach one of them? The
 * kernel reads the program's path here as it will for the call. */
static bool names_runtime_file(long dirfd, long path, bool follow)
{
	struct stat st;

	return raw_syscall6(SYS_newfstatat, dirfd, path, (long)&st, follow ? 0 : AT_SYMLINK_NOFOLLOW,
			    0, 0) == 0 &&
	       runtime_files_holds(st.st_dev, st.st_ino);
}

long runtime_files_before(long nr, const long a[6])
{
	struct open_how how;
	long flags;

	switch (nr) {
	case SYS_open:
		flags = a[1];
		return (flags & O_TRUNC) && names_runtime_file(AT_FDCWD, a[0], !(flags & O_NOFOLLOW))
			       ? -ETXTBSY : 0;
	case SYS_openat:
		flags = a[2];
		return (flags & O_TRUNC) && names_runtime_file(a[0], a[1], !(flags & O_NOFOLLOW))
			       ? -ETXTBSY : 0;
	case SYS_openat2:
		if (guest_read(&how, (uint64_t)a[2], sizeof(how.flags)) != sizeof(how.flags))
			return 0; /* the kernel answers EFAULT */
		return (how.flags & O_TRUNC) &&
			       names_runtime_file(a[0], a[1], !(how.flags & O_NOFOLLOW)) ? -ETXTBSY : 0;
	case SYS_creat:
	case SYS_truncate:
		return names_runtime_file(AT_FDCWD, a[0], true) ? -ETXTBSY : 0;
	default:
		return 0;
	}
}

long runtime_files_opened(long fd, uint64_t dev, uint64_t ino)
{
	if (!runtime_files_holds(dev, ino) || (raw_syscall2(SYS_fcntl, fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
		return fd;
	raw_syscall1(SYS_close, fd);
	return -ETXTBSY;
}
