/* The `screen` command's capture of curses' curscr (see screen.h). */
#include <stdio.h>
#include <string.h>

#include "../common/textproto.h"
#include "real.h"
#include "screen.h"

#define ERR_CURSES (-1)   /* curses ERR, without pulling in curses.h */

long
screen_capture(char *buf, size_t cap)
{
	if (real_curscr == NULL || real_getmaxy == NULL)
		real_resolve_curses();
	if (real_curscr == NULL || *real_curscr == NULL ||
	    real_winnstr == NULL || real_wmove == NULL || real_getmaxy == NULL ||
	    real_getmaxx == NULL || real_getcury == NULL || real_getcurx == NULL) {
		snprintf(buf, cap, "the game has no curses screen");
		return -1;
	}
	void *scr = *real_curscr;
	int rows = real_getmaxy(scr), cols = real_getmaxx(scr);
	size_t len = 0;
	char row[4096];

	if (rows <= 0 || cols <= 0) {
		snprintf(buf, cap, "the curses screen is not set up yet");
		return -1;
	}
	if (cols > (int)sizeof row / 4 - 1)
		cols = (int)sizeof row / 4 - 1;
	buf[len++] = '[';
	/* curscr's cursor is where curses believes the terminal's is: put it
	 * back after reading, or the game's next update would go astray. */
	int cy = real_getcury(scr), cx = real_getcurx(scr);
	for (int y = 0; y < rows; y++) {
		int n = real_wmove(scr, y, 0) == ERR_CURSES ? -1 :
		    real_winnstr(scr, row, (int)sizeof row - 1);
		if (n < 0)
			n = 0;
		row[n] = '\0';
		/* Trailing blanks carry nothing. */
		while (n > 0 && row[n - 1] == ' ')
			row[--n] = '\0';
		if (y > 0 && len + 1 < cap)
			buf[len++] = ',';
		if (tp_json_str(buf, cap, &len, row, (size_t)n) != 0) {
			real_wmove(scr, cy, cx);
			snprintf(buf, cap, "screen larger than the reply buffer");
			return -1;
		}
	}
	real_wmove(scr, cy, cx);
	if (len + 2 > cap)
		return -1;
	buf[len++] = ']';
	buf[len] = '\0';
	return (long)len;
}
