/* The growable text buffer (see sbuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "jstr.h"
#include "sbuf.h"

int
sb_reserve(struct sbuf *b, size_t need)
{
	if (b->p != NULL && b->len + need + 1 <= b->cap)
		return 0;
	if (need > ((size_t)-1 >> 2) - b->len) {
		b->failed = 1;
		return -1;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	char *p = gh_realloc(b->p, cap);
	if (p == NULL) {
		b->failed = 1;
		return -1;
	}
	if (b->p == NULL)
		p[0] = '\0';
	b->p = p;
	b->cap = cap;
	return 0;
}

void
sb_reset(struct sbuf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
sb_free(struct sbuf *b)
{
	gh_free(b->p);
	memset(b, 0, sizeof *b);
}

void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (sb_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0 || sb_reserve(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
sb_json_strn(struct sbuf *b, const char *s, size_t n)
{
	size_t room = b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;
	size_t need = jstr_quote(b->p ? b->p + b->len : NULL, room, s, n);

	if (need > room) {
		if (sb_reserve(b, need) != 0)
			return;
		jstr_quote(b->p + b->len, need, s, n);
	}
	b->len += need;
	b->p[b->len] = '\0';
}

void
sb_json_str(struct sbuf *b, const char *s)
{
	sb_json_strn(b, s, strlen(s));
}

void
sb_hex(struct sbuf *b, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	if (sb_reserve(b, 2 * n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		b->p[b->len++] = digits[p[i] >> 4];
		b->p[b->len++] = digits[p[i] & 15];
	}
	b->p[b->len] = '\0';
}
