/* Hooks for the game's timers: alarm, setitimer/getitimer, POSIX timers and
 * timerfds run on the virtual clock (vtimer.c). ITIMER_VIRTUAL and
 * ITIMER_PROF count the CPU time the process really uses and stay the
 * kernel's. Before start-up and in processes the shim leaves alone, each
 * passes straight through. */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"
#include "real.h"
#include "shim.h"
#include "vclock.h"
#include "vtimer.h"

/* Whether the shim runs this process's timers (detach hands them back). */
static int
timers_virtual(void)
{
	return shim_on() && !vclock_detached();
}

EXPORT unsigned int
alarm(unsigned int seconds)
{
	if (!timers_virtual())
		return (unsigned)sys_call(SYS_alarm, seconds);
	return vtimer_alarm(seconds);
}

EXPORT int
setitimer(__itimer_which_t which, const struct itimerval *nv,
    struct itimerval *old)
{
	if (which != ITIMER_REAL || !timers_virtual())
		return (int)sys_call(SYS_setitimer, which, nv, old);
	if (is_null(nv)) {
		errno = EFAULT;
		return -1;
	}
	return vtimer_setitimer(nv, old);
}

EXPORT int
getitimer(__itimer_which_t which, struct itimerval *cur)
{
	if (which != ITIMER_REAL || !timers_virtual())
		return (int)sys_call(SYS_getitimer, which, cur);
	if (is_null(cur)) {
		errno = EFAULT;
		return -1;
	}
	vtimer_getitimer(cur);
	return 0;
}

/* A clock a POSIX timer or timerfd can run on virtually. */
static int
virtual_clock(clockid_t clk)
{
	return vclock_origin_index(clk) >= 0 || clk == CLOCK_PROCESS_CPUTIME_ID;
}

EXPORT int
timer_create(clockid_t clk, struct sigevent *ev, timer_t *id)
{
	if (unlikely(real_timer_create == NULL))
		real_resolve();
	if (!timers_virtual() || !virtual_clock(clk))
		return real_timer_create(clk, ev, id);
	if (is_null(id)) {
		errno = EFAULT;
		return -1;
	}
	return vtimer_create(clk, ev, id);
}

EXPORT int
timer_settime(timer_t id, int flags, const struct itimerspec *nv,
    struct itimerspec *old)
{
	if (unlikely(real_timer_settime == NULL))
		real_resolve();
	if (!vtimer_is_ours(id))
		return real_timer_settime(id, flags, nv, old);
	return vtimer_settime(id, flags, nv, old);
}

EXPORT int
timer_gettime(timer_t id, struct itimerspec *cur)
{
	if (unlikely(real_timer_gettime == NULL))
		real_resolve();
	if (!vtimer_is_ours(id))
		return real_timer_gettime(id, cur);
	if (is_null(cur)) {
		errno = EFAULT;
		return -1;
	}
	return vtimer_gettime(id, cur);
}

EXPORT int
timer_getoverrun(timer_t id)
{
	if (unlikely(real_timer_getoverrun == NULL))
		real_resolve();
	if (!vtimer_is_ours(id))
		return real_timer_getoverrun(id);
	return vtimer_getoverrun(id);
}

EXPORT int
timer_delete(timer_t id)
{
	if (unlikely(real_timer_delete == NULL))
		real_resolve();
	if (!vtimer_is_ours(id))
		return real_timer_delete(id);
	return vtimer_delete(id);
}

EXPORT int
timerfd_create(int clk, int flags)
{
	if (!timers_virtual() || !virtual_clock(clk))
		return (int)sys_call(SYS_timerfd_create, clk, flags);
	return vtimer_fd_create(clk, flags);
}

EXPORT int
timerfd_settime(int fd, int flags, const struct itimerspec *nv,
    struct itimerspec *old)
{
	if (vtimer_fd_kind(fd) != VFD_TIMER)
		return (int)sys_call(SYS_timerfd_settime, fd, flags, nv, old);
	return vtimer_fd_settime(fd, flags, nv, old);
}

EXPORT int
timerfd_gettime(int fd, struct itimerspec *cur)
{
	if (vtimer_fd_kind(fd) != VFD_TIMER)
		return (int)sys_call(SYS_timerfd_gettime, fd, cur);
	if (is_null(cur)) {
		errno = EFAULT;
		return -1;
	}
	return vtimer_fd_gettime(fd, cur);
}
