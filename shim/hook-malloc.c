/* Hooks on malloc and its family: the X libraries' allocations go to
 * their own arena, kept out of snapshots (xalloc.h); every other call
 * goes to glibc's own functions (__libc_malloc and friends: no dlsym, so
 * they work from the first allocation of the process, before the shim's
 * constructor). The test on the way is the caller's address against the
 * X libraries' code ranges, or the pointer against the arena's range.
 * Not in a sanitized build (XALLOC_HOOKS 0): the sanitizer's runtime owns
 * malloc there. */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>

#include "real.h"
#include "shim.h"
#include "xalloc.h"

#if XALLOC_HOOKS

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static void *
arena_result(void *p)
{
	if (p == NULL)
		errno = ENOMEM;
	return p;
}

EXPORT void *
malloc(size_t n)
{
	if (unlikely(xalloc_caller(__builtin_return_address(0))))
		return arena_result(xalloc_malloc(n));
	return __libc_malloc(n);
}

EXPORT void *
calloc(size_t n, size_t size)
{
	if (unlikely(xalloc_caller(__builtin_return_address(0))))
		return arena_result(xalloc_calloc(n, size));
	return __libc_calloc(n, size);
}

EXPORT void
free(void *p)
{
	if (unlikely(xalloc_owns(p)))
		xalloc_free(p);
	else
		__libc_free(p);
}

/* A chunk keeps its home: the arena's stays there, glibc's with glibc. */
static void *
realloc_from(void *p, size_t n, const void *caller)
{
	if (p != NULL ? xalloc_owns(p) : xalloc_caller(caller))
		return arena_result(xalloc_realloc(p, n));
	return __libc_realloc(p, n);
}

EXPORT void *
realloc(void *p, size_t n)
{
	return realloc_from(p, n, __builtin_return_address(0));
}

EXPORT void *
reallocarray(void *p, size_t n, size_t size)
{
	size_t t;
	if (__builtin_mul_overflow(n, size, &t)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc_from(p, t, __builtin_return_address(0));
}

EXPORT size_t
malloc_usable_size(void *p)
{
	if (xalloc_owns(p))
		return xalloc_usable(p);
	if (unlikely(real_malloc_usable_size == NULL))
		real_resolve();
	return real_malloc_usable_size != NULL ? real_malloc_usable_size(p) : 0;
}

#endif
