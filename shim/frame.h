/* Frame boundaries and the gate: where one turn of the game's main loop
 * ends, the frame thread publishes the frame, runs work the control thread
 * asked for, and in lockstep blocks until told to step. */
#ifndef GH_FRAME_H
#define GH_FRAME_H

#include <stdint.h>

#include "shim.h"

#define FRAME_NONE INT64_MAX

/* Set up the gate: in lockstep the game stops at its first boundary. */
void frame_init(int lockstep, enum frame_rule rule);

/* True when a call of kind KIND on this thread ends a frame. May claim the
 * calling thread as the frame thread (explicit HOOK_FRAME rules). */
int frame_is_boundary(enum frame_rule kind);

/* True when the calling thread drives virtual time: the frame thread, or the
 * main thread while no frame thread is known. */
int frame_drives_time(void);

/* The boundary itself, on the frame thread. PRESENT: the boundary is a
 * screen update rather than a wait, so a frame that did not wait at all
 * still advances the clock by one frame period. */
void frame_boundary(int present);

/* Wake the control thread (new watched state, say). */
void frame_wake_ctl(void);

/* --- for the control thread --- */

/* Index of the last boundary passed (the first is 0); -1 before any. */
int64_t frame_current(void);
/* True while the frame thread is blocked at the gate. */
int frame_stopped(void);
int frame_paused(void);
/* Pause (stop at the next boundary, or once frame_run_until is reached)
 * or run freely. */
void frame_set_paused(int paused);
/* While paused, run until frame TARGET, then stop. */
void frame_run_until(int64_t target);
/* Ask for a wake-up on the notify descriptor once the frame reaches AT. */
void frame_notify_at(int64_t at);
/* The eventfd the frame thread signals: a frame was reached, the game
 * stopped, or a request completed. */
int frame_notify_fd(void);
/* Post FN(ARG) to run on the frame thread at its next boundary (at once when
 * it is stopped). Returns 0, or -1 when a request is already in flight. */
int frame_post(void (*fn)(void *), void *arg);
/* True when the posted request has run; the slot is then free again. */
int frame_post_done(void);
/* Whether reaching a stop should wake the control thread (a client waits
 * for `pause` to take effect). */
void frame_notify_on_stop(int on);

/* A step reply the frame thread sends itself, straight to socket FD, when
 * frame TARGET is reached: the control thread is not woken on the way.
 * One at a time; arm only when idle. */
enum { FAST_IDLE, FAST_ARMED, FAST_SENDING, FAST_SENT, FAST_FAILED,
	FAST_LENT, FAST_SERVING, FAST_RETURNED };
void frame_fast_arm(int fd, int64_t target);
/* Lend the stepping client to the frame thread once its reply is out
 * (state FAST_LENT): while stopped at the gate it reads the client's next
 * plain `step` itself, and hands anything else back (FAST_RETURNED, with a
 * wake-up). The control thread must have stopped reading the client first.
 * Returns 1 when the lend took, 0 when the reply went out already. */
int frame_fast_lend(void);
/* Take a lent client back (another client came, say). Returns the state
 * it found: FAST_LENT (the slot is idle now and the client the control
 * thread's again), or another state with lending switched off. */
int frame_fast_reclaim(void);
/* The frame the slot's reply is for (the frame thread moves it when it
 * takes a step itself). Read it once the slot is taken back. */
int64_t frame_fast_target(void);
/* Ask for a wake-up on the notify descriptor once the reply is sent (the
 * client has sent more meanwhile). Check the state again after this. */
void frame_fast_want_notify(void);
/* The slot's state: FAST_SENT when the reply went out whole. */
int frame_fast_state(void);
/* Take the slot back (waiting out a send in progress, so the descriptor
 * can be closed). Returns the state it had; for FAST_FAILED, *sent is how
 * much of REPLY went out (the rest is the caller's to send). */
int frame_fast_disarm(size_t *sent);
/* The reply the slot sends for TARGET: "ok TARGET\n". */
size_t frame_fast_reply(int64_t target, char *buf, size_t len);

/* Snapshot requests (save, load), run at one fixed place of the boundary
 * so that a load comes back through the place its save was made. */
enum { SNAP_SAVE = 1, SNAP_LOAD = 2 };
/* Control thread: ask; returns -1 when a request is in flight already. */
int frame_snapshot_post(int kind, const char *name);
/* Control thread: 1 when the request is done, with its result (0 saved,
 * 1 loaded, -1 failed with ERR) and the frame the game is at now. */
int frame_snapshot_done(int *result, int64_t *frame, char *err,
    size_t errlen);

/* Stop gating for good (detach); the game runs on. */
void frame_detach(void);

#endif
