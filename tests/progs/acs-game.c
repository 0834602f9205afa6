/* A curses test game for the emulated screen: a box of line-drawing
 * characters (ACS), blocks drawn as blanks in colour pairs (white on red,
 * green on blue), bold text, and a status line "acs tick N key K"; one
 * frame a wgetch with a 16 ms timeout. 'q' quits. Honours the locale (so
 * a UTF-8 one gets UTF-8 box characters, C gets the terminal's alternate
 * character set). With the argument "stripes", rows 10 to the last are
 * filled with blanks alternating red and blue, column by column: a screen
 * whose attributes take many runs. */
#include <curses.h>
#include <locale.h>

int
main(int argc, char **argv)
{
	long tick = 0;
	int key = 0;
	int stripes = argc > 1 && argv[1][0] == 's';

	setlocale(LC_ALL, "");
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	start_color();
	init_pair(1, COLOR_WHITE, COLOR_RED);
	init_pair(2, COLOR_GREEN, COLOR_BLUE);
	timeout(16);
	for (;;) {
		mvprintw(0, 0, "acs tick %ld key %d", tick, key);
		clrtoeol();
		/* The box: rows 2-6, columns 2-21. */
		mvaddch(2, 2, ACS_ULCORNER);
		mvhline(2, 3, ACS_HLINE, 18);
		mvaddch(2, 21, ACS_URCORNER);
		mvvline(3, 2, ACS_VLINE, 3);
		mvvline(3, 21, ACS_VLINE, 3);
		mvaddch(6, 2, ACS_LLCORNER);
		mvhline(6, 3, ACS_HLINE, 18);
		mvaddch(6, 21, ACS_LRCORNER);
		mvaddstr(4, 5, "inside");
		/* Coloured blanks: 4 red cells at row 4, 3 blue at row 5,
		 * moving one column a tick. */
		move(4, 30);
		clrtoeol();
		move(5, 30);
		clrtoeol();
		attron(COLOR_PAIR(1));
		mvaddstr(4, 30 + (int)(tick % 20), "    ");
		attroff(COLOR_PAIR(1));
		attron(COLOR_PAIR(2));
		mvaddstr(5, 30, "   ");
		attroff(COLOR_PAIR(2));
		attron(A_BOLD);
		mvaddstr(8, 2, "BOLD");
		attroff(A_BOLD);
		for (int y = 10; stripes && y < LINES; y++)
			for (int x = 0; x < COLS - 1; x++) {
				attron(COLOR_PAIR(1 + (x + y) % 2));
				mvaddch(y, x, ' ');
				attroff(COLOR_PAIR(1 + (x + y) % 2));
			}
		move(8, 6);
		refresh();
		int c = getch();
		if (c == 'q')
			break;
		if (c != ERR)
			key = c;
		tick++;
	}
	endwin();
	return 0;
}
