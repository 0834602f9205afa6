/* Reading back what a curses game last drew on its terminal. */
#ifndef GH_SCREEN_H
#define GH_SCREEN_H

#include <stddef.h>

/* Write the screen as a JSON array of row strings into BUF (capacity CAP).
 * Call on the frame thread, between the game's curses calls. Returns the
 * length, or -1 with a reason in BUF when the game has no curses screen. */
long screen_capture(char *buf, size_t cap);

#endif
