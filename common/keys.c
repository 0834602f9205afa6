/* Key name tables (see keys.h). */
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "keys.h"

struct key_name {
	const char *name;
	int code;
	const char *seq;
};

/* Special keys: the curses code, and the bytes an xterm sends with the
 * cursor keys in normal mode. */
static const struct key_name specials[] = {
	{ "left", KEY_LEFT, "\033[D" },
	{ "right", KEY_RIGHT, "\033[C" },
	{ "up", KEY_UP, "\033[A" },
	{ "down", KEY_DOWN, "\033[B" },
	{ "home", KEY_HOME, "\033[H" },
	{ "end", KEY_END, "\033[F" },
	{ "pgup", KEY_PPAGE, "\033[5~" },
	{ "pageup", KEY_PPAGE, "\033[5~" },
	{ "pgdn", KEY_NPAGE, "\033[6~" },
	{ "pagedown", KEY_NPAGE, "\033[6~" },
	{ "insert", KEY_IC, "\033[2~" },
	{ "ins", KEY_IC, "\033[2~" },
	{ "delete", KEY_DC, "\033[3~" },
	{ "del", KEY_DC, "\033[3~" },
	{ "backspace", KEY_BACKSPACE, "\177" },
	/* A terminal's Enter sends CR; the tty makes it NL under ICRNL. */
	{ "enter", '\r', "\r" },
	{ "return", '\r', "\r" },
	{ "tab", '\t', "\t" },
	{ "esc", 27, "\033" },
	{ "escape", 27, "\033" },
	{ "space", ' ', " " },
	{ "f1", KEY_F(1), "\033OP" },
	{ "f2", KEY_F(2), "\033OQ" },
	{ "f3", KEY_F(3), "\033OR" },
	{ "f4", KEY_F(4), "\033OS" },
	{ "f5", KEY_F(5), "\033[15~" },
	{ "f6", KEY_F(6), "\033[17~" },
	{ "f7", KEY_F(7), "\033[18~" },
	{ "f8", KEY_F(8), "\033[19~" },
	{ "f9", KEY_F(9), "\033[20~" },
	{ "f10", KEY_F(10), "\033[21~" },
	{ "f11", KEY_F(11), "\033[23~" },
	{ "f12", KEY_F(12), "\033[24~" },
};

const char *const key_special_names[] = {
	"left", "right", "up", "down", "home", "end", "pgup", "pgdn", "insert",
	"delete", "backspace", "enter", "tab", "esc", "space", "f1-f12",
	"C-a-C-z",
	NULL
};

static void
set_seq(struct key_def *out, int code, const char *seq, size_t len)
{
	out->code = code;
	out->seqlen = (unsigned char)len;
	memcpy(out->seq, seq, len);
}

void
key_from_byte(unsigned char c, struct key_def *out)
{
	set_seq(out, c, (const char *)&c, 1);
}

int
key_lookup(const char *name, struct key_def *out)
{
	size_t n = strlen(name);

	if (n == 1 && (unsigned char)name[0] > 0x20 && (unsigned char)name[0] < 0x7f) {
		key_from_byte((unsigned char)name[0], out);
		return 0;
	}
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
		if (strcasecmp(specials[i].name, name) == 0) {
			set_seq(out, specials[i].code, specials[i].seq,
			    strlen(specials[i].seq));
			return 0;
		}
	}
	/* Control keys: C-a, ctrl-a, ^a. */
	const char *c = NULL;
	if (n == 3 && (strncasecmp(name, "c-", 2) == 0))
		c = name + 2;
	else if (n == 6 && strncasecmp(name, "ctrl-", 5) == 0)
		c = name + 5;
	else if (n == 2 && name[0] == '^')
		c = name + 1;
	if (c != NULL) {
		unsigned char ch = (unsigned char)*c;
		if (ch >= 'a' && ch <= 'z')
			ch = (unsigned char)(ch - 'a' + 'A');
		if (ch >= '@' && ch <= '_') {
			key_from_byte((unsigned char)(ch - '@'), out);
			return 0;
		}
	}
	return -1;
}

const char *
key_describe(int code, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
		if (specials[i].code == code) {
			snprintf(buf, len, "%s", specials[i].name);
			return buf;
		}
	}
	if (code > 0x20 && code < 0x7f)
		snprintf(buf, len, "%c", code);
	else if (code >= 1 && code <= 26)
		snprintf(buf, len, "C-%c", 'a' + code - 1);
	else
		snprintf(buf, len, "code%d", code);
	return buf;
}
