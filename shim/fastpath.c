/* The lockstep fast path (see fastpath.h): a slot shared by the control
 * thread, which arms it, lends and takes back, and the frame thread, which
 * sends the reply and serves the lent client. Lock-free: the state word
 * says whose the slot's other fields are. */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>

#include "../common/textproto.h"
#include "fastpath.h"
#include "frame.h"

/* The step reply slot. Its state says who owns the rest: the control
 * thread while IDLE (it arms it), the frame thread while SENDING or
 * SERVING. fd and target are atomics: the frame thread looks at them
 * before it owns the slot, and may look at an arming newer than the one
 * it saw. */
static struct {
	_Atomic int state;
	_Atomic int fd;
	_Atomic int64_t target;
	char reply[32];
	size_t len, sent;
	_Atomic int want_notify;  /* the control thread has more for it */
	_Atomic int lend;         /* keep the client after the reply */
} fast;

size_t
fast_reply(int64_t target, char *buf, size_t len)
{
	int n = snprintf(buf, len, "ok %lld\n", (long long)target);
	return n < 0 ? 0 : (size_t)n;
}

/* Send the armed step reply from this (the frame) thread, at frame F. */
static void
fast_send(int64_t f)
{
	int st = FAST_ARMED;

	if (!atomic_compare_exchange_strong(&fast.state, &st, FAST_SENDING))
		return;
	/* Taken back and armed again since we looked: for a later frame. */
	if (f < atomic_load(&fast.target)) {
		atomic_store(&fast.state, FAST_ARMED);
		return;
	}
	ssize_t n = send(atomic_load(&fast.fd), fast.reply, fast.len,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	fast.sent = n > 0 ? (size_t)n : 0;
	int failed = fast.sent != fast.len;
	int want = atomic_load(&fast.want_notify);
	/* From here on the slot is the control thread's again: it may arm
	 * it anew at once, so nothing of it is read after this store. */
	atomic_store(&fast.state, failed ? FAST_FAILED :
	    atomic_load(&fast.lend) ? FAST_LENT : FAST_SENT);
	/* The control thread finishes a failed send, and runs what the
	 * client queued meanwhile. */
	if (failed || want)
		frame_wake_ctl();
}

void
fast_reached(int64_t f)
{
	if (atomic_load_explicit(&fast.state, memory_order_acquire) == FAST_ARMED &&
	    f >= atomic_load_explicit(&fast.target, memory_order_relaxed))
		fast_send(f);
}

int
fast_lent_fd(void)
{
	return atomic_load(&fast.state) == FAST_LENT ? atomic_load(&fast.fd) : -1;
}

void
fast_serve(int64_t f)
{
	int st = FAST_LENT;
	if (!atomic_compare_exchange_strong(&fast.state, &st, FAST_SERVING))
		return;   /* taken back meanwhile */
	char buf[48];
	unsigned long long n = 0;
	int fd = atomic_load(&fast.fd);
	ssize_t got = recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
	if (got > 0 && tp_simple_step(buf, (size_t)got, &n) == 0 &&
	    recv(fd, buf, (size_t)got, MSG_DONTWAIT) == got) {
		int64_t target = f + (int64_t)n;
		atomic_store(&fast.target, target);
		fast.len = fast_reply(target, fast.reply, sizeof fast.reply);
		fast.sent = 0;
		frame_run_until(target);
		atomic_store(&fast.state, FAST_ARMED);
		return;
	}
	atomic_store(&fast.state, FAST_RETURNED);
	frame_wake_ctl();
}

void
fast_hand_back(void)
{
	int lent = FAST_LENT;
	if (atomic_compare_exchange_strong(&fast.state, &lent, FAST_RETURNED))
		frame_wake_ctl();
}

void
fast_arm(int fd, int64_t target)
{
	atomic_store_explicit(&fast.fd, fd, memory_order_relaxed);
	atomic_store_explicit(&fast.target, target, memory_order_relaxed);
	fast.len = fast_reply(target, fast.reply, sizeof fast.reply);
	fast.sent = 0;
	atomic_store(&fast.want_notify, 0);
	atomic_store(&fast.lend, 0);
	atomic_store_explicit(&fast.state, FAST_ARMED, memory_order_release);
	/* The frame may have been reached already. */
	if (frame_current() >= target) {
		int st = FAST_ARMED;
		if (atomic_compare_exchange_strong(&fast.state, &st, FAST_FAILED))
			fast.sent = 0;
	}
}

int
fast_state(void)
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
fast_disarm(size_t *sent)
{
	for (;;) {
		int st = fast_settled();
		if (atomic_compare_exchange_strong(&fast.state, &st, FAST_IDLE)) {
			if (sent != NULL)
				*sent = fast.sent;
			if (st == FAST_LENT)
				frame_kick();   /* the gate stops polling the client */
			return st;
		}
	}
}

int
fast_lend(void)
{
	atomic_store(&fast.lend, 1);
	int st = atomic_load(&fast.state);
	return st == FAST_ARMED || st == FAST_SENDING || st == FAST_LENT;
}

int
fast_reclaim(void)
{
	atomic_store(&fast.lend, 0);
	for (;;) {
		int st = fast_settled();
		if (st != FAST_LENT)
			return st;
		if (atomic_compare_exchange_strong(&fast.state, &st, FAST_IDLE)) {
			frame_kick();
			return FAST_LENT;
		}
	}
}

void
fast_want_notify(void)
{
	atomic_store(&fast.want_notify, 1);
}

int64_t
fast_target(void)
{
	return atomic_load(&fast.target);
}
