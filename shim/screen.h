/* Reading back what the game last drew on its terminal. */
#ifndef GH_SCREEN_H
#define GH_SCREEN_H

#include <stddef.h>

#include "../common/trace.h"

/* Write the screen as a JSON array of row strings into BUF (capacity CAP);
 * with ATTRS, an object {"rows","cols","cursor":{"row","col"},"text":[...],
 * "attrs":[[[COUNT,FG,BG,"LETTERS"],...],...]} (README: `screen`). Call on
 * the frame thread, between the game's calls. Returns the length, or -1
 * with a reason in BUF when nothing was drawn on a terminal (and the game
 * has no curses screen). */
long screen_capture(char *buf, size_t cap, int attrs);

/* Frame thread, after term_drain: the screen for a trace record, in OUT
 * (valid until the next call): the rows that changed since the last call,
 * or every row when ALL (a keyframe). */
void screen_trace_rows(int all, struct trace_screen *out);

#endif
