/* seccomp.c: interposition with a seccomp filter that hands getpid to a
 * supervisor (SECCOMP_RET_USER_NOTIF), which looks at each call and lets it
 * proceed (SECCOMP_USER_NOTIF_FLAG_CONTINUE). The supervisor is a thread
 * started before the filter, so the filter does not apply to it. Both are
 * set up once per process: filters cannot be removed, only stacked. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "worker.h"

static int listener = -1;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static volatile long seen;

static void *supervise(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ready_lock);
	while (listener < 0)
		pthread_cond_wait(&ready, &ready_lock);
	pthread_mutex_unlock(&ready_lock);
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;

		memset(&req, 0, sizeof(req)); /* NOTIF_RECV insists on a zeroed request */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req))
			return NULL;
		if (req.data.nr == SYS_getpid)
			seen++;
		resp = (struct seccomp_notif_resp){ .id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

static int install_filter(char *why, size_t len)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(why, len, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return MEASURE_UNSUPPORTED;
	}
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0) {
		snprintf(why, len, "seccomp with a listener: %s", strerror(errno));
		return MEASURE_UNSUPPORTED;
	}
	pthread_mutex_lock(&ready_lock);
	listener = fd;
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&ready_lock);
	return MEASURE_OK;
}

int measure_seccomp(long iterations, double *ns_per_op, char *why, size_t len)
{
	long warm = iterations / 10 + 10, before;
	static pthread_t supervisor;
	double t0;
	int r;

	if (listener < 0) {
		if ((r = pthread_create(&supervisor, NULL, supervise, NULL))) {
			snprintf(why, len, "pthread_create: %s", strerror(r));
			return MEASURE_FAILED;
		}
		if ((r = install_filter(why, len)))
			return r;
	}
	before = seen;
	for (long i = 0; i < warm; i++)
		syscall(SYS_getpid);
	t0 = now_ns();
	for (long i = 0; i < iterations; i++)
		syscall(SYS_getpid);
	*ns_per_op = (now_ns() - t0) / iterations;
	if (seen - before != warm + iterations) {
		snprintf(why, len, "the supervisor saw %ld getpid calls, not %ld", seen - before,
			 warm + iterations);
		return MEASURE_FAILED;
	}
	return MEASURE_OK;
}
