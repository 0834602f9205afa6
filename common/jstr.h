/* The one JSON string writer, for the shim, dumper and hookctl alike. It
 * never allocates (the shim calls it where allocating is not allowed).
 *
 * What it writes for each byte of the input:
 *   '"' and '\'                 \" and \\
 *   0x00-0x1f and 0x7f          \u00XX (controls never reach a terminal raw)
 *   other ASCII                 itself
 *   a well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
 *   surrogates, nothing past U+10FFFF)         itself, unchanged
 *   any other byte 0x80-0xff    \u00XX: read as Latin-1, so the output is
 *                               always valid JSON (UTF-8) and no byte is
 *                               dropped; a Latin-1 string reads right
 */
#ifndef GH_JSTR_H
#define GH_JSTR_H

#include <stddef.h>

/* S (N bytes) as a quoted JSON string into DST (CAP bytes; no NUL added).
 * Returns the length the whole string needs: when that is more than CAP,
 * DST holds its first CAP bytes. */
size_t jstr_quote(char *dst, size_t cap, const char *s, size_t n);

/* Append S (N bytes) as a quoted JSON string to BUF (capacity CAP, current
 * length *LEN, always NUL-terminated). Returns 0, or -1 when it did not fit
 * (BUF is then as it was). */
int jstr_append(char *buf, size_t cap, size_t *len, const char *s, size_t n);

#endif
