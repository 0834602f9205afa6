/* Hooks for reading the keyboard through plain descriptors: read() of
 * standard input, and the readiness waits poll/ppoll/select/pselect, whose
 * timeouts run on the virtual clock. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"
#include "frame.h"
#include "input.h"
#include "seed.h"
#include "spin.h"
#include "tty.h"
#include "real.h"
#include "shim.h"
#include "vclock.h"
#include "vtimer.h"
#include "wait.h"
#include "stall.h"
#include "xconn.h"

/* A read of a timerfd or signalfd: on the thread that drives time, a
 * blocking one waits on the virtual clock until the descriptor is ready
 * (the timer's expiry, or a timer's signal, makes it so). */
static ssize_t
read_timed_fd(int fd, void *buf, size_t n)
{
	if (shim_on() && frame_drives_time() && !vclock_detached()) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK) &&
		    wait_read_ready(fd, -1, FRAME_POLL) < 0)
			return -1;
	}
	return real_read(fd, buf, n);
}

EXPORT ssize_t
read(int fd, void *buf, size_t n)
{
	ssize_t seeded;

	if (unlikely(real_read == NULL))
		return sys_call(SYS_read, fd, buf, n);
	/* /dev/urandom opened under HOOK_SEED reads the seeded stream. */
	if (seed_read_fd(fd, buf, n, &seeded))
		return seeded;
	/* A virtual timerfd, or a signalfd: a blocking read is a wait. */
	if (unlikely(vtimer_fd_kind(fd) != VFD_NONE))
		return read_timed_fd(fd, buf, n);
	if (likely(fd != 0) || !shim_on() || n == 0 || !wait_stdin_managed())
		return real_read(fd, buf, n);
	return stdin_read(buf, n, __builtin_return_address(0));
}

ssize_t
stdin_read(void *buf, size_t n, const void *caller)
{
	if (tty_readable())
		return (ssize_t)tty_read(buf, n);
	/* The real keyboard is ignored: a non-blocking read finds nothing, a
	 * blocking one waits (on the virtual clock) for injected keys. */
	int fl = fcntl(0, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK)) {
		spin_note(SPIN_INPUT, caller);
		errno = EAGAIN;
		return -1;
	}
	/* A terminal in non-canonical mode with VMIN 0 waits VTIME tenths
	 * at most, and then reads nothing. */
	int64_t tty = wait_tty_timeout(0);
	if (tty == 0)
		spin_note(SPIN_INPUT, caller);
	for (;;) {
		int r = wait_read_ready(0, tty, FRAME_POLL);
		if (r < 0)
			return -1;
		if (tty_readable())
			return (ssize_t)tty_read(buf, n);
		if (r == 0 && tty >= 0)
			return 0;
		if (!wait_stdin_managed())
			return real_read(0, buf, n);
	}
}

/* The shim drives this process (on any thread, inside its own real
 * calls too). */
static int
shim_driving(void)
{
	return atomic_load_explicit(&shim_active, memory_order_relaxed);
}

static int64_t
ms_to_ns(int ms)
{
	return ms < 0 ? -1 : (int64_t)ms * 1000000;
}

EXPORT int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (unlikely(real_poll == NULL)) {
		struct timespec t = ns_to_ts(ms_to_ns(timeout));
		return (int)sys_call(SYS_ppoll, fds, n, timeout < 0 ? NULL : &t,
		    NULL, 8);
	}
	/* The X server's socket, also inside the shim's own real calls (a
	 * presentation's round trips): counted as a wait on the server. */
	if (shim_driving() && xconn_only(fds, n)) {
		stall_xwait_begin();
		int r = real_poll(fds, n, timeout);
		stall_xwait_end();
		return r;
	}
	if (!shim_on())
		return real_poll(fds, n, timeout);
	return wait_poll(fds, n, ms_to_ns(timeout), NULL, FRAME_POLL);
}

EXPORT int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
    const sigset_t *sigmask)
{
	if (unlikely(real_ppoll == NULL))
		return (int)sys_call(SYS_ppoll, fds, n, t, sigmask, 8);
	if (shim_driving() && xconn_only(fds, n)) {
		stall_xwait_begin();
		int r = real_ppoll(fds, n, t, sigmask);
		stall_xwait_end();
		return r;
	}
	if (!shim_on())
		return real_ppoll(fds, n, t, sigmask);
	return wait_poll(fds, n, t == NULL ? -1 : ts_to_ns(t), sigmask,
	    FRAME_POLL);
}

/* select() as poll(): build the poll set from the fd_sets, wait, and
 * write the results back. */
static int
select_core(int nfds, fd_set *r, fd_set *w, fd_set *e, int64_t timeout,
    const sigset_t *sigmask)
{
	struct pollfd p[FD_SETSIZE];
	nfds_t n = 0;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;
		if (r != NULL && FD_ISSET(fd, r))
			ev |= POLLIN;
		if (w != NULL && FD_ISSET(fd, w))
			ev |= POLLOUT;
		if (e != NULL && FD_ISSET(fd, e))
			ev |= POLLPRI;
		if (ev) {
			p[n].fd = fd;
			p[n].events = ev;
			p[n].revents = 0;
			n++;
		}
	}
	int ret;
	if (xconn_only(p, n)) {
		/* The X server's socket: its own time, no boundary. */
		struct timespec t = ns_to_ts(timeout);
		stall_xwait_begin();
		ret = real_ppoll(p, n, timeout < 0 ? NULL : &t, sigmask);
		stall_xwait_end();
	} else {
		ret = wait_poll(p, n, timeout, sigmask, FRAME_SELECT);
	}
	if (ret < 0)
		return -1;
	for (nfds_t i = 0; i < n; i++) {
		if (p[i].revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
	}
	if (r != NULL)
		FD_ZERO(r);
	if (w != NULL)
		FD_ZERO(w);
	if (e != NULL)
		FD_ZERO(e);
	ret = 0;
	for (nfds_t i = 0; i < n; i++) {
		int fd = p[i].fd, hit = 0;
		if (r != NULL && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    (p[i].events & POLLIN)) {
			FD_SET(fd, r);
			hit++;
		}
		if (w != NULL && (p[i].revents & (POLLOUT | POLLERR)) &&
		    (p[i].events & POLLOUT)) {
			FD_SET(fd, w);
			hit++;
		}
		if (e != NULL && (p[i].revents & POLLPRI)) {
			FD_SET(fd, e);
			hit++;
		}
		ret += hit;
	}
	return ret;
}

EXPORT int
select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	if (unlikely(real_select == NULL))
		return (int)sys_call(SYS_select, nfds, r, w, e, tv);
	if (!shim_on())
		return real_select(nfds, r, w, e, tv);
	if (tv != NULL && (tv->tv_sec < 0 || tv->tv_usec < 0 ||
	    tv->tv_usec >= 1000000)) {
		errno = EINVAL;
		return -1;
	}
	int64_t t = tv == NULL ? -1 :
	    (int64_t)tv->tv_sec * NS_PER_SEC + (int64_t)tv->tv_usec * 1000;
	int64_t start = vclock_now();
	int ret = select_core(nfds, r, w, e, t, NULL);
	if (tv != NULL && ret >= 0) {
		/* Linux reports the time left. */
		int64_t left = t - (vclock_now() - start);
		if (left < 0 || ret == 0)
			left = 0;
		tv->tv_sec = (time_t)(left / NS_PER_SEC);
		tv->tv_usec = (suseconds_t)(left % NS_PER_SEC / 1000);
	}
	return ret;
}

EXPORT int
pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
    const sigset_t *sigmask)
{
	if (unlikely(real_pselect == NULL))   /* before start-up: the kernel's */
		return (int)sys_call(SYS_pselect6, nfds, r, w, e, t, NULL);
	if (!shim_on())
		return real_pselect(nfds, r, w, e, t, sigmask);
	if (t != NULL && (t->tv_sec < 0 || t->tv_nsec < 0 ||
	    t->tv_nsec >= NS_PER_SEC)) {
		errno = EINVAL;
		return -1;
	}
	return select_core(nfds, r, w, e, t == NULL ? -1 : ts_to_ns(t), sigmask);
}

EXPORT int
epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	if (!shim_on())
		return (int)sys_call(SYS_epoll_pwait, epfd, ev, max, timeout,
		    NULL, 8);
	return wait_epoll(epfd, ev, max, ms_to_ns(timeout), NULL, FRAME_EPOLL);
}

EXPORT int
epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
    const sigset_t *sigmask)
{
	if (!shim_on())
		return (int)sys_call(SYS_epoll_pwait, epfd, ev, max, timeout,
		    sigmask, 8);
	return wait_epoll(epfd, ev, max, ms_to_ns(timeout), sigmask,
	    FRAME_EPOLL);
}

EXPORT int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int r = (int)sys_call(SYS_epoll_ctl, epfd, op, fd, ev);
	if (r == 0 && fd == 0 && shim_on())
		wait_epoll_stdin(epfd, op, ev);
	return r;
}
