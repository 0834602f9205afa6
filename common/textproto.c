/* Text framing helpers shared by the shim and hookctl (see textproto.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textproto.h"

int
tp_has_control(const char *line)
{
	for (const char *q = line; *q; q++) {
		unsigned char c = (unsigned char)*q;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 1;
	}
	return 0;
}

enum tp_status
tp_split(char *line, char **words, int *nwords)
{
	int n = 0;
	char *p = line;

	*nwords = 0;
	if (tp_has_control(line))
		return TP_CONTROL_BYTES;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == TP_WORDS_MAX)
			return TP_TOO_MANY_WORDS;
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p == '\0')
			break;
		*p++ = '\0';
	}
	*nwords = n;
	return n == 0 ? TP_EMPTY : TP_OK;
}

const char *
tp_verb(const char *line, char *verb, size_t cap)
{
	const char *p = line;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	while (*p && *p != ' ' && *p != '\t') {
		if (n + 1 < cap)
			verb[n++] = *p;
		p++;
	}
	if (cap > 0)
		verb[n] = '\0';
	return *p ? p + 1 : p;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
tp_unescape(const char *src, unsigned char *dst, size_t cap, size_t *bad)
{
	size_t o = 0;

	for (size_t i = 0; src[i]; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == '\\') {
			int h, l;
			switch (src[i + 1]) {
			case 'n': c = '\n'; i++; break;
			case 't': c = '\t'; i++; break;
			case 'r': c = '\r'; i++; break;
			case 'e': c = 27; i++; break;
			case '\\': c = '\\'; i++; break;
			case 'x':
				h = hexval((unsigned char)src[i + 2]);
				l = h < 0 ? -1 : hexval((unsigned char)src[i + 3]);
				if (h < 0 || l < 0) {
					*bad = i;
					return -1;
				}
				c = (unsigned char)(h * 16 + l);
				i += 3;
				break;
			default:
				*bad = i;
				return -1;
			}
		}
		if (o == cap) {
			*bad = i;
			return -1;
		}
		dst[o++] = c;
	}
	return (long)o;
}

int
tp_parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > (unsigned long long)LLONG_MAX)
		return -1;
	*out = v;
	return 0;
}

int
tp_simple_step(const char *buf, size_t n, unsigned long long *steps)
{
	size_t i = 4;
	unsigned long long v = 0;
	int digits = 0;

	if (n < 5 || memcmp(buf, "step", 4) != 0)
		return -1;
	if (buf[i] == ' ') {
		for (i++; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
			if (++digits > 10)
				return -1;
			v = v * 10 + (unsigned long long)(buf[i] - '0');
		}
		if (digits == 0 || v == 0 || v > 1000000000ULL)
			return -1;
	} else {
		v = 1;
	}
	if (i < n && buf[i] == '\r')
		i++;
	if (i + 1 != n || buf[i] != '\n')
		return -1;
	*steps = v;
	return 0;
}
