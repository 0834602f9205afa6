/* Threads parked in a wait without a timeout (a condition variable, a
 * semaphore): where each one waits, so that a snapshot can be taken while
 * a game's helper threads (Mesa's rasterizer and queue threads, SDL's) idle
 * there, and loaded only when they idle at the same place again. The
 * waits themselves are the hooks in hook-park.c. */
#ifndef GH_PARK_H
#define GH_PARK_H

#include <stddef.h>
#include <stdint.h>

#include "vclock.h"

/* Where a thread is parked: the object it waits on, the mutex it gave
 * back (NULL for a semaphore), with their sizes, and the call site. */
struct park_spot {
	const void *obj, *mutex, *site;
	uint16_t objlen, mutexlen;
};

/* The calling thread parks at the spot (OBJ, MUTEX, SITE). Returns a
 * token for park_end, -1 when the thread is not one the clock tracks (the
 * frame thread, the shim's threads, one created before the shim): then
 * nothing is noted. No allocation, no lock. */
int park_begin(const void *obj, size_t objlen, const void *mutex,
    size_t mutexlen, const void *site);
void park_end(int token);

/* Frame thread, before a save or a load: wait (in real time, within a
 * bound) until every tracked thread is asleep on the clock or parked, and
 * really blocked in the kernel (a parked thread already signalled is
 * running). Returns how many are not. */
int park_settle(void);

/* Where every tracked thread is parked at a save. */
struct park_snap {
	int n;
	struct park_spot spot[VCLOCK_SLOTS];
	uint32_t seq[VCLOCK_SLOTS];
};
void park_save(struct park_snap *s);
/* Whether no parked thread came back from its wait since park_save and
 * none is running now: the memory copied in between is consistent. */
int park_unchanged(const struct park_snap *s);
/* For a load: whether each thread parked now is parked where it was at
 * S's save. Returns 0, or -1 with ERR saying which thread differs. */
int park_check(const struct park_snap *s, char *err, size_t errlen);

/* Around a load's copy: keep the live bytes of every parked thread's
 * object and mutex (the waiter's sequence numbers, its reference in the
 * object: older ones put back under a waiting thread can lose its
 * wake-up), then write them back over the restored memory. Nothing is
 * allocated. */
void park_keep_take(void);
void park_keep_put(void);

/* Whether the live objects are kept across a load (HOOK_PARK_KEEP=0 turns
 * it off, for the test showing what it prevents). */
void park_init(void);

#endif
