/* The `screen` command (see screen.h): the screen of the game's terminal
 * as the emulator (term.c) has it from every byte the game sent there,
 * curses games and games writing escape codes alike; curses' own curscr
 * only for a curses game whose output never reached a terminal. It runs
 * on the game's thread, so it must not allocate: a malloc there would
 * move the game's later allocations and make an observed run differ from
 * an unobserved one. For curscr, winnstr allocates in ncursesw; the cells
 * are read with win_wchnstr (or winchnstr) and turned into UTF-8 here
 * instead (glibc's wchar_t is a Unicode code point; wcrtomb would load the
 * locale's converter, allocating, the first time it runs). The curses
 * header is for the cell types only: every call goes through the real_*
 * pointers. */
#define NCURSES_WIDECHAR 1
#include <ncursesw/curses.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../common/jstr.h"
#include "../common/textproto.h"
#include "../common/trace.h"
#include "real.h"
#include "screen.h"
#include "term.h"

#define ERR_CURSES ERR

/* Row Y of SCR into ROW (UTF-8, at most CAP-1 bytes) without allocating.
 * Returns its length, or -1 when this curses cannot say. */
static int
read_row(void *scr, int y, int cols, char *row, size_t cap)
{
	static cchar_t wcells[1024];
	static chtype ncells[1024];
	size_t n = 0;

	if (cols > 1023)
		cols = 1023;
	if (real_wmove(scr, y, 0) == ERR_CURSES)
		return -1;
	if (real_win_wchnstr != NULL && real_getcchar != NULL) {
		if (real_win_wchnstr(scr, wcells, cols) == ERR_CURSES)
			return -1;
		for (int x = 0; x < cols; x++) {
			wchar_t wc[CCHARW_MAX + 1];
			attr_t at;
			short pair;
			if (real_getcchar(&wcells[x], wc, &at, &pair, NULL) ==
			    ERR_CURSES)
				break;
			for (int k = 0; k < CCHARW_MAX && wc[k] != 0; k++) {
				char mb[4];
				size_t m = term_utf8((uint32_t)wc[k], mb);
				if (n + m >= cap)
					break;
				memcpy(row + n, mb, m);
				n += m;
			}
		}
		return (int)n;
	}
	if (real_winchnstr != NULL) {
		if (real_winchnstr(scr, ncells, cols) == ERR_CURSES)
			return -1;
		for (int x = 0; x < cols && ncells[x] != 0 && n + 1 < cap; x++)
			row[n++] = (char)(ncells[x] & A_CHARTEXT);
		return (int)n;
	}
	return real_winnstr(scr, row, (int)cap - 1);
}

/* The emulated screen: rows, or with ATTRS an object with the cursor and
 * each row's colours and attributes. */
static long
emulated(char *buf, size_t cap, int attrs)
{
	static char row[16384];
	int rows, cols, cy, cx;
	size_t len = 0;

	term_size(&rows, &cols);
	term_cursor(&cy, &cx);
	if (attrs)
		len = (size_t)snprintf(buf, cap, "{\"rows\":%d,\"cols\":%d,"
		    "\"cursor\":{\"row\":%d,\"col\":%d},\"text\":", rows, cols,
		    cy, cx);
	if (len + 2 >= cap)
		goto full;
	buf[len++] = '[';
	for (int y = 0; y < rows; y++) {
		size_t n = term_row(y, row, sizeof row);
		if (y > 0 && len + 1 < cap)
			buf[len++] = ',';
		if (jstr_append(buf, cap, &len, row, n) != 0)
			goto full;
	}
	if (len + 2 >= cap)
		goto full;
	buf[len++] = ']';
	if (attrs) {
		static const char key[] = ",\"attrs\":[";
		if (len + sizeof key >= cap)
			goto full;
		memcpy(buf + len, key, sizeof key - 1);
		len += sizeof key - 1;
		for (int y = 0; y < rows; y++) {
			if (y > 0 && len + 1 < cap)
				buf[len++] = ',';
			if (term_row_attrs(y, buf, cap, &len) != 0)
				goto full;
		}
		if (len + 3 >= cap)
			goto full;
		buf[len++] = ']';
		buf[len++] = '}';
	}
	buf[len] = '\0';
	return (long)len;
full:
	snprintf(buf, cap, "screen larger than the reply buffer");
	return -1;
}

long
screen_capture(char *buf, size_t cap, int attrs)
{
	term_drain();
	if (term_seen())
		return emulated(buf, cap, attrs);
	if (attrs) {
		snprintf(buf, cap, "%s", term_on() ? "nothing the game wrote "
		    "reached a terminal (colours and attributes come from the "
		    "terminal)" : "HOOK_SCREEN=0: the game's output is not "
		    "interpreted");
		return -1;
	}
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
		int n = read_row(scr, y, cols, row, sizeof row);
		if (n < 0)
			n = 0;
		row[n] = '\0';
		/* Trailing blanks carry nothing. */
		while (n > 0 && row[n - 1] == ' ')
			row[--n] = '\0';
		if (y > 0 && len + 1 < cap)
			buf[len++] = ',';
		if (jstr_append(buf, cap, &len, row, (size_t)n) != 0) {
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

/* The rows as the last frame recorded had them: text, then attributes. */
#define TRACE_ROW_MAX 8192
static struct {
	char prev[TRACE_SCREEN_ROWS_MAX][TRACE_ROW_MAX];
	int height;
	char pool[TRACE_SCREEN_BYTES_MAX];
	struct trace_screen_row rows[TRACE_SCREEN_ROWS_MAX];
} tr;

void
screen_trace_rows(int all, struct trace_screen *out)
{
	static char cur[TRACE_ROW_MAX];
	int rows = 0, cols = 0, cy = 0, cx = 0;
	size_t used = 0;

	if (term_seen()) {
		term_size(&rows, &cols);
		term_cursor(&cy, &cx);
	}
	if (rows > TRACE_SCREEN_ROWS_MAX)
		rows = TRACE_SCREEN_ROWS_MAX;
	out->height = (uint32_t)rows;
	out->cursor_row = (uint32_t)cy;
	out->cursor_col = (uint32_t)cx;
	out->nrows = 0;
	out->rows = tr.rows;
	for (int y = 0; y < rows; y++) {
		/* "TEXT\0ATTRS\0", as the pool keeps them. */
		size_t n = term_row(y, cur, sizeof cur / 2);
		size_t len = n + 1;
		if (term_row_attrs(y, cur, sizeof cur, &len) != 0)
			cur[len = n + 1] = '\0';
		len++;
		if (!all && y < tr.height && memcmp(cur, tr.prev[y], len) == 0)
			continue;
		if (used + len > sizeof tr.pool)
			break;           /* the rest waits for the next frame */
		memcpy(tr.prev[y], cur, len);
		memcpy(tr.pool + used, cur, len);
		tr.rows[out->nrows].row = (uint32_t)y;
		tr.rows[out->nrows].text = tr.pool + used;
		tr.rows[out->nrows].attrs = tr.pool + used + n + 1;
		out->nrows++;
		used += len;
	}
	tr.height = rows;
}
