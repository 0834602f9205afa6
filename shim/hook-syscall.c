/* The hook on libc's syscall(): a game (or a library it links) that calls
 * the clock, sleep, random or pid system calls by number gets what the
 * named functions give under the shim (and its writes go where a write()
 * goes, past the screen's hook); every other number goes to the
 * kernel. (System calls made with the instruction itself, or through the
 * vDSO directly, are not seen.) */
#include <errno.h>
#include <stdarg.h>
#include <sys/random.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "sys.h"

EXPORT long
syscall(long n, ...)
{
	va_list ap;
	long a[6];

	/* As libc's syscall() does: six arguments are read whatever the call
	 * takes (the ABI passes them in registers). */
	va_start(ap, n);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!shim_on())
		return sys_call6(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	switch (n) {
	case SYS_clock_gettime:
		return clock_gettime((clockid_t)a[0], (struct timespec *)a[1]);
	case SYS_gettimeofday:
		return gettimeofday((struct timeval *)a[0], (void *)a[1]);
#ifdef SYS_time
	case SYS_time:
		return (long)time((time_t *)a[0]);
#endif
	case SYS_nanosleep:
		return nanosleep((const struct timespec *)a[0],
		    (struct timespec *)a[1]);
	case SYS_clock_nanosleep: {
		/* The function returns the error; the system call sets it. */
		int e = clock_nanosleep((clockid_t)a[0], (int)a[1],
		    (const struct timespec *)a[2], (struct timespec *)a[3]);
		if (e != 0) {
			errno = e;
			return -1;
		}
		return 0;
	}
	case SYS_getrandom:
		return getrandom((void *)a[0], (size_t)a[1], (unsigned)a[2]);
	case SYS_getpid:
		return shim_pid_for(__builtin_return_address(0));
	/* Writes, so that a terminal's screen (hook-output.c) sees them. */
	case SYS_write:
		return write((int)a[0], (const void *)a[1], (size_t)a[2]);
	case SYS_writev:
		return writev((int)a[0], (const struct iovec *)a[1], (int)a[2]);
	default:
		return sys_call6(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}
