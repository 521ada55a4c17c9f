/* escape_signals.c: floods of signals and a forged exitless claim, one per
 * subcommand; each prints what it saw, for the tests to compare with a
 * native run (tests/integration/escape_signals_test.c).
 *
 *   queue N HOW       block SIGRTMIN (and SIGRTMIN+1), queue N signals with
 *                     si_value = i, unblock; the handler records each one.
 *                     HOW: one (all SIGRTMIN), two (SIGRTMIN and SIGRTMIN+1
 *                     alternately), thread (SIGRTMIN to this thread, with
 *                     rt_tgsigqueueinfo)
 *   running N HOW     a second thread sends N SIGRTMIN while the main thread
 *                     runs with it unblocked and its handler takes a while.
 *                     HOW: spin (no syscalls), calls (getppid in a loop),
 *                     suspend (sigsuspend), read (a read on a pipe the
 *                     handler writes to after the last one)
 *   drain N           as queue N one, but the first handler takes the rest
 *                     with sigtimedwait
 *   wait N            block SIGRTMIN, queue N, take them with sigwaitinfo
 *   standard          SIGUSR1 sent three times while blocked: one delivery
 *   forge [catch|die] [STATE]
 *                     write STATE (FWD_CLAIMED) into this thread's exitless
 *                     slot and run the stub's take-over exit; with catch, a
 *                     SIGSEGV handler returns from it, and then a SIGUSR1
 *                     (sent by a child after 200 ms) must reach its handler
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "arch.h" /* the exitless stub's layout (preload/) */

struct record {
	int signo, value, code, from_us;
};

static struct record *records;
static volatile int received;
static int limit;
static pid_t self_pid;
static int wake_fd = -1; /* running read: written after the last signal */

static void record(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (received < limit)
		records[received] = (struct record){ sig - SIGRTMIN, si->si_value.sival_int,
						     si->si_code, si->si_pid == self_pid };
	received++;
}

static void slow_record(int sig, siginfo_t *si, void *uc)
{
	struct timespec t0, t;

	record(sig, si, uc);
	clock_gettime(CLOCK_MONOTONIC, &t0); /* the vDSO: no syscall */
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 20000);
	if (received == limit && wake_fd >= 0)
		write(wake_fd, "x", 1);
}

static void drain_record(int sig, siginfo_t *si, void *uc)
{
	static const struct timespec zero;
	sigset_t set;
	siginfo_t more;

	record(sig, si, uc);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	while (sigtimedwait(&set, &more, &zero) > 0)
		record(more.si_signo, &more, NULL);
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { .sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		perror("sigaction");
}

static void block(int how, int a, int b)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, a);
	if (b)
		sigaddset(&set, b);
	sigprocmask(how, &set, NULL);
}

static int send_value(int sig, int value, int to_thread)
{
	union sigval v = { .sival_int = value };
	siginfo_t si;

	if (!to_thread)
		return sigqueue(self_pid, sig, v);
	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = self_pid;
	si.si_uid = getuid();
	si.si_value = v;
	return (int)syscall(SYS_rt_tgsigqueueinfo, self_pid, (pid_t)syscall(SYS_gettid), sig, &si);
}

static void print_records(int sent)
{
	int n = received < limit ? received : limit;

	printf("sent %d, received %d\n", sent, received);
	for (int i = 0; i < n; i++)
		printf("%d %d %d %d\n", records[i].signo, records[i].value, records[i].code,
		       records[i].from_us);
}

static int queue(int n, const char *how)
{
	int two = !strcmp(how, "two"), to_thread = !strcmp(how, "thread"), sent = 0;

	handle(SIGRTMIN, record, 0);
	handle(SIGRTMIN + 1, record, 0);
	block(SIG_BLOCK, SIGRTMIN, SIGRTMIN + 1);
	for (int i = 0; i < n; i++) {
		if (send_value(two && i % 2 ? SIGRTMIN + 1 : SIGRTMIN, i, to_thread)) {
			printf("sending %d: %s\n", i, strerror(errno));
			break;
		}
		sent++;
	}
	block(SIG_UNBLOCK, SIGRTMIN, SIGRTMIN + 1);
	print_records(sent);
	return 0;
}

static int drain(int n)
{
	handle(SIGRTMIN, drain_record, 0);
	block(SIG_BLOCK, SIGRTMIN, 0);
	for (int i = 0; i < n; i++)
		send_value(SIGRTMIN, i, 0);
	block(SIG_UNBLOCK, SIGRTMIN, 0);
	print_records(n);
	return 0;
}

static int wait_for(int n)
{
	sigset_t set;
	siginfo_t si;

	handle(SIGRTMIN, record, 0);
	block(SIG_BLOCK, SIGRTMIN, 0);
	for (int i = 0; i < n; i++)
		send_value(SIGRTMIN, i, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	for (int i = 0; i < n; i++)
		if (sigwaitinfo(&set, &si) == SIGRTMIN)
			record(si.si_signo, &si, NULL);
	block(SIG_UNBLOCK, SIGRTMIN, 0);
	print_records(n);
	return 0;
}

static void *sender(void *arg)
{
	int n = *(int *)arg;

	block(SIG_BLOCK, SIGRTMIN, 0); /* every one is for the main thread */
	for (int i = 0; i < n; i++)
		while (send_value(SIGRTMIN, i, 0) && errno == EAGAIN)
			sched_yield();
	return NULL;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int running(int n, const char *how)
{
	struct timespec t0;
	pthread_t t;
	int pipefd[2], in_order = 1;
	sigset_t none;
	char c;

	handle(SIGRTMIN, slow_record, SA_RESTART);
	if (!strcmp(how, "read")) {
		if (pipe(pipefd))
			return 1;
		wake_fd = pipefd[1];
	}
	if (!strcmp(how, "suspend"))
		block(SIG_BLOCK, SIGRTMIN, 0);
	pthread_create(&t, NULL, sender, &n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sigemptyset(&none);
	while (received < n && elapsed_ms(&t0) < 20000) {
		if (!strcmp(how, "calls"))
			getppid();
		else if (!strcmp(how, "suspend"))
			sigsuspend(&none);
		else if (!strcmp(how, "read"))
			read(pipefd[0], &c, 1);
	}
	pthread_join(t, NULL);
	for (int i = 0; i < received && i < limit; i++)
		if (in_order && (records[i].value != i || records[i].signo != 0)) {
			in_order = 0;
			fprintf(stderr, "at %d: %d %d %d %d %d\n", i, records[i].value,
				i + 1 < limit ? records[i + 1].value : -1, i + 2 < limit ? records[i + 2].value : -1,
				i + 3 < limit ? records[i + 3].value : -1, i + 4 < limit ? records[i + 4].value : -1);
		}
	printf("sent %d, received %d, %s\n", n, received, in_order ? "in order" : "out of order");
	return 0;
}

static int standard(void)
{
	handle(SIGUSR1, record, 0);
	handle(SIGUSR2, record, 0);
	block(SIG_BLOCK, SIGUSR1, SIGUSR2);
	for (int i = 0; i < 3; i++)
		kill(self_pid, SIGUSR1);
	kill(self_pid, SIGUSR2);
	block(SIG_UNBLOCK, SIGUSR1, SIGUSR2);
	printf("received %d\n", received);
	for (int i = 0; i < received; i++)
		printf("%d %d\n", records[i].signo + SIGRTMIN, records[i].from_us);
	return 0;
}

/* ---- forge: the exitless slot, from the program's side ----
 *
 * arch.h's layout: a code page (the stub, its take-over out at
 * FWD_TAKE_OVER), then the data page, whose first word is the slot's state.
 * Where the stub runs at CPL3 (PVM) both pages are the program's to read,
 * and this thread's are found by reading: an anonymous page whose take-over
 * is "out %al, $PORT_EXITLESS; ud2". Each read is guarded: the runtime's
 * other pages are not the program's, and reading one faults. */
static sigjmp_buf probe_back;

static void probe_fault(int sig)
{
	(void)sig;
	siglongjmp(probe_back, 1);
}

/* Does the page at p hold the stub? Never faults for good. */
static int is_stub(uint64_t p)
{
	static const uint8_t take_over[] = { 0xe6, PORT_EXITLESS, 0x0f, 0x0b };
	volatile const uint8_t *at = (const uint8_t *)(p + FWD_TAKE_OVER);
	uint8_t got[sizeof(take_over)];

	if (sigsetjmp(probe_back, 1))
		return 0;
	for (size_t i = 0; i < sizeof(got); i++)
		got[i] = at[i];
	return !memcmp(got, take_over, sizeof(got));
}

__attribute__((noinline)) static uint64_t find_stub(void)
{
	struct sigaction probe = { .sa_handler = probe_fault }, old_segv, old_bus;
	char line[512];
	uint64_t found = 0;
	int count = 0;
	FILE *maps = fopen("/proc/self/maps", "r");

	sigemptyset(&probe.sa_mask);
	sigaction(SIGSEGV, &probe, &old_segv);
	sigaction(SIGBUS, &probe, &old_bus);
	while (maps && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8];
		int name = 0;

		/* Anonymous and small: the runtime's pools, of a GiB, are not it. */
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &name) < 3 ||
		    strncmp(perms, "rw", 2) || (name && line[name] && line[name] != '\n') ||
		    hi - lo > (64ul << 20))
			continue;
		for (uint64_t p = lo; p + 2 * FWD_CODE_SIZE <= hi; p += FWD_CODE_SIZE)
			if (is_stub(p))
				found = p, count++;
	}
	if (maps)
		fclose(maps);
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return count == 1 ? found : 0; /* more: not this thread's alone */
}

static jmp_buf back;
static volatile int got_usr1, got_segv;

static void on_segv(int sig)
{
	(void)sig;
	got_segv = 1;
	longjmp(back, 1);
}

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* A child: SIGUSR1 to the parent after 200 ms; SIGKILL after 20 s, so that
 * a parent that hangs still ends (with the status that says so). */
static void start_timer_child(void)
{
	pid_t parent = self_pid;

	if (fork() != 0)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	freopen("/dev/null", "w", stdout);
	freopen("/dev/null", "w", stderr);
	usleep(200000);
	kill(parent, SIGUSR1);
	sleep(20);
	kill(parent, SIGKILL);
	_exit(0);
}

static int forge(int catch_it, uint32_t forged)
{
	uint64_t code = find_stub();
	volatile uint32_t *state;
	sigset_t none;

	if (!code) {
		printf("no exitless slot\n");
		return 0;
	}
	printf("found the slot\n");
	fflush(stdout);
	signal(SIGUSR1, on_usr1);
	if (catch_it)
		signal(SIGSEGV, on_segv);
	start_timer_child();
	state = (volatile uint32_t *)(code + FWD_CODE_SIZE + FWD_STATE);
	printf("forging a claim\n");
	fflush(stdout); /* a syscall: through the stub, which sets the state */
	if (!setjmp(back)) {
		*state = forged; /* then straight to the take-over, no syscall between */
		((void (*)(void))(code + FWD_TAKE_OVER))();
		printf("the take-over returned\n");
	}
	sigemptyset(&none);
	sigaddset(&none, SIGSEGV);
	sigprocmask(SIG_UNBLOCK, &none, NULL); /* longjmp left it blocked */
	printf("SIGSEGV: %s\n", got_segv ? "caught" : "no");
	sigemptyset(&none);
	while (!got_usr1)
		sigsuspend(&none);
	printf("SIGUSR1 handled\n");
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0;

	self_pid = getpid();
	limit = n > 0 ? n : 16;
	records = calloc((size_t)limit, sizeof(*records));
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	if (argc == 4 && !strcmp(argv[1], "queue"))
		return queue(n, argv[3]);
	if (argc == 4 && !strcmp(argv[1], "running"))
		return running(n, argv[3]);
	if (argc == 3 && !strcmp(argv[1], "drain"))
		return drain(n);
	if (argc == 3 && !strcmp(argv[1], "wait"))
		return wait_for(n);
	if (argc == 2 && !strcmp(argv[1], "standard"))
		return standard();
	if (argc >= 2 && !strcmp(argv[1], "forge"))
		return forge(argc >= 3 && !strcmp(argv[2], "catch"),
			     argc == 4 ? (uint32_t)strtoul(argv[3], NULL, 0) : FWD_CLAIMED);
	fprintf(stderr, "usage: escape_signals queue|running N HOW | drain|wait N | standard | "
			"forge [catch|die] [STATE]\n");
	return 2;
}
