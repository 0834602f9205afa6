/* A curses test game that ticks on alarm(): the SIGALRM handler re-arms a
 * one-second alarm, and the main loop blocks in getch(), which the signal
 * interrupts (ERR). Keys move the hero. Argument: ticks to run. */
#include <curses.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void
on_alarm(int s)
{
	(void)s;
	alarms++;
	alarm(1);
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : -1, tick = 0, x = 0, score = 0, keys = 0;
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;   /* no SA_RESTART: getch returns ERR */
	sigaction(SIGALRM, &sa, NULL);
	srand((unsigned)time(NULL));
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	alarm(1);
	while (n < 0 || tick < n) {
		mvprintw(0, 0, "tick %ld x %ld score %ld keys %ld clock %ld   ",
		    tick, x, score, keys, (long)time(NULL) % 100000);
		clearok(curscr, TRUE);   /* whole lines out: a reader can parse them */
		refresh();
		int c = getch();
		if (c == KEY_RIGHT || c == 'l') {
			x++;
			keys++;
		} else if (c == KEY_LEFT || c == 'h') {
			x--;
			keys++;
		}
		while (tick < alarms) {
			tick++;
			score += rand() % 10;
		}
	}
	endwin();
	return 0;
}
