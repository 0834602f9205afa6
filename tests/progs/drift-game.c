/* A game that can be told to drift: it counts its turns in `turns` and
 * keeps `score` = 2 x turns, except that with DRIFT_AT=N in its
 * environment it adds one extra point on turn N. A replay of a run made
 * without DRIFT_AT, run with it, must diverge exactly there. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

uint32_t turns;
int32_t score;

int
main(void)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	const char *d = getenv("DRIFT_AT");
	uint32_t drift = d ? (uint32_t)strtoul(d, NULL, 10) : 0;

	for (;;) {
		turns++;
		score += 2;
		if (turns == drift)
			score++;
		nanosleep(&tick, NULL);
	}
}
