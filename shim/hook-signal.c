/* Hooks for waits on signals: pause, sigsuspend, sigwait, sigwaitinfo,
 * sigtimedwait and signalfd reads are waits like any other. On the thread
 * that drives time they run the virtual clock on to the next timer, whose
 * signal then arrives as the kernel would deliver it; on other threads the
 * kernel waits (the signals come from the frame thread's timers). The shim
 * installs no handler and changes no disposition. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"
#include "frame.h"
#include "real.h"
#include "shim.h"
#include "vclock.h"
#include "vtimer.h"
#include "wait.h"

/* The kernel's sigset size on Linux. */
#define KSIGSET 8

/* Whether this call is the shim's to run on the virtual clock. */
static int
virtual_wait(void)
{
	return shim_on() && !vclock_detached() && frame_drives_time();
}

/* A stopped game (lockstep, or paused) steps through an idle wait a slice
 * at a time; a running one with no timer armed waits in the kernel, where
 * a signal from outside (a ^C, a kill) ends it as it would. */
static int
kernel_may_wait(void)
{
	return vtimer_next() == INT64_MAX && !shim_cfg.lockstep && !frame_paused();
}

/* sigsuspend(MASK) on the virtual clock. */
static int
suspend(const sigset_t *mask)
{
	sigset_t interest;

	/* Signals MASK lets through end the wait. */
	sigfillset(&interest);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(mask, s) == 1)
			sigdelset(&interest, s);
	if (kernel_may_wait()) {
		if (frame_is_boundary(FRAME_SIGWAIT))
			frame_boundary(0);
		return (int)sys_call(SYS_rt_sigsuspend, mask, KSIGSET);
	}
	if (wait_signal(&interest, -1, FRAME_SIGWAIT) == 1)
		/* Pending: the kernel delivers it under MASK, at once. */
		return (int)sys_call(SYS_rt_sigsuspend, mask, KSIGSET);
	errno = EINTR;
	return -1;
}

EXPORT int
pause(void)
{
	sigset_t cur;

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	if (!virtual_wait())
		return (int)sys_call(SYS_rt_sigsuspend, &cur, KSIGSET);
	return suspend(&cur);
}

EXPORT int
sigsuspend(const sigset_t *mask)
{
	if (!virtual_wait() || is_null(mask))
		return (int)sys_call(SYS_rt_sigsuspend, mask, KSIGSET);
	return suspend(mask);
}

/* sigtimedwait on the virtual clock; TIMEOUT_NS < 0 forever. */
static int
timed_wait(const sigset_t *set, siginfo_t *info, int64_t timeout_ns)
{
	static const struct timespec zero = { 0, 0 };

	for (;;) {
		int r = wait_signal(set, timeout_ns, FRAME_SIGWAIT);
		if (r == 2) {
			errno = EINTR;
			return -1;
		}
		if (r == 0) {
			errno = EAGAIN;
			return -1;
		}
		/* Collect it; another thread may have taken it first. */
		int s = (int)sys_call(SYS_rt_sigtimedwait, set, info, &zero,
		    KSIGSET);
		if (s > 0 || errno != EAGAIN)
			return s;
	}
}

EXPORT int
sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *t)
{
	if (!virtual_wait() || is_null(set))
		return (int)sys_call(SYS_rt_sigtimedwait, set, info, t, KSIGSET);
	if (t != NULL && (t->tv_sec < 0 || t->tv_nsec < 0 ||
	    t->tv_nsec >= NS_PER_SEC)) {
		errno = EINVAL;
		return -1;
	}
	return timed_wait(set, info, t == NULL ? -1 : ts_to_ns(t));
}

EXPORT int
sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	if (!virtual_wait() || is_null(set))
		return (int)sys_call(SYS_rt_sigtimedwait, set, info, NULL,
		    KSIGSET);
	return timed_wait(set, info, -1);
}

EXPORT int
sigwait(const sigset_t *set, int *sig)
{
	int s;

	do {
		if (!virtual_wait() || is_null(set))
			s = (int)sys_call(SYS_rt_sigtimedwait, set, NULL, NULL,
			    KSIGSET);
		else
			s = timed_wait(set, NULL, -1);
	} while (s < 0 && errno == EINTR);
	if (s < 0)
		return errno;
	*sig = s;
	return 0;
}

EXPORT int
signalfd(int fd, const sigset_t *mask, int flags)
{
	int r = (int)sys_call(SYS_signalfd4, fd, mask, KSIGSET, flags);
	if (r >= 0 && fd < 0 && shim_on())
		vtimer_fd_mark_signal(r);
	return r;
}
