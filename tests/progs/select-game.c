/* A test game that waits for keys with select() and a 50 ms timeout, and
 * ticks each time the timeout passes (keys read as they come). Argument:
 * ticks. */
#include <sys/select.h>

#include "tick-common.h"

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : -1;
	struct world w = { 0, 0, 0, 0 };

	tick_setup();
	while (n < 0 || w.tick < n) {
		fd_set r;
		struct timeval tv = { 0, 50000 };
		FD_ZERO(&r);
		FD_SET(0, &r);
		if (select(1, &r, NULL, NULL, &tv) == 0)
			tick_step(&w);
		else
			w.tick--, tick_step(&w);   /* keys only: no tick */
		tick_draw(&w, mono_ms());
	}
	return 0;
}
