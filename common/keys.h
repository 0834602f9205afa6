/* Key names of the control protocol: what `key right` means to a curses
 * game (a KEY_* code) and to a game reading standard input (bytes an xterm
 * sends). */
#ifndef GH_KEYS_H
#define GH_KEYS_H

#include <stddef.h>

#define KEY_SEQ_MAX 8

struct key_def {
	int code;                 /* what curses wgetch returns with keypad on */
	unsigned char seq[KEY_SEQ_MAX]; /* bytes on standard input */
	unsigned char seqlen;
};

/* Resolve NAME (e.g. "left", "enter", "f1", "a", "C-x", "ctrl-x") into *out.
 * Returns 0, or -1 when the name is unknown. */
int key_lookup(const char *name, struct key_def *out);

/* Describe a single byte of typed text as a key (code = the byte). */
void key_from_byte(unsigned char c, struct key_def *out);

/* A key's canonical name for logs and traces, written into buf. */
const char *key_describe(int code, char *buf, size_t len);

/* Names of the special keys, NULL-terminated, for help text. */
extern const char *const key_special_names[];

#endif
