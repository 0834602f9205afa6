/* A test game whose helper threads idle in waits without a timeout, as a
 * GL driver's do: each frame the main thread hands a job to a worker
 * (pthread_cond_wait) and waits until it is done, then sleeps 1/60 s.
 * A second thread waits on one condition variable until frame 20, then
 * on another; from frame 40 a third thread exists, waiting on a
 * semaphore (sem_wait); from frame 80 to 85 a fourth one computes (spins)
 * and is joined. Its state is globals: `tick`, `done` (jobs the
 * worker finished), `phase` (where the second thread waits). Prints
 * "park-game: N frames, D jobs" when it ends (after ARGV[1] frames, or
 * never). */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

long tick, done, phase;
static long jobs;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t a_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t b_cv = PTHREAD_COND_INITIALIZER;
static sem_t sem;
static _Atomic int spin_stop;

static void *
spinner(void *arg)
{
	(void)arg;
	while (!spin_stop)
		;
	return NULL;
}

static void *
worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (jobs == 0)
			pthread_cond_wait(&job_cv, &mu);
		jobs--;
		done++;
		pthread_cond_signal(&done_cv);
	}
	return NULL;
}

static void *
switcher(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (phase == 0)
		pthread_cond_wait(&a_cv, &mu);
	while (phase == 1)
		pthread_cond_wait(&b_cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *
sleeper(void *arg)
{
	(void)arg;
	while (sem_wait(&sem) != 0)
		;
	return NULL;
}

int
main(int argc, char **argv)
{
	long frames = argc > 1 ? atol(argv[1]) : -1;
	pthread_t t, spin;
	struct timespec frame = { 0, 1000000000 / 60 };

	sem_init(&sem, 0, 0);
	pthread_create(&t, NULL, worker, NULL);
	pthread_create(&t, NULL, switcher, NULL);
	for (tick = 0; frames < 0 || tick < frames; tick++) {
		pthread_mutex_lock(&mu);
		jobs++;
		pthread_cond_signal(&job_cv);
		while (done < tick + 1)
			pthread_cond_wait(&done_cv, &mu);
		if (tick == 20) {
			phase = 1;
			pthread_cond_signal(&a_cv);
		}
		pthread_mutex_unlock(&mu);
		if (tick == 40)
			pthread_create(&t, NULL, sleeper, NULL);
		if (tick == 80)
			pthread_create(&spin, NULL, spinner, NULL);
		if (tick == 85) {
			spin_stop = 1;
			pthread_join(spin, NULL);
		}
		nanosleep(&frame, NULL);
	}
	printf("park-game: %ld frames, %ld jobs\n", tick, done);
	return 0;
}
