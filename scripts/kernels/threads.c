/* /threads N (kernel-matrix guest): N threads that block, then exit_group from the main thread, so
 * N + 1 tasks exit together. Prints "threads PID TID..." (the main thread's first): the checker's
 * ground truth for which exits must be there, or be counted as lost. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t started;
static pid_t tids[256];

static void *wait_forever(void *arg)
{
	tids[(long)arg] = gettid();
	pthread_barrier_wait(&started);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 8;
	if (n < 1 || n > 255)
		return 2;
	pthread_barrier_init(&started, NULL, n + 1);
	for (long i = 1; i <= n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, wait_forever, (void *)i) != 0)
			return 1;
	}
	pthread_barrier_wait(&started);
	tids[0] = gettid();
	printf("threads %d", getpid());
	for (long i = 0; i <= n; i++)
		printf(" %d", tids[i]);
	printf("\n");
	fflush(stdout);
	exit(0); /* exit_group: every thread exits now */
}
