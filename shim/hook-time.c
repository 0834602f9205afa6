/* Hooks for the game's sense of time: clocks and sleeps, all on the
 * virtual clock. Before start-up and in processes the shim leaves alone,
 * each passes straight through (to the kernel if not yet resolved). */
#include <errno.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timeb.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"
#include "frame.h"
#include "real.h"
#include "shim.h"
#include "spin.h"
#include "vclock.h"
#include "wait.h"

static int
valid_ts(const struct timespec *t)
{
	return t->tv_sec >= 0 && t->tv_nsec >= 0 && t->tv_nsec < NS_PER_SEC;
}

EXPORT int
clock_gettime(clockid_t clk, struct timespec *t)
{
	if (unlikely(real_clock_gettime == NULL))
		return (int)sys_call(SYS_clock_gettime, clk, t);
	if (!shim_on() || is_null(t) || vclock_read(clk, t) != 0)
		return real_clock_gettime(clk, t);
	spin_note(SPIN_CLOCK, __builtin_return_address(0));
	return 0;
}

EXPORT int
gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec t;

	if (unlikely(real_gettimeofday == NULL))
		return (int)sys_call(SYS_gettimeofday, tv, tz);
	if (!shim_on())
		return real_gettimeofday(tv, tz);
	if (tz != NULL && real_gettimeofday(NULL, tz) != 0)
		return -1;
	if (!is_null(tv)) {
		vclock_read(CLOCK_REALTIME, &t);
		tv->tv_sec = t.tv_sec;
		tv->tv_usec = t.tv_nsec / 1000;
		spin_note(SPIN_CLOCK, __builtin_return_address(0));
	}
	return 0;
}

EXPORT time_t
time(time_t *out)
{
	struct timespec t;

	if (unlikely(real_time == NULL))
		return (time_t)sys_call(SYS_time, out);
	if (!shim_on())
		return real_time(out);
	vclock_read(CLOCK_REALTIME, &t);
	spin_note(SPIN_CLOCK, __builtin_return_address(0));
	if (out != NULL)
		*out = t.tv_sec;
	return t.tv_sec;
}

EXPORT int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (unlikely(real_nanosleep == NULL))
		return (int)sys_call(SYS_nanosleep, req, rem);
	if (!shim_on())
		return real_nanosleep(req, rem);
	if (is_null(req)) {
		errno = EFAULT;
		return -1;
	}
	if (!valid_ts(req)) {
		errno = EINVAL;
		return -1;
	}
	int64_t left = 0;
	if (wait_sleep(ts_to_ns(req), FRAME_NANOSLEEP, &left) != 0) {
		if (!is_null(rem))
			*rem = ns_to_ts(left);
		return -1;
	}
	return 0;
}

EXPORT int
clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
    struct timespec *rem)
{
	if (unlikely(real_clock_nanosleep == NULL))
		return (int)sys_call(SYS_clock_nanosleep, clk, flags, req, rem) < 0
		    ? errno : 0;
	if (!shim_on() || vclock_origin_index(clk) < 0)
		return real_clock_nanosleep(clk, flags, req, rem);
	if (is_null(req))
		return EFAULT;
	if (!valid_ts(req))
		return EINVAL;
	if (flags & TIMER_ABSTIME)
		return wait_sleep_until(ts_to_ns(req) - vclock_clock_at(clk, 0),
		    FRAME_CLOCK_NANOSLEEP) != 0 ? EINTR : 0;
	int64_t left = 0;
	if (wait_sleep(ts_to_ns(req), FRAME_CLOCK_NANOSLEEP, &left) != 0) {
		if (!is_null(rem))
			*rem = ns_to_ts(left);
		return EINTR;
	}
	return 0;
}

EXPORT int
usleep(useconds_t us)
{
	if (unlikely(real_usleep == NULL)) {
		struct timespec t = ns_to_ts((int64_t)us * 1000);
		return (int)sys_call(SYS_nanosleep, &t, NULL);
	}
	if (!shim_on())
		return real_usleep(us);
	return wait_sleep((int64_t)us * 1000, FRAME_USLEEP, NULL);
}

EXPORT unsigned int
sleep(unsigned int s)
{
	if (unlikely(real_sleep == NULL)) {
		struct timespec t = { .tv_sec = s };
		sys_call(SYS_nanosleep, &t, NULL);
		return 0;
	}
	if (!shim_on())
		return real_sleep(s);
	int64_t left = 0;
	if (wait_sleep((int64_t)s * NS_PER_SEC, FRAME_SLEEP, &left) != 0)
		return (unsigned)((left + NS_PER_SEC - 1) / NS_PER_SEC);
	return 0;
}

/* The virtual clock CLK now, in ns, counting as a clock read. */
static int64_t
read_ns(clockid_t clk, const void *caller)
{
	struct timespec t;
	vclock_read(clk, &t);
	spin_note(SPIN_CLOCK, caller);
	return ts_to_ns(&t);
}

EXPORT int
ftime(struct timeb *tb)
{
	if (!shim_on() || unlikely(real_clock_gettime == NULL)) {
		struct timespec t;
		sys_call(SYS_clock_gettime, CLOCK_REALTIME, &t);
		tb->time = t.tv_sec;
		tb->millitm = (unsigned short)(t.tv_nsec / 1000000);
		tb->timezone = 0;
		tb->dstflag = 0;
		return 0;
	}
	int64_t ns = read_ns(CLOCK_REALTIME, __builtin_return_address(0));
	tb->time = (time_t)(ns / NS_PER_SEC);
	tb->millitm = (unsigned short)(ns % NS_PER_SEC / 1000000);
	tb->timezone = 0;
	tb->dstflag = 0;
	return 0;
}

EXPORT int
timespec_get(struct timespec *ts, int base)
{
	if (base != TIME_UTC)
		return 0;
	if (!shim_on() || unlikely(real_clock_gettime == NULL)) {
		sys_call(SYS_clock_gettime, CLOCK_REALTIME, ts);
		return base;
	}
	*ts = ns_to_ts(read_ns(CLOCK_REALTIME, __builtin_return_address(0)));
	return base;
}

EXPORT clock_t
clock(void)
{
	struct timespec t;
	if (!shim_on() || unlikely(real_clock_gettime == NULL)) {
		sys_call(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &t);
		return (clock_t)(ts_to_ns(&t) / (NS_PER_SEC / CLOCKS_PER_SEC));
	}
	return (clock_t)(read_ns(CLOCK_PROCESS_CPUTIME_ID, __builtin_return_address(0)) /
	    (NS_PER_SEC / CLOCKS_PER_SEC));
}

EXPORT clock_t
times(struct tms *buf)
{
	if (!shim_on() || unlikely(real_clock_gettime == NULL))
		return (clock_t)sys_call(SYS_times, buf);
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	/* CPU time as virtual time since start, all of it the user's; the
	 * return value counts from the monotonic clock's virtual reading. */
	int64_t cpu = read_ns(CLOCK_PROCESS_CPUTIME_ID, __builtin_return_address(0));
	if (!is_null(buf)) {
		buf->tms_utime = (clock_t)(cpu / (NS_PER_SEC / hz));
		buf->tms_stime = buf->tms_cutime = buf->tms_cstime = 0;
	}
	struct timespec t;
	vclock_read(CLOCK_MONOTONIC, &t);
	return (clock_t)(ts_to_ns(&t) / (NS_PER_SEC / hz));
}
