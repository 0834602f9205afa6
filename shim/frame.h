/* Frame boundaries and the gate: where one turn of the game's main loop
 * ends, the frame thread publishes the frame, runs work the control thread
 * asked for, and in lockstep blocks until told to step. */
#ifndef GH_FRAME_H
#define GH_FRAME_H

#include <pthread.h>
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

/* The frame thread (or, before one is known, the main thread) begins to
 * drive the clock: 0 when the calling thread is not the frame thread (any
 * more: with HOOK_FRAME=auto a thread that presents takes the frames over
 * while the frame thread is outside its boundaries and clock advances),
 * else a value for frame_drive_end. */
int frame_drive_begin(void);
void frame_drive_end(int how);

/* True while the frames run on the main thread (or none is known yet):
 * what snapshots need. */
int frame_thread_is_main(void);
/* The frame thread's thread id (the process id: the main thread), or 0
 * while none is known (a named HOOK_FRAME rule not met yet). */
long frame_tid(void);
/* How many times a presenting thread took the frames over from a frame
 * thread blocked outside the shim's waits, by the real-time fallback. */
uint64_t frame_takeover_forced(void);

/* Around the calling thread's pthread_join of T: while the frame thread
 * joins T, T may take the frames over at once when it presents (it has
 * no boundary before T ends). frame_join_begin returns a value for
 * frame_join_end. */
uintptr_t frame_join_begin(pthread_t t);
void frame_join_end(uintptr_t how);

/* The boundary itself, on the frame thread. PRESENT: the boundary is a
 * screen update rather than a wait, so a frame that did not wait at all
 * still advances the clock by one frame period. */
void frame_boundary(int present);

/* Frame thread, before a boundary: true when the game will stop at it
 * (paused, or the step's last frame). */
int frame_will_stop(void);
/* True when a request waits for the frame thread. */
int frame_request_pending(void);
/* Called by a posted request while it runs: it is not done, run it again
 * at the next boundary (a screenshot whose picture is not read yet). */
void frame_post_defer(void);
/* True once the game presented a picture on its frame thread. */
int frame_presented(void);

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
/* While paused, run until frame TARGET, then stop (the frame thread also
 * calls it, when it takes a lent client's step itself). */
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
/* Have the frame thread call FN(F) at the first boundary F >= AT where
 * the game stops, before F is announced (a binary step's observation, read
 * without a request posted once the step is over). Once: it disarms. */
void frame_read_at(int64_t at, void (*fn)(int64_t f));
/* Whether reaching a stop should wake the control thread (a client waits
 * for `pause` to take effect). */
void frame_notify_on_stop(int on);

/* Make the gate look again at what it waits for (a request was posted, a
 * lent client taken back). Either thread. */
void frame_kick(void);

/* Frame thread, after a load brought the game back to frame F as it was
 * saved: stopped there, with no input pending from the future it left. */
void frame_loaded(int64_t f);

/* Stop gating for good (detach); the game runs on. */
void frame_detach(void);

#endif
