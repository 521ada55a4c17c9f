/* sysargs.c: see sysargs.h. */
#include "sysargs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/ioctl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "fds.h"
#include "guest.h"
#include "procdir.h"
#include "rawsys.h"
#include "runtime_files.h"
#include "spans.h"

#define N    ARG_NUM
#define P    ARG_PTR
#define B    ARG_BUF
#define F    ARG_FD
#define T    ARG_TID
#define IOV  ARG_IOV
#define MSG  ARG_MSG
#define MMSG ARG_MMSG
#define SEV  ARG_SIGEV
#define WV   ARG_WAITV
#define IOC  ARG_IOCTL
#define MM   ARG_MM

#define RULE(nr, ...) [nr] = { .arg = { __VA_ARGS__ } }
#define REFUSE(nr, err) [nr] = { .refuse = (err) }

/* Every argument the kernel dereferences or takes as a descriptor or a
 * thread; anything not named is a number. Calls the runtime handles itself
 * (signals, clone, exec, arch_prctl) check their pointers there too. */
static const struct sysargs_rule table[] = {
	RULE(SYS_read, F, B), RULE(SYS_write, F, B), RULE(SYS_open, P),
	RULE(SYS_close, F), RULE(SYS_stat, P, P), RULE(SYS_fstat, F, P), RULE(SYS_lstat, P, P),
	RULE(SYS_poll, P), RULE(SYS_lseek, F), RULE(SYS_mmap, MM), RULE(SYS_mprotect, MM),
	RULE(SYS_munmap, MM), RULE(SYS_rt_sigaction, N, P, P), RULE(SYS_rt_sigprocmask, N, P, P),
	RULE(SYS_ioctl, F, N, IOC), RULE(SYS_pread64, F, B), RULE(SYS_pwrite64, F, B),
	RULE(SYS_readv, F, IOV), RULE(SYS_writev, F, IOV), RULE(SYS_access, P), RULE(SYS_pipe, P),
	RULE(SYS_select, N, P, P, P, P), RULE(SYS_mremap, MM), RULE(SYS_msync, MM),
	RULE(SYS_mincore, MM, N, P), RULE(SYS_madvise, MM), RULE(SYS_shmat, N, MM),
	RULE(SYS_shmctl, N, N, P), RULE(SYS_dup, F), RULE(SYS_dup2, F), RULE(SYS_nanosleep, P, P),
	RULE(SYS_getitimer, N, P), RULE(SYS_setitimer, N, P, P), RULE(SYS_sendfile, F, F, P),
	RULE(SYS_connect, F, B), RULE(SYS_accept, F, P, P), RULE(SYS_sendto, F, B, N, N, B),
	RULE(SYS_recvfrom, F, B, N, N, P, P), RULE(SYS_sendmsg, F, MSG), RULE(SYS_recvmsg, F, MSG),
	RULE(SYS_shutdown, F), RULE(SYS_bind, F, B), RULE(SYS_listen, F),
	RULE(SYS_getsockname, F, P, P), RULE(SYS_getpeername, F, P, P),
	RULE(SYS_socketpair, N, N, N, P), RULE(SYS_setsockopt, F, N, N, B),
	RULE(SYS_getsockopt, F, N, N, P, P), RULE(SYS_clone, N, N, P, P),
	RULE(SYS_execve, P, P, P), RULE(SYS_wait4, N, P, N, P), RULE(SYS_kill, T),
	RULE(SYS_uname, P), RULE(SYS_semop, N, P), RULE(SYS_semctl, N, N, N, P), RULE(SYS_shmdt, MM),
	RULE(SYS_msgsnd, N, P), RULE(SYS_msgrcv, N, P), RULE(SYS_msgctl, N, N, P),
	RULE(SYS_fcntl, F, N, P), RULE(SYS_flock, F), RULE(SYS_fsync, F), RULE(SYS_fdatasync, F),
	RULE(SYS_truncate, P), RULE(SYS_ftruncate, F), RULE(SYS_getdents, F, B), RULE(SYS_getcwd, B),
	RULE(SYS_chdir, P), RULE(SYS_fchdir, F), RULE(SYS_rename, P, P), RULE(SYS_mkdir, P),
	RULE(SYS_rmdir, P), RULE(SYS_creat, P), RULE(SYS_link, P, P), RULE(SYS_unlink, P),
	RULE(SYS_symlink, P, P), RULE(SYS_readlink, P, B), RULE(SYS_chmod, P), RULE(SYS_fchmod, F),
	RULE(SYS_chown, P), RULE(SYS_fchown, F), RULE(SYS_lchown, P), RULE(SYS_gettimeofday, P, P),
	RULE(SYS_getrlimit, N, P), RULE(SYS_getrusage, N, P), RULE(SYS_sysinfo, P), RULE(SYS_times, P),
	/* ptrace and its kin reach into other processes' runtimes (a forked
	 * child's): its registers, its memory, its descriptors. */
	REFUSE(SYS_ptrace, EPERM),
	RULE(SYS_getgroups, N, P), RULE(SYS_setgroups, N, P), RULE(SYS_getresuid, P, P, P),
	RULE(SYS_getresgid, P, P, P), RULE(SYS_getpgid, T), RULE(SYS_getsid, T), RULE(SYS_setpgid, T),
	RULE(SYS_capget, P, P), RULE(SYS_capset, P, P), RULE(SYS_rt_sigpending, P),
	RULE(SYS_rt_sigtimedwait, P, P, P), RULE(SYS_rt_sigqueueinfo, T, N, P),
	RULE(SYS_rt_sigsuspend, P), RULE(SYS_sigaltstack, P, P), RULE(SYS_utime, P, P),
	RULE(SYS_mknod, P), RULE(SYS_uselib, P), RULE(SYS_ustat, N, P), RULE(SYS_statfs, P, P),
	RULE(SYS_fstatfs, F, P), RULE(SYS_sysfs, N, P, P),
	RULE(SYS_sched_setparam, T, P), RULE(SYS_sched_getparam, T, P),
	RULE(SYS_sched_setscheduler, T, N, P), RULE(SYS_sched_getscheduler, T),
	RULE(SYS_sched_rr_get_interval, T, P), RULE(SYS_mlock, MM), RULE(SYS_munlock, MM),
	RULE(SYS_modify_ldt, N, B), RULE(SYS_pivot_root, P, P), RULE(SYS__sysctl, P),
	RULE(SYS_prctl, N, P, P, P, P), RULE(SYS_adjtimex, P), RULE(SYS_setrlimit, N, P),
	RULE(SYS_chroot, P), RULE(SYS_acct, P), RULE(SYS_settimeofday, P, P),
	RULE(SYS_mount, P, P, P, N, P), RULE(SYS_umount2, P), RULE(SYS_swapon, P),
	RULE(SYS_swapoff, P), RULE(SYS_reboot, N, N, N, P), RULE(SYS_sethostname, B),
	RULE(SYS_setdomainname, B), RULE(SYS_init_module, B, N, P), RULE(SYS_delete_module, P),
	RULE(SYS_quotactl, N, P, N, P), RULE(SYS_readahead, F),
	RULE(SYS_setxattr, P, P, B), RULE(SYS_lsetxattr, P, P, B), RULE(SYS_fsetxattr, F, P, B),
	RULE(SYS_getxattr, P, P, B), RULE(SYS_lgetxattr, P, P, B), RULE(SYS_fgetxattr, F, P, B),
	RULE(SYS_listxattr, P, B), RULE(SYS_llistxattr, P, B), RULE(SYS_flistxattr, F, B),
	RULE(SYS_removexattr, P, P), RULE(SYS_lremovexattr, P, P), RULE(SYS_fremovexattr, F, P),
	RULE(SYS_tkill, T), RULE(SYS_time, P), RULE(SYS_futex, P, N, N, P, P),
	RULE(SYS_sched_setaffinity, T, N, P), RULE(SYS_sched_getaffinity, T, N, P),
	RULE(SYS_set_thread_area, P), RULE(SYS_get_thread_area, P),
	RULE(SYS_io_setup, N, P), RULE(SYS_io_getevents, N, N, N, P, P), RULE(SYS_io_submit, N, N, P),
	RULE(SYS_io_cancel, N, P, P), RULE(SYS_lookup_dcookie, N, B),
	RULE(SYS_remap_file_pages, MM), RULE(SYS_getdents64, F, B), RULE(SYS_set_tid_address, P),
	RULE(SYS_semtimedop, N, P, N, P), RULE(SYS_fadvise64, F), RULE(SYS_timer_create, N, SEV, P),
	RULE(SYS_timer_settime, N, N, P, P), RULE(SYS_timer_gettime, N, P),
	RULE(SYS_clock_settime, N, P), RULE(SYS_clock_gettime, N, P), RULE(SYS_clock_getres, N, P),
	RULE(SYS_clock_nanosleep, N, N, P, P), RULE(SYS_epoll_wait, F, P),
	RULE(SYS_epoll_ctl, F, N, F, P), RULE(SYS_tgkill, N, T), RULE(SYS_utimes, P, P),
	RULE(SYS_mbind, MM, N, N, P), RULE(SYS_set_mempolicy, N, P),
	RULE(SYS_get_mempolicy, P, P), RULE(SYS_mq_open, P, N, N, P), RULE(SYS_mq_unlink, P),
	RULE(SYS_mq_timedsend, F, B, N, P), RULE(SYS_mq_timedreceive, F, B, P, P),
	RULE(SYS_mq_notify, F, SEV), RULE(SYS_mq_getsetattr, F, P, P),
	RULE(SYS_kexec_load, N, N, P), RULE(SYS_waitid, N, N, P, N, P),
	RULE(SYS_add_key, P, P, B), RULE(SYS_request_key, P, P, P), RULE(SYS_keyctl, N, P, P, P, P),
	RULE(SYS_inotify_add_watch, F, P), RULE(SYS_inotify_rm_watch, F),
	RULE(SYS_migrate_pages, T, N, P, P), RULE(SYS_openat, F, P), RULE(SYS_mkdirat, F, P),
	RULE(SYS_mknodat, F, P), RULE(SYS_fchownat, F, P), RULE(SYS_futimesat, F, P, P),
	RULE(SYS_newfstatat, F, P, P), RULE(SYS_unlinkat, F, P), RULE(SYS_renameat, F, P, F, P),
	RULE(SYS_linkat, F, P, F, P), RULE(SYS_symlinkat, P, F, P), RULE(SYS_readlinkat, F, P, B),
	RULE(SYS_fchmodat, F, P), RULE(SYS_faccessat, F, P), RULE(SYS_pselect6, N, P, P, P, P, P),
	RULE(SYS_ppoll, P, N, P, P), RULE(SYS_set_robust_list, P),
	RULE(SYS_get_robust_list, T, P, P), RULE(SYS_splice, F, P, F, P), RULE(SYS_tee, F, F),
	RULE(SYS_sync_file_range, F), RULE(SYS_vmsplice, F, IOV), RULE(SYS_move_pages, T, N, P, P, P),
	RULE(SYS_utimensat, F, P, P), RULE(SYS_epoll_pwait, F, P, N, N, P),
	RULE(SYS_signalfd, F, P), RULE(SYS_fallocate, F), RULE(SYS_timerfd_settime, F, N, P, P),
	RULE(SYS_timerfd_gettime, F, P), RULE(SYS_accept4, F, P, P), RULE(SYS_signalfd4, F, P),
	RULE(SYS_dup3, F), RULE(SYS_pipe2, P), RULE(SYS_preadv, F, IOV), RULE(SYS_pwritev, F, IOV),
	RULE(SYS_rt_tgsigqueueinfo, N, T, N, P),
	/* Paranoid hosts refuse it too; its attributes can watch runtime addresses. */
	REFUSE(SYS_perf_event_open, EACCES),
	RULE(SYS_recvmmsg, F, MMSG, N, N, P), RULE(SYS_fanotify_mark, F, N, N, F, P),
	RULE(SYS_prlimit64, T, N, P, P), RULE(SYS_name_to_handle_at, F, P, P, P),
	RULE(SYS_open_by_handle_at, F, P), RULE(SYS_clock_adjtime, N, P), RULE(SYS_syncfs, F),
	RULE(SYS_sendmmsg, F, MMSG), RULE(SYS_setns, F), RULE(SYS_getcpu, P, P, P),
	RULE(SYS_process_vm_readv, T, IOV, N, IOV), RULE(SYS_process_vm_writev, T, IOV, N, IOV),
	RULE(SYS_kcmp, T, T), RULE(SYS_finit_module, F, P),
	RULE(SYS_sched_setattr, T, P), RULE(SYS_sched_getattr, T, P),
	RULE(SYS_renameat2, F, P, F, P),
	/* A filter would judge the runtime's own calls (KVM_RUN) and kill it
	 * without a word; EINVAL is what a kernel without filters answers. */
	REFUSE(SYS_seccomp, EINVAL),
	RULE(SYS_getrandom, B), RULE(SYS_memfd_create, P), RULE(SYS_kexec_file_load, F, F, N, P),
	/* Its attributes hold pointers and descriptors; unprivileged hosts refuse it. */
	REFUSE(SYS_bpf, EPERM),
	RULE(SYS_execveat, F, P, P, P),
	/* It would let the kernel fill runtime pages (UFFDIO_COPY); unprivileged
	 * hosts refuse it by default (vm.unprivileged_userfaultfd). */
	REFUSE(SYS_userfaultfd, EPERM),
	RULE(SYS_mlock2, MM), RULE(SYS_copy_file_range, F, P, F, P),
	RULE(SYS_preadv2, F, IOV), RULE(SYS_pwritev2, F, IOV), RULE(SYS_pkey_mprotect, MM),
	RULE(SYS_statx, F, P, N, N, P), RULE(SYS_io_pgetevents, N, N, N, P, P, P),
	RULE(SYS_rseq, P), RULE(SYS_pidfd_send_signal, F, N, P),
	RULE(SYS_io_uring_setup, N, P), RULE(SYS_io_uring_enter, F, N, N, N, P),
	RULE(SYS_io_uring_register, F, N, P), RULE(SYS_open_tree, F, P),
	RULE(SYS_move_mount, F, P, F, P), RULE(SYS_fsopen, P), RULE(SYS_fsconfig, F, N, P, P),
	RULE(SYS_fsmount, F), RULE(SYS_fspick, F, P), RULE(SYS_pidfd_open, T),
	RULE(SYS_clone3, P), RULE(SYS_openat2, F, P, P),
	/* It takes a descriptor out of another process: a forked child's runtime. */
	REFUSE(SYS_pidfd_getfd, EPERM),
	RULE(SYS_faccessat2, F, P), RULE(SYS_process_madvise, F, IOV), RULE(SYS_epoll_pwait2, F, P, N, P, P),
	RULE(SYS_mount_setattr, F, P, N, P), RULE(SYS_quotactl_fd, F, N, N, P),
	RULE(SYS_landlock_create_ruleset, P), RULE(SYS_landlock_add_rule, F, N, P),
	RULE(SYS_landlock_restrict_self, F),
	/* Its pages cannot be mapped into the guest; hosts without it say ENOSYS. */
	REFUSE(SYS_memfd_secret, ENOSYS),
	RULE(SYS_process_mrelease, F), RULE(SYS_futex_waitv, WV, N, N, P),
	RULE(SYS_set_mempolicy_home_node, MM),
};

#define TABLE_LEN ((long)(sizeof(table) / sizeof(table[0])))

static const struct sysargs_rule plain;

const struct sysargs_rule *sysargs_rule(long nr)
{
	return nr >= 0 && nr < TABLE_LEN ? &table[nr] : &plain;
}

bool sysargs_plain(long nr)
{
	const struct sysargs_rule *r = sysargs_rule(nr);

	for (int i = 0; i < 6; i++)
		if (r->arg[i] != ARG_NUM)
			return false;
	return r->refuse == 0 && !sysargs_vcpu_only(nr);
}

bool sysargs_vcpu_only(long nr)
{
	const struct sysargs_rule *r = sysargs_rule(nr);

	for (int i = 0; i < 6; i++)
		if (r->arg[i] == ARG_TID || r->arg[i] == ARG_SIGEV)
			return true;
	switch (nr) { /* decided from the guest's state or after the call */
	case SYS_getpriority: case SYS_setpriority: case SYS_ioprio_get: case SYS_ioprio_set:
	case SYS_io_uring_setup: case SYS_io_setup:
		return true;
	default:
		return false;
	}
}

/* ---- threads ---- */

bool sysargs_runtime_thread(struct guest *g, long arg)
{
	int tid = (int)arg; /* pid_t, as the kernel reads it */
	char path[40] = "/proc/self/task/";
	struct stat st;

	if (tid <= 0 || tid == raw_syscall0(SYS_getpid) || procdir_guest_thread(g, tid))
		return false;
	/* Not one of the program's: is it in this thread group at all? */
	path[16 + procdir_format_ulong(path + 16, (unsigned int)tid)] = '\0';
	return raw_syscall2(SYS_stat, path, &st) == 0;
}

/* ---- memory ---- */

/* Scratch memory for the copies of one call, per vCPU. */
#define SCRATCH_SIZE (512u << 10)  /* address space: pages are made as they are used */
#define CONTROL_MAX  (256u << 10)  /* more ancillary data than a socket takes (optmem_max) */
#define WAITV_MAX    128           /* FUTEX_WAITV_MAX */

struct scratch {
	uint8_t **base; /* the vCPU's, made on first use */
	size_t used;
};

uint8_t *sysargs_scratch_new(void)
{
	return raw_mmap(SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			-1);
}

static void *take(struct scratch *s, size_t n)
{
	void *p;

	if (!*s->base)
		*s->base = sysargs_scratch_new();
	n = (n + 15) & ~(size_t)15;
	if (!*s->base || n > SCRATCH_SIZE - s->used)
		return NULL;
	p = *s->base + s->used;
	s->used += n;
	return p;
}

static bool bad(uint64_t addr, uint64_t len)
{
	return spans_overlap(addr, len);
}

/* n bytes of the program's memory at src, as the kernel would copy them. */
static bool copy_in(void *dst, uint64_t src, size_t n)
{
	return n == 0 || guest_read(dst, src, (long)n) == (long)n;
}

/* The same into scratch memory: the copy, or NULL with *err -ENOMEM (no
 * scratch left) or -EFAULT (as the kernel answers). */
static void *copy_new(struct scratch *s, uint64_t src, size_t n, long *err)
{
	void *p = take(s, n);

	*err = !p ? -ENOMEM : !copy_in(p, src, n) ? -EFAULT : 0;
	return *err ? NULL : p;
}

static void copy_out(uint64_t dst, const void *src, size_t n)
{
	guest_write(dst, src, (long)n);
}

/* An iovec array: copied, every buffer checked. *out: the copy. */
static long copy_iov(struct scratch *s, uint64_t addr, uint64_t count, uint64_t *out)
{
	struct iovec *iov;
	long r;

	if (count == 0) {
		*out = addr;
		return 0;
	}
	if (count > UIO_MAXIOV)
		return -EINVAL;
	if (!(iov = copy_new(s, addr, count * sizeof(*iov), &r)))
		return r;
	for (uint64_t i = 0; i < count; i++)
		if (iov[i].iov_len && bad((uint64_t)iov[i].iov_base, iov[i].iov_len))
			return -EFAULT;
	*out = (uint64_t)iov;
	return 0;
}

/* The descriptors a message passes: none may be the runtime's. */
static long check_rights(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		const int *fd = (const int *)CMSG_DATA(c);
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (c->cmsg_len < CMSG_LEN(0) || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < n; i++)
			if (fd_is_runtime(fd[i]))
				return -EBADF;
	}
	return 0;
}

/* A msghdr already copied into m: its iovecs and, when sent, its control
 * data are copied too, and every pointer checked. */
static long copy_msg_parts(struct scratch *s, struct msghdr *m, bool sent)
{
	uint64_t iov;
	long r;

	if (m->msg_name && m->msg_namelen && bad((uint64_t)m->msg_name, m->msg_namelen))
		return -EFAULT;
	if (m->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	if ((r = copy_iov(s, (uint64_t)m->msg_iov, m->msg_iovlen, &iov)))
		return r;
	m->msg_iov = (struct iovec *)iov;
	if (!m->msg_control || !m->msg_controllen)
		return 0;
	if (bad((uint64_t)m->msg_control, m->msg_controllen))
		return -EFAULT;
	if (sent) {
		void *control;

		if (m->msg_controllen > CONTROL_MAX)
			return -ENOBUFS;
		if (!(control = copy_new(s, (uint64_t)m->msg_control, m->msg_controllen, &r)))
			return r;
		m->msg_control = control;
		return check_rights(m);
	}
	return 0;
}

static long copy_msg(struct scratch *s, uint64_t addr, bool sent, uint64_t *out)
{
	long r;
	struct msghdr *m = copy_new(s, addr, sizeof(*m), &r);

	if (!m)
		return r;
	*out = (uint64_t)m;
	return copy_msg_parts(s, m, sent);
}

/* The messages of sendmmsg or recvmmsg. A message the kernel would fail on
 * after the first ends the batch there, as the kernel ends it: *count
 * becomes the messages before it, and the call goes on with those. */
static long copy_mmsg(struct scratch *s, uint64_t addr, uint64_t *count, bool sent, uint64_t *out)
{
	struct mmsghdr *mm;
	uint64_t n = *count < UIO_MAXIOV ? *count : UIO_MAXIOV; /* the kernel's cap */
	long r;

	if (n == 0) {
		*out = addr;
		return 0;
	}
	if (!(mm = copy_new(s, addr, n * sizeof(*mm), &r)))
		return r;
	for (uint64_t i = 0; i < n; i++)
		if ((r = copy_msg_parts(s, &mm[i].msg_hdr, sent))) {
			if (i == 0)
				return r;
			n = i;
			break;
		}
	*count = n;
	*out = (uint64_t)mm;
	return 0;
}

/* A sigevent may send its signal to one thread (SIGEV_THREAD_ID). */
static long copy_sigevent(struct guest *g, struct scratch *s, uint64_t addr, uint64_t *out)
{
	struct sigevent *e;
	long r;

	if (!addr) {
		*out = 0;
		return 0;
	}
	if (!(e = copy_new(s, addr, sizeof(*e), &r)))
		return r;
	if ((e->sigev_notify & SIGEV_THREAD_ID) && sysargs_runtime_thread(g, e->_sigev_un._tid))
		return -EINVAL;
	*out = (uint64_t)e;
	return 0;
}

static long copy_waitv(struct scratch *s, uint64_t addr, uint64_t count, uint64_t *out)
{
	struct futex_waitv *w;
	long r;

	if (count == 0 || count > WAITV_MAX)
		return -EINVAL;
	if (!(w = copy_new(s, addr, count * sizeof(*w), &r)))
		return r;
	for (uint64_t i = 0; i < count; i++)
		if (bad(w[i].uaddr, 4))
			return -EFAULT;
	*out = (uint64_t)w;
	return 0;
}

/* The memory-map calls: the runtime's ranges are memory the process does
 * not have, and cannot be given (munmap in syscall.c skips them). */
static long memory_rule(long nr, const long a[6])
{
	uint64_t addr = (uint64_t)a[0], len = (uint64_t)a[1];

	/* The host's code (spans.h) may be read and run, never changed: every
	 * call that would remap, unmap or reprotect it is refused. */
	if (nr != SYS_brk && nr != SYS_mmap && nr != SYS_shmat && nr != SYS_mincore && nr != SYS_msync &&
	    nr != SYS_mlock && nr != SYS_munlock && nr != SYS_mlock2 &&
	    spans_sealed(addr, nr == SYS_mremap && !len ? 1 : len))
		return -EPERM;
	if ((nr == SYS_mremap && (a[3] & MREMAP_FIXED) && spans_sealed((uint64_t)a[4], (uint64_t)a[2])) ||
	    (nr == SYS_mmap && (a[3] & MAP_FIXED) && spans_sealed(addr, len)) ||
	    (nr == SYS_shmat && a[1] && spans_sealed((uint64_t)a[1], PAGE_SIZE)))
		return -EPERM;
	switch (nr) {
	case SYS_mmap:
		if (!(a[3] & MAP_ANONYMOUS) && fd_is_runtime(a[4]))
			return -EBADF;
		if (!(a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) || !bad(addr, len))
			return 0;
		return a[3] & MAP_FIXED_NOREPLACE ? -EEXIST : -ENOMEM;
	case SYS_mremap:
		if (bad(addr, len ? len : 1))
			return -EFAULT;
		return (a[3] & MREMAP_FIXED) && bad((uint64_t)a[4], (uint64_t)a[2]) ? -ENOMEM : 0;
	case SYS_shmat: {
		struct shmid_ds ds;
		uint64_t size = raw_syscall3(SYS_shmctl, a[0], IPC_STAT, &ds) ? PAGE_SIZE : ds.shm_segsz;

		return a[1] && bad((uint64_t)a[1], size) ? -EINVAL : 0;
	}
	case SYS_shmdt:
		return bad(addr, 1) ? -EINVAL : 0;
	case SYS_munmap:
	case SYS_brk:
		return 0; /* munmap: syscall.c; brk: the kernel keeps it off every mapping */
	case SYS_mbind:
		return bad(addr, len) ? -EFAULT : 0;
	case SYS_remap_file_pages:
		return bad(addr, len) ? -EINVAL : 0;
	default: /* mprotect, madvise, mlock, msync, mincore and the like */
		return bad(addr, len) ? -ENOMEM : 0;
	}
}

/* ---- the checks ---- */

/* The kinds that need only the registers. */
static long check_simple(struct guest *g, long nr, int kind, const long a[6], int i)
{
	uint64_t x = (uint64_t)a[i];

	switch (kind) {
	case ARG_PTR:
		return x && bad(x, 1) ? -EFAULT : 0;
	case ARG_BUF:
		return x && bad(x, i < 5 ? (uint64_t)a[i + 1] : 1) ? -EFAULT : 0;
	case ARG_FD:
		return fd_is_runtime(a[i]) ? -EBADF : 0;
	case ARG_TID:
		return sysargs_runtime_thread(g, a[i]) ? -ESRCH : 0;
	case ARG_IOCTL: {
		uint64_t size = _IOC_DIR(a[i - 1]) != _IOC_NONE ? _IOC_SIZE(a[i - 1]) : 1;

		return x && bad(x, size ? size : 1) ? -EFAULT : 0;
	}
	case ARG_MM:
		return i == 0 || (nr == SYS_shmat && i == 1) ? memory_rule(nr, a) : 0;
	default:
		return 0;
	}
}

/* Calls whose check depends on another argument. */
static long check_who(struct guest *g, long nr, const long a[6])
{
	switch (nr) {
	case SYS_getpriority:
	case SYS_setpriority:
		return a[0] == PRIO_PROCESS && sysargs_runtime_thread(g, a[1]) ? -ESRCH : 0;
	case SYS_ioprio_get:
	case SYS_ioprio_set:
		return a[0] == 1 /* IOPRIO_WHO_PROCESS */ && sysargs_runtime_thread(g, a[1]) ? -ESRCH : 0;
	case SYS_fanotify_init: /* its events would hand over descriptors open for writing,
				 * dune's files among them (runtime_files.h) */
		return (a[1] & O_ACCMODE) != O_RDONLY ? -EPERM : 0;
	case SYS_prctl: /* PR_SET_SECCOMP: a filter, or strict mode, as seccomp() */
		return a[0] == 22 ? -EINVAL : 0;
	case SYS_process_vm_readv:
	case SYS_process_vm_writev:
		/* Another process may be a forked child, with a runtime of its own. */
		return (int)a[0] != raw_syscall0(SYS_getpid) ? -EPERM : 0;
	default:
		return 0;
	}
}

static bool known(long nr)
{
	return nr >= 0 && nr < dune_syscall_count && dune_syscall_names[nr];
}

long sysargs_check_registers(struct guest *g, long nr, const long a[6])
{
	const struct sysargs_rule *rule;
	long r;

	if (!known(nr))
		return -ENOSYS; /* as a kernel that predates it: the table cannot judge it */
	rule = sysargs_rule(nr);
	if (rule->refuse)
		return -(long)rule->refuse;
	for (int i = 0; i < 6; i++)
		if (rule->arg[i] != ARG_NUM && (r = check_simple(g, nr, rule->arg[i], a, i)))
			return r;
	return check_who(g, nr, a);
}

/* A path the kernel will read, copied (up to PATH_MAX bytes) so that the
 * file checked is the file opened. *out: the copy. */
static long copy_path(struct scratch *s, uint64_t addr, uint64_t *out)
{
	char *p = take(s, PATH_MAX);

	if (!p)
		return -ENOMEM;
	for (size_t done = 0, chunk; done < PATH_MAX; done += chunk) {
		chunk = PAGE_SIZE - ((addr + done) & (PAGE_SIZE - 1));
		chunk = chunk < PATH_MAX - done ? chunk : PATH_MAX - done;
		if (!copy_in(p + done, addr + done, chunk))
			return -EFAULT;
		if (memchr(p + done, 0, chunk)) {
			*out = (uint64_t)p;
			return 0;
		}
	}
	return -ENAMETOOLONG; /* no NUL in PATH_MAX bytes: as the kernel answers */
}

/* An open for writing, a truncation: the path (and openat2's how) are
 * copied first, then the file they name is checked (runtime_files.h). */
static long check_runtime_files(struct scratch *s, long nr, long a[6])
{
	int path = nr == SYS_openat || nr == SYS_openat2;
	uint64_t copy;
	long r;

	if (nr != SYS_open && nr != SYS_openat && nr != SYS_openat2 && nr != SYS_creat &&
	    nr != SYS_truncate)
		return 0;
	if (nr == SYS_openat2) {
		/* The kernel's own EFAULT, E2BIG or EINVAL for a size it refuses. */
		if ((uint64_t)a[3] < sizeof(struct open_how) || (uint64_t)a[3] > PAGE_SIZE)
			return 0;
		if (!(copy = (uint64_t)copy_new(s, (uint64_t)a[2], (size_t)a[3], &r)))
			return r;
		a[2] = (long)copy;
	}
	if (!runtime_files_writes(nr, a))
		return 0;
	if ((r = copy_path(s, (uint64_t)a[path], &copy)))
		return r;
	a[path] = (long)copy;
	return runtime_files_before(nr, a);
}

long sysargs_prepare(struct guest *g, uint8_t **scratch, long nr, long a[6])
{
	const struct sysargs_rule *rule;
	struct scratch s = { scratch, 0 };
	uint64_t copy;
	long r;

	if ((r = sysargs_check_registers(g, nr, a)))
		return r;
	if ((nr == SYS_io_uring_setup || nr == SYS_io_setup) && !g->policy.async_io_allowed)
		return -EPERM; /* the kernel would write memory later, unchecked */
	if ((r = enforce_refused(g, nr, a)))
		return r;
	rule = sysargs_rule(nr);
	for (int i = 0; i < 6; i++) {
		switch (rule->arg[i]) {
		case ARG_IOV:
			r = copy_iov(&s, (uint64_t)a[i], (uint64_t)a[i + 1], &copy);
			break;
		case ARG_MSG:
			r = copy_msg(&s, (uint64_t)a[i], nr == SYS_sendmsg, &copy);
			break;
		case ARG_MMSG: {
			uint64_t count = (uint64_t)a[i + 1];

			r = copy_mmsg(&s, (uint64_t)a[i], &count, nr == SYS_sendmmsg, &copy);
			if (!r && count != (uint64_t)a[i + 1])
				a[i + 1] = (long)count; /* a later message is bad: the batch ends before it */
			break;
		}
		case ARG_SIGEV:
			r = copy_sigevent(g, &s, (uint64_t)a[i], &copy);
			break;
		case ARG_WAITV:
			r = copy_waitv(&s, (uint64_t)a[i], (uint64_t)a[i + 1], &copy);
			break;
		default:
			continue;
		}
		if (r)
			return r;
		a[i] = (long)copy;
	}
	return check_runtime_files(&s, nr, a);
}

void sysargs_finish(long nr, const long orig[6], const long a[6], long ret)
{
	if (ret < 0)
		return;
	if (nr == SYS_recvmsg && a[1] != orig[1]) {
		const struct msghdr *m = (const struct msghdr *)a[1];

		copy_out((uint64_t)orig[1] + offsetof(struct msghdr, msg_namelen), &m->msg_namelen,
			 sizeof(m->msg_namelen));
		copy_out((uint64_t)orig[1] + offsetof(struct msghdr, msg_controllen),
			 &m->msg_controllen, sizeof(m->msg_controllen));
		copy_out((uint64_t)orig[1] + offsetof(struct msghdr, msg_flags), &m->msg_flags,
			 sizeof(m->msg_flags));
	}
	if ((nr == SYS_recvmmsg || nr == SYS_sendmmsg) && a[1] != orig[1]) {
		const struct mmsghdr *mm = (const struct mmsghdr *)a[1];

		for (long i = 0; i < ret; i++) {
			uint64_t at = (uint64_t)orig[1] + (uint64_t)i * sizeof(*mm);

			copy_out(at + offsetof(struct mmsghdr, msg_len), &mm[i].msg_len,
				 sizeof(mm[i].msg_len));
			if (nr == SYS_sendmmsg)
				continue;
			copy_out(at + offsetof(struct msghdr, msg_namelen), &mm[i].msg_hdr.msg_namelen,
				 sizeof(mm[i].msg_hdr.msg_namelen));
			copy_out(at + offsetof(struct msghdr, msg_controllen),
				 &mm[i].msg_hdr.msg_controllen, sizeof(mm[i].msg_hdr.msg_controllen));
			copy_out(at + offsetof(struct msghdr, msg_flags), &mm[i].msg_hdr.msg_flags,
				 sizeof(mm[i].msg_hdr.msg_flags));
		}
	}
}

/* ---- /proc/PID/mem ---- */

/* "/proc/<digits>/mem" or "/proc/<digits>/task/<digits>/mem". */
static bool names_proc_mem(const char *p)
{
	if (strncmp(p, "/proc/", 6))
		return false;
	p += 6;
	for (int part = 0; part < 2; part++) {
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		if (!strcmp(p, "/mem"))
			return true;
		if (part || strncmp(p, "/task/", 6))
			return false;
		p += 6;
	}
	return false;
}

static uint64_t proc_dev;

long sysargs_opened(long nr, long fd)
{
	char target[64];
	struct stat st;
	long len;

	if ((nr != SYS_open && nr != SYS_openat && nr != SYS_openat2 && nr != SYS_creat &&
	     nr != SYS_open_by_handle_at) || fd < 0)
		return fd;
	if (!__atomic_load_n(&proc_dev, __ATOMIC_RELAXED) && !raw_syscall2(SYS_stat, "/proc/self", &st))
		__atomic_store_n(&proc_dev, st.st_dev, __ATOMIC_RELAXED);
	if (raw_syscall2(SYS_fstat, fd, &st))
		return fd;
	/* Only what lives on procfs, or one of dune's files, costs more than one fstat. */
	if (st.st_dev != __atomic_load_n(&proc_dev, __ATOMIC_RELAXED))
		return runtime_files_opened(fd, st.st_dev, st.st_ino);
	len = procdir_fd_target(fd, target, sizeof(target) - 1);
	if (len <= 0)
		return fd;
	target[len] = '\0';
	if (!names_proc_mem(target))
		return fd;
	raw_syscall1(SYS_close, fd);
	return -EACCES;
}
