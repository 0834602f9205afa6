/* Hooks on malloc and its family: the X libraries' allocations go to
 * their own arena, kept out of snapshots (xalloc.h); every other call
 * goes to glibc's own functions (__libc_malloc and friends: no dlsym, so
 * they work from the first allocation of the process, before the shim's
 * constructor). The test on the way is the caller's address against the
 * X libraries' code ranges, or the pointer against the arena's range.
 * Under HOOK_SEED a large new block comes zeroed however glibc served it
 * (seed_zero below). Not in a sanitized build (XALLOC_HOOKS 0): the
 * sanitizer's runtime owns malloc there. */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "real.h"
#include "shim.h"
#include "xalloc.h"

#if XALLOC_HOOKS

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

/* glibc's initial mmap threshold (DEFAULT_MMAP_THRESHOLD_MIN): a block
 * this large came from the kernel, zeroed, until the dynamic threshold
 * rose. */
#define SEED_ZERO_MIN (128 * 1024)
/* glibc's flag, in the size word before a block, for a block of its own
 * mapping (IS_MMAPPED in malloc.c): fresh pages, zero already. */
#define CHUNK_IS_MMAPPED 0x2

/* A seeded game's large new block holds zeros, as it would have from the
 * kernel: glibc raises its mmap threshold when any thread frees a large
 * mapped block, at a moment that depends on thread timing, and a block
 * served from the heap after that holds whatever an earlier block left
 * there (Mesa's back buffer, posix_memalign'd, showed a freed image in
 * the rows lbreakouthd never draws; different each run). Blocks glibc
 * mapped for the call are left alone (their pages are zero and not yet
 * touched). Only for blocks of SEED_ZERO_MIN or more, so the cost is a
 * memset of memory the game is about to fill anyway; only while the shim
 * drives the process (not in a child it does not target, nor after
 * detach). */
static inline void *
seed_zero(void *p, size_t n)
{
	if (unlikely(n >= SEED_ZERO_MIN) && shim_cfg.seeded && p != NULL &&
	    atomic_load_explicit(&shim_active, memory_order_relaxed) &&
	    !(((const size_t *)p)[-1] & CHUNK_IS_MMAPPED))
		memset(p, 0, n);
	return p;
}

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
	return seed_zero(__libc_malloc(n), n);
}

EXPORT void *
calloc(size_t n, size_t size)
{
	if (unlikely(xalloc_caller(__builtin_return_address(0))))
		return arena_result(xalloc_calloc(n, size));
	return __libc_calloc(n, size);
}

/* glibc's checks (malloc/malloc.c): a power of two, a multiple of a
 * pointer's size; the block from the same function as memalign's. */
EXPORT int
posix_memalign(void **out, size_t align, size_t n)
{
	if (align % sizeof(void *) != 0 || align == 0 ||
	    (align & (align - 1)) != 0)
		return EINVAL;
	void *p = __libc_memalign(align, n);
	if (p == NULL)
		return ENOMEM;
	*out = seed_zero(p, n);
	return 0;
}

EXPORT void *
aligned_alloc(size_t align, size_t n)
{
	return seed_zero(__libc_memalign(align, n), n);
}

EXPORT void *
memalign(size_t align, size_t n)
{
	return seed_zero(__libc_memalign(align, n), n);
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
