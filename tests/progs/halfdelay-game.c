/* A curses test game in halfdelay mode (0.2 s): getch() waits at most that
 * long, and each time it comes back empty the world ticks. Argument: ticks. */
#include <curses.h>
#include <stdlib.h>
#include <time.h>

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : -1, tick = 0, x = 0, score = 0, keys = 0;

	srand((unsigned)time(NULL));
	initscr();
	noecho();
	halfdelay(2);
	keypad(stdscr, TRUE);
	while (n < 0 || tick < n) {
		mvprintw(0, 0, "tick %ld x %ld score %ld keys %ld clock %ld   ",
		    tick, x, score, keys, (long)time(NULL) % 100000);
		clearok(curscr, TRUE);   /* whole lines out: a reader can parse them */
		refresh();
		int c = getch();
		if (c == ERR) {
			tick++;
			score += rand() % 10;
		} else if (c == 'l' || c == KEY_RIGHT) {
			x++;
			keys++;
		} else if (c == 'h' || c == KEY_LEFT) {
			x--;
			keys++;
		}
	}
	endwin();
	return 0;
}
