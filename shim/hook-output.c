/* Hooks on what the game writes to its terminal, for the emulated screen
 * (term.c): write, writev and pwrite on a descriptor that is a terminal,
 * and the stdio output calls on a stream whose descriptor is one. glibc's
 * stdio writes its buffer with an internal write no hook sees, so each
 * stdio call is seen at the call: formatted once more, into a fixed buffer
 * or straight into the ring, never on the game's heap; the real call then
 * does exactly what it would have. Nothing of the game's changes: its
 * streams, buffers, descriptors and signals are its own. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "real.h"
#include "shim.h"
#include "term.h"
#include "xconn.h"

/* stdio.h may make some of these macros when optimizing. */
#undef putc
#undef putchar
#undef putc_unlocked
#undef putchar_unlocked
#undef fputc_unlocked
#undef fputs_unlocked
#undef fwrite_unlocked

/* The _FORTIFY_SOURCE entry points and glibc's old name for putc (no
 * public prototypes). */
int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap);
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...);
int __vprintf_chk(int flag, const char *fmt, va_list ap);
int __printf_chk(int flag, const char *fmt, ...);
int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap);
int __dprintf_chk(int fd, int flag, const char *fmt, ...);
int _IO_putc(int c, FILE *f);

/* Resolve the real functions when a hook runs before the constructor. */
#define NEED(name) \
	do { \
		if (unlikely(real_##name == NULL)) \
			real_resolve(); \
	} while (0)

/* Whether output on FD goes to the screen. */
static inline int
to_tty(int fd)
{
	return shim_on() && term_on() && term_fd_is_tty(fd);
}

static inline int
stream_tty(FILE *f)
{
	return !is_null(f) && shim_on() && term_on() &&
	    term_fd_is_tty(fileno(f));
}

/* FMT with AP as the real call will format it, to the screen. */
static void
feed_format(int fd, const char *fmt, va_list ap)
{
	char small[512];
	va_list cp;
	int e = errno;

	va_copy(cp, ap);
	int n = vsnprintf(small, sizeof small, fmt, cp);
	va_end(cp);
	if (n > 0 && (size_t)n < sizeof small) {
		term_feed(fd, small, (size_t)n);
	} else if (n > 0) {
		struct term_slot s;
		char *dst = term_reserve(fd, (size_t)n + 1, &s);
		if (dst != NULL) {
			va_copy(cp, ap);
			int m = vsnprintf(dst, (size_t)n + 1, fmt, cp);
			va_end(cp);
			term_commit(&s, m > 0 && m <= n ? (size_t)m : 0);
		}
	}
	errno = e;
}

static void
feed_str(int fd, const char *s, const char *tail)
{
	size_t n = 0;
	if (is_null(s))
		return;
	while (s[n])
		n++;
	term_feed(fd, s, n);
	if (tail != NULL)
		term_feed(fd, tail, 1);
}

static void
feed_char(int fd, int c)
{
	unsigned char b = (unsigned char)c;
	term_feed(fd, &b, 1);
}

/* N items of SIZE bytes at P. */
static void
feed_items(int fd, const void *p, size_t size, size_t n)
{
	if (!is_null(p) && size > 0 && n > 0 && n <= (size_t)-1 / size)
		term_feed(fd, p, size * n);
}

/* --- descriptors --- */

/* After a real write that returned R: its bytes to the screen. */
static inline ssize_t
wrote(int fd, const void *buf, ssize_t r)
{
	if (r > 0 && to_tty(fd)) {
		int e = errno;
		term_feed(fd, buf, (size_t)r);
		errno = e;
	}
	return r;
}

EXPORT ssize_t
write(int fd, const void *buf, size_t n)
{
	if (unlikely(real_write == NULL))
		return syscall(SYS_write, fd, buf, n);
	return wrote(fd, buf, real_write(fd, buf, n));
}

EXPORT ssize_t
writev(int fd, const struct iovec *v, int cnt)
{
	if (unlikely(real_writev == NULL))
		return syscall(SYS_writev, fd, v, cnt);
	ssize_t r = real_writev(fd, v, cnt);
	if (r > 0 && to_tty(fd)) {
		int e = errno;
		size_t left = (size_t)r;
		for (int i = 0; i < cnt && left > 0; i++) {
			size_t k = v[i].iov_len < left ? v[i].iov_len : left;
			term_feed(fd, v[i].iov_base, k);
			left -= k;
		}
		errno = e;
	}
	return r;
}

EXPORT ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (unlikely(real_pwrite == NULL))
		return syscall(SYS_pwrite64, fd, buf, n, off);
	return wrote(fd, buf, real_pwrite(fd, buf, n, off));
}

EXPORT ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	if (unlikely(real_pwrite64 == NULL))
		return syscall(SYS_pwrite64, fd, buf, n, off);
	return wrote(fd, buf, real_pwrite64(fd, buf, n, off));
}

/* A descriptor replaced by dup2/dup3 may be a terminal now, or no more. */
EXPORT int
dup2(int a, int b)
{
	if (unlikely(real_dup2 == NULL))
		return (int)syscall(SYS_dup2, a, b);
	int r = real_dup2(a, b);
	term_fd_forget(b);
	xconn_forget(b);
	return r;
}

EXPORT int
dup3(int a, int b, int fl)
{
	if (unlikely(real_dup3 == NULL))
		return (int)syscall(SYS_dup3, a, b, fl);
	int r = real_dup3(a, b, fl);
	term_fd_forget(b);
	xconn_forget(b);
	return r;
}

/* --- formatted --- */

EXPORT int
vfprintf(FILE *f, const char *fmt, va_list ap)
{
	NEED(vfprintf);
	if (stream_tty(f))
		feed_format(fileno(f), fmt, ap);
	return real_vfprintf(f, fmt, ap);
}

EXPORT int
fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int
vprintf(const char *fmt, va_list ap)
{
	return vfprintf(stdout, fmt, ap);
}

EXPORT int
printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int
vdprintf(int fd, const char *fmt, va_list ap)
{
	NEED(vdprintf);
	if (to_tty(fd))
		feed_format(fd, fmt, ap);
	return real_vdprintf(fd, fmt, ap);
}

EXPORT int
dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vdprintf(fd, fmt, ap);
	va_end(ap);
	return r;
}

/* The _FORTIFY_SOURCE variants Debian's binaries call. */
EXPORT int
__vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	NEED(__vfprintf_chk);
	if (stream_tty(f))
		feed_format(fileno(f), fmt, ap);
	return real___vfprintf_chk(f, flag, fmt, ap);
}

EXPORT int
__fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = __vfprintf_chk(f, flag, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int
__vprintf_chk(int flag, const char *fmt, va_list ap)
{
	return __vfprintf_chk(stdout, flag, fmt, ap);
}

EXPORT int
__printf_chk(int flag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = __vfprintf_chk(stdout, flag, fmt, ap);
	va_end(ap);
	return r;
}

EXPORT int
__vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
	NEED(__vdprintf_chk);
	if (to_tty(fd))
		feed_format(fd, fmt, ap);
	return real___vdprintf_chk(fd, flag, fmt, ap);
}

EXPORT int
__dprintf_chk(int fd, int flag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = __vdprintf_chk(fd, flag, fmt, ap);
	va_end(ap);
	return r;
}

/* --- strings and characters --- */

EXPORT int
puts(const char *s)
{
	NEED(puts);
	if (stream_tty(stdout))
		feed_str(fileno(stdout), s, "\n");
	return real_puts(s);
}

/* A hook NAME(PARAMS) on stream F: FEED its bytes, then the real call. */
#define STREAM_HOOK(ret, name, params, f, feed, args) \
	EXPORT ret \
	name params \
	{ \
		NEED(name); \
		if (stream_tty(f)) \
			feed; \
		return real_##name args; \
	}

STREAM_HOOK(int, fputs, (const char *s, FILE *f), f,
    feed_str(fileno(f), s, NULL), (s, f))
STREAM_HOOK(int, fputs_unlocked, (const char *s, FILE *f), f,
    feed_str(fileno(f), s, NULL), (s, f))
STREAM_HOOK(int, putchar, (int c), stdout, feed_char(fileno(stdout), c), (c))
STREAM_HOOK(int, putchar_unlocked, (int c), stdout,
    feed_char(fileno(stdout), c), (c))
STREAM_HOOK(int, putc, (int c, FILE *f), f, feed_char(fileno(f), c), (c, f))
STREAM_HOOK(int, putc_unlocked, (int c, FILE *f), f, feed_char(fileno(f), c),
    (c, f))
STREAM_HOOK(int, fputc, (int c, FILE *f), f, feed_char(fileno(f), c), (c, f))
STREAM_HOOK(int, fputc_unlocked, (int c, FILE *f), f,
    feed_char(fileno(f), c), (c, f))
STREAM_HOOK(size_t, fwrite, (const void *p, size_t size, size_t n, FILE *f),
    f, feed_items(fileno(f), p, size, n), (p, size, n, f))
STREAM_HOOK(size_t, fwrite_unlocked, (const void *p, size_t size, size_t n,
    FILE *f), f, feed_items(fileno(f), p, size, n), (p, size, n, f))

/* The name older binaries call putc by. */
EXPORT int
_IO_putc(int c, FILE *f)
{
	return putc(c, f);
}
