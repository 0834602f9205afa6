/* What the timer test games share: raw keys from standard input without
 * waiting, and one status line a tick drawn with plain escape codes. Each
 * game differs only in how it waits for its tick. */
#ifndef TICK_COMMON_H
#define TICK_COMMON_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct world {
	long tick, x, score, keys;
};

/* Raw, non-blocking keys (when standard input is a terminal). */
static inline void
tick_setup(void)
{
	struct termios t;
	if (tcgetattr(0, &t) == 0) {
		cfmakeraw(&t);
		t.c_oflag |= OPOST | ONLCR;
		tcsetattr(0, TCSANOW, &t);
	}
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	srand((unsigned)time(NULL));
	setvbuf(stdout, NULL, _IOFBF, 4096);
}

/* One tick of the world: keys move, a random score. */
static inline void
tick_step(struct world *w)
{
	char c;
	while (read(0, &c, 1) == 1) {
		w->keys++;
		if (c == 'l')
			w->x++;
		else if (c == 'h')
			w->x--;
	}
	w->tick++;
	w->score += rand() % 10;
}

/* Draw the world with plain escape codes; NOW is the game's clock (ms). */
static inline void
tick_draw(const struct world *w, long long now_ms)
{
	printf("\033[H\033[2Jtick %ld x %ld score %ld keys %ld clock %lld\r\n",
	    w->tick, w->x, w->score, w->keys, now_ms);
	fflush(stdout);
}

static inline long long
mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

#endif
