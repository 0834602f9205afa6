/* Hooks for the game's sense of time: clocks and sleeps, all on the
 * virtual clock. Before start-up and in processes the shim leaves alone,
 * each passes straight through (to the kernel if not yet resolved). */
#include <errno.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "real.h"
#include "shim.h"
#include "vclock.h"
#include "wait.h"

#define EXPORT __attribute__((visibility("default")))

/* Clock reads on the frame thread without time moving, beyond which the
 * game is taken to be spinning on the clock and time creeps forward. */
#define SPIN_READS 4096
#define SPIN_STEP_NS 10000

static SHIM_TLS int64_t tls_spin_v = -1;
static SHIM_TLS unsigned tls_spin_reads;

/* A loop that polls the clock without ever sleeping would wait forever
 * for a clock that only sleeps advance: let time creep on such a loop. */
static void
spin_guard(void)
{
	if (!frame_drives_time())
		return;
	int64_t v = vclock_now();
	if (v != tls_spin_v) {
		tls_spin_v = v;
		tls_spin_reads = 0;
	} else if (++tls_spin_reads > SPIN_READS) {
		vclock_advance(SPIN_STEP_NS);
	}
}

static int
valid_ts(const struct timespec *t)
{
	return t->tv_sec >= 0 && t->tv_nsec >= 0 && t->tv_nsec < NS_PER_SEC;
}

EXPORT int
clock_gettime(clockid_t clk, struct timespec *t)
{
	if (unlikely(real_clock_gettime == NULL))
		return (int)syscall(SYS_clock_gettime, clk, t);
	if (!shim_on() || is_null(t) || vclock_read(clk, t) != 0)
		return real_clock_gettime(clk, t);
	spin_guard();
	return 0;
}

EXPORT int
gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec t;

	if (unlikely(real_gettimeofday == NULL))
		return (int)syscall(SYS_gettimeofday, tv, tz);
	if (!shim_on())
		return real_gettimeofday(tv, tz);
	if (tz != NULL && real_gettimeofday(NULL, tz) != 0)
		return -1;
	if (!is_null(tv)) {
		vclock_read(CLOCK_REALTIME, &t);
		tv->tv_sec = t.tv_sec;
		tv->tv_usec = t.tv_nsec / 1000;
		spin_guard();
	}
	return 0;
}

EXPORT time_t
time(time_t *out)
{
	struct timespec t;

	if (unlikely(real_time == NULL))
		return (time_t)syscall(SYS_time, out);
	if (!shim_on())
		return real_time(out);
	vclock_read(CLOCK_REALTIME, &t);
	spin_guard();
	if (out != NULL)
		*out = t.tv_sec;
	return t.tv_sec;
}

EXPORT int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (unlikely(real_nanosleep == NULL))
		return (int)syscall(SYS_nanosleep, req, rem);
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
	wait_sleep(ts_to_ns(req), FRAME_NANOSLEEP);
	return 0;
}

EXPORT int
clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
    struct timespec *rem)
{
	if (unlikely(real_clock_nanosleep == NULL))
		return (int)syscall(SYS_clock_nanosleep, clk, flags, req, rem) < 0
		    ? errno : 0;
	if (!shim_on() || vclock_origin_index(clk) < 0)
		return real_clock_nanosleep(clk, flags, req, rem);
	if (is_null(req))
		return EFAULT;
	if (!valid_ts(req))
		return EINVAL;
	if (flags & TIMER_ABSTIME)
		wait_sleep_until(ts_to_ns(req) - vclock_clock_at(clk, 0),
		    FRAME_CLOCK_NANOSLEEP);
	else
		wait_sleep(ts_to_ns(req), FRAME_CLOCK_NANOSLEEP);
	return 0;
}

EXPORT int
usleep(useconds_t us)
{
	if (unlikely(real_usleep == NULL)) {
		struct timespec t = ns_to_ts((int64_t)us * 1000);
		return (int)syscall(SYS_nanosleep, &t, NULL);
	}
	if (!shim_on())
		return real_usleep(us);
	wait_sleep((int64_t)us * 1000, FRAME_USLEEP);
	return 0;
}

EXPORT unsigned int
sleep(unsigned int s)
{
	if (unlikely(real_sleep == NULL)) {
		struct timespec t = { .tv_sec = s };
		syscall(SYS_nanosleep, &t, NULL);
		return 0;
	}
	if (!shim_on())
		return real_sleep(s);
	wait_sleep((int64_t)s * NS_PER_SEC, FRAME_SLEEP);
	return 0;
}
