/* A test game whose world ticks on a worker thread waiting on a condition
 * variable with a timeout (pthread_cond_timedwait, 10 ms, the clock set to
 * CLOCK_MONOTONIC; --realtime keeps the default clock), while the main
 * thread draws every 1/60 s with nanosleep. Arguments: [--realtime]
 * [frames]. */
#include <errno.h>
#include <pthread.h>

#include "tick-common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static struct world w;
static clockid_t clk = CLOCK_MONOTONIC;

static void *
worker(void *arg)
{
	(void)arg;
	struct timespec t;
	clock_gettime(clk, &t);
	pthread_mutex_lock(&mu);
	for (;;) {
		t.tv_nsec += 10000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_nsec -= 1000000000;
			t.tv_sec++;
		}
		while (pthread_cond_timedwait(&cv, &mu, &t) != ETIMEDOUT)
			;
		tick_step(&w);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	long n = -1, frames = 0;
	pthread_condattr_t a;
	pthread_t th;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--realtime") == 0)
			clk = CLOCK_REALTIME;
		else
			n = atol(argv[i]);
	}
	tick_setup();
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, clk);
	pthread_cond_init(&cv, &a);
	pthread_create(&th, NULL, worker, NULL);
	struct timespec frame = { 0, 1000000000 / 60 };
	while (n < 0 || frames++ < n) {
		nanosleep(&frame, NULL);
		pthread_mutex_lock(&mu);
		struct world copy = w;
		pthread_mutex_unlock(&mu);
		tick_draw(&copy, mono_ms());
	}
	return 0;
}
