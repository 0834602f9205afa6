/* Frame boundaries and the lockstep gate (see frame.h). The hot path, a
 * boundary while running, is a few atomic loads; blocking uses a futex.
 * The fast step reply and client lending are fastpath.c's; save and load
 * requests are served through snapshot-req.c. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sys.h"
#include "capture.h"
#include "fastpath.h"
#include "frame.h"
#include "pixels.h"
#include "wtrack.h"
#include "futex.h"
#include "input.h"
#include "tty.h"
#include "log.h"
#include "replay.h"
#include "snapshot.h"
#include "stall.h"
#include "term.h"
#include "vclock.h"
#include "wait.h"

#define FRAME_PERIOD_NS (NS_PER_SEC / 60)
/* A presenting game's waits end a frame after this long without one. */
#define FRAME_IDLE_NS (NS_PER_SEC / 20)
/* A thread waiting to take the frames over looks this often (real time)
 * whether the frame thread is stuck outside its boundaries ... */
#define TAKEOVER_LOOK_NS (50 * 1000000L)
/* ... asleep in the kernel, not having run at all for this long. */
#define TAKEOVER_STUCK_NS (100 * 1000000L)

enum { REQ_IDLE, REQ_POSTED, REQ_DONE };

static struct {
	enum frame_rule rule;
	_Atomic int64_t cur;
	_Atomic int paused;
	_Atomic int64_t run_until;
	_Atomic uint32_t gate;        /* futex word: bumped on any change */
	_Atomic int stopped;
	_Atomic int64_t notify_at;
	_Atomic int notify_on_stop;
	_Atomic int polling;          /* the gate polls a lent client */
	int gate_efd;                 /* kicks reach a polling gate here */
	_Atomic int detached;
	/* The frame thread: its token (token()), with OWN_BUSY while it
	 * drives the clock or sits in a boundary; 0 while none is known. */
	_Atomic uintptr_t own;
	/* HOOK_FRAME=auto: a thread that presents, waiting to take over. */
	_Atomic uintptr_t want;
	_Atomic uint32_t own_seq;     /* futex word: own changed */
	uintptr_t main_token;
	_Atomic long tid;             /* the frame thread's, for info */
	int64_t handoff_f;            /* the gate handed over: its frame */
	int handoff_blocked;
	_Atomic int presented;        /* the frame thread has presented */
	/* The frame thread joins this thread (pthread_self), 0 if none. */
	_Atomic uintptr_t joining;
	_Atomic uint64_t takeover_forced;
	int req_defer;                /* the request asked to run again */
	_Atomic int64_t read_at;      /* frame_read_at's frame and reader */
	void (*_Atomic read_fn)(int64_t);
	_Atomic int req;
	void (*req_fn)(void *);
	void *req_arg;
	int efd;
	int64_t frame_start_v;        /* frame thread only */
} fr = { .cur = -1, .notify_at = FRAME_NONE, .efd = -1, .gate_efd = -1,
	.read_at = FRAME_NONE };

#define OWN_BUSY ((uintptr_t)1)

/* A thread's token: the address of a variable of its own (aligned, so the
 * low bit is free for OWN_BUSY). */
static SHIM_TLS long tls_token;

/* Its destructor runs when a thread that took the frames over ends. */
static pthread_key_t own_key;
static int own_key_ok;

static uintptr_t
token(void)
{
	return (uintptr_t)&tls_token;
}

static int
is_frame_thread(void)
{
	return (atomic_load_explicit(&fr.own, memory_order_relaxed) &
	    ~OWN_BUSY) == token();
}

static void notify(void);

/* Ownership changed: wake a thread waiting to take over. */
static void
own_changed(void)
{
	atomic_fetch_add(&fr.own_seq, 1);
	futex_wake(&fr.own_seq, INT_MAX);
}

/* A render thread that had taken the frames over ends: they are the main
 * thread's again, its waits ending frames until something presents. */
static void
frame_thread_ends(void *arg)
{
	(void)arg;
	uintptr_t o = token();
	if (fr.main_token == 0 || !atomic_compare_exchange_strong(&fr.own, &o,
	    fr.main_token))
		return;
	atomic_store(&fr.presented, 0);
	atomic_store(&fr.tid, (long)shim_getpid());
	hlog("frames: the frame thread (tid %ld) ended: the main thread's "
	    "again from frame %lld on", (long)sys_call(SYS_gettid),
	    (long long)atomic_load(&fr.cur) + 1);
	own_changed();
}

void
frame_init(int lockstep, enum frame_rule rule)
{
	fr.rule = rule;
	fr.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fr.gate_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fr.efd < 0 || fr.gate_efd < 0)
		hlog("eventfd: %m");
	atomic_store(&fr.paused, lockstep);
	atomic_store(&fr.run_until, 0);
	vclock_set_free_running(1);
	if (tls_main_thread)
		fr.main_token = token();
	own_key_ok = pthread_key_create(&own_key, frame_thread_ends) == 0;
	if (rule == FRAME_AUTO && tls_main_thread) {
		atomic_store(&fr.own, token());
		atomic_store(&fr.tid, (long)sys_call(SYS_gettid));
	}
}

long
frame_tid(void)
{
	return atomic_load(&fr.tid);
}

uint64_t
frame_takeover_forced(void)
{
	return atomic_load(&fr.takeover_forced);
}

uintptr_t
frame_join_begin(pthread_t t)
{
	if (!is_frame_thread())
		return 0;
	atomic_store(&fr.joining, (uintptr_t)t);
	if (atomic_load(&fr.want) != 0)
		own_changed();   /* the thread it joins may wait to take over */
	return 1;
}

void
frame_join_end(uintptr_t how)
{
	if (how)
		atomic_store(&fr.joining, 0);
}


int
frame_drive_begin(void)
{
	uintptr_t me = token();
	uintptr_t o = atomic_load(&fr.own);
	if (o == 0)
		return tls_main_thread ? 2 : 0;   /* none known yet: main's */
	if (o == (me | OWN_BUSY))
		return 2;                         /* within a boundary */
	if (o != me)
		return 0;
	/* A presenting thread that waits to take over gets the frames at
	 * the end of this boundary or advance, or at the gate: never before
	 * it, so the boundary is there whenever that thread asked. Fails
	 * only if a presenting thread took the frames meanwhile (the frame
	 * thread joining it, or stuck). */
	return atomic_compare_exchange_strong(&fr.own, &o, me | OWN_BUSY);
}

void
frame_drive_end(int how)
{
	if (how != 1)
		return;
	uintptr_t w = atomic_load(&fr.want);
	atomic_store(&fr.own, w != 0 ? w : token());
	/* A presenting thread waits: the frames are its from here on (or,
	 * asking just now, it takes them itself once woken). */
	if (w != 0 || atomic_load(&fr.want) != 0)
		own_changed();
}

static void gate_adopt(void);

/* Whether the frame thread, outside its boundaries, is asleep in the
 * kernel and has not run for TAKEOVER_STUCK_NS: blocked on something the
 * shim does not see (a raw futex, a pipe) that may wait for the thread
 * presenting. A real-time judgement: counted and logged when it decides. */
static int
frame_thread_stuck(void)
{
	long tid = atomic_load(&fr.tid);
	return tid > 0 && stall_thread_blocked(tid, TAKEOVER_STUCK_NS);
}

/* HOOK_FRAME=auto, a thread that is not the frame thread presents before
 * the frame thread ever did (a game rendering on a thread of its own):
 * take the frames over at the frame thread's next boundary or clock
 * advance (it hands them over at its end, or at the gate, a stopped gate
 * as it is), so that the frame they change hands at does not depend on
 * whether this thread asked before or after the frame thread got there.
 * Taken at once only from a frame thread that joins this one (it has no
 * boundary before this thread ends) or, as a last resort, one stuck
 * outside the shim's waits (frame_thread_stuck: counted in info's
 * takeover_forced). Returns 1 when the calling thread is the frame
 * thread now. */
static int
take_over(void)
{
	uintptr_t me = token(), none = 0;
	if (!atomic_compare_exchange_strong(&fr.want, &none, me))
		return 0;   /* another thread is taking over */
	/* Waiting here, this thread is not one the clock waits for. */
	vclock_thread_idle();
	uintptr_t o;
	int looked = 0;
	for (;;) {
		uint32_t s = atomic_load(&fr.own_seq);
		o = atomic_load(&fr.own);
		if ((o & ~OWN_BUSY) == me)
			break;
		if (atomic_load(&fr.presented) || atomic_load(&fr.detached)) {
			atomic_store(&fr.want, 0);   /* it presents itself */
			return 0;
		}
		if (!(o & OWN_BUSY) && atomic_load(&fr.joining) ==
		    (uintptr_t)pthread_self() &&
		    atomic_compare_exchange_strong(&fr.own, &o, me))
			break;
		if (looked && !(o & OWN_BUSY) && frame_thread_stuck() &&
		    atomic_compare_exchange_strong(&fr.own, &o, me)) {
			atomic_fetch_add(&fr.takeover_forced, 1);
			hlog("frames: the frame thread (tid %ld) is blocked "
			    "outside its boundaries: the frames taken over "
			    "without waiting for its next one",
			    atomic_load(&fr.tid));
			break;
		}
		frame_kick();    /* a stopped frame thread looks, and hands over */
		struct timespec look = { 0, TAKEOVER_LOOK_NS };
		looked = futex_wait(&fr.own_seq, s, &look) != 0 &&
		    errno == ETIMEDOUT;
	}
	atomic_store(&fr.presented, 1);
	atomic_store(&fr.want, 0);
	atomic_store(&fr.tid, (long)sys_call(SYS_gettid));
	if (own_key_ok)
		pthread_setspecific(own_key, &tls_token);
	hlog("frames: the thread presenting (tid %ld) is the frame thread "
	    "from frame %lld on", atomic_load(&fr.tid),
	    (long long)atomic_load(&fr.cur) + 1);
	if (o & OWN_BUSY)
		gate_adopt();   /* handed a stopped gate: held there first */
	return 1;
}

int
frame_is_boundary(enum frame_rule kind)
{
	if (fr.rule == FRAME_AUTO) {
		/* Waits of every kind on the main thread, but not screen
		 * updates: a loop ends where it yields. Once it presents a
		 * picture, presentation alone ends its frames (its waits
		 * still pass time). */
		if (!is_frame_thread() && !(framerule_is_present(kind) &&
		    !atomic_load_explicit(&fr.presented, memory_order_relaxed) &&
		    take_over()))
			return 0;
		if (framerule_is_present(kind)) {
			atomic_store_explicit(&fr.presented, 1,
			    memory_order_relaxed);
			return 1;
		}
		if (kind == FRAME_DOUPDATE)
			return 0;
		if (!atomic_load_explicit(&fr.presented, memory_order_relaxed))
			return 1;
		/* A presenting game that waits on without presenting (an
		 * event-driven one, idle) still gets a boundary a wait once
		 * FRAME_IDLE_NS passed since the last. */
		return vclock_now() - fr.frame_start_v >= FRAME_IDLE_NS;
	}
	if (fr.rule == FRAME_PRESENT ? !framerule_is_present(kind) :
	    kind != fr.rule)
		return 0;
	uintptr_t none = 0;
	if (!is_frame_thread()) {
		if (!atomic_compare_exchange_strong(&fr.own, &none, token()))
			return 0;
		atomic_store(&fr.tid, (long)sys_call(SYS_gettid));
	}
	if (framerule_is_present(kind))
		atomic_store_explicit(&fr.presented, 1, memory_order_relaxed);
	return 1;
}

int
frame_drives_time(void)
{
	uintptr_t o = atomic_load_explicit(&fr.own, memory_order_relaxed);
	if ((o & ~OWN_BUSY) == token())
		return 1;
	return tls_main_thread && o == 0;
}

int
frame_thread_is_main(void)
{
	uintptr_t o = atomic_load(&fr.own) & ~OWN_BUSY;
	return o == 0 || o == fr.main_token;
}

static void
notify(void)
{
	uint64_t one = 1;
	(void)!write(fr.efd, &one, sizeof one);
}

/* Run a posted request, if any; returns 1 when one ran. */
static int
run_request(void)
{
	if (atomic_load_explicit(&fr.req, memory_order_acquire) != REQ_POSTED)
		return 0;
	fr.req_defer = 0;
	fr.req_fn(fr.req_arg);
	if (fr.req_defer)
		return 0;       /* again at the next boundary */
	atomic_store_explicit(&fr.req, REQ_DONE, memory_order_release);
	notify();
	return 1;
}

static int
must_stop(int64_t f)
{
	return atomic_load(&fr.paused) && f >= atomic_load(&fr.run_until) &&
	    !atomic_load(&fr.detached);
}

/* Stopped at the gate with a client lent (socket FD): wait for its next
 * bytes or a kick. Returns 1 when the client has something to read. */
static int
gate_poll(int fd, uint32_t g)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = fr.gate_efd, .events = POLLIN },
	};

	atomic_store(&fr.polling, 1);
	if (atomic_load(&fr.gate) != g) {
		atomic_store(&fr.polling, 0);
		return 0;
	}
	sys_call(SYS_ppoll, p, 2, NULL, NULL, 8);
	atomic_store(&fr.polling, 0);
	if (p[1].revents) {
		uint64_t v;
		(void)!read(fr.gate_efd, &v, sizeof v);
	}
	return p[0].revents != 0;
}

/* The gate at boundary F, BLOCKED when the stop is announced already:
 * requests served, in lockstep held until a step lets it go. Returns
 * whether it blocked, or -1 when this thread handed the gate over as it
 * stands to a presenting thread (take_over), which goes on from here. */
static int
gate(int64_t f, int blocked)
{
	while (must_stop(f)) {
		uint32_t g = atomic_load(&fr.gate);
		if (run_request() || snapshot_serve(f))
			continue;
		if (!must_stop(f))
			break;
		uintptr_t w = atomic_load(&fr.want);
		if (w != 0 && w != token()) {
			fr.handoff_f = f;
			fr.handoff_blocked = blocked;
			atomic_store(&fr.own, w | OWN_BUSY);
			own_changed();
			return -1;
		}
		if (!blocked) {
			blocked = 1;
			atomic_store(&fr.stopped, 1);
			vclock_set_free_running(0);
			if (atomic_load(&fr.notify_on_stop))
				notify();
		}
		int lent = fast_lent_fd();
		if (lent < 0)
			futex_wait(&fr.gate, g, NULL);
		else if (gate_poll(lent, g))
			fast_serve(f);
	}
	return blocked;
}

/* Out of the gate at boundary F: the next frame begins. */
static void
gate_leave(int64_t f, int blocked, int present)
{
	fast_hand_back();
	if (blocked) {
		atomic_store(&fr.stopped, 0);
		vclock_set_free_running(1);
		vclock_reanchor();
	}
	if (present && vclock_now() == fr.frame_start_v)
		wait_advance(FRAME_PERIOD_NS);   /* timers due go off */
	fr.frame_start_v = vclock_now();
	input_frame_begin(f + 1);
	wtrack_resume();
}

/* The thread taking over was handed a gate: it waits there in the old
 * frame thread's place. */
static void
gate_adopt(void)
{
	int64_t f = fr.handoff_f;
	int blocked = gate(f, fr.handoff_blocked);
	gate_leave(f, blocked, 0);
	atomic_store(&fr.own, token());
}

void
frame_boundary(int present)
{
	if (atomic_load_explicit(&fr.detached, memory_order_relaxed))
		return;
	/* A presenting thread may have taken the frames over since this one
	 * knew itself their thread: then this is no boundary. */
	int drive = frame_drive_begin();
	if (!drive)
		return;
	shim_start();
	vclock_drive_begin();
	int64_t f = atomic_load_explicit(&fr.cur, memory_order_relaxed) + 1;
	wtrack_boundary();
	/* What the game sent its terminal this frame, on the screen. */
	term_drain();
	/* The state of frame F, before anyone hears of it. */
	if (atomic_load_explicit(&capture_want, memory_order_relaxed))
		capture_boundary(f);
	if (unlikely(replay_active()))
		replay_feed(f);
	int stop = must_stop(f);
	/* Announce the stop together with the frame: one wake-up of the
	 * control thread per boundary at most. */
	if (stop) {
		atomic_store(&fr.stopped, 1);
		vclock_set_free_running(0);
		/* A step's observation, read before the frame is announced:
		 * whoever sees frame F sees it read. */
		if (f >= atomic_load_explicit(&fr.read_at,
		    memory_order_acquire)) {
			void (*fn)(int64_t) = atomic_load(&fr.read_fn);
			atomic_store(&fr.read_at, FRAME_NONE);
			if (fn != NULL)
				fn(f);
		}
	}
	atomic_store_explicit(&fr.cur, f, memory_order_release);
	fast_reached(f);
	if ((stop && atomic_load(&fr.notify_on_stop)) ||
	    f >= atomic_load_explicit(&fr.notify_at, memory_order_acquire))
		notify();
	run_request();

	/* In lockstep the first boundary is kept, for `reset` (once it is
	 * announced: a client sees frame 0 at once; its requests wait). */
	if (f == 0 && shim_cfg.lockstep && !atomic_load(&fr.detached))
		snapshot_keep_start(f);
	snapshot_serve(f);
	int blocked = gate(f, stop);
	if (blocked < 0) {
		vclock_drive_end();
		return;     /* handed over: the frames are another thread's */
	}
	gate_leave(f, blocked, present);
	vclock_drive_end();
	frame_drive_end(drive);
}

int
frame_will_stop(void)
{
	return must_stop(atomic_load_explicit(&fr.cur, memory_order_relaxed) +
	    1);
}

int
frame_request_pending(void)
{
	return atomic_load_explicit(&fr.req, memory_order_acquire) ==
	    REQ_POSTED;
}

void
frame_post_defer(void)
{
	fr.req_defer = 1;
}

int
frame_presented(void)
{
	return atomic_load(&fr.presented);
}

void
frame_wake_ctl(void)
{
	notify();
}

int64_t
frame_current(void)
{
	return atomic_load(&fr.cur);
}

int
frame_stopped(void)
{
	return atomic_load(&fr.stopped);
}

int
frame_paused(void)
{
	return atomic_load(&fr.paused);
}

void
frame_loaded(int64_t f)
{
	atomic_store(&fr.cur, f);
	atomic_store(&fr.run_until, 0);
	atomic_store(&fr.paused, 1);
	fr.frame_start_v = vclock_now();
	pixels_forget();
	input_reset();
	tty_reset();
}

void
frame_kick(void)
{
	atomic_fetch_add(&fr.gate, 1);
	futex_wake(&fr.gate, INT_MAX);
	if (atomic_load(&fr.polling)) {
		uint64_t one = 1;
		(void)!write(fr.gate_efd, &one, sizeof one);
	}
}

void
frame_set_paused(int paused)
{
	if (paused)
		atomic_store(&fr.run_until, 0);   /* stop at the next boundary */
	atomic_store(&fr.paused, paused);
	frame_kick();
}

void
frame_run_until(int64_t target)
{
	atomic_store(&fr.run_until, target);
	frame_kick();
}

void
frame_notify_at(int64_t at)
{
	atomic_store(&fr.notify_at, at);
}

int
frame_notify_fd(void)
{
	return fr.efd;
}

int
frame_post(void (*fn)(void *), void *arg)
{
	if (atomic_load(&fr.req) == REQ_POSTED)
		return -1;
	fr.req_fn = fn;
	fr.req_arg = arg;
	atomic_store_explicit(&fr.req, REQ_POSTED, memory_order_release);
	frame_kick();
	return 0;
}

int
frame_post_done(void)
{
	int expected = REQ_DONE;
	return atomic_compare_exchange_strong(&fr.req, &expected, REQ_IDLE);
}

void
frame_detach(void)
{
	atomic_store(&fr.detached, 1);
	atomic_store(&fr.paused, 0);
	frame_kick();
	own_changed();
}

void
frame_read_at(int64_t at, void (*fn)(int64_t f))
{
	atomic_store(&fr.read_at, FRAME_NONE);
	atomic_store(&fr.read_fn, fn);
	atomic_store_explicit(&fr.read_at, at, memory_order_release);
}

void
frame_notify_on_stop(int on)
{
	atomic_store(&fr.notify_on_stop, on);
}
