/* The one growable text buffer: a NUL-terminated string that grows as it
 * is appended to. It allocates, so the shim uses it on its control thread
 * only, never on a hook's path. Out of memory, it keeps what it had, drops
 * the rest and remembers (FAILED): check once, when the text is used. */
#ifndef GH_SBUF_H
#define GH_SBUF_H

#include <stddef.h>
#include <stdint.h>

struct sbuf {
	char *p;        /* NULL until the first append */
	size_t len, cap;
	int failed;     /* an append was dropped for want of memory */
};

/* Room for NEED more bytes and the NUL. Returns 0, or -1 (FAILED set). */
int sb_reserve(struct sbuf *b, size_t need);
/* Empty it (keeping its memory) and clear FAILED. */
void sb_reset(struct sbuf *b);
void sb_free(struct sbuf *b);
void sb_put(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* S (N bytes) as a quoted JSON string (jstr.h says how). */
void sb_json_strn(struct sbuf *b, const char *s, size_t n);
/* The NUL-terminated S as a quoted JSON string. */
void sb_json_str(struct sbuf *b, const char *s);
/* P (N bytes) in lowercase hex. */
void sb_hex(struct sbuf *b, const uint8_t *p, size_t n);

#endif
