/* A curses test game that never waits: it spins on ftime() with a nodelay
 * getch() between ticks, and ticks every 50 ms of the clock it reads (the
 * shape of a Debian game whose step never returned after the first key).
 * Argument: ticks to run. */
/* Old games use ftime(), deprecated in glibc: so does this one. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#include <curses.h>
#include <stdlib.h>
#include <sys/timeb.h>
#include <time.h>

static long long
now_ms(void)
{
	struct timeb t;
	ftime(&t);
	return (long long)t.time * 1000 + t.millitm;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : -1, tick = 0, x = 0, score = 0, keys = 0;

	srand((unsigned)time(NULL));
	initscr();
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	long long next = now_ms() + 50;
	while (n < 0 || tick < n) {
		int c = getch();
		if (c == 'l' || c == KEY_RIGHT) {
			x++;
			keys++;
		} else if (c == 'h' || c == KEY_LEFT) {
			x--;
			keys++;
		}
		if (now_ms() < next)
			continue;
		next += 50;
		tick++;
		score += rand() % 10;
		mvprintw(0, 0, "tick %ld x %ld score %ld keys %ld clock %lld   ",
		    tick, x, score, keys, now_ms() % 100000000);
		clearok(curscr, TRUE);
		refresh();
	}
	endwin();
	return 0;
}
