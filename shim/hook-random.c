/* Hooks for the game's sources of randomness under HOOK_SEED: libc's
 * generators are seeded from the game's seed mixed with HOOK_SEED, and
 * getrandom, getentropy, arc4random and reads of /dev/urandom and
 * /dev/random (through open/openat + read, or fopen + stdio) give the
 * seed's deterministic stream (seed.c). Without HOOK_SEED, before start-up
 * and on the shim's own threads, each passes straight through.
 *
 * Not covered: the raw getrandom syscall and RDRAND, a random device
 * opened by a relative path or through a descriptor not of these hooks
 * (dup, dup2, dup3, freopen, fdopen keep reading the device: a dup of a
 * marked descriptor is not marked), and readv/pread on one. (The process
 * id a seeded game reads is fixed in hook-pid.c.) */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"
#include "real.h"
#include "seed.h"
#include "vtimer.h"
#include "wait.h"
#include "shim.h"
#include "term.h"
#include "xconn.h"

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

#define MASK48 0xffffffffffffull

#if !__GLIBC_PREREQ(2, 36)
/* Declared by glibc from 2.36; libbsd has them too. */
uint32_t arc4random(void);
void arc4random_buf(void *buf, size_t n);
uint32_t arc4random_uniform(uint32_t upper);
#endif

/* A hook called before the constructor resolved the real functions (from
 * another library's constructor) looks its own up. */
#define NEED(name) \
	do { \
		if (unlikely(real_##name == NULL)) \
			*(void **)&real_##name = dlsym(RTLD_NEXT, #name); \
	} while (0)

/* True when this call is to draw from HOOK_SEED's stream. */
static inline int
seeding(void)
{
	return unlikely(shim_cfg.seeded) && shim_on();
}

/* The kernel's bytes, for the few calls with no real function to call. */
static void
sys_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		long r = sys_call(SYS_getrandom, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		n -= (size_t)r;
	}
}

/* ---- libc's seeded generators ---- */

EXPORT void
srand(unsigned int s)
{
	NEED(srand);
	real_srand(seeding() ? seed_mix32(s) : s);
}

EXPORT void
srandom(unsigned int s)
{
	NEED(srandom);
	real_srandom(seeding() ? seed_mix32(s) : s);
}

/* Set rand48's 48-bit state X mixed with HOOK_SEED (seed48 also restores
 * the standard multiplier and addend, as srand48 does). */
static unsigned short *
seed48_mixed(uint64_t x)
{
	uint64_t y = seed_mix64(x & MASK48);
	unsigned short v[3] = { (unsigned short)y, (unsigned short)(y >> 16),
	    (unsigned short)(y >> 32) };

	NEED(seed48);
	return real_seed48(v);
}

EXPORT void
srand48(long s)
{
	NEED(srand48);
	if (!seeding()) {
		real_srand48(s);
		return;
	}
	/* What srand48 sets: the high 32 bits of X from S, the low 16 0x330E. */
	seed48_mixed((uint64_t)(uint32_t)s << 16 | 0x330e);
}

/* The old state it returns is the mixed one: giving it back to seed48
 * later mixes it again. */
EXPORT unsigned short *
seed48(unsigned short v[3])
{
	NEED(seed48);
	if (!seeding() || is_null(v))
		return real_seed48(v);
	return seed48_mixed((uint64_t)v[0] | (uint64_t)v[1] << 16 |
	    (uint64_t)v[2] << 32);
}

/* The state is mixed; the game's multiplier and addend are kept. */
EXPORT void
lcong48(unsigned short p[7])
{
	NEED(lcong48);
	if (!seeding() || is_null(p)) {
		real_lcong48(p);
		return;
	}
	unsigned short q[7];
	memcpy(q, p, sizeof q);
	uint64_t y = seed_mix64((uint64_t)q[0] | (uint64_t)q[1] << 16 |
	    (uint64_t)q[2] << 32);
	q[0] = (unsigned short)y;
	q[1] = (unsigned short)(y >> 16);
	q[2] = (unsigned short)(y >> 32);
	real_lcong48(q);
}

/* ---- the kernel's randomness ---- */

EXPORT ssize_t
getrandom(void *buf, size_t n, unsigned int flags)
{
	if (unlikely(real_getrandom == NULL))
		return sys_call(SYS_getrandom, buf, n, flags);
	if (!seeding())
		return real_getrandom(buf, n, flags);
	if ((flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) ||
	    (flags & (GRND_RANDOM | GRND_INSECURE)) ==
	    (GRND_RANDOM | GRND_INSECURE)) {
		errno = EINVAL;
		return -1;
	}
	if (n > SEED_IO_MAX)
		n = SEED_IO_MAX;
	if (n > 0 && is_null(buf)) {
		errno = EFAULT;
		return -1;
	}
	seed_bytes(buf, n);
	return (ssize_t)n;
}

EXPORT int
getentropy(void *buf, size_t n)
{
	if (unlikely(real_getentropy == NULL)) {
		if (n > 256) {
			errno = EIO;
			return -1;
		}
		return sys_call(SYS_getrandom, buf, n, 0) == (long)n ? 0 : -1;
	}
	if (!seeding())
		return real_getentropy(buf, n);
	if (n > 256) {
		errno = EIO;
		return -1;
	}
	if (n > 0 && is_null(buf)) {
		errno = EFAULT;
		return -1;
	}
	seed_bytes(buf, n);
	return 0;
}

/* ---- arc4random (glibc 2.36, or libbsd's) ---- */

EXPORT uint32_t
arc4random(void)
{
	uint32_t v;

	if (seeding()) {
		seed_bytes(&v, sizeof v);
		return v;
	}
	if (likely(real_arc4random != NULL))
		return real_arc4random();
	sys_random(&v, sizeof v);
	return v;
}

EXPORT void
arc4random_buf(void *buf, size_t n)
{
	if (seeding())
		seed_bytes(buf, n);
	else if (likely(real_arc4random_buf != NULL))
		real_arc4random_buf(buf, n);
	else
		sys_random(buf, n);
}

EXPORT uint32_t
arc4random_uniform(uint32_t upper)
{
	if (!seeding()) {
		if (likely(real_arc4random_uniform != NULL))
			return real_arc4random_uniform(upper);
	} else if (upper < 2) {
		return 0;
	}
	/* Draw again below 2^32 mod UPPER: every remainder equally likely. */
	uint32_t min = -upper % upper, r;
	do
		r = arc4random();
	while (r < min);
	return r % upper;
}

/* ---- /dev/urandom and /dev/random ---- */

static int
is_random_path(const char *p)
{
	return strcmp(p, "/dev/urandom") == 0 || strcmp(p, "/dev/random") == 0;
}

static int
needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* After a real open returned FD for PATH: mark it when it is a random
 * device the game can read, else forget any mark its number had. */
static int
opened(const char *path, int flags, int fd)
{
	term_fd_forget(fd);   /* the number may have been a terminal before */
	if (likely(!shim_cfg.seeded) || fd < 0)
		return fd;
	int e = errno;
	if (shim_on() && !(flags & O_PATH) && (flags & O_ACCMODE) != O_WRONLY &&
	    is_random_path(path))
		seed_mark_fd(fd);
	else
		seed_unmark_fd(fd);
	errno = e;
	return fd;
}

#define MODE_ARG(flags, mode) \
	do { \
		if (needs_mode(flags)) { \
			va_list ap; \
			va_start(ap, flags); \
			mode = va_arg(ap, mode_t); \
			va_end(ap); \
		} \
	} while (0)

EXPORT int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	if (unlikely(real_open == NULL))
		return opened(path, flags, (int)sys_call(SYS_openat, AT_FDCWD,
		    path, flags, mode));
	return opened(path, flags, real_open(path, flags, mode));
}

EXPORT int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	if (unlikely(real_open64 == NULL))
		return opened(path, flags, (int)sys_call(SYS_openat, AT_FDCWD,
		    path, flags | O_LARGEFILE, mode));
	return opened(path, flags, real_open64(path, flags, mode));
}

EXPORT int
openat(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	if (unlikely(real_openat == NULL))
		return opened(path, flags, (int)sys_call(SYS_openat, dir, path,
		    flags, mode));
	return opened(path, flags, real_openat(dir, path, flags, mode));
}

EXPORT int
openat64(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	if (unlikely(real_openat64 == NULL))
		return opened(path, flags, (int)sys_call(SYS_openat, dir, path,
		    flags | O_LARGEFILE, mode));
	return opened(path, flags, real_openat64(dir, path, flags, mode));
}

EXPORT int
close(int fd)
{
	if (unlikely(real_close == NULL))
		return (int)sys_call(SYS_close, fd);
	seed_unmark_fd(fd);
	vtimer_fd_closed(fd);
	wait_epoll_closed(fd);
	term_fd_forget(fd);
	xconn_forget(fd);
	return real_close(fd);
}

/* A stream on a random device is a cookie stream over the real descriptor
 * (opened as fopen would: read-only or read-write, close-on-exec for "e"):
 * stdio reads through the cookie, which gives the seed's stream while the
 * shim seeds and the device's bytes otherwise (after detach, in a forked
 * child); writes, seeks and the close go to the real descriptor. fileno()
 * of such a stream is -1. */
static ssize_t
cookie_read(void *c, char *buf, size_t n)
{
	if (seeding()) {
		if (n > SEED_IO_MAX)
			n = SEED_IO_MAX;
		seed_bytes(buf, n);
		return (ssize_t)n;
	}
	return real_read((int)(intptr_t)c, buf, n);
}

static ssize_t
cookie_write(void *c, const char *buf, size_t n)
{
	ssize_t r = write((int)(intptr_t)c, buf, n);
	return r < 0 ? 0 : r;
}

static int
cookie_seek(void *c, off64_t *pos, int whence)
{
	off64_t r = lseek64((int)(intptr_t)c, *pos, whence);
	if (r < 0)
		return -1;
	*pos = r;
	return 0;
}

static int
cookie_close(void *c)
{
	return real_close((int)(intptr_t)c);
}

static FILE *
random_stream(const char *path, const char *mode)
{
	int rw = strchr(mode, '+') != NULL;
	int flags = (rw ? O_RDWR : O_RDONLY) | (strchr(mode, 'e') ? O_CLOEXEC : 0);
	cookie_io_functions_t io = {
		.read = cookie_read,
		.write = rw ? cookie_write : NULL,
		.seek = cookie_seek,
		.close = cookie_close,
	};

	int fd = real_open(path, flags);
	if (fd < 0)
		return NULL;
	seed_unmark_fd(fd);
	FILE *f = fopencookie((void *)(intptr_t)fd, rw ? "r+" : "r", io);
	if (f == NULL) {
		int e = errno;
		real_close(fd);
		errno = e;
	}
	return f;
}

/* FOPEN is the real fopen or fopen64. */
static FILE *
fopen_hook(void *(*fopen_fn)(const char *, const char *), const char *path,
    const char *mode)
{
	if (!seeding() || is_null(path) || is_null(mode))
		return fopen_fn(path, mode);
	if (mode[0] == 'r' && is_random_path(path))
		return random_stream(path, mode);
	FILE *f = fopen_fn(path, mode);
	if (f != NULL)
		seed_unmark_fd(fileno(f));
	return f;
}

EXPORT FILE *
fopen(const char *path, const char *mode)
{
	NEED(fopen);
	return fopen_hook(real_fopen, path, mode);
}

EXPORT FILE *
fopen64(const char *path, const char *mode)
{
	NEED(fopen64);
	return fopen_hook(real_fopen64, path, mode);
}
