/* stress: rounds of 8 threads doing syscalls, memory-map changes and
 * signals (to themselves, to the process, and an interval timer), a fork
 * each round, until the time is up; then say whether memory stayed flat.
 *   stress SECONDS */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 8

static long handled, ticks;

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
}

static void on_alarm(int sig)
{
	(void)sig;
	__atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
}

static void *work(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < 20; i++) {
		char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return (void *)1;
		memset(p, (int)id, 65536);
		getppid();
		if (i % 4 == 0)
			pthread_kill(pthread_self(), SIGUSR1);
		else if (i % 4 == 1)
			kill(getpid(), SIGUSR1);
		else if (i % 4 == 2)
			usleep(200); /* the timer may interrupt it */
		munmap(p, 65536);
	}
	return NULL;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 5;
	time_t end = time(NULL) + (time_t)seconds;
	long rss_early = -1, rounds = 0;
	struct sigaction usr1 = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct sigaction alrm = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } }, stop = { 0 };

	sigaction(SIGUSR1, &usr1, NULL);
	sigaction(SIGALRM, &alrm, NULL);
	setitimer(ITIMER_REAL, &every_ms, NULL);

	do {
		pthread_t t[THREADS];
		int status;
		pid_t pid;

		for (long i = 0; i < THREADS; i++)
			if (pthread_create(&t[i], NULL, work, (void *)i))
				return 2;
		for (int i = 0; i < THREADS; i++) {
			void *r;

			pthread_join(t[i], &r);
			if (r)
				return 3;
		}
		pid = fork();
		if (pid == 0)
			_exit(work((void *)9) ? 1 : 7);
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 7)
			return 4;
		if (++rounds == 3)
			rss_early = rss_kb();
	} while (time(NULL) < end || rounds < 4);
	setitimer(ITIMER_REAL, &stop, NULL);
	/* A vCPU or stack leaked per thread would add megabytes over the rounds. */
	printf("memory %s\n", rss_kb() - rss_early < 16384 ? "flat" : "grew");
	printf("signals %s\n", handled >= rounds * THREADS * 5 && ticks > 0 ? "delivered" : "lost");
	return 0;
}
