/* Hooks for timed waits on synchronization objects: condition variables,
 * semaphores, mutexes and joins with a timeout wait on the virtual clock
 * (wait_sync): a worker ticking on pthread_cond_timedwait wakes at the same
 * virtual instants at any speed, as one ticking on a sleep does. The object
 * itself is watched in short real slices with the real call. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "real.h"
#include "shim.h"
#include "vclock.h"
#include "wait.h"

/* glibc keeps a condition variable's clock in bit 1 of __wrefs
 * (__PTHREAD_COND_CLOCK_MONOTONIC_MASK). */
#define COND_CLOCK_MONOTONIC_MASK 2

static int
virtual_sync(void)
{
	return shim_on() && !vclock_detached();
}

static int
valid_abs(const struct timespec *t)
{
	return t->tv_nsec >= 0 && t->tv_nsec < NS_PER_SEC;
}

/* Virtual time at which the instant ABS of clock CLK comes. */
static int64_t
deadline_of(clockid_t clk, const struct timespec *abs)
{
	return ts_to_ns(abs) - vclock_clock_at(clk, 0);
}

/* The real monotonic instant REAL_NS from now. */
static struct timespec
real_in(int64_t real_ns)
{
	return ns_to_ts(real_mono_ns() + real_ns);
}

struct cond_ctx {
	pthread_cond_t *c;
	pthread_mutex_t *m;
};

static int
cond_try(void *p, int64_t real_ns)
{
	struct cond_ctx *x = p;
	struct timespec t = real_in(real_ns);
	return real_pthread_cond_clockwait(x->c, x->m, CLOCK_MONOTONIC, &t);
}

static int
cond_wait_virtual(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
    const struct timespec *abs)
{
	struct cond_ctx x = { c, m };
	if (!valid_abs(abs))
		return EINVAL;
	return wait_sync(cond_try, &x, deadline_of(clk, abs));
}

EXPORT int
pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
    const struct timespec *abs)
{
	if (unlikely(real_pthread_cond_timedwait == NULL))
		real_resolve();
	if (!virtual_sync() || is_null(abs) || real_pthread_cond_clockwait == NULL)
		return real_pthread_cond_timedwait(c, m, abs);
	unsigned wrefs = __atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED);
	return cond_wait_virtual(c, m, wrefs & COND_CLOCK_MONOTONIC_MASK ?
	    CLOCK_MONOTONIC : CLOCK_REALTIME, abs);
}

EXPORT int
pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
    const struct timespec *abs)
{
	if (unlikely(real_pthread_cond_clockwait == NULL))
		real_resolve();
	if (!virtual_sync() || is_null(abs) || vclock_origin_index(clk) < 0)
		return real_pthread_cond_clockwait(c, m, clk, abs);
	return cond_wait_virtual(c, m, clk, abs);
}

static int
sem_try(void *p, int64_t real_ns)
{
	struct timespec t = real_in(real_ns);
	if (real_ns == 0)
		return sem_trywait(p) == 0 ? 0 : errno == EAGAIN ? ETIMEDOUT : errno;
	return real_sem_clockwait(p, CLOCK_MONOTONIC, &t) == 0 ? 0 : errno;
}

/* sem_* report errors through errno and -1. */
static int
sem_wait_virtual(sem_t *s, clockid_t clk, const struct timespec *abs)
{
	int r;
	if (!valid_abs(abs))
		r = EINVAL;
	else
		do
			r = wait_sync(sem_try, s, deadline_of(clk, abs));
		while (r == EINTR);
	if (r == 0)
		return 0;
	errno = r;
	return -1;
}

EXPORT int
sem_timedwait(sem_t *s, const struct timespec *abs)
{
	if (unlikely(real_sem_timedwait == NULL))
		real_resolve();
	if (!virtual_sync() || is_null(abs) || real_sem_clockwait == NULL)
		return real_sem_timedwait(s, abs);
	return sem_wait_virtual(s, CLOCK_REALTIME, abs);
}

EXPORT int
sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *abs)
{
	if (unlikely(real_sem_clockwait == NULL))
		real_resolve();
	if (!virtual_sync() || is_null(abs) || vclock_origin_index(clk) < 0)
		return real_sem_clockwait(s, clk, abs);
	return sem_wait_virtual(s, clk, abs);
}

static int
mutex_try(void *p, int64_t real_ns)
{
	if (real_ns == 0) {
		int r = pthread_mutex_trylock(p);
		return r == EBUSY ? ETIMEDOUT : r;
	}
	struct timespec t = real_in(real_ns);
	return real_pthread_mutex_clocklock(p, CLOCK_MONOTONIC, &t);
}

EXPORT int
pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
	if (unlikely(real_pthread_mutex_timedlock == NULL))
		real_resolve();
	if (!virtual_sync() || is_null(abs) || real_pthread_mutex_clocklock == NULL)
		return real_pthread_mutex_timedlock(m, abs);
	if (!valid_abs(abs))
		return EINVAL;
	return wait_sync(mutex_try, m, deadline_of(CLOCK_REALTIME, abs));
}

EXPORT int
pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk,
    const struct timespec *abs)
{
	if (unlikely(real_pthread_mutex_clocklock == NULL))
		real_resolve();
	if (!virtual_sync() || is_null(abs) || vclock_origin_index(clk) < 0)
		return real_pthread_mutex_clocklock(m, clk, abs);
	if (!valid_abs(abs))
		return EINVAL;
	return wait_sync(mutex_try, m, deadline_of(clk, abs));
}

struct join_ctx {
	pthread_t t;
	void **ret;
};

static int
join_try(void *p, int64_t real_ns)
{
	struct join_ctx *x = p;
	if (real_ns == 0) {
		int r = pthread_tryjoin_np(x->t, x->ret);
		return r == EBUSY ? ETIMEDOUT : r;
	}
	struct timespec t = real_in(real_ns);
	return real_pthread_clockjoin_np(x->t, x->ret, CLOCK_MONOTONIC, &t);
}

EXPORT int
pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abs)
{
	if (unlikely(real_pthread_timedjoin_np == NULL))
		real_resolve();
	if (!virtual_sync() || is_null(abs) || real_pthread_clockjoin_np == NULL)
		return real_pthread_timedjoin_np(t, ret, abs);
	struct join_ctx x = { t, ret };
	if (!valid_abs(abs))
		return EINVAL;
	return wait_sync(join_try, &x, deadline_of(CLOCK_REALTIME, abs));
}

EXPORT int
pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk,
    const struct timespec *abs)
{
	if (unlikely(real_pthread_clockjoin_np == NULL))
		real_resolve();
	if (!virtual_sync() || is_null(abs) || vclock_origin_index(clk) < 0)
		return real_pthread_clockjoin_np(t, ret, clk, abs);
	struct join_ctx x = { t, ret };
	if (!valid_abs(abs))
		return EINVAL;
	return wait_sync(join_try, &x, deadline_of(clk, abs));
}
