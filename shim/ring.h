/* A single-producer single-consumer ring of variable-sized entries, in
 * memory mapped once: the frame thread hands finished trace records to the
 * writer thread, and watched states to the control thread, without locks
 * or allocation. A full ring makes the producer wait (backpressure). */
#ifndef GH_RING_H
#define GH_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct ring {
	uint8_t *buf;
	size_t cap;                 /* a multiple of 8 */
	_Atomic uint64_t head;      /* bytes ever committed */
	_Atomic uint64_t tail;      /* bytes ever released */
	_Atomic uint32_t hseq;      /* futex: bumped on commit */
	_Atomic uint32_t tseq;      /* futex: bumped on release */
	_Atomic int closed;
	uint64_t reserved_at;       /* producer: where the reservation is */
};

/* Map a ring of at least CAP bytes (R->buf, R->cap: a shim that keeps
 * snapshots excludes them). Returns 0 or -1. */
int ring_init(struct ring *r, size_t cap);
void ring_free(struct ring *r);
/* The largest entry the ring takes. */
size_t ring_max_entry(const struct ring *r);

/* Producer: room for LEN contiguous bytes, waiting while the ring is full;
 * NULL once closed or when LEN is over ring_max_entry. */
void *ring_reserve(struct ring *r, size_t len);
/* Producer: publish the reserved entry, LEN bytes (<= what was reserved). */
void ring_commit(struct ring *r, size_t len);

/* Consumer: the oldest entry, or NULL when there is none (waiting for one
 * when WAIT, until the ring is closed). */
const void *ring_peek(struct ring *r, size_t *len, int wait);
/* Consumer: done with the entry ring_peek gave. */
void ring_release(struct ring *r);

/* Wake and stop everyone waiting; reserve and blocking peek return NULL
 * from now on (entries already committed can still be peeked). */
void ring_close(struct ring *r);

#endif
