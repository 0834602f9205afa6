/* Proves the virtual clock (shim/vclock.h): the timespec helpers, which
 * clocks are virtualised, pacing arithmetic; that virtual time moves only by
 * what vclock_advance is asked, exactly; that an advance wakes a sleeping
 * worker at each of its deadlines in turn, at the same virtual instants
 * whatever the speed, and first waits for a new thread's first sleep; that
 * a waiter nobody drives stays asleep unless the game runs freely and every
 * other thread is blocked, when it moves the clock itself (never while a
 * thread computes: a slow frame on a loaded machine); that a finite speed paces advances in real time;
 * and that detach hands time back to the real clock without a jump.
 *
 * The clock is one global: the cases run in order in one process and build
 * on each other (init first, detach last). */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include "../../shim/vclock.h"
#include "unit.h"

#define MS 1000000LL

/* ---- helpers ---- */

static int64_t
real_clock_ns(clockid_t clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return ts_to_ns(&t);
}

static pid_t
my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Wait (in real time, up to 5 s) until thread TID is asleep in the kernel.
 * Used after the thread says it is about to wait, to know it has reached
 * its futex. Returns 1 once it sleeps. */
static int
wait_asleep(pid_t tid)
{
	char path[64], buf[512];

	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	for (int i = 0; i < 5000; i++) {
		FILE *f = fopen(path, "r");
		if (f == NULL) {
			/* No /proc: give it ample time instead. */
			unit_sleep_ns(200 * MS);
			return 1;
		}
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		const char *p = strrchr(buf, ')');
		if (p != NULL && p[1] == ' ' && p[2] == 'S')
			return 1;
		unit_sleep_ns(1 * MS);
	}
	return 0;
}

/* A worker that sleeps STEP of virtual time at a time, noting the virtual
 * instant of each wake, until told to stop. */
#define TICKS_MAX 64
struct ticker {
	int64_t step;
	void *slot;             /* from vclock_thread_new, or NULL */
	int64_t startup_ns;     /* real time spent before the first wait */
	pthread_t thread;
	_Atomic pid_t tid;
	_Atomic int ready;      /* about to make its first wait */
	_Atomic int stop;
	_Atomic int wakes;
	int64_t at[TICKS_MAX];  /* vclock_now() at each wake */
};

static void *
ticker_main(void *arg)
{
	struct ticker *t = arg;

	vclock_thread_start(t->slot);
	atomic_store(&t->tid, my_tid());
	if (t->startup_ns > 0)
		unit_sleep_ns(t->startup_ns);
	atomic_store(&t->ready, 1);
	for (;;) {
		vclock_wait_until(vclock_now() + t->step);
		int n = atomic_load(&t->wakes);
		if (n < TICKS_MAX)
			t->at[n] = vclock_now();
		atomic_store(&t->wakes, n + 1);
		if (atomic_load(&t->stop))
			break;
	}
	return NULL;
}

/* Start ticker T and return once it sleeps in its first wait. */
static int
ticker_start(struct ticker *t, int64_t step)
{
	memset(t, 0, sizeof *t);
	t->step = step;
	if (!CHECK_EQ_INT(pthread_create(&t->thread, NULL, ticker_main, t), 0))
		return 0;
	while (!atomic_load(&t->ready))
		unit_sleep_ns(MS / 10);
	return CHECK(wait_asleep(atomic_load(&t->tid)));
}

/* Stop ticker T: it exits at its next wake, which one more step brings. */
static void
ticker_stop(struct ticker *t)
{
	atomic_store(&t->stop, 1);
	vclock_advance(t->step);
	CHECK_EQ_INT(pthread_join(t->thread, NULL), 0);
}

/* A thread making a single wait until TARGET. */
struct waiter {
	int64_t target;
	pthread_t thread;
	_Atomic pid_t tid;
	_Atomic int ready;
	_Atomic int done;
	int64_t woke_at;        /* vclock_now() when the wait returned */
	int64_t real_ns;        /* real time the wait took */
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;

	atomic_store(&w->tid, my_tid());
	atomic_store(&w->ready, 1);
	int64_t t0 = unit_real_ns();
	vclock_wait_until(w->target);
	w->real_ns = unit_real_ns() - t0;
	w->woke_at = vclock_now();
	atomic_store(&w->done, 1);
	return NULL;
}

static int
waiter_start(struct waiter *w, int64_t target)
{
	memset(w, 0, sizeof *w);
	w->target = target;
	if (!CHECK_EQ_INT(pthread_create(&w->thread, NULL, waiter_main, w), 0))
		return 0;
	while (!atomic_load(&w->ready))
		unit_sleep_ns(MS / 10);
	return 1;
}

/* Join W, waiting at most TIMEOUT_NS of real time; 1 when it ended. */
static int
waiter_join(struct waiter *w, int64_t timeout_ns)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until = ns_to_ts(ts_to_ns(&until) + timeout_ns);
	return pthread_timedjoin_np(w->thread, NULL, &until) == 0;
}

/* ---- pure functions ---- */

static void
ts_round_trips(void)
{
	static const int64_t v[] = { 0, 1, 999999999, NS_PER_SEC,
	    NS_PER_SEC + 1, 3 * NS_PER_SEC, 1700000000LL * NS_PER_SEC + 123,
	    -1, -999999999, -NS_PER_SEC, -NS_PER_SEC - 1, -3 * NS_PER_SEC,
	    -1500000000LL, -1700000000LL * NS_PER_SEC - 7 };

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct timespec t = ns_to_ts(v[i]);
		if (!CHECK_EQ_INT(ts_to_ns(&t), v[i]) ||
		    !CHECK(t.tv_nsec >= 0 && t.tv_nsec < NS_PER_SEC))
			FAIL("ns_to_ts(%lld) = {%lld, %ld}", (long long)v[i],
			    (long long)t.tv_sec, t.tv_nsec);
	}
}

static void
ns_to_ts_normalises(void)
{
	struct timespec t;

	t = ns_to_ts(2 * NS_PER_SEC);
	CHECK_EQ_INT(t.tv_sec, 2);
	CHECK_EQ_INT(t.tv_nsec, 0);
	t = ns_to_ts(2 * NS_PER_SEC + 5);
	CHECK_EQ_INT(t.tv_sec, 2);
	CHECK_EQ_INT(t.tv_nsec, 5);
	t = ns_to_ts(-1);
	CHECK_EQ_INT(t.tv_sec, -1);
	CHECK_EQ_INT(t.tv_nsec, 999999999);
	t = ns_to_ts(-2 * NS_PER_SEC);
	CHECK_EQ_INT(t.tv_sec, -2);
	CHECK_EQ_INT(t.tv_nsec, 0);
	t = ns_to_ts(-1500000000LL);
	CHECK_EQ_INT(t.tv_sec, -2);
	CHECK_EQ_INT(t.tv_nsec, 500000000);
}

static void
origin_index_groups_clocks(void)
{
	CHECK_EQ_INT(vclock_origin_index(CLOCK_REALTIME), CLOCK_REALTIME);
	CHECK_EQ_INT(vclock_origin_index(CLOCK_REALTIME_COARSE), CLOCK_REALTIME);
	CHECK_EQ_INT(vclock_origin_index(CLOCK_REALTIME_ALARM), CLOCK_REALTIME);
	CHECK_EQ_INT(vclock_origin_index(CLOCK_MONOTONIC), CLOCK_MONOTONIC);
	CHECK_EQ_INT(vclock_origin_index(CLOCK_MONOTONIC_RAW), CLOCK_MONOTONIC);
	CHECK_EQ_INT(vclock_origin_index(CLOCK_MONOTONIC_COARSE),
	    CLOCK_MONOTONIC);
	CHECK_EQ_INT(vclock_origin_index(CLOCK_BOOTTIME), CLOCK_BOOTTIME);
	CHECK_EQ_INT(vclock_origin_index(CLOCK_BOOTTIME_ALARM), CLOCK_BOOTTIME);
	CHECK_EQ_INT(vclock_origin_index(CLOCK_TAI), CLOCK_TAI);
	CHECK_LT_INT(CLOCK_TAI, VCLOCK_NCLOCKS);
}

static void
origin_index_leaves_cpu_clocks_real(void)
{
	clockid_t thread_clk;

	/* The process's and thread's own CPU clocks read virtual time since
	 * start; another thread's CPU clock stays real. */
	CHECK_EQ_INT(vclock_origin_index(CLOCK_PROCESS_CPUTIME_ID),
	    CLOCK_PROCESS_CPUTIME_ID);
	CHECK_EQ_INT(vclock_origin_index(CLOCK_THREAD_CPUTIME_ID),
	    CLOCK_PROCESS_CPUTIME_ID);
	if (CHECK_EQ_INT(pthread_getcpuclockid(pthread_self(), &thread_clk), 0))
		CHECK_EQ_INT(vclock_origin_index(thread_clk), -1);
	CHECK_EQ_INT(vclock_origin_index(VCLOCK_NCLOCKS + 20), -1);
}

static void
pace_deadline_scales_by_speed(void)
{
	CHECK_EQ_INT(vclock_pace_deadline(1000, 0, 100, 1.0), 1100);
	CHECK_EQ_INT(vclock_pace_deadline(1000, 50, 250, 2.0), 1100);
	CHECK_EQ_INT(vclock_pace_deadline(1000, 0, 100, 0.5), 1200);
	CHECK_EQ_INT(vclock_pace_deadline(1000, 100, 100, 3.0), 1000);
	/* Realistic magnitudes stay exact to the nanosecond. */
	CHECK_EQ_INT(vclock_pace_deadline(5 * NS_PER_SEC, NS_PER_SEC,
	    NS_PER_SEC + 16 * MS, 2.0), 5 * NS_PER_SEC + 8 * MS);
	CHECK_EQ_INT(vclock_pace_deadline(123456789 * MS, 3600 * NS_PER_SEC,
	    3600 * NS_PER_SEC + 50 * MS, 0.5), 123456789 * MS + 100 * MS);
}

/* ---- the live clock, in order ---- */

static void
init_fixes_realtime_origin(void)
{
	int64_t tai_off = real_clock_ns(CLOCK_TAI) -
	    real_clock_ns(CLOCK_REALTIME);
	int64_t mono0 = real_clock_ns(CLOCK_MONOTONIC);

	vclock_init(1234 * NS_PER_SEC);
	int64_t mono1 = real_clock_ns(CLOCK_MONOTONIC);
	CHECK_EQ_INT(vclock_clock_at(CLOCK_REALTIME, 0), 1234 * NS_PER_SEC);
	CHECK_EQ_INT(vclock_clock_at(CLOCK_REALTIME, 5), 1234 * NS_PER_SEC + 5);
	/* TAI keeps its offset from the wall clock. */
	int64_t off = vclock_clock_at(CLOCK_TAI, 0) - 1234 * NS_PER_SEC;
	CHECK_LE_INT(off - tai_off, 10 * MS);
	CHECK_GE_INT(off - tai_off, -10 * MS);
	/* A fixed wall clock fixes the monotonic clocks' start too. */
	(void)mono0;
	(void)mono1;
	CHECK_EQ_INT(vclock_clock_at(CLOCK_MONOTONIC, 0), VCLOCK_SEEDED_MONO_NS);
	CHECK_EQ_INT(vclock_clock_at(CLOCK_BOOTTIME, 7), VCLOCK_SEEDED_MONO_NS + 7);
}

static void
init_starts_at_zero_from_real_origins(void)
{
	int64_t rt0 = real_clock_ns(CLOCK_REALTIME);
	int64_t mono0 = real_clock_ns(CLOCK_MONOTONIC);
	int64_t boot0 = real_clock_ns(CLOCK_BOOTTIME);

	vclock_init(-1);
	vclock_init_threads();
	vclock_set_speed(0);
	vclock_set_free_running(0);
	int64_t rt1 = real_clock_ns(CLOCK_REALTIME);
	int64_t mono1 = real_clock_ns(CLOCK_MONOTONIC);
	int64_t boot1 = real_clock_ns(CLOCK_BOOTTIME);

	CHECK_EQ_INT(vclock_now(), 0);
	CHECK_EQ_INT(vclock_detached(), 0);
	CHECK(vclock_speed() == 0.0);
	CHECK_GE_INT(vclock_clock_at(CLOCK_REALTIME, 0), rt0);
	CHECK_LE_INT(vclock_clock_at(CLOCK_REALTIME, 0), rt1);
	CHECK_GE_INT(vclock_clock_at(CLOCK_MONOTONIC, 0), mono0);
	CHECK_LE_INT(vclock_clock_at(CLOCK_MONOTONIC, 0), mono1);
	CHECK_GE_INT(vclock_clock_at(CLOCK_BOOTTIME, 0), boot0);
	CHECK_LE_INT(vclock_clock_at(CLOCK_BOOTTIME, 0), boot1);
}

static void
time_stands_still_without_advance(void)
{
	struct timespec a, b;

	int64_t v = vclock_now();
	CHECK_EQ_INT(vclock_read(CLOCK_MONOTONIC, &a), 0);
	unit_sleep_ns(20 * MS);
	CHECK_EQ_INT(vclock_read(CLOCK_MONOTONIC, &b), 0);
	CHECK_EQ_INT(ts_to_ns(&a), ts_to_ns(&b));
	CHECK_EQ_INT(vclock_now(), v);
}

static void
advance_moves_time_exactly(void)
{
	struct timespec a, b;

	CHECK_EQ_INT(vclock_read(CLOCK_MONOTONIC, &a), 0);
	vclock_advance(5 * MS);
	CHECK_EQ_INT(vclock_now(), 5 * MS);
	CHECK_EQ_INT(vclock_read(CLOCK_MONOTONIC, &b), 0);
	CHECK_EQ_INT(ts_to_ns(&b) - ts_to_ns(&a), 5 * MS);
	CHECK_EQ_INT(ts_to_ns(&b), vclock_clock_at(CLOCK_MONOTONIC, 0) + 5 * MS);
	CHECK_EQ_INT(vclock_clock_at(CLOCK_MONOTONIC, vclock_now()),
	    ts_to_ns(&b));

	vclock_advance(1);
	CHECK_EQ_INT(vclock_now(), 5 * MS + 1);
	vclock_advance(0);
	CHECK_EQ_INT(vclock_now(), 5 * MS + 1);
	vclock_advance(-10 * MS);          /* never backwards */
	CHECK_EQ_INT(vclock_now(), 5 * MS + 1);
	vclock_advance(5 * MS - 1);
	CHECK_EQ_INT(vclock_now(), 10 * MS);
}

static void
read_follows_each_clock_origin(void)
{
	struct timespec t;
	int64_t v = vclock_now();
	static const clockid_t ids[] = { CLOCK_REALTIME, CLOCK_REALTIME_COARSE,
	    CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE,
	    CLOCK_BOOTTIME, CLOCK_TAI };

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		if (!CHECK_EQ_INT(vclock_read(ids[i], &t), 0))
			continue;
		if (!CHECK_EQ_INT(ts_to_ns(&t), vclock_clock_at(ids[i], v)))
			FAIL("clock %d", (int)ids[i]);
	}
	vclock_read(CLOCK_MONOTONIC_COARSE, &t);
	CHECK_EQ_INT(ts_to_ns(&t), vclock_clock_at(CLOCK_MONOTONIC, v));
}

static void
read_refuses_cpu_clocks(void)
{
	struct timespec t = { 77, 77 };
	clockid_t thread_clk;

	/* Another thread's CPU clock is not virtual: left untouched. */
	if (CHECK_EQ_INT(pthread_getcpuclockid(pthread_self(), &thread_clk), 0)) {
		CHECK_EQ_INT(vclock_read(thread_clk, &t), -1);
		CHECK_EQ_INT(t.tv_sec, 77);
		CHECK_EQ_INT(t.tv_nsec, 77);
	}
	/* Our own CPU clocks read virtual time since start. */
	CHECK_EQ_INT(vclock_read(CLOCK_PROCESS_CPUTIME_ID, &t), 0);
	CHECK_EQ_INT(ts_to_ns(&t), vclock_now());
	CHECK_EQ_INT(vclock_read(CLOCK_THREAD_CPUTIME_ID, &t), 0);
	CHECK_EQ_INT(ts_to_ns(&t), vclock_now());
}

static void
clock_at_maps_virtual_instants(void)
{
	int64_t mono = vclock_clock_at(CLOCK_MONOTONIC, 0);
	int64_t rt = vclock_clock_at(CLOCK_REALTIME, 0);

	CHECK_EQ_INT(vclock_clock_at(CLOCK_MONOTONIC, 42 * MS), mono + 42 * MS);
	CHECK_EQ_INT(vclock_clock_at(CLOCK_MONOTONIC_RAW, 42 * MS),
	    mono + 42 * MS);
	CHECK_EQ_INT(vclock_clock_at(CLOCK_REALTIME, 7), rt + 7);
	CHECK_EQ_INT(vclock_clock_at(CLOCK_REALTIME_COARSE, 7), rt + 7);
}

static void
wait_for_the_past_returns_at_once(void)
{
	int64_t v = vclock_now();

	vclock_wait_until(v);
	vclock_wait_until(v - 3 * MS);
	vclock_wait_until(0);
	CHECK_EQ_INT(vclock_now(), v);
}

/* The worker's deadlines 25, 50, 75, 100 ms all fall in one advance. */
static void
ticker_wakes_at_each_deadline(double speed)
{
	struct ticker t;

	vclock_set_speed(speed);
	vclock_set_free_running(0);
	int64_t v0 = vclock_now();
	if (!ticker_start(&t, 25 * MS))
		return;
	CHECK_EQ_INT(atomic_load(&t.wakes), 0);
	int64_t r0 = unit_real_ns();
	vclock_advance(100 * MS);
	int64_t real = unit_real_ns() - r0;
	int n = atomic_load(&t.wakes);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(vclock_now(), v0 + 100 * MS);
	for (int k = 0; k < n && k < TICKS_MAX; k++)
		if (!CHECK_EQ_INT(t.at[k] - v0, (k + 1) * 25 * MS))
			FAIL("wake %d", k + 1);
	if (speed > 0.0)
		CHECK_GE_INT(real, (int64_t)(100 * MS / speed) * 8 / 10);
	CHECK_LE_INT(real, 2 * NS_PER_SEC);

	ticker_stop(&t);
	CHECK_EQ_INT(atomic_load(&t.wakes), 5);
	CHECK_EQ_INT(t.at[4] - v0, 125 * MS);
	vclock_set_speed(0);
}

static void
advance_wakes_worker_at_each_deadline(void)
{
	ticker_wakes_at_each_deadline(0);
}

static void
worker_wakes_at_same_instants_at_finite_speed(void)
{
	ticker_wakes_at_each_deadline(4.0);
}

/* Two workers every 25 and 40 ms: 25 40 50 75 80 100, each at its own. */
static void
two_workers_wake_at_their_own_instants(void)
{
	struct ticker a, b;

	vclock_set_free_running(0);
	int64_t v0 = vclock_now();
	if (!ticker_start(&a, 25 * MS))
		return;
	if (!ticker_start(&b, 40 * MS)) {
		ticker_stop(&a);
		return;
	}
	vclock_advance(100 * MS);
	CHECK_EQ_INT(atomic_load(&a.wakes), 4);
	CHECK_EQ_INT(atomic_load(&b.wakes), 2);
	for (int k = 0; k < 4; k++)
		CHECK_EQ_INT(a.at[k] - v0, (k + 1) * 25 * MS);
	for (int k = 0; k < 2; k++)
		CHECK_EQ_INT(b.at[k] - v0, (k + 1) * 40 * MS);
	/* Stop both: b's next wake is at 120, a's at 125. */
	atomic_store(&a.stop, 1);
	atomic_store(&b.stop, 1);
	vclock_advance(25 * MS);
	CHECK_EQ_INT(pthread_join(a.thread, NULL), 0);
	CHECK_EQ_INT(pthread_join(b.thread, NULL), 0);
	CHECK_EQ_INT(b.at[2] - v0, 120 * MS);
	CHECK_EQ_INT(a.at[4] - v0, 125 * MS);
}

/* A thread announced with vclock_thread_new gets to its first sleep before
 * time moves: its first deadline is counted from where it was created, even
 * when it starts slowly. */
static void
advance_waits_for_new_thread_first_sleep(void)
{
	struct ticker t;

	vclock_set_free_running(0);
	vclock_set_speed(0);
	int64_t v0 = vclock_now();
	memset(&t, 0, sizeof t);
	t.step = 25 * MS;
	t.startup_ns = 50 * MS;
	t.slot = vclock_thread_new();
	if (!CHECK(t.slot != NULL))
		return;
	if (!CHECK_EQ_INT(pthread_create(&t.thread, NULL, ticker_main, &t), 0)) {
		vclock_thread_abort(t.slot);
		return;
	}
	vclock_advance(100 * MS);          /* at once: no wait for it here */
	int n = atomic_load(&t.wakes);
	CHECK_EQ_INT(n, 4);
	for (int k = 0; k < n && k < TICKS_MAX; k++)
		if (!CHECK_EQ_INT(t.at[k] - v0, (k + 1) * 25 * MS))
			FAIL("wake %d", k + 1);
	ticker_stop(&t);
	CHECK_EQ_INT(atomic_load(&t.wakes), 5);
}

/* A slot for a thread that was never created is given back at once. */
static void
thread_abort_frees_slot(void)
{
	void *slot = vclock_thread_new();

	if (!CHECK(slot != NULL))
		return;
	vclock_thread_abort(slot);
	int64_t v0 = vclock_now();
	int64_t r0 = unit_real_ns();
	vclock_advance(MS);
	/* Nobody to wait for: no settling bound spent. */
	CHECK_LT_INT(unit_real_ns() - r0, 150 * MS);
	CHECK_EQ_INT(vclock_now(), v0 + MS);
}

/* A thread announced but never started holds time up only for a bounded
 * while. */
static void
advance_gives_up_on_thread_that_never_starts(void)
{
	void *slot = vclock_thread_new();

	if (!CHECK(slot != NULL))
		return;
	int64_t v0 = vclock_now();
	int64_t r0 = unit_real_ns();
	vclock_advance(MS);
	CHECK_LE_INT(unit_real_ns() - r0, 2 * NS_PER_SEC);
	CHECK_EQ_INT(vclock_now(), v0 + MS);
	/* Once given up on, it does not hold the next advance up. */
	r0 = unit_real_ns();
	vclock_advance(MS);
	CHECK_LT_INT(unit_real_ns() - r0, 150 * MS);
	vclock_thread_abort(slot);
}

static void
waiter_blocks_while_nobody_advances(void)
{
	struct waiter w;

	vclock_set_free_running(0);
	vclock_set_speed(1.0);
	int64_t target = vclock_now() + 10 * MS;
	if (!waiter_start(&w, target))
		return;
	CHECK(wait_asleep(atomic_load(&w.tid)));
	unit_sleep_ns(100 * MS);
	CHECK_EQ_INT(atomic_load(&w.done), 0);
	CHECK_EQ_INT(vclock_now(), target - 10 * MS);

	vclock_set_speed(0);
	vclock_advance(10 * MS);
	/* The advance waited for the released thread to finish. */
	CHECK_EQ_INT(atomic_load(&w.done), 1);
	CHECK(waiter_join(&w, 2 * NS_PER_SEC));
	CHECK_EQ_INT(w.woke_at, target);
}

static void
free_running_waiter_advances_clock_itself(void)
{
	struct waiter w;

	vclock_set_speed(1.0);
	vclock_set_free_running(1);
	int64_t target = vclock_now() + 10 * MS;
	if (!waiter_start(&w, target))
		return;
	if (!CHECK(waiter_join(&w, 2 * NS_PER_SEC))) {
		/* Release it so the cases after this one can run. */
		vclock_set_free_running(0);
		vclock_set_speed(0);
		vclock_advance(10 * MS);
		pthread_join(w.thread, NULL);
	}
	vclock_set_free_running(0);
	vclock_set_speed(0);
	CHECK_LE_INT(w.real_ns, NS_PER_SEC);
	CHECK_GE_INT(w.real_ns, 10 * MS);
	CHECK_GE_INT(w.woke_at, target);
	CHECK_GE_INT(vclock_now(), target);
}

/* A waiter whose grace ran out while another thread computes (the frame
 * thread's slow start-up) leaves the clock alone: that thread will drive
 * it, at the same point of the game in every run. Once that thread blocks
 * (it joins the waiter), the waiter moves time itself. */
static void
free_running_waiter_waits_while_a_thread_computes(void)
{
	struct waiter w;

	vclock_set_speed(0);
	vclock_set_free_running(1);
	int64_t v0 = vclock_now();
	uint64_t moved = vclock_self_advanced();
	if (!waiter_start(&w, v0 + 10 * MS))
		return;
	/* Compute for 800 ms of real time: four times the grace. */
	int64_t until = unit_real_ns() + 800 * MS;
	volatile uint64_t spin = 0;
	while (unit_real_ns() < until)
		spin++;
	CHECK_EQ_INT(vclock_now(), v0);
	CHECK_EQ_INT(atomic_load(&w.done), 0);
	CHECK_EQ_INT(vclock_self_advanced(), moved);
	if (!CHECK(waiter_join(&w, 5 * NS_PER_SEC))) {
		vclock_set_free_running(0);
		vclock_advance(10 * MS);
		pthread_join(w.thread, NULL);
	}
	vclock_set_free_running(0);
	CHECK_GE_INT(vclock_now(), v0 + 10 * MS);
	CHECK_EQ_INT(vclock_self_advanced(), moved + 1);
}

/* At max speed too: after the grace period the waiter moves time. */
static void
free_running_waiter_at_max_speed_advances_clock(void)
{
	struct waiter w;

	vclock_set_speed(0);
	vclock_set_free_running(1);
	int64_t target = vclock_now() + 10 * MS;
	if (!waiter_start(&w, target))
		return;
	if (!CHECK(waiter_join(&w, 2 * NS_PER_SEC))) {
		vclock_set_free_running(0);
		vclock_advance(10 * MS);
		pthread_join(w.thread, NULL);
	}
	vclock_set_free_running(0);
	CHECK_LE_INT(w.real_ns, NS_PER_SEC);
	CHECK_GE_INT(w.woke_at, target);
	CHECK_GE_INT(vclock_now(), target);
}

static void
speed_two_paces_advance_at_half_real_time(void)
{
	vclock_set_free_running(0);
	vclock_set_speed(2.0);
	CHECK(vclock_speed() == 2.0);
	int64_t v0 = vclock_now();
	int64_t r0 = unit_real_ns();
	vclock_advance(100 * MS);
	int64_t real = unit_real_ns() - r0;
	vclock_set_speed(0);
	CHECK_EQ_INT(vclock_now(), v0 + 100 * MS);
	CHECK_GE_INT(real, 40 * MS);
	CHECK_LE_INT(real, 2 * NS_PER_SEC);
}

static void
max_speed_does_not_pace(void)
{
	vclock_set_speed(0);
	int64_t v0 = vclock_now();
	int64_t r0 = unit_real_ns();
	vclock_advance(3600 * NS_PER_SEC);
	CHECK_LE_INT(unit_real_ns() - r0, 2 * NS_PER_SEC);
	CHECK_EQ_INT(vclock_now(), v0 + 3600 * NS_PER_SEC);
}

/* After a stall, reanchoring paces from now rather than catching up. */
static void
reanchor_paces_from_now(void)
{
	vclock_set_speed(1.0);
	vclock_advance(10 * MS);           /* sets the anchor */
	unit_sleep_ns(60 * MS);            /* a stall shorter than the max lag */
	vclock_reanchor();
	int64_t r0 = unit_real_ns();
	vclock_advance(50 * MS);
	int64_t real = unit_real_ns() - r0;
	vclock_set_speed(0);
	CHECK_GE_INT(real, 40 * MS);
	CHECK_LE_INT(real, 2 * NS_PER_SEC);
}

static void *
set_max_later(void *arg)
{
	unit_sleep_ns(50 * MS);
	vclock_set_speed(0);
	return NULL;
}

/* A speed change ends a pacing sleep at once: at 0.05 this advance would
 * take 20 s of real time. */
static void
set_speed_cuts_pacing_short(void)
{
	pthread_t th;

	vclock_set_speed(0.05);
	int64_t v0 = vclock_now();
	if (!CHECK_EQ_INT(pthread_create(&th, NULL, set_max_later, NULL), 0)) {
		vclock_set_speed(0);
		return;
	}
	int64_t r0 = unit_real_ns();
	vclock_advance(NS_PER_SEC);
	int64_t real = unit_real_ns() - r0;
	pthread_join(th, NULL);
	CHECK_EQ_INT(vclock_now(), v0 + NS_PER_SEC);
	CHECK_GE_INT(real, 40 * MS);
	CHECK_LE_INT(real, 2 * NS_PER_SEC);
}

static void
detach_follows_real_time_without_jump(void)
{
	struct timespec a, b;
	int64_t v = vclock_now();
	int64_t mono_v = vclock_clock_at(CLOCK_MONOTONIC, v);

	vclock_detach();
	CHECK_EQ_INT(vclock_detached(), 1);
	int64_t n1 = vclock_now();
	CHECK_GE_INT(n1, v);
	CHECK_LE_INT(n1 - v, 100 * MS);
	CHECK_EQ_INT(vclock_read(CLOCK_MONOTONIC, &a), 0);
	CHECK_GE_INT(ts_to_ns(&a), mono_v);
	CHECK_LE_INT(ts_to_ns(&a) - mono_v, 100 * MS);

	unit_sleep_ns(30 * MS);
	int64_t n2 = vclock_now();
	CHECK_GE_INT(n2 - n1, 30 * MS);
	CHECK_LE_INT(n2 - n1, 2 * NS_PER_SEC);
	CHECK_EQ_INT(vclock_read(CLOCK_MONOTONIC, &b), 0);
	CHECK_GE_INT(ts_to_ns(&b) - ts_to_ns(&a), 30 * MS);

	/* Nothing waits for virtual time any more. */
	int64_t r0 = unit_real_ns();
	vclock_wait_until(vclock_now() + 3600 * NS_PER_SEC);
	CHECK_LE_INT(unit_real_ns() - r0, NS_PER_SEC);
}

static const struct unit_case cases[] = {
	UNIT_CASE(ts_round_trips),
	UNIT_CASE(ns_to_ts_normalises),
	UNIT_CASE(origin_index_groups_clocks),
	UNIT_CASE(origin_index_leaves_cpu_clocks_real),
	UNIT_CASE(pace_deadline_scales_by_speed),
	UNIT_CASE(init_fixes_realtime_origin),
	UNIT_CASE(init_starts_at_zero_from_real_origins),
	UNIT_CASE(time_stands_still_without_advance),
	UNIT_CASE(advance_moves_time_exactly),
	UNIT_CASE(read_follows_each_clock_origin),
	UNIT_CASE(read_refuses_cpu_clocks),
	UNIT_CASE(clock_at_maps_virtual_instants),
	UNIT_CASE(wait_for_the_past_returns_at_once),
	UNIT_CASE(advance_wakes_worker_at_each_deadline),
	UNIT_CASE(worker_wakes_at_same_instants_at_finite_speed),
	UNIT_CASE(two_workers_wake_at_their_own_instants),
	UNIT_CASE(advance_waits_for_new_thread_first_sleep),
	UNIT_CASE(thread_abort_frees_slot),
	UNIT_CASE(advance_gives_up_on_thread_that_never_starts),
	UNIT_CASE(waiter_blocks_while_nobody_advances),
	UNIT_CASE(free_running_waiter_advances_clock_itself),
	UNIT_CASE(free_running_waiter_waits_while_a_thread_computes),
	UNIT_CASE(free_running_waiter_at_max_speed_advances_clock),
	UNIT_CASE(speed_two_paces_advance_at_half_real_time),
	UNIT_CASE(max_speed_does_not_pace),
	UNIT_CASE(reanchor_paces_from_now),
	UNIT_CASE(set_speed_cuts_pacing_short),
	UNIT_CASE(detach_follows_real_time_without_jump),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
