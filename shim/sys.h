/* System calls for the shim's own use. The shim exports a syscall() hook
 * (hook-syscall.c), and a call of syscall() from inside the library would
 * bind to it, so the shim's code calls the kernel through sys_call: the
 * same arguments and result (-1 and errno on failure) as libc's syscall(),
 * straight to the kernel. */
#ifndef GH_SYS_H
#define GH_SYS_H

#include <sys/syscall.h>

long sys_call(long n, ...);

#endif
