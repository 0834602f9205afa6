/* A test game that paces itself on clock(): it busy-waits until 10 ms of
 * processor time have passed since the last tick, never sleeping. Argument:
 * ticks to run. */
#include "tick-common.h"

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : -1;
	struct world w = { 0, 0, 0, 0 };

	tick_setup();
	clock_t next = clock();
	while (n < 0 || w.tick < n) {
		next += CLOCKS_PER_SEC / 100;
		while (clock() < next)
			;
		tick_step(&w);
		tick_draw(&w, mono_ms());
	}
	return 0;
}
