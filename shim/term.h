/* The game's terminal as the game drew it: every byte the game sends to a
 * terminal (hook-output.c) goes through a lock-free ring into a libvterm
 * emulator, fed on the frame thread at each boundary, whose screen
 * `screen` and traces read. Everything lives in memory the shim maps
 * itself: the game's heap never moves. */
#ifndef GH_TERM_H
#define GH_TERM_H

#include <stddef.h>
#include <stdint.h>

/* Map the ring (once; start-up). Before it, output is not seen (and
 * never, with HOOK_SCREEN=0, when it is not called). */
void term_init(void);
/* Whether output is being taken: hooks look no further when not. */
int term_on(void);
/* Bytes interpreted and lost so far, as a JSON object into BUF. */
void term_describe(char *buf, size_t cap);

/* Any thread, hook paths: whether descriptor FD is a terminal (cached;
 * term_fd_forget when FD is closed or replaced). */
int term_fd_is_tty(int fd);
void term_fd_forget(int fd);

/* Any thread, hook paths: N bytes the game sent to a terminal, in the
 * order of the calls. Lock-free (a reservation by compare-and-swap), safe
 * in a signal handler; bytes that do not fit are counted as lost. */
void term_feed(int fd, const void *buf, size_t n);
/* A reservation in the ring. */
struct term_slot {
	void *hdr;
	uint64_t pos;
};
/* Reserve room for up to N bytes bound for FD, to format in place; NULL
 * when there is none (counted as lost). term_commit with the bytes really
 * used (at most N). */
char *term_reserve(int fd, size_t n, struct term_slot *s);
void term_commit(struct term_slot *s, size_t used);

/* Frame thread: interpret what came since the last call. Cheap when
 * nothing came (one atomic load). */
void term_drain(void);

/* Frame thread, after term_drain: whether any output was seen, and the
 * size. */
int term_seen(void);
void term_size(int *rows, int *cols);

/* Frame thread: row Y as UTF-8 (line drawing as its Unicode glyphs),
 * trailing blanks dropped, into OUT (capacity CAP); returns its length. */
size_t term_row(int y, char *out, size_t cap);
/* Frame thread: row Y's colours and attributes as a JSON array of runs
 * [COUNT,FG,BG,"ATTRS"] appended at *LEN of BUF; -1 when it does not fit. */
int term_row_attrs(int y, char *buf, size_t cap, size_t *len);
void term_cursor(int *row, int *col);
/* Bytes lost to a full ring since start. */
uint64_t term_lost(void);

/* Code point C as UTF-8 into OUT (4 bytes at most); returns the length. */
size_t term_utf8(uint32_t c, char *out);

#endif
