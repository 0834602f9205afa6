/* The terminal's input side for injected keys: what a read of the game's
 * terminal returns is what the line discipline would make of the keys, as
 * the terminal's settings say at that moment: CR and NL translated or
 * dropped (ICRNL, INLCR, IGNCR), the eighth bit stripped (ISTRIP), and in
 * canonical mode (ICANON) whole lines only, edited by the erase and kill
 * characters, the end-of-file character ending a read. Consumer side only
 * (the thread that reads input), like input.h's. */
#ifndef GH_TTY_H
#define GH_TTY_H

#include <stddef.h>

/* Whether a read of the terminal would return injected bytes now. */
int tty_readable(void);

/* A read of the terminal: up to N injected bytes into BUF (at most one
 * line in canonical mode; 0 for an end-of-file character). Call only when
 * tty_readable(). */
size_t tty_read(void *buf, size_t n);

/* Whether injected bytes wait, readable or not (a line not yet ended). */
int tty_holding(void);

/* The next key as a curses code, a single byte translated as the terminal
 * would, and then as curses does: in nl() mode (NL_MODE) a CR that reaches
 * it is returned as NL, so Enter reads as '\n' in nl() mode and '\r' in
 * nonl() mode; 1 when there was one. */
int tty_take_code(int *code, int nl_mode);

/* A read of standard input while the shim manages it (hook-input.c): the
 * injected bytes as the terminal delivers them, waiting on the virtual
 * clock as the descriptor's flags and the terminal's VMIN/VTIME say.
 * CALLER names the game's call for the busy-loop log. */
#include <sys/types.h>
ssize_t stdin_read(void *buf, size_t n, const void *caller);

/* Forget what was held (a snapshot's load). */
void tty_reset(void);

#endif
