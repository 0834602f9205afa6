/* The virtual clock (see vclock.h). Lock-free: atomics and futexes only. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"
#include "futex.h"
#include "shim.h"
#include "stall.h"
#include "vclock.h"

static SHIM_TLS struct sleeper *tls_slot;

/* A pause in a spin loop. */
static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* A clock nobody drove for this long (real time, beyond the wait's own
 * length at the current speed) while the game is not held at the gate lets
 * the waiter advance it, if every other thread is blocked too (stall.c):
 * the frame thread is blocked outside any wait (it joins the sleeping
 * thread, say), and time must still flow. While any thread computes or
 * waits on the X server, the waiter waits on: the frame thread will move
 * the clock, at the same point of the game in every run. */
#define SELF_ADVANCE_GRACE_NS (200 * 1000000LL)
/* Lag beyond which pacing gives up catching up and re-anchors. */
#define PACE_MAX_LAG_NS (100 * 1000000LL)

/* Sleeping threads other than the frame thread. */
enum { SL_FREE, SL_IDLE, SL_SLEEPING, SL_WOKEN, SL_PARKED };
struct sleeper {
	_Atomic int state;
	_Atomic int64_t deadline;
	_Atomic uint32_t wake;      /* futex word: bumped to wake this one */
};

/* How long the frame thread waits, in real time, for a thread it woke to
 * sleep again before running on without it. */
#define SETTLE_MAX_NS (250 * 1000000LL)
/* How long it spins first, on a machine with more than one CPU. */
#define SETTLE_SPIN_NS (50 * 1000LL)

static struct {
	struct sleeper slots[VCLOCK_SLOTS];
	_Atomic int nslots;         /* slots ever claimed: scan bound */
	_Atomic uint32_t settle_seq; /* futex: a sleeper changed state */
	_Atomic int settle_waiting; /* the driver waits on settle_seq */
	pthread_key_t key;
	int key_ok;
	_Atomic int64_t v;          /* virtual ns since start */
	_Atomic uint32_t seq;       /* bumped at each advance: futex word */
	_Atomic uint32_t waiters;
	int64_t origin[VCLOCK_NCLOCKS];
	_Atomic double speed;       /* 0 = max */
	_Atomic uint32_t pace_seq;  /* bumped on speed change */
	_Atomic int reanchor;
	int64_t anchor_real, anchor_v;  /* owned by the driving thread */
	_Atomic int free_running;   /* the frame thread is not held at the gate */
	_Atomic int untimed;        /* sleepers waiting with no timeout */
	_Atomic int detached;
	int64_t detach_base;        /* real mono minus virtual, after detach */
	_Atomic uint64_t settle_gave_up; /* woken threads not waited for */
	_Atomic uint64_t self_advanced; /* advances by a stalled sleeper */
	_Atomic uint64_t start_gave_up; /* new threads not waited for */
	_Atomic int driving;        /* the driver at work: see drive_begin */
} vc = { .speed = 1.0, .reanchor = 1 };

uint64_t
vclock_settle_gave_up(void)
{
	return atomic_load(&vc.settle_gave_up);
}

uint64_t
vclock_start_gave_up(void)
{
	return atomic_load(&vc.start_gave_up);
}

void
vclock_note_start_gave_up(void)
{
	atomic_fetch_add(&vc.start_gave_up, 1);
}

uint64_t
vclock_self_advanced(void)
{
	return atomic_load(&vc.self_advanced);
}

int64_t
real_mono_ns(void)
{
	struct timespec t;
	sys_call(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	return ts_to_ns(&t);
}

int
vclock_origin_index(clockid_t clk)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_REALTIME_ALARM:
		return CLOCK_REALTIME;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_MONOTONIC_RAW:
		return CLOCK_MONOTONIC;
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		return CLOCK_BOOTTIME;
	case CLOCK_TAI:
		return CLOCK_TAI;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		/* Virtual time since start (origin 0): a game pacing itself
		 * on CPU time runs at virtual speed. */
		return CLOCK_PROCESS_CPUTIME_ID;
	default:
		return -1;
	}
}

int64_t
vclock_pace_deadline(int64_t anchor_real, int64_t anchor_v, int64_t v_target,
    double speed)
{
	return anchor_real + (int64_t)((double)(v_target - anchor_v) / speed);
}

void
vclock_init(int64_t realtime_origin)
{
	static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
	    CLOCK_BOOTTIME, CLOCK_TAI };
	struct timespec t;

	for (unsigned i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		sys_call(SYS_clock_gettime, ids[i], &t);
		vc.origin[ids[i]] = ts_to_ns(&t);
	}
	if (realtime_origin >= 0) {
		vc.origin[CLOCK_TAI] += realtime_origin - vc.origin[CLOCK_REALTIME];
		vc.origin[CLOCK_REALTIME] = realtime_origin;
		/* A seeded run's monotonic clocks start from a fixed instant
		 * too: a game keeping their readings in its state repeats. */
		vc.origin[CLOCK_MONOTONIC] = VCLOCK_SEEDED_MONO_NS;
		vc.origin[CLOCK_BOOTTIME] = VCLOCK_SEEDED_MONO_NS;
	}
}

int64_t
vclock_now(void)
{
	if (atomic_load_explicit(&vc.detached, memory_order_acquire))
		return real_mono_ns() - vc.detach_base;
	return atomic_load_explicit(&vc.v, memory_order_acquire);
}

int64_t
vclock_clock_at(clockid_t clk, int64_t v)
{
	int i = vclock_origin_index(clk);
	return i < 0 ? v : vc.origin[i] + v;
}

int
vclock_read(clockid_t clk, struct timespec *t)
{
	int i = vclock_origin_index(clk);

	if (i < 0)
		return -1;
	*t = ns_to_ts(vc.origin[i] + vclock_now());
	return 0;
}

/* Wait in real time until the real instant DEADLINE, waking early when the
 * speed changes (then the caller recomputes). Returns 1 when woken early. */
static int
pace_sleep(int64_t deadline)
{
	uint32_t s = atomic_load(&vc.pace_seq);
	int64_t now = real_mono_ns();

	if (now >= deadline)
		return 0;
	struct timespec rel = ns_to_ts(deadline - now);
	futex_wait(&vc.pace_seq, s, &rel);
	return atomic_load(&vc.pace_seq) != s;
}

static void
wake_slot(struct sleeper *sl)
{
	atomic_fetch_add(&sl->wake, 1);
	futex_wake(&sl->wake, 1);
}

/* Raise virtual time to at least TO (several threads may advance it), and
 * wake exactly the sleepers now due: nobody else is disturbed. */
static void
raise_to(int64_t to)
{
	int64_t cur = atomic_load(&vc.v);
	while (cur < to && !atomic_compare_exchange_weak(&vc.v, &cur, to))
		;
	atomic_fetch_add_explicit(&vc.seq, 1, memory_order_acq_rel);
	if (atomic_load_explicit(&vc.waiters, memory_order_acquire))
		futex_wake(&vc.seq, INT_MAX);   /* threads without a slot */
	int n = atomic_load_explicit(&vc.nslots, memory_order_acquire);
	int64_t now = atomic_load(&vc.v);
	for (int i = 0; i < n; i++) {
		struct sleeper *sl = &vc.slots[i];
		int st = atomic_load(&sl->state);
		if ((st == SL_SLEEPING || st == SL_WOKEN) &&
		    atomic_load(&sl->deadline) <= now)
			wake_slot(sl);
	}
}

/* A sleeper changed state: tell the driver, if it is waiting for that. */
static void
settle_notify(void)
{
	if (atomic_load(&vc.settle_waiting)) {
		atomic_fetch_add(&vc.settle_seq, 1);
		futex_wake(&vc.settle_seq, INT_MAX);
	}
}

/* Pace in real time up to virtual time TO (nothing at max speed). */
static void
pace_to(int64_t to)
{
	for (;;) {
		double speed = atomic_load(&vc.speed);
		int64_t v = atomic_load(&vc.v);
		if (speed <= 0.0 || to <= v)
			return;
		int64_t now = real_mono_ns();
		if (atomic_exchange(&vc.reanchor, 0)) {
			vc.anchor_real = now;
			vc.anchor_v = v;
		}
		int64_t deadline = vclock_pace_deadline(vc.anchor_real,
		    vc.anchor_v, to, speed);
		if (now - deadline > PACE_MAX_LAG_NS) {
			/* Too far behind to catch up: start afresh from now. */
			vc.anchor_real = now;
			vc.anchor_v = to;
			return;
		}
		if (!pace_sleep(deadline))
			return;
	}
}

/* The earliest deadline among sleeping threads, or INT64_MAX. */
static int64_t
earliest_sleeper(void)
{
	int64_t m = INT64_MAX;
	int n = atomic_load_explicit(&vc.nslots, memory_order_acquire);

	for (int i = 0; i < n; i++) {
		struct sleeper *sl = &vc.slots[i];
		if (atomic_load_explicit(&sl->state, memory_order_acquire) ==
		    SL_SLEEPING) {
			int64_t d = atomic_load(&sl->deadline);
			if (d < m)
				m = d;
		}
	}
	return m;
}

static void wait_settled_driving(void);

/* Wait, within a real-time bound, until every thread that was woken (or
 * just created) has gone to sleep again or exited: then what they did at
 * this instant is done before the frame thread runs on, whatever the
 * speed. A thread that takes longer is busy elsewhere: stop waiting for it. */
static void
wait_settled(void)
{
	vclock_drive_begin();
	wait_settled_driving();
	vclock_drive_end();
}

void
vclock_drive_begin(void)
{
	atomic_fetch_add(&vc.driving, 1);
}

void
vclock_drive_end(void)
{
	atomic_fetch_sub(&vc.driving, 1);
}

/* wait_settled's loop. */
static void
wait_settled_driving(void)
{
	int n = atomic_load_explicit(&vc.nslots, memory_order_acquire);
	int64_t give_up = 0, spin_until = 0;

	atomic_store(&vc.settle_waiting, 1);
	for (;;) {
		uint32_t s = atomic_load(&vc.settle_seq);
		int busy = 0;
		for (int i = 0; i < n; i++)
			if (atomic_load(&vc.slots[i].state) == SL_WOKEN)
				busy = 1;
		if (!busy) {
			atomic_store(&vc.settle_waiting, 0);
			return;
		}
		int64_t now = real_mono_ns();
		if (give_up == 0) {
			give_up = now + SETTLE_MAX_NS;
			spin_until = now + SETTLE_SPIN_NS;
		}
		if (now >= give_up) {
			atomic_fetch_add(&vc.settle_gave_up, 1);
			break;
		}
		if (now < spin_until) {
			/* A woken thread usually sleeps again within
			 * microseconds: spinning spares two context switches. */
			for (int k = 0; k < 64; k++)
				cpu_relax();
			continue;
		}
		struct timespec rel = ns_to_ts(give_up - now);
		futex_wait(&vc.settle_seq, s, &rel);
	}
	atomic_store(&vc.settle_waiting, 0);
	for (int i = 0; i < n; i++) {
		int st = SL_WOKEN;
		atomic_compare_exchange_strong(&vc.slots[i].state, &st, SL_IDLE);
	}
}

/* Release the sleepers due at AT and let them settle. */
static void
settle_sleepers(int64_t at)
{
	int n = atomic_load_explicit(&vc.nslots, memory_order_acquire);

	for (int i = 0; i < n; i++) {
		struct sleeper *sl = &vc.slots[i];
		int st = SL_SLEEPING;
		if (atomic_load(&sl->deadline) <= at)
			atomic_compare_exchange_strong(&sl->state, &st, SL_WOKEN);
	}
	raise_to(at);
	wait_settled();
}

void
vclock_advance(int64_t d)
{
	if (d < 0)
		d = 0;
	int64_t final = atomic_load(&vc.v) + d;
	int64_t next;

	/* Blocked while it paces or waits for woken threads, the driver is
	 * still driving: no sleeper may take the clock meanwhile. */
	vclock_drive_begin();
	wait_settled();
	while ((next = earliest_sleeper()) <= final) {
		pace_to(next);
		settle_sleepers(next);
	}
	pace_to(final);
	raise_to(final);
	vclock_drive_end();
}

static void slot_release(void *p);

/* Claim a free slot in state STATE; NULL when all are taken. */
static struct sleeper *
claim_slot(int state)
{
	for (int i = 0; i < VCLOCK_SLOTS; i++) {
		int st = SL_FREE;
		if (atomic_compare_exchange_strong(&vc.slots[i].state, &st,
		    state)) {
			int n = atomic_load(&vc.nslots);
			while (n < i + 1 &&
			    !atomic_compare_exchange_weak(&vc.nslots, &n, i + 1))
				;
			return &vc.slots[i];
		}
	}
	return NULL;
}

/* Make SL the calling thread's slot, freed when the thread exits. */
static void
adopt_slot(struct sleeper *sl)
{
	tls_slot = sl;
	if (vc.key_ok)
		pthread_setspecific(vc.key, sl);
}

/* This thread's sleeper slot, claimed at its first sleep; NULL when all
 * are taken (the thread then waits untracked). */
static struct sleeper *
my_slot(void)
{
	if (tls_slot == NULL) {
		struct sleeper *sl = claim_slot(SL_IDLE);
		if (sl != NULL)
			adopt_slot(sl);
	}
	return tls_slot;
}

void *
vclock_thread_new(void)
{
	return claim_slot(SL_WOKEN);
}

void
vclock_thread_start(void *slot)
{
	if (slot != NULL)
		adopt_slot(slot);
}

int
vclock_thread_slept(void *slot)
{
	struct sleeper *sl = slot;
	return sl == NULL || atomic_load(&sl->state) != SL_WOKEN;
}

void
vclock_thread_blocked(void *slot)
{
	struct sleeper *sl = slot;
	int st = SL_WOKEN;
	if (sl != NULL)
		atomic_compare_exchange_strong(&sl->state, &st, SL_IDLE);
}

void
vclock_thread_abort(void *slot)
{
	if (slot != NULL)
		slot_release(slot);
}

void
vclock_thread_idle(void)
{
	struct sleeper *sl = tls_slot;
	int st = SL_WOKEN;
	if (sl != NULL && atomic_compare_exchange_strong(&sl->state, &st,
	    SL_IDLE))
		settle_notify();
}

/* A thread with a slot exits: free the slot. */
static void
slot_release(void *p)
{
	struct sleeper *sl = p;
	atomic_store(&sl->state, SL_FREE);
	settle_notify();
}

/* Whether nothing else may move the clock: the game is not held at the
 * gate, and no thread is inside an advance (pacing, or waiting for the
 * threads it woke). */
static int
self_advance_allowed(void)
{
	return atomic_load(&vc.free_running) && atomic_load(&vc.driving) == 0;
}

void
vclock_wait_until(int64_t target)
{
	struct sleeper *sl = my_slot();

	if (sl != NULL) {
		atomic_store(&sl->deadline, target);
		atomic_store(&sl->state, SL_SLEEPING);
		settle_notify();
	}
	for (;;) {
		/* A tracked thread waits on its own word, woken only when due;
		 * others on the clock's sequence, woken at every advance. */
		_Atomic uint32_t *word = sl != NULL ? &sl->wake : &vc.seq;
		uint32_t s = atomic_load_explicit(word, memory_order_acquire);
		int64_t v = atomic_load_explicit(&vc.v, memory_order_acquire);
		/* Its deadline may be put back by a snapshot's load. */
		if (sl != NULL)
			target = atomic_load(&sl->deadline);
		if (v >= target || atomic_load(&vc.detached))
			break;
		double speed = atomic_load(&vc.speed);
		struct timespec rel, *relp = NULL;
		/* Counted before free_running is read, against
		 * vclock_set_free_running's store then read: a wait begun
		 * while the gate holds the frame thread has no timeout, and is
		 * woken to take one when the gate lets go. */
		atomic_fetch_add(&vc.untimed, 1);
		if (atomic_load(&vc.free_running)) {
			atomic_fetch_sub(&vc.untimed, 1);
			int64_t wait = speed > 0.0 ?
			    (int64_t)((double)(target - v) / speed) : 0;
			rel = ns_to_ts(wait + SELF_ADVANCE_GRACE_NS);
			relp = &rel;
		}
		if (sl == NULL)
			atomic_fetch_add(&vc.waiters, 1);
		int r = futex_wait(word, s, relp);
		if (sl == NULL)
			atomic_fetch_sub(&vc.waiters, 1);
		if (relp == NULL)
			atomic_fetch_sub(&vc.untimed, 1);
		if (r != 0 && errno == ETIMEDOUT && atomic_load(&vc.v) == v &&
		    self_advance_allowed() && stall_everyone_blocked() &&
		    atomic_load(&vc.v) == v && self_advance_allowed()) {
			/* Nobody drove the clock for the whole wait, and
			 * nobody can: the game waits for it. (Asked twice:
			 * the frame thread may have stopped at the gate, or
			 * begun to drive, while the looks ran.) */
			atomic_fetch_add(&vc.self_advanced, 1);
			raise_to(target);
			break;
		}
	}
	if (sl != NULL) {
		/* Stay WOKEN (the driver waits for our next sleep); a wait that
		 * ended on its own was never released: back to IDLE. */
		int st = SL_SLEEPING;
		atomic_compare_exchange_strong(&sl->state, &st, SL_IDLE);
	}
}

void *
vclock_sleep_begin(int64_t target)
{
	struct sleeper *sl = my_slot();

	if (sl != NULL) {
		atomic_store(&sl->deadline, target);
		atomic_store(&sl->state, SL_SLEEPING);
		settle_notify();
	}
	return sl;
}

int
vclock_sleep_due(void *slot, int64_t target)
{
	struct sleeper *sl = slot;
	if (sl != NULL)
		target = atomic_load(&sl->deadline);   /* a load may move it */
	return atomic_load_explicit(&vc.v, memory_order_acquire) >= target ||
	    atomic_load(&vc.detached);
}

void
vclock_sleep_end(void *slot)
{
	struct sleeper *sl = slot;
	if (sl != NULL) {
		int st = SL_SLEEPING;
		atomic_compare_exchange_strong(&sl->state, &st, SL_IDLE);
	}
}

void
vclock_init_threads(void)
{
	vc.key_ok = pthread_key_create(&vc.key, slot_release) == 0;
}

void
vclock_set_speed(double speed)
{
	atomic_store(&vc.speed, speed);
	atomic_store(&vc.reanchor, 1);
	atomic_fetch_add(&vc.pace_seq, 1);
	futex_wake(&vc.pace_seq, INT_MAX);
}

double
vclock_speed(void)
{
	return atomic_load(&vc.speed);
}

void
vclock_reanchor(void)
{
	atomic_store(&vc.reanchor, 1);
}

/* Wake every waiting thread, due or not, to look at the clock again. */
static void
wake_all(void)
{
	atomic_fetch_add(&vc.seq, 1);
	futex_wake(&vc.seq, INT_MAX);
	int n = atomic_load(&vc.nslots);
	for (int i = 0; i < n; i++)
		wake_slot(&vc.slots[i]);
}

void
vclock_detach(void)
{
	vc.detach_base = real_mono_ns() - atomic_load(&vc.v);
	atomic_store_explicit(&vc.detached, 1, memory_order_release);
	wake_all();
}

int
vclock_detached(void)
{
	return atomic_load_explicit(&vc.detached, memory_order_relaxed);
}

void
vclock_set_free_running(int on)
{
	atomic_store(&vc.free_running, on);
	/* Threads that went to sleep while the frame thread was held wait
	 * with no timeout: if it now blocks outside any wait (joining one
	 * of them, say), only a timeout lets time flow. Wake them to take
	 * one. */
	if (on && atomic_load(&vc.untimed) > 0)
		wake_all();
}

int
vclock_settle(void)
{
	wait_settled();
	return vclock_busy_now();
}

int
vclock_busy_now(void)
{
	int n = atomic_load(&vc.nslots), busy = 0;
	for (int i = 0; i < n; i++) {
		int st = atomic_load(&vc.slots[i].state);
		busy += st == SL_WOKEN || st == SL_IDLE;
	}
	return busy;
}

int
vclock_my_index(void)
{
	return tls_slot != NULL ? (int)(tls_slot - vc.slots) : -1;
}

int
vclock_park(int i, int on)
{
	struct sleeper *sl = &vc.slots[i];
	if (!on) {
		int st = SL_PARKED;
		atomic_compare_exchange_strong(&sl->state, &st, SL_IDLE);
		return 1;
	}
	int st = atomic_load(&sl->state);
	while (st == SL_IDLE || st == SL_WOKEN) {
		if (atomic_compare_exchange_weak(&sl->state, &st, SL_PARKED)) {
			settle_notify();
			return 1;
		}
	}
	return 0;
}

int
vclock_slot_parked(int i)
{
	return atomic_load(&vc.slots[i].state) == SL_PARKED;
}

int
vclock_nslots(void)
{
	return atomic_load(&vc.nslots);
}

void
vclock_save(struct vclock_snap *s)
{
	s->v = atomic_load(&vc.v);
	s->nslots = atomic_load(&vc.nslots);
	for (int i = 0; i < s->nslots; i++) {
		s->state[i] = atomic_load(&vc.slots[i].state);
		s->deadline[i] = atomic_load(&vc.slots[i].deadline);
	}
}

int
vclock_same_sleepers(const struct vclock_snap *s)
{
	int n = atomic_load(&vc.nslots);
	for (int i = 0; i < n; i++) {
		int now = atomic_load(&vc.slots[i].state);
		int then = i < s->nslots ? s->state[i] : SL_FREE;
		/* Asleep then and now, or parked then and now (park.c
		 * compares where). */
		if ((now == SL_FREE) != (then == SL_FREE) || (now != SL_FREE &&
		    !((now == SL_SLEEPING && then == SL_SLEEPING) ||
		    (now == SL_PARKED && then == SL_PARKED))))
			return i;
	}
	return -1;
}

void
vclock_restore(const struct vclock_snap *s)
{
	atomic_store(&vc.v, s->v);
	for (int i = 0; i < s->nslots; i++)
		if (s->state[i] == SL_SLEEPING)
			atomic_store(&vc.slots[i].deadline, s->deadline[i]);
	atomic_store(&vc.reanchor, 1);
	for (int i = 0; i < s->nslots; i++)
		if (s->state[i] == SL_SLEEPING)
			wake_slot(&vc.slots[i]);
}
