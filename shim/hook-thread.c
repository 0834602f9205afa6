/* The hook on thread creation: a new thread of the game starts tracked by
 * the virtual clock, so its first run happens at the same virtual instant
 * at any speed. */
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "frame.h"
#include "log.h"
#include "real.h"
#include "shim.h"
#include "snapshot.h"
#include "stall.h"
#include "sys.h"
#include "vclock.h"

/* What the new thread runs, kept in a fixed pool: no allocation here.
 * The creator frees its entry once the thread has started. */
static struct start {
	void *(*fn)(void *);
	void *arg;
	void *slot;
	_Atomic long tid;
	_Atomic int used;
} starts[VCLOCK_SLOTS];

/* How long a creator waits, in real time, for its new thread to block. */
#define START_SETTLE_MAX_NS (250 * 1000000LL)
/* The gap between the two looks at a blocked new thread. */
#define START_LOOK_GAP_NS (1000000L)

static void *
trampoline(void *p)
{
	struct start *s = p;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;

	vclock_thread_start(s->slot);
	atomic_store(&s->tid, (long)sys_call(SYS_gettid));
	/* Its stack stays its own across a snapshot's load. */
	snapshot_exclude_my_stack();
	void *r = fn(arg);
	snapshot_forget_my_stack();
	return r;
}

/* The creator stopped waiting for the new thread (tid 0: not started). */
static void
start_gave_up(long tid)
{
	vclock_note_start_gave_up();
	hlog("threads: a new thread (tid %ld) neither slept nor blocked "
	    "within %lld ms of real time: its creator goes on", tid,
	    START_SETTLE_MAX_NS / 1000000);
}

/* Let the new thread of S run until it sleeps on the clock or blocks (a
 * condition variable, a lock, the X server, a wait to take the frames
 * over), within a real-time bound, before its creator goes on: what it
 * does first (SDL's audio thread looking whether the game has unpaused it
 * yet) then happens before what the creator does next, in every run.
 * When the bound is reached it is counted (info's start_gave_up) and
 * logged: what happens next may then differ from run to run. */
static void
start_settle(struct start *s)
{
	int64_t give_up = real_mono_ns() + START_SETTLE_MAX_NS;
	struct timespec nap = { 0, 50000 };
	long tid;

	while ((tid = atomic_load(&s->tid)) == 0) {
		if (real_mono_ns() >= give_up) {
			start_gave_up(0);
			return;
		}
		sys_call(SYS_nanosleep, &nap, NULL);
	}
	while (!vclock_thread_slept(s->slot)) {
		if (stall_thread_blocked(tid, START_LOOK_GAP_NS)) {
			vclock_thread_blocked(s->slot);
			return;
		}
		if (real_mono_ns() >= give_up) {
			start_gave_up(tid);
			return;
		}
		sys_call(SYS_nanosleep, &nap, NULL);
	}
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
		atomic_store(&s->tid, 0);
		int r = real_pthread_create(t, attr, trampoline, s);
		if (r != 0)
			vclock_thread_abort(s->slot);
		else
			start_settle(s);
		atomic_store(&s->used, 0);
		return r;
	}
	return real_pthread_create(t, attr, fn, arg);
}

/* The frame thread joining a thread lets it take the frames over as it
 * presents (frame.c's take_over): the join is where the frames go. */
EXPORT int
pthread_join(pthread_t t, void **ret)
{
	if (unlikely(real_pthread_join == NULL))
		real_resolve();
	if (!shim_on())
		return real_pthread_join(t, ret);
	uintptr_t j = frame_join_begin(t);
	int r = real_pthread_join(t, ret);
	frame_join_end(j);
	return r;
}
