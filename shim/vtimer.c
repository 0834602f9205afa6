/* Virtual timers (see vtimer.h). The table is guarded by a spinlock held
 * only over a few loads and stores, never over a system call: the hot path
 * (a sleep asking when the next deadline is) reads one atomic. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "sys.h"
#include "log.h"
#include "real.h"
#include "shim.h"
#include "vclock.h"
#include "vtimer.h"

/* Our timer ids: far from the kernel's small integers and from glibc's
 * pointers (SIGEV_THREAD), so a timer made before start-up is told apart. */
#define VT_ID_BASE 0x6a700000L

static struct {
	_Atomic int lock;
	struct vtimer t[VTIMER_MAX];
	_Atomic int64_t next;      /* earliest deadline */
	_Atomic signed char fdkind[VTIMER_FDMAX];
	_Atomic short fdslot[VTIMER_FDMAX];
} vt = { .next = INT64_MAX };

static void
lock(void)
{
	int expected = 0;
	while (!atomic_compare_exchange_weak_explicit(&vt.lock, &expected, 1,
	    memory_order_acquire, memory_order_relaxed))
		expected = 0;
}

static void
unlock(void)
{
	atomic_store_explicit(&vt.lock, 0, memory_order_release);
}

/* Recompute the earliest deadline (under the lock). */
static void
renext(void)
{
	int64_t m = INT64_MAX;
	for (int i = 0; i < VTIMER_MAX; i++)
		if (vt.t[i].kind != VT_FREE && vt.t[i].deadline < m)
			m = vt.t[i].deadline;
	atomic_store_explicit(&vt.next, m, memory_order_release);
}

int64_t
vtimer_next(void)
{
	return atomic_load_explicit(&vt.next, memory_order_acquire);
}

/* A free slot of kind KIND (under the lock), or -1. */
static int
claim(int kind)
{
	for (int i = 0; i < VTIMER_MAX; i++) {
		if (vt.t[i].kind == VT_FREE) {
			memset(&vt.t[i], 0, sizeof vt.t[i]);
			vt.t[i].kind = kind;
			vt.t[i].deadline = INT64_MAX;
			vt.t[i].fd = -1;
			return i;
		}
	}
	return -1;
}

/* --- arming, in the clock's own terms --- */

static int64_t
clamp_interval(int64_t ns)
{
	return ns > 0 && ns < VTIMER_MIN_INTERVAL_NS ? VTIMER_MIN_INTERVAL_NS : ns;
}

/* Arm T from an itimerspec: relative, or absolute on its clock. */
static void
arm(struct vtimer *t, int absolute, const struct itimerspec *nv)
{
	int64_t v = ts_to_ns(&nv->it_value);
	t->interval = clamp_interval(ts_to_ns(&nv->it_interval));
	if (v == 0) {
		t->deadline = INT64_MAX;
		return;
	}
	int64_t now = vclock_now();
	int64_t at = absolute ? v - vclock_clock_at(t->clk, 0) : now + v;
	/* An instant already past expires at once (at the next advance). */
	t->deadline = at <= now ? now : at;
}

static void
current(const struct vtimer *t, struct itimerspec *cur)
{
	int64_t left = 0;
	if (t->deadline != INT64_MAX) {
		left = t->deadline - vclock_now();
		if (left < 1)
			left = 1;   /* due, not yet delivered: the kernel says 1 ns */
	}
	cur->it_value = ns_to_ts(left);
	cur->it_interval = ns_to_ts(t->interval);
}

static int
valid_spec(const struct itimerspec *s)
{
	return s->it_value.tv_sec >= 0 && s->it_value.tv_nsec >= 0 &&
	    s->it_value.tv_nsec < NS_PER_SEC && s->it_interval.tv_sec >= 0 &&
	    s->it_interval.tv_nsec >= 0 && s->it_interval.tv_nsec < NS_PER_SEC;
}

/* --- alarm and ITIMER_REAL: one timer, made on first use --- */

static int itimer_slot = -1;   /* under the lock */

static struct vtimer *
itimer(void)
{
	if (itimer_slot < 0)
		itimer_slot = claim(VT_ITIMER);
	return itimer_slot < 0 ? NULL : &vt.t[itimer_slot];
}

int
vtimer_setitimer(const struct itimerval *nv, struct itimerval *old)
{
	struct itimerspec s = {
		.it_value = { nv->it_value.tv_sec, nv->it_value.tv_usec * 1000 },
		.it_interval = { nv->it_interval.tv_sec,
		    nv->it_interval.tv_usec * 1000 },
	};
	if (nv->it_value.tv_usec < 0 || nv->it_value.tv_usec >= 1000000 ||
	    nv->it_interval.tv_usec < 0 || nv->it_interval.tv_usec >= 1000000 ||
	    !valid_spec(&s)) {
		errno = EINVAL;
		return -1;
	}
	lock();
	struct vtimer *t = itimer();
	if (t == NULL) {
		unlock();
		errno = EAGAIN;
		return -1;
	}
	if (old != NULL) {
		struct itimerspec c;
		current(t, &c);
		old->it_value.tv_sec = c.it_value.tv_sec;
		old->it_value.tv_usec = (c.it_value.tv_nsec + 999) / 1000;
		old->it_interval.tv_sec = c.it_interval.tv_sec;
		old->it_interval.tv_usec = c.it_interval.tv_nsec / 1000;
		if (t->deadline == INT64_MAX)
			old->it_value.tv_usec = 0;
	}
	t->clk = CLOCK_MONOTONIC;
	t->notify = SIGEV_SIGNAL;
	t->signo = SIGALRM;
	t->tid = 0;
	arm(t, 0, &s);
	renext();
	unlock();
	return 0;
}

void
vtimer_getitimer(struct itimerval *cur)
{
	struct itimerspec c = { { 0, 0 }, { 0, 0 } };
	lock();
	if (itimer_slot >= 0)
		current(&vt.t[itimer_slot], &c);
	unlock();
	cur->it_value.tv_sec = c.it_value.tv_sec;
	cur->it_value.tv_usec = (c.it_value.tv_nsec + 999) / 1000;
	if (cur->it_value.tv_usec == 1000000) {
		cur->it_value.tv_sec++;
		cur->it_value.tv_usec = 0;
	}
	cur->it_interval.tv_sec = c.it_interval.tv_sec;
	cur->it_interval.tv_usec = c.it_interval.tv_nsec / 1000;
}

unsigned
vtimer_alarm(unsigned seconds)
{
	struct itimerval nv = { .it_value = { seconds, 0 } }, old;
	if (vtimer_setitimer(&nv, &old) != 0)
		return 0;
	/* As the kernel rounds: at least 1 while one was pending. */
	unsigned left = (unsigned)old.it_value.tv_sec;
	if (old.it_value.tv_usec >= 500000 || (left == 0 && old.it_value.tv_usec))
		left++;
	return left;
}

/* --- POSIX timers --- */

static int
slot_of(timer_t id)
{
	long v = (long)(intptr_t)id - VT_ID_BASE;
	return v >= 0 && v < VTIMER_MAX ? (int)v : -1;
}

int
vtimer_is_ours(timer_t id)
{
	int i = slot_of(id);
	return i >= 0 && vt.t[i].kind == VT_POSIX;
}

int
vtimer_create(clockid_t clk, const struct sigevent *ev, timer_t *id)
{
	struct sigevent def = { .sigev_notify = SIGEV_SIGNAL,
	    .sigev_signo = SIGALRM };
	if (ev == NULL)
		ev = &def;
	switch (ev->sigev_notify) {
	case SIGEV_NONE:
	case SIGEV_THREAD:
		break;
	case SIGEV_SIGNAL:
	case SIGEV_THREAD_ID:
		if (ev->sigev_signo <= 0 || ev->sigev_signo >= NSIG) {
			errno = EINVAL;
			return -1;
		}
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	lock();
	int i = claim(VT_POSIX);
	if (i < 0) {
		unlock();
		errno = EAGAIN;
		return -1;
	}
	struct vtimer *t = &vt.t[i];
	t->clk = clk;
	t->notify = ev->sigev_notify;
	t->signo = ev->sigev_signo;
	t->value = ev->sigev_value;
	if (ev == &def)
		t->value.sival_int = i;   /* the kernel puts the timer id there */
	t->tid = ev->sigev_notify == SIGEV_THREAD_ID ? ev->_sigev_un._tid : 0;
	t->fn = ev->sigev_notify == SIGEV_THREAD ?
	    ev->sigev_notify_function : NULL;
	unlock();
	*id = (timer_t)(intptr_t)(VT_ID_BASE + i);
	return 0;
}

/* The POSIX timer ID, locked; NULL (unlocked, errno EINVAL) if none. */
static struct vtimer *
posix_locked(timer_t id)
{
	int i = slot_of(id);
	lock();
	if (i < 0 || vt.t[i].kind != VT_POSIX) {
		unlock();
		errno = EINVAL;
		return NULL;
	}
	return &vt.t[i];
}

int
vtimer_settime(timer_t id, int flags, const struct itimerspec *nv,
    struct itimerspec *old)
{
	if (nv == NULL || !valid_spec(nv)) {
		errno = nv == NULL ? EFAULT : EINVAL;
		return -1;
	}
	struct vtimer *t = posix_locked(id);
	if (t == NULL)
		return -1;
	if (old != NULL)
		current(t, old);
	arm(t, flags & TIMER_ABSTIME, nv);
	t->overrun = 0;
	renext();
	unlock();
	return 0;
}

int
vtimer_gettime(timer_t id, struct itimerspec *cur)
{
	struct vtimer *t = posix_locked(id);
	if (t == NULL)
		return -1;
	current(t, cur);
	unlock();
	return 0;
}

int
vtimer_getoverrun(timer_t id)
{
	struct vtimer *t = posix_locked(id);
	if (t == NULL)
		return -1;
	int n = t->overrun_last;
	unlock();
	return n;
}

int
vtimer_delete(timer_t id)
{
	struct vtimer *t = posix_locked(id);
	if (t == NULL)
		return -1;
	t->kind = VT_FREE;
	renext();
	unlock();
	return 0;
}

/* --- timerfds --- */

int
vtimer_fd_kind(int fd)
{
	if (fd < 0 || fd >= VTIMER_FDMAX)
		return VFD_NONE;
	return atomic_load_explicit(&vt.fdkind[fd], memory_order_relaxed);
}

void
vtimer_fd_mark_signal(int fd)
{
	if (fd >= 0 && fd < VTIMER_FDMAX)
		atomic_store(&vt.fdkind[fd], VFD_SIGNAL);
}

int
vtimer_fd_create(clockid_t clk, int flags)
{
	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) {
		errno = EINVAL;
		return -1;
	}
	if (vclock_origin_index(clk) < 0 && clk != CLOCK_PROCESS_CPUTIME_ID) {
		errno = EINVAL;
		return -1;
	}
	/* The game's descriptor, with the game's flags. */
	int fd = eventfd(0, (flags & TFD_CLOEXEC ? EFD_CLOEXEC : 0) |
	    (flags & TFD_NONBLOCK ? EFD_NONBLOCK : 0));
	if (fd < 0)
		return -1;
	if (fd >= VTIMER_FDMAX) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	lock();
	int i = claim(VT_TIMERFD);
	if (i >= 0) {
		vt.t[i].clk = clk;
		vt.t[i].fd = fd;
		atomic_store(&vt.fdslot[fd], (short)i);
		atomic_store(&vt.fdkind[fd], VFD_TIMER);
	}
	unlock();
	if (i < 0) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	return fd;
}

/* Drop the expirations not yet read (a new setting starts afresh). */
/* A zero timeout, for looks that do not wait. */
static const struct timespec zero_ts;

static void
fd_drain(int fd)
{
	uint64_t n;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (sys_call(SYS_ppoll, &p, 1, &zero_ts, NULL, 8) > 0)
		(void)!sys_call(SYS_read, fd, &n, sizeof n);
}

/* The timerfd FD, locked; NULL (unlocked, errno set) if none. */
static struct vtimer *
fd_locked(int fd)
{
	if (vtimer_fd_kind(fd) != VFD_TIMER) {
		errno = EBADF;
		return NULL;
	}
	lock();
	int i = atomic_load(&vt.fdslot[fd]);
	if (vt.t[i].kind != VT_TIMERFD || vt.t[i].fd != fd) {
		unlock();
		errno = EINVAL;
		return NULL;
	}
	return &vt.t[i];
}

int
vtimer_fd_settime(int fd, int flags, const struct itimerspec *nv,
    struct itimerspec *old)
{
	if (nv == NULL || !valid_spec(nv)) {
		errno = nv == NULL ? EFAULT : EINVAL;
		return -1;
	}
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) {
		errno = EINVAL;
		return -1;
	}
	struct vtimer *t = fd_locked(fd);
	if (t == NULL)
		return -1;
	if (old != NULL)
		current(t, old);
	arm(t, flags & TFD_TIMER_ABSTIME, nv);
	renext();
	unlock();
	fd_drain(fd);
	return 0;
}

int
vtimer_fd_gettime(int fd, struct itimerspec *cur)
{
	struct vtimer *t = fd_locked(fd);
	if (t == NULL)
		return -1;
	current(t, cur);
	unlock();
	return 0;
}

void
vtimer_fd_closed(int fd)
{
	int k = vtimer_fd_kind(fd);
	if (k == VFD_NONE)
		return;
	atomic_store(&vt.fdkind[fd], VFD_NONE);
	if (k != VFD_TIMER)
		return;
	lock();
	int i = atomic_load(&vt.fdslot[fd]);
	if (vt.t[i].kind == VT_TIMERFD && vt.t[i].fd == fd)
		vt.t[i].kind = VT_FREE;
	renext();
	unlock();
}

/* --- expiry --- */

/* What one expiry does, decided under the lock, done after it. */
struct action {
	int what;                  /* SIGEV_* or -1 for a timerfd count */
	int signo;
	pid_t tid;
	siginfo_t info;
	void (*fn)(union sigval);
	union sigval value;
	int fd;
	uint64_t count;            /* a timerfd's expirations */
	int slot;                  /* the timer, for its overrun count */
};

/* SIGEV_THREAD: each expiry runs the function on a new thread, as glibc
 * does; a fixed pool holds what the threads start with. */
static struct notify_start {
	void (*fn)(union sigval);
	union sigval value;
	_Atomic int used;
} notify_starts[VTIMER_MAX];

static void *
notify_thread(void *p)
{
	struct notify_start *s = p;
	void (*fn)(union sigval) = s->fn;
	union sigval value = s->value;
	atomic_store(&s->used, 0);
	fn(value);
	return NULL;
}

static void
start_notify(void (*fn)(union sigval), union sigval value)
{
	for (int i = 0; i < VTIMER_MAX; i++) {
		int e = 0;
		if (!atomic_compare_exchange_strong(&notify_starts[i].used, &e, 1))
			continue;
		notify_starts[i].fn = fn;
		notify_starts[i].value = value;
		pthread_attr_t a;
		pthread_t th;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		/* The hooked pthread_create: the clock waits for it to run. */
		if (pthread_create(&th, &a, notify_thread, &notify_starts[i]) != 0)
			atomic_store(&notify_starts[i].used, 0);
		pthread_attr_destroy(&a);
		return;
	}
	hlog("timer: no room to start a SIGEV_THREAD notification");
}

/* Whether SIG is pending for the process or the calling thread. */
static int
sig_pending(int sig)
{
	sigset_t p;
	return sigpending(&p) == 0 && sigismember(&p, sig) == 1;
}

/* Whether SIG, sent now, runs a handler on the calling thread:
 * VTIMER_HANDLED, with VTIMER_NORESTART when it lacks SA_RESTART. */
static int
handled_here(int sig, pid_t tid)
{
	static pid_t pid;
	sigset_t mask;
	struct sigaction sa;

	if (pid == 0)
		pid = shim_getpid();
	if (tid != 0 && tid != (pid_t)sys_call(SYS_gettid))
		return 0;
	/* A process signal: the kernel tries the main thread first. */
	if (tid == 0 && !tls_main_thread)
		return 0;
	if (pthread_sigmask(SIG_BLOCK, NULL, &mask) != 0 ||
	    sigismember(&mask, sig) == 1)
		return 0;
	if (sigaction(sig, NULL, &sa) != 0)
		return 0;
	if (sa.sa_handler == SIG_IGN || sa.sa_handler == SIG_DFL)
		return 0;
	return VTIMER_HANDLED | (sa.sa_flags & SA_RESTART ? 0 : VTIMER_NORESTART);
}

int
vtimer_fire(int64_t now)
{
	struct action acts[VTIMER_MAX];
	int n = 0, here = 0, notified = 0;

	if (vtimer_next() > now)
		return 0;
	lock();
	for (int i = 0; i < VTIMER_MAX; i++) {
		struct vtimer *t = &vt.t[i];
		if (t->kind == VT_FREE || t->deadline > now)
			continue;
		/* Periods that fell due (more than one only when time jumped
		 * past them, as a load or a coarse advance can). */
		uint64_t periods = 1;
		if (t->interval > 0) {
			periods += (uint64_t)((now - t->deadline) / t->interval);
			t->deadline += (int64_t)periods * t->interval;
		} else {
			t->deadline = INT64_MAX;
		}
		struct action *a = &acts[n++];
		memset(a, 0, sizeof *a);
		if (t->kind == VT_TIMERFD) {
			a->what = -1;
			a->fd = t->fd;
			a->count = periods;
			continue;
		}
		a->what = t->notify;
		a->signo = t->signo;
		a->tid = t->tid;
		a->fn = t->fn;
		a->value = t->value;
		if (t->notify == SIGEV_SIGNAL || t->notify == SIGEV_THREAD_ID) {
			t->overrun += (int)periods - 1;
			a->info.si_signo = t->signo;
			if (t->kind == VT_ITIMER) {
				a->info.si_code = SI_KERNEL;
			} else {
				a->info.si_code = SI_TIMER;
				a->info.si_value = t->value;
				a->info.si_timerid = i;
				a->info.si_overrun = t->overrun;
			}
			a->slot = i;
		}
	}
	renext();
	unlock();

	pid_t pid = shim_getpid();
	for (int k = 0; k < n; k++) {
		struct action *a = &acts[k];
		switch (a->what) {
		case -1: {
			uint64_t c = a->count;
			(void)!sys_call(SYS_write, a->fd, &c, sizeof c);
			break;
		}
		case SIGEV_SIGNAL:
		case SIGEV_THREAD_ID: {
			struct vtimer *t = &vt.t[a->slot];
			/* Still pending from the last expiry: the kernel
			 * queues it once and counts an overrun. */
			if (t->sent && a->tid == 0 && sig_pending(a->signo)) {
				lock();
				t->overrun++;
				unlock();
				break;
			}
			lock();
			t->overrun_last = t->overrun;
			t->overrun = 0;
			t->sent = 1;
			unlock();
			int mine = handled_here(a->signo, a->tid);
			if (a->what == SIGEV_THREAD_ID)
				sys_call(SYS_rt_tgsigqueueinfo, pid, a->tid,
				    a->signo, &a->info);
			else
				sys_call(SYS_rt_sigqueueinfo, pid, a->signo,
				    &a->info);
			here |= mine;
			break;
		}
		case SIGEV_THREAD:
			start_notify(a->fn, a->value);
			notified = 1;
			break;
		default:   /* SIGEV_NONE */
			break;
		}
	}
	/* What the notification threads do happens at this instant, before
	 * the caller looks (as a woken sleeper's does). */
	if (notified)
		vclock_settle();
	return here;
}

/* --- snapshots --- */

/* Read a timerfd's unread count without blocking (and put it back). */
static uint64_t
fd_peek(int fd)
{
	uint64_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (sys_call(SYS_ppoll, &p, 1, &zero_ts, NULL, 8) > 0 &&
	    sys_call(SYS_read, fd, &n, sizeof n) == (long)sizeof n)
		(void)!sys_call(SYS_write, fd, &n, sizeof n);
	return n;
}

void
vtimer_save(struct vtimer_snap *s)
{
	lock();
	memcpy(s->t, vt.t, sizeof vt.t);
	s->itimer_slot = itimer_slot;
	unlock();
	for (int i = 0; i < VTIMER_MAX; i++)
		s->fdcount[i] = s->t[i].kind == VT_TIMERFD ? fd_peek(s->t[i].fd) : 0;
}

void
vtimer_restore(const struct vtimer_snap *s)
{
	lock();
	for (int i = 0; i < VTIMER_MAX; i++) {
		/* A timerfd closed since the save cannot come back: its
		 * descriptor is gone. Everything else is as it was. */
		if (s->t[i].kind == VT_TIMERFD &&
		    vtimer_fd_kind(s->t[i].fd) != VFD_TIMER) {
			vt.t[i].kind = VT_FREE;
			continue;
		}
		if (vt.t[i].kind == VT_TIMERFD && s->t[i].kind != VT_TIMERFD)
			continue;   /* made since: the game still holds its fd */
		vt.t[i] = s->t[i];
	}
	itimer_slot = s->itimer_slot;
	renext();
	unlock();
	for (int i = 0; i < VTIMER_MAX; i++) {
		if (s->t[i].kind != VT_TIMERFD || vt.t[i].kind != VT_TIMERFD)
			continue;
		fd_drain(s->t[i].fd);
		if (s->fdcount[i]) {
			uint64_t c = s->fdcount[i];
			(void)!sys_call(SYS_write, s->t[i].fd, &c, sizeof c);
		}
	}
}

void
vtimer_detach(void)
{
	struct itimerval cur;
	vtimer_getitimer(&cur);
	lock();
	for (int i = 0; i < VTIMER_MAX; i++)
		vt.t[i].deadline = INT64_MAX;
	renext();
	unlock();
	if (cur.it_value.tv_sec || cur.it_value.tv_usec)
		sys_call(SYS_setitimer, ITIMER_REAL, &cur, NULL);
}

void
vtimer_forget(void)
{
	atomic_store(&vt.lock, 0);   /* the parent may have held it */
	for (int i = 0; i < VTIMER_MAX; i++)
		if (vt.t[i].kind != VT_TIMERFD)
			vt.t[i].kind = VT_FREE;
	itimer_slot = -1;
	renext();
}
