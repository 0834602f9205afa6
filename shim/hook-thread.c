/* The hook on thread creation: a new thread of the game starts tracked by
 * the virtual clock, so its first run happens at the same virtual instant
 * at any speed. */
#include <pthread.h>

#include "real.h"
#include "shim.h"
#include "snapshot.h"
#include "vclock.h"

/* What the new thread runs, kept in a fixed pool: no allocation here. */
static struct start {
	void *(*fn)(void *);
	void *arg;
	void *slot;
	_Atomic int used;
} starts[VCLOCK_SLOTS];

static void *
trampoline(void *p)
{
	struct start *s = p;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;

	vclock_thread_start(s->slot);
	atomic_store(&s->used, 0);
	/* Its stack stays its own across a snapshot's load. */
	snapshot_exclude_my_stack();
	void *r = fn(arg);
	snapshot_forget_my_stack();
	return r;
}

EXPORT int
pthread_create(pthread_t *t, const pthread_attr_t *attr,
    void *(*fn)(void *), void *arg)
{
	if (unlikely(real_pthread_create == NULL))
		real_resolve();
	if (!shim_on() || vclock_detached())
		return real_pthread_create(t, attr, fn, arg);
	for (int i = 0; i < VCLOCK_SLOTS; i++) {
		int expected = 0;
		if (!atomic_compare_exchange_strong(&starts[i].used, &expected, 1))
			continue;
		struct start *s = &starts[i];
		s->fn = fn;
		s->arg = arg;
		s->slot = vclock_thread_new();
		int r = real_pthread_create(t, attr, trampoline, s);
		if (r != 0) {
			vclock_thread_abort(s->slot);
			atomic_store(&s->used, 0);
		}
		return r;
	}
	return real_pthread_create(t, attr, fn, arg);
}
