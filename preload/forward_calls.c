/* forward_calls.c: which syscalls a server thread may run for a program thread.
 *
 * A server is another host thread of the same process: same memory, files,
 * cwd and credentials, but its own tid, signal mask, altstack, TLS, CPU
 * affinity and scheduling. Calls whose effect or answer depends on those
 * stay on the program's own thread (an exit), as do the calls the runtime
 * itself answers or must mirror (syscall.c), and those that change what a
 * server could do (credentials, seccomp, unshare).
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "rawsys.h"

#include "arch.h"
#include "forward.h"
#include "guest.h"
#include "procdir.h"

/* The calls that exit. The rest of the numbers below FILTER_NR may be served. */
static bool thread_bound(long nr)
{
	switch (nr) {
	/* The runtime answers or mirrors these (syscall.c). */
	case SYS_mmap: case SYS_munmap: case SYS_mprotect: case SYS_pkey_mprotect:
	case SYS_mremap: case SYS_brk: case SYS_shmat: case SYS_shmdt:
	case SYS_close: case SYS_getdents: case SYS_getdents64: case SYS_close_range:
	case SYS_dup2: case SYS_dup3:
	case SYS_rt_sigaction: case SYS_sigaltstack: case SYS_rt_sigreturn: case SYS_arch_prctl:
	case SYS_rt_sigsuspend: case SYS_ppoll: case SYS_pselect6:
	case SYS_epoll_pwait: case SYS_epoll_pwait2:
	case SYS_fork: case SYS_vfork: case SYS_clone: case SYS_clone3:
	case SYS_execve: case SYS_execveat: case SYS_exit: case SYS_exit_group:
	/* The calling thread's identity, mask, signals and per-thread state. */
	case SYS_gettid: case SYS_set_tid_address: case SYS_set_robust_list:
	case SYS_get_robust_list: case SYS_rseq:
	case SYS_rt_sigprocmask: case SYS_rt_sigpending: case SYS_rt_sigtimedwait:
	case SYS_pause: case SYS_signalfd: case SYS_signalfd4:
	/* A signal sent to ourselves is delivered before the call returns. */
	case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_rt_sigqueueinfo:
	case SYS_rt_tgsigqueueinfo: case SYS_pidfd_send_signal:
	case SYS_prctl: case SYS_personality: case SYS_seccomp: case SYS_unshare: case SYS_setns:
	case SYS_sched_setaffinity: case SYS_sched_getaffinity: case SYS_sched_setscheduler:
	case SYS_sched_getscheduler: case SYS_sched_setparam: case SYS_sched_getparam:
	case SYS_sched_setattr: case SYS_sched_getattr: case SYS_sched_yield: case SYS_getcpu:
	case SYS_getpriority: case SYS_setpriority: case SYS_ioprio_get: case SYS_ioprio_set:
	case SYS_set_mempolicy: case SYS_get_mempolicy:
	case SYS_setuid: case SYS_setgid: case SYS_setreuid: case SYS_setregid:
	case SYS_setresuid: case SYS_setresgid: case SYS_setfsuid: case SYS_setfsgid:
	case SYS_setgroups: case SYS_capget: case SYS_capset: case SYS_landlock_restrict_self:
	/* Thread CPU clocks and usage. */
	case SYS_clock_gettime: case SYS_clock_getres: case SYS_timer_create: case SYS_getrusage:
	case SYS_ptrace: case SYS_perf_event_open:
	/* io_uring: a ring's submitter task (SINGLE_ISSUER, DEFER_TASKRUN)
	 * and its task work are the calling thread; keyrings: the thread's own. */
	case SYS_io_uring_setup: case SYS_io_uring_enter: case SYS_io_uring_register:
	case SYS_keyctl: case SYS_add_key: case SYS_request_key:
		return true;
	default:
		return false;
	}
}

bool forward_eligible(long nr)
{
	return nr >= 0 && nr < FILTER_NR && !thread_bound(nr);
}

/* Signalfds: a read or poll sees the signals pending for the calling
 * thread, so on a server it would miss the program thread's. */
#define TRACKED_FDS 1024
static uint8_t signalfds[TRACKED_FDS / 8];
static int nr_signalfds; /* open ones we know of; -1: one we lost track of */

/* fd arguments are ints: the register's upper half may hold anything. */
static bool is_signalfd(long arg)
{
	int fd = (int)arg;

	if (nr_signalfds < 0)
		return true;
	return fd >= 0 && fd < TRACKED_FDS && (signalfds[fd / 8] >> (fd % 8) & 1);
}

static void mark_signalfd(long arg, bool on)
{
	int fd = (int)arg;

	if (fd < 0 || fd >= TRACKED_FDS) {
		if (on)
			__atomic_store_n(&nr_signalfds, -1, __ATOMIC_RELAXED);
		return;
	}
	if (on == !!(signalfds[fd / 8] >> (fd % 8) & 1))
		return;
	__atomic_xor_fetch(&signalfds[fd / 8], (uint8_t)(1u << (fd % 8)), __ATOMIC_RELAXED);
	/* Servers and threads count at once; lost track (-1) stays lost. */
	for (int n = __atomic_load_n(&nr_signalfds, __ATOMIC_RELAXED); n >= 0;)
		if (__atomic_compare_exchange_n(&nr_signalfds, &n, n + (on ? 1 : -1), false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
}

/* Is fd a signalfd? Asked of the kernel, for one we did not see made. */
static bool fd_is_signalfd(long fd)
{
	static const char kind[] = "anon_inode:[signalfd]";
	char target[sizeof(kind)];
	long len = procdir_fd_target(fd, target, sizeof(target));

	return len == (long)sizeof(kind) - 1 && !memcmp(target, kind, sizeof(kind) - 1);
}

/* Descriptors that came with a message (SCM_RIGHTS). The message is the
 * program's: read it without faulting; unreadable: assume the worst. */
static void note_passed_fds(long msg_addr)
{
	struct msghdr msg;
	union {
		struct cmsghdr align;
		char buf[4096];
	} control;
	long want;

	if (guest_read(&msg, (uint64_t)msg_addr, sizeof(msg)) != (long)sizeof(msg)) {
		__atomic_store_n(&nr_signalfds, -1, __ATOMIC_RELAXED);
		return;
	}
	if (!msg.msg_control || msg.msg_controllen < sizeof(struct cmsghdr))
		return;
	want = msg.msg_controllen < sizeof(control.buf) ? (long)msg.msg_controllen
							 : (long)sizeof(control.buf);
	if (guest_read(control.buf, (uint64_t)msg.msg_control, want) != want ||
	    (size_t)want < msg.msg_controllen) {
		__atomic_store_n(&nr_signalfds, -1, __ATOMIC_RELAXED);
		return;
	}
	msg.msg_control = control.buf;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		/* Another thread may have changed it since the kernel wrote it. */
		if (c->cmsg_len > msg.msg_controllen - (size_t)((char *)c - control.buf))
			break;
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; CMSG_LEN((i + 1) * sizeof(int)) <= c->cmsg_len; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (fd_is_signalfd(fd))
				mark_signalfd(fd, true);
		}
	}
}

void forward_calls_init(void)
{
	char buf[4096];
	long dir = raw_syscall6(SYS_openat, AT_FDCWD, (long)"/proc/self/fd",
				O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0), n;

	/* Signalfds that came through exec: the program's, from before. */
	if (dir < 0) {
		nr_signalfds = -1;
		return;
	}
	while ((n = raw_syscall3(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long at = 0; at < n;) {
			const struct dirent64 *d = (const struct dirent64 *)(buf + at);
			long fd = procdir_parse_number(d->d_name);

			if (fd >= 0 && fd != dir && fd_is_signalfd(fd))
				mark_signalfd(fd, true);
			at += d->d_reclen;
		}
	}
	raw_syscall1(SYS_close, dir);
}

void forward_calls_after(long nr, const long args[6], long ret)
{
	switch (nr) {
	case SYS_recvmsg:
		if (ret >= 0)
			note_passed_fds(args[1]);
		break;
	case SYS_recvmmsg: /* ret messages, each a msghdr and its length */
		for (long i = 0; i < ret; i++)
			note_passed_fds(args[1] + i * (long)sizeof(struct mmsghdr));
		break;
	case SYS_pidfd_getfd:
		if (ret >= 0 && fd_is_signalfd(ret))
			mark_signalfd(ret, true);
		break;
	case SYS_signalfd:
	case SYS_signalfd4:
		if (ret >= 0 && (int)args[0] == -1)
			mark_signalfd(ret, true);
		break;
	case SYS_close:
		if (ret == 0)
			mark_signalfd(args[0], false);
		break;
	case SYS_dup:
	case SYS_dup2:
	case SYS_dup3:
		if (ret >= 0)
			mark_signalfd(ret, is_signalfd(args[0]));
		break;
	case SYS_fcntl: /* F_DUPFD, F_DUPFD_CLOEXEC */
		if (ret >= 0 && ((int)args[1] == F_DUPFD || (int)args[1] == F_DUPFD_CLOEXEC))
			mark_signalfd(ret, is_signalfd(args[0]));
		break;
	}
}

static bool futex_thread_bound(long op)
{
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_LOCK_PI: case FUTEX_UNLOCK_PI: case FUTEX_TRYLOCK_PI:
	case FUTEX_WAIT_REQUEUE_PI: case FUTEX_CMP_REQUEUE_PI: case 13 /* FUTEX_LOCK_PI2 */:
		return true; /* the lock word holds the owner's tid */
	default:
		return false;
	}
}

/* The path is the program's: read it without faulting (a bad pointer is the
 * kernel's EFAULT to give, on the exit path). True when unreadable too. */
static bool names_thread_self(long path)
{
	static const char prefix[] = "/proc/thread-self";
	char buf[sizeof(prefix) - 1];

	if (guest_read(buf, (uint64_t)path, sizeof(buf)) != (long)sizeof(buf))
		return true; /* short or bad: the vCPU's thread finds out which */
	return !memcmp(buf, prefix, sizeof(buf));
}

bool forward_server_may_run(long nr, const long args[6])
{
	if (!forward_eligible(nr))
		return false; /* the stub's bitmap is only a hint: the host decides */
	switch (nr) {
	case SYS_futex:
		return !futex_thread_bound(args[1]);
	case SYS_open:
		return !names_thread_self(args[0]);
	case SYS_openat:
	case SYS_openat2:
		return !names_thread_self(args[1]);
	case SYS_read: case SYS_readv: case SYS_dup: case SYS_fcntl:
		return !is_signalfd(args[0]) && !procdir_status_fd(args[0]);
	case SYS_pread64: case SYS_preadv: case SYS_preadv2:
		return !procdir_status_fd(args[0]);
	case SYS_wait4: /* __WNOTHREAD: only the calling thread's children */
		return !(args[2] & 0x20000000);
	case SYS_waitid:
		return !(args[3] & 0x20000000);
	case SYS_poll: case SYS_select: case SYS_epoll_wait:
		return __atomic_load_n(&nr_signalfds, __ATOMIC_RELAXED) == 0;
	default:
		return true;
	}
}

bool forward_quick(long nr)
{
	switch (nr) {
	case SYS_getpid: case SYS_getppid: case SYS_getuid: case SYS_geteuid:
	case SYS_getgid: case SYS_getegid: case SYS_getpgrp: case SYS_getpgid: case SYS_getsid:
	case SYS_getgroups: case SYS_getresuid: case SYS_getresgid:
	case SYS_uname: case SYS_umask: case SYS_getcwd: case SYS_sysinfo: case SYS_times:
	case SYS_time: case SYS_gettimeofday: case SYS_getrlimit: case SYS_prlimit64:
	case SYS_lseek: case SYS_fstat: case SYS_stat: case SYS_lstat: case SYS_newfstatat:
	case SYS_statx: case SYS_statfs: case SYS_fstatfs: case SYS_access: case SYS_faccessat:
	case SYS_faccessat2: case SYS_readlink: case SYS_readlinkat:
	case SYS_dup: case SYS_pipe: case SYS_pipe2: case SYS_eventfd2: case SYS_epoll_create1:
	case SYS_epoll_ctl: case SYS_socket: case SYS_socketpair: case SYS_getsockname:
	case SYS_getpeername: case SYS_getsockopt: case SYS_setsockopt: case SYS_bind:
	case SYS_listen: case SYS_shutdown:
	case SYS_madvise: case SYS_mincore: case SYS_chdir: case SYS_fchdir:
	case SYS_mkdir: case SYS_mkdirat: case SYS_rmdir: case SYS_unlink: case SYS_unlinkat:
	case SYS_rename: case SYS_renameat: case SYS_renameat2: case SYS_link: case SYS_linkat:
	case SYS_symlink: case SYS_symlinkat: case SYS_chmod: case SYS_fchmod: case SYS_fchmodat:
	case SYS_chown: case SYS_fchown: case SYS_lchown: case SYS_fchownat:
	case SYS_utimensat: case SYS_getrandom: case SYS_memfd_create: case SYS_timerfd_create:
	case SYS_timerfd_settime: case SYS_timerfd_gettime: case SYS_setitimer: case SYS_getitimer:
	case SYS_alarm: case SYS_timer_settime: case SYS_timer_gettime: case SYS_timer_delete:
		return true;
	default:
		return false;
	}
}
