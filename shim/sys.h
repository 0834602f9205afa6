/* System calls for the shim's own use. The shim exports a syscall() hook
 * (hook-syscall.c), and a call of syscall() from inside the library would
 * bind to it, so the shim's code calls the kernel through sys_call: the
 * same arguments and result (-1 and errno on failure) as libc's syscall(),
 * straight to the kernel. Unused arguments are passed as 0 (no varargs
 * read past what was given). */
#ifndef GH_SYS_H
#define GH_SYS_H

#include <sys/syscall.h>

long sys_call6(long n, long a, long b, long c, long d, long e, long f);

#define SYS_CALL_(n, a, b, c, d, e, f, ...) \
	sys_call6((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), \
	    (long)(e), (long)(f))
#define sys_call(...) SYS_CALL_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

#endif
