/* Frame boundaries and the lockstep gate (see frame.h). The hot path, a
 * boundary while running, is a few atomic loads; blocking uses a futex. */
#include <limits.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sched.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "capture.h"
#include "frame.h"
#include "../common/textproto.h"
#include "input.h"
#include "log.h"
#include "replay.h"
#include "snapshot.h"
#include "vclock.h"
#include "wait.h"

#define FRAME_PERIOD_NS (NS_PER_SEC / 60)

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
	_Atomic int claimed;          /* a frame thread is known */
	_Atomic int req;
	void (*req_fn)(void *);
	void *req_arg;
	int efd;
	int64_t frame_start_v;        /* frame thread only */
} fr = { .cur = -1, .notify_at = FRAME_NONE, .efd = -1, .gate_efd = -1 };

static struct {
	_Atomic int state;
	int fd;
	int64_t target;
	char reply[32];
	size_t len, sent;
	_Atomic int want_notify;  /* the control thread has more for it */
	_Atomic int lend;         /* keep the client after the reply */
} fast;

static SHIM_TLS int tls_frame_thread;

static void kick(void);
static void notify(void);

/* The snapshot request slot. */
static struct {
	_Atomic int state;           /* REQ_IDLE, REQ_POSTED, REQ_DONE */
	int kind;
	char name[64];
	int result;
	int64_t frame;
	char err[512];
} snapreq;

/* A request was served (R: 0 saved, 1 loaded and back at F, -1 failed):
 * put the boundary in order after a load, and hand the result over. */
static void
snap_finish(int64_t f, int r)
{
	if (r == 1) {
		/* Back at frame F as it was saved: stopped, with no input
		 * pending from the future it left. */
		atomic_store(&fr.cur, f);
		atomic_store(&fr.run_until, 0);
		atomic_store(&fr.paused, 1);
		fr.frame_start_v = vclock_now();
		input_reset();
	}
	snapreq.result = r;
	snapreq.frame = f;
	atomic_store_explicit(&snapreq.state, REQ_DONE, memory_order_release);
	notify();
}

/* Serve a snapshot request, if any: a save returns here at once; a load
 * that works comes back through the save it loads (here, or in
 * save_start), with the locals of that boundary, F among them. Returns 1
 * when one was served. */
static int
serve_snapshot(int64_t f)
{
	if (atomic_load_explicit(&snapreq.state, memory_order_acquire) !=
	    REQ_POSTED)
		return 0;
	int r;
	snapreq.err[0] = '\0';
	if (snapreq.kind == SNAP_SAVE)
		r = snapshot_save(snapreq.name, f, snapreq.err,
		    sizeof snapreq.err);
	else
		r = snapshot_load(snapreq.name, snapreq.err, sizeof snapreq.err);
	snap_finish(f, r);
	return 1;
}

/* In lockstep the first boundary is kept as SNAPSHOT_START, before any
 * request (a `reset` sent early waits for it). A reset comes back here. */
static void
save_start(int64_t f)
{
	char err[512];
	int r = snapshot_save(SNAPSHOT_START, f, err, sizeof err);
	if (r == 1)
		snap_finish(f, 1);   /* the reset (or load @start) is done */
	else if (r < 0)
		hlog("snapshot %s: %s", SNAPSHOT_START, err);
}

int
frame_snapshot_post(int kind, const char *name)
{
	if (atomic_load(&snapreq.state) != REQ_IDLE)
		return -1;
	snapreq.kind = kind;
	snprintf(snapreq.name, sizeof snapreq.name, "%s", name);
	atomic_store_explicit(&snapreq.state, REQ_POSTED, memory_order_release);
	kick();
	return 0;
}

int
frame_snapshot_done(int *result, int64_t *frame, char *err, size_t errlen)
{
	if (atomic_load_explicit(&snapreq.state, memory_order_acquire) !=
	    REQ_DONE)
		return 0;
	*result = snapreq.result;
	*frame = snapreq.frame;
	snprintf(err, errlen, "%s", snapreq.err);
	atomic_store(&snapreq.state, REQ_IDLE);
	return 1;
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
	if (rule == FRAME_AUTO && tls_main_thread) {
		tls_frame_thread = 1;
		atomic_store(&fr.claimed, 1);
	}
}

int
frame_is_boundary(enum frame_rule kind)
{
	if (fr.rule == FRAME_AUTO) {
		/* Waits of every kind on the main thread, but not screen
		 * updates: a loop ends where it yields. */
		return tls_frame_thread && kind != FRAME_DOUPDATE;
	}
	if (kind != fr.rule)
		return 0;
	if (tls_frame_thread)
		return 1;
	int expected = 0;
	if (atomic_compare_exchange_strong(&fr.claimed, &expected, 1)) {
		tls_frame_thread = 1;
		return 1;
	}
	return 0;
}

int
frame_drives_time(void)
{
	if (tls_frame_thread)
		return 1;
	return tls_main_thread && !atomic_load_explicit(&fr.claimed,
	    memory_order_relaxed);
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
	fr.req_fn(fr.req_arg);
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

/* Send the armed step reply from this (the frame) thread. */
static void
fast_send(void)
{
	int st = FAST_ARMED;

	if (!atomic_compare_exchange_strong(&fast.state, &st, FAST_SENDING))
		return;
	ssize_t n = send(fast.fd, fast.reply, fast.len,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	fast.sent = n > 0 ? (size_t)n : 0;
	atomic_store(&fast.state, fast.sent != fast.len ? FAST_FAILED :
	    atomic_load(&fast.lend) ? FAST_LENT : FAST_SENT);
	/* The control thread finishes a failed send, and runs what the
	 * client queued meanwhile. */
	if (fast.sent != fast.len || atomic_load(&fast.want_notify))
		notify();
}

/* Stopped at the gate with the stepping client lent to us: wait for its
 * next command or a kick. A plain `step [N]` is taken here, without the
 * control thread; anything else goes back to it untouched. */
static void
serve_lent(int64_t f, uint32_t g)
{
	struct pollfd p[2] = {
		{ .fd = fast.fd, .events = POLLIN },
		{ .fd = fr.gate_efd, .events = POLLIN },
	};

	atomic_store(&fr.polling, 1);
	if (atomic_load(&fr.gate) != g) {
		atomic_store(&fr.polling, 0);
		return;
	}
	syscall(SYS_ppoll, p, 2, NULL, NULL, 8);
	atomic_store(&fr.polling, 0);
	if (p[1].revents) {
		uint64_t v;
		(void)!read(fr.gate_efd, &v, sizeof v);
	}
	if (p[0].revents == 0)
		return;
	int st = FAST_LENT;
	if (!atomic_compare_exchange_strong(&fast.state, &st, FAST_SERVING))
		return;   /* taken back meanwhile */
	char buf[48];
	unsigned long long n = 0;
	ssize_t got = recv(fast.fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
	if (got > 0 && tp_simple_step(buf, (size_t)got, &n) == 0 &&
	    recv(fast.fd, buf, (size_t)got, MSG_DONTWAIT) == got) {
		int64_t target = f + (int64_t)n;
		fast.target = target;
		fast.len = frame_fast_reply(target, fast.reply, sizeof fast.reply);
		fast.sent = 0;
		atomic_store(&fr.run_until, target);
		atomic_store(&fast.state, FAST_ARMED);
		return;
	}
	atomic_store(&fast.state, FAST_RETURNED);
	notify();
}

void
frame_boundary(int present)
{
	if (atomic_load_explicit(&fr.detached, memory_order_relaxed))
		return;
	shim_start();
	int64_t f = atomic_load_explicit(&fr.cur, memory_order_relaxed) + 1;
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
	}
	atomic_store_explicit(&fr.cur, f, memory_order_release);
	if (atomic_load_explicit(&fast.state, memory_order_acquire) == FAST_ARMED &&
	    f >= fast.target)
		fast_send();
	if ((stop && atomic_load(&fr.notify_on_stop)) ||
	    f >= atomic_load_explicit(&fr.notify_at, memory_order_acquire))
		notify();
	run_request();

	/* In lockstep the first boundary is kept, for `reset` (once it is
	 * announced: a client sees frame 0 at once; its requests wait). */
	if (f == 0 && shim_cfg.lockstep && !atomic_load(&fr.detached))
		save_start(f);
	int blocked = stop;
	serve_snapshot(f);
	while (must_stop(f)) {
		uint32_t g = atomic_load(&fr.gate);
		if (run_request() || serve_snapshot(f))
			continue;
		if (!must_stop(f))
			break;
		if (!blocked) {
			blocked = 1;
			atomic_store(&fr.stopped, 1);
			vclock_set_free_running(0);
			if (atomic_load(&fr.notify_on_stop))
				notify();
		}
		if (atomic_load(&fast.state) == FAST_LENT)
			serve_lent(f, g);
		else
			futex_wait(&fr.gate, g, NULL);
	}
	/* A lent client is served only while stopped: hand it back. */
	int lent = FAST_LENT;
	if (atomic_compare_exchange_strong(&fast.state, &lent, FAST_RETURNED))
		notify();
	if (blocked) {
		atomic_store(&fr.stopped, 0);
		vclock_set_free_running(1);
		vclock_reanchor();
	}
	if (present && vclock_now() == fr.frame_start_v)
		wait_advance(FRAME_PERIOD_NS);   /* timers due go off */
	fr.frame_start_v = vclock_now();
	input_frame_begin(f + 1);
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

static void
kick(void)
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
	kick();
}

void
frame_run_until(int64_t target)
{
	atomic_store(&fr.run_until, target);
	kick();
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
	kick();
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
	kick();
}

void
frame_notify_on_stop(int on)
{
	atomic_store(&fr.notify_on_stop, on);
}

size_t
frame_fast_reply(int64_t target, char *buf, size_t len)
{
	int n = snprintf(buf, len, "ok %lld\n", (long long)target);
	return n < 0 ? 0 : (size_t)n;
}

void
frame_fast_arm(int fd, int64_t target)
{
	fast.fd = fd;
	fast.target = target;
	fast.len = frame_fast_reply(target, fast.reply, sizeof fast.reply);
	fast.sent = 0;
	atomic_store(&fast.want_notify, 0);
	atomic_store(&fast.lend, 0);
	atomic_store_explicit(&fast.state, FAST_ARMED, memory_order_release);
	/* The frame may have been reached already. */
	if (atomic_load(&fr.cur) >= target) {
		int st = FAST_ARMED;
		if (atomic_compare_exchange_strong(&fast.state, &st, FAST_FAILED))
			fast.sent = 0;
	}
}

int
frame_fast_state(void)
{
	return atomic_load_explicit(&fast.state, memory_order_acquire);
}

/* The slot's state once the frame thread is not in the middle of a send
 * or of reading the lent client. */
static int
fast_settled(void)
{
	int st;

	while ((st = atomic_load(&fast.state)) == FAST_SENDING ||
	    st == FAST_SERVING)
		sched_yield();
	return st;
}

int
frame_fast_disarm(size_t *sent)
{
	for (;;) {
		int st = fast_settled();
		if (atomic_compare_exchange_strong(&fast.state, &st, FAST_IDLE)) {
			if (sent != NULL)
				*sent = fast.sent;
			if (st == FAST_LENT)
				kick();   /* the gate stops polling the client */
			return st;
		}
	}
}

int
frame_fast_lend(void)
{
	atomic_store(&fast.lend, 1);
	int st = atomic_load(&fast.state);
	return st == FAST_ARMED || st == FAST_SENDING || st == FAST_LENT;
}

int
frame_fast_reclaim(void)
{
	atomic_store(&fast.lend, 0);
	for (;;) {
		int st = fast_settled();
		if (st != FAST_LENT)
			return st;
		if (atomic_compare_exchange_strong(&fast.state, &st, FAST_IDLE)) {
			kick();
			return FAST_LENT;
		}
	}
}

void
frame_fast_want_notify(void)
{
	atomic_store(&fast.want_notify, 1);
}

int64_t
frame_fast_target(void)
{
	return fast.target;
}
