/* The JSON string writer (see jstr.h). */
#include <string.h>

#include "jstr.h"

/* The length of the well-formed UTF-8 sequence at S (N bytes left, S[0]
 * 0x80 or above), or 0 when there is none. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;   /* a continuation byte, C0, C1, F5-FF */
	if (n < len)
		return 0;
	/* The second byte's range rules out overlong forms, surrogates and
	 * code points past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t
jstr_quote(char *dst, size_t cap, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;

#define PUT(ch) do { if (o < cap) dst[o] = (char)(ch); o++; } while (0)
	PUT('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		size_t k;
		if (c == '"' || c == '\\') {
			PUT('\\');
			PUT(c);
		} else if (c >= 0x20 && c < 0x7f) {
			PUT(c);
		} else if (c >= 0x80 && (k = utf8_len(s + i, n - i)) > 0) {
			for (size_t j = 0; j < k; j++)
				PUT(s[i + j]);
			i += k - 1;
		} else {
			PUT('\\');
			PUT('u');
			PUT('0');
			PUT('0');
			PUT(hex[c >> 4]);
			PUT(hex[c & 15]);
		}
	}
	PUT('"');
#undef PUT
	return o;
}

int
jstr_append(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
	size_t room = cap > *len + 1 ? cap - *len - 1 : 0;
	size_t need = jstr_quote(buf + *len, room, s, n);

	if (need > room) {
		if (*len < cap)
			buf[*len] = '\0';
		return -1;
	}
	*len += need;
	buf[*len] = '\0';
	return 0;
}
