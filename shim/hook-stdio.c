/* Hooks for games that read standard input through stdio (getchar, getc,
 * fgetc, fgets, fread, getline, scanf...): glibc reads a stream through its
 * own internal read, which the read hook never sees, so while the shim
 * manages standard input these take the injected keys themselves, a byte
 * at a time through stdin_read (as the terminal delivers them: tty.h).
 * What the stream already buffered is read by libc as usual; other streams
 * and an unmanaged standard input go straight to libc. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "real.h"
#include "shim.h"
#include "tty.h"
#include "wait.h"


/* stdio.h may make some of these macros when optimizing. */
#undef getc
#undef getchar
#undef getc_unlocked
#undef getchar_unlocked
#undef fgetc_unlocked
#undef fread_unlocked
#undef fgets_unlocked

/* glibc's other names for the same entry points (no public prototypes). */
int _IO_getc(FILE *fp);
ssize_t __getdelim(char **line, size_t *cap, int delim, FILE *fp);

/* glibc's stream flags (libio.h): end of file and error seen. */
#define STREAM_EOF 0x0010
#define STREAM_ERR 0x0020
#define SCANF_LINE_MAX 4096

/* Whether this read of FP is the shim's: standard input, managed, with
 * nothing left in the stream's own buffer. */
static int
managed(FILE *fp)
{
	return shim_on() && fp != NULL && fileno_unlocked(fp) == 0 &&
	    wait_stdin_managed() && fp->_IO_read_ptr >= fp->_IO_read_end;
}

/* One byte for FP, or EOF with the stream's flag set as libc would. */
static int
take(FILE *fp, const void *caller)
{
	unsigned char c;
	ssize_t r = stdin_read(&c, 1, caller);
	if (r == 1)
		return c;
	fp->_flags |= r == 0 ? STREAM_EOF : STREAM_ERR;
	return EOF;
}

#define GETC_HOOK(name, params, args, fpexpr) \
	EXPORT int \
	name params \
	{ \
		if (unlikely(real_##name == NULL)) \
			real_resolve(); \
		if (!managed(fpexpr)) \
			return real_##name args; \
		return take(fpexpr, __builtin_return_address(0)); \
	}
GETC_HOOK(getchar, (void), (), stdin)
GETC_HOOK(getchar_unlocked, (void), (), stdin)
GETC_HOOK(getc, (FILE *fp), (fp), fp)
GETC_HOOK(getc_unlocked, (FILE *fp), (fp), fp)
GETC_HOOK(fgetc, (FILE *fp), (fp), fp)
GETC_HOOK(fgetc_unlocked, (FILE *fp), (fp), fp)
GETC_HOOK(_IO_getc, (FILE *fp), (fp), fp)

/* fgets: up to N-1 bytes, to the end of a line. */
static char *
gets_managed(char *s, int n, FILE *fp, const void *caller)
{
	int i = 0;
	if (n <= 0)
		return NULL;
	while (i < n - 1) {
		int c = take(fp, caller);
		if (c == EOF)
			break;
		s[i++] = (char)c;
		if (c == '\n')
			break;
	}
	if (i == 0)
		return NULL;
	s[i] = '\0';
	return s;
}

EXPORT char *
fgets(char *s, int n, FILE *fp)
{
	if (unlikely(real_fgets == NULL))
		real_resolve();
	if (!managed(fp))
		return real_fgets(s, n, fp);
	return gets_managed(s, n, fp, __builtin_return_address(0));
}

EXPORT char *
fgets_unlocked(char *s, int n, FILE *fp)
{
	if (unlikely(real_fgets_unlocked == NULL))
		real_resolve();
	if (!managed(fp))
		return real_fgets_unlocked(s, n, fp);
	return gets_managed(s, n, fp, __builtin_return_address(0));
}

static size_t
read_managed(void *p, size_t size, size_t nmemb, FILE *fp, const void *caller)
{
	size_t want = size * nmemb, got = 0;
	if (size == 0 || nmemb == 0)
		return 0;
	while (got < want) {
		ssize_t r = stdin_read((char *)p + got, want - got, caller);
		if (r <= 0) {
			fp->_flags |= r == 0 ? STREAM_EOF : STREAM_ERR;
			break;
		}
		got += (size_t)r;
	}
	return got / size;
}

EXPORT size_t
fread(void *p, size_t size, size_t nmemb, FILE *fp)
{
	if (unlikely(real_fread == NULL))
		real_resolve();
	if (!managed(fp))
		return real_fread(p, size, nmemb, fp);
	return read_managed(p, size, nmemb, fp, __builtin_return_address(0));
}

EXPORT size_t
fread_unlocked(void *p, size_t size, size_t nmemb, FILE *fp)
{
	if (unlikely(real_fread_unlocked == NULL))
		real_resolve();
	if (!managed(fp))
		return real_fread_unlocked(p, size, nmemb, fp);
	return read_managed(p, size, nmemb, fp, __builtin_return_address(0));
}

/* getdelim: the game's buffer, grown with realloc as libc grows it. */
static ssize_t
getdelim_managed(char **line, size_t *cap, int delim, FILE *fp,
    const void *caller)
{
	size_t n = 0;
	if (line == NULL || cap == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		if (*line == NULL || n + 2 > *cap) {
			size_t nc = *cap < 120 ? 120 : *cap * 2;
			char *p = realloc(*line, nc);
			if (p == NULL)
				return -1;
			*line = p;
			*cap = nc;
		}
		int c = take(fp, caller);
		if (c == EOF)
			break;
		(*line)[n++] = (char)c;
		if (c == delim)
			break;
	}
	(*line)[n] = '\0';
	return n == 0 ? -1 : (ssize_t)n;
}

EXPORT ssize_t
getdelim(char **line, size_t *cap, int delim, FILE *fp)
{
	if (unlikely(real_getdelim == NULL))
		real_resolve();
	if (!managed(fp))
		return real_getdelim(line, cap, delim, fp);
	return getdelim_managed(line, cap, delim, fp, __builtin_return_address(0));
}

EXPORT ssize_t
__getdelim(char **line, size_t *cap, int delim, FILE *fp)
{
	if (unlikely(real_getdelim == NULL))
		real_resolve();
	if (!managed(fp))
		return real_getdelim(line, cap, delim, fp);
	return getdelim_managed(line, cap, delim, fp, __builtin_return_address(0));
}

EXPORT ssize_t
getline(char **line, size_t *cap, FILE *fp)
{
	if (unlikely(real_getdelim == NULL))
		real_resolve();
	if (!managed(fp))
		return real_getdelim(line, cap, '\n', fp);
	return getdelim_managed(line, cap, '\n', fp, __builtin_return_address(0));
}

/* scanf on managed standard input reads one line and scans it: what the
 * format leaves of that line is not read again. */
static int
scan_managed(FILE *fp, const char *fmt, va_list ap, const void *caller)
{
	char line[SCANF_LINE_MAX];
	if (gets_managed(line, sizeof line, fp, caller) == NULL)
		return EOF;
	return vsscanf(line, fmt, ap);
}

/* The one body of the scanf family: libc's vfscanf (or its __isoc99_
 * twin, ISOC99) unless the stream is managed standard input. */
static int
scan(int isoc99, FILE *fp, const char *fmt, va_list ap, const void *caller)
{
	if (unlikely(real_vfscanf == NULL))
		real_resolve();
	if (managed(fp))
		return scan_managed(fp, fmt, ap, caller);
	if (isoc99 && real___isoc99_vfscanf != NULL)
		return real___isoc99_vfscanf(fp, fmt, ap);
	return real_vfscanf(fp, fmt, ap);
}

/* Each member of the family for ISOC99 0 or 1, named for the linker
 * explicitly: glibc's headers may rename the C names to __isoc99_ ones. */
#define SCAN_FAMILY(iso, pre, vf, f, s, vs) \
	EXPORT int pre##vfscanf(FILE *fp, const char *fmt, va_list ap) \
	    __asm__(vf); \
	int \
	pre##vfscanf(FILE *fp, const char *fmt, va_list ap) \
	{ \
		return scan(iso, fp, fmt, ap, __builtin_return_address(0)); \
	} \
	EXPORT int pre##vscanf(const char *fmt, va_list ap) __asm__(vs); \
	int \
	pre##vscanf(const char *fmt, va_list ap) \
	{ \
		return scan(iso, stdin, fmt, ap, __builtin_return_address(0)); \
	} \
	EXPORT int pre##fscanf(FILE *fp, const char *fmt, ...) __asm__(f); \
	int \
	pre##fscanf(FILE *fp, const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		int r = scan(iso, fp, fmt, ap, __builtin_return_address(0)); \
		va_end(ap); \
		return r; \
	} \
	EXPORT int pre##scanf(const char *fmt, ...) __asm__(s); \
	int \
	pre##scanf(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		int r = scan(iso, stdin, fmt, ap, __builtin_return_address(0)); \
		va_end(ap); \
		return r; \
	}
SCAN_FAMILY(0, hook_, "vfscanf", "fscanf", "scanf", "vscanf")
SCAN_FAMILY(1, hook_isoc99_, "__isoc99_vfscanf", "__isoc99_fscanf",
    "__isoc99_scanf", "__isoc99_vscanf")
