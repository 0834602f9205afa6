/* A test game: a main loop that sleeps 10 ms a frame and a worker thread
 * that sleeps 25 ms at a time; both print what the clock says, so tests
 * can check that every thread follows the one virtual clock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static struct timespec start;

static long long
elapsed_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start.tv_sec) * 1000LL +
	    (now.tv_nsec - start.tv_nsec) / 1000000;
}

static void *
worker(void *arg)
{
	struct timespec d = { 0, 25 * 1000000L };
	(void)arg;
	for (long n = 1;; n++) {
		clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
		printf("worker %ld at %lld\n", n, elapsed_ms());
		fflush(stdout);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct timespec d = { 0, 10 * 1000000L };
	long frames = argc > 1 ? atol(argv[1]) : -1;
	pthread_t t;

	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_create(&t, NULL, worker, NULL);
	for (long i = 0; frames < 0 || i < frames; i++) {
		printf("frame %ld at %lld\n", i, elapsed_ms());
		fflush(stdout);
		nanosleep(&d, NULL);
	}
	return 0;
}
