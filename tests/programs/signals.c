/* signals.c: checks the signal semantics a program can observe, one line per
 * check. Natively and under dune the output must be byte-for-byte the same. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void check(const char *what, int ok)
{
	printf("%-44s %s\n", what, ok ? "ok" : "FAILED");
	fflush(stdout);
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { .sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		perror("sigaction");
}

static int blocked(int sig)
{
	sigset_t s;

	sigprocmask(SIG_BLOCK, NULL, &s);
	return sigismember(&s, sig);
}

/* --- synchronous faults, recovered with siglongjmp --- */
static sigjmp_buf jump;
static volatile siginfo_t last;
static volatile uint64_t last_err, last_trapno, last_cr2;

static void recover(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	last = *si;
	last_err = uc->uc_mcontext.gregs[REG_ERR];
	last_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	last_cr2 = uc->uc_mcontext.gregs[REG_CR2];
	siglongjmp(jump, 1);
}

static void faults(void)
{
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int zero = 0;

	on(SIGSEGV, recover, 0);
	on(SIGFPE, recover, 0);
	on(SIGILL, recover, 0);
	on(SIGTRAP, recover, 0);

	if (!sigsetjmp(jump, 1))
		*(volatile int *)0x1000 = 1;
	check("SIGSEGV at an unmapped address: si_addr", last.si_addr == (void *)0x1000);
	check("SIGSEGV at an unmapped address: SEGV_MAPERR", last.si_code == SEGV_MAPERR);
	check("SIGSEGV: trapno 14, cr2, write error code",
	      last_trapno == 14 && last_cr2 == 0x1000 && (last_err & 2));
	check("siglongjmp restored the mask", !blocked(SIGSEGV));

	if (!sigsetjmp(jump, 1))
		ro[8] = 1;
	check("SIGSEGV writing read-only memory: si_addr", last.si_addr == ro + 8);
	check("SIGSEGV writing read-only memory: SEGV_ACCERR", last.si_code == SEGV_ACCERR);

	if (!sigsetjmp(jump, 1)) {
		int q = 1;

		__asm__ volatile("cltd; idivl %1" : "+a"(q) : "r"(zero) : "rdx");
	}
	check("SIGFPE on division by zero: FPE_INTDIV", last.si_signo == SIGFPE &&
	      last.si_code == FPE_INTDIV);

	if (!sigsetjmp(jump, 1))
		__asm__ volatile("ud2");
	check("SIGILL on ud2: ILL_ILLOPN", last.si_signo == SIGILL && last.si_code == ILL_ILLOPN);

	if (!sigsetjmp(jump, 1))
		__asm__ volatile("int3");
	check("SIGTRAP on int3", last.si_signo == SIGTRAP && last.si_code == SI_KERNEL);
	signal(SIGSEGV, SIG_DFL);
	munmap(ro, 4096);
}

/* --- masks and flags --- */
static volatile int count, depth, max_depth, was_blocked, raised;

static void counting(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	count++;
	was_blocked = blocked(sig);
}

static void nesting(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (depth < 3 && raised++ < 2)
		raise(sig);
	depth--;
}

static void masks_and_flags(void)
{
	struct sigaction sa;
	sigset_t set, pending;

	on(SIGUSR1, counting, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigpending(&pending);
	check("a blocked signal stays pending", count == 0 && sigismember(&pending, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	check("unblocking delivers it at once", count == 1);
	check("the handler runs with its signal blocked", was_blocked);
	check("the mask is restored after the handler", !blocked(SIGUSR1));

	on(SIGUSR2, nesting, SA_NODEFER);
	raise(SIGUSR2);
	check("SA_NODEFER lets the handler nest", max_depth == 3);
	check("and each raise ran it once", raised == 2);
	max_depth = 0;
	raised = 0;
	on(SIGUSR2, nesting, 0);
	raise(SIGUSR2);
	check("without SA_NODEFER it does not nest", max_depth == 1 && raised == 3);

	count = 0;
	on(SIGUSR1, counting, SA_RESETHAND);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &sa);
	check("SA_RESETHAND resets to SIG_DFL", count == 1 && sa.sa_handler == SIG_DFL);
	check("and keeps the flags", (sa.sa_flags & (SA_SIGINFO | SA_RESETHAND)) ==
				     (SA_SIGINFO | SA_RESETHAND));
	sa = (struct sigaction){ .sa_sigaction = counting, .sa_flags = SA_SIGINFO | SA_RESETHAND };
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &sa);
	check("and the mask", count == 2 && sigismember(&sa.sa_mask, SIGUSR2));

	signal(SIGUSR1, SIG_IGN);
	raise(SIGUSR1);
	check("an ignored signal is ignored", 1);
}

/* --- siginfo from kill and sigqueue --- */
static volatile siginfo_t got;

static void keep(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	got = *si;
}

static void siginfo_contents(void)
{
	union sigval val = { .sival_int = 4242 };

	on(SIGUSR1, keep, 0);
	kill(getpid(), SIGUSR1);
	check("kill: si_code SI_USER, si_pid, si_uid",
	      got.si_code == SI_USER && got.si_pid == getpid() && got.si_uid == getuid());
	on(SIGRTMIN + 2, keep, 0);
	sigqueue(getpid(), SIGRTMIN + 2, val);
	check("sigqueue: SI_QUEUE and the value", got.si_code == SI_QUEUE &&
	      got.si_value.sival_int == 4242 && got.si_signo == SIGRTMIN + 2);
}

/* --- alternate stack --- */
static char *alt;
static volatile int on_alt, flags_in_handler;

static void where(int sig, siginfo_t *si, void *uc)
{
	stack_t ss;
	char here;

	(void)sig, (void)si, (void)uc;
	on_alt = &here > alt && &here < alt + 65536;
	sigaltstack(NULL, &ss);
	flags_in_handler = ss.ss_flags;
}

static void altstack(void)
{
	stack_t ss = { .ss_size = 65536 }, old;

	alt = malloc(65536);
	ss.ss_sp = alt;
	sigaltstack(&ss, NULL);
	on(SIGUSR2, where, SA_ONSTACK);
	raise(SIGUSR2);
	check("SA_ONSTACK runs the handler on the altstack", on_alt);
	check("sigaltstack says SS_ONSTACK in the handler", flags_in_handler == SS_ONSTACK);
	sigaltstack(NULL, &old);
	check("and not after it", old.ss_flags == 0);
	on(SIGUSR2, where, 0);
	raise(SIGUSR2);
	check("without SA_ONSTACK it runs on the normal stack", !on_alt);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

/* --- timers, sleeps, EINTR and restarts --- */
static volatile int ticks;

static void tick(int sig, siginfo_t *si, void *uc)
{
	volatile double x = 1.5;

	(void)sig, (void)si, (void)uc;
	for (int i = 0; i < 100; i++)
		x = x * 1.0001 + 0.5; /* clobber FP registers */
	ticks++;
}

static void timers(void)
{
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } }, stop = { 0 };
	struct timespec long_sleep = { 5, 0 };
	volatile double acc = 0;
	int fds[2];
	char c;
	ssize_t n;

	on(SIGALRM, tick, 0);
	setitimer(ITIMER_REAL, &it, NULL);
	while (ticks < 5) /* a busy loop with no syscalls: the timer must interrupt it */
		acc += 0.25;
	setitimer(ITIMER_REAL, &stop, NULL);
	check("SIGALRM interval timer interrupts a busy loop", ticks >= 5);
	check("FP state survives the handlers", acc == (double)(int64_t)(acc * 4) / 4);

	ticks = 0;
	alarm(1);
	errno = 0;
	check("nanosleep fails with EINTR even with SA_RESTART",
	      (on(SIGALRM, tick, SA_RESTART), nanosleep(&long_sleep, NULL) == -1 && errno == EINTR));

	pipe(fds);
	if (fork() == 0) {
		usleep(300000);
		write(fds[1], "x", 1);
		_exit(0);
	}
	on(SIGALRM, tick, 0);
	setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 50000 } }, NULL);
	n = read(fds[0], &c, 1);
	check("read without SA_RESTART: EINTR", n == -1 && errno == EINTR);
	on(SIGALRM, tick, SA_RESTART);
	setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 50000 } }, NULL);
	n = read(fds[0], &c, 1);
	check("read with SA_RESTART: restarted, then data", n == 1 && c == 'x');
	wait(NULL);
	close(fds[0]);
	close(fds[1]);
}

static void waiting(void)
{
	sigset_t set, old, none;
	struct signalfd_siginfo ssi;
	siginfo_t si;
	timer_t timer;
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	struct itimerspec its = { .it_value = { 0, 20000000 } };
	int fd;

	count = 0;
	on(SIGUSR1, counting, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	timer_create(CLOCK_MONOTONIC, &ev, &timer);
	timer_settime(timer, 0, &its, NULL);
	sigemptyset(&none);
	errno = 0;
	check("sigsuspend returns EINTR after the handler",
	      sigsuspend(&none) == -1 && errno == EINTR && count == 1);
	check("sigsuspend restores the mask", blocked(SIGUSR1));

	timer_settime(timer, 0, &its, NULL);
	check("sigtimedwait takes a timer's signal",
	      sigwaitinfo(&set, &si) == SIGUSR1 && si.si_code == SI_TIMER && count == 1);

	fd = signalfd(-1, &set, 0);
	raise(SIGUSR1);
	check("signalfd reads a raised signal",
	      read(fd, &ssi, sizeof(ssi)) == sizeof(ssi) && ssi.ssi_signo == SIGUSR1);
	close(fd);
	timer_delete(timer);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* make's pattern: SIGCHLD blocked but for the waits, which unblock it. */
static void temporary_masks(void)
{
	sigset_t chld, none;
	int r;

	count = 0;
	on(SIGCHLD, counting, 0);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (fork() == 0)
		_exit(0);
	r = pselect(0, NULL, NULL, NULL, NULL, &none);
	check("pselect's mask lets SIGCHLD in: EINTR", r == -1 && errno == EINTR && count == 1);
	wait(NULL);
	if (fork() == 0)
		_exit(0);
	r = ppoll(NULL, 0, NULL, &none);
	check("ppoll's mask lets SIGCHLD in: EINTR", r == -1 && errno == EINTR && count == 2);
	wait(NULL);
	check("and the mask is back after them", blocked(SIGCHLD));
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	signal(SIGCHLD, SIG_DFL);
}

/* --- threads --- */
static volatile pid_t handled_tid;

static void note_tid(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	handled_tid = (pid_t)syscall(SYS_gettid);
}

static void *sleeper(void *arg)
{
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	pause();
	return NULL;
}

static void threads(void)
{
	pthread_t t;
	volatile pid_t tid = 0;

	on(SIGUSR2, note_tid, 0);
	pthread_create(&t, NULL, sleeper, (void *)&tid);
	while (!tid)
		sched_yield();
	usleep(20000);
	pthread_kill(t, SIGUSR2);
	pthread_join(t, NULL);
	check("pthread_kill runs the handler in that thread", handled_tid == tid);
}

/* Is pid asleep in the kernel, reading a pipe? */
static int in_pipe_read(pid_t pid)
{
	char path[64], wchan[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	f = fopen(path, "r");
	if (f) {
		fgets(wchan, sizeof(wchan), f);
		fclose(f);
	}
	return strstr(wchan, "pipe_read") != NULL; /* anon_pipe_read in newer kernels */
}

/* A stop and a continue interrupt a blocking read in the kernel, but no
 * handler runs: the read goes on as if nothing happened. */
static void stop_and_continue(void)
{
	int fds[2], status;
	char c;
	pid_t pid;

	pipe(fds);
	pid = fork();
	if (pid == 0)
		_exit(read(fds[0], &c, 1) == 1 && c == 'y' ? 0 : 1);
	for (int i = 0; i < 1000 && !in_pipe_read(pid); i++)
		usleep(10000);
	kill(pid, SIGSTOP);
	waitpid(pid, &status, WUNTRACED);
	kill(pid, SIGCONT);
	write(fds[1], "y", 1);
	waitpid(pid, &status, 0);
	check("a read goes on after SIGSTOP and SIGCONT", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fds[0]);
	close(fds[1]);
}

/* --- default actions seen by a parent --- */
static void defaults(void)
{
	int status, ready[2];
	char c;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	check("raise(SIGTERM): the parent sees the signal",
	      WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	pipe(ready);
	pid = fork();
	if (pid == 0) {
		signal(SIGUSR1, SIG_DFL);
		write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	read(ready[0], &c, 1); /* the child's disposition is SIG_DFL now */
	kill(pid, SIGUSR1);
	waitpid(pid, &status, 0);
	check("kill(SIGUSR1) of a pausing child", WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
	pid = fork();
	if (pid == 0)
		abort();
	waitpid(pid, &status, 0);
	check("abort(): SIGABRT", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	stop_and_continue();
}

/* --- signals a call raises on the thread that makes it --- */
static volatile int pipes;

static void count_pipe(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	pipes++;
}

static int is_pending(int sig)
{
	sigset_t s;

	sigpending(&s);
	return sigismember(&s, sig);
}

static void raised_by_calls(void)
{
	static const struct timespec none;
	int fds[2], status;
	sigset_t one, old;
	siginfo_t si;
	pid_t pid;
	FILE *f;

	pipe(fds);
	close(fds[0]);
	sigemptyset(&one);
	sigaddset(&one, SIGPIPE);
	sigprocmask(SIG_BLOCK, &one, &old);
	check("blocked SIGPIPE: write fails with EPIPE", write(fds[1], "x", 1) < 0 && errno == EPIPE);
	check("blocked SIGPIPE: pending on the thread", is_pending(SIGPIPE));
	check("sigtimedwait takes it, SI_USER",
	      sigtimedwait(&one, &si, &none) == SIGPIPE && si.si_code == SI_USER &&
		      si.si_pid == getpid());
	check("then nothing is pending", !is_pending(SIGPIPE));
	sigprocmask(SIG_SETMASK, &old, NULL);
	on(SIGPIPE, count_pipe, 0);
	check("SIGPIPE handler: write fails with EPIPE", write(fds[1], "x", 1) < 0 && errno == EPIPE);
	check("the handler ran once", pipes == 1);
	signal(SIGPIPE, SIG_DFL);
	pid = fork();
	if (pid == 0) {
		write(fds[1], "x", 1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	check("default SIGPIPE ends a writer", WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
	close(fds[1]);

	/* SIGXFSZ: a write past RLIMIT_FSIZE, in a child that lowers it. */
	pid = fork();
	if (pid == 0) {
		struct rlimit one_byte = { 1, RLIM_INFINITY };
		sigset_t xfsz;
		int fd;

		sigemptyset(&xfsz);
		sigaddset(&xfsz, SIGXFSZ);
		sigprocmask(SIG_BLOCK, &xfsz, NULL);
		f = tmpfile();
		fd = fileno(f);
		setrlimit(RLIMIT_FSIZE, &one_byte);
		_exit(write(fd, "ab", 2) == 1 && write(fd, "c", 1) < 0 && errno == EFBIG &&
				      is_pending(SIGXFSZ) && sigtimedwait(&xfsz, &si, &none) == SIGXFSZ
			      ? 0
			      : 1);
	}
	waitpid(pid, &status, 0);
	check("past RLIMIT_FSIZE: EFBIG, SIGXFSZ pending", WIFEXITED(status) && !WEXITSTATUS(status));
}

/* --- signalfds made elsewhere: passed in a message, kept across exec --- */
static int send_fd(int sock, int fd)
{
	char data = 'f';
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control = { 0 };
	struct iovec iov = { &data, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int receive_fd(int sock)
{
	char data;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { &data, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	int fd = -1;

	if (recvmsg(sock, &msg, 0) == 1 && CMSG_FIRSTHDR(&msg))
		memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	return fd;
}

/* SIGUSR2 raised on this thread must be what the signalfd reads. */
static int reads_own_signal(int sfd)
{
	struct signalfd_siginfo ssi;

	raise(SIGUSR2);
	return read(sfd, &ssi, sizeof(ssi)) == sizeof(ssi) && ssi.ssi_signo == SIGUSR2;
}

static void passed_signalfds(const char *self)
{
	int pair[2], sfd, got;
	sigset_t usr2;
	char arg[16];

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
	sfd = signalfd(-1, &usr2, SFD_NONBLOCK);
	send_fd(pair[0], sfd);
	close(sfd);
	got = receive_fd(pair[1]);
	check("a signalfd passed in a message reads ours", got >= 0 && reads_own_signal(got));
	close(got);
	close(pair[0]);
	close(pair[1]);
	fflush(stdout);
	/* The exec'd image reads one made before it (the mask stays). */
	sfd = signalfd(-1, &usr2, SFD_NONBLOCK);
	snprintf(arg, sizeof(arg), "%d", sfd);
	if (fork() == 0) {
		execl(self, self, "signalfd-after-exec", arg, (char *)NULL);
		_exit(127);
	}
	wait(NULL);
	close(sfd);
	sigprocmask(SIG_UNBLOCK, &usr2, NULL);
}

/* A thread with a file table of its own (clone without CLONE_FILES)
 * closes its copy of a signalfd: ours stays one. */
static int close_own_copy(void *fd)
{
	close(*(int *)fd);
	return 0;
}

static void thread_with_own_files(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	static volatile pid_t child_tid;
	sigset_t usr2;
	int sfd;
	pid_t tid;

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	sfd = signalfd(-1, &usr2, SFD_NONBLOCK);
	child_tid = 1;
	tid = clone(close_own_copy, stack + sizeof(stack),
		    CLONE_VM | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
			    CLONE_CHILD_CLEARTID,
		    &sfd, NULL, NULL, &child_tid);
	while (tid > 0 && child_tid)
		syscall(SYS_futex, &child_tid, 0 /* FUTEX_WAIT */, child_tid, NULL, NULL, 0);
	check("a thread's own close leaves our signalfd", tid > 0 && reads_own_signal(sfd));
	close(sfd);
	sigprocmask(SIG_UNBLOCK, &usr2, NULL);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "signalfd-after-exec")) {
		check("a signalfd kept across exec reads ours", reads_own_signal(atoi(argv[2])));
		return 0;
	}
	faults();
	masks_and_flags();
	siginfo_contents();
	altstack();
	timers();
	waiting();
	temporary_masks();
	threads();
	defaults();
	raised_by_calls();
	passed_signalfds(argv[0]);
	thread_with_own_files();
	return 0;
}
