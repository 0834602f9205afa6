/* Thin wrappers of the futex system call: private futexes on a 32-bit
 * word, the only blocking primitive of the shim's lock-free parts (the
 * virtual clock, the gate, the rings, the trace writer). */
#ifndef GH_FUTEX_H
#define GH_FUTEX_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

/* Sleep while *WORD is VAL, at most REL (NULL: no limit). Returns 0 when
 * woken, -1 with errno EAGAIN (the word had changed already), ETIMEDOUT or
 * EINTR. */
static inline int
futex_wait(_Atomic uint32_t *word, uint32_t val, const struct timespec *rel)
{
	return (int)sys_call(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, rel, NULL, 0);
}

/* Wake up to N threads sleeping on WORD. */
static inline void
futex_wake(_Atomic uint32_t *word, int n)
{
	sys_call(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

#endif
