/* The terminal's input side for injected keys (see tty.h). */
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "input.h"
#include "tty.h"

#define COOK_MAX 4096

/* Consumer only: translated bytes; [0, ready) may be read, the rest is a
 * canonical line still being typed. */
static struct {
	unsigned char buf[COOK_MAX];
	size_t len, ready;
	int eof;              /* an end-of-file character ends the ready part */
} ck;

/* The terminal's settings now; a raw terminal when fd 0 is none. */
static void
settings(struct termios *t)
{
	if (tcgetattr(0, t) != 0) {
		memset(t, 0, sizeof *t);
		t->c_cc[VMIN] = 1;
	}
}

/* One byte through the input flags: the byte, or -1 when dropped. */
static int
translate(const struct termios *t, unsigned char c)
{
	if (t->c_iflag & ISTRIP)
		c &= 0x7f;
	if (c == '\r') {
		if (t->c_iflag & IGNCR)
			return -1;
		if (t->c_iflag & ICRNL)
			return '\n';
	} else if (c == '\n' && (t->c_iflag & INLCR)) {
		return '\r';
	}
	return c;
}

static int
is_cc(const struct termios *t, int i, unsigned char c)
{
	return t->c_cc[i] != _POSIX_VDISABLE && t->c_cc[i] == c;
}

/* Move every injected byte readable now into the cooked buffer, as the
 * terminal's settings T say. */
static void
pull(const struct termios *t)
{
	unsigned char raw[64];
	size_t n;

	if (!input_pending() || ck.eof)
		return;
	int canon = (t->c_lflag & ICANON) != 0;
	while (ck.len < COOK_MAX && !ck.eof &&
	    (n = input_take_bytes(raw, ck.len + sizeof raw <= COOK_MAX ?
	    sizeof raw : COOK_MAX - ck.len)) > 0) {
		for (size_t i = 0; i < n; i++) {
			int c = translate(t, raw[i]);
			if (c < 0)
				continue;
			if (!canon) {
				ck.buf[ck.len++] = (unsigned char)c;
				ck.ready = ck.len;
				continue;
			}
			if (is_cc(t, VERASE, (unsigned char)c)) {
				if (ck.len > ck.ready)
					ck.len--;
			} else if (is_cc(t, VKILL, (unsigned char)c)) {
				ck.len = ck.ready;
			} else if (is_cc(t, VEOF, (unsigned char)c)) {
				ck.ready = ck.len;
				ck.eof = 1;   /* ends the read; not delivered */
			} else {
				ck.buf[ck.len++] = (unsigned char)c;
				if (c == '\n' || is_cc(t, VEOL, (unsigned char)c) ||
				    is_cc(t, VEOL2, (unsigned char)c))
					ck.ready = ck.len;
			}
			if (ck.len == COOK_MAX)
				ck.ready = ck.len;   /* a full line reads as one */
		}
	}
}

int
tty_readable(void)
{
	struct termios t;

	/* Settings only when there is something to translate. */
	if (input_pending() && !ck.eof) {
		settings(&t);
		pull(&t);
	}
	return ck.ready > 0 || ck.eof;
}

int
tty_holding(void)
{
	return ck.len > 0 || ck.eof || input_pending();
}

size_t
tty_read(void *buf, size_t n)
{
	struct termios t;
	size_t take;

	settings(&t);
	pull(&t);
	take = ck.ready < n ? ck.ready : n;
	if (t.c_lflag & ICANON) {
		/* One line a read. */
		unsigned char *nl = memchr(ck.buf, '\n', take);
		for (size_t i = 0; nl == NULL && i < take; i++)
			if (is_cc(&t, VEOL, ck.buf[i]) || is_cc(&t, VEOL2, ck.buf[i]))
				nl = ck.buf + i;
		if (nl != NULL)
			take = (size_t)(nl - ck.buf) + 1;
	}
	memcpy(buf, ck.buf, take);
	memmove(ck.buf, ck.buf + take, ck.len - take);
	ck.len -= take;
	ck.ready -= take;
	if (ck.ready == 0 && ck.eof && take == 0)
		ck.eof = 0;   /* the end-of-file read, returning 0 */
	return take;
}

int
tty_take_code(int *code, int nl_mode)
{
	if (ck.len > 0) {
		/* Bytes a read left: hand them on one at a time. */
		*code = ck.buf[0];
		memmove(ck.buf, ck.buf + 1, --ck.len);
		if (ck.ready)
			ck.ready--;
	} else if (!input_take_code(code)) {
		return 0;
	} else if (*code >= 0 && *code < 256) {
		struct termios t;
		settings(&t);
		int c = translate(&t, (unsigned char)*code);
		if (c < 0)
			return tty_take_code(code, nl_mode);
		*code = c;
	}
	if (*code == '\r' && nl_mode)
		*code = '\n';
	return 1;
}

void
tty_reset(void)
{
	ck.len = ck.ready = 0;
	ck.eof = 0;
}
