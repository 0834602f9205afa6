/* common/alloc.h in the shim: large buffers from a reserved range.
 *
 * The range is reserved once (PROT_NONE, so it costs no memory and counts
 * against no commit limit), left out of snapshots before anything in it is
 * handed out, and never unmapped: a save listing the game's mappings can
 * never meet a shim buffer, nor one vanishing while it copies. A block is
 * made readable and writable when handed out and replaced by a fresh
 * PROT_NONE mapping when given back, which returns its pages to the system
 * and leaves them zero for the next taker. Blocks are whole pages, found
 * first-fit in a table of free extents kept in address order.
 *
 * Only the shim's control and recorder threads and the frame thread's
 * boundary work allocate (never a hook's path), so a mutex is fine. When
 * the range cannot be reserved or is full, large requests fall back to
 * malloc, said once in the log. */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../common/alloc.h"
#include "alloc.h"
#include "log.h"
#include "snapshot.h"

#define PAGE 4096u
#define HDR 64u                 /* a block's size, then the caller's bytes */
#define FREE_MAX 512

struct extent {
	uintptr_t lo, hi;
};

static struct {
	pthread_mutex_t mu;
	int tried;
	int said_full;
	_Atomic uintptr_t lo, hi;          /* the reserved range, set once */
	struct extent free[FREE_MAX];      /* in address order, never touching */
	int nfree;
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void
reserve(void)
{
	pool.tried = 1;
	/* 64 GiB of addresses when the system lets us, less when not. */
	for (size_t size = (size_t)64 << 30; size >= ((size_t)256 << 20);
	    size >>= 1) {
		void *p = mmap(NULL, size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		snapshot_exclude(p, size);
		pool.free[0] = (struct extent){ (uintptr_t)p, (uintptr_t)p + size };
		atomic_store(&pool.hi, (uintptr_t)p + size);
		atomic_store(&pool.lo, (uintptr_t)p);
		pool.nfree = 1;
		return;
	}
	hlog("alloc: no address range could be reserved for the shim's "
	    "buffers; large ones come from malloc");
}

static int
owned(const void *p)
{
	return (uintptr_t)p >= atomic_load_explicit(&pool.lo, memory_order_relaxed)
	    && (uintptr_t)p < atomic_load_explicit(&pool.hi, memory_order_relaxed);
}

/* Take LEN bytes (whole pages) first-fit; 0 when nothing fits. */
static uintptr_t
take(size_t len)
{
	for (int i = 0; i < pool.nfree; i++) {
		struct extent *e = &pool.free[i];
		if (e->hi - e->lo < len)
			continue;
		uintptr_t a = e->lo;
		e->lo += len;
		if (e->lo == e->hi) {
			memmove(e, e + 1, (size_t)(pool.nfree - i - 1) * sizeof *e);
			pool.nfree--;
		}
		return a;
	}
	return 0;
}

/* Give [A, A+LEN) back, joining its neighbours. -1 when the table is full
 * (the pages stay taken: lost addresses, not memory). */
static int
give(uintptr_t a, size_t len)
{
	int i = 0;
	while (i < pool.nfree && pool.free[i].lo < a)
		i++;
	int join_prev = i > 0 && pool.free[i - 1].hi == a;
	int join_next = i < pool.nfree && pool.free[i].lo == a + len;
	if (join_prev && join_next) {
		pool.free[i - 1].hi = pool.free[i].hi;
		memmove(&pool.free[i], &pool.free[i + 1],
		    (size_t)(pool.nfree - i - 1) * sizeof pool.free[0]);
		pool.nfree--;
	} else if (join_prev) {
		pool.free[i - 1].hi = a + len;
	} else if (join_next) {
		pool.free[i].lo = a;
	} else {
		if (pool.nfree == FREE_MAX)
			return -1;
		memmove(&pool.free[i + 1], &pool.free[i],
		    (size_t)(pool.nfree - i) * sizeof pool.free[0]);
		pool.free[i] = (struct extent){ a, a + len };
		pool.nfree++;
	}
	return 0;
}

/* LEN bytes (whole pages) from the range, zero-filled; 0 when the range is
 * missing or full. */
static uintptr_t
pages_take(size_t len)
{
	pthread_mutex_lock(&pool.mu);
	if (!pool.tried)
		reserve();
	uintptr_t a = pool.lo ? take(len) : 0;
	if (a != 0 && mprotect((void *)a, len, PROT_READ | PROT_WRITE) != 0) {
		give(a, len);
		a = 0;
	}
	if (a == 0 && pool.lo && !pool.said_full) {
		pool.said_full = 1;
		hlog("alloc: the shim's reserved range is full; large buffers "
		    "come from malloc now");
	}
	pthread_mutex_unlock(&pool.mu);
	return a;
}

static void
pages_give(uintptr_t a, size_t len)
{
	pthread_mutex_lock(&pool.mu);
	/* A fresh inaccessible mapping over it: its pages go back. */
	if (mmap((void *)a, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE | MAP_FIXED, -1, 0) != MAP_FAILED)
		give(a, len);
	pthread_mutex_unlock(&pool.mu);
}

void *
shim_pages(size_t len)
{
	len = (len + PAGE - 1) & ~(size_t)(PAGE - 1);
	if (len == 0)
		len = PAGE;
	uintptr_t a = pages_take(len);
	if (a != 0)
		return (void *)a;
	/* No range: a mapping of its own, left out as soon as it exists. */
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	snapshot_exclude(p, len);
	return p;
}

void
shim_pages_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	len = (len + PAGE - 1) & ~(size_t)(PAGE - 1);
	if (len == 0)
		len = PAGE;
	if (owned(p))
		pages_give((uintptr_t)p, len);
	else
		munmap(p, len);   /* the fallback's: its exclusion stays */
}

/* A block of at least N bytes from the range, zero-filled; NULL when the
 * range is missing or full. */
static void *
big_alloc(size_t n)
{
	if (n > SIZE_MAX - HDR - PAGE)
		return NULL;
	size_t len = (n + HDR + PAGE - 1) & ~(size_t)(PAGE - 1);
	uintptr_t a = pages_take(len);
	if (a == 0)
		return NULL;
	*(size_t *)a = len;
	return (void *)(a + HDR);
}

static size_t
big_room(const void *p)
{
	return *(const size_t *)((uintptr_t)p - HDR) - HDR;
}

static void
big_free(void *p)
{
	uintptr_t a = (uintptr_t)p - HDR;
	pages_give(a, *(size_t *)a);
}

void *
gh_malloc(size_t n)
{
	if (n >= GH_BIG_ALLOC) {
		void *p = big_alloc(n);
		if (p != NULL)
			return p;
	}
	return malloc(n);
}

void *
gh_calloc(size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	size_t total = n * size;
	if (total >= GH_BIG_ALLOC) {
		void *p = big_alloc(total);   /* fresh pages are zero */
		if (p != NULL)
			return p;
	}
	return calloc(n, size);
}

void *
gh_realloc(void *p, size_t n)
{
	if (p == NULL)
		return gh_malloc(n);
	size_t have;
	if (owned(p)) {
		have = big_room(p);
		if (n <= have && n >= GH_BIG_ALLOC)
			return p;
	} else {
		if (n < GH_BIG_ALLOC)
			return realloc(p, n);
		have = malloc_usable_size(p);
	}
	void *q = gh_malloc(n);
	if (q == NULL)
		return NULL;
	memcpy(q, p, have < n ? have : n);
	gh_free(p);
	return q;
}

void
gh_free(void *p)
{
	if (p == NULL)
		return;
	if (owned(p))
		big_free(p);
	else
		free(p);
}
