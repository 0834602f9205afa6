/* Virtual timers: alarm, setitimer(ITIMER_REAL), POSIX timers and timerfds
 * expire on the virtual clock. Nothing is armed in the kernel: the thread
 * that drives time stops at each deadline on its way (wait_advance) and
 * delivers the expiry there, as the kernel would (the signal to the process
 * or the thread, the overrun count, the timerfd's expiration count), so the
 * same inputs give the same run and a stopped game receives nothing. */
#ifndef GH_VTIMER_H
#define GH_VTIMER_H

#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#define VTIMER_MAX 64          /* timers of all kinds at once */
#define VTIMER_FDMAX 4096      /* descriptors a timerfd or signalfd may have */
/* Shortest interval: a 1 ns period would expire every nanosecond. */
#define VTIMER_MIN_INTERVAL_NS 1000

/* The earliest armed deadline, in virtual ns, or INT64_MAX. Lock-free. */
int64_t vtimer_next(void);

/* Deliver every expiry due at virtual time NOW (called by the thread that
 * drives time, having advanced exactly to NOW). Returns 0, or
 * VTIMER_HANDLED when a signal went to a handler of the calling thread
 * (which ran before this returned), so the caller's wait ends with EINTR
 * as the kernel's would, plus VTIMER_NORESTART when one such handler was
 * installed without SA_RESTART (else a restartable call goes on). */
#define VTIMER_HANDLED 1
#define VTIMER_NORESTART 2
int vtimer_fire(int64_t now);

/* alarm() and ITIMER_REAL. */
unsigned vtimer_alarm(unsigned seconds);
int vtimer_setitimer(const struct itimerval *nv, struct itimerval *old);
void vtimer_getitimer(struct itimerval *cur);

/* POSIX timers; ids are the shim's own. Return 0 or -1 with errno. */
int vtimer_create(clockid_t clk, const struct sigevent *ev, timer_t *id);
int vtimer_settime(timer_t id, int flags, const struct itimerspec *nv,
    struct itimerspec *old);
int vtimer_gettime(timer_t id, struct itimerspec *cur);
int vtimer_getoverrun(timer_t id);
int vtimer_delete(timer_t id);
/* Whether ID is one of the shim's timers (else the call is the kernel's). */
int vtimer_is_ours(timer_t id);

/* timerfds: an eventfd stands for each, so read, poll, select and epoll
 * see expirations as the kernel's timerfd would show them. */
int vtimer_fd_create(clockid_t clk, int flags);
int vtimer_fd_settime(int fd, int flags, const struct itimerspec *nv,
    struct itimerspec *old);
int vtimer_fd_gettime(int fd, struct itimerspec *cur);

/* What a descriptor is to the shim: 0 nothing, 1 a virtual timerfd, 2 a
 * signalfd (readable when one of its signals is pending). Lock-free. */
enum { VFD_NONE, VFD_TIMER, VFD_SIGNAL };
int vtimer_fd_kind(int fd);
void vtimer_fd_mark_signal(int fd);
/* The game closed FD. */
void vtimer_fd_closed(int fd);

/* Snapshots: every timer's state (the table is the shim's memory, which a
 * load leaves alone) and each timerfd's unread count. */
enum vt_kind { VT_FREE, VT_ITIMER, VT_POSIX, VT_TIMERFD };
struct vtimer {
	int kind;
	clockid_t clk;
	int64_t deadline;          /* virtual ns; INT64_MAX when disarmed */
	int64_t interval;
	/* POSIX timers */
	int notify;                /* SIGEV_SIGNAL, _NONE, _THREAD, _THREAD_ID */
	int signo;
	union sigval value;
	pid_t tid;
	void (*fn)(union sigval);
	int overrun, overrun_last;
	int sent;                  /* a signal went out and may be pending */
	/* timerfds */
	int fd;
};
struct vtimer_snap {
	struct vtimer t[VTIMER_MAX];
	uint64_t fdcount[VTIMER_MAX];
	int itimer_slot;
};

void vtimer_save(struct vtimer_snap *s);
void vtimer_restore(const struct vtimer_snap *s);

/* detach: alarm and ITIMER_REAL go back to the kernel with what was left;
 * POSIX timers and timerfds stop. */
void vtimer_detach(void);
/* In a forked child: timers are not inherited; forget them all. */
void vtimer_forget(void);


#endif
