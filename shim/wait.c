/* Waits on the virtual clock (see wait.h). */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "sys.h"
#include "frame.h"
#include "input.h"
#include "spin.h"
#include "tty.h"
#include "real.h"
#include "vclock.h"
#include "vtimer.h"
#include "wait.h"

/* Longest piece of a long wait: each piece checks for input and events. */
#define SLICE_NS (NS_PER_SEC / 60)
/* Real-time granularity of a non-frame thread's wait on descriptors. */
#define POLL_SLICE_MS 20

static int stdin_tty;

void
wait_init(void)
{
	struct termios t;
	stdin_tty = tcgetattr(0, &t) == 0;
}

int
wait_stdin_managed(void)
{
	return (stdin_tty && input_ignore_real()) || input_pending() ||
	    tty_holding();
}

/* Really sleep D ns (after detach, time is real again). */
static void
kernel_sleep(int64_t d)
{
	if (d <= 0)
		return;
	struct timespec t = ns_to_ts(d);
	while (sys_call(SYS_nanosleep, &t, &t) != 0 && errno == EINTR)
		;
}

/* Whether the last wait this thread ended with EINTR was interrupted only
 * by handlers installed with SA_RESTART. */
static SHIM_TLS int tls_restartable;

static int
wait_restartable(void)
{
	return tls_restartable;
}

int
wait_advance(int64_t d)
{
	int64_t target = vclock_now() + (d > 0 ? d : 0);
	int drive = frame_drive_begin();

	if (!drive) {
		/* The frames went to a thread that presents: this one waits
		 * as any other thread does. */
		vclock_wait_until(target);
		return 0;
	}
	for (;;) {
		int64_t next = vtimer_next();
		if (next > target)
			break;
		int64_t now = vclock_now();
		if (next > now)
			vclock_advance(next - now);
		int f = vtimer_fire(next > now ? next : now);
		if (f & VTIMER_HANDLED) {
			tls_restartable = !(f & VTIMER_NORESTART);
			frame_drive_end(drive);
			return 1;
		}
	}
	int64_t now = vclock_now();
	if (target > now)
		vclock_advance(target - now);
	frame_drive_end(drive);
	return 0;
}

int
wait_sleep_until(int64_t target, enum frame_rule kind)
{
	if (vclock_detached()) {
		kernel_sleep(target - vclock_now());
		return 0;
	}
	if (frame_is_boundary(kind))
		frame_boundary(0);
	if (frame_drives_time()) {
		/* The game asked for an instant before the gate held it;
		 * what is left of the wait is what it asked. */
		int64_t d = target - vclock_now();
		if (d > 0 && wait_advance(d)) {
			errno = EINTR;
			return -1;
		}
	} else {
		vclock_wait_until(target);
	}
	return 0;
}

int
wait_sleep(int64_t d, enum frame_rule kind, int64_t *left)
{
	if (vclock_detached()) {
		kernel_sleep(d);
		return 0;
	}
	if (frame_is_boundary(kind))
		frame_boundary(0);
	if (frame_drives_time()) {
		int64_t target = vclock_now() + d;
		if (wait_advance(d)) {
			if (left != NULL)
				*left = target - vclock_now();
			errno = EINTR;
			return -1;
		}
	} else {
		vclock_wait_until(vclock_now() + d);
	}
	return 0;
}

/* One real, non-waiting look at the descriptors: a copy of FDS where fd 0
 * is hidden while the shim manages it, merged back with injected input.
 * Returns the ready count, or -1. */
static int
check_ready(struct pollfd *fds, nfds_t n, const sigset_t *sigmask,
    int real_ms)
{
	int managed = wait_stdin_managed();
	int pending = tty_readable();
	unsigned char hid[n ? n : 1];
	int r;

	for (nfds_t i = 0; i < n; i++) {
		hid[i] = managed && fds[i].fd == 0;
		if (hid[i])
			fds[i].fd = -1;   /* poll ignores negative fds */
	}
	if (pending && real_ms != 0)
		real_ms = 0;
	struct timespec ts = ns_to_ts((int64_t)real_ms * 1000000);
	/* 8: the kernel's sigset size on Linux. */
	r = (int)sys_call(SYS_ppoll, fds, n, real_ms < 0 ? NULL : &ts, sigmask, 8);
	for (nfds_t i = 0; i < n; i++) {
		if (hid[i]) {
			fds[i].fd = 0;
			fds[i].revents = 0;
		}
	}
	if (r < 0)
		return -1;
	for (nfds_t i = 0; i < n; i++) {
		if (fds[i].fd == 0 && pending && (fds[i].events & POLLIN)) {
			if (fds[i].revents == 0)
				r++;
			fds[i].revents |= POLLIN;
		}
	}
	return r;
}

/* A look at whatever the wait is for: ready count (> 0), 0, or -1. It may
 * wait up to REAL_MS of real time (-1: until ready). */
typedef int (*ready_fn)(void *ctx, int real_ms);

/* How far a wait's next virtual step goes: a slice, or for a wait without
 * end straight to the next timer (one frame a tick), at most a second. */
static int64_t
next_step(int64_t target, int forever)
{
	int64_t now = vclock_now();
	int64_t s = target - now;
	if (forever) {
		int64_t t = vtimer_next();
		if (t != INT64_MAX && t > now)
			return t - now < NS_PER_SEC ? t - now : NS_PER_SEC;
	}
	return s > SLICE_NS ? SLICE_NS : s;
}

/* The loop of every readiness wait (see wait_poll): HAS_REAL says real
 * events may come, which another thread must watch in real time. */
static int
wait_ready(ready_fn ready, void *ctx, int has_real, int64_t timeout_ns,
    enum frame_rule kind, const void *caller)
{
	int r;

	if (vclock_detached())
		return ready(ctx, timeout_ns < 0 ? -1 : (int)(timeout_ns / 1000000));
	if ((r = ready(ctx, 0)) != 0 || timeout_ns == 0) {
		/* Waited for nothing: again and again, that is a busy loop. */
		spin_note(SPIN_POLL, caller);
		return r;
	}

	int forever = timeout_ns < 0;
	int64_t target = forever ? INT64_MAX : vclock_now() + timeout_ns;
	int first = 1;

	for (;;) {
		int64_t now = vclock_now();
		if (now >= target)
			return 0;
		if (frame_drives_time()) {
			/* A forever wait ends a frame every step, so a
			 * turn-based game steps one wait at a time. */
			if ((first || forever) && frame_is_boundary(kind)) {
				frame_boundary(0);
				if ((r = ready(ctx, 0)) != 0)
					return r;
			}
			if (wait_advance(next_step(target, forever))) {
				errno = EINTR;
				return -1;
			}
		} else if (!has_real && !wait_stdin_managed()) {
			vclock_wait_until(target);
		} else {
			/* Real events can come at any moment: watch them in
			 * short real slices, checking the virtual deadline. */
			if ((r = ready(ctx, POLL_SLICE_MS)) != 0)
				return r;
			first = 0;
			continue;   /* that look was the check */
		}
		first = 0;
		if ((r = ready(ctx, 0)) != 0)
			return r;
	}
}

struct poll_ctx {
	struct pollfd *fds;
	nfds_t n;
	const sigset_t *sigmask;
};

static int
poll_ready(void *p, int real_ms)
{
	struct poll_ctx *c = p;
	return check_ready(c->fds, c->n, c->sigmask, real_ms);
}

int
wait_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns,
    const sigset_t *sigmask, enum frame_rule kind)
{
	struct poll_ctx c = { fds, n, sigmask };
	int has_real = 0;

	for (nfds_t i = 0; i < n; i++)
		if (fds[i].fd > 0 || (fds[i].fd == 0 && !wait_stdin_managed()))
			has_real = 1;
	return wait_ready(poll_ready, &c, has_real, timeout_ns, kind,
	    __builtin_return_address(0));
}

int
wait_read_ready(int fd, int64_t timeout_ns, enum frame_rule kind)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	/* A wait without end is a read: the kernel restarts it after an
	 * SA_RESTART handler, and so does the shim. */
	while ((r = wait_poll(&p, 1, timeout_ns, NULL, kind)) < 0 &&
	    errno == EINTR && timeout_ns < 0 && wait_restartable())
		;
	return r;
}

/* Epoll sets that hold standard input, as the game registered it there
 * (epoll_ctl): injected keys make it ready in them. */
#define EPOLL_STDIN_MAX 32
static struct {
	_Atomic int epfd;          /* -1: free */
	_Atomic uint32_t events;
	epoll_data_t data;
} ep_stdin[EPOLL_STDIN_MAX] = { [0 ... EPOLL_STDIN_MAX - 1] = { .epfd = -1 } };

void
wait_epoll_stdin(int epfd, int op, const struct epoll_event *ev)
{
	int slot = -1;
	for (int i = 0; i < EPOLL_STDIN_MAX; i++) {
		int e = atomic_load(&ep_stdin[i].epfd);
		if (e == epfd) {
			slot = i;
			break;
		}
		if (e == -1 && slot < 0 && op != EPOLL_CTL_DEL)
			slot = i;
	}
	if (slot < 0)
		return;
	if (op == EPOLL_CTL_DEL) {
		atomic_store(&ep_stdin[slot].epfd, -1);
		return;
	}
	if (ev == NULL)
		return;
	ep_stdin[slot].data = ev->data;
	atomic_store(&ep_stdin[slot].events, ev->events);
	atomic_store(&ep_stdin[slot].epfd, epfd);
}

void
wait_epoll_closed(int fd)
{
	for (int i = 0; i < EPOLL_STDIN_MAX; i++)
		if (atomic_load(&ep_stdin[i].epfd) == fd)
			atomic_store(&ep_stdin[i].epfd, -1);
}

struct epoll_ctx {
	int epfd;
	struct epoll_event *ev;
	int max;
	const sigset_t *sigmask;
	int stdin_slot;            /* this set holds standard input, or -1 */
};

/* Drop what the real keyboard typed (it is ignored): a ready terminal
 * would otherwise keep every epoll wait returning at once. */
static void
drop_real_keys(void)
{
	int n = 0;
	char buf[256];
	if (ioctl(0, FIONREAD, &n) == 0 && n > 0)
		(void)!sys_call(SYS_read, 0, buf, n < (int)sizeof buf ? n :
		    (int)sizeof buf);
}

static int
epoll_ready(void *p, int real_ms)
{
	struct epoll_ctx *c = p;
	int slot = c->stdin_slot;
	int managed = slot >= 0 && wait_stdin_managed();
	int injected = managed && (atomic_load(&ep_stdin[slot].events) & EPOLLIN) &&
	    tty_readable();
	int r = (int)sys_call(SYS_epoll_pwait, c->epfd, c->ev, c->max,
	    injected ? 0 : real_ms, c->sigmask, 8);
	if (r < 0 || !managed)
		return r;
	/* Standard input's own readiness is the shim's to say while it
	 * manages it: the real keyboard's is hidden (and what it typed
	 * dropped) when ignored, the injected keys' added. */
	int out = 0;
	for (int i = 0; i < r; i++) {
		if (input_ignore_real() &&
		    c->ev[i].data.u64 == ep_stdin[slot].data.u64) {
			drop_real_keys();
			continue;
		}
		c->ev[out++] = c->ev[i];
	}
	if (injected && out < c->max) {
		c->ev[out].events = EPOLLIN;
		c->ev[out].data = ep_stdin[slot].data;
		out++;
	}
	return out;
}

int
wait_epoll(int epfd, struct epoll_event *ev, int max, int64_t timeout_ns,
    const sigset_t *sigmask, enum frame_rule kind)
{
	struct epoll_ctx c = { epfd, ev, max, sigmask, -1 };
	for (int i = 0; i < EPOLL_STDIN_MAX; i++)
		if (atomic_load(&ep_stdin[i].epfd) == epfd)
			c.stdin_slot = i;
	/* What an epoll set holds is the kernel's to know: real events may
	 * always come. */
	return wait_ready(epoll_ready, &c, 1, timeout_ns, kind,
	    __builtin_return_address(0));
}

/* Whether a signal of INTEREST is pending for this thread or the process. */
static int
pending_in(const sigset_t *interest)
{
	sigset_t p;
	if (sigpending(&p) != 0)
		return 0;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&p, s) == 1 && sigismember(interest, s) == 1)
			return 1;
	return 0;
}

int
wait_signal(const sigset_t *interest, int64_t timeout_ns, enum frame_rule kind)
{
	int64_t target = timeout_ns < 0 ? INT64_MAX : vclock_now() + timeout_ns;

	for (;;) {
		if (pending_in(interest))
			return 1;
		int64_t now = vclock_now();
		if (now >= target)
			return 0;
		if (frame_is_boundary(kind)) {
			frame_boundary(0);
			if (pending_in(interest))
				return 1;
		}
		/* Straight to the next timer (one frame a tick); with none
		 * armed, a slice at a time, so a stepped game still steps. */
		now = vclock_now();
		int64_t next = vtimer_next();
		int64_t to = next < target ? next : target;
		if (next == INT64_MAX && to - now > SLICE_NS)
			to = now + SLICE_NS;
		if (wait_advance(to - now))
			return 2;
	}
}

int
wait_sync(sync_try_fn try, void *ctx, int64_t target)
{
	int r;

	if (frame_drives_time()) {
		/* The thread that drives time: look, then let time run to
		 * the deadline a slice at a time, looking again each slice. */
		for (;;) {
			if ((r = try(ctx, 0)) != ETIMEDOUT)
				return r;
			int64_t now = vclock_now();
			if (now >= target)
				return ETIMEDOUT;
			int64_t s = target - now;
			wait_advance(s > SYNC_SLICE_NS ? SYNC_SLICE_NS : s);
		}
	}
	void *slot = vclock_sleep_begin(target);
	/* Real slices short at first (at speed max the deadline comes at
	 * once), then longer: an idle worker costs little. */
	int64_t slice = SYNC_REAL_SLICE_MIN_NS;
	for (;;) {
		if ((r = try(ctx, slice)) != ETIMEDOUT)
			break;
		if (slice < SYNC_REAL_SLICE_NS)
			slice *= 2;
		if (vclock_sleep_due(slot, target)) {
			r = ETIMEDOUT;
			break;
		}
	}
	vclock_sleep_end(slot);
	return r;
}

int64_t
wait_tty_timeout(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0 || (t.c_lflag & ICANON) || t.c_cc[VMIN] != 0)
		return -1;
	return (int64_t)t.c_cc[VTIME] * (NS_PER_SEC / 10);
}
