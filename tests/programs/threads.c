/* threads: several threads doing syscalls, memory-map changes and TLS work at
 * once; the output depends only on what they compute. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 200

static __thread unsigned long tls_counter;

static void *work(void *arg)
{
	long id = (long)arg;
	unsigned long sum = 0;

	for (int i = 0; i < ROUNDS; i++) {
		char *p = mmap(NULL, 8192 * (1 + i % 4), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return (void *)-1L;
		memset(p, (int)id, 8192);
		sum += (unsigned char)p[100] + (getpid() > 0);
		tls_counter++;
		if (i % 2)
			mprotect(p, 4096, PROT_READ);
		munmap(p, 8192 * (1 + i % 4));
		free(malloc(1000 + i * 64));
	}
	return (void *)(sum * 1000 + tls_counter);
}

int main(void)
{
	pthread_t t[THREADS];

	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, work, (void *)i)) {
			perror("pthread_create");
			return 1;
		}
	for (int i = 0; i < THREADS; i++) {
		void *r;

		pthread_join(t[i], &r);
		printf("thread %d: %ld\n", i, (long)r);
	}
	printf("main tls %lu\n", tls_counter);
	return 0;
}
