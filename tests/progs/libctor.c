/* A test library whose constructor reads the clock, sleeps and polls: run
 * before or after the shim's own constructor, these calls must be safe. */
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

void ctor_probe(void);

__attribute__((constructor)) void
ctor_probe(void)
{
	struct timespec t, d = { 0, 1000000 };

	clock_gettime(CLOCK_MONOTONIC, &t);
	nanosleep(&d, NULL);
	usleep(100);
	poll(NULL, 0, 1);
	(void)time(NULL);
	fprintf(stderr, "ctor-ok\n");
}
