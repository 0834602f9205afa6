/* The SPSC entry ring (see ring.h). An entry is an 8-byte length and its
 * bytes, padded to 8; an entry that would not fit before the end of the
 * buffer is preceded by a wrap marker and starts at the beginning. */
#include <limits.h>
#include <string.h>

#include "alloc.h"
#include "futex.h"
#include "ring.h"

#define WRAP UINT64_MAX
#define HDR 8

static size_t
pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

int
ring_init(struct ring *r, size_t cap)
{
	memset(r, 0, sizeof *r);
	cap = (cap + 4095) & ~(size_t)4095;
	void *p = shim_pages(cap);
	if (p == NULL)
		return -1;
	r->buf = p;
	r->cap = cap;
	return 0;
}

void
ring_free(struct ring *r)
{
	if (r->buf != NULL)
		shim_pages_free(r->buf, r->cap);
	r->buf = NULL;
}

size_t
ring_max_entry(const struct ring *r)
{
	return r->cap / 2 - HDR;
}

void *
ring_reserve(struct ring *r, size_t len)
{
	size_t need = HDR + pad8(len);

	if (len > ring_max_entry(r))
		return NULL;
	for (;;) {
		uint32_t seq = atomic_load(&r->tseq);
		if (atomic_load(&r->closed))
			return NULL;
		uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		size_t at = (size_t)(head % r->cap);
		size_t skip = r->cap - at < need ? r->cap - at : 0;
		if (r->cap - (head - tail) >= skip + need) {
			if (skip) {
				uint64_t w = WRAP;
				memcpy(r->buf + at, &w, sizeof w);
				atomic_store_explicit(&r->head, head + skip,
				    memory_order_release);
				head += skip;
				at = 0;
			}
			r->reserved_at = head;
			return r->buf + at + HDR;
		}
		futex_wait(&r->tseq, seq, NULL);
	}
}

void
ring_commit(struct ring *r, size_t len)
{
	uint64_t n = len;
	memcpy(r->buf + r->reserved_at % r->cap, &n, sizeof n);
	atomic_store_explicit(&r->head, r->reserved_at + HDR + pad8(len),
	    memory_order_release);
	atomic_fetch_add(&r->hseq, 1);
	futex_wake(&r->hseq, INT_MAX);
}

const void *
ring_peek(struct ring *r, size_t *len, int wait)
{
	for (;;) {
		uint32_t seq = atomic_load(&r->hseq);
		uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
		if (head != tail) {
			size_t at = (size_t)(tail % r->cap);
			uint64_t n;
			memcpy(&n, r->buf + at, sizeof n);
			if (n == WRAP) {
				atomic_store_explicit(&r->tail, tail + (r->cap - at),
				    memory_order_release);
				continue;
			}
			if (tail + HDR + pad8((size_t)n) > head)
				continue;   /* only the marker is out yet */
			*len = (size_t)n;
			return r->buf + at + HDR;
		}
		if (!wait || atomic_load(&r->closed))
			return NULL;
		futex_wait(&r->hseq, seq, NULL);
	}
}

void
ring_release(struct ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t n;
	memcpy(&n, r->buf + tail % r->cap, sizeof n);
	atomic_store_explicit(&r->tail, tail + HDR + pad8((size_t)n),
	    memory_order_release);
	atomic_fetch_add(&r->tseq, 1);
	futex_wake(&r->tseq, INT_MAX);
}

void
ring_close(struct ring *r)
{
	atomic_store(&r->closed, 1);
	atomic_fetch_add(&r->hseq, 1);
	atomic_fetch_add(&r->tseq, 1);
	futex_wake(&r->hseq, INT_MAX);
	futex_wake(&r->tseq, INT_MAX);
}
