/* Every way the game waits, on one virtual clock: sleeps, and waits for
 * descriptors or the keyboard with a timeout. A wait on the frame thread may
 * end a frame; its length is added to virtual time (paced at the speed).
 * Other threads wait for virtual time to reach their deadline. */
#ifndef GH_WAIT_H
#define GH_WAIT_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>

#include "shim.h"
#include "vclock.h"

/* Advance virtual time by D on the thread that drives it, stopping at each
 * timer deadline on the way to deliver it. Returns 1 when a delivered
 * signal ran a handler on this thread (its wait ends with EINTR there, time
 * having advanced only to that instant), else 0. */
int wait_advance(int64_t d);

/* Sleep D virtual ns; a call of kind KIND (may end a frame). Returns 0, or
 * -1 with errno EINTR when a timer's signal ran a handler here, with what
 * was left of D in *LEFT (may be NULL). */
int wait_sleep(int64_t d, enum frame_rule kind, int64_t *left);

/* Sleep until virtual time TARGET (absolute sleeps); 0, or -1 and EINTR. */
int wait_sleep_until(int64_t target, enum frame_rule kind);

/* Whether standard input is the shim's to feed: a terminal whose real keys
 * are ignored, or injected keys are waiting. */
int wait_stdin_managed(void);

/* poll() on the virtual clock. TIMEOUT_NS < 0 waits forever. Injected input
 * makes standard input readable; while the real keyboard is ignored the
 * terminal's own readiness is hidden. SIGMASK as for ppoll (may be NULL).
 * Returns what poll returns, with errno set on -1. */
int wait_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns,
    const sigset_t *sigmask, enum frame_rule kind);

/* On the thread that drives time: wait on the virtual clock until a signal
 * in INTEREST is pending (returns 1: the caller collects it), a timer's
 * signal ran a handler here (2: the wait ends with EINTR), or TIMEOUT_NS
 * passed (0; < 0 waits forever). Frame boundaries as for other waits. */
int wait_signal(const sigset_t *interest, int64_t timeout_ns,
    enum frame_rule kind);

/* The wait of a read of FD: wait_poll for it to be readable, and when
 * TIMEOUT_NS < 0 (a blocking read) going on after a signal handler
 * installed with SA_RESTART, as the kernel restarts a read. */
int wait_read_ready(int fd, int64_t timeout_ns, enum frame_rule kind);

/* epoll_pwait on the virtual clock, as wait_poll. */
struct epoll_event;
int wait_epoll(int epfd, struct epoll_event *ev, int max, int64_t timeout_ns,
    const sigset_t *sigmask, enum frame_rule kind);

/* A timed wait on a synchronization object (condition variable,
 * semaphore, mutex, join) until virtual time TARGET. TRY(CTX, REAL_NS)
 * attempts the object waiting at most REAL_NS of real time (0: not at all)
 * and returns 0, ETIMEDOUT, or another error. Returns what TRY returned,
 * or ETIMEDOUT at TARGET. Not after `detach` (the callers go to libc). */
typedef int (*sync_try_fn)(void *ctx, int64_t real_ns);
#define SYNC_SLICE_NS (NS_PER_SEC / 1000)       /* virtual, frame thread */
#define SYNC_REAL_SLICE_NS (2 * NS_PER_SEC / 1000)  /* real, other threads: */
#define SYNC_REAL_SLICE_MIN_NS 20000LL              /* from 20 us, doubling */
int wait_sync(sync_try_fn try, void *ctx, int64_t target);

/* How long a read of terminal FD waits for its first byte, as its
 * settings say: -1 until one comes (canonical mode, or VMIN > 0), else
 * VTIME tenths of a second (0: not at all). curses' halfdelay sets these. */
int64_t wait_tty_timeout(int fd);

/* The game's epoll_ctl of standard input into EPFD (op and event as it
 * gave them), and the close of a descriptor that may be an epoll set. */
void wait_epoll_stdin(int epfd, int op, const struct epoll_event *ev);
void wait_epoll_closed(int fd);

/* Set up: whether fd 0 is a terminal. */
void wait_init(void);

#endif
