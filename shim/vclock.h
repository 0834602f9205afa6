/* The virtual clock: the one sense of time every thread of the game sees.
 * Virtual time advances only when the frame thread waits (by exactly what it
 * asked to wait), so a game simulates the same at any speed; at a finite
 * speed those waits are paced against real time. Other threads that sleep
 * wait for virtual time to reach their deadline. */
#ifndef GH_VCLOCK_H
#define GH_VCLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define NS_PER_SEC 1000000000LL
#define VCLOCK_NCLOCKS 12
#define VCLOCK_SLOTS 128   /* threads tracked while they sleep */

/* The real CLOCK_MONOTONIC, straight from the kernel, in ns. */
int64_t real_mono_ns(void);

static inline int64_t
ts_to_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * NS_PER_SEC + t->tv_nsec;
}

static inline struct timespec
ns_to_ts(int64_t ns)
{
	struct timespec t;
	if (ns < 0) {
		t.tv_sec = -((-ns + NS_PER_SEC - 1) / NS_PER_SEC);
		t.tv_nsec = (long)(ns - (int64_t)t.tv_sec * NS_PER_SEC);
	} else {
		t.tv_sec = (time_t)(ns / NS_PER_SEC);
		t.tv_nsec = (long)(ns % NS_PER_SEC);
	}
	return t;
}

/* Which origin a clock id maps to, or -1 for clocks left real (another
 * thread's or process's CPU clock). The calling process's and thread's CPU
 * clocks read virtual time since start. */
int vclock_origin_index(clockid_t clk);

/* The real instant at which virtual time V_TARGET is due, pacing at SPEED
 * (virtual seconds per real second) from the anchor (ANCHOR_REAL, ANCHOR_V). */
int64_t vclock_pace_deadline(int64_t anchor_real, int64_t anchor_v,
    int64_t v_target, double speed);

/* Where a seeded run's monotonic and boot-time clocks start: a day after
 * boot. */
#define VCLOCK_SEEDED_MONO_NS (86400 * NS_PER_SEC)

/* Set the clocks' origins from the real clocks, virtual time 0. Once, at
 * start-up. REALTIME_ORIGIN >= 0 fixes the wall clock's start (ns), and
 * then the monotonic clocks' too (VCLOCK_SEEDED_MONO_NS). */
void vclock_init(int64_t realtime_origin);

/* Virtual nanoseconds since start. */
int64_t vclock_now(void);

/* The virtual reading of clock CLK into *T. Returns 0, or -1 when CLK is not
 * virtualised (the caller asks the real clock). */
int vclock_read(clockid_t clk, struct timespec *t);

/* The virtual value of clock CLK at virtual time V (for absolute sleeps). */
int64_t vclock_clock_at(clockid_t clk, int64_t v);

/* Advance virtual time by D ns, first waiting in real time as the speed
 * asks. Called by the thread that drives time (the frame thread). Threads
 * sleeping until an instant inside the advance are woken in deadline order
 * and each is given the chance to run and sleep again before time moves
 * on, so a worker wakes as often, and at the same virtual instants, at any
 * speed. */
void vclock_advance(int64_t d);

/* Wait until virtual time reaches TARGET (a thread that does not drive
 * time). While the game may run, when nobody advances the clock for the
 * real time the wait should take plus a grace period, the waiter advances
 * it itself so the game's clock keeps flowing even when the frame thread
 * blocks elsewhere (joining a sleeping thread, say). */
void vclock_wait_until(int64_t target);

/* A wait that is not a sleep (a condition variable, a semaphore, a lock,
 * a join, each with a timeout), on a thread that does not drive time: the
 * thread counts as asleep until virtual time TARGET, so time stops there
 * for it as for a sleeper, while it watches its object in real time.
 * vclock_sleep_due says whether the (possibly restored) deadline has come;
 * vclock_sleep_end ends the wait (the slot, NULL when untracked). */
void *vclock_sleep_begin(int64_t target);
int vclock_sleep_due(void *slot, int64_t target);
void vclock_sleep_end(void *slot);

/* A thread is about to be created: the frame thread will wait (within a
 * bound) for it to reach its first sleep before moving time on, so its
 * start is at the same virtual instant at any speed. Returns a slot for
 * vclock_thread_start (in the new thread) or vclock_thread_abort (when
 * creation failed); NULL when untracked. */
void *vclock_thread_new(void);
void vclock_thread_start(void *slot);
void vclock_thread_abort(void *slot);
/* The calling thread, woken or new, now waits on the shim itself (to take
 * the frames over): the frame thread need not wait for it to sleep. */
void vclock_thread_idle(void);
/* Whether the new thread of SLOT has gone to sleep on the clock (or
 * exited) since it started. */
int vclock_thread_slept(void *slot);
/* The new thread of SLOT blocked outside the clock (a condition variable,
 * say): no advance waits for its first sleep any more. */
void vclock_thread_blocked(void *slot);

/* Set up the per-thread sleeper slots (from the constructor). */
void vclock_init_threads(void);

/* Whether the game may run (the frame thread is not held at the gate):
 * only then may a waiting thread advance the clock itself. */
void vclock_set_free_running(int on);

/* Change the rate; 0 means max. Wakes a pacing sleep in progress. */
void vclock_set_speed(double speed);
double vclock_speed(void);

/* How many times the frame thread ran on without a woken thread that did
 * not sleep again within the real-time bound (a loaded machine). */
uint64_t vclock_settle_gave_up(void);

/* How many new threads pthread_create stopped waiting for (hook-thread.c:
 * they neither slept nor blocked within its real-time bound), and note
 * one more. */
uint64_t vclock_start_gave_up(void);
void vclock_note_start_gave_up(void);

/* How many times a sleeping thread moved the clock itself, every other
 * thread being blocked (the frame thread joining it, say). */
uint64_t vclock_self_advanced(void);

/* Around work of the thread that drives time that may block (the frame
 * thread at a boundary, waiting for threads to settle, pacing): no
 * sleeping thread moves the clock itself meanwhile. Nest. */
void vclock_drive_begin(void);
void vclock_drive_end(void);

/* Forget the pacing anchor (after a pause, so blocked time is not lag). */
void vclock_reanchor(void);

/* --- snapshots (snapshot.c), on the frame thread at a boundary --- */

/* The clock and its sleepers at an instant. */
struct vclock_snap {
	int64_t v;
	int nslots;
	int state[VCLOCK_SLOTS];
	int64_t deadline[VCLOCK_SLOTS];
};
/* Let threads woken or just created go to sleep (within the usual bound).
 * Returns the number of tracked threads that are still not asleep. */
int vclock_settle(void);
void vclock_save(struct vclock_snap *s);
/* Whether the same threads sleep (or are parked) now as in S: returns -1,
 * or the index of the first slot that differs. */
int vclock_same_sleepers(const struct vclock_snap *s);
/* Put time and every sleeper's deadline back to S and wake the sleepers to
 * read their deadline again (they go back to sleep until it). */
void vclock_restore(const struct vclock_snap *s);

/* --- threads parked in a wait without a timeout (park.c) --- */

/* How many tracked threads are running now (neither asleep nor parked),
 * without waiting for any. */
int vclock_busy_now(void);
/* The calling thread's slot index, or -1 when it has none. */
int vclock_my_index(void);
/* Slot I's thread parks (ON) in a wait with no timeout, or comes back
 * from it: a parked thread counts as settled, like a sleeper, and stays
 * so until it returns. Returns 1, or 0 when the slot cannot park now (it
 * sleeps on the clock). */
int vclock_park(int i, int on);
/* Whether slot I is parked now; slots ever claimed (a bound for I). */
int vclock_slot_parked(int i);
int vclock_nslots(void);

/* Hand time back to the real clocks, keeping every clock continuous. */
void vclock_detach(void);
int vclock_detached(void);

#endif
